"""The soak (bench/soak/soak.py) in small: its kill loop, and its mixed load stopped by Ctrl+C, still reporting."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import psutil

from support import ROOT, kernel_env

SOAK = ROOT / "bench" / "soak" / "soak.py"


def run_soak(*args: str, interrupt_after: float | None = None, timeout: float = 300,
             how: signal.Signals = signal.SIGINT) -> tuple[int, str]:
    proc = subprocess.Popen([sys.executable, str(SOAK), *args], cwd=ROOT, env=kernel_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if interrupt_after is not None:
        time.sleep(interrupt_after)
        proc.send_signal(how)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def test_the_kill_loop_kills_checks_the_write_log_and_reports(tmp_path):
    code, out = run_soak("--kills", "3", "--out", str(tmp_path / "run"))
    assert code == 0, out
    assert re.search(r"^kills: 3; restarts opened: 3, kill -> new kernel's status p50", out, re.MULTILINE), out
    checked = int(re.search(r"write log +checked (\d+)", out).group(1))
    assert checked == 3 + 2  # after each restart, at the end, and in the image opened offline
    acknowledged = int(re.search(r"set_slot +ok (\d+)", out).group(1))
    assert acknowledged > 3
    assert int(re.search(r"journal (\d+) writes, last entry \d+;", out).group(1)) > 1  # the journal was written too
    assert "RESULT lost 0, unanswered 0, bad replies 0, not reopened 0: PASS" in out


def test_ctrl_c_stops_the_mixed_load_and_it_still_prints_what_it_measured(tmp_path):
    code, out = run_soak("--minutes", "30", "--kill-every", "4,6", "--out", str(tmp_path / "run"), interrupt_after=40)
    assert "interrupted: stopping" in out and "(interrupted)" in out, out
    kills = int(re.search(r"^kills: (\d+)", out, re.MULTILINE).group(1))
    assert kills >= 1, out
    for kind in ("set_slot", "send", "inspect", "set_method", "web"):  # the load ran, each kind answered
        assert re.search(rf"^  {re.escape(kind)} +.*\bok \d+", out, re.MULTILINE), (kind, out)
    assert re.search(r"^events seen by the watchers: [1-9]\d*, [1-9]\d*$", out, re.MULTILINE), out
    assert "RESULT lost 0," in out and code in (0, 1)
    assert code == 0, out
    assert not left_behind(tmp_path)  # the watchdog, its kernel and the web inspector went with it


def left_behind(workdir, wait: float = 10) -> list[str]:
    """The processes still running from a soak's folder (its watchdog, kernels, web inspector) after up to ``wait`` s."""
    deadline = time.monotonic() + wait
    while True:
        found = [line for proc in psutil.process_iter(["cmdline"])
                 if str(workdir) in (line := " ".join(proc.info["cmdline"] or []))]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_sigterm_stops_the_kill_loop_as_ctrl_c_does_and_leaves_no_process(tmp_path):
    code, out = run_soak("--kills", "100000", "--out", str(tmp_path / "run"), interrupt_after=15, how=signal.SIGTERM)
    assert "interrupted: stopping" in out and "(interrupted)" in out, out
    assert int(re.search(r"^kills: (\d+)", out, re.MULTILINE).group(1)) >= 1, out
    assert "RESULT lost 0, unanswered 0, bad replies 0, not reopened 0: PASS" in out and code == 0, out
    assert not left_behind(tmp_path)

"""The watchdog with real processes: a real kernel on a free port with a temporary image.

Short intervals keep this quick: ping every 0.2 s, a kernel silent for 2 s
is hung, 1 s between SIGTERM and SIGKILL, restarts after 0.1-0.5 s.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from support import ROOT, Client, free_port, kernel_env

pytestmark = pytest.mark.skipif(os.name != "posix", reason="uses POSIX signals (SIGKILL, SIGSTOP)")

FAST = [
    "--ping-interval", "0.2",
    "--hang-timeout", "2",
    "--start-timeout", "20",
    "--stop-grace", "1",
    "--backoff-initial", "0.1",
    "--backoff-max", "0.5",
]


class WatchdogProcess:
    """``python min_watchdog_service.py`` in a subprocess, with its own image and port."""

    def __init__(self, workdir: Path, *flags: str, image: Path | None = None, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.image = image or (self.workdir / "image" / "live_image.fs")
        self.endpoint = f"tcp://127.0.0.1:{port or free_port()}"
        self.log_path = self.workdir / "watchdog.log"
        self.stderr_path = self.workdir / "watchdog-stderr.txt"
        self.flags = list(flags)
        self.proc: subprocess.Popen | None = None
        self.kernel_pids: set[int] = set()

    def start(self) -> "WatchdogProcess":
        args = [
            sys.executable, str(ROOT / "min_watchdog_service.py"), "run",
            "--image", str(self.image),
            "--endpoint", self.endpoint,
            "--log-file", str(self.log_path),
            *FAST, *self.flags,
            "--",
            "--log-file", str(self.workdir / "kernel.log"),
            "--audit-file", str(self.workdir / "metacognition.jsonl"),
        ]
        with open(self.stderr_path, "wb") as stderr:
            # its own session, so that a signal to its process group cannot reach pytest
            self.proc = subprocess.Popen(args, cwd=self.workdir, env=kernel_env(), stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        return self

    def log(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def request(self, message: dict, timeout: float = 5.0) -> dict:
        with Client(self.endpoint) as client:
            return client.request(message, timeout)

    def wait_for_kernel(self, timeout: float = 15.0, not_pid: int | None = None) -> int:
        """Ask ``status`` until a kernel (other than ``not_pid``) answers; return its pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the watchdog exited with {self.proc.returncode}:\n{self.log()}")
            try:
                reply = self.request({"command": "status"}, timeout=0.5)
            except TimeoutError:
                continue
            pid = reply["result"]["pid"]
            self.kernel_pids.add(pid)
            if pid != not_pid:
                return pid
            time.sleep(0.05)
        raise AssertionError(f"no kernel (other than {not_pid}) answered within {timeout}s:\n{self.log()}")

    def wait_running(self, timeout: float = 15.0, not_pid: int | None = None) -> int:
        """A kernel answers, and the watchdog has seen it answer (it is RUNNING, not STARTING)."""
        pid = self.wait_for_kernel(timeout, not_pid)
        self.wait_for_log(f"kernel pid {pid} answers ping at")
        return pid

    def wait_for_log(self, text: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear in the watchdog's log within {timeout}s:\n{self.log()}")
            time.sleep(0.05)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the watchdog did not exit within {timeout}s:\n{self.log()}") from None

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for pid in self.kernel_pids:  # a kernel left behind (e.g. still SIGSTOPped) is ours to end
            if is_our_kernel(pid, self.workdir):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def is_our_kernel(pid: int, workdir: Path) -> bool:
    """``pid`` is still a kernel serving this test's directory (not a recycled pid)."""
    try:
        cmdline = " ".join(psutil.Process(pid).cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return "batos.py" in cmdline and str(workdir) in cmdline and alive(pid)


def parent_of(pid: int) -> int:
    return psutil.Process(pid).ppid()


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def watchdogs(tmp_path):
    started: list[WatchdogProcess] = []

    def make(*flags: str, **kwargs) -> WatchdogProcess:
        process = WatchdogProcess(tmp_path, *flags, **kwargs)
        started.append(process)
        return process.start()

    yield make
    for process in started:
        process.cleanup()


def test_starts_a_kernel_that_answers_ping(watchdogs, tmp_path):
    wd = watchdogs()
    pid = wd.wait_for_kernel()
    reply = wd.request({"command": "ping", "id": 1})
    assert reply["status"] == "ok" and reply["result"]["pong"] is True and reply["id"] == 1
    assert pid != wd.proc.pid
    assert parent_of(pid) == wd.proc.pid  # the watchdog's child, not some other kernel
    assert (tmp_path / "image" / "live_image.fs").is_file()
    wd.wait_for_log("answers ping at " + wd.endpoint)

    # A second watchdog for the same endpoint refuses to start another kernel.
    second = WatchdogProcess(tmp_path, "--state-file", str(tmp_path / "other" / "watchdog.json"), port=int(wd.endpoint.rsplit(":", 1)[1]), image=tmp_path / "other" / "x.fs")
    second.log_path = tmp_path / "second.log"
    second.stderr_path = tmp_path / "second-stderr.txt"
    second.start()
    try:
        assert second.wait(15) == 1
        assert "already answers" in second.log()
        assert not (tmp_path / "other" / "x.fs").exists()  # no kernel was started for it
    finally:
        second.cleanup()
    assert wd.request({"command": "status"})["result"]["pid"] == pid  # the first kernel is untouched
    assert (tmp_path / "watchdog.log").read_text().count("kernel pid") >= 1  # --log-file is written


def test_kill_9_restarts_the_kernel_and_the_image_survives(watchdogs):
    wd = watchdogs()
    pid = wd.wait_running()
    reply = wd.request({"command": "set_slot", "target": "genesis_obj", "slot": "watchdog_mark", "value": "set before kill -9"})
    assert reply["status"] == "ok", reply

    os.kill(pid, signal.SIGKILL)
    new_pid = wd.wait_for_kernel(timeout=10, not_pid=pid)

    assert new_pid != pid
    assert not alive(pid)
    slots = wd.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]
    assert slots.get("watchdog_mark") == "set before kill -9"
    log = wd.log()
    assert f"kernel pid {pid} was killed by SIGKILL" in log
    assert "BACKOFF -> STARTING: restart #1" in log
    assert wd.proc.poll() is None  # the watchdog carries on


def test_a_stopped_kernel_is_killed_and_replaced(watchdogs):
    wd = watchdogs()
    pid = wd.wait_running()
    os.kill(pid, signal.SIGSTOP)
    stopped_at = time.monotonic()

    new_pid = wd.wait_for_kernel(timeout=15, not_pid=pid)
    took = time.monotonic() - stopped_at

    assert new_pid != pid
    assert wait_gone(pid, 5), "the SIGSTOPped kernel is still there"
    # 2 s hang timeout + 1 s grace + backoff + start: a few seconds, not the defaults
    assert 2.0 <= took < 12, took
    log = wd.log()
    assert f"kernel pid {pid} answered no ping for" in log
    assert f"kernel pid {pid} still running 1s after the stop signal; sending SIGKILL" in log
    assert wd.request({"command": "ping"})["result"]["pong"] is True


@pytest.mark.parametrize("how", ["SIGTERM to the watchdog", "Ctrl+C (SIGINT to its process group)"])
def test_a_signal_stops_the_kernel_and_the_watchdog(watchdogs, how):
    wd = watchdogs()
    pid = wd.wait_running()

    if how.startswith("SIGTERM"):
        wd.proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(wd.proc.pid, signal.SIGINT)

    assert wd.wait(15) == 0
    assert wait_gone(pid, 5), "the kernel outlived its watchdog"
    log = wd.log()
    # It stopped cleanly on the watchdog's one SIGTERM: not SIGKILLed, not killed mid-shutdown.
    assert f"kernel pid {pid} exited with code 0" in log
    assert "kernel stopped cleanly" in log
    with Client(wd.endpoint) as client, pytest.raises(TimeoutError):
        client.request({"command": "ping"}, timeout=0.5)


def test_an_image_that_cannot_be_opened_is_fatal_at_once(watchdogs, tmp_path):
    image = tmp_path / "image" / "live_image.fs"
    image.parent.mkdir()
    garbage = b"this is not a FileStorage\x00\xff" * 100
    image.write_bytes(garbage)

    started = time.monotonic()
    wd = watchdogs("--exit-on-fatal", image=image)
    code = wd.wait(20)

    assert code == 3
    assert time.monotonic() - started < 15
    assert image.read_bytes() == garbage  # untouched
    log = wd.log()
    assert log.count("started: ") == 1, log  # one attempt, no restart loop
    assert "the image cannot be opened" in log and "restarting cannot help" in log
    assert "giving up (exit code 3)" in log


def test_a_crash_loop_gives_up(watchdogs):
    wd = watchdogs("--max-restarts", "2", "--restart-window", "60", "--exit-on-fatal")
    pids = []
    for _ in range(3):  # the first kernel and two restarts, each killed as soon as it answers
        pid = wd.wait_for_kernel(timeout=10, not_pid=pids[-1] if pids else None)
        pids.append(pid)
        os.kill(pid, signal.SIGKILL)

    assert wd.wait(10) == 4
    assert len(set(pids)) == 3
    assert all(wait_gone(pid, 5) for pid in pids)
    log = wd.log()
    assert log.count("started: ") == 3, log  # no fourth kernel
    assert "crash loop" in log and "3 failures within 60s (at most 2 restarts allowed)" in log
    assert "giving up (exit code 4)" in log


def test_a_kernel_that_never_answers_is_restarted_then_given_up(watchdogs):
    # Something that is not a kernel holds the port, so no kernel can serve there.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(8)
        port = squatter.getsockname()[1]
        wd = watchdogs("--start-timeout", "2", "--max-restarts", "1", "--exit-on-fatal", port=port)
        code = wd.wait(30)

    assert code == 4
    log = wd.log()
    assert log.count("started: ") == 2, log  # the first start and one restart
    assert "cannot bind" in log  # the kernel's own complaint
    assert "crash loop" in log


@pytest.mark.parametrize(
    "flags, message, logged",
    [
        (["--endpoint", "nonsense"], "is not tcp://HOST:PORT", True),
        (["--", "--no-such-kernel-flag"], "the flags for batos.py are not valid: unrecognized arguments: --no-such-kernel-flag", True),
        (["--hang-timeout", "0"], "--hang-timeout must be positive", False),  # argparse: before logging is set up
    ],
)
def test_bad_flags_exit_2_without_starting_a_kernel(tmp_path, flags, message, logged):
    log_file = tmp_path / "wd.log"
    result = subprocess.run(
        [sys.executable, str(ROOT / "min_watchdog_service.py"), "--image", str(tmp_path / "x.fs"), "--log-file", str(log_file), *flags],
        cwd=tmp_path, env=kernel_env(), capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "x.fs").exists()
    if logged:  # a double-clicked launcher's minimised window is gone: the log file must say why
        assert "giving up (exit code 2)" in log_file.read_text() and message in log_file.read_text()


# --- issue 6: acceptance with real processes ------------------------------------------------


def run_control(tmp_path: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """``min_watchdog_service.py status|stop`` for the watchdog whose state file is in tmp_path/data."""
    return subprocess.run(
        [sys.executable, str(ROOT / "min_watchdog_service.py"), *args, "--state-file", str(tmp_path / "data" / "watchdog.json")],
        cwd=tmp_path, env=kernel_env(), capture_output=True, text=True, timeout=timeout,
    )


def test_kill_9_ten_times_loses_no_acknowledged_write(watchdogs):
    wd = watchdogs("--max-restarts", "50", "--healthy-after", "0.5")
    pid = wd.wait_running()
    acknowledged = {}
    for round_ in range(10):
        value = f"written before kill #{round_}"
        reply = wd.request({"command": "set_slot", "target": "genesis_obj", "slot": f"mark_{round_}", "value": value})
        assert reply["status"] == "ok", reply  # acknowledged: committed
        acknowledged[f"mark_{round_}"] = value
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        new_pid = wd.wait_for_kernel(timeout=10, not_pid=pid)
        assert time.monotonic() - killed_at < 10
        assert wd.request({"command": "ping"})["result"]["pong"] is True
        pid = wd.wait_running(not_pid=pid) if new_pid == pid else new_pid
        wd.wait_for_log(f"kernel pid {pid} answers ping at")
    slots = wd.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]
    assert {k: slots.get(k) for k in acknowledged} == acknowledged
    assert wd.log().count("was killed by SIGKILL") == 10
    assert "FATAL" not in wd.log()


def test_a_kernel_that_exits_at_once_backs_off_then_waits_in_fatal(watchdogs, tmp_path):
    # Something that is not a kernel holds the port: every kernel exits at once (code 1, "cannot bind").
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(8)
        port = squatter.getsockname()[1]
        wd = watchdogs("--max-restarts", "4", "--restart-window", "120", "--backoff-initial", "0.2", "--backoff-max", "5", port=port)
        wd.wait_for_log("giving up (exit code 4)", timeout=60)
        spawns = wd.log().count("started: ")
        time.sleep(2.0)  # FATAL: no more spawns, and no busy loop
        assert wd.log().count("started: ") == spawns == 5, wd.log()
        cpu = psutil.Process(wd.proc.pid).cpu_times()
        time.sleep(1.0)
        cpu_after = psutil.Process(wd.proc.pid).cpu_times()
        assert (cpu_after.user + cpu_after.system) - (cpu.user + cpu.system) < 0.2  # idle, not spinning
        assert wd.proc.poll() is None  # waiting for an operator, not gone

        delays = [float(x) for x in re.findall(r"restarting in ([0-9.]+)s", wd.log())]
        assert len(delays) == 4, wd.log()
        assert all(later > earlier for earlier, later in zip(delays, delays[1:])), delays  # it grows
        assert "crash loop" in wd.log() and "waiting for an operator" in wd.log()

        status = run_control(tmp_path, "status", "--json")
        assert status.returncode == 4, status
        state = json.loads(status.stdout)
        assert state["state"] == "fatal" and "crash loop" in state["reason"] and state["alive"] is True
        assert state["exit_code"] == 4

        stopped = run_control(tmp_path, "stop", "--timeout", "20")
        assert stopped.returncode == 0, stopped
        assert wd.wait(10) == 4  # stopped while FATAL: the reason it gave up is its exit code
        assert run_control(tmp_path, "status").returncode == 3


def test_status_stop_and_one_watchdog_per_state_file(watchdogs, tmp_path):
    wd = watchdogs()
    pid = wd.wait_running()
    deadline = time.monotonic() + 10
    while (status := run_control(tmp_path, "status")).returncode != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status.returncode == 0, status
    assert f"kernel pid {pid}" in status.stdout and "running" in status.stdout

    # A second watchdog with the same state file refuses at once, whatever its endpoint.
    second = WatchdogProcess(tmp_path, image=tmp_path / "other" / "x.fs")
    second.stderr_path = tmp_path / "second-stderr.txt"
    second.log_path = tmp_path / "second.log"
    second.start()
    try:
        assert second.wait(15) == 1
        assert f"another watchdog (pid {wd.proc.pid}) already runs" in second.log()
        assert not (tmp_path / "other" / "x.fs").exists()
    finally:
        second.cleanup()
    assert wd.request({"command": "status"})["result"]["pid"] == pid

    stopped = run_control(tmp_path, "stop", "--timeout", "30")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped
    assert wd.wait(5) == 0
    assert wait_gone(pid, 5)
    assert "kernel stopped cleanly" in wd.log()
    assert run_control(tmp_path, "status").returncode == 3
    assert run_control(tmp_path, "stop").returncode == 0  # nothing to stop is not an error


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads the kernel's environment from /proc")
def test_the_kernel_learns_where_the_state_file_is_and_packs_while_no_upgrade_runs(watchdogs, tmp_path):
    from bat_os.supervise.statefile import read_state, upgrade_under_way

    state_file = tmp_path / "state" / "wd.json"
    wd = watchdogs("--state-file", str(state_file))
    pid = wd.wait_running()
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert f"BATOS_WATCHDOG_STATE={state_file}".encode() in environ  # not the default data/watchdog.json
    assert read_state(state_file)["upgrading"] is None and upgrade_under_way(state_file) is None
    reply = wd.request({"command": "pack", "days": 0}, timeout=30)
    assert reply["status"] == "ok" and reply["result"]["backup"], reply  # a live watchdog, no upgrade: it packs


DOOR_ONLY = """
import sys, time
sys.path.insert(0, sys.argv[2])
from bat_os.kernel.door import Door
door = Door(sys.argv[1], 1 << 20)
time.sleep(600)  # answers ping with "starting": true from its thread, and never starts
"""


def test_a_kernel_whose_door_answers_but_that_never_starts_is_not_counted_running(tmp_path):
    """The door answers ping while a kernel starts (bat_os.kernel.door); a kernel that never gets past it is not
    running (``watchdog status`` never says 0 for it) and is killed as hung after start_timeout."""
    import threading

    from bat_os.supervise.control import Settings
    from bat_os.supervise.policy import State
    from bat_os.supervise.watchdog import Watchdog

    endpoint = f"tcp://127.0.0.1:{free_port()}"
    spawned = []

    def spawn(command, env):
        proc = subprocess.Popen([sys.executable, "-c", DOOR_ONLY, endpoint, str(ROOT)], start_new_session=True)
        spawned.append(proc)
        return proc

    settings = Settings(endpoint=endpoint, ping_interval=0.2, hang_timeout=2.0, start_timeout=3.0, stop_grace=1.0,
                        max_restarts=0, exit_on_fatal=True, state_file=tmp_path / "watchdog.json", workdir=tmp_path)
    watchdog = Watchdog(settings, spawn=spawn)
    states = []
    listener = watchdog.policy.listener
    watchdog.policy.listener = lambda *args: (states.append(watchdog.policy.state), listener(*args))
    done = []
    thread = threading.Thread(target=lambda: done.append(watchdog.run()), daemon=True)
    thread.start()
    try:
        thread.join(30)
        assert done == [4], (done, states)  # FATAL: max_restarts 0
        assert State.RUNNING not in states, states
        assert "did not answer ping within 3s of starting" in watchdog.policy.reason
        assert spawned and all(proc.poll() is not None for proc in spawned)  # the stuck one was killed
    finally:
        if thread.is_alive():
            watchdog.request_stop("the test ends")
            thread.join(10)
        for proc in spawned:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)

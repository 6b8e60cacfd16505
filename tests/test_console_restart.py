"""The console while the kernel dies and the watchdog brings it back (real watchdog, real kernels), and peers that vanish."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from console_support import Reply, ScriptedPeer, client_env, ok, run_client
from support import ROOT
from test_watchdog import WatchdogProcess

pytestmark = pytest.mark.skipif(os.name != "posix", reason="uses POSIX signals (SIGKILL, SIGSTOP)")


@pytest.fixture
def watchdog(tmp_path):
    # A hung kernel is replaced after 6 s of silence: later than the console's own probe (3 s + 2 s).
    process = WatchdogProcess(tmp_path, "--state-file", str(tmp_path / "watchdog.json"), "--hang-timeout", "6").start()
    try:
        yield process
    finally:
        process.cleanup()


class PipedConsole:
    """``python chat_client.py`` reading a pipe; what it prints is collected as it comes."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "chat_client.py", *args], cwd=ROOT, env=client_env(),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output += line

    def type(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait_for(self, text: str, timeout: float = 30, start: int = 0) -> int:
        """Wait until ``text`` appears (after ``start``); where it ends."""
        deadline = time.monotonic() + timeout
        while (found := self.output.find(text, start)) < 0:
            assert time.monotonic() < deadline, f"{text!r} did not appear within {timeout}s:\n{self.output}"
            assert self.proc.poll() is None or self.output.find(text, start) >= 0, f"the console ended:\n{self.output}"
            time.sleep(0.05)
        return found + len(text)

    def finish(self) -> int:
        self.proc.stdin.close()
        try:
            return self.proc.wait(15)
        finally:
            self._reader.join(5)

    def __enter__(self) -> "PipedConsole":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if not stream.closed:
                stream.close()


def test_a_one_shot_started_right_after_kill_9_waits_for_the_new_kernel(watchdog) -> None:
    pid = watchdog.wait_running()
    os.kill(pid, signal.SIGKILL)
    command = run_client("--endpoint", watchdog.endpoint, "--timeout", "20", "-c", "/status", timeout=60)
    assert command.returncode == 0, command.stdout + command.stderr
    assert f"pid {pid} " not in command.stdout and " pid " in command.stdout  # a new kernel answered

    new_pid = watchdog.wait_running(not_pid=pid)
    os.kill(new_pid, signal.SIGKILL)
    sentence = run_client("--endpoint", watchdog.endpoint, "--timeout", "20", "--yes", "what is the status?", timeout=60)
    assert sentence.returncode == 0, sentence.stdout + sentence.stderr
    assert "brief: status" in sentence.stdout and "kernel 0.1.0 pid " in sentence.stdout


def test_the_session_waits_for_a_hung_kernel_to_be_replaced(watchdog) -> None:
    pid = watchdog.wait_running()
    with PipedConsole("--endpoint", watchdog.endpoint, "--timeout", "30") as console:
        console.type("/ping")
        mark = console.wait_for("pong (uptime ")
        os.kill(pid, signal.SIGSTOP)  # hung: the watchdog kills it after its hang timeout and starts another
        console.type("/status")
        mark = console.wait_for("stopped answering", start=mark)
        mark = console.wait_for(f"the kernel at {watchdog.endpoint} is not answering (the watchdog may be restarting it); "
                                "waiting for it... Ctrl+C to stop waiting", start=mark)
        mark = console.wait_for("kernel is back (uptime ", start=mark)
        mark = console.wait_for("sending it again", start=mark)  # status is read-only: sent again
        mark = console.wait_for(" objects", start=mark)
        console.type("/ping")
        console.wait_for("pong (uptime ", start=mark)
        assert console.finish() == 0
    assert f"pid {pid} " not in console.output.split("sending it again")[1]


class VanishingPeer:
    """A kernel stand-in that can stop answering anything (as if dead) and come back."""

    def __init__(self) -> None:
        self.down_until = 0.0
        self.peer = ScriptedPeer(self.script)

    def script(self, request: dict) -> list[Reply]:
        if time.monotonic() < self.down_until:
            return []
        if request["command"] == "ping":
            return [(0, ok(request, {"pong": True, "uptime": 100.0}))]
        if request["command"] == "set_slot":
            self.down_until = time.monotonic() + 6  # dies while working on it
            return []
        return [(0, ok(request, {"target": "0x03", "slot": "colour"}))]


def test_a_change_in_flight_when_the_kernel_died_is_not_sent_again() -> None:
    vanishing = VanishingPeer()
    with vanishing.peer as peer, PipedConsole("--endpoint", peer.endpoint, "--timeout", "30") as console:
        console.type('/set genesis_obj colour "blue"')
        mark = console.wait_for("is not answering (the watchdog may be restarting it)")
        mark = console.wait_for("kernel is back (uptime 100.0s)", start=mark)
        console.wait_for('may have been done, so it is not sent again: /set genesis_obj colour "blue"', start=mark)
        assert console.finish() == 0
    assert [r["command"] for r in peer.requests].count("set_slot") == 1


def test_a_one_shot_change_lost_in_a_restart_exits_2() -> None:
    def script(request: dict) -> list[Reply]:
        if request["command"] == "ping":  # a kernel younger than the request: it restarted meanwhile
            return [(0, ok(request, {"pong": True, "uptime": 0.2}))]
        return []

    with ScriptedPeer(script) as peer:
        result = run_client("--endpoint", peer.endpoint, "--local", "--yes", "create a method to greet the world")
    assert result.returncode == 2
    assert "restarted" in result.stderr
    assert "the kernel stopped while working on it; it may or may not have been done" in result.stderr
    assert [r["command"] for r in peer.requests].count("initiate_cognitive_cycle") == 1

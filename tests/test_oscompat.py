"""Windows readiness of the Python side, simulated on this machine.

What is simulated, and how:

* the event loop: :func:`bat_os.oscompat.loop_factory` is asked about ``win32``;
* signals on a loop without ``add_signal_handler`` (Windows' loops raise
  NotImplementedError): a selector loop that raises it too, and the signal
  delivered on another thread, so that -- as on Windows -- the main thread's
  ``select()`` is not interrupted by it;
* a platform without fork, SCM_RIGHTS or ``resource``: the values are passed to
  :func:`bat_os.jail.runner.unavailable_reason`, and a real kernel subprocess runs with
  that function answering as it would on Windows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import textwrap
import threading
import time
from pathlib import Path

import pytest

from bat_os import oscompat
from bat_os.cognition.methods.service import Cognition
from bat_os.errors import JailUnavailable, NoJail
from bat_os.image.image import Image
from bat_os.jail.runner import Jail, UnavailableJail, unavailable_reason
from support import ROOT, KernelProcess

posix_signals = pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals to simulate Windows")
WINDOWS_REASON = "the jail needs fork, SCM_RIGHTS (socket.send_fds), POSIX resource limits, which win32 does not offer"


# --- the event loop ------------------------------------------------------------------------


def test_windows_gets_a_selector_loop_and_other_platforms_the_default():
    assert oscompat.loop_factory("win32") is asyncio.SelectorEventLoop
    assert oscompat.loop_factory("linux") is None
    assert oscompat.loop_factory("darwin") is None


def test_the_kernel_loop_can_watch_a_socket_as_pyzmq_needs():
    """pyzmq's asyncio sockets call add_reader on the ZeroMQ FD: the chosen loop must have it."""
    import socket

    factory = oscompat.loop_factory("win32")
    a, b = socket.socketpair()
    try:
        with asyncio.Runner(loop_factory=factory) as runner:

            async def readable() -> bytes:
                loop = asyncio.get_running_loop()
                seen = loop.create_future()
                loop.add_reader(a.fileno(), lambda: seen.done() or seen.set_result(a.recv(10)))
                b.send(b"x")
                try:
                    return await asyncio.wait_for(seen, 5)
                finally:
                    loop.remove_reader(a.fileno())

            assert runner.run(readable()) == b"x"
    finally:
        a.close()
        b.close()


def test_stop_signals_include_sigbreak_only_where_it_exists():
    names = {signal.Signals(s).name for s in oscompat.stop_signals()}
    assert {"SIGINT", "SIGTERM"} <= names
    assert ("SIGBREAK" in names) == hasattr(signal, "SIGBREAK")


# --- stop signals ------------------------------------------------------------------------------


class WindowsLikeLoop(asyncio.SelectorEventLoop):
    """A selector loop without signal handlers, as on Windows."""

    def add_signal_handler(self, sig, callback, *args):
        raise NotImplementedError

    def remove_signal_handler(self, sig):
        raise NotImplementedError


@pytest.fixture
def usr1():
    """SIGUSR1 stands in for SIGBREAK/SIGTERM; its handler is put back afterwards."""
    previous = signal.getsignal(signal.SIGUSR1)
    previous_fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(previous_fd)
    yield signal.SIGUSR1
    signal.signal(signal.SIGUSR1, previous)
    signal.set_wakeup_fd(previous_fd)


def _wait_for_stop(loop: asyncio.AbstractEventLoop, deliver, timeout: float = 10.0) -> tuple[float, object]:
    """Install the stop signal, deliver it, and measure how long the idle loop takes to notice."""
    stopped = asyncio.Event()
    undo = oscompat.install_stop_signals(loop, stopped.set, [signal.SIGUSR1])

    async def wait() -> float:
        start = time.monotonic()
        # Nothing else is scheduled: only the signal can end the wait before the timeout.
        threading.Timer(0.2, deliver).start()
        await asyncio.wait_for(stopped.wait(), timeout)
        return time.monotonic() - start

    try:
        return loop.run_until_complete(wait()), undo
    except BaseException:
        undo()
        raise


@posix_signals
def test_a_loop_with_signal_handlers_uses_them(usr1):
    loop = asyncio.new_event_loop()
    try:
        took, undo = _wait_for_stop(loop, lambda: os.kill(os.getpid(), usr1))
        undo()
    finally:
        loop.close()
    assert took < 5


@posix_signals
def test_without_loop_signal_handlers_a_signal_still_wakes_the_idle_loop(usr1):
    """As on Windows: the signal arrives on another thread and does not interrupt the main
    thread's select(); the wakeup socket must end the wait (without it: the 10 s timeout)."""
    loop = WindowsLikeLoop()

    def from_another_thread() -> None:
        signal.pthread_kill(threading.get_ident(), usr1)  # the C handler runs on this (timer) thread

    try:
        took, undo = _wait_for_stop(loop, from_another_thread)
        installed = signal.set_wakeup_fd(-1)
        assert installed != -1  # the wakeup socket was installed
        signal.set_wakeup_fd(installed, warn_on_full_buffer=False)  # (put back for the undo)
        undo()
        assert signal.set_wakeup_fd(-1) == -1  # the undo reset it before closing the socket
        assert oscompat._wakeups == set()
        undo()  # twice is harmless
    finally:
        loop.close()
    assert took < 2, f"the stop was noticed only after {took:.1f}s"


@posix_signals
def test_a_signal_after_the_loop_closed_does_nothing(usr1):
    loop = WindowsLikeLoop()
    calls = []
    undo = oscompat.install_stop_signals(loop, lambda: calls.append(1), [usr1])
    undo()
    loop.close()
    os.kill(os.getpid(), usr1)  # the handler stays, and must not raise on a closed loop
    time.sleep(0.05)
    assert calls == []


def test_outside_the_main_thread_the_signals_are_left_alone_with_a_warning(caplog):
    loop = WindowsLikeLoop()
    result = []
    try:
        with caplog.at_level(logging.WARNING, logger="bat_os.oscompat"):
            worker = threading.Thread(target=lambda: result.append(oscompat.install_stop_signals(loop, lambda: None, [signal.SIGINT])))
            worker.start()
            worker.join(10)
        result[0]()  # the undo is a no-op
    finally:
        loop.close()
    assert "not handled" in caplog.text
    assert oscompat._wakeups == set()


# --- the jail where it cannot run --------------------------------------------------------------


def test_the_jail_says_what_the_platform_lacks():
    assert unavailable_reason(has_fork=True, has_send_fds=True, has_resource=True, platform="linux") is None
    assert unavailable_reason(has_fork=False, has_send_fds=False, has_resource=False, platform="win32") == WINDOWS_REASON
    only = unavailable_reason(has_fork=True, has_send_fds=True, has_resource=False, platform="cygwin")
    assert only == "the jail needs POSIX resource limits, which cygwin does not offer"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="this machine is the one without a jail")
def test_this_machine_can_run_the_jail():
    assert unavailable_reason() is None


def test_a_jail_that_cannot_run_here_refuses_to_start_with_the_reason(monkeypatch):
    monkeypatch.setattr("bat_os.jail.runner.unavailable_reason", lambda: WINDOWS_REASON)

    async def scenario() -> None:
        jail = Jail()
        with pytest.raises(JailUnavailable, match="win32 does not offer"):
            await jail.start()
        assert jail.workdir is None and not jail.health()["ok"]

    asyncio.run(scenario())


def test_the_stand_in_jail_refuses_every_run_with_the_reason():
    jail = UnavailableJail(WINDOWS_REASON)

    async def scenario() -> None:
        await jail.start()
        with pytest.raises(JailUnavailable, match="win32 does not offer") as raised:
            await jail.run("def f(self):\n    return 1\n", "f", [], {}, host=None, fresh=False)
        assert raised.value.code == "jail_unavailable"
        jail.run("def f(self):\n    return 1\n", "f", [], {}, host=None)  # never awaited: no warning
        await jail.close()

    asyncio.run(scenario())
    assert jail.protections() == {"separate_process": False, "available": False, "reason": WINDOWS_REASON}
    assert jail.health()["ok"] is False and not jail.available and Jail.available


@pytest.fixture
def image(tmp_path):
    image = Image(tmp_path / "image" / "live.fs")
    image.awaken()
    image.run(lambda: image.connection.root()["genesis_obj"].add_method(
        "twice", "def twice(self, x):\n    return x * 2\n", origin="generated", author="ALFRED"))
    yield image
    image.close()


def test_a_generated_method_is_answered_jail_unavailable(image):
    cognition = Cognition(image, UnavailableJail(WINDOWS_REASON), orchestrator=None)

    async def send() -> None:
        with image.session.held():
            receiver = image.connection.root()["genesis_obj"]
            _holder, method = receiver.lookup("twice")
            answer = cognition.launch(receiver, method, "twice", [2], {})
        await answer(None)

    with pytest.raises(NoJail, match="twice is a generated method and cannot run here: .*win32") as raised:
        asyncio.run(send())
    assert raised.value.code == "jail_unavailable"


def test_a_message_nobody_understands_is_not_learned_without_a_jail(image):
    """No model is asked for code that no trial could run: the orchestrator is never reached."""
    cognition = Cognition(image, UnavailableJail(WINDOWS_REASON), orchestrator=None)
    oid = image.read(lambda: image.connection.root()["genesis_obj"]._p_oid)
    with pytest.raises(NoJail, match="nothing understands 'fly', and this kernel cannot learn it") as raised:
        asyncio.run(cognition.learn_and_send(oid, "fly", [], {}, call=None))
    assert raised.value.code == "jail_unavailable" and raised.value.details == {"selector": "fly"}


# A kernel as it starts on Windows: the decision function answers as it would there.
WINDOWS_KERNEL = textwrap.dedent(
    f"""
    import sys
    sys.path.insert(0, {str(ROOT)!r})
    import bat_os.jail.runner
    bat_os.jail.runner.unavailable_reason = lambda **_: {WINDOWS_REASON!r}
    from bat_os.cli.main import main
    sys.exit(main())
    """
)


def test_a_kernel_without_a_jail_serves_on_and_answers_with_a_code(tmp_path):
    script = tmp_path / "windows_kernel.py"
    script.write_text(WINDOWS_KERNEL)
    cassette = ROOT / "cassettes" / "seed_scenarios.jsonl"
    kernel = KernelProcess(tmp_path, script=script, extra_args=["--llm-backend", "replay", "--cassette", str(cassette)])
    kernel.start()
    try:
        status = kernel.request({"command": "status"})
        assert status["status"] == "ok"
        assert status["result"]["jail"] == {"separate_process": False, "available": False, "reason": WINDOWS_REASON}
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "report_the_current_system_time"})
        assert reply["status"] == "error" and reply["error"]["code"] == "jail_unavailable", reply
        assert "cannot learn it" in reply["error"]["message"] and reply["error"]["selector"] == "report_the_current_system_time"
        described = kernel.request({"command": "send", "target": "genesis_obj", "selector": "describe"})
        assert described["status"] == "ok", described  # the object world works as ever
        assert kernel.request({"command": "ping"})["status"] == "ok"
    finally:
        code = kernel.terminate()
    assert code == 0, kernel.stderr()
    log = Path(kernel.log).read_text()
    assert log.count("the jail cannot start here") == 1, log
    assert "Traceback" not in log


# --- model files where symlinks need a privilege ------------------------------------------------


def test_model_files_are_hard_linked_where_symlinks_are_refused(tmp_path):
    """Windows without Developer Mode refuses symlinks (WinError 1314): the loader gets hard links."""
    from bat_os.models.files import CommittedFile, link_files

    blobs = tmp_path / "blobs"
    blobs.mkdir()
    files = []
    for name, data in (("config.json", b"{}"), ("model.safetensors", b"weights")):
        (blobs / name).write_bytes(data)
        files.append(CommittedFile(name, str(blobs / name), "-", len(data)))

    def refuse(source, target):
        raise OSError(1314, "A required privilege is not held by the client")

    into = link_files(files, tmp_path / "loaded" / "m1", symlink=refuse)
    for item in files:
        placed = into / item.name
        assert not placed.is_symlink() and placed.read_bytes() == Path(item.path).read_bytes()
        assert os.path.samefile(placed, item.path)  # a hard link: nothing was copied
    assert link_files(files, tmp_path / "loaded" / "m2").joinpath("config.json").is_symlink()  # the usual way

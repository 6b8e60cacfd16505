"""The kernel's process: its command line, starting it, stopping it, and words for how it ended.

Nothing here decides *when*: that is the watchdog's loop (:mod:`bat_os.supervise.watchdog`).
The clock and sleep are injected into :func:`terminate`.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from typing import Any, Callable

from bat_os.supervise.control import HERE, Settings

logger = logging.getLogger(__name__)


def kernel_command(settings: Settings) -> list[str]:
    return [sys.executable, str(HERE / "batos.py"), *settings.kernel_args]


def kernel_environment(settings: Settings, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: the watchdog's, plus where its state file is (``BATOS_WATCHDOG_STATE``:
    the kernel refuses to pack while that file says an upgrade runs)."""
    env = dict(os.environ if environ is None else environ)
    if settings.state_file is not None:
        env["BATOS_WATCHDOG_STATE"] = str(settings.state_file.absolute())
    return env


def spawn_kernel(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start the kernel; its stdout/stderr are the watchdog's."""
    # The kernel gets its own process group (its own session on POSIX), so that
    # Ctrl+C, Ctrl+Z or a closing terminal reach the watchdog only: it alone
    # decides when the kernel stops, and signals it exactly once. On Windows
    # CTRL_BREAK can then be sent to the kernel alone.
    kwargs: dict[str, Any] = {}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, env=env, **kwargs)


def ask_to_stop(proc: subprocess.Popen) -> str:
    """Send the polite stop signal; returns its name for the log."""
    if os.name == "nt":
        # Windows has no SIGTERM to send: CTRL_BREAK to the kernel's process group.
        proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        return "CTRL_BREAK"
    proc.send_signal(signal.SIGTERM)
    return "SIGTERM"


def terminate(
    proc: subprocess.Popen,
    grace: float,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    tick: float,
    hurry: Callable[[], bool] = lambda: False,
) -> int | None:
    """SIGTERM, wait up to ``grace`` seconds (less once ``hurry()``), then SIGKILL.

    Returns the exit code (None: the process survived SIGKILL).
    """
    code = proc.poll()
    if code is not None:
        return code
    try:
        sent = ask_to_stop(proc)
        logger.info("sent %s to kernel pid %d; waiting up to %gs", sent, proc.pid, grace)
    except OSError as exc:
        logger.warning("could not signal kernel pid %d: %s", proc.pid, exc)
    deadline = clock() + grace
    while not hurry() and clock() < deadline:
        code = proc.poll()
        if code is not None:
            return code
        sleep(tick)
    if proc.poll() is None:
        logger.warning("kernel pid %d still running %s; sending SIGKILL", proc.pid, "after a second stop request" if hurry() else f"{grace:g}s after the stop signal")
        try:
            proc.kill()
        except OSError as exc:
            logger.warning("could not kill kernel pid %d: %s", proc.pid, exc)
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        logger.critical("kernel pid %d survived SIGKILL", proc.pid)
        return None


def describe_exit(code: int | None) -> str:
    if code is None:
        return "could not be killed"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"

"""What differs between POSIX and Windows for the kernel's event loop, in one place.

* :func:`loop_factory` -- pyzmq's asyncio sockets need ``add_reader`` on the ZeroMQ
  file descriptor, which Windows' default (proactor) loop does not have: there the
  kernel runs on a selector loop. Elsewhere the default loop is already one.
* :func:`install_stop_signals` -- SIGINT/SIGTERM (and SIGBREAK, which the watchdog
  sends on Windows as CTRL_BREAK) ask the kernel to stop. Where the loop has no
  ``add_signal_handler`` (Windows), Python's own handlers are used, plus a wakeup
  socket: a Windows ``select()`` is not interrupted by a signal, so without it the
  handler would wait for the next network message to run.

Standard library only; the platform and the signals are arguments, so tests pass values.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from typing import Any, Callable, Sequence

logger = logging.getLogger(__name__)


def loop_factory(platform: str = sys.platform) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop for the kernel: a selector loop on Windows, None (asyncio's default) elsewhere.

    For ``asyncio.Runner(loop_factory=...)``, which unlike ``set_event_loop_policy`` changes
    nothing global (and is not deprecated in Python 3.14).
    """
    if platform == "win32":
        return asyncio.SelectorEventLoop  # on Windows this is the _WindowsSelectorEventLoop
    return None


def stop_signals() -> list[int]:
    """The signals that ask for a clean stop: SIGINT, SIGTERM and, on Windows, SIGBREAK (CTRL_BREAK)."""
    names = ("SIGINT", "SIGTERM", "SIGBREAK")
    return [getattr(signal, name) for name in names if hasattr(signal, name)]


def install_stop_signals(
    loop: asyncio.AbstractEventLoop, on_stop: Callable[[], None], signals: Sequence[int] | None = None,
) -> Callable[[], None]:
    """Call ``on_stop`` on ``loop`` when one of ``signals`` arrives. Returns the undo, for when the loop ends.

    Must be called from the main thread, on the loop's thread, before the loop waits.
    """
    signals = list(stop_signals() if signals is None else signals)
    try:
        for signum in signals:
            loop.add_signal_handler(signum, on_stop)
    except (NotImplementedError, RuntimeError):  # Windows' loops have no add_signal_handler
        for signum in signals:
            try:
                loop.remove_signal_handler(signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        return _install_with_wakeup(loop, on_stop, signals)
    return lambda: None  # asyncio removes its handlers when the loop closes


# Wakeup socket pairs in use. Never closed but by their undo: the C-level signal handler
# writes to the descriptor it was given, which must not be closed and reused meanwhile.
_wakeups: set[tuple[socket.socket, socket.socket]] = set()


def _install_with_wakeup(loop: asyncio.AbstractEventLoop, on_stop: Callable[[], None], signals: list[int]) -> Callable[[], None]:
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    try:
        previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except ValueError:  # not the main thread: signals cannot be handled from here at all
        reader.close()
        writer.close()
        logger.warning("stop signals are not handled: the event loop does not run in the main thread")
        return lambda: None
    pair = (reader, writer)
    _wakeups.add(pair)

    def drain() -> None:  # the bytes are signal numbers; the handlers below do the work
        try:
            while reader.recv(512):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:  # closed under us by the undo
            pass

    loop.add_reader(reader.fileno(), drain)

    def handler(signum: int, frame: Any) -> None:  # runs on the main thread, between bytecodes
        try:
            loop.call_soon_threadsafe(on_stop)
        except RuntimeError:  # the loop is closed: the stop is under way already
            pass

    for signum in signals:
        signal.signal(signum, handler)
    logger.debug("stop signals %s handled with a wakeup socket (the loop has no signal handlers)", signals)

    def undo() -> None:
        # The Python handlers stay (they do nothing once the loop is closed); the wakeup
        # descriptor is reset before its socket is closed, so no signal writes to a reused fd.
        if pair not in _wakeups:
            return
        _wakeups.discard(pair)
        signal.set_wakeup_fd(previous_fd)
        try:
            loop.remove_reader(reader.fileno())
        except (RuntimeError, ValueError, OSError):  # the loop is closed already
            pass
        reader.close()
        writer.close()

    return undo


def fsync_path(path: Any) -> None:
    """Flush a file to disk (its data and size)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Any) -> None:
    """Flush a directory's entries (a rename or a new file in it) to disk; nothing to do on Windows."""
    if os.name == "posix":
        fsync_path(folder)

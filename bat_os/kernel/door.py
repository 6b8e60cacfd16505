"""The kernel's door while it starts: its socket bound first, ``ping`` answered at once, everything else kept.

Between ``python batos.py`` and a kernel that serves lie half a second or more of work on a small machine: the
kernel's modules imported, the image opened and awakened (a new one's migrations ingest the codex), the jail's
workers started. A watchdog or a client asking "are you there?" need not wait for all that, and a watchdog that
restarts a killed kernel should see it back as soon as it is. So once ``batos.py`` knows its endpoint, it opens the
door (:class:`Door`): the ROUTER socket is bound, and a thread answers each ``ping`` with
``{"pong": true, "uptime", "starting": true}`` while the rest starts. Any other message is kept, in order; when the
kernel serves, its bridge takes the socket over (:meth:`Door.hand_over`) and the kernel answers the kept messages
first, then what comes. Nothing is lost and nothing is answered before the kernel can: a request sent to a
starting kernel is answered when it has started (its ``timeout`` counts from then).

A stop signal (SIGTERM, Ctrl-C) that comes while the door is open is remembered (:attr:`Door.stop_requested`):
the kernel stops as soon as it serves, cleanly, instead of dying half started.

Only this module's thread touches the socket until :meth:`hand_over` has joined it; the event loop's thread
(:class:`bat_os.kernel.bridge.Bridge`) owns it after that. No ZODB here.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any, Callable

from bat_os import oscompat, protocol
from bat_os.kernel.bridge import bound, split

logger = logging.getLogger(__name__)

MAX_KEPT = 10_000  # messages kept for the kernel; more wait in the socket (its high-water mark, then the client's)
POLL_MS = 20  # how often the thread looks at its stop flag while nothing comes


class Door:
    """A bound ROUTER socket answering ``ping`` from a thread of its own until the kernel takes it over."""

    def __init__(self, endpoint: str, max_frame_bytes: int, *, clock: Callable[[], float] = time.monotonic,
                 catch_signals: bool = False) -> None:
        import zmq

        self._zmq = zmq
        self.clock = clock
        self.started = clock()
        self.max_frame_bytes = max_frame_bytes
        self.ctx, self.sock = bound(endpoint, max_frame_bytes)
        self.kept: list[list[bytes]] = []
        self.pinged = 0
        self.stop_requested = False
        self._closing = threading.Event()
        if catch_signals:  # before the first pong
            self._catch_signals()
        self._thread: threading.Thread | None = threading.Thread(target=self._serve, name="batos-door", daemon=True)
        self._thread.start()

    # --- the thread ------------------------------------------------------------------------
    def _serve(self) -> None:
        zmq, sock = self._zmq, self.sock
        while not self._closing.is_set():
            if len(self.kept) >= MAX_KEPT or not sock.poll(POLL_MS, zmq.POLLIN):
                if len(self.kept) >= MAX_KEPT:
                    self._closing.wait(POLL_MS / 1000)
                continue
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.ZMQError:
                continue
            reply = self._pong(frames)
            if reply is None:
                self.kept.append(frames)
                continue
            try:
                sock.send_multipart(reply, zmq.NOBLOCK)
                self.pinged += 1
            except zmq.ZMQError as exc:  # a ROUTER drops what it cannot deliver; nothing to do but say so
                logger.debug("could not answer a ping while starting: %s", exc)

    def _pong(self, frames: list[bytes]) -> list[bytes] | None:
        """The reply to a well-formed ``ping``; None for anything else (the kernel answers it, mistakes included)."""
        incoming = split(frames)
        if incoming.envelope is None or incoming.problem or len(incoming.payload) > self.max_frame_bytes:
            return None
        try:
            message = protocol.decode(incoming.payload)
            protocol.check_request(message)
        except protocol.DecodeError:
            return None
        if message["command"] != "ping":
            return None
        result = {"pong": True, "uptime": round(self.clock() - self.started, 3), "starting": True}
        return incoming.envelope.frames(protocol.encode(protocol.ok(message.get("id"), result)))

    # --- signals -----------------------------------------------------------------------------
    def _catch_signals(self) -> None:
        """SIGINT, SIGTERM (SIGBREAK on Windows) remembered while starting; the kernel's own handlers replace these."""
        for signum in oscompat.stop_signals():
            try:
                signal.signal(signum, self._on_signal)
            except (ValueError, OSError):  # not the main thread
                pass

    def _on_signal(self, signum: int, frame: Any) -> None:
        if not self.stop_requested:
            logger.info("stop requested while starting (signal %d): the kernel stops once it serves", signum)
        self.stop_requested = True

    # --- the end -----------------------------------------------------------------------------
    def hand_over(self) -> tuple[Any, Any, list[list[bytes]]]:
        """Stop answering; the context, the socket and the messages kept (in order) now belong to the caller."""
        self._join()
        kept, self.kept = self.kept, []
        return self.ctx, self.sock, kept

    def close(self, why: str = "the kernel could not start") -> None:
        """Stop answering, refuse what was kept (``shutting_down``, with ``why``) and close the socket: a kernel
        that did not start."""
        if not self._join():
            return
        for frames in self.kept:
            incoming = split(frames)
            if incoming.envelope is None:
                continue
            try:
                message = protocol.decode(incoming.payload) if incoming.payload is not None else None
            except protocol.DecodeError:
                message = None
            request_id = message.get("id") if isinstance(message, dict) else None
            reply = protocol.error(request_id if isinstance(request_id, (str, int, float, bool)) else None, "shutting_down", why)
            try:
                self.sock.send_multipart(incoming.envelope.frames(protocol.encode(reply)), self._zmq.NOBLOCK)
            except self._zmq.ZMQError:
                pass
        self.kept = []
        self.sock.close(linger=500)
        self.ctx.term()

    def _join(self) -> bool:
        if self._thread is None:
            return False
        self._closing.set()
        self._thread.join()
        self._thread = None
        return True

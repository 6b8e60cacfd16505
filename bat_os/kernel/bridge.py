"""The ZeroMQ side of the kernel: frames in, frames out. No ZODB here.

A ROUTER socket receives ``[identity, payload]`` from DEALER clients and
``[identity, b"", payload]`` from REQ clients. :func:`split` tells them
apart (and spots multi-frame garbage); :class:`Envelope` addresses the
answer. REQ clients take exactly one reply per request, so they never get
progress events.

:class:`Bridge` drives a plain (non-asyncio) socket from the event loop's
reader callback: when the socket's FD signals, it receives every waiting
message without blocking and hands each to ``on_frames``; sends never block
(a ROUTER drops what it cannot deliver). This costs no future per message,
unlike ``zmq.asyncio`` (measured here: ~130 µs of kernel CPU per request
less). The ZeroMQ FD is edge-triggered, so after every send the bridge looks
at ``EVENTS`` again and schedules a read if messages are waiting.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Iterator, NamedTuple

logger = logging.getLogger(__name__)

#: Messages handled per reader callback before giving other tasks a turn.
BATCH = 64


class Envelope(NamedTuple):  # a tuple, not a frozen dataclass: made for every message (~0.5 us less each)
    identity: bytes
    req: bool  # a REQ client (empty delimiter frame): one reply, no events

    def frames(self, payload: bytes) -> list[bytes]:
        return [self.identity, b"", payload] if self.req else [self.identity, payload]


def lasting(identity: bytes) -> bool:
    """Whether ``identity`` still names the same client once the kernel has restarted: one the client chose
    (``ZMQ_ROUTING_ID``; libzmq refuses chosen ones that begin with a zero byte). libzmq's own are a zero byte
    and a counter that starts at the same value in every process (``006b8b4567``, then ``...68``): they name a
    connection to this process, and after a restart the same bytes name whichever client connected in that place."""
    return bool(identity) and identity[0] != 0


def lasting_envelope(reply_to: dict | None) -> Envelope | None:
    """Where to answer a client that waited on an earlier kernel process (a cycle's ``reply_to``: identity, req):
    its envelope if its identity is :func:`lasting`, else None (it cannot be reached)."""
    if reply_to and lasting(reply_to.get("identity") or b""):
        return Envelope(reply_to["identity"], reply_to.get("req", False))
    return None


class Incoming(NamedTuple):
    envelope: Envelope | None  # None: nothing to answer (no identity frame)
    payload: bytes | None  # None when the frames are malformed
    problem: str | None = None


def split(frames: list[bytes]) -> Incoming:
    """Classify a ROUTER message: DEALER, REQ, or garbage (with a reason)."""
    if len(frames) < 2:
        return Incoming(None, None, "message without identity and payload")
    identity, rest = frames[0], frames[1:]
    if len(rest) == 1:
        return Incoming(Envelope(identity, req=False), rest[0])
    if len(rest) == 2 and rest[0] == b"":
        return Incoming(Envelope(identity, req=True), rest[1])
    req = rest[0] == b""
    return Incoming(
        Envelope(identity, req=req),
        None,
        f"expected one payload frame, got {len(rest) - (1 if req else 0)} frames",
    )


def bind_socket(ctx, endpoint: str, max_frame_bytes: int):
    """A ROUTER socket bound to ``endpoint``."""
    import zmq

    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 1000)
    # Frames up to the limit get a "too_large" reply; far larger ones are cut
    # off by libzmq (the connection is dropped) so they never fill memory.
    sock.setsockopt(zmq.MAXMSGSIZE, max_frame_bytes * 4 + 65536)
    sock.setsockopt(zmq.RCVHWM, 10000)
    sock.setsockopt(zmq.SNDHWM, 10000)
    try:
        sock.bind(endpoint)
    except zmq.ZMQError:
        sock.close(linger=0)  # else the context's term() waits on it forever
        raise
    return sock


def bound(endpoint: str, max_frame_bytes: int) -> tuple[Any, Any]:
    """A new ZeroMQ context and a ROUTER socket of it bound to ``endpoint`` (the context ended if the bind fails)."""
    import zmq

    ctx = zmq.Context()
    try:
        return ctx, bind_socket(ctx, endpoint, max_frame_bytes)
    except zmq.ZMQError:
        ctx.term()
        raise


class Bridge:
    """A bound ROUTER socket served from the event loop's reader callback."""

    def __init__(self, endpoint: str, max_frame_bytes: int, on_frames: Callable[[list[bytes]], None],
                 adopt: tuple[Any, Any] | None = None) -> None:
        """Bind ``endpoint``; or ``adopt`` a (context, socket) already bound (:meth:`bat_os.kernel.door.Door.hand_over`)."""
        import zmq

        self._zmq = zmq
        self.ctx, self.sock = adopt if adopt is not None else bound(endpoint, max_frame_bytes)
        self._fd = self.sock.getsockopt(zmq.FD)
        self._on_frames = on_frames
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading = False
        self._scheduled = False
        self._in_read = False
        # pyzmq's flags and options are enums, and its send_multipart checks every frame: on every request
        # they cost ~5 us of the kernel's ~20 here (bench/perf/profile_send.py), so the hot path uses plain ints.
        self._noblock, self._more = int(zmq.NOBLOCK), int(zmq.NOBLOCK | zmq.SNDMORE)
        self._events, self._pollin = int(zmq.EVENTS), int(zmq.POLLIN)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._reading = True
        loop.add_reader(self._fd, self._on_readable)
        self._schedule_read()  # messages may have arrived before the reader was added

    def pause(self) -> None:
        """Stop taking new messages (they wait in the socket; see :meth:`drain`)."""
        if self._reading:
            self._reading = False
            self._loop.remove_reader(self._fd)

    def _schedule_read(self) -> None:
        if self._reading and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._on_readable)

    def _on_readable(self) -> None:
        self._scheduled = False
        self._in_read = True  # what handlers send meanwhile need not look at EVENTS: the loop below does next
        try:
            more = self._read_batch()
        finally:
            self._in_read = False
        if more:
            self._schedule_read()  # more may be waiting: let other tasks in first

    def _read_batch(self) -> bool:
        """Receive and hand on up to BATCH messages; True when more may be waiting."""
        zmq = self._zmq
        for i in range(BATCH):
            if not self._reading:
                return False
            if i and not self.more_waiting():  # cheaper than a receive that raises Again
                return False
            try:
                frames = self.sock.recv_multipart(self._noblock)
            except zmq.Again:
                return False
            except zmq.ZMQError as exc:
                logger.warning("receive failed: %s", exc)
                return False
            try:
                self._on_frames(frames)
            except Exception:  # the bridge must survive anything a client sends
                logger.exception("handling a message failed; continuing")
        return True

    def more_waiting(self) -> bool:
        return bool(self.sock.getsockopt(self._events) & self._pollin)

    def send(self, frames: list[bytes]) -> bool:
        """Send without blocking; False when the message could not be queued. (A ROUTER never blocks: what it
        cannot deliver it drops, so no frame of a message goes out without the rest.)"""
        zmq = self._zmq
        sock, more, last = self.sock, self._more, len(frames) - 1
        try:
            for i in range(last):
                sock.send(frames[i], more)
            sock.send(frames[last], self._noblock)
            sent = True
        except zmq.ZMQError as exc:
            logger.warning("could not answer a client: %s", exc)
            sent = False
        # The send may have eaten the FD's edge: look at EVENTS, unless this is a handler's answer inside
        # _on_readable, whose loop looks next anyway (one ZMQ_EVENTS query, a poll() syscall, less per request).
        if self._reading and not self._in_read and self.more_waiting():
            self._schedule_read()
        return sent

    def drain(self, quiet: float = 0.0, limit: int = 100_000) -> Iterator[list[bytes]]:
        """Messages waiting in the socket (used at shutdown); with ``quiet``, also those that come until nothing
        has for ``quiet`` seconds (a blocking wait: the kernel waits in :meth:`bat_os.kernel.intake.Intake.refuse_late`
        instead, with its loop running). A client's messages queued before the stop can still be crossing the
        connection when the socket first reads empty (CI saw all 2000 of a test's requests come after that)."""
        zmq = self._zmq
        for _ in range(limit):
            try:
                yield self.sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                if not self.sock.poll(int(quiet * 1000), zmq.POLLIN):
                    return
            except zmq.ZMQError:
                return

    def close(self, linger_ms: int = 500) -> None:
        self.pause()
        self.sock.close(linger=linger_ms)
        self.ctx.term()

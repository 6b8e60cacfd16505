"""The ZeroMQ side of the kernel: frames in, frames out. No ZODB here.

A ROUTER socket receives ``[identity, payload]`` from DEALER clients and
``[identity, b"", payload]`` from REQ clients. :func:`split` tells them
apart (and spots multi-frame garbage); :class:`Envelope` addresses the
answer. REQ clients take exactly one reply per request, so they never get
progress events.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Envelope:
    identity: bytes
    req: bool  # a REQ client (empty delimiter frame): one reply, no events

    def frames(self, payload: bytes) -> list[bytes]:
        return [self.identity, b"", payload] if self.req else [self.identity, payload]


@dataclass(frozen=True)
class Incoming:
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
    """A ROUTER socket bound to ``endpoint``, inside the running loop."""
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

"""Requests in flight on one DEALER socket, without I/O: what goes out, where each frame goes, when a pong
means a new kernel.

Both clients of the kernel route through this module: the console's
:class:`~bat_os.console.connection.Connection` (blocking sockets) and the web inspector's
:class:`~bat_os.web.link.KernelLink` (asyncio). Each owns its socket and its waiting; the wire and its rules
are here, once::

    out:  {**message, "id": <int>, "timeout": <seconds>, "events": true}   (ping: no timeout; events: asked for)
    in:   {"id": <int>, "status": "event", "event": {...}}   -> the request's event handler; it is still in flight
          {"id": <int>, "status": "ok" | "error", ...}        -> its final reply, kept until taken
          a frame for an id not in flight, or not a map       -> dropped and counted (a late reply to a
                                                                 request given up on)

Liveness: a pong's ``uptime`` below how long the client knows the kernel has been up, by more than
:data:`RESTART_SLACK`, comes from a new kernel (the watchdog brought it back): :func:`restarted`.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

from bat_os import protocol

# Seconds a pong's uptime may fall short of what the client knows before it means a new kernel. It absorbs
# the pong's transit and a client that was descheduled between reading the frame and its clock (milliseconds
# to a tenth of a second on a loaded machine). It is no larger, because the watchdog brings a killed kernel
# back within about 0.5 s (bench_watchdog.py): a larger slack would miss more of the restarts that happen
# just after a request is sent.
RESTART_SLACK = 0.5

EventHandler = Callable[[dict], None]


def decode(frame: bytes) -> dict | None:
    """A frame as the map it carries, or None (not msgpack, or not a map)."""
    try:
        reply = protocol.decode(frame)
    except protocol.DecodeError:
        return None
    return reply if isinstance(reply, dict) else None


def pong_of(reply: dict | None) -> dict | None:
    """A ping's answer, ``{"pong": true, "uptime": ...}``, or None when ``reply`` is not one."""
    if reply is not None and reply.get("status") == "ok" and isinstance(reply.get("result"), dict):
        return reply["result"]
    return None


def restarted(uptime: Any, up_for: float) -> bool:
    """Whether a pong's ``uptime`` comes from a newer kernel than one known to have been up ``up_for`` seconds
    (the console: since it sent the request in flight; the web: the last pong's uptime). No uptime: no."""
    return isinstance(uptime, (int, float)) and uptime + RESTART_SLACK < up_for


class Requests:
    """The requests in flight on one socket, by id. ``lone_error_to_oldest``: an error frame without an id (the
    kernel could not decode the request: ``too_large``) answers the oldest request in flight; right only for a
    socket that is replaced after every abandoned wait (the console's)."""

    def __init__(self, *, lone_error_to_oldest: bool = False) -> None:
        self.lone_error_to_oldest = lone_error_to_oldest
        self._ids = itertools.count(1)
        self._handlers: dict[int, EventHandler | None] = {}  # in flight: its event handler
        self._finals: dict[int, dict] = {}  # final replies routed but not yet taken
        self.discarded = 0  # stale or undecodable frames dropped

    def open(self, message: dict, *, timeout: float, on_event: EventHandler | None = None) -> tuple[int, bytes]:
        """``message`` as a request in flight: (its id, the frame to send). The kernel is told the ``timeout``
        (it drops a request rather than run it after the client gave up) and, with ``on_event``, to send
        progress events. A frame that cannot be sent: :meth:`forget` it."""
        request_id = next(self._ids)
        message = dict(message, id=request_id)
        if message.get("command") != "ping":
            message.setdefault("timeout", timeout)
        if on_event is not None:
            message["events"] = True
        payload = protocol.encode(message)
        self._handlers[request_id] = on_event
        return request_id, payload

    def route(self, reply: dict | None) -> int | None:
        """Route one decoded frame (None: undecodable): an event to its handler (run now), a final reply kept
        for :meth:`final`. The id of the request it answered, or None when it was dropped."""
        request_id = self._answering(reply) if reply is not None else None
        if request_id is None:
            self.discarded += 1
            return None
        if reply.get("status") == "event":
            handler = self._handlers[request_id]
            if handler is not None:
                handler(reply)
        else:
            del self._handlers[request_id]
            self._finals[request_id] = reply
        return request_id

    def _answering(self, reply: dict) -> int | None:
        request_id = reply.get("id")
        if isinstance(request_id, int) and request_id in self._handlers:
            return request_id
        if self.lone_error_to_oldest and request_id is None and reply.get("status") == "error" and self._handlers:
            return min(self._handlers)
        return None

    def final(self, request_id: int) -> dict | None:
        """The final reply to a request, once routed (taken: asked once)."""
        return self._finals.pop(request_id, None)

    def in_flight(self, request_id: int) -> bool:
        """True until its final reply is routed (or it was forgotten, or everything was cleared)."""
        return request_id in self._handlers

    def forget(self, request_id: int) -> None:
        """Stop waiting for a request: its late frames are dropped."""
        self._handlers.pop(request_id, None)
        self._finals.pop(request_id, None)

    def clear(self) -> None:
        self._handlers.clear()
        self._finals.clear()


__all__ = ["RESTART_SLACK", "EventHandler", "Requests", "decode", "pong_of", "restarted"]

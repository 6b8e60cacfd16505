"""Talking to the kernel: one DEALER socket, one request at a time, every wait bounded.

Replies carry the request's id; one with another id (a late answer to a
request we gave up on) is dropped. After a timeout or an interrupt the
socket is replaced, so such late answers cannot even arrive.

Liveness: while a long request runs, the kernel may be silent (a model is
loading). When no frame has come for ``probe_after`` seconds the connection
asks ``ping`` on a separate, short-lived socket (the kernel answers ping at
once, even when busy). No pong within ``probe_timeout`` raises
:class:`KernelDown` at once instead of waiting out the whole timeout; a pong
from a kernel younger than the request means it restarted meanwhile (the
watchdog brought it back) and the request is lost: :class:`KernelDown` too.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Callable

import zmq

from bat_os import protocol

from .errors import KernelDown, NoReply

DEFAULT_TIMEOUT = 10.0  # seconds to wait for a reply to a quick request
POLL_SLICE = 0.2  # wait in slices so Ctrl+C is noticed promptly
RESTART_SLACK = 1.0  # a pong's uptime this much under the request's age: a new kernel

EventHandler = Callable[[dict], None]


class Connection:
    """The console's link to one kernel endpoint."""

    def __init__(
        self,
        endpoint: str,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        probe_after: float = 3.0,  # silence that starts a liveness probe
        probe_timeout: float = 2.0,  # how long the probe waits for its pong
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.probe_after = probe_after
        self.probe_timeout = probe_timeout
        self.clock = clock
        self._context = zmq.Context()
        self._socket: zmq.Socket | None = None
        self._ids = itertools.count(1)
        self.discarded = 0  # stale or undecodable frames dropped

    def request(self, message: dict, *, timeout: float | None = None, on_event: EventHandler | None = None) -> dict:
        """Send ``message`` and return the final reply (``ok``, ``error``, or whatever else the kernel said).

        With ``on_event``, asks for progress events and passes each one on;
        any frame also restarts the timeout (the kernel is working on it).
        Raises :class:`NoReply` when nothing comes back within the timeout,
        :class:`KernelDown` when the kernel stops answering ping meanwhile.
        """
        wait = self.timeout if timeout is None else timeout
        request_id = next(self._ids)
        message = dict(message, id=request_id)
        if message.get("command") != "ping":
            # The kernel drops the request rather than run it after we gave up.
            message.setdefault("timeout", wait)
        if on_event is not None:
            message["events"] = True
        payload = protocol.encode(message)
        sock = self._connect()
        try:
            try:
                sock.send(payload, zmq.NOBLOCK)
            except zmq.Again:
                raise NoReply(f"could not queue the request to {self.endpoint}") from None
            return self._wait(sock, request_id, wait, on_event)
        except BaseException:  # NoReply, KeyboardInterrupt, ...: start afresh next time
            self._reset()
            raise

    def _wait(self, sock: zmq.Socket, request_id: int, wait: float, on_event: EventHandler | None) -> dict:
        sent_at = self.clock()
        deadline = sent_at + wait
        last_frame = sent_at
        alive: bool | None = None
        while True:
            now = self.clock()
            if now >= deadline:
                raise NoReply(f"no reply from the kernel at {self.endpoint} within {wait:g}s", alive=alive)
            if now - last_frame >= self.probe_after:
                alive = self._probe(sent_at)
                last_frame = self.clock()
                continue
            slice_s = min(POLL_SLICE, deadline - now, self.probe_after - (now - last_frame))
            if not sock.poll(max(1, int(slice_s * 1000))):
                continue
            last_frame = self.clock()
            reply = self._decode(sock.recv())
            if reply is None or not self._answers(reply, request_id):
                self.discarded += 1
                continue
            deadline = last_frame + wait  # a frame about it: the kernel is working on it
            if reply.get("status") == "event":
                if on_event is not None:
                    on_event(reply)
                continue
            return reply

    def _probe(self, sent_at: float) -> bool:
        """Ping on a separate socket; raise :class:`KernelDown` when no kernel, or a new one, answers."""
        pong = self.ping(self.probe_timeout)
        if pong is None:
            raise KernelDown(f"the kernel at {self.endpoint} stopped answering (no pong within {self.probe_timeout:g}s)")
        uptime = pong.get("uptime")
        age = self.clock() - sent_at
        if isinstance(uptime, (int, float)) and uptime < age - RESTART_SLACK:
            raise KernelDown(f"the kernel at {self.endpoint} restarted (up {uptime:.1f}s) while working on the request", restarted=True)
        return True

    def ping(self, timeout: float) -> dict | None:
        """One ``ping`` on a fresh socket: the pong's result (``{"pong", "uptime"}``), or None within ``timeout``."""
        sock = self._context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        try:
            sock.connect(self.endpoint)
            sock.send(protocol.encode({"command": "ping", "id": "probe"}), zmq.NOBLOCK)
            deadline = self.clock() + timeout
            while (remaining := deadline - self.clock()) > 0:
                if not sock.poll(max(1, int(min(POLL_SLICE, remaining) * 1000))):
                    continue
                reply = self._decode(sock.recv())
                if reply is not None and reply.get("status") == "ok" and isinstance(reply.get("result"), dict):
                    return reply["result"]
            return None
        except zmq.Again:
            return None
        finally:
            sock.close(linger=0)

    def wait_for_kernel(self, seconds: float, *, attempt: float = 0.5, pause: float = 0.2) -> dict | None:
        """Ping (a fresh socket each try) until the kernel answers or ``seconds`` pass: the pong, or None."""
        deadline = self.clock() + seconds
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                return None
            pong = self.ping(min(attempt, remaining))
            if pong is not None:
                return pong
            remaining = deadline - self.clock()
            if remaining > 0:
                time.sleep(min(pause, remaining))

    @staticmethod
    def _decode(frame: bytes) -> dict | None:
        try:
            reply = protocol.decode(frame)
        except protocol.DecodeError:
            return None
        return reply if isinstance(reply, dict) else None

    @staticmethod
    def _answers(reply: dict, request_id: int) -> bool:
        if reply.get("id") == request_id:
            return True
        # A frame the kernel could not decode (e.g. too_large) is answered
        # without an id; the socket is fresh after every abandoned wait, so
        # an id-less error can only be about the request in flight.
        return reply.get("id") is None and reply.get("status") == "error"

    def _connect(self) -> zmq.Socket:
        if self._socket is None:
            sock = self._context.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(self.endpoint)
            self._socket = sock
        return self._socket

    def _reset(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def close(self) -> None:
        self._reset()
        self._context.term()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


__all__ = ["Connection", "DEFAULT_TIMEOUT", "KernelDown", "NoReply"]

"""Talking to the kernel: one DEALER socket, replies routed by request id, every wait bounded.

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

What is sent, how frames are routed and when a pong means a new kernel are
:mod:`.routing`'s, shared with the web inspector's link; this module owns the
blocking socket and the waiting.

Several requests in flight: while :meth:`Connection.request` waits, an event
handler may :meth:`~Connection.submit` another request on the same socket (a
person answering a cycle's question) and :meth:`~Connection.pump` until its
:meth:`~Connection.final` reply comes. Every frame is routed by its id as it
arrives, whoever is receiving: events to their request's handler, final
replies kept until taken. Time a handler spends (a person typing) is not
counted as the kernel's silence.

A kernel on another machine is reached over CURVE (:class:`Curve`, from the key files
``python batos.py remote add`` made; the kernel's side is :mod:`bat_os.kernel.remote`): every
socket this module opens, the liveness probe's too, authenticates with the client's key and
checks the kernel's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import zmq

from bat_os import protocol

from .errors import KernelDown, NoReply
from .routing import EventHandler, Requests, decode, pong_of, restarted

DEFAULT_TIMEOUT = 10.0  # seconds to wait for a reply to a quick request
POLL_SLICE = 0.2  # wait in slices so Ctrl+C is noticed promptly


@dataclass(frozen=True)
class Curve:
    """The keys of a CURVE connection: the kernel's public key, and the client's pair."""

    server_public: bytes
    public: bytes
    secret: bytes

    @classmethod
    def from_files(cls, server_key: Path | str, client_secret: Path | str) -> "Curve":
        """zmq.auth's certificate files: the kernel's ``server.key`` and the client's ``NAME.key_secret``
        (ValueError when either cannot be read or holds no key)."""
        import zmq.auth

        try:
            server_public, _ = zmq.auth.load_certificate(str(server_key))
            public, secret = zmq.auth.load_certificate(str(client_secret))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read the CURVE keys: {exc}") from exc
        if secret is None:
            raise ValueError(f"{client_secret} holds no secret key: give the client's NAME.key_secret file")
        return cls(server_public, public, secret)

    def apply(self, sock: zmq.Socket) -> None:
        sock.curve_serverkey = self.server_public
        sock.curve_publickey = self.public
        sock.curve_secretkey = self.secret


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
        curve: Curve | None = None,  # a kernel on another machine (bat_os.kernel.remote)
    ) -> None:
        self.endpoint = endpoint
        self.curve = curve
        self.timeout = timeout
        self.probe_after = probe_after
        self.probe_timeout = probe_timeout
        self.clock = clock
        self._context = zmq.Context()
        self._socket: zmq.Socket | None = None
        # Fresh after every abandoned wait (_reset), so an id-less error can only be about a request in flight.
        self._requests = Requests(lone_error_to_oldest=True)

    @property
    def discarded(self) -> int:
        """Stale or undecodable frames dropped."""
        return self._requests.discarded

    def request(self, message: dict, *, timeout: float | None = None, on_event: EventHandler | None = None) -> dict:
        """Send ``message`` and return the final reply (``ok``, ``error``, or whatever else the kernel said).

        With ``on_event``, asks for progress events and passes each one on;
        any frame also restarts the timeout (the kernel is working on it).
        Raises :class:`NoReply` when nothing comes back within the timeout,
        :class:`KernelDown` when the kernel stops answering ping meanwhile.
        """
        wait = self.timeout if timeout is None else timeout
        try:
            request_id = self.submit(message, timeout=wait, on_event=on_event)
            return self._wait(request_id, wait)
        except BaseException:  # NoReply, KeyboardInterrupt, ...: start afresh next time
            self._reset()
            raise

    def submit(self, message: dict, *, timeout: float | None = None, on_event: EventHandler | None = None) -> int:
        """Send ``message`` without waiting: its id. Its events go to ``on_event`` as frames are routed
        (:meth:`pump`), its final reply to :meth:`final`. Raises :class:`NoReply` when it cannot be queued."""
        wait = self.timeout if timeout is None else timeout
        request_id, payload = self._requests.open(message, timeout=wait, on_event=on_event)
        try:
            self._connect().send(payload, zmq.NOBLOCK)
        except zmq.Again:
            self._requests.forget(request_id)
            raise NoReply(f"could not queue the request to {self.endpoint}") from None
        return request_id

    def final(self, request_id: int) -> dict | None:
        """The final reply to a submitted request, once it has been routed (taken: asked once)."""
        return self._requests.final(request_id)

    def in_flight(self, request_id: int) -> bool:
        """True until the request's final reply has been routed (or it was forgotten, or the socket reset)."""
        return self._requests.in_flight(request_id)

    def forget(self, request_id: int) -> None:
        """Stop waiting for a submitted request: its late frames are dropped."""
        self._requests.forget(request_id)

    def pump(self, timeout: float) -> int | None:
        """Route the frames that come within ``timeout`` seconds (0: those already here), running event
        handlers meanwhile; the id of the last request a frame answered, or None."""
        routed = None
        received, request_id = self._receive(timeout)
        while received:
            routed = request_id if request_id is not None else routed
            received, request_id = self._receive(0)
        return routed

    def _wait(self, request_id: int, wait: float) -> dict:
        sent_at = self.clock()
        deadline = sent_at + wait
        last_frame = sent_at
        alive: bool | None = None
        while True:
            reply = self.final(request_id)  # perhaps routed while a handler pumped
            if reply is not None:
                return reply
            now = self.clock()
            if now >= deadline:
                raise NoReply(f"no reply from the kernel at {self.endpoint} within {wait:g}s", alive=alive)
            if now - last_frame >= self.probe_after:
                alive = self._probe(sent_at)
                last_frame = self.clock()
                continue
            slice_s = min(POLL_SLICE, deadline - now, self.probe_after - (now - last_frame))
            received, routed = self._receive(slice_s)
            if received:
                last_frame = self.clock()  # after the handlers: a person answering is not the kernel's silence
            if routed == request_id:
                deadline = last_frame + wait  # a frame about it: the kernel is working on it

    def _receive(self, timeout: float) -> tuple[bool, int | None]:
        """One frame within ``timeout``, routed: (whether a frame came, the id of the request it answered)."""
        sock = self._connect()
        if not sock.poll(max(0, int(timeout * 1000))):
            return False, None
        return True, self._requests.route(decode(sock.recv()))

    def _probe(self, sent_at: float) -> bool:
        """Ping on a separate socket; raise :class:`KernelDown` when no kernel, or a new one, answers."""
        pong = self.ping(self.probe_timeout)
        if pong is None:
            raise KernelDown(f"the kernel at {self.endpoint} stopped answering (no pong within {self.probe_timeout:g}s)")
        uptime = pong.get("uptime")
        if restarted(uptime, self.clock() - sent_at):
            raise KernelDown(f"the kernel at {self.endpoint} restarted (up {uptime:.1f}s) while working on the request", restarted=True)
        return True

    def ping(self, timeout: float) -> dict | None:
        """One ``ping`` on a fresh socket: the pong's result (``{"pong", "uptime"}``), or None within ``timeout``."""
        sock = self._socket_to_kernel()
        try:
            sock.send(protocol.encode({"command": "ping", "id": "probe"}), zmq.NOBLOCK)
            deadline = self.clock() + timeout
            while (remaining := deadline - self.clock()) > 0:
                if not sock.poll(max(1, int(min(POLL_SLICE, remaining) * 1000))):
                    continue
                pong = pong_of(decode(sock.recv()))
                if pong is not None:
                    return pong
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

    def _connect(self) -> zmq.Socket:
        if self._socket is None:
            self._socket = self._socket_to_kernel()
        return self._socket

    def _socket_to_kernel(self) -> zmq.Socket:
        sock = self._context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        if self.curve is not None:
            self.curve.apply(sock)
        sock.connect(self.endpoint)
        return sock

    def _reset(self) -> None:
        self._requests.clear()
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


__all__ = ["Connection", "Curve", "DEFAULT_TIMEOUT", "KernelDown", "NoReply"]

"""Talking to the kernel: a ZeroMQ DEALER that pings it, or asks it one request and waits."""

from __future__ import annotations

import logging
import time

import zmq

from bat_os import protocol

logger = logging.getLogger(__name__)


class Pinger:
    """A sync DEALER for one endpoint; a fresh socket after every missed reply.

    The loop uses :meth:`send`/:meth:`receive` (a ping in flight while it
    watches the process); the upgrade gate uses :meth:`ask` (one request,
    waited for).
    """

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.ctx = zmq.Context()
        self.sock: zmq.Socket | None = None
        self.counter = 0
        self.pending: int | None = None  # id of the request awaiting its reply

    def _socket(self) -> zmq.Socket:
        if self.sock is None:
            self.sock = self.ctx.socket(zmq.DEALER)
            self.sock.setsockopt(zmq.LINGER, 0)
            self.sock.connect(self.endpoint)
        return self.sock

    def send(self, message: dict | None = None) -> None:
        self.counter += 1
        self.pending = self.counter
        try:
            self._socket().send(protocol.encode({**(message or {"command": "ping"}), "id": self.pending}), zmq.NOBLOCK)
        except zmq.Again:  # nowhere to queue it: counts as unanswered
            logger.debug("request %d could not be queued", self.pending)

    def receive(self, timeout: float) -> dict | None:
        """Wait up to ``timeout`` seconds for the final reply to the pending request."""
        if self.pending is None or self.sock is None:
            return None
        deadline = time.monotonic() + timeout
        while True:
            if not self.sock.poll(max(0, int((deadline - time.monotonic()) * 1000))):
                return None
            while self.sock.poll(0):
                try:
                    reply = protocol.decode(self.sock.recv())
                except protocol.DecodeError as exc:
                    logger.warning("undecodable reply: %s", exc)
                    continue
                if isinstance(reply, dict) and reply.get("id") == self.pending and reply.get("status") != "event":
                    self.pending = None
                    return reply
                logger.debug("ignoring a stale reply or event: %r", reply)

    def ask(self, message: dict, timeout: float) -> dict | None:
        """Send ``message`` and wait up to ``timeout`` seconds for its reply (None: no reply)."""
        self.reset()
        self.send(message)
        reply = self.receive(timeout)
        if reply is None:
            self.reset()
        return reply

    def reset(self) -> None:
        """Drop the socket (and anything queued on it); the next send opens a fresh one."""
        if self.sock is not None:
            self.sock.close(linger=0)
            self.sock = None
        self.pending = None

    def close(self) -> None:
        self.reset()
        self.ctx.term()


def someone_answers(endpoint: str, timeout: float = 0.5) -> bool:
    """Does a kernel already answer ping at ``endpoint``?"""
    pinger = Pinger(endpoint)
    try:
        return pinger.ask({"command": "ping"}, timeout) is not None
    finally:
        pinger.close()

"""A helper for the tests of the kernel's parts (replies, intake, jobs, awaited): the kernel's own ROUTER socket
(a :class:`~bat_os.kernel.bridge.Bridge`, bound on a free port, not started: nothing reads it behind a test's back)
and a real client socket connected to it."""

from __future__ import annotations

import time

import zmq

from bat_os import protocol
from bat_os.kernel.bridge import Bridge, Envelope, split
from support import free_port


class Wire:
    """What the client sends, the test takes from the ROUTER (:meth:`take`) and hands to the part under test; what
    the part sends through :attr:`bridge`, the client reads (:meth:`replies`)."""

    def __init__(self, kind: int = zmq.DEALER, max_frame_bytes: int = 1024, identity: bytes | None = None) -> None:
        self.endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.bridge = Bridge(self.endpoint, max_frame_bytes, on_frames=lambda frames: None)
        self.client = zmq.Context.instance().socket(kind)
        self.client.setsockopt(zmq.LINGER, 0)
        if identity is not None:  # chosen by the client: it names the client after a kernel restart too
            self.client.setsockopt(zmq.ROUTING_ID, identity)
        self.client.connect(self.endpoint)

    def send(self, message: dict | bytes) -> None:
        self.client.send(message if isinstance(message, bytes) else protocol.encode(message))

    def take(self, timeout: float = 5.0) -> list[bytes]:
        """The next message the ROUTER received, as its frames."""
        assert self.bridge.sock.poll(int(timeout * 1000)), "nothing came to the kernel's socket"
        return self.bridge.sock.recv_multipart()

    def wait_waiting(self, timeout: float = 5.0) -> None:
        """Until a message is waiting in the ROUTER (what the intake's fast path looks at)."""
        deadline = time.monotonic() + timeout
        while not self.bridge.more_waiting():
            assert time.monotonic() < deadline, "nothing came to the kernel's socket"
            time.sleep(0.005)

    def envelope(self, request: dict) -> Envelope:
        """Send ``request`` and take it: the envelope the kernel answers it with."""
        self.send(request)
        return split(self.take()).envelope

    def replies(self, quiet_ms: int = 300) -> list[dict]:
        """Everything the client has been sent, until nothing more comes for ``quiet_ms``."""
        got = []
        while self.client.poll(quiet_ms):
            got.append(protocol.decode(self.client.recv_multipart()[-1]))
        return got

    def close(self) -> None:
        self.client.close(0)
        self.bridge.close(linger_ms=0)


class Clock:
    """A clock the test sets (``clock.now = 12.5``)."""

    def __init__(self, now: float = 10.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

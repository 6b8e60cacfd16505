"""The kernel's end of a run socket: :class:`Channel` (frames out, whole frames in, on the event loop).

Frames are a :data:`~bat_os.jail.contract.HEADER` and an ormsgpack map; :func:`pack` makes one.
"""

from __future__ import annotations

import asyncio
import collections
import socket

import ormsgpack

from bat_os.errors import JailCrash

from .contract import HEADER


def pack(message: dict) -> bytes:
    body = ormsgpack.packb(message)
    return HEADER.pack(len(body)) + body


class Channel:
    """The kernel's end of a run socket, on the event loop: frames out, whole frames in.

    It owns the non-blocking socket (no transport): reads go straight into one
    buffer, a frame is written at once (the rest, if the socket is full, when
    it drains). ``limit``: the largest frame the child may send (a bigger one
    is a protocol violation).
    """

    def __init__(self, sock: socket.socket, limit: int) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.limit = limit
        self.closed = False  # no more frames will come (end of stream, an error, or closed by us)
        self._loop = asyncio.get_running_loop()
        self._fd = sock.fileno()
        self._buffer = bytearray(64 * 1024)
        self._filled = 0
        self._frames: collections.deque[bytes] = collections.deque()
        self._error: JailCrash | None = None
        self._expired = False
        self._waiter: asyncio.Future[None] | None = None
        self._out = bytearray()
        self._loop.add_reader(self._fd, self._readable)

    def expire(self) -> None:
        """The run's wall-clock time is up: the pending (or next) ``recv`` raises TimeoutError."""
        self._expired = True
        self._wake()

    # --- incoming ------------------------------------------------------------------
    def _readable(self) -> None:
        if self.closed:
            return
        if len(self._buffer) - self._filled < 4096:
            bigger = bytearray(2 * len(self._buffer))
            bigger[:self._filled] = self._buffer[:self._filled]
            self._buffer = bigger
        try:
            with memoryview(self._buffer) as view:
                count = self.sock.recv_into(view[self._filled:])
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            count = 0
        if count == 0:
            self._stop()
            return
        self._filled += count
        self._split()

    def _split(self) -> None:
        buffer, filled, start = self._buffer, self._filled, 0
        while filled - start >= 4:
            (size,) = HEADER.unpack_from(buffer, start)
            if size > self.limit:
                self._error = JailCrash(f"protocol violation: a {size}-byte frame from the jailed process (limit {self.limit})")
                self._stop()
                return
            if filled - start < 4 + size:
                if 4 + size > len(buffer):  # room for the whole frame, so it arrives in few reads
                    bigger = bytearray(4 + size + 64 * 1024)
                    bigger[:filled - start] = buffer[start:filled]
                    self._buffer = bigger
                    self._filled = filled - start
                    start = 0
                break
            self._frames.append(bytes(buffer[start + 4:start + 4 + size]))
            start += 4 + size
        if start:
            rest = filled - start
            buffer[:rest] = buffer[start:filled]
            self._filled = rest
        if self._frames:
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def recv(self) -> dict | None:
        """The next frame, or None at end of stream; TimeoutError once :meth:`expire` was called."""
        while not self._frames or self._expired:
            if self._expired:
                raise TimeoutError
            if self._error is not None:
                raise self._error
            if self.closed:
                return None
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        body = self._frames.popleft()
        try:
            message = ormsgpack.unpackb(body)
        except ormsgpack.MsgpackDecodeError as exc:
            raise JailCrash("protocol violation: an undecodable frame from the jailed process") from exc
        if not isinstance(message, dict):
            raise JailCrash("protocol violation: a frame that is not a map")
        return message

    # --- outgoing ------------------------------------------------------------------
    def send(self, frame: bytes) -> None:
        if self.closed:
            raise JailCrash("the jailed process closed its channel")
        if self._out:  # earlier frames still wait for room: keep the order
            self._out += frame
            return
        try:
            sent = self.sock.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            self._stop()
            raise JailCrash(f"cannot write to the jailed process: {exc}") from None
        if sent < len(frame):
            self._out += frame[sent:]
            self._loop.add_writer(self._fd, self._writable)

    def _writable(self) -> None:
        if self.closed:
            return
        try:
            sent = self.sock.send(self._out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._stop()
            return
        del self._out[:sent]
        if not self._out:
            self._loop.remove_writer(self._fd)

    # --- the end ---------------------------------------------------------------------
    def _stop(self) -> None:
        """No more reading or writing (the socket stays open until close(): the fd is not reused meanwhile)."""
        if not self.closed:
            self.closed = True
            self._loop.remove_reader(self._fd)
            if self._out:
                self._loop.remove_writer(self._fd)
                self._out.clear()
        self._wake()

    def close(self) -> None:
        self._stop()
        if self._fd >= 0:
            self._fd = -1
            self.sock.close()

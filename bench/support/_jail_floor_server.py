"""The jailed send's floor for bench_send.py --generated: a raw ZeroMQ echo with one process hop per request.

    python bench/support/_jail_floor_server.py tcp://127.0.0.1:PORT

The same pyzmq asyncio ROUTER as bench/support/_echo_server.py, but each message's last
frame goes, length-prefixed, over a socketpair to a forked child, which decodes
it (msgpack), encodes an answer and writes it back; the server then echoes the
message. That is what any jailed run costs at the least: one frame each way to
another process, decoded and encoded there, with the event loop waiting between.
No sandbox, no method, no image: the kernel's jailed ``send`` pays those on top.
"""

import asyncio
import os
import socket
import struct
import sys
from pathlib import Path

import ormsgpack

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _echo_server import serve  # noqa: E402

HEADER = struct.Struct(">I")


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def child(sock: socket.socket) -> None:
    """Frame in, decoded; an answer encoded, frame out; until the server hangs up."""
    while True:
        try:
            (size,) = HEADER.unpack(_read_exactly(sock, HEADER.size))
            body = _read_exactly(sock, size)
        except EOFError:
            os._exit(0)
        try:
            message = ormsgpack.unpackb(body)
        except ormsgpack.MsgpackDecodeError:
            message = None
        body = ormsgpack.packb({"op": "result", "value": message, "printed": ""})
        sock.sendall(HEADER.pack(len(body)) + body)


async def main(endpoint: str) -> None:
    parent, other = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        parent.close()
        child(other)
    other.close()
    parent.setblocking(False)
    loop = asyncio.get_running_loop()
    # As lean as asyncio allows (as the kernel's Channel does): a direct non-blocking write, and one reader for
    # the server's life that wakes the waiting request once its answer is whole.
    buffer = bytearray()
    waiting: list[asyncio.Future] = []

    def readable() -> None:
        chunk = parent.recv(65536)
        if not chunk:
            loop.remove_reader(parent.fileno())
            for future in waiting:
                future.set_exception(EOFError("the child died"))
            return
        buffer.extend(chunk)
        if len(buffer) >= HEADER.size and len(buffer) >= HEADER.size + HEADER.unpack_from(buffer)[0]:
            size = HEADER.unpack_from(buffer)[0]
            body = bytes(buffer[HEADER.size:HEADER.size + size])
            del buffer[:HEADER.size + size]
            waiting.pop(0).set_result(body)

    loop.add_reader(parent.fileno(), readable)

    async def hop(frame: bytes) -> None:
        future = loop.create_future()
        waiting.append(future)
        parent.send(HEADER.pack(len(frame)) + frame)  # a small frame into an empty socket buffer: all of it
        ormsgpack.unpackb(await future)

    try:
        await serve(endpoint, hop)
    finally:
        loop.remove_reader(parent.fileno())
        parent.close()
        os.waitpid(pid, 0)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

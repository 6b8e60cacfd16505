"""Baseline for bench_send.py: a raw pyzmq asyncio ROUTER that echoes every message back.

    python bench/support/_echo_server.py tcp://127.0.0.1:PORT

No decoding, no work: the transport cost (ZeroMQ + asyncio + one Python
process) that the kernel's ``send`` path pays on top of its own work.
"""

import asyncio
import signal
import sys
from typing import Awaitable, Callable

import zmq
import zmq.asyncio


async def serve(endpoint: str, hop: Callable[[bytes], Awaitable[None]] | None = None) -> None:
    """Echo every message until SIGTERM; ``hop(last frame)`` is awaited before each echo (bench/support/_jail_floor_server.py)."""
    ctx = zmq.asyncio.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind(endpoint)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)

    async def echo() -> None:
        while True:
            frames = await sock.recv_multipart()
            if hop is not None:
                await hop(frames[-1])
            await sock.send_multipart(frames)

    task = asyncio.ensure_future(echo())
    await stop.wait()
    task.cancel()
    sock.close(0)
    ctx.term()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))

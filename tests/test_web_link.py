"""bat_os.web.link: the inspector's asyncio client of a real kernel subprocess: replies by id, the stream, a kernel
that goes away (KernelDown at once) and one that comes back (the listeners hear it; the stream follows)."""

from __future__ import annotations

import asyncio
import time

import pytest

from bat_os.console.errors import KernelDown, NoReply
from bat_os.web.link import KernelLink
from support import KernelProcess


async def until(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("waited in vain")
        await asyncio.sleep(0.05)


def test_requests_events_and_a_restart(tmp_path):
    kernel = KernelProcess(tmp_path).start()

    async def main() -> None:
        link = KernelLink(kernel.endpoint, ping_every=0.2, down_after=1.0)
        heard: list[dict] = []
        link.listeners.add(heard.append)
        await link.start()
        try:
            await until(lambda: any(m.get("kind") == "link" and m.get("state") == "up" for m in heard))
            assert link.status["pid"] == kernel.proc.pid
            # many requests at once, each answered to its own waiter
            replies = await asyncio.gather(*(link.request({"command": "set_slot", "target": "genesis_obj", "slot": f"s{i}",
                                                           "value": i}) for i in range(20)))
            assert all(r["status"] == "ok" for r in replies)
            await until(lambda: sum(1 for m in heard if m.get("kind") == "event" and m["event"]["topic"] == "commit") >= 20)
            seqs = [m["event"]["seq"] for m in heard if m.get("kind") == "event"]
            assert seqs == sorted(seqs)
            with pytest.raises(NoReply):  # a reply that cannot come in time
                await link.request({"command": "send", "target": "genesis_obj", "selector": "echo", "args": [1]}, timeout=1e-6)
            # the kernel goes: requests fail at once, listeners hear it
            kernel.stop()
            await until(lambda: link.state == "down")
            assert {"kind": "link", "state": "down"} in heard
            started = time.monotonic()
            with pytest.raises(KernelDown):
                await link.request({"command": "status"})
            assert time.monotonic() - started < 1.0
            # and comes back: a new process, its stream followed
            kernel.start()
            await until(lambda: link.state == "up")
            await until(lambda: any(m.get("kind") == "link" and m.get("restarted") for m in heard))
            assert link.status["pid"] == kernel.proc.pid
            heard.clear()
            assert (await link.request({"command": "set_slot", "target": "genesis_obj", "slot": "after", "value": 1}))["status"] == "ok"
            await until(lambda: any(m.get("kind") == "event" and m["event"]["topic"] == "commit" for m in heard))
            assert not any(m.get("kind") == "gap" for m in heard)  # a new kernel counts from 1: no gap reported
        finally:
            await link.close()

    try:
        asyncio.run(main())
    finally:
        kernel.stop()

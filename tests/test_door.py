"""The kernel's door while it starts (bat_os.kernel.door): its socket bound first, pings answered from a thread,
everything else kept in order and handed to the kernel, or refused when the kernel does not start. Real sockets on
127.0.0.1; then a real kernel process: what is sent before it serves is answered once it does, and a SIGTERM that
comes while it starts stops it cleanly."""

from __future__ import annotations

import signal
import time

import zmq

from bat_os import protocol
from bat_os.kernel.bridge import split
from bat_os.kernel.door import Door
from support import KernelProcess, free_port


def _dealer(endpoint: str) -> zmq.Socket:
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    return sock


def _reply(sock: zmq.Socket, timeout_ms: int = 5000) -> dict:
    assert sock.poll(timeout_ms), "no reply"
    return protocol.decode(sock.recv())


def test_pings_are_answered_at_once_and_everything_else_is_kept_in_order_for_the_kernel():
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    door = Door(endpoint, 1024)
    client = _dealer(endpoint)
    try:
        client.send(protocol.encode({"command": "inspect", "target": "genesis_obj", "id": 1}))
        client.send(protocol.encode({"command": "ping", "id": "p"}))
        reply = _reply(client)
        assert reply["status"] == "ok" and reply["id"] == "p" and reply["result"]["pong"] is True
        assert reply["result"]["starting"] is True and reply["result"]["uptime"] >= 0
        client.send(b"\xc1 not msgpack")  # the kernel answers mistakes, with its codes: kept too
        client.send(protocol.encode({"command": 5, "id": 2}))  # not a request at all: the kernel says so
        client.send(protocol.encode({"command": "status", "id": 3}))
        deadline = time.monotonic() + 5
        while len(door.kept) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        ctx, sock, kept = door.hand_over()
        assert [split(frames).payload for frames in kept] == [
            protocol.encode({"command": "inspect", "target": "genesis_obj", "id": 1}), b"\xc1 not msgpack",
            protocol.encode({"command": 5, "id": 2}), protocol.encode({"command": "status", "id": 3})]
        assert door.pinged == 1
        client.send(protocol.encode({"command": "ping", "id": 4}))  # handed over: nobody answers but the new owner
        assert not client.poll(200)
        assert sock.poll(1000)
        sock.close(0)
        ctx.term()
    finally:
        client.close(0)


def test_a_kernel_that_does_not_start_refuses_what_was_kept():
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    door = Door(endpoint, 1024)
    client = _dealer(endpoint)
    try:
        client.send(protocol.encode({"command": "status", "id": 7}))
        deadline = time.monotonic() + 5
        while not door.kept and time.monotonic() < deadline:
            time.sleep(0.01)
        door.close("the image is locked")
        reply = _reply(client)
        assert reply["status"] == "error" and reply["id"] == 7
        assert reply["error"]["code"] == "shutting_down" and "locked" in reply["error"]["message"]
        again = Door(endpoint, 1024)  # the port is free again
        again.close()
    finally:
        client.close(0)


def test_what_is_sent_before_the_kernel_serves_is_answered_once_it_does(tmp_path):
    kernel = KernelProcess(tmp_path)
    client = _dealer(kernel.endpoint)  # connected before the process starts: the requests wait for the door
    try:
        client.send(protocol.encode({"command": "set_slot", "target": "genesis_obj", "slot": "early", "value": 1, "id": 1}))
        client.send(protocol.encode({"command": "inspect", "target": "genesis_obj", "id": 2}))
        client.send(protocol.encode({"command": "ping", "id": 3}))
        kernel.start(wait=False)
        replies = {}
        while len(replies) < 3:
            reply = _reply(client, 60_000)
            replies[reply["id"]] = (reply, time.monotonic())
        assert replies[1][0]["status"] == "ok" and replies[2][0]["status"] == "ok", replies
        assert replies[2][0]["result"]["slots"]["early"] == 1  # in order: the write before the read
        assert replies[3][0]["result"]["pong"] is True
        assert kernel.request({"command": "status"})["result"]["uptime"] >= replies[3][0]["result"]["uptime"]
    finally:
        client.close(0)
        kernel.stop()


def test_a_sigterm_while_the_kernel_starts_stops_it_cleanly(tmp_path):
    kernel = KernelProcess(tmp_path)
    client = _dealer(kernel.endpoint)
    try:
        client.send(protocol.encode({"command": "ping", "id": 1}))
        kernel.start(wait=False)
        reply = _reply(client, 60_000)
        assert reply["result"]["pong"] is True
        kernel.proc.send_signal(signal.SIGTERM)  # most likely while it starts (the door answered)
        assert kernel.proc.wait(60) == 0, kernel.stderr()
    finally:
        client.close(0)

"""bat_os.console.routing: the one set of wire rules both clients use (the console's Connection, the web's
KernelLink): request frames, routing by id, and the restart rule, checked alone and through both clients on
real ROUTER sockets."""

from __future__ import annotations

import asyncio
import time

import pytest

from bat_os import protocol
from bat_os.console.connection import Connection
from bat_os.console.errors import KernelDown, NoReply
from bat_os.console.routing import RESTART_SLACK, Requests, decode, pong_of, restarted
from bat_os.web.link import KernelLink
from console_support import Reply, ScriptedPeer, ok


def test_a_request_frame_carries_its_id_its_timeout_and_whether_it_wants_events():
    requests = Requests()
    first, payload = requests.open({"command": "status"}, timeout=10.0)
    second, events = requests.open({"command": "send", "timeout": 3}, timeout=10.0, on_event=print)
    _, ping = requests.open({"command": "ping"}, timeout=10.0)
    assert (first, second) == (1, 2)
    assert protocol.decode(payload) == {"command": "status", "id": 1, "timeout": 10.0}
    assert protocol.decode(events) == {"command": "send", "id": 2, "timeout": 3, "events": True}  # its own timeout kept
    assert protocol.decode(ping) == {"command": "ping", "id": 3}  # answered before the queue: no timeout
    assert all(requests.in_flight(n) for n in (1, 2, 3))


def test_frames_are_routed_by_id_events_to_their_handler_finals_kept_until_taken():
    requests = Requests()
    heard: list[dict] = []
    one, _ = requests.open({"command": "send"}, timeout=1, on_event=heard.append)
    two, _ = requests.open({"command": "status"}, timeout=1)
    event = {"id": one, "status": "event", "event": {"type": "state"}}
    assert requests.route(event) == one and heard == [event] and requests.in_flight(one)
    assert requests.route({"id": two, "status": "ok", "result": 2}) == two and not requests.in_flight(two)
    assert requests.final(two) == {"id": two, "status": "ok", "result": 2}
    assert requests.final(two) is None  # taken once
    # a late reply to a request given up on, a frame that is not a map, an error without an id: dropped, counted
    requests.forget(one)
    assert requests.route({"id": one, "status": "ok"}) is None
    assert requests.route(decode(b"\xc1 not msgpack")) is None and decode(protocol.encode([1, 2])) is None
    three, _ = requests.open({"command": "status"}, timeout=1)
    assert requests.route({"status": "error", "error": {"code": "too_large"}}) is None
    assert requests.discarded == 3 and requests.in_flight(three)


def test_an_error_without_an_id_answers_the_oldest_request_only_where_the_socket_is_fresh():
    requests = Requests(lone_error_to_oldest=True)  # the console's: its socket is replaced after every abandoned wait
    old, _ = requests.open({"command": "status"}, timeout=1)
    requests.open({"command": "status"}, timeout=1)
    lone = {"status": "error", "error": {"code": "too_large", "message": "frame over the limit"}}
    assert requests.route(lone) == old and requests.final(old) == lone
    requests.clear()
    assert requests.route(lone) is None  # nothing in flight: dropped


def test_the_restart_rule_has_one_tolerance():
    assert RESTART_SLACK == 0.5
    assert restarted(0.1, 5.0)  # up 0.1 s, but known up for 5 s: a new kernel
    assert restarted(4.4, 5.0)
    assert not restarted(4.6, 5.0)  # within the slack: the same kernel, measured a little late
    assert not restarted(50.0, 5.0) and not restarted(None, 5.0) and not restarted("?", 5.0)
    assert pong_of({"id": "ping", "status": "ok", "result": {"pong": True, "uptime": 3.0}}) == {"pong": True, "uptime": 3.0}
    assert pong_of({"id": "ping", "status": "error", "error": {}}) is None and pong_of(None) is None


def _aged_kernel(restarted_after: float):
    """A ROUTER peer that never answers a request, and whose pongs say the kernel came up ``restarted_after``
    seconds after the request arrived (negative: before it)."""
    arrived: list[float] = []

    def script(request: dict) -> list[Reply]:
        if request["command"] != "ping":
            arrived.append(time.monotonic())
            return []
        uptime = time.monotonic() - arrived[0] - restarted_after if arrived else 1000.0
        return [(0, ok(request, {"pong": True, "uptime": uptime}))]

    return script


def test_the_console_says_a_kernel_that_came_back_within_a_second_restarted():
    """A watchdog brings a killed kernel back within about 0.5 s; 0.8 s younger than the request is a new kernel
    (the console's old 1.0 s slack missed it and waited out the whole timeout)."""
    with ScriptedPeer(_aged_kernel(0.8)) as peer, Connection(peer.endpoint, timeout=5, probe_after=0.5, probe_timeout=1) as connection:
        started = time.monotonic()
        with pytest.raises(KernelDown, match="restarted") as caught:
            connection.request({"command": "send", "target": "genesis_obj", "selector": "x"})
        assert caught.value.restarted and time.monotonic() - started < 3


def test_the_console_keeps_waiting_for_a_kernel_whose_pong_is_a_little_late():
    with ScriptedPeer(_aged_kernel(0.1)) as peer, Connection(peer.endpoint, timeout=1.5, probe_after=0.4, probe_timeout=1) as connection:
        with pytest.raises(NoReply) as caught:
            connection.request({"command": "status"})
        assert not isinstance(caught.value, KernelDown) and caught.value.alive is True


def test_the_web_link_routes_and_detects_a_restart_with_the_same_rule():
    uptime = [100.0]

    def script(request: dict) -> list[Reply]:
        if request["command"] == "ping":
            return [(0, ok(request, {"pong": True, "uptime": uptime[0]}))]
        if request["command"] == "status":
            return [(0, ok(request, {"pid": 7}))]
        rid = request["id"]  # an event, then the answer
        return [(0, {"id": rid, "status": "event", "event": {"type": "state", "state": "WORKING"}}), (0.05, ok(request, rid))]

    async def main(peer: ScriptedPeer) -> None:
        link = KernelLink(peer.endpoint, ping_every=0.05, down_after=5.0)
        heard: list[dict] = []
        link.listeners.add(heard.append)
        await link.start()
        try:
            await _until(lambda: link.state == "up" and link.status == {"pid": 7})
            events: list[dict] = []
            replies = await asyncio.gather(*(link.request({"command": "send"}, on_event=events.append) for _ in range(5)))
            assert sorted(r["result"] for r in replies) == [r["id"] for r in replies] and len(events) == 5
            pings = _pings(peer)
            uptime[0] = 100.0 - RESTART_SLACK + 0.2  # a pong measured a little late: the same kernel
            await _until(lambda: _pings(peer) >= pings + 5)
            assert not any(m.get("restarted") for m in heard)
            uptime[0] = 10.0  # a new kernel
            await _until(lambda: any(m.get("restarted") for m in heard))
            assert link.state == "up"
        finally:
            await link.close()

    with ScriptedPeer(script) as peer:
        asyncio.run(main(peer))


def _pings(peer: ScriptedPeer) -> int:
    return sum(1 for r in list(peer.requests) if r["command"] == "ping")


async def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        await asyncio.sleep(0.02)

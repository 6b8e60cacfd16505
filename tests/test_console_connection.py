"""bat_os.console.connection: liveness while waiting, and pinging until the kernel answers (scripted ROUTER peers)."""

from __future__ import annotations

import time

import pytest

from bat_os.console.connection import Connection
from bat_os.console.errors import KernelDown, NoReply
from console_support import Reply, ScriptedPeer, dead_endpoint, ok


def pong(request: dict, uptime: float) -> list[Reply]:
    return [(0, ok(request, {"pong": True, "uptime": uptime}))]


def test_a_kernel_that_stops_answering_ping_is_down_long_before_the_timeout() -> None:
    def script(request: dict) -> list[Reply]:
        return []  # neither the request nor the probe is answered

    with ScriptedPeer(script) as peer, Connection(peer.endpoint, timeout=30, probe_after=0.3, probe_timeout=0.3) as connection:
        started = time.monotonic()
        with pytest.raises(KernelDown, match="stopped answering") as caught:
            connection.request({"command": "status"})
        assert time.monotonic() - started < 3
        assert not caught.value.restarted
        assert [r["command"] for r in peer.requests] == ["status", "ping"]
        assert peer.identities[0] != peer.identities[1]  # the probe has its own socket


def test_a_busy_kernel_that_answers_ping_is_waited_for_until_the_timeout() -> None:
    def script(request: dict) -> list[Reply]:
        return pong(request, 1000.0) if request["command"] == "ping" else []

    with ScriptedPeer(script) as peer, Connection(peer.endpoint, timeout=1.0, probe_after=0.3, probe_timeout=0.5) as connection:
        with pytest.raises(NoReply) as caught:
            connection.request({"command": "status"})
        assert not isinstance(caught.value, KernelDown)
        assert caught.value.alive is True and "within 1s" in str(caught.value)
        assert sum(r["command"] == "ping" for r in peer.requests) >= 2  # probed again after each quiet spell


def test_a_new_kernel_answering_ping_means_the_request_was_lost() -> None:
    def script(request: dict) -> list[Reply]:
        return pong(request, 0.1) if request["command"] == "ping" else []  # younger than the request

    with ScriptedPeer(script) as peer, Connection(peer.endpoint, timeout=30, probe_after=1.5, probe_timeout=0.5) as connection:
        with pytest.raises(KernelDown, match="restarted") as caught:
            connection.request({"command": "send", "target": "genesis_obj", "selector": "x"})
        assert caught.value.restarted


def test_events_keep_a_long_request_alive() -> None:
    def script(request: dict) -> list[Reply]:
        rid = request["id"]
        ticks = [(0.25 * n, {"id": rid, "status": "event", "event": {"type": "state", "state": f"S{n}"}}) for n in range(1, 6)]
        return [*ticks, (1.4, ok(request, "done"))]

    events: list[dict] = []
    with ScriptedPeer(script) as peer, Connection(peer.endpoint, timeout=0.6, probe_after=10) as connection:
        reply = connection.request({"command": "send"}, on_event=events.append)
    assert reply["result"] == "done" and len(events) == 5


def test_ping_and_waiting_for_a_kernel_that_is_not_there() -> None:
    with dead_endpoint() as endpoint, Connection(endpoint) as connection:
        started = time.monotonic()
        assert connection.ping(0.3) is None
        assert connection.wait_for_kernel(1.0) is None
        assert 1.2 <= time.monotonic() - started < 3


def test_waiting_for_a_kernel_that_answers() -> None:
    with ScriptedPeer(lambda request: pong(request, 5.0)) as peer, Connection(peer.endpoint) as connection:
        assert connection.wait_for_kernel(5) == {"pong": True, "uptime": 5.0}
        assert connection.ping(1) == {"pong": True, "uptime": 5.0}

"""Awaited work (bat_os.kernel.awaited): a handler's Later awaited as a task and answered on a real socket, its
progress events to a client that asked; cycles a crash interrupted resumed, answered where their client can still
be reached; at shutdown, the grace, then ``shutting_down``.

The orchestrator here is a stand-in with the two calls the kernel makes of it after a crash (``interrupted``,
``drive``): a real one needs models and a jail (test_orchestrator.py, test_cycle.py)."""

from __future__ import annotations

import asyncio

import pytest

from bat_os.errors import CycleFailed, NotFound
from bat_os.kernel.replies import ReplyPath
from bat_os.kernel.awaited import Awaited
from bat_os.kernel.commands.base import Call, Later
from kernel_support import Wire


@pytest.fixture
def wire():
    w = Wire(identity=b"watcher")
    yield w
    w.close()


def _awaited(wire: Wire) -> tuple[Awaited, list[tuple[str, dict]]]:
    lines: list[tuple[str, dict]] = []
    replies = ReplyPath(lambda event, **fields: lines.append((event, fields)), clock=lambda: 5.0)
    replies.send = wire.bridge.send
    return Awaited(replies, clock=lambda: 5.0), lines


def test_a_later_is_answered_when_done_and_its_events_reach_a_client_that_asked(wire):
    awaited, lines = _awaited(wire)
    calls: list[Call] = []

    async def work(call: Call) -> dict:
        calls.append(call)
        call.on_event({"type": "token", "persona": "BRICK", "text": "def"})
        await asyncio.sleep(0)
        return {"answer": 42}

    async def go() -> None:
        request = {"command": "send", "id": 1, "events": True}
        awaited.later(wire.envelope(request), request, Later(work), started=5.0)
        assert len(awaited.tasks) == 1
        await asyncio.gather(*awaited.tasks)
        assert not awaited.tasks  # a task done is forgotten

    asyncio.run(go())
    assert wire.replies() == [{"id": 1, "status": "event", "event": {"type": "token", "persona": "BRICK", "text": "def"}},
                              {"id": 1, "status": "ok", "result": {"answer": 42}}]
    [call] = calls
    assert call.reply_to == {"identity": b"watcher", "req": False, "id": 1} and call.asks is True
    assert lines[0][1]["command"] == "send" and lines[0][1]["outcome"] == "ok"


def test_a_later_that_fails_is_answered_with_its_code_and_a_client_that_did_not_ask_hears_no_events(wire):
    awaited, _lines = _awaited(wire)
    calls: list[Call] = []

    async def work(call: Call) -> dict:
        calls.append(call)
        call.on_event({"type": "token", "persona": "BRICK", "text": "x"})  # nobody listens: not sent
        raise NotFound("no such cycle 'c9'")

    async def go() -> None:
        request = {"command": "send", "id": ["not", "plain"], "ask": False}
        awaited.later(wire.envelope(request), request, Later(work), started=5.0)
        await asyncio.gather(*awaited.tasks)

    asyncio.run(go())
    [reply] = wire.replies()
    assert reply["status"] == "error" and reply["error"]["code"] == "not_found"
    assert calls[0].reply_to["id"] is None and calls[0].asks is False  # an id a cycle cannot keep as it is


def test_at_shutdown_awaited_work_gets_the_grace_then_is_cancelled_and_answered_shutting_down(wire):
    awaited, _lines = _awaited(wire)

    async def quick(call: Call) -> str:
        await asyncio.sleep(0.01)
        return "in time"

    async def stuck(call: Call) -> str:
        await asyncio.sleep(60)
        return "never"

    async def go() -> None:
        for request_id, work in (("q", quick), ("s", stuck)):
            request = {"command": "send", "id": request_id}
            awaited.later(wire.envelope(request), request, Later(work), started=5.0)
        await awaited.stop(grace=0.2)
        assert not awaited.tasks

    asyncio.run(go())
    got = {r["id"]: r for r in wire.replies()}
    assert got["q"]["result"] == "in time"
    assert got["s"]["error"]["code"] == "shutting_down" and "send it again" in got["s"]["error"]["message"]


class Interrupted:
    """Cycles a crash interrupted, as the orchestrator lists them: (id, reply_to)."""

    def __init__(self, cycles: list[tuple[str, dict | None]]) -> None:
        self.cycles = cycles
        self.driven: list[str] = []

    def interrupted(self) -> list[tuple[str, dict | None]]:
        return self.cycles

    async def drive(self, cycle_id: str) -> dict:
        self.driven.append(cycle_id)
        if cycle_id == "c3":
            raise CycleFailed("cycle c3 failed", cycle="c3")
        return {"cycle": cycle_id, "state": "COMPLETE"}


def test_interrupted_cycles_resume_and_answer_a_client_that_can_still_be_reached(wire):
    awaited, lines = _awaited(wire)
    wire.envelope({"command": "ping"})  # the client is connected: the ROUTER knows its identity
    orchestrator = Interrupted([
        ("c1", {"identity": b"watcher", "req": False, "id": 9}),  # chosen identity: the same client after a restart
        ("c2", {"identity": b"\x00k\x8bEg", "req": False, "id": 10}),  # libzmq's: another client's now, not answered
        ("c3", None),  # nobody waited
    ])

    async def go() -> None:
        awaited.resume_interrupted(orchestrator)
        await asyncio.gather(*awaited.tasks)

    asyncio.run(go())
    assert sorted(orchestrator.driven) == ["c1", "c2", "c3"]
    assert wire.replies() == [{"id": 9, "status": "ok", "result": {"cycle": "c1", "state": "COMPLETE"}}]
    audited = {fields["request_id"]: fields["outcome"] for kind, fields in lines
               if kind == "request" and fields["command"] == "resume"}
    assert audited == {9: "ok", 10: "ok", None: "cycle_failed"}  # every outcome audited, answered or not

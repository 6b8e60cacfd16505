"""A job run (bat_os.kernel.jobs): its command in one transaction on a real image, answered on a real socket, or
its Later handed to awaited work. A write commits before its "ok", a failure leaves nothing, a job past its
deadline never runs."""

from __future__ import annotations

import asyncio

import pytest

from bat_os.errors import NotFound
from bat_os.image import transact
from bat_os.kernel import commands as command_list
from bat_os.kernel.replies import ReplyPath
from bat_os.kernel.awaited import Awaited
from bat_os.kernel.commands.base import Command, Context, Later, Reroute
from bat_os.kernel.jobs import Job, JobRunner
from kernel_support import Clock, Wire



def _genesis(ctx: Context):
    return ctx.image.connection.root()["genesis_obj"]


def _make_child(ctx: Context, request: dict):
    child = _genesis(ctx).clone()
    _genesis(ctx).set_slot("child", child)
    return child


def _write_then_fail(ctx: Context, request: dict):
    _genesis(ctx).set_slot("scribble", 1)
    raise NotFound("nothing called 'elsewhere'")


async def _later_done(call):
    return {"done": True}


def _write_then_reroute(ctx: Context, request: dict):
    _genesis(ctx).set_slot("scribble", 2)
    raise Reroute(Later(_later_done))


#: Beside the real commands: handlers that show what a transaction keeps and what it drops.
OWN = [Command("make_child", _make_child, writes=True), Command("write_then_fail", _write_then_fail, writes=True),
       Command("later", lambda ctx, request: Later(_later_done), writes=False),
       Command("write_then_reroute", _write_then_reroute, writes=True)]


@pytest.fixture
def wire():
    w = Wire()
    yield w
    w.close()


@pytest.fixture
def notes():
    """The notes of the commits made while the test runs (bat_os.image.transact.AFTER_COMMIT)."""
    seen: list[str | None] = []
    transact.AFTER_COMMIT.append(seen.append)
    yield seen
    transact.AFTER_COMMIT.remove(seen.append)


def _runner(image, wire: Wire, clock: Clock | None = None) -> JobRunner:
    clock = clock or Clock(50.0)
    replies = ReplyPath(lambda event, **fields: None, clock)
    replies.send = wire.bridge.send
    commands = {**command_list.get_commands(), **{c.name: c for c in OWN}}
    return JobRunner(image, Context(image=image, stats=lambda: {}), commands, replies, Awaited(replies, clock),
                     conflict_retries=2, clock=clock)


def _job(wire: Wire, request: dict, received: float = 50.0, deadline: float = 80.0) -> Job:
    return Job(wire.envelope(request), request, received, deadline)


def test_a_read_is_answered_with_its_result_rendered_and_commits_nothing(awake_image, wire, notes):
    runner = _runner(awake_image, wire)
    runner.run(_job(wire, {"command": "inspect", "target": "genesis_obj", "id": 1}))
    [reply] = wire.replies()
    assert reply["id"] == 1 and reply["status"] == "ok"
    assert reply["result"]["name"] == "genesis_obj" and reply["result"]["type"] == "UvmObject"
    assert notes == []


def test_a_write_commits_before_its_ok_and_a_new_object_comes_back_with_its_id(awake_image, wire, notes):
    runner = _runner(awake_image, wire)
    runner.run(_job(wire, {"command": "make_child", "target": "genesis_obj", "id": 2}))
    [reply] = wire.replies()
    assert notes == ["make_child genesis_obj"]
    oid = reply["result"]["$oid"]
    assert oid.startswith("0x") and reply["result"]["type"] == "UvmObject"
    assert awake_image.read(lambda: awake_image.resolve(oid) is _genesis(runner.ctx).slots["child"])


def test_a_handler_that_raises_leaves_nothing_and_is_answered_with_its_code(awake_image, wire, notes):
    runner = _runner(awake_image, wire)
    runner.run(_job(wire, {"command": "write_then_fail", "target": "genesis_obj", "id": 3}))
    [reply] = wire.replies()
    assert (reply["id"], reply["error"]["code"]) == (3, "not_found")
    assert notes == [] and awake_image.read(lambda: "scribble" not in _genesis(runner.ctx).slots)


def test_a_job_past_its_deadline_is_answered_timeout_and_never_runs(awake_image, wire, notes):
    clock = Clock(90.0)
    runner = _runner(awake_image, wire, clock)
    runner.run(_job(wire, {"command": "make_child", "target": "genesis_obj", "id": 4}, received=50.0, deadline=80.0))
    [reply] = wire.replies()
    assert reply["error"]["code"] == "timeout"
    assert reply["error"]["message"] == "the request waited 40.0s in the queue, past its timeout"
    assert notes == [] and awake_image.read(lambda: "child" not in _genesis(runner.ctx).slots)


def test_an_unknown_command_is_answered_with_the_known_ones(awake_image, wire):
    runner = _runner(awake_image, wire)
    runner.run(_job(wire, {"command": "levitate", "id": 5}))
    [reply] = wire.replies()
    assert reply["error"]["code"] == "unknown_command" and "inspect" in reply["error"]["message"]


def test_a_client_that_asked_for_events_hears_the_start_first(awake_image, wire):
    runner = _runner(awake_image, wire)
    runner.run(_job(wire, {"command": "inspect", "target": "genesis_obj", "id": 6, "events": True}))
    first, last = wire.replies()
    assert first == {"id": 6, "status": "event", "event": {"type": "started", "command": "inspect"}}
    assert last["status"] == "ok"


def test_a_later_is_handed_to_awaited_work_and_a_reroute_drops_what_its_handler_wrote(awake_image, wire, notes):
    runner = _runner(awake_image, wire)

    async def go() -> None:
        runner.run(_job(wire, {"command": "later", "id": 7}))
        runner.run(_job(wire, {"command": "write_then_reroute", "target": "genesis_obj", "id": 8}))
        assert len(runner.awaited.tasks) == 2  # nothing answered yet: both are being awaited
        await asyncio.gather(*runner.awaited.tasks)

    asyncio.run(go())
    assert sorted((r["id"], r["status"], r["result"]["done"]) for r in wire.replies()) == [(7, "ok", True), (8, "ok", True)]
    assert notes == [] and awake_image.read(lambda: "scribble" not in _genesis(runner.ctx).slots)

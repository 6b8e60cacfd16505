"""Requests in (bat_os.kernel.intake): real messages on a real ROUTER socket, answered at once, run at once or
queued; the worker; and at shutdown, what is left and what still arrives answered ``shutting_down``.

The intake's ``run`` here records the jobs it is given (running them is bat_os.kernel.jobs's concern, tested in
test_jobs.py); the replies go through the real reply path to the real client."""

from __future__ import annotations

import asyncio
import time

import pytest

from bat_os import config as config_module, protocol
from bat_os.kernel.replies import ReplyPath
from bat_os.kernel.intake import Intake
from bat_os.kernel.jobs import Job
from kernel_support import Clock, Wire



@pytest.fixture
def wire():
    w = Wire(max_frame_bytes=1024)
    yield w
    w.close()


def _intake(wire: Wire, tmp_path, run=None, clock=None, **settings) -> tuple[Intake, list[Job]]:
    config = config_module.load({"queue_size": 2, "max_frame_bytes": 1024, "request_timeout": 30, **settings},
                                environ={}, cwd=tmp_path)
    ran: list[Job] = []
    clock = clock or Clock()
    replies = ReplyPath(lambda event, **fields: None, clock)
    replies.send = wire.bridge.send
    intake = Intake(config, run or ran.append, replies, clock=clock, started=clock(), stopping=asyncio.Event())
    intake.bridge = wire.bridge
    return intake, ran


def test_a_ping_is_answered_at_once_with_the_uptime_and_is_not_a_user_at_work(wire, tmp_path):
    clock = Clock(10.0)
    intake, ran = _intake(wire, tmp_path, clock=clock)
    clock.now = 12.5
    wire.send({"command": "ping", "id": "p"})
    intake.accept(wire.take())
    assert wire.replies() == [{"id": "p", "status": "ok", "result": {"pong": True, "uptime": 2.5}}]
    assert ran == [] and intake.last_request == 10.0
    assert intake.replies.counters.received == 1


@pytest.mark.parametrize("message, request_id", [
    (b"\xc1 not msgpack", None),
    (protocol.encode({"command": 5, "id": 2}), 2),  # not a request
    (protocol.encode({"command": "send", "id": 3, "timeout": 0}), 3),
    (protocol.encode({"command": "send", "id": 4, "timeout": True}), 4),
])
def test_what_is_not_a_request_is_answered_bad_request_and_never_run(wire, tmp_path, message, request_id):
    intake, ran = _intake(wire, tmp_path)
    wire.send(message)
    intake.accept(wire.take())
    [reply] = wire.replies()
    assert (reply["id"], reply["error"]["code"]) == (request_id, "bad_request")
    assert ran == []


def test_a_frame_over_the_limit_and_a_message_of_many_frames_are_answered_before_any_handler(wire, tmp_path):
    intake, ran = _intake(wire, tmp_path)
    wire.send({"command": "ingest", "text": "x" * 1100, "id": "big-1"})
    intake.accept(wire.take())
    wire.client.send_multipart([b"one", b"two"])
    intake.accept(wire.take())
    intake.accept([b"nobody"])  # no identity to answer: dropped
    got = wire.replies()
    assert [r["error"]["code"] for r in got] == ["too_large", "bad_request"]
    assert "over the limit of 1024" in got[0]["error"]["message"]
    assert got[0]["id"] == "big-1"  # read from the frame without decoding the rest: a pipelining client can match it
    assert ran == [] and intake.replies.counters.received == 3


def test_with_nothing_queued_and_nothing_waiting_a_request_runs_at_once(wire, tmp_path):
    clock = Clock(10.0)
    intake, ran = _intake(wire, tmp_path, clock=clock)
    clock.now = 11.0
    wire.send({"command": "inspect", "target": "genesis_obj", "id": 1, "timeout": 5})
    intake.accept(wire.take())
    [job] = ran
    assert job.request["id"] == 1 and (job.received, job.deadline) == (11.0, 16.0)
    assert intake.queue.empty() and intake.last_request == 11.0


def test_under_load_requests_wait_in_order_and_a_full_queue_answers_busy(wire, tmp_path):
    intake, ran = _intake(wire, tmp_path)  # queue_size 2
    for i in range(4):  # the last stays in the socket: each accept below sees more waiting
        wire.send({"command": "status", "id": i})
    for _ in range(3):
        frames = wire.take()
        wire.wait_waiting()
        intake.accept(frames)
    assert ran == []
    assert [intake.queue.get_nowait().request["id"] for _ in range(2)] == [0, 1]
    assert wire.replies() == [{"id": 2, "status": "error", "error": {
        "code": "busy", "message": "the request queue is full (2); try again"}}]
    assert intake.replies.counters.busy == 1


def test_while_stopping_requests_are_refused_but_pings_answered(wire, tmp_path):
    intake, ran = _intake(wire, tmp_path)
    intake.stopping.set()
    wire.send({"command": "status", "id": 1})
    intake.accept(wire.take())
    wire.send({"command": "ping", "id": 2})
    intake.accept(wire.take())
    assert [(r["id"], r["status"]) for r in wire.replies()] == [(1, "error"), (2, "ok")]
    assert ran == []


def _queue_jobs(wire: Wire, intake: Intake, n: int) -> list[Job]:
    jobs = [Job(wire.envelope({"command": "status", "id": i}), {"command": "status", "id": i}, 0.0, 99.0) for i in range(n)]
    for job in jobs:
        intake.queue.put_nowait(job)
    return jobs


def test_the_worker_runs_queued_jobs_in_order_and_the_rest_is_refused_at_shutdown(wire, tmp_path):
    intake, ran = _intake(wire, tmp_path, queue_size=10)

    async def go() -> None:
        jobs = _queue_jobs(wire, intake, 3)
        intake.stopping.set()
        wire.send({"command": "status", "id": "late"})  # waiting in the socket when the kernel stops
        wire.wait_waiting()
        intake.start_worker(asyncio.get_running_loop())
        await intake.finish(grace=5)
        assert ran == jobs and intake.worker.done()

    asyncio.run(go())
    [reply] = wire.replies()
    assert (reply["id"], reply["error"]["code"]) == ("late", "shutting_down")


def test_a_worker_past_its_grace_is_cancelled_and_what_it_did_not_reach_is_refused(wire, tmp_path):
    ran: list[int] = []

    def slow(job: Job) -> None:
        time.sleep(0.01)
        ran.append(job.request["id"])

    intake, _ = _intake(wire, tmp_path, run=slow, queue_size=60)

    async def go() -> None:
        _queue_jobs(wire, intake, 50)  # half a second of work for a grace of 0.05 s
        intake.start_worker(asyncio.get_running_loop())
        await intake.finish(grace=0.05)

    asyncio.run(go())
    refused = [r["id"] for r in wire.replies() if r["status"] == "error" and r["error"]["code"] == "shutting_down"]
    assert ran and refused and sorted(ran + refused) == list(range(50))
    assert ran == sorted(ran) and min(refused) > max(ran)


def test_what_still_arrives_after_the_stop_is_refused_until_the_socket_is_quiet(wire, tmp_path):
    intake, ran = _intake(wire, tmp_path, clock=time.monotonic)
    intake.stopping.set()

    async def go() -> float:
        started = time.monotonic()
        late = asyncio.get_running_loop().create_task(intake.refuse_late(quiet=0.3))
        await asyncio.sleep(0.15)
        wire.send({"command": "status", "id": "crossing"})  # sent before the stop, still on its way
        await late
        return time.monotonic() - started

    took = asyncio.run(go())
    [reply] = wire.replies()
    assert (reply["id"], reply["error"]["code"]) == ("crossing", "shutting_down")
    assert took >= 0.45 and ran == []  # quiet for 0.3 s after the last message came

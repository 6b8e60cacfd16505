"""The one reply path (bat_os.kernel.replies): outcomes become replies on a real ROUTER socket, to real DEALER
and REQ clients; counted, and audited with their time."""

from __future__ import annotations

import logging

import pytest
import zmq

from bat_os.errors import NotFound
from bat_os.kernel.replies import ReplyPath, wants_events
from bat_os.kernel.bridge import Envelope
from kernel_support import Clock, Wire



@pytest.fixture
def wire():
    w = Wire()
    yield w
    w.close()


def _path(wire: Wire, clock: Clock | None = None) -> tuple[ReplyPath, list[tuple[str, dict]]]:
    lines: list[tuple[str, dict]] = []
    replies = ReplyPath(lambda event, **fields: lines.append((event, fields)), clock or Clock(100.0))
    replies.send = wire.bridge.send
    return replies, lines


def test_a_value_is_answered_ok_counted_and_audited_with_its_time(wire):
    clock = Clock(100.0)
    replies, lines = _path(wire, clock)
    request = {"command": "send", "target": "genesis_obj", "selector": "echo", "id": 7}
    envelope = wire.envelope(request)
    clock.now = 100.25
    replies.answer(envelope, 7, {"args": [1]}, request=request, started=100.0)
    assert wire.replies() == [{"id": 7, "status": "ok", "result": {"args": [1]}}]
    assert (replies.counters.answered, replies.counters.errors) == (1, 0)
    assert lines == [("request", {"request_id": 7, "command": "send", "target": "genesis_obj", "selector": "echo",
                                  "outcome": "ok", "duration_ms": 250.0})]


def test_no_result_is_answered_as_none_and_nothing_is_audited_without_a_request(wire):
    replies, lines = _path(wire)
    replies.answer(wire.envelope({"command": "ping"}), "p")
    assert wire.replies() == [{"id": "p", "status": "ok", "result": None}]
    assert lines == []


def test_exceptions_are_answered_with_their_codes_and_a_bug_as_internal(wire, caplog):
    replies, lines = _path(wire)
    envelope = wire.envelope({"command": "inspect"})
    replies.answer(envelope, 1, error=NotFound("no such target 'nobody'"), request={"command": "inspect", "id": 1})
    with caplog.at_level(logging.ERROR):
        replies.answer(envelope, 2, error=ValueError("a bug"), request={"command": "inspect", "id": 2})
    got = wire.replies()
    assert [(r["id"], r["status"], r["error"]["code"]) for r in got] == [(1, "error", "not_found"), (2, "error", "internal")]
    assert "no such target 'nobody'" in got[0]["error"]["message"]
    assert (replies.counters.answered, replies.counters.errors) == (2, 2)
    assert [fields["outcome"] for _kind, fields in lines] == ["not_found", "internal"]


def test_a_result_that_cannot_be_encoded_is_still_answered_internal(wire, caplog):
    replies, lines = _path(wire)
    with caplog.at_level(logging.ERROR, logger="bat_os.kernel.replies"):
        replies.answer(wire.envelope({"command": "send"}), 3, {"thing": object()}, request={"command": "send", "id": 3})
    [reply] = wire.replies()
    assert reply["id"] == 3 and reply["error"]["code"] == "internal"
    assert reply["error"]["message"].startswith("reply could not be encoded")
    assert "cannot encode the reply to send" in caplog.text
    assert lines[0][1]["outcome"] == "internal"


def test_nobody_waiting_is_audited_but_neither_sent_nor_counted(wire):
    replies, lines = _path(wire)
    replies.answer(None, None, {"cycle": "c1"}, request={"command": "resume", "id": None, "cycle": "c1"}, started=100.0)
    assert wire.replies(quiet_ms=100) == []
    assert replies.counters.answered == 0
    assert lines[0][0] == "request" and lines[0][1]["outcome"] == "ok"


def test_progress_events_go_before_the_reply_to_a_dealer_that_asked(wire):
    replies, _lines = _path(wire)
    request = {"command": "send", "id": 4, "events": True}
    envelope = wire.envelope(request)
    assert wants_events(envelope, request)
    assert not wants_events(envelope, {"command": "send", "id": 4})  # did not ask
    replies.event(envelope, request, {"type": "started", "command": "send"})
    replies.event(envelope, request, {"type": "bad", "value": object()})  # cannot be encoded: dropped, not raised
    replies.answer(envelope, 4, 42)
    assert wire.replies() == [{"id": 4, "status": "event", "event": {"type": "started", "command": "send"}},
                              {"id": 4, "status": "ok", "result": 42}]
    assert replies.counters.answered == 1  # events are not replies


def test_a_req_client_gets_its_one_reply_and_never_events():
    wire = Wire(kind=zmq.REQ)
    try:
        replies, _lines = _path(wire)
        request = {"command": "status", "id": 5, "events": True}
        envelope = wire.envelope(request)
        assert envelope.req and not wants_events(envelope, request)
        replies.answer(envelope, 5, {"ok": True})
        assert wire.replies() == [{"id": 5, "status": "ok", "result": {"ok": True}}]
    finally:
        wire.close()


def test_before_the_kernel_serves_a_reply_goes_nowhere_and_nothing_raises():
    replies = ReplyPath(lambda event, **fields: None, Clock())
    assert replies.send([b"client", b"payload"]) is False
    replies.answer(Envelope(b"client", req=False), 1, "early")
    assert replies.counters.answered == 1


def test_a_reply_is_sent_whole_or_answered_too_large_with_its_size_never_cut(wire):
    replies, lines = _path(wire)
    replies.max_frame_bytes = 64 * 1024
    request = {"command": "send", "target": "genesis_obj", "selector": "numbers", "id": 8}
    envelope = wire.envelope(request)
    replies.answer(envelope, 8, list(range(10_000)), request=request)  # about 30 KB packed: under the limit
    replies.answer(envelope, 9, list(range(50_000)), request=dict(request, id=9))  # about 150 KB: over it
    whole, refused = wire.replies()
    assert whole["result"] == list(range(10_000))
    assert (refused["id"], refused["status"], refused["error"]["code"]) == (9, "error", "too_large")
    assert refused["error"]["limit"] == 64 * 1024 and refused["error"]["size"] > 64 * 1024
    assert "not sent cut short" in refused["error"]["message"] and "It ran" in refused["error"]["message"]
    assert [fields["outcome"] for _event, fields in lines] == ["ok", "too_large"]
    assert replies.counters.errors == 1

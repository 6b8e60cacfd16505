"""The wire contract, without sockets."""

import functools
import math

import ormsgpack
import pytest

from bat_os import protocol


def test_round_trip():
    message = {"command": "send", "id": 3, "args": [1, "a", None, 2.5, b"raw"], "kwargs": {"x": {"y": [True]}}}
    assert protocol.parse_request(protocol.encode(message)) == message


@pytest.mark.parametrize("frame", [b"\xc1", b"", ormsgpack.packb([1]), ormsgpack.packb({"id": 1}), ormsgpack.packb({"command": 1})])
def test_bad_frames(frame):
    with pytest.raises(protocol.DecodeError):
        protocol.parse_request(frame)


def test_reply_shapes():
    assert protocol.ok(1, {"a": 1}) == {"id": 1, "status": "ok", "result": {"a": 1}}
    assert protocol.error(None, "busy", "full", retry=True) == {
        "id": None, "status": "error", "error": {"code": "busy", "message": "full", "retry": True}
    }
    assert protocol.event("e", {"type": "started"}) == {"id": "e", "status": "event", "event": {"type": "started"}}
    assert set(protocol.ERROR_CODES) >= {"bad_request", "unknown_command", "not_found", "not_understood", "too_large", "busy", "timeout", "internal"}


class Broken:
    def __repr__(self):
        raise RuntimeError("no repr")


def test_to_wire_renders_what_msgpack_cannot_carry():
    value = {
        "set": {3},
        "tuple": (1, 2),
        "inf": math.inf,
        "huge": 2**80,
        "broken": Broken(),
        1: "int key",
        "deep": functools.reduce(lambda inner, _: [inner], range(protocol.MAX_DEPTH + 2), "bottom"),
    }
    wire = protocol.to_wire(value)
    assert wire["set"] == [3] and wire["tuple"] == [1, 2]
    assert wire["inf"] == {"$repr": "inf"}
    assert wire["huge"] == {"$repr": str(2**80)}
    assert "repr failed" in wire["broken"]["$repr"]
    assert wire["1"] == "int key"
    assert "$repr" in str(wire["deep"])  # depth is bounded
    ormsgpack.packb(wire)  # and the result is always packable


def test_a_questions_call_reaches_the_person_whole_however_deep_its_arguments():
    # a method's argument may be 8 levels deep (cases.MAX_DEPTH); the event around a look's second call adds 8 more
    ranges = [[["09:00", "10:00"], ["09:30", "11:00"]]]
    event = {"id": "d", "status": "event", "event": {"type": "question", "question": {
        "also": [{"call": {"args": [[[[[[[ranges]]]]]]], "kwargs": {}}, "result": ranges}]}}}
    wire = protocol.to_wire(event)
    assert wire == event and "$repr" not in str(wire)
    assert ormsgpack.unpackb(ormsgpack.packb(wire)) == event


def test_to_wire_truncates_long_things():
    wire = protocol.to_wire(list(range(5000)))
    assert len(wire) == protocol.MAX_ITEMS + 1 and wire[-1] == {"$truncated": True}
    assert protocol.safe_repr("x" * 10000).endswith("...<truncated>")


def test_to_wire_uses_the_reference_hook():
    marker = object()
    assert protocol.to_wire([marker], ref=lambda v: {"$oid": "0x01"} if v is marker else None) == [{"$oid": "0x01"}]

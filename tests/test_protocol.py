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


def test_to_wire_renders_long_things_whole():
    # a reply is sent whole up to the frame limit (bat_os.kernel.replies answers too_large over it): never cut
    numbers = list(range(50_000))
    assert protocol.to_wire(numbers) == numbers
    assert protocol.to_wire(tuple(numbers)) == numbers and sorted(protocol.to_wire(set(numbers))) == numbers
    mapping = {str(i): i for i in range(5000)}
    assert protocol.to_wire(mapping) == mapping
    assert "$truncated" not in str(protocol.to_wire({"a": numbers}))
    assert protocol.safe_repr("x" * 10000).endswith("...<truncated>")  # a repr is a description, not data


def test_to_wire_uses_the_reference_hook():
    marker = object()
    assert protocol.to_wire([marker], ref=lambda v: {"$oid": "0x01"} if v is marker else None) == [{"$oid": "0x01"}]


def test_peek_id_reads_a_frames_id_without_decoding_the_rest():
    pack = ormsgpack.packb
    assert protocol.peek_id(pack({"command": "ping", "id": 7})) == 7
    bulky = {"command": "send", "args": ["x" * 70000, list(range(5000)), {"a": [1.5, None, True, b"z" * 70000]}], "id": "r-9"}
    assert protocol.peek_id(pack(bulky)) == "r-9"
    assert protocol.peek_id(pack({"args": "y", "id": {"n": [1, -2]}})) == {"n": [1, -2]}
    # a fixext and an ext8 before the id are stepped over by their sizes
    assert protocol.peek_id(b"\x83\xa1x\xd4\x01\x02\xa1y\xc7\x03\x05abc\xa2id\x05") == 5


def test_peek_id_gives_up_with_none_rather_than_guess_or_run_long():
    pack = ormsgpack.packb
    assert protocol.peek_id(pack({"command": "send"})) is None  # no id
    assert protocol.peek_id(pack([1, {"id": 3}])) is None  # not a map
    assert protocol.peek_id(b"") is None and protocol.peek_id(b"\xc1\x00") is None
    cut = pack({"args": "y" * 100, "id": 4})
    assert protocol.peek_id(cut[:60]) is None and protocol.peek_id(cut[:-1]) is None
    many = pack({"args": list(range(200_000)), "id": 5})
    assert protocol.peek_id(many) is None  # more items before the id than it steps over
    assert protocol.peek_id(many, steps=300_000) == 5

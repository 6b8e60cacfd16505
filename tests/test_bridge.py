"""Frame classification: DEALER, REQ, and garbage."""

from bat_os.kernel.bridge import Envelope, split


def test_dealer_frames():
    incoming = split([b"id", b"payload"])
    assert incoming.envelope == Envelope(b"id", req=False) and incoming.payload == b"payload" and incoming.problem is None
    assert incoming.envelope.frames(b"r") == [b"id", b"r"]


def test_req_frames():
    incoming = split([b"id", b"", b"payload"])
    assert incoming.envelope.req and incoming.payload == b"payload"
    assert incoming.envelope.frames(b"r") == [b"id", b"", b"r"]


def test_garbage():
    assert split([b"id"]).envelope is None
    incoming = split([b"id", b"a", b"b", b"c"])
    assert incoming.payload is None and "3 frames" in incoming.problem and not incoming.envelope.req
    incoming = split([b"id", b"", b"a", b"b"])
    assert incoming.envelope.req and "2 frames" in incoming.problem

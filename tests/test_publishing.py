"""The kernel's side of the event stream (bat_os.kernel.publishing): a real PUB socket and a real subscriber; commits
of a real image, cycles' events and the commands' events published; a cycle's moves audited too; all undone on
close; a stream that is off or cannot bind leaves the kernel serving without one."""

from __future__ import annotations

import logging
import time

import pytest
import zmq

from bat_os import protocol
from bat_os.image import transact
from bat_os.kernel.commands.base import Context
from bat_os.kernel.publishing import Publisher


def _subscriber(endpoint: str) -> zmq.Socket:
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(endpoint)
    time.sleep(0.2)  # the subscription reaches the publisher
    return sub


def _heard(sub: zmq.Socket, wait_ms: int = 300) -> list[dict]:
    events = []
    while sub.poll(wait_ms):
        _topic, payload = sub.recv_multipart()
        events.append(protocol.decode(payload))
    return events


@pytest.fixture
def publisher(awake_image):
    lines: list[tuple[str, dict]] = []
    publisher = Publisher(Context(image=awake_image, stats=lambda: {}), lambda event, **fields: lines.append((event, fields)))
    publisher.lines = lines
    yield publisher
    publisher.close()


def test_commits_and_the_commands_events_are_published_while_open(publisher, awake_image):
    publisher.open("tcp://127.0.0.1:*", hwm=100)
    sub = _subscriber(publisher.stream.endpoint)
    try:
        awake_image.run(lambda: awake_image.connection.root()["genesis_obj"].set_slot("colour", "blue"), note="set_slot colour")
        awake_image.read(lambda: awake_image.connection.root()["genesis_obj"].slots["colour"])  # a read: no commit event
        publisher.ctx.publish("backup.done", {"path": "b.fs"})
        heard = _heard(sub)
    finally:
        sub.close()
    assert [(e["topic"], e.get("note"), e.get("path")) for e in heard] == [
        ("commit", "set_slot colour", None), ("backup.done", None, "b.fs")]
    assert publisher.status() == {"endpoint": publisher.stream.endpoint, "published": 2, "dropped": 0}


def test_a_cycle_s_moves_are_audited_and_what_the_stream_carries_is_published(publisher):
    publisher.open("tcp://127.0.0.1:*", hwm=100)
    sub = _subscriber(publisher.stream.endpoint)
    try:
        publisher.cycle_event({"type": "state", "cycle": "c1", "state": "FAILED", "selector": "triple",
                               "failed_state": "VALIDATING", "reasons": ["no candidate passed"]})
        publisher.cycle_event({"type": "token", "cycle": "c1", "persona": "BRICK", "text": "def"})  # published only
        publisher.cycle_event({"type": "started", "command": "send"})  # neither: not a cycle's event
        heard = _heard(sub)
    finally:
        sub.close()
    assert [(e["topic"], "type" in e) for e in heard] == [("cycle.c1.state", False), ("persona.BRICK.token", False)]
    assert heard[0]["state"] == "FAILED"
    assert [kind for kind, _fields in publisher.lines] == ["cycle", "cycle_failed"]
    assert publisher.lines[1][1]["reasons"] == ["no candidate passed"]


def test_closing_unhooks_commits_and_silences_the_commands(publisher, awake_image):
    publisher.open("tcp://127.0.0.1:*", hwm=100)
    assert publisher.committed in transact.AFTER_COMMIT
    publisher.close()
    assert publisher.committed not in transact.AFTER_COMMIT
    assert publisher.stream is None and publisher.status() is None
    publisher.ctx.publish("backup.done", {"path": "b.fs"})  # a no-op now, never an error
    awake_image.run(lambda: awake_image.connection.root()["genesis_obj"].set_slot("colour", "red"))
    publisher.cycle_event({"type": "state", "cycle": "c2", "state": "DECOMPOSING"})  # still audited
    assert publisher.lines[-1][0] == "cycle"


def test_a_stream_that_is_off_or_cannot_bind_leaves_the_kernel_without_one(publisher, caplog):
    before = list(transact.AFTER_COMMIT)
    publish = publisher.ctx.publish
    publisher.open("off", hwm=100)
    assert publisher.stream is None and publisher.ctx.publish is publish and transact.AFTER_COMMIT == before
    taken = Publisher(publisher.ctx, publisher.record)
    taken.open("tcp://127.0.0.1:*", hwm=100)
    try:
        with caplog.at_level(logging.ERROR, logger="bat_os.kernel.publishing"):
            publisher.open(taken.stream.endpoint, hwm=100)  # the address is in use
        assert publisher.stream is None and "serving without it" in caplog.text
        assert transact.AFTER_COMMIT == before + [taken.committed]
    finally:
        taken.close()
    assert transact.AFTER_COMMIT == before

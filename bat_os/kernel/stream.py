"""The event stream: everything the image does, published for any number of watchers. No ZODB here.

A ZeroMQ PUB socket (``events_endpoint``: loopback, on a port of its own; ``tcp://127.0.0.1:*`` picks a
free one, which ``status`` reports) publishes two frames per event: the topic (UTF-8) and a msgpack map
``{"seq", "topic_seq", "at", "topic", ...}``. Topics::

    cycle.<id>.state        {"cycle", "state", "brief_sha256", "origin", "selector"}
                            (FAILED: and "failed_state", "reasons")   a cognitive cycle moved
    cycle.<id>.trial        {"cycle", "attempt", "accepted", "eligible", "passes", "failed", "code_sha256", ...}
                                                               VALIDATING judged a candidate
    cycle.<id>.question|answered                               a question to the person, and how it was settled
    persona.<NAME>.token    {"cycle", "persona", "text"}       a persona's words, as they stream
    method.installed        {"cycle", "selector", "receiver", "version", "author", "code_sha256", "origin",
                            "brief_sha256"} (a cycle's) or {"target", "selector", "version", "change"} (a command's)
    method.removed          {"target", "selector", "version"}
    commit                  {"note"}                           a transaction that wrote something committed
    backup.started|done|failed|pruned, pack.started|progress|done|failed   upkeep (bat_os.kernel.backups, .packs)
    forge.progress|done|failed                                 a forge training run (bat_os.kernel.commands.forge)

A subscriber picks topics by prefix (ZeroMQ's own subscription: ``cycle.`` takes every cycle's). ``seq``
counts every event published, ``topic_seq`` those of its topic, so a subscriber sees a gap where it missed
some (in ``seq`` when it takes every topic, in ``topic_seq`` otherwise). The kernel never waits for
a subscriber: a PUB socket drops what a subscriber's queue (``events_hwm`` messages) cannot hold, and a
send the socket refuses is counted as dropped (:attr:`EventStream.dropped`).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from bat_os import protocol

logger = logging.getLogger(__name__)

MAX_TOPICS = 10_000  # topics whose own count is kept (a topic forgotten starts again at 1)


class EventStream:
    def __init__(self, endpoint: str, *, hwm: int = 1000, clock: Callable[[], float] = time.time) -> None:
        import zmq

        self._zmq = zmq
        self.context = zmq.Context.instance()
        self.socket = self.context.socket(zmq.PUB)
        self.socket.setsockopt(zmq.SNDHWM, hwm)
        self.socket.setsockopt(zmq.LINGER, 0)
        try:
            self.socket.bind(endpoint)
        except zmq.ZMQError:
            self.socket.close()
            raise
        self.endpoint = self.socket.getsockopt(zmq.LAST_ENDPOINT).decode()
        self.clock = clock
        self.seq = 0
        self.dropped = 0
        self.topic_seqs: dict[str, int] = {}

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Publish ``event`` under ``topic`` now; never blocks, never raises (a failure is counted and logged)."""
        self.seq += 1
        topic_seq = self.topic_seqs[topic] = self.topic_seqs.get(topic, 0) + 1
        if len(self.topic_seqs) > MAX_TOPICS:  # the oldest topics (ended cycles) are forgotten first
            del self.topic_seqs[next(iter(self.topic_seqs))]
        try:
            payload = protocol.encode({"seq": self.seq, "topic_seq": topic_seq, "at": round(self.clock(), 6), "topic": topic,
                                       **event})
            self.socket.send_multipart([topic.encode("utf-8"), payload], flags=self._zmq.NOBLOCK)
        except self._zmq.Again:
            self.dropped += 1
        except Exception:  # noqa: BLE001 - a stream that fails must not fail what it reports
            self.dropped += 1
            logger.exception("cannot publish an event on %s", topic)

    def status(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "published": self.seq, "dropped": self.dropped}

    def close(self) -> None:
        self.socket.close(linger=0)


def topic_of(event: dict[str, Any]) -> str | None:
    """A cycle's progress event (the orchestrator's) as a stream topic; None for kinds the stream does not carry."""
    kind = event.get("type")
    if kind == "state":
        return f"cycle.{event.get('cycle')}.state"
    if kind == "trial":
        return f"cycle.{event.get('cycle')}.trial"
    if kind == "token":
        return f"persona.{event.get('persona')}.token"
    if kind == "installed":
        return "method.installed"
    if kind in ("question", "answered"):
        return f"cycle.{event.get('cycle')}.{kind}"
    return None

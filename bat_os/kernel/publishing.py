"""What the kernel publishes on its event stream while it serves: commits, cycles' moves, the commands' events.

:meth:`Publisher.open` binds the stream (:class:`~bat_os.kernel.stream.EventStream`
on ``events_endpoint``; ``"off"``: none) and wires it up: every transaction
that wrote something publishes ``commit`` (:data:`bat_os.image.transact.AFTER_COMMIT`),
and the commands publish through ``ctx.publish``. A stream that cannot bind is
logged and left out: the kernel serves without it (watching is optional,
serving is not). :meth:`Publisher.cycle_event` is the orchestrator's ``tap``:
a cycle's moves, trials, install and failure go to the audit trail
(:func:`~bat_os.kernel.audit.cycle_lines`), and every event the stream carries
(:func:`~bat_os.kernel.stream.topic_of`) is published. :meth:`Publisher.close`
undoes all of it.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from bat_os.image import transact
from bat_os.kernel.audit import cycle_lines
from bat_os.kernel.commands.base import Context
from bat_os.kernel.stream import EventStream, topic_of

logger = logging.getLogger(__name__)


class Publisher:
    """The kernel's side of the event stream: ``ctx`` is the commands' context (its ``publish`` is set while the
    stream is open); ``record`` is the audit trail's."""

    def __init__(self, ctx: Context, record: Callable[..., None]) -> None:
        self.ctx = ctx
        self.record = record
        self.stream: EventStream | None = None  # while open

    def open(self, endpoint: str, hwm: int) -> None:
        """Bind the stream on ``endpoint`` (``"off"``: no stream) and wire commits and the commands to it."""
        if endpoint == "off":
            return
        try:
            self.stream = EventStream(endpoint, hwm=hwm)
        except Exception as exc:  # noqa: BLE001 - watching is optional; serving is not
            logger.error("the event stream cannot bind %s (%s): serving without it", endpoint, exc)
            return
        transact.AFTER_COMMIT.append(self.committed)
        self.ctx.publish = self.stream.publish
        logger.info("event stream on %s", self.stream.endpoint)

    def committed(self, note: str | None) -> None:
        if self.stream is not None:
            self.stream.publish("commit", {"note": note})

    def cycle_event(self, event: dict) -> None:
        """A cycle's progress: its moves, trials, install and failure in the audit trail, everything the stream
        carries on the stream."""
        for kind, fields in cycle_lines(event):
            self.record(kind, **fields)
        topic = topic_of(event)
        if topic is not None and self.stream is not None:
            self.stream.publish(topic, {k: v for k, v in event.items() if k != "type"})

    def status(self) -> dict[str, Any] | None:
        """The stream's figures for ``status`` (None: no stream)."""
        return self.stream.status() if self.stream is not None else None

    def close(self) -> None:
        if self.stream is not None:
            if self.committed in transact.AFTER_COMMIT:
                transact.AFTER_COMMIT.remove(self.committed)
            self.ctx.publish = _no_events
            self.stream.close()
            self.stream = None


def _no_events(topic: str, event: dict) -> None:
    return None

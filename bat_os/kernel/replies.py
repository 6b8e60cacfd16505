"""The one reply path: an outcome (a value or an exception) becomes a reply, sent, counted and audited.

Every reply the kernel sends goes out through :meth:`ReplyPath.answer`: a
handler's value, the outcome of awaited work, a cycle resumed after a crash,
and every frame refused before a handler ran. An exception is coded by
:func:`bat_os.errors.reply_of` (a bug is ``internal``, logged with its
traceback); a reply that cannot be encoded is answered ``internal``, and one over
``max_frame_bytes`` is answered ``too_large`` with its ``size``: a reply is sent
whole or not at all. A
request that is given is audited (``request`` lines of the audit trail, with
the time since it started).

Progress events (:meth:`ReplyPath.event`) go out before the reply, only to a
client that asked for them (``events: true``) and is not a REQ socket, which
takes exactly one reply per request (:func:`wants_events`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from bat_os import errors, protocol
from bat_os.image import codec
from bat_os.kernel.audit import request_line
from bat_os.kernel.bridge import Envelope

logger = logging.getLogger(__name__)

NO_RESULT = object()  # ReplyPath.answer without a result: the reply's result is None


@dataclass
class Counters:
    received: int = 0  # messages taken from the socket (bat_os.kernel.intake)
    answered: int = 0  # replies (not progress events)
    errors: int = 0  # replies that were not "ok"
    busy: int = 0  # requests refused because the queue was full


class ReplyPath:
    """Replies and progress events onto the kernel's socket, counted in :attr:`counters`.

    ``send`` is the bridge's (:meth:`bat_os.kernel.bridge.Bridge.send`), set
    when the kernel serves; until then nothing is sent. ``record`` is the
    audit trail's (:meth:`bat_os.kernel.audit.AuditSink.record`).
    """

    def __init__(self, record: Callable[..., None], clock: Callable[[], float], max_frame_bytes: int = 16 * 2**20) -> None:
        self.record = record
        self.clock = clock
        self.max_frame_bytes = max_frame_bytes
        self.counters = Counters()
        self.send: Callable[[list[bytes]], bool] = _not_sent

    def answer(
        self, envelope: Envelope | None, request_id: Any, result: Any = NO_RESULT, *, error: BaseException | None = None,
        request: dict | None = None, started: float | None = None,
    ) -> None:
        """An outcome (``result``, or ``error``) -> a reply, sent, counted, audited.

        ``envelope`` None: nobody waits (a resumed cycle whose client is
        gone): the reply is neither sent nor counted, only audited.
        ``request``: audited, with the time since ``started``.
        """
        if error is None:
            message = protocol.ok(request_id, None if result is NO_RESULT else result)
        else:
            code, text, details = errors.reply_of(error)
            message = protocol.error(request_id, code, text, **{key: codec.render(value) for key, value in details.items()})
        try:
            payload = protocol.encode(message)
        except Exception as exc:  # noqa: BLE001 - a result we failed to render: still answered
            logger.exception("cannot encode the reply to %s", request.get("command") if request else "a request")
            message = protocol.error(request_id, "internal", f"reply could not be encoded: {exc}")
            payload = protocol.encode(message)
        if len(payload) > self.max_frame_bytes:  # sent whole or not at all: never cut short
            message = protocol.error(request_id, "too_large", _too_large(request, len(payload), self.max_frame_bytes),
                                     size=len(payload), limit=self.max_frame_bytes)
            payload = protocol.encode(message)
        outcome = "ok" if message["status"] == "ok" else message["error"]["code"]
        if envelope is not None:
            self.counters.answered += 1
            if outcome != "ok":
                self.counters.errors += 1
            self.send(envelope.frames(payload))
        if request is not None:
            since = started if started is not None else self.clock()
            self.record("request", **request_line(request, outcome, (self.clock() - since) * 1000))

    def event(self, envelope: Envelope, request: dict, event: dict) -> None:
        """A progress event before the reply (the caller has checked :func:`wants_events`)."""
        try:
            payload = protocol.encode(protocol.event(request.get("id"), event))
        except Exception:  # noqa: BLE001 - an event we cannot render is dropped; the reply still comes
            logger.exception("cannot encode a progress event of %s", request.get("command"))
            return
        if len(payload) > self.max_frame_bytes:
            logger.warning("a progress event of %s is %d bytes, over the frame limit: not sent", request.get("command"), len(payload))
            return
        self.send(envelope.frames(payload))


def wants_events(envelope: Envelope, request: dict) -> bool:
    """Whether the client asked for progress events and can take them (a REQ socket takes one reply only)."""
    return request.get("events") is True and not envelope.req


def _too_large(request: dict | None, size: int, limit: int) -> str:
    command = request.get("command") if request else None
    done = " It ran (a change it made is committed)." if command == "send" else ""
    return (f"the reply is {size} bytes, over the frame limit of {limit}; it is not sent cut short.{done} "
            "Read a long list in pages (offset, limit), or keep a method's result in a slot (send's \"keep\") "
            "and read that slot in pages (get_slot)")


def _not_sent(frames: list[bytes]) -> bool:
    return False  # no socket yet: the kernel is not serving

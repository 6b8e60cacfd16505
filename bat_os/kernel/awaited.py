"""Awaited work: a handler's Later, and cycles a crash interrupted, each a task of its own while the kernel serves on.

A handler that answers a :class:`~bat_os.kernel.commands.base.Later` (the
jail, a model, a cycle, a backup) has ended its transaction; :meth:`Awaited.later`
awaits ``later.run(call)`` as a task and answers its outcome through the reply
path (:mod:`bat_os.kernel.replies`). The :class:`~bat_os.kernel.commands.base.Call`
carries the progress events to a client that asked for them, where to answer
(``reply_to``, kept with a cycle so that its answer can reach the client after
a restart), and whether a cycle may ask the client questions.

:meth:`Awaited.resume_interrupted` drives each cycle a crash interrupted; its
answer goes to the client that waited if that client's identity still names it
after the restart (:func:`~bat_os.kernel.bridge.lasting_envelope`), and is only
audited otherwise.

At shutdown (:meth:`Awaited.stop`) the work gets the grace period, then is
cancelled: a cancelled Later is answered ``shutting_down`` ("send it again");
a cancelled cycle resumes from its checkpoint at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from bat_os.errors import ShuttingDown
from bat_os.image import codec
from bat_os.kernel.replies import ReplyPath, wants_events
from bat_os.kernel.bridge import Envelope, lasting_envelope
from bat_os.kernel.commands.base import Call, Later
from bat_os.models.backends import PROGRESS

if TYPE_CHECKING:
    from bat_os.cognition.cycle.driver import Orchestrator

logger = logging.getLogger(__name__)


class Awaited:
    """The tasks being awaited (:attr:`tasks`: jail runs, cycles, model calls, backups), each answered when done."""

    def __init__(self, replies: ReplyPath, clock: Callable[[], float]) -> None:
        self.replies = replies
        self.clock = clock
        self.tasks: set[asyncio.Task] = set()

    def later(self, envelope: Envelope, request: dict, later: Later, started: float) -> asyncio.Task:
        """Await ``later`` (a handler's answer to ``request``, which started at ``started``) and answer it."""
        return self._spawn(self._await(envelope, request, later, started))

    def resume_interrupted(self, orchestrator: Orchestrator) -> None:
        """Cycles a crash interrupted: resume each (or fail it), answering its client if still there."""
        for cycle_id, reply_to in orchestrator.interrupted():
            self._spawn(self._resume(orchestrator, cycle_id, reply_to))

    async def stop(self, grace: float) -> None:
        """Give awaited work ``grace`` seconds, then cancel it (a cycle resumes from its checkpoint at the next start)."""
        if not self.tasks:
            return
        _done, pending = await asyncio.wait(set(self.tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("cancelled %d awaited request(s) still running at shutdown", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

    def _spawn(self, coroutine: Awaitable[None]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _await(self, envelope: Envelope, request: dict, later: Later, started: float) -> None:
        request_id = request.get("id")
        events = wants_events(envelope, request)

        def on_event(event: dict) -> None:
            if events:
                self.replies.event(envelope, request, codec.render(event))

        reply_to = {"identity": envelope.identity, "req": envelope.req, "id": request_id if _plain(request_id) else None}
        PROGRESS.set(on_event)  # this task's own: a wait for a model on its way reports to this client
        try:
            asks = events and request.get("ask", True) is not False  # a cycle may ask it (bat_os.cognition.judge.questions)
            result = await later.run(Call(on_event=on_event, reply_to=reply_to, asks=asks))  # plain data already
        except asyncio.CancelledError:
            self.replies.answer(envelope, request_id, error=ShuttingDown("the kernel is stopping; send it again"),
                                request=request, started=started)
            raise
        except Exception as exc:
            self.replies.answer(envelope, request_id, error=exc, request=request, started=started)
            return
        self.replies.answer(envelope, request_id, result, request=request, started=started)

    async def _resume(self, orchestrator: Orchestrator, cycle_id: str, reply_to: dict | None) -> None:
        """Drive a cycle a crash interrupted; its answer goes to the client that waited if it can still be reached."""
        envelope = lasting_envelope(reply_to)  # None for a client of the last kernel: its identity may be another's now
        if reply_to and envelope is None:
            logger.info("cycle %s resumes; its client was the last kernel's, so its answer is not sent", cycle_id)
        request_id = reply_to.get("id") if reply_to else None
        request = {"command": "resume", "id": request_id, "cycle": cycle_id}
        started = self.clock()
        try:
            result = await orchestrator.drive(cycle_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.replies.answer(envelope, request_id, error=exc, request=request, started=started)
            return
        self.replies.answer(envelope, request_id, result, request=request, started=started)


def _plain(value: Any) -> bool:
    """Whether a request id can be kept with a cycle as it is (it is written into the image)."""
    return value is None or isinstance(value, (str, int, float, bool))

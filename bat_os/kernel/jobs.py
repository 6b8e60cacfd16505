"""A job: one request's command run in one transaction on the loop thread, then answered or awaited.

:meth:`JobRunner.run` takes a :class:`Job` from the intake
(:mod:`bat_os.kernel.intake`: at once, or from the queue). A job whose request
waited past its ``timeout`` is answered ``timeout`` without running. Otherwise
its command (:mod:`bat_os.kernel.commands`) runs in one transaction
(:mod:`bat_os.image.transact`) on this thread, the only one that touches
ZODB: a command that writes commits before its reply goes out, so "ok" means
committed, and its result is rendered after the commit, so new objects have
their ids; a read always aborts.

A handler that answers a :class:`~bat_os.kernel.commands.base.Later`, or
raises :class:`~bat_os.kernel.commands.base.Reroute` with one (its
transaction is then aborted), is handed to awaited work
(:mod:`bat_os.kernel.awaited`). Every other outcome, a value or an exception,
is answered through the reply path (:mod:`bat_os.kernel.replies`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from bat_os.errors import Timeout
from bat_os.image import codec
from bat_os.image.image import Image
from bat_os.kernel import commands as command_list
from bat_os.kernel.replies import ReplyPath, wants_events
from bat_os.kernel.awaited import Awaited
from bat_os.kernel.bridge import Envelope
from bat_os.kernel.commands.base import Command, Context, Later, Reroute


@dataclass
class Job:
    envelope: Envelope
    request: dict
    received: float  # monotonic clock
    deadline: float


@dataclass(eq=False)
class JobRunner:
    """Runs jobs' commands on ``image`` with ``ctx``, answers through ``replies``, hands Laters to ``awaited``."""

    image: Image
    ctx: Context  # what the handlers are given
    commands: dict[str, Command]  # name -> Command (bat_os.kernel.commands.get_commands)
    replies: ReplyPath
    awaited: Awaited
    conflict_retries: int  # a write's retries after a conflict (bat_os.image.transact)
    clock: Callable[[], float]

    def run(self, job: Job) -> None:
        """Run a job's command; answer it now, or start awaiting its :class:`Later`."""
        request = job.request
        started = self.clock()
        try:
            if started > job.deadline:
                raise Timeout(f"the request waited {started - job.received:.1f}s in the queue, past its timeout")
            command = command_list.lookup(self.commands, request["command"])
            if wants_events(job.envelope, request):
                self.replies.event(job.envelope, request, {"type": "started", "command": command.name})
            result = self._execute(command, request)
        except Exception as exc:  # answered with its code (a bug: internal, logged with its traceback)
            self.replies.answer(job.envelope, request.get("id"), error=exc, request=request, started=started)
            return
        if isinstance(result, Later):
            self.awaited.later(job.envelope, request, result, started)
            return
        self.replies.answer(job.envelope, request.get("id"), result, request=request, started=started)

    def _execute(self, command: Command, request: dict) -> Any:
        """The handler in one transaction: committed (writes) or aborted (reads); a Later as it is (a Reroute's
        Later once its transaction is aborted)."""
        try:
            return self._in_transaction(command, request)
        except Reroute as reroute:
            return reroute.later

    def _in_transaction(self, command: Command, request: dict) -> Any:
        if command.writes:
            value = self.image.run(
                lambda: command.handler(self.ctx, request),
                retries=self.conflict_retries,
                note=f"{command.name} {request.get('target', '')} {request.get('selector', request.get('slot', ''))}".strip(),
            )
            # Rendered after the commit (new objects have their ids now); this
            # kernel is the image's only writer, so the view is current.
            return _rendered(value)
        return self.image.read(lambda: _rendered(command.handler(self.ctx, request)))


def _rendered(value: Any) -> Any:
    return value if isinstance(value, Later) else codec.render(value)

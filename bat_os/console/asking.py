"""A cycle's question while a request waits: show it, read the answer, send it, go back to waiting.

The connection routes every frame to its request's event handler as it
arrives (:mod:`.connection`). A ``question`` event reaches
:meth:`Questions.event`, which takes over until the question is settled:

1. the live display pauses (no spinner over the question) and the question is
   shown (:func:`~.questions.render_question`);
2. the person's line is read by the source's ``answer`` coroutine
   (prompt_toolkit's ``prompt_async`` at a terminal) while, in the same
   asyncio loop and thread, the connection is pumped every ``PUMP_EVERY``
   seconds. An ``answered`` event for the question (someone else answered,
   or it timed out) or the request's final reply cancels the prompt instead
   of waiting for a line that no longer matters. No thread reads stdin and
   no ``select`` is needed, so it works the same on Windows; the socket
   stays in the one thread that owns it;
3. a line that does not parse is re-asked (nothing is sent); a good one goes
   as the ``answer`` command on the same connection (:meth:`Connection.submit`)
   while the request is still pending, and its reply is shown;
4. the display resumes and the wait goes on.

A question that comes while another is being asked waits its turn. Where
nobody can answer (no terminal: such requests say ``"ask": false``, so only a
kernel that asks anyway gets here) the question is shown with the
``/answer`` line to type in another console.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Protocol

from .connection import POLL_SLICE, Connection
from .errors import NoReply, UsageError
from .inputs import LineSource
from .questions import (
    answer_hint, answer_request, describe_answer, is_question, parse_answer, render_answered, render_question,
)
from .render import compact, format_error, format_result, format_strange
from .screen import Screen

PUMP_EVERY = 0.05  # seconds between looks at the socket while the person types
PROMPT = "answer {question} > "


class Display(Protocol):
    """The live display of the request that was asked (:class:`~.progress.Progress`, or raw events)."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...


class _Settled:
    """Returned instead of a line: the question was settled, or the request ended, while the person typed."""


SETTLED = _Settled()


class Questions:
    """Asks one request's questions as their events arrive (pass :meth:`event` on as an event handler)."""

    def __init__(self, connection: Connection, screen: Screen, display: Display, source: LineSource | None, *,
                 answer_timeout: float) -> None:
        self.connection = connection
        self.screen = screen
        self.display = display
        self.source = source  # None: nobody here can answer
        self.answer_timeout = answer_timeout  # seconds for the kernel to answer the answer
        self._open: dict | None = None  # the question being asked now
        self._settled: dict | None = None  # its ``answered`` event, when one came while it was asked
        self._later: list[tuple[int, dict]] = []  # questions that came meanwhile: asked next
        self._ours: set[tuple[str, str]] = set()  # (cycle, question) answered here: their ``answered`` is known

    def event(self, reply: dict) -> None:
        """One ``{"status": "event", "event": {...}}`` frame of the request (others are ignored here)."""
        event = reply.get("event")
        if not isinstance(event, dict):
            return
        if event.get("type") == "question":
            self._question(reply.get("id"), event.get("question"), waiting=event.get("waiting") is not False)
        elif event.get("type") == "answered":
            self._answered(event)

    def _question(self, request_id: object, question: object, *, waiting: bool = True) -> None:
        if not is_question(question) or not isinstance(request_id, int):
            self.screen.warn(f"the kernel asked a question this client does not understand: {compact(question)}")
            return
        assert isinstance(question, dict)
        if not waiting:  # the cycle could not wait for it (it fails): shown, and how to answer it later
            self.display.pause()
            self.screen.say(render_question(question), "brief")
            self.screen.note(f"(the cycle does not wait for this answer; answering it later tries the cycle again: "
                             f"{answer_hint(question['cycle'], question['id'])})")
            self.display.resume()
            return
        if self._open is not None:  # routed while another is asked: its turn comes next
            self._later.append((request_id, question))
            return
        self._ask(request_id, question)
        while self._later:
            self._ask(*self._later.pop(0))

    def _answered(self, event: dict) -> None:
        key = (event.get("cycle"), event.get("question"))
        if self._open is not None and key == (self._open["cycle"], self._open["id"]):
            self._settled = event  # the prompt sees it at its next look
            return
        if key in self._ours:
            return  # our own answer, said already
        waiting = [item for item in self._later if (item[1]["cycle"], item[1]["id"]) == key]
        for item in waiting:
            self._later.remove(item)
        self.screen.note(render_answered(event))

    # --- one question -------------------------------------------------------------------------

    def _ask(self, request_id: int, question: dict) -> None:
        self.display.pause()
        self.screen.say(render_question(question), "brief")
        if self.source is None:
            self.screen.note(f"(nobody can answer here; from a console: {answer_hint(question['cycle'], question['id'])})")
        else:
            self._open, self._settled = question, None
            try:
                self._converse(request_id, question)
            finally:
                self._open = None
        self.display.resume()

    def _converse(self, request_id: int, question: dict) -> None:
        """Read lines until one parses and the kernel takes it, or the question is settled without it."""
        while True:
            line = self._read(request_id, PROMPT.format(question=question["id"]))
            if isinstance(line, _Settled):
                self._say_settled(request_id, question)
                return
            try:
                fields = {"skip": True} if line is None else parse_answer(line, question)  # Ctrl+D: skip
            except UsageError as exc:
                self.screen.warn(str(exc))
                continue
            reply = self._send(question, fields)
            if reply is None:
                return
            if reply.get("status") == "ok":
                self._ours.add((question["cycle"], question["id"]))
                result = reply.get("result")
                if isinstance(result, dict) and result.get("accepted") is True:
                    self.screen.note(f"answer accepted: {describe_answer(fields, question)}")
                else:
                    self.screen.note(format_result("answer", result))
                return
            if reply.get("status") != "error":
                self.screen.problem(format_strange(reply))
                return
            self.screen.problem(format_error(reply))
            error = reply.get("error")
            if not (isinstance(error, dict) and error.get("code") == "bad_request") or self._settled is not None:
                return  # not_found, conflict (answered already), ...: nothing more to ask
            # bad_request: the kernel refused this answer; the person may give another

    def _read(self, request_id: int, prompt: str) -> str | None | _Settled:
        assert self.source is not None
        return asyncio.run(self._race(self.source, request_id, prompt))

    async def _race(self, source: LineSource, request_id: int, prompt: str) -> str | None | _Settled:
        """The person's line, unless the question is settled (or the request ends) first."""
        typing = asyncio.ensure_future(source.answer(prompt))
        try:
            while True:
                done, _ = await asyncio.wait({typing}, timeout=PUMP_EVERY)
                if done:
                    return typing.result()
                self.connection.pump(0)  # routes what came: an answered event sets _settled
                if self._settled is not None or not self.connection.in_flight(request_id):
                    return SETTLED
        finally:
            if not typing.done():
                typing.cancel()
                with suppress(asyncio.CancelledError):
                    await typing

    def _say_settled(self, request_id: int, question: dict) -> None:
        if self._settled is not None:
            self.screen.warn(f"{render_answered(self._settled)}; not asking any more")
        else:
            self.screen.warn(f"the request ended before question {question['id']} was answered; not asking any more")

    def _send(self, question: dict, fields: dict) -> dict | None:
        """Send the answer on the request's connection and wait for its reply (the request's frames are
        routed meanwhile); None when it could not be sent or got no reply in time."""
        try:
            answer_id = self.connection.submit(answer_request(question["cycle"], question["id"], fields),
                                               timeout=self.answer_timeout)
        except NoReply as exc:
            self.screen.warn(f"{exc}; the answer was not sent")
            return None
        deadline = self.connection.clock() + self.answer_timeout
        while (reply := self.connection.final(answer_id)) is None:
            remaining = deadline - self.connection.clock()
            if remaining <= 0:
                self.connection.forget(answer_id)
                self.screen.warn(f"no reply to the answer within {self.answer_timeout:g}s; waiting for the request again")
                return None
            self.connection.pump(min(POLL_SLICE, remaining))
        return reply


__all__ = ["PROMPT", "PUMP_EVERY", "Questions"]

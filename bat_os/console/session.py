"""What the REPL and the one-shot mode share: translate, show the brief, confirm, send, show the reply.

A :class:`Session` holds the connection, the screen, the options and (when a
person can answer) a line source for questions. It does not decide what to
do when the kernel is down: :class:`~.errors.NoReply` reaches the caller,
whose rules differ (the REPL waits and puts the line back; one-shot exits 2).
"""

from __future__ import annotations

import ast
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bat_os.translate import briefs

from .asking import Questions
from .handover import HandOver, failed_cycle
from .connection import Connection
from .errors import UsageError
from .inputs import LineSource
from .progress import Progress, RawEvents
from .render import compact, format_answer, format_error, format_result, format_strange, shown, source_parts, summarize
from .screen import Screen
from .translating import Understood, from_reply, translate_locally, translate_request, unnamed

QUICK_TIMEOUT = 10.0  # seconds for a reply to a quick request (ping, status, inspect, set_slot, cycle)
WORK_TIMEOUT = 120.0  # seconds of silence allowed to work that runs models or memory (the kernel's own limit)

#: Commands that run models or memory: the longer wait applies (unless --timeout says otherwise).
#: (``answer`` too: answering a failed cycle's question retries it, and the reply comes when the retry ends.)
WORK = frozenset({"send", "initiate_cognitive_cycle", "ask", "ingest", "search", "forget", "translate", "selfcheck",
                  "set_method", "revert", "remove_method", "relearn", "answer", "draft", "draft_edit", "draft_example", "correct"})
#: Commands whose events are worth showing (cycles and their questions, tokens, ingest progress, translation stages).
EVENTFUL = frozenset({"send", "initiate_cognitive_cycle", "ask", "ingest", "translate", "relearn", "answer", "draft_example",
                      "correct"})
#: Commands whose reply carries the words streamed meanwhile: shown live only, not printed twice.
WORDS_IN_REPLY = frozenset({"ask", "translate"})


@dataclass
class Options:
    """How a session behaves; from the command line (and ``/local`` in the REPL)."""

    timeout: float | None = None  # None: QUICK_TIMEOUT for quick requests, WORK_TIMEOUT for work
    yes: bool = False  # send translated requests without asking
    local: bool = False  # translate here only, never with the kernel's model
    raw_events: bool = False  # --events: print every event as it came instead of the live display
    target: str = briefs.DEFAULT_TARGET  # the object sentences are about
    conversation: str | None = None  # sent with every ask (the REPL: one per session), so the personas recall its turns

    def timeout_for(self, request: dict) -> float:
        if self.timeout is not None:
            return self.timeout
        return WORK_TIMEOUT if request.get("command") in WORK else QUICK_TIMEOUT

    @property
    def quick_timeout(self) -> float:
        return self.timeout if self.timeout is not None else QUICK_TIMEOUT


class Session:
    """One user's conversation with one kernel."""

    def __init__(self, connection: Connection, screen: Screen, options: Options, source: LineSource | None = None) -> None:
        self.connection = connection
        self.screen = screen
        self.options = options
        self.source = source

    # --- sending --------------------------------------------------------------------------

    @property
    def can_ask(self) -> bool:
        """True when a person is there to answer a learning cycle's questions (a terminal)."""
        return self.source is not None and self.source.interactive

    def send(self, request: dict, label: str = "waiting for the kernel") -> dict:
        """Send ``request`` and show its events while it runs; the final reply.

        A cycle's question is asked meanwhile and answered on the same
        connection (:mod:`.asking`); with nobody to answer, the request says
        ``"ask": false`` so that the kernel never waits for one.
        Raises :class:`~.errors.NoReply` (or ``KernelDown``) and KeyboardInterrupt (Ctrl+C: stop waiting).
        """
        command = request.get("command")
        if command == "ask" and self.options.conversation and "conversation" not in request:
            request = dict(request, conversation=self.options.conversation)
        wants_events = self.options.raw_events or command in EVENTFUL
        if wants_events and not self.can_ask:
            request = dict(request, ask=False)
        display: Progress | RawEvents = (
            RawEvents(self.screen) if self.options.raw_events
            else Progress(self.screen, label, keep_words=command not in WORDS_IN_REPLY)
        )
        questions = Questions(self.connection, self.screen, display, self.source if self.can_ask else None,
                              answer_timeout=self.options.quick_timeout)

        def on_event(reply: dict) -> None:
            display.event(reply)
            questions.event(reply)

        with display:
            return self.connection.request(
                request, timeout=self.options.timeout_for(request), on_event=on_event if wants_events else None
            )

    def translate(self, text: str) -> Understood:
        """The request ``text`` means: the kernel's translation, or the local one (see :mod:`.translating`).

        Raises ``Untranslatable`` (nothing to act on) and, when the kernel is asked, ``NoReply``.
        """
        if self.options.local:
            return translate_locally(text, self.options.target)
        reply = self.send(translate_request(text, self.options.target), label="translating")
        return from_reply(text, reply, self.options.target)

    # --- the brief and its confirmation ------------------------------------------------------

    def show_brief(self, understood: Understood) -> None:
        """The one-line summary, where it came from, and the request as JSON."""
        self.screen.say("brief: " + summarize(understood.request), "brief")
        self.screen.note(f"  {understood.origin()}" + "".join(f"; {note}" for note in understood.notes))
        if understood.fallback:
            self.screen.note(f"  {_short(understood.fallback)}")
        self.screen.say(shown(understood.request))

    def confirm(self, understood: Understood) -> dict | None:
        """The request to send (the selector perhaps edited), or None when the user says no."""
        request = understood.request
        if self.options.yes:
            return request
        if self.source is None:
            return None
        mission = understood.is_mission
        question = "Send it? [Y/n/e=edit selector] " if mission else "Send it? [Y/n] "
        try:
            request = self._ask_unnamed(request, understood)
            while True:
                answer = self.source.ask(question)
                if answer is None:
                    return None
                choice = answer.strip().lower()
                if choice in ("", "y", "yes"):
                    return request
                if choice in ("n", "no"):
                    return None
                if mission and choice in ("e", "edit"):
                    request = self._edit_selector(request)
                    self.screen.say("brief: " + summarize(request), "brief")
                    continue
                self.screen.warn("answer y (or Enter) to send it, n not to" + (", e to edit the selector" if mission else ""))
        except KeyboardInterrupt:
            self.screen.say("")
            return None

    def _ask_unnamed(self, request: dict, understood: Understood) -> dict:
        """The arguments the sentence never named, asked of the person rather than guessed (Enter keeps the guess)."""
        assert self.source is not None
        args = list(request.get("mission_brief", {}).get("args") or [])
        for position in unnamed(request, understood.text):
            selector = request["mission_brief"]["selector"]
            while True:
                typed = self.source.ask(f"{selector}: argument {position + 1} is not in your sentence (guessed "
                                        f"{compact(args[position])}); its value, or Enter to keep the guess: ")
                if typed is None or not typed.strip():
                    break
                try:
                    args[position] = ast.literal_eval(typed.strip())
                    break
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    self.screen.warn(f"not a Python value: {typed.strip()} (strings need quotes)")
        if args == list(request.get("mission_brief", {}).get("args") or []):
            return request
        request = briefs.validate(dict(request, mission_brief=dict(request["mission_brief"], args=args)))
        self.screen.say("brief: " + summarize(request), "brief")
        return request

    def _edit_selector(self, request: dict) -> dict:
        """Ask for a new selector (prefilled with the current one) until it is a valid one."""
        assert self.source is not None
        current = request["mission_brief"]["selector"]
        while True:
            answer = self.source.ask("selector: ", default=current)
            if answer is None:
                return request
            name = answer.strip()
            if briefs.is_selector(name):
                brief = dict(request["mission_brief"], selector=name)
                return briefs.validate(dict(request, mission_brief=brief))
            self.screen.warn(
                f"{name!r} is not a selector: lower-case words joined by underscores, not a Python keyword, "
                f"at most {briefs.MAX_SELECTOR_CHARS} characters (such as report_the_current_system_time)"
            )

    # --- replies ---------------------------------------------------------------------------

    def show_reply(self, request: dict, reply: dict, *, sentence: bool = False) -> bool:
        """Print a final reply; True when it was ``ok``."""
        status = reply.get("status")
        if self.screen.as_json:
            self.screen.json(reply)
        elif status == "ok" and request.get("command") == "source" and source_parts(reply.get("result")):
            header, code = source_parts(reply.get("result"))
            self.screen.result(header)
            self.screen.code(code)
        elif status == "ok":
            self.screen.result(self._format_ok(request, reply.get("result"), sentence), "answer" if sentence else None)
        elif status == "error":
            self.screen.problem(format_error(reply))
            if (cycle := failed_cycle(reply)) is not None and self.can_ask and request.get("command") != "draft_example":
                HandOver(self).offer(cycle)  # never a dead end: the best try, and what to do with it
        else:
            self.screen.problem(format_strange(reply))
        return status == "ok"

    @staticmethod
    def _format_ok(request: dict, result: Any, sentence: bool) -> str:
        command = request.get("command", "")
        if sentence and command in ("initiate_cognitive_cycle", "send"):
            return format_answer(result, request.get("target_oid") or request.get("target"))
        return format_result(command, result)


def new_conversation() -> str:
    """A conversation id for one REPL session's asks (the kernel's ``ask`` keeps its last turns as context)."""
    return "console-" + secrets.token_hex(6)


def _short(text: str, limit: int = 300) -> str:
    """One line of at most ``limit`` characters (a kernel's fallback reason can quote a whole prompt)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def localize(request: dict, cwd: Path | None = None) -> dict:
    """Resolve what only this machine knows: ``/ingest FILE`` sends the file's absolute path; ``/edit ... FILE``
    sends the file's text."""
    if request.get("command") == "set_method" and "source_file" in request:
        path = Path(request["source_file"]).expanduser()
        path = path if path.is_absolute() else (cwd or Path.cwd()) / path
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"/edit: cannot read {path}: {exc}") from None
        return {k: v for k, v in request.items() if k != "source_file"} | {"source": text}
    if request.get("command") != "ingest" or "path" not in request:
        return request
    path = Path(request["path"]).expanduser()
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    if not path.exists():
        raise UsageError(f"/ingest: no such file: {path}")
    if not path.is_file():
        raise UsageError(f"/ingest: not a file: {path}")
    return dict(request, path=str(path.resolve()))


__all__ = ["EVENTFUL", "Options", "QUICK_TIMEOUT", "Session", "WORK", "WORK_TIMEOUT", "localize", "new_conversation"]

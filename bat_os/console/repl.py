"""The interactive loop: ``Architect > ``.

Each line is a slash command or a sentence (see :mod:`.parsing`). Ctrl+C at
the prompt gives a fresh prompt; during a wait it abandons the wait, not the
session; Ctrl+D or ``/exit`` leaves.

When the kernel does not answer, the session says so and waits for it (the
watchdog may be restarting it) up to ``reconnect`` seconds. Once it is back,
a read-only request is sent again; a request that changes something and was
in flight is not (it may have been done): its line is put back at the next
prompt, so Enter sends it again. No typed line is ever lost.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from bat_os.translate.translator import Untranslatable

from .errors import KernelDown, NoReply, UsageError
from .inputs import LineSource
from .handover import HandOver
from .parsing import HELP, Local, Sentence, is_read_only, parse_line
from .progress import Progress
from .session import Session, localize

PROMPT = "Architect > "
DEFAULT_RECONNECT = 30.0  # seconds to wait for a kernel that stopped answering
QUICK_PING = 1.0  # seconds for the first ping after a failure

T = TypeVar("T")


class Repl:
    """One interactive session."""

    def __init__(self, session: Session, source: LineSource, reconnect: float = DEFAULT_RECONNECT) -> None:
        self.session = session
        self.screen = session.screen
        self.connection = session.connection
        self.source = source
        self.reconnect = reconnect
        self.kept = ""  # a line not sent, put back at the next prompt
        self.down = False  # the last request found the kernel down

    def run(self) -> int:
        """Read and run lines until /exit or the end of input; 0."""
        self.screen.say(
            f"BAT OS console -- kernel at {self.connection.endpoint}. "
            "Type a sentence or a /command; /help for the commands, /exit to leave."
        )
        while True:
            try:
                line = self.source.read(PROMPT, default=self.kept)
            except KeyboardInterrupt:  # Ctrl+C at the prompt: a fresh prompt, as in Python's REPL
                self.screen.say("")
                continue
            self.kept = ""
            if line is None:  # end of input (Ctrl+D)
                if self.source.interactive:
                    self.screen.say("")
                return 0
            if not line.strip():
                continue
            try:
                if not self.handle(line):
                    return 0
            except KeyboardInterrupt:
                self.screen.warn("(interrupted: stopped waiting; the request may still complete)")

    def handle(self, line: str) -> bool:
        """Run one line; False when it asks to leave."""
        try:
            parsed = parse_line(line)
        except UsageError as exc:
            self.screen.problem(str(exc))
            return True
        if isinstance(parsed, Local):
            return self._local(parsed)
        if isinstance(parsed, Sentence):
            self.sentence(parsed.text, line)
        else:
            self.command(parsed, line)
        return True

    def _local(self, action: Local) -> bool:
        if action.action == "exit":
            return False
        if action.action == "help":
            self.screen.say(HELP)
        elif action.action == "brief":
            self.sentence(action.argument, f"/brief {action.argument}", send=False)
        elif action.action == "draft":
            self.call(lambda: HandOver(self.session).offer(action.argument), False, f"/draft {action.argument}")
        elif action.action == "local":
            self.session.options.local = action.argument == "on"
            where = "the local translator only" if self.session.options.local else "the kernel's translator (the local one when it has none)"
            self.screen.note(f"sentences are translated by {where}")
        return True

    # --- the two kinds of line ---------------------------------------------------------------

    def command(self, request: dict, line: str) -> None:
        """A slash command's request: send it, show the reply."""
        try:
            request = localize(request)
        except UsageError as exc:
            self.screen.problem(str(exc))
            return
        reply = self.call(lambda: self.session.send(request), is_read_only(request), line)
        if reply is not None:
            self.session.show_reply(request, reply)

    def sentence(self, text: str, line: str, *, send: bool = True) -> None:
        """Plain English: translate, show the brief, confirm, send, show the answer."""
        try:
            understood = self.call(lambda: self.session.translate(text), True, line)
        except Untranslatable as exc:
            self.screen.problem(f"{exc}; type a sentence that asks for something, or /help")
            return
        if understood is None:
            return
        self.session.show_brief(understood)
        if not send:
            return
        if not self.session.options.yes and not self.source.interactive:
            self.screen.note("not sent: the input is not a terminal, so nobody can confirm it; add --yes to send without confirmation")
            return
        request = self.session.confirm(understood)
        if request is None:
            self.screen.note("not sent")
            return
        reply = self.call(lambda: self.session.send(request, label="working"), is_read_only(request), line)
        if reply is not None:
            self.session.show_reply(request, reply, sentence=True)

    # --- when the kernel does not answer ----------------------------------------------------------

    def call(self, attempt: Callable[[], T], read_only: bool, line: str) -> T | None:
        """``attempt()`` under the reconnect rules; None when it got no answer (the line is kept)."""
        if self.down and not self.revive():
            self.keep(line, "not sent")
            return None
        try:
            return attempt()
        except NoReply as exc:
            self.screen.warn(str(exc))
            if exc.alive and not isinstance(exc, KernelDown):  # up, but busy with it: it may still be done
                self.keep(line, "the kernel is up but has not answered it; not sent again")
                return None
            if not self.revive():
                self.keep(line, "not sent again")
                return None
            if not read_only:
                self.keep(line, "it changes things and may have been done, so it is not sent again")
                return None
        self.screen.note("sending it again")
        try:
            return attempt()
        except NoReply as exc:
            self.screen.warn(str(exc))
            self.down = isinstance(exc, KernelDown) or not exc.alive
            self.keep(line, "not sent again")
            return None

    def revive(self) -> bool:
        """Is the kernel answering? If not, wait for it (with a spinner) up to ``reconnect`` seconds."""
        pong = self.connection.ping(QUICK_PING)
        if pong is None:
            self.screen.warn(
                f"the kernel at {self.connection.endpoint} is not answering (the watchdog may be restarting it); "
                "waiting for it... Ctrl+C to stop waiting"
            )
            try:
                with Progress(self.screen, "waiting for the kernel"):
                    pong = self.connection.wait_for_kernel(self.reconnect)
            except KeyboardInterrupt:
                self.screen.note("stopped waiting")
                self.down = True
                return False
            if pong is None:
                self.screen.warn(f"still not answering after {self.reconnect:g}s")
                self.down = True
                return False
        self.screen.say(f"kernel is back (uptime {_uptime(pong)})")
        self.down = False
        return True

    def keep(self, line: str, why: str) -> None:
        """Do not lose a line that was not (or may not have been) done."""
        if self.source.interactive:
            self.kept = line
            self.screen.note(f"{why}; it is back at the prompt: press Enter to send it")
        else:
            self.screen.note(f"{why}: {line}")


def _uptime(pong: dict) -> str:
    uptime = pong.get("uptime")
    return f"{uptime:.1f}s" if isinstance(uptime, (int, float)) else "?"


__all__ = ["DEFAULT_RECONNECT", "PROMPT", "Repl"]

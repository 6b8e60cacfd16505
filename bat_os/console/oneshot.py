"""One line for scripts: a sentence or a slash command, then exit with a code that says how it went.

Exit codes: 0 ok; 1 an error reply (or the user did not confirm); 2 the
kernel cannot be reached, or stopped while working on a request that changes
things; 64 a usage error (bad flags, a bad line, a sentence with nothing to
act on, or no terminal to confirm on and no ``--yes``); 130 interrupted.

Before sending, it waits up to the timeout for the kernel to answer ping, so
a one-shot started while the watchdog restarts the kernel still succeeds. A
read-only request whose kernel went down is sent once more when it is back.
"""

from __future__ import annotations

from bat_os.translate.translator import Untranslatable

from .errors import KernelDown, NoReply, UsageError
from .parsing import HELP, Local, Sentence, is_read_only, parse_line
from .render import pretty
from .session import Session, localize
from .translating import Understood

EXIT_OK = 0
EXIT_ERROR_REPLY = 1
EXIT_NO_PONG = 1
EXIT_UNREACHABLE = 2
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130


class OneShot:
    """Runs one line (``-c LINE`` or ``SENTENCE``) in a session."""

    def __init__(self, session: Session, *, brief_only: bool = False) -> None:
        self.session = session
        self.screen = session.screen
        self.connection = session.connection
        self.brief_only = brief_only

    def run(self, line: str) -> int:
        try:
            parsed = parse_line(line)
            if isinstance(parsed, Local):
                return self._local(parsed)
            if isinstance(parsed, Sentence):
                return self.sentence(parsed.text)
            return self.command(localize(parsed))
        except UsageError as exc:
            self.screen.problem(str(exc))
            return EXIT_USAGE

    def _local(self, action: Local) -> int:
        if action.action == "help":
            self.screen.result(HELP)
        elif action.action == "brief":
            self.brief_only = True
            return self.sentence(action.argument)
        elif action.action == "local":
            raise UsageError("/local is for the interactive console; use --local here")
        return EXIT_OK

    def command(self, request: dict) -> int:
        if self.brief_only:
            self._print_request(request)
            return EXIT_OK
        if not self.kernel_answers():
            return EXIT_UNREACHABLE
        return self.deliver(request)

    def sentence(self, text: str) -> int:
        if not self.session.options.local and not self.kernel_answers():
            return EXIT_UNREACHABLE
        try:
            understood = self._translate(text)
        except Untranslatable as exc:
            self.screen.problem(str(exc))
            return EXIT_USAGE
        except NoReply as exc:
            self.screen.problem(f"{exc}; is it running?")
            return EXIT_UNREACHABLE
        if self.brief_only:
            for line in (understood.origin(), *understood.notes, *filter(None, [understood.fallback])):
                self.screen.note(line)
            self._print_request(understood.request)
            return EXIT_OK
        self.session.show_brief(understood)
        source = self.session.source
        if not self.session.options.yes and (source is None or not source.interactive):
            self.screen.problem("not sent: there is no terminal to confirm it on; add --yes to send without confirmation")
            return EXIT_USAGE
        request = self.session.confirm(understood)
        if request is None:
            self.screen.note("not sent")
            return EXIT_ERROR_REPLY
        if self.session.options.local and not self.kernel_answers():  # not asked yet
            return EXIT_UNREACHABLE
        return self.deliver(request, sentence=True)

    def _translate(self, text: str) -> Understood:
        try:
            return self.session.translate(text)
        except NoReply:
            if not self.kernel_answers(quiet=True):
                raise
            return self.session.translate(text)  # read-only: once more, now that it is back

    def deliver(self, request: dict, *, sentence: bool = False) -> int:
        """Send; a read-only request is sent once more if the kernel went down and came back."""
        try:
            reply = self.session.send(request, label="working" if sentence else "waiting for the kernel")
        except NoReply as exc:
            if not is_read_only(request):
                return self._lost(exc)
            if not self.kernel_answers(quiet=True):
                self.screen.problem(f"{exc}; is it running?")
                return EXIT_UNREACHABLE
            try:
                reply = self.session.send(request)
            except NoReply as again:
                self.screen.problem(f"{again}; is it running?")
                return EXIT_UNREACHABLE
        ok = self.session.show_reply(request, reply, sentence=sentence)
        return EXIT_OK if ok else EXIT_ERROR_REPLY

    def _lost(self, exc: NoReply) -> int:
        if isinstance(exc, KernelDown) or not exc.alive:
            self.screen.problem(f"{exc}\nthe kernel stopped while working on it; it may or may not have been done")
        else:
            self.screen.problem(f"{exc}\nthe kernel is up but did not answer in time; it may still be done")
        return EXIT_UNREACHABLE

    def kernel_answers(self, quiet: bool = False) -> bool:
        """Wait up to the quick timeout for a pong (the watchdog may be restarting the kernel)."""
        wait = self.session.options.quick_timeout
        if self.connection.wait_for_kernel(wait) is not None:
            return True
        if not quiet:
            self.screen.problem(f"no reply from the kernel at {self.connection.endpoint} within {wait:g}s; is it running?")
        return False

    def _print_request(self, request: dict) -> None:
        if self.screen.as_json:
            self.screen.json(request)
        else:
            self.screen.result(pretty(request))


def ping(session: Session, wait: float | None) -> int:
    """``--ping``: one ping within the timeout; with ``wait``, ping until it answers or ``wait`` seconds pass."""
    connection, screen = session.connection, session.screen
    if wait is None:
        request = {"command": "ping"}
        try:
            reply = connection.request(request, timeout=session.options.quick_timeout)
        except NoReply as exc:
            screen.problem(f"{exc}; is it running?")
            return EXIT_NO_PONG
        return EXIT_OK if session.show_reply(request, reply) else EXIT_NO_PONG
    pong = connection.wait_for_kernel(wait)
    if pong is None:
        screen.problem(f"no reply from the kernel at {connection.endpoint} within {wait:g}s; is it running?")
        return EXIT_NO_PONG
    session.show_reply({"command": "ping"}, {"status": "ok", "result": pong})
    return EXIT_OK


__all__ = ["EXIT_ERROR_REPLY", "EXIT_INTERRUPTED", "EXIT_NO_PONG", "EXIT_OK", "EXIT_UNREACHABLE", "EXIT_USAGE", "OneShot", "ping"]

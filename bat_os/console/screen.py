"""Where the console's text goes, and how it looks.

Two rich consoles, one per stream. On a terminal they colour; on a pipe (or
with ``NO_COLOR`` set, or ``TERM=dumb``) rich writes plain text, which is
what scripts and tests read. Nothing is wrapped or interpreted as markup:
lines are written as they are, so JSON stays JSON.

Three kinds of text:

* results (``result``, ``json``): stdout, always;
* information around them (briefs, progress, notes): stdout, or stderr with
  ``--json`` so that stdout holds only the JSON;
* problems: stderr in one-shot mode, stdout in a session (one stream, in order).
"""

from __future__ import annotations

from typing import Any, Mapping, TextIO

from rich.console import Console
from rich.syntax import Syntax

from .render import compact

STYLES = {
    "answer": "bold green",
    "brief": "bold cyan",
    "state": "magenta",
    "persona": "bold",
    "note": "dim",
    "warning": "yellow",
    "problem": "red",
}


def _console(stream: TextIO, environ: Mapping[str, str] | None) -> Console:
    return Console(file=stream, soft_wrap=True, markup=False, emoji=False, highlight=False, _environ=environ)


class Screen:
    """The console's output: results on stdout; information and problems where the mode wants them."""

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        *,
        as_json: bool = False,  # results as JSON lines; information goes to stderr
        info_to_stderr: bool | None = None,  # information on stderr (default: as_json), e.g. --brief-only
        session: bool = False,  # an interactive session: problems on stdout, in order with the rest
        environ: Mapping[str, str] | None = None,  # for tests: NO_COLOR, TERM, COLUMNS
    ) -> None:
        self.out = _console(out, environ)
        self.err = _console(err, environ)
        self.as_json = as_json
        self.info = self.err if (as_json if info_to_stderr is None else info_to_stderr) else self.out
        self.problems = self.out if session else self.err
        self.bullet = "●" if _can_encode(out, "●") else "*"

    @property
    def live(self) -> bool:
        """True where a spinner can redraw itself: a real terminal, not a pipe or TERM=dumb."""
        return self.info.is_terminal and not self.info.is_dumb_terminal

    @property
    def interactive_output(self) -> bool:
        """True when stdout really is a terminal (a person reads it; FORCE_COLOR does not make a pipe one)."""
        isatty = getattr(self.out.file, "isatty", None)
        try:
            return bool(isatty and isatty())
        except ValueError:  # closed
            return False

    def result(self, text: str, kind: str | None = None) -> None:
        """A command's result (stdout)."""
        self.out.print(text, style=STYLES.get(kind or "", None))

    def code(self, source: str) -> None:
        """Python source (stdout), coloured by syntax where the terminal colours."""
        self.out.print(Syntax(source.rstrip("\n"), "python", theme="ansi_dark", background_color="default", word_wrap=True))

    def json(self, value: Any) -> None:
        """One JSON object on one line (stdout), for scripts."""
        self.out.file.write(compact(value) + "\n")
        self.out.file.flush()

    def say(self, text: str, kind: str | None = None) -> None:
        """Information around results: briefs, progress, answers in a session."""
        self.info.print(text, style=STYLES.get(kind or "", None))

    def note(self, text: str) -> None:
        """A dim aside (where a translation came from, what was not sent)."""
        self.say(text, "note")

    def warn(self, text: str) -> None:
        self.say(text, "warning")

    def problem(self, text: str) -> None:
        """An error reply or a usage error."""
        self.problems.print(text, style=STYLES["problem"])

    def echo(self, line: str) -> None:
        """A transcript line for piped input (``Architect > /ping``): as it came, never styled."""
        self.out.file.write(line + "\n")
        self.out.file.flush()


def _can_encode(stream: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


__all__ = ["STYLES", "Screen"]

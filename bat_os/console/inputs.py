"""Where the console's lines come from.

* :class:`TerminalInput` -- a person at a terminal: prompt_toolkit's line
  editing, a history file (``BATOS_HISTORY``, else ``~/.batos_history``), and
  a line put back at the prompt (``default=``) when it was not sent.
* :class:`PipedInput` -- a pipe or a file: plain lines, each echoed after the
  prompt so that the output reads like a transcript (``Architect > /ping``).

Both raise KeyboardInterrupt on Ctrl+C and answer None at the end of input.

A learning cycle's question is read with :meth:`LineSource.answer`, a
coroutine: the console awaits it while it keeps receiving from the kernel in
the same loop, and cancels it when the question is settled elsewhere (see
:mod:`.asking`). Tests pass their own source with scripted answers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Protocol, TextIO

from .screen import Screen

HISTORY_FILE = "~/.batos_history"


class LineSource(Protocol):
    """One line at a time, from a person or a pipe."""

    interactive: bool

    def read(self, prompt: str, default: str = "") -> str | None:
        """The next command line (kept in the history); None at the end of input."""

    def ask(self, question: str, default: str = "") -> str | None:
        """An answer to a question (not kept in the history); None at the end of input."""

    async def answer(self, question: str) -> str | None:
        """An answer to a cycle's question, awaited while the kernel's frames are received; it may be
        cancelled (the question was settled meanwhile). None at the end of input."""


class PipedInput:
    """Lines from a stream that is not a terminal."""

    interactive = False

    def __init__(self, stream: TextIO, screen: Screen) -> None:
        self.stream = stream
        self.screen = screen

    def read(self, prompt: str, default: str = "") -> str | None:
        line = self.stream.readline()
        if not line:
            return None
        line = line.rstrip("\r\n")
        self.screen.echo(prompt + line)  # a piped session reads like a transcript
        return line

    def ask(self, question: str, default: str = "") -> str | None:
        return self.read(question, default)

    async def answer(self, question: str) -> str | None:
        # Never awaited by the console: a pipe's requests say "ask": false, so no cycle asks it.
        return self.read(question)


class TerminalInput:
    """prompt_toolkit at a terminal: editing, history, a kept line put back."""

    interactive = True

    def __init__(self, history: Path | None) -> None:
        from prompt_toolkit import PromptSession  # only terminals need it
        from prompt_toolkit.history import FileHistory, InMemoryHistory

        self._lines: PromptSession = PromptSession(history=FileHistory(str(history)) if history else InMemoryHistory())
        self._answers: PromptSession = PromptSession(history=InMemoryHistory())

    def read(self, prompt: str, default: str = "") -> str | None:
        try:
            return self._lines.prompt(_styled(prompt), default=default)
        except EOFError:
            return None

    def ask(self, question: str, default: str = "") -> str | None:
        try:
            return self._answers.prompt(_styled(question), default=default)
        except EOFError:
            return None

    async def answer(self, question: str) -> str | None:
        try:
            return await self._answers.prompt_async(_styled(question))
        except EOFError:
            return None


def _styled(prompt: str) -> object:
    from prompt_toolkit.formatted_text import FormattedText

    return FormattedText([("ansicyan bold", prompt)])


def history_path(environ: Mapping[str, str]) -> Path | None:
    """The history file (``BATOS_HISTORY``, else ``~/.batos_history``), or None where it cannot be kept."""
    try:
        path = Path(environ.get("BATOS_HISTORY") or HISTORY_FILE).expanduser()
    except RuntimeError:  # no home directory
        return None
    if path.exists():
        return path if os.access(path, os.R_OK | os.W_OK) else None
    return path if path.parent.is_dir() and os.access(path.parent, os.W_OK) else None


def open_input(stdin: TextIO, screen: Screen, environ: Mapping[str, str]) -> LineSource:
    """prompt_toolkit when both ends are terminals; plain lines otherwise."""
    if stdin.isatty() and screen.interactive_output:
        return TerminalInput(history_path(environ))
    return PipedInput(stdin, screen)


__all__ = ["LineSource", "PipedInput", "TerminalInput", "history_path", "open_input"]

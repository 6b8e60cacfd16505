"""What the user sees while a request runs.

:class:`Progress` takes the request's events (pass :meth:`Progress.event` as
the connection's ``on_event``) and shows

* each state transition as a permanent line: ``● DECOMPOSING``;
* each persona's words as one block (``BRICK: ["current time"]``) when the
  persona or the state changes, or when the request ends;
* on a terminal, meanwhile, a spinner with the elapsed seconds, the current
  state and the words of the persona speaking now, as they arrive.

On a pipe (or ``TERM=dumb``) there is no spinner: one line per state and
each block of words once it is complete. Where the reply itself carries the
words (``ask``, ``translate``), ``keep_words=False`` shows them only under the
spinner, so they are not printed twice. :class:`RawEvents` (``--events``)
prints every event as it came instead.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, Callable

from rich.console import Group, RenderableType
from rich.spinner import Spinner
from rich.text import Text

from .render import compact
from .screen import Screen

TAIL_LINES = 3  # lines of the current persona's words shown under the spinner
QUIET_START = 0.3  # seconds before the spinner shows: a quick reply never flashes one


class Progress:
    """Shows one request's events; a context manager around the wait."""

    def __init__(
        self,
        screen: Screen,
        label: str,
        *,
        keep_words: bool = True,  # print each persona's words as a block (False: only under the spinner)
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.screen = screen
        self.label = label
        self.keep_words = keep_words
        self.clock = clock
        self.started = clock()
        self.state: str | None = None
        self.detail = ""  # e.g. "ingesting: 256/1000 sentences"
        self.persona: str | None = None
        self.words: list[str] = []
        self.blocks = 0  # persona blocks printed
        self._spinner = Spinner("dots")
        self._live: Any = None
        self._paused = False

    # --- the context --------------------------------------------------------------

    def __enter__(self) -> "Progress":
        self._start()
        return self

    def _start(self) -> None:
        if self.screen.live:
            from rich.live import Live  # only terminals need it

            self._live = Live(console=self.screen.info, get_renderable=self._render, transient=True,
                              refresh_per_second=8, redirect_stdout=False, redirect_stderr=False)
            self._live.start()

    def pause(self) -> None:
        """Print the words so far and take the spinner away (a question is asked); :meth:`resume` brings it back."""
        self._flush()
        if self._live is not None:
            self._live.stop()
            self._live = None
            self._paused = True

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            self._flush()
        finally:
            if self._live is not None:
                self._live.stop()
                self._live = None

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    # --- events -------------------------------------------------------------------

    def event(self, reply: dict) -> None:
        """One ``{"status": "event", "event": {...}}`` frame."""
        event = reply.get("event")
        if not isinstance(event, dict):
            return
        kind = event.get("type")
        if kind == "state":
            self._flush()
            self.state = str(event.get("state"))
            self.detail = ""
            self.screen.say(f"{self.screen.bullet} {self.state}", "state")
        elif kind == "token":
            persona = str(event.get("persona") or "?")
            if persona != self.persona:
                self._flush()
                self.persona = persona
            self.words.append(str(event.get("text", "")))
        elif kind == "translation":
            attempt = event.get("attempt")
            self.detail = f"{event.get('stage', '')}" + (f" (attempt {attempt})" if attempt is not None else "")
        elif kind == "progress":
            self.detail = _progress_detail(event)

    def _flush(self) -> None:
        """Print the current persona's words as one block, and start a new one."""
        text = "".join(self.words).strip()
        persona, self.persona, self.words = self.persona, None, []
        if not text or not self.keep_words:
            return
        self.blocks += 1
        if "\n" in text:
            self.screen.say(f"{persona}:\n" + "\n".join("  " + line for line in text.splitlines()), "persona")
        else:
            self.screen.say(f"{persona}: {text}", "persona")

    # --- the live area (terminals) ----------------------------------------------------

    def _render(self) -> RenderableType:
        if self.elapsed < QUIET_START and self.state is None:
            return Text("")
        status = " ".join(part for part in (self.label, self.state or "") if part) + (f" - {self.detail}" if self.detail else "")
        self._spinner.update(text=Text(f"{status}  {self.elapsed:.0f}s", style="cyan"))
        parts: list[RenderableType] = [self._spinner]
        words = "".join(self.words)
        if words.strip():
            lines = words.rstrip().splitlines()[-TAIL_LINES:]
            lines[0] = f"{self.persona}: {lines[0]}"
            parts.extend(Text(line, style="dim", no_wrap=True, overflow="ellipsis") for line in lines)
        return Group(*parts)


def _progress_detail(event: dict) -> str:
    done, total = event.get("sentences_done"), event.get("sentences_total")
    if done is not None and total is not None:
        return f"{done}/{total} sentences, {event.get('chunks', 0)} chunks"
    if event.get("stage") in ("gc", "copy", "tail") and event.get("total"):  # a pack
        return f"{event['stage']} {100 * int(event.get('done') or 0) // int(event['total'])}%"
    return compact({k: v for k, v in event.items() if k != "type"})


class RawEvents:
    """``--events``: every event as it came, as ``... type {details}`` or (``--json``) a JSON line."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen

    def __enter__(self) -> "RawEvents":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def pause(self) -> None:
        return None

    def resume(self) -> None:
        return None

    def event(self, reply: dict) -> None:
        if self.screen.as_json:
            self.screen.json(reply)
            return
        event = reply.get("event")
        if isinstance(event, dict):
            details = {k: v for k, v in event.items() if k != "type"}
            self.screen.result(f"... {event.get('type', 'event')}" + (f" {compact(details)}" if details else ""))
        else:
            self.screen.result(f"... event {compact(event)}")


__all__ = ["Progress", "RawEvents"]

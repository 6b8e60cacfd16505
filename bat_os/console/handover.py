"""The hand-over: a failed cycle's draft, offered to the person at the console (docs/client.md, "When learning fails").

When a request that learns ends ``cycle_failed`` and a person is at the terminal, :class:`HandOver` asks the kernel
for the cycle's draft (``draft``: the best try and the calls it fails) and shows it in a few lines; one letter then
says what to do: ``e`` give an example (the cycle goes on with it: ``draft_example``), ``f`` fix the try in
``$VISUAL``/``$EDITOR`` (``draft_edit``: installed once it holds every call the person answered), ``d`` drop it
(``draft_drop``), Enter keep it for later (``/drafts`` lists them, ``/draft CYCLE`` comes back to one).
"""

from __future__ import annotations

import ast
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import UsageError
from .questions import parse_answer, render_call, value

if TYPE_CHECKING:  # types only
    from .session import Session

CHOICES = "[e] give an example   [f] fix it in your editor   [d] drop it   [Enter] keep it for later (/drafts)"
EXAMPLE_FORM = "ARGUMENTS -> ANSWER, such as 'Ada King Lovelace' -> 'A.K.L.' or 3, 4 -> raises ValueError"


def failed_cycle(reply: dict) -> str | None:
    """The cycle a ``cycle_failed`` reply names, else None."""
    error = reply.get("error") if reply.get("status") == "error" else None
    return error.get("cycle") if isinstance(error, dict) and error.get("code") == "cycle_failed" else None


def render_draft(draft: dict) -> str:
    """A draft in a few lines: whose try it is, the calls it fails (what it answers, what was wanted), its code."""
    selector = draft.get("selector")
    lines = [f"no method was learned for {selector} (cycle {draft.get('cycle')}); the best try, by {draft.get('author') or '?'}:"]
    lines += [f"    {line}" for line in str(draft.get("code", "")).splitlines()]
    failing = draft.get("failing") or []
    for failure in failing[:3]:
        wanted = failure.get("wanted") or {}
        want = f"raises {wanted['raises']}" if "raises" in wanted else value(wanted.get("result"))
        lines.append(f"  it fails {render_call(selector, failure.get('call'))}: you said {want} ({failure.get('why', '')})")
    if len(failing) > 3:
        lines.append(f"  ... and {len(failing) - 3} more of your calls")
    unsure = draft.get("unsure")
    if not failing and unsure:
        answers = " or ".join(value(c.get("result")) if "result" in c else f"raises {c.get('raises')}"
                              for c in unsure.get("choices") or [])
        lines.append(f"  unsure at {render_call(selector, unsure.get('call'))}: {answers}?")
    elif not failing:
        lines.append("  nothing you said refutes it, but nothing confirmed it either")
    return "\n".join(lines)


def parse_example(text: str) -> dict:
    """``ARGUMENTS -> ANSWER`` -> the ``draft_example`` fields (``args`` and ``result`` or ``raises``)."""
    left, arrow, right = text.partition("->")
    if not arrow or not right.strip():
        raise UsageError(f"an example is {EXAMPLE_FORM}")
    try:
        parsed = ast.literal_eval(f"({left.strip()},)") if left.strip() else ()
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise UsageError(f"not Python values: {left.strip()} (strings need quotes); an example is {EXAMPLE_FORM}") from None
    answer = parse_answer(right.strip(), {"choices": []})
    if "result" not in answer and "raises" not in answer:
        raise UsageError(f"after ->, the answer: a Python value or raises NAME; an example is {EXAMPLE_FORM}")
    return {"args": list(parsed), **answer}


def editor_command() -> list[str]:
    """``$VISUAL``, else ``$EDITOR``, else the platform's own (notepad, vi)."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR") or ("notepad" if sys.platform == "win32" else "vi")
    return shlex.split(chosen, posix=sys.platform != "win32")


def edit_text(text: str, run: Callable[[list[str]], Any] = subprocess.call) -> str:
    """``text`` as the person left it in their editor (a temporary file, removed after)."""
    with tempfile.TemporaryDirectory(prefix="batos-draft-") as folder:
        path = Path(folder) / "draft.py"
        path.write_text(text, encoding="utf-8")
        run([*editor_command(), str(path)])
        return path.read_text(encoding="utf-8")


class HandOver:
    """Offers a failed cycle's draft to the person at this console."""

    def __init__(self, session: "Session", edit: Callable[[str], str] = edit_text) -> None:
        self.session = session
        self.edit = edit

    def offer(self, cycle: str) -> None:
        """Show the draft of ``cycle`` and do what the person says (nothing where there is no draft)."""
        source, screen = self.session.source, self.session.screen
        if source is None:
            return
        reply = self.session.send({"command": "draft", "cycle": cycle}, label="trying the best try")
        if reply.get("status") != "ok":
            return
        draft = reply["result"]
        screen.say(render_draft(draft))
        code = str(draft.get("code", ""))
        while True:
            choice = source.ask(f"{CHOICES}\nhand-over {cycle} > ")
            choice = (choice or "").strip().lower()
            if choice == "":
                screen.note(f"kept: /drafts lists it, /draft {cycle} comes back to it")
                return
            if choice == "d":
                self.session.show_reply({"command": "draft_drop"}, self.session.send({"command": "draft_drop", "cycle": cycle}))
                return
            if choice == "e":
                line = source.ask(f"example ({EXAMPLE_FORM}) > ")
                try:
                    fields = parse_example(line or "")
                except UsageError as exc:
                    screen.warn(str(exc))
                    continue
                request = {"command": "draft_example", "cycle": cycle, **fields}
                done = self.session.send(request, label="learning with your example")
                self.session.show_reply(request, done, sentence=True)
                if (again := failed_cycle(done)) is not None:
                    self.offer(again)
                return
            if choice == "f":
                code = self.edit(code)
                request = {"command": "draft_edit", "cycle": cycle, "source": code}
                done = self.session.send(request, label="trying your edit")
                self.session.show_reply(request, done)
                if done.get("status") == "ok":
                    return
                continue  # refused: fix it again, or choose otherwise
            screen.warn("type e, f, d, or Enter")

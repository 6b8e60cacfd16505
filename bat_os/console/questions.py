"""A learning cycle's questions, for people. Pure: nothing is sent, printed or read.

When a cycle's candidate methods disagree, the kernel asks the person who
sent the request (see docs/protocol.md, ``answer``)::

    {"cycle": "c3", "id": "q1", "selector": "initials", "kind": "disagreement" | "confirm",
     "call": {"args": [...], "kwargs": {...}, "slots": {...}},
     "choices": [{"result": "AKL", "candidates": 3}, {"raises": "ValueError", "candidates": 1}]}

* :func:`render_question` shows it (choices lettered from a: a number typed is always a value);
* :func:`parse_answer` turns what the person typed into the ``answer`` command's fields:
  a letter picks a choice (``b``: ``{"choose": 1}``), a Python literal is the right
  answer (``{"result": value}``: ``4`` is the number 4, as a person means it), ``raises NAME``
  says it should raise, an empty line or ``skip`` skips (a confirm: Enter or 1 accepts;
  ``2: VALUE`` answers the second call it shows, ``{"result": value, "at": 1}``);
  anything else raises :class:`~.errors.UsageError`, and nothing is sent;
* :func:`describe_answer` and :func:`render_answered` say what an answer was.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from bat_os import protocol

from .errors import UsageError

_NUMBERED = re.compile(r"^(\d+)\s*:\s*(.*)$", re.S)
VALUE_CHARS = 200  # a value's repr is shortened past this on screen
ANSWER_FORMS = "<letter|value|raises NAME|skip>"


def is_question(question: Any) -> bool:
    """True when ``question`` has the fields this client needs to ask it."""
    return (isinstance(question, dict) and isinstance(question.get("cycle"), str) and isinstance(question.get("id"), str)
            and isinstance(question.get("choices"), list) and all(isinstance(c, dict) for c in question["choices"]))


def is_confirm(question: dict) -> bool:
    return question.get("kind") == "confirm" and len(question.get("choices") or []) == 1


# --- showing -------------------------------------------------------------------------------------


def render_question(question: dict) -> str:
    """The question as lines: who asks, the call, the numbered choices, how to answer. A confirm's calls carry the
    condition of the request each tests (``[a quoted field keeps its commas] parse_line(...)``)."""
    cycle, qid = question["cycle"], question["id"]
    choices = question["choices"]
    whose = f"question {qid} of cycle {cycle}"
    call = render_call(question.get("selector"), question.get("call"))
    if is_confirm(question):
        also = also_shown(question)
        if not also:
            lines = [f"{whose}: {condition(question)}{call}",
                     f"  I will install it {outcome(choices[0], 'answering')}: Enter or 1 to accept, "
                     "or type the right answer (a Python value such as 'AKL' or 42, or raises NAME)"]
            return "\n".join(lines)
        lines = [f"{whose}: I will install a method that answers",
                 f"  1) {condition(question)}{call}  ->  {outcome(choices[0])}"]
        lines.extend(f"  {n}) {condition(shown)}{render_call(question.get('selector'), shown.get('call'))}  ->  {outcome(shown)}"
                     for n, shown in enumerate(also, 2))
        lines.append("  Enter to accept, or type the right answer for 1 (a Python value such as 'AKL' or 42, or raises NAME), "
                     "or N: ANSWER for another (such as 2: 'AKL')")
        return "\n".join(lines)
    lines = [f"{whose}: the candidate methods disagree. What should this answer?",
             f"  {condition(question)}{call}"]
    lines.extend(f"  {render_choice(number, choice)}" for number, choice in enumerate(choices, 1))
    lines.append(f"  Type a letter (a-{letter(len(choices))}), or the right answer as a Python value (such as 'AKL' or 42), "
                 "raises NAME, or Enter to skip")
    return "\n".join(lines)


def condition(shown: dict) -> str:
    """``[the condition] `` a call shown tests, in the request's words, else why it is shown (``[where it changes
    course (arg 2 = 3 / 4)]``); none: nothing."""
    label = shown.get("condition") or shown.get("coverage")
    return f"[{label}] " if isinstance(label, str) and label else ""


def also_shown(question: dict) -> list[dict]:
    """A confirm's other calls shown (``also``: each a call and the answer the method gives there)."""
    also = question.get("also")
    return [a for a in also if isinstance(a, dict)] if isinstance(also, list) else []


def render_choice(number: int, choice: dict) -> str:
    """``a) 'AKL'   (3 candidates)``, ``c) raises ValueError   (1 candidate)`` (``number`` from 1)."""
    count = choice.get("candidates")
    counted = f"   ({count} candidate{'' if count == 1 else 's'})" if isinstance(count, int) else ""
    return f"{letter(number)}) {outcome(choice)}{counted}"


def letter(number: int) -> str:
    """The letter of choice ``number`` (from 1): a, b, c ... (a number is always a value, never a choice)."""
    return chr(ord("a") + number - 1) if 1 <= number <= 26 else str(number)


def outcome(choice: dict, verb: str = "") -> str:
    """What a choice answers: ``'AKL'``, ``raises ValueError``, with the slots it leaves when it has them."""
    if "raises" in choice:
        text = f"raising {choice['raises']}" if verb else f"raises {choice['raises']}"
    else:
        text = (f"{verb} " if verb else "") + value(choice.get("result"))
    slots = choice.get("slots")
    if isinstance(slots, dict) and slots:
        text += f", leaving slots {_slots(slots)}"
    return text


def render_call(selector: Any, call: Any) -> str:
    """``initials('Ada King Lovelace')``, and the receiver's slots it sees: ``... on slots name='Ada'``."""
    call = call if isinstance(call, dict) else {}
    args = call.get("args") if isinstance(call.get("args"), list) else []
    kwargs = call.get("kwargs") if isinstance(call.get("kwargs"), dict) else {}
    parts = [value(arg) for arg in args] + [f"{key}={value(item)}" for key, item in kwargs.items()]
    text = f"{selector or '?'}({', '.join(parts)})"
    slots = call.get("slots")
    if isinstance(slots, dict) and slots:
        text += f"  on slots {_slots(slots)}"
    return text


def _slots(slots: dict) -> str:
    return ", ".join(f"{key}={value(item)}" for key, item in slots.items())


def value(item: Any) -> str:
    """A value as the person would type it (Python's repr), shortened past :data:`VALUE_CHARS`."""
    text = repr(item)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 3] + "..."


def describe_answer(answer: Any, question: dict | None = None) -> str:
    """An answer's fields (``{"choose": 1}``, ``{"result": ...}``, ``{"raises": ...}``, ``{"skip": true}``)
    in words: ``choice b ('AL')``, ``'AL'``, ``raises ValueError``, ``skipped``."""
    if not isinstance(answer, dict):
        return value(answer)
    if answer.get("skip") is True:
        return "skipped"
    if isinstance(answer.get("choose"), int):
        index = answer["choose"]
        choices = (question or {}).get("choices") or []
        shown = f" ({outcome(choices[index])})" if 0 <= index < len(choices) and isinstance(choices[index], dict) else ""
        return f"choice {letter(index + 1)}{shown}"
    at = f" for call {answer['at'] + 1}" if isinstance(answer.get("at"), int) else ""
    if "raises" in answer:
        return f"raises {answer['raises']}{at}"
    if "result" in answer:
        return value(answer["result"]) + at
    return value(answer)


def render_answered(event: dict) -> str:
    """An ``answered`` event (``by``: answer, timeout, nobody): ``question q1 of cycle c3: answered 'AL'``."""
    head = f"question {event.get('question', '?')} of cycle {event.get('cycle', '?')}"
    return f"{head}: {settled_by(event)}"


def settled_by(event: dict) -> str:
    """How an ``answered`` event settled its question: ``answered 'AL'``, ``nobody answered in time``."""
    if event.get("by") == "timeout":
        return "nobody answered in time"
    if event.get("by") == "nobody":
        return "nobody was there to answer"
    return f"answered {describe_answer(event.get('answer'))}"


# --- reading an answer ----------------------------------------------------------------------------


def parse_answer(text: str, question: dict | None = None) -> dict:
    """What the person typed -> the ``answer`` command's fields. ``question`` (when known) bounds the numbers
    and gives a confirm's Enter its meaning (accept). Raises :class:`UsageError` for anything else."""
    text = text.strip()
    choices = len(question.get("choices") or []) if question else None
    if not text:
        if question is not None and is_confirm(question):
            return {"choose": 0}  # Enter accepts what it will install
        return {"skip": True}
    if text.lower() == "skip":
        return {"skip": True}
    numbered = _NUMBERED.match(text)
    if numbered and (question is None or is_confirm(question)):  # "2: 'TAE'": the answer at another call shown
        at = int(numbered.group(1)) - 1
        shown = 1 + len(also_shown(question)) if question is not None else None
        if at < 0 or shown is not None and at >= shown:
            raise UsageError(f"{at + 1} is not a call shown (1 to {shown or 'the calls shown'})")
        fields = parse_answer(numbered.group(2), {"choices": []})
        if "result" not in fields and "raises" not in fields:
            raise UsageError(f"after {at + 1}: type the right answer (a Python value, or raises NAME)")
        return {**fields, **({"at": at} if at else {})}
    head, _, rest = text.partition(" ")
    if head.lower() == "raises":
        name = rest.strip()
        if not name.isidentifier():
            raise UsageError(f"raises takes an exception's name, such as raises ValueError, not {name!r}")
        return {"raises": name}
    if len(text) == 1 and "a" <= text.lower() <= "z":  # a letter: a choice
        number = ord(text.lower()) - ord("a")
        if choices is not None and number >= choices:
            raise UsageError(f"{text} is not a choice (a to {letter(choices)}); strings need quotes: {text!r}")
        return {"choose": number}
    if text == "1" and question is not None and is_confirm(question):
        return {"choose": 0}  # "Enter or 1 to accept"
    if text.startswith("="):
        text = text[1:].strip()
    return {"result": _literal(text)}


def _literal(text: str) -> Any:
    try:
        result = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        hint = f" (strings need quotes: {text!r})" if text.replace(" ", "").isalnum() else ""
        raise UsageError(f"not a Python value: {text}{hint}; type a number, a value, raises NAME or skip") from None
    try:
        protocol.encode(result)
    except (TypeError, ValueError, OverflowError):  # ormsgpack's errors are TypeErrors: sets, complex numbers
        raise UsageError(f"{text} cannot be sent (use a list rather than a set, plain numbers, strings, dicts)") from None
    return result


def answer_request(cycle: str, question: str, fields: dict) -> dict:
    """The ``answer`` command for ``fields`` (from :func:`parse_answer`)."""
    return {"command": "answer", "cycle": cycle, "question": question, **fields}


def answer_hint(cycle: Any, question: Any) -> str:
    """How to answer from another console: ``/answer c3 q1 <letter|value|raises NAME|skip>``."""
    return f"/answer {cycle} {question} {ANSWER_FORMS}"


__all__ = ["ANSWER_FORMS", "also_shown", "answer_hint", "answer_request", "describe_answer", "is_confirm", "is_question", "outcome", "parse_answer",
           "render_answered", "render_call", "settled_by", "render_choice", "render_question", "value"]

"""Questions to the person who sent the message: what is asked, and what an answer makes (plain data; the ``answer``
command reads its fields, :func:`bat_os.kernel.commands.cycles.read_answer`).

A question, kept in the cycle's ``questions`` artifact::

    {"cycle": "c3", "id": "q1", "selector": "initials", "kind": "disagreement" | "confirm",
     "call": {"args": [...], "kwargs": {...}, "slots": {...}},
     "choices": [{"result": "AKL", "candidates": 3}, {"raises": "ValueError", "candidates": 1}],
     "also": [{"call": {...}, "result": "TA"}]}

``also`` (a confirm only): the candidate's answers at other calls shown with the first; ``condition``: the condition
of the request a call tests. An answer (``{"choose": i}``, ``{"result": v, "slots": {...}}``, ``{"raises": "Name"}``,
``{"skip": true}``; ``"at": k``: the answer at ``also[k - 1]``'s call, those shown before it right) becomes examples
of the person's (:func:`examples_of`): hard constraints on every candidate, shown to the author, kept as tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bat_os.cognition.judge.cases import key
from bat_os.cognition.judge.decide import Decision


def question(cycle_id: str, number: int, selector: str, decision: Decision, slots: dict, shown: Any = None) -> dict:
    """The question a :class:`~bat_os.cognition.judge.decide.Decision` (ASK or CONFIRM) asks: its call, and each
    answer the candidates give there with how many give it (a confirm: the shown candidate's only; ``shown``: what it
    answered the trial, for an answer known by its kind only, a clock's)."""
    found = decision.split
    assert found is not None
    call = found.call
    answers = found.answers
    if decision.action == "confirm":
        mine = next(a for a, members in answers.items() if decision.winner in members)
        answers = {mine: answers[mine]}
    choices = [choice(a, len(members)) if json.loads(a)[0] != "kind" else {"result": shown, "candidates": len(members), "varies": True}
               for a, members in sorted(answers.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    also = [{"call": _shown_call(other, slots), **{k: v for k, v in choice(answer, 1).items() if k != "candidates"},
             **_marks(other)} for other, answer in found.also] if decision.action == "confirm" else []  # seen with the first
    return {
        "cycle": cycle_id, "id": f"q{number}", "selector": selector,
        "kind": "confirm" if decision.action == "confirm" else "disagreement",
        "call": _shown_call(call, slots),
        "choices": choices,
        **({"also": also} if also else {}),
        **_marks(call),
        **({"more": question(cycle_id, number + 1, selector, replace(decision, split=found.rest), slots)} if found.rest else {}),
    }


def _marks(call: dict) -> dict:
    """What a question shows beside a call: the slots it sets first (``given``), the condition it tests, why coverage
    chose it (``coverage``: a boundary, a path, a value named, an edge)."""
    return {k: call[k] for k in ("given", "condition", "coverage") if call.get(k)}


def choice(answer: str, count: int) -> dict[str, Any]:
    """An answer as a question's choice: ``{"result": v}`` or ``{"raises": "ValueError"}``, the slots it left
    when it wrote any, and how many candidates answer so."""
    parts = json.loads(answer)
    found: dict[str, Any] = {"result": parts[1]} if parts[0] == "value" else {"raises": parts[1]}
    if len(parts) > 2 and parts[2]:
        found["slots"] = parts[2]
    found["candidates"] = count
    return found


def _shown_call(call: dict, slots: dict) -> dict:
    return {"args": call.get("args", []), "kwargs": call.get("kwargs", {}), "slots": {**slots, **(call.get("given") or {})}}


def shown(asked: dict) -> dict:
    """A question as the person is shown it (what the cycle keeps beside it, the candidate a confirm installs, aside)."""
    return {k: v for k, v in asked.items() if k not in ("winner", "more")}


def settled(asked: Mapping, answer: dict, by: str, now: float, examples: list[dict]) -> dict:
    """``asked`` with its answer kept: who gave it (``by``: "answer", "timeout" or "nobody"), when, and the
    examples it makes (:func:`examples_of`; none for a skip)."""
    return {**asked, "answer": answer, "by": by, "answered_at": now, **({"examples": examples} if examples else {})}


def examples_of(asked: dict, answer: dict) -> list[dict]:
    """The person's examples an answer makes (none: skipped). A chosen choice is its answer; a confirm's choice 0
    accepts the candidate at every call shown; an answer ``at`` a call shown second says the first was right."""
    if answer.get("skip"):
        return []
    shown_calls = [{"call": asked["call"], **({"given": asked["given"]} if asked.get("given") else {})},
                   *(asked.get("also") or [])]
    if "choose" in answer:
        chosen = asked["choices"][answer["choose"]]
        said = [chosen, *(asked.get("also") or [])] if asked.get("kind") == "confirm" else [chosen]
    else:
        at = answer.get("at", 0)  # the calls shown before it were right
        said = [*[asked["choices"][0], *(asked.get("also") or [])][:at], answer]
    found = []
    for shown_call, told in zip(shown_calls, said):
        if told.get("varies"):
            continue  # a clock's answer, accepted: no exact example to keep
        call = shown_call["call"]
        found.append({"args": call["args"], "kwargs": call["kwargs"], **{k: shown_call[k] for k in ("given",) if shown_call.get(k)},
                      **{k: told[k] for k in ("result", "raises", "slots") if k in told}})
    return found


def kept(asked: dict) -> list[dict]:
    """The examples a settled question keeps (a question kept before two calls were shown holds one, ``example``)."""
    return list(asked.get("examples") or ([asked["example"]] if asked.get("example") else []))


def contradiction(example: dict, examples: list[dict]) -> str | None:
    """Why ``example`` contradicts one of the person's own (the same call, another answer), or None."""
    call = key(example)
    for other in examples:
        if key(other) != call:
            continue
        mine = {k: example.get(k) for k in ("result", "raises") if k in example}
        theirs = {k: other.get(k) for k in ("result", "raises") if k in other}
        if mine and theirs and json.dumps(mine, sort_keys=True, default=repr) != json.dumps(theirs, sort_keys=True, default=repr):
            return f"that call's answer is already {theirs}, from the person's own examples"
    return None

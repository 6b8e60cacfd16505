"""What a cycle's steps read of it: plain data out of the image, taken in one read transaction.

Each function takes the image's root and a :class:`~bat_os.cognition.cycle.Cycle`
and answers rendered data (no persistent object escapes the transaction),
so that a step's model calls and jailed runs happen outside any transaction.
"""

from __future__ import annotations

from typing import Any

from bat_os.cognition.asking import kept
from bat_os.cognition.cycle import Cycle
from bat_os.cognition.prompts import AUTHOR_DEFAULT, author_for, brief_intent, describe_receiver
from bat_os.cognition.readings import repeats
from bat_os.cognition.trials import plain_slots
from bat_os.image.codec import render
from bat_os.image.primordial import PERSONAS


def brief_and_receiver(cycle: Cycle) -> tuple[dict, dict]:
    return render(cycle.brief), describe_receiver(cycle.receiver)


def synthesis_info(root: Any, cycle: Cycle) -> dict:
    """SYNTHESIZING's: the brief, the receiver, the context, the refusal heard, the author and its voice."""
    author = author_for(cycle.receiver)
    persona = root[PERSONAS[author]["root"]]
    return render({
        "brief": person_brief(cycle),
        "receiver": describe_receiver(cycle.receiver),
        "context": cycle.artifacts.get("context", []),
        "episodes": cycle.artifacts.get("episodes", []),
        # the reasons fed back: the last refusal's, when they came from the user's word or the trial
        "refusals": feedback(cycle.artifacts.get("refusals", [])),
        "attempts": cycle.attempts,
        "repeats": repeats(cycle.artifacts.get("candidates", [])),
        "author": author,
        "system": str(persona.slots["codex"]["system_prompt"]),
        "helpers": cycle.artifacts.get("helpers", []),
        "wrong": cycle.artifacts.get("wrong"),  # a candidate that failed the person's answer, and how
    })


def answers(cycle: Cycle) -> list[dict]:
    """The examples the person's answers to the cycle's questions made, in order."""
    return [render(e) for q in cycle.artifacts.get("questions", []) for e in kept(q)]


def person_brief(cycle: Cycle) -> dict:
    """The brief with the person's answers among its examples (what the author is shown)."""
    brief = render(cycle.brief)
    if extra := answers(cycle):
        brief["examples"] = [*brief.get("examples", []), *extra]
    return brief


def validation_info(cycle: Cycle) -> dict:
    """VALIDATING's (and COMPLETE's): the candidate, its call, the examples (the request's, then the answers'),
    the cases, the candidates so far, the questions asked."""
    a = cycle.artifacts
    return render({
        "code": a.get("code", ""), "selector": cycle.selector, "attempt": cycle.attempts,
        "args": cycle.brief.get("args", []), "kwargs": cycle.brief.get("kwargs", {}),
        "examples": [*cycle.brief.get("examples", []), *answers(cycle)], "requested": len(cycle.brief.get("examples", [])),
        "questions": a.get("questions", []), "receiver_slots": plain_slots(cycle.receiver),
        "cases": a.get("cases", []), "conditions": a.get("conditions", []), "candidates": a.get("candidates", []),
        "intent": brief_intent(cycle.brief), "relearn": cycle.brief.get("relearn"),
        "author": a.get("author", AUTHOR_DEFAULT), "model": a.get("model", ""),
        "prompt_sha256": a.get("prompt_sha256", ""), "context": a.get("context", []),
        "part_of": cycle.brief.get("part_of"), "plan": a.get("plan", {}), "helpers": a.get("helpers", []),
    })


def feedback(refusals: list[dict]) -> list[str]:
    """What the author hears of the last refusal: its reasons, unless they were generated cases (see the
    orchestrator's VALIDATING)."""
    last = refusals[-1] if refusals else {}
    return list(last.get("reasons", [])) if last.get("feedback", True) else []

"""The curator: the image's golden dataset, one training pair per method it learned right.

A pair is what the author was asked and what it should have answered::

    {"key": sha256 of system, prompt and completion, "system": the author's voice, "prompt": the author's prompt,
     "completion": "```python\\n<the accepted source>\\n```",
     "provenance": {"cycle", "persona", "model", "receiver", "selector", "version", "change", "tests",
                    "answered": questions of its cycle the person answered, "prompt_matches"}}

Taken: every method whose current version a cycle wrote (change ``learned`` or ``relearned``: a version a person
edited, reverted to or removed is not the image's own right work), whose stored tests all hold now (``failing``,
from a rerun the caller made; :func:`bat_os.cognition.methods.tests.rerun`), and that was verified by something: at
least one stored test, or the person's answer to its cycle's question. The prompt is rebuilt as the cycle built
its first attempt (:func:`bat_os.cognition.author.prompts.synthesis_prompt`, no refusal heard, the persona's own voice),
with the person's answers among the examples; ``prompt_matches`` says whether it hashes to the prompt the cycle
recorded (not when the receiver's slots changed since, or the method came on a later attempt).

Deduplicated by key (a pair repeated a thousand times is one pair), bounded by :data:`MAX_PAIRS` and
:data:`MAX_PAIR_CHARS`; what is left out is listed with why. Pure: it reads the image's objects in the caller's
transaction and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from bat_os.cognition.author.prompts import describe_receiver, synthesis_prompt, synthesis_voice
from bat_os.cognition.cycle import memory as episodes
from bat_os.cognition.cycle.record import person_brief
from bat_os.cognition.methods.tests import stored_tests
from bat_os.cognition.trial.calls import plain_slots
from bat_os.image.codec import render
from bat_os.image.history import history_of, versions_of
from bat_os.image.objects import Method, UvmObject
from bat_os.image.primordial import PERSONAS
from bat_os.image.walk import prototypes
from bat_os.models.backends import prompt_sha256

MAX_PAIRS = 5000
MAX_PAIR_CHARS = 16_000  # prompt and completion together (about 4,000 tokens)
CHANGES = ("learned", "relearned")


@dataclass(frozen=True)
class Pair:
    system: str
    prompt: str
    completion: str
    provenance: dict
    checks: tuple = ()  # the method's stored tests (the gate asks the method again and tries them); not exported
    slots: dict = field(default_factory=dict)  # its receiver's plain slots, for those tests

    def task(self) -> dict:
        """The gate's question of the image's own work: this pair's prompt, tried on the method's stored tests."""
        return {"id": f"own:{self.provenance['receiver']}.{self.provenance['selector']}", "system": self.system,
                "prompt": self.prompt, "selector": self.provenance["selector"], "checks": list(self.checks),
                "slots": self.slots}

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps([self.system, self.prompt, self.completion]).encode()).hexdigest()

    def to_json(self) -> dict:
        return {"key": self.key, "system": self.system, "prompt": self.prompt, "completion": self.completion,
                "provenance": self.provenance}


@dataclass
class Dataset:
    pairs: list[Pair] = field(default_factory=list)
    left_out: list[dict] = field(default_factory=list)  # {"where", "selector", "why"}
    duplicates: int = 0

    @property
    def sha256(self) -> str:
        """The dataset's identity: its pairs' keys, in order."""
        return hashlib.sha256("\n".join(pair.key for pair in self.pairs).encode()).hexdigest()

    def summary(self) -> dict:
        return {"pairs": len(self.pairs), "sha256": self.sha256, "duplicates": self.duplicates,
                "left_out": len(self.left_out), "answered": sum(1 for p in self.pairs if p.provenance["answered"])}

    def jsonl(self) -> str:
        return "".join(json.dumps(pair.to_json(), ensure_ascii=False) + "\n" for pair in self.pairs)


def deduplicated(pairs: Iterable[Pair], *, limit: int = MAX_PAIRS, max_chars: int = MAX_PAIR_CHARS) -> Dataset:
    """``pairs`` without repeats, none over ``max_chars``, at most ``limit`` of them (the first ones)."""
    dataset = Dataset()
    seen: set[str] = set()
    for pair in pairs:
        where = {"where": pair.provenance.get("receiver"), "selector": pair.provenance.get("selector")}
        if pair.key in seen:
            dataset.duplicates += 1
        elif len(pair.prompt) + len(pair.completion) > max_chars:
            dataset.left_out.append({**where, "why": f"over {max_chars} characters"})
        elif len(dataset.pairs) >= limit:
            dataset.left_out.append({**where, "why": f"past the {limit} pairs a dataset holds"})
        else:
            seen.add(pair.key)
            dataset.pairs.append(pair)
    return dataset


def gather(root: Any, failing: set[tuple[str, str]] = frozenset(), *, limit: int = MAX_PAIRS,
           max_chars: int = MAX_PAIR_CHARS) -> Dataset:
    """The image's training pairs; ``failing``: (where, selector) of methods whose stored tests fail now, where as
    :func:`bat_os.image.walk.prototypes` names the object (the ``object`` of a rerun's failure)."""
    orchestrator = root.get("orchestrator_obj")
    registry = orchestrator.slots.get("cycles") if isinstance(orchestrator, UvmObject) else None
    pairs: list[Pair] = []
    left_out: list[dict] = []
    for obj, where in prototypes(root):
        for selector, method in sorted(obj.own_methods().items()):
            if method.origin == "system":
                continue
            pair, why = _pair(root, registry, obj, where, selector, method, failing)
            if pair is not None:
                pairs.append(pair)
            else:
                left_out.append({"where": where, "selector": selector, "why": why})
    dataset = deduplicated(pairs, limit=limit, max_chars=max_chars)
    dataset.left_out[:0] = left_out
    return dataset


def _pair(root: Any, registry: Any, obj: UvmObject, where: str, selector: str, method: Method,
          failing: set[tuple[str, str]]) -> tuple[Pair | None, str]:
    provenance = method.provenance or {}
    change = _change(obj, selector)
    cycle = registry.get(provenance.get("cycle")) if registry is not None and provenance.get("cycle") else None
    if change not in CHANGES or cycle is None:
        return None, f"its current version was {change or 'made'} by a person, not learned by a cycle"
    if (where, selector) in failing:
        return None, "its stored tests fail now"
    tests = len(stored_tests(method))
    answered = sum(1 for q in cycle.artifacts.get("questions", []) if q.get("by") == "answer" and not (q.get("answer") or {}).get("skip"))
    if not tests and not answered:
        return None, "nothing verified it: no stored test, and no answer from the person"
    persona = str(provenance.get("persona") or method.author)
    if persona not in PERSONAS:
        return None, f"its author {persona!r} is not a persona"
    brief = person_brief(cycle)
    context = render(cycle.artifacts.get("context", []))
    recalled = render(cycle.artifacts.get("episodes", []))
    prompt = synthesis_prompt(brief, describe_receiver(cycle.receiver), context, [], recalled, episodes.notes(context, brief))
    _voice, system = synthesis_voice(1, str(root[PERSONAS[persona]["root"]].slots["codex"]["system_prompt"]))
    matches = prompt_sha256(system, prompt) == provenance.get("prompt_sha256")
    version = next((i + 1 for i, v in enumerate(versions_of(obj, selector)) if v is method), 1)
    return Pair(system, prompt, f"```python\n{method.source.strip()}\n```", {
        "cycle": cycle.id, "persona": persona, "model": provenance.get("model"), "receiver": where, "selector": selector,
        "version": version, "change": change,
        "tests": tests, "answered": answered, "prompt_matches": matches}, tuple(stored_tests(method)),
        plain_slots(obj)), ""


def _change(obj: UvmObject, selector: str) -> str | None:
    """How the current version of ``selector`` came: ``learned``, ``relearned``, ``edited``, ``reverted``."""
    found = history_of(obj, selector)
    if found is None:
        return "learned"  # a method learned before histories existed
    installs = [entry for entry in found.log if entry.get("event") == "installed"]
    return str(installs[-1].get("change")) if installs else None


__all__ = ["Dataset", "MAX_PAIRS", "MAX_PAIR_CHARS", "Pair", "deduplicated", "gather"]

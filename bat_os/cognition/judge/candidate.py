"""A candidate: what was written, and what its one jailed run over every call said of it (pure, no I/O).

:func:`assess` turns the run's outcomes into the :class:`Candidate`'s verdict: ``eligible`` when the trial (twice
alike) and every example of the person's hold and its refusal does not apply; its answers to every call, read by
call (:meth:`Candidate.answer`: nothing outside this module knows how they are laid out). The refusal, kept because a
replay of every recorded run without it installs a wrong method (``docs/journal/learning.md``):
:func:`does_nothing`, one argument answered unchanged by every call, where no example says so. (A refusal of answers
that stay the same whatever a named slot holds went once the coverage calls existed: replayed without it, no
recorded run's outcome changed, and it refused right methods, a counter reset to 0.)

:meth:`Candidate.reading` says which text in which voice it is: what the decision counts as one reading.
"""

from __future__ import annotations

import ast
import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Callable, Mapping

from bat_os.cognition.judge.cases import TYPES, call_arguments, describe, judge, key, output_key

MAX_REASONS = 4  # failing cases named in one refusal: the author reads the first few, the person the first


@dataclass(frozen=True)
class Candidate:
    """A written candidate and its verdict. ``calls[k]`` is the call ``signature[k]`` answers (the trial, the generated
    cases, the probes, in the order of the run); read them with :meth:`answer`."""

    attempt: int | None = None
    code: str = ""
    author: str = ""
    model: str = ""
    prompt_sha256: str = ""
    temperature: float | None = None
    voice: int | None = None  # the way of asking it answered (0: the persona's, 1: the plain one); None: from attempt
    verdict: dict | None = None  # the guardian's
    eligible: bool = False
    failed: tuple[str, ...] = ()  # why not eligible (and the first reasons against it)
    passes: tuple[bool, ...] = ()  # each generated case, in order
    generated_failed: tuple[str, ...] = ()  # why it failed each generated case it failed
    deterministic: bool = True  # answered the trial alike twice, and reads neither clock nor chance
    trial_result: Any = None
    calls: tuple[dict, ...] = ()
    signature: tuple[str, ...] = ()
    extra: tuple[tuple[dict, str], ...] = ()  # (a call made of the candidates' constants, what it answered)
    doubts: tuple[str, ...] = ()  # what its coverage calls found that agreement alone cannot vouch for

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Candidate":
        """A candidate as the cycle keeps it (also a record of earlier code: unknown keys are dropped, the constant
        calls' old keys, ``[args, kwargs]``, read as :func:`~bat_os.cognition.judge.cases.key`)."""
        found = {k: v for k, v in dict(data).items() if k in {f.name for f in fields(cls)}}
        for name in ("failed", "passes", "generated_failed", "calls", "signature", "doubts"):
            if name in found:
                found[name] = tuple(dict(c) if isinstance(c, Mapping) else c for c in found[name] or ())
        extra = found.get("extra") or ()
        pairs = extra.items() if isinstance(extra, Mapping) else extra  # before: {"[args, kwargs]": answer}
        found["extra"] = tuple((_call_of(call) if isinstance(call, str) else dict(call), answer) for call, answer in pairs)
        return cls(**found)

    def to_dict(self) -> dict:
        """What the cycle keeps (plain data)."""
        found = asdict(self)
        found["extra"] = [[call, answer] for call, answer in self.extra]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in found.items()}

    def but(self, **changes: Any) -> "Candidate":
        return Candidate(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})

    def written(self) -> dict:
        """What was written and by whom, without the verdict: what a candidate tried again starts from."""
        return {k: getattr(self, k) for k in ("attempt", "code", "author", "model", "prompt_sha256", "temperature", "voice")}

    def answer(self, call: Mapping) -> str | None:
        """What it answered ``call`` (one of its run's, with its ``position`` there, else one made of the candidates'
        constants), or None where it did not run it."""
        position = call.get("position")
        if position is not None:
            return self.signature[position] if position < len(self.signature) else None
        wanted = key(call)
        return next((answer for made, answer in self.extra if key(made) == wanted), None)

    def voice_of(self) -> int | None:
        """The voice it was written in: kept since the cycle records it; before, the attempts alternated the voices."""
        if self.voice is not None:
            return self.voice
        return (self.attempt - 1) % 2 if isinstance(self.attempt, int) else None

    def reading(self, index: int) -> str:
        """Its source (layout, comments and docstrings aside) and its voice: two candidates with one reading are one
        text sampled twice, not two that agree; the same source in the two voices is two readings that met. A
        candidate with no code, or code that does not parse, is a reading of its own."""
        try:
            tree = ast.parse(self.code or "(")
        except (TypeError, SyntaxError, ValueError, RecursionError, MemoryError):
            return f"#{index}"
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
        voice = self.voice_of()
        return f"{index if voice is None else voice}:{ast.dump(tree)}"


def _call_of(old: str) -> dict:
    """A constant call as records before kept it: its key, ``[args, kwargs]`` as JSON."""
    args, kwargs = json.loads(old)[:2]
    return {"args": args, "kwargs": kwargs}


def repeats(candidates: list[Candidate]) -> int:
    """How many candidates repeated the source of an earlier one, in either voice: samples that brought nothing new."""
    texts = [candidate.reading(index).partition(":")[2] for index, candidate in enumerate(candidates)]
    return sum(bool(text) and text in texts[:index] for index, text in enumerate(texts))


def assess(cases: list[dict], outcomes: list[dict], slots_after: Callable[[int, list[str]], dict], selector: str,
           writes: Callable[[int], dict] | None = None, varies: bool = False) -> dict:
    """A candidate's verdict from its outcomes (one per case of the run, each with its ``role``). ``signature``: what
    it answered the trial (exactly when alike twice, else its kind only: a time, a random pick), every generated case
    and every probe, with the slots the trial and each probe wrote (``writes``). ``varies``: its source reads the clock
    or chance (:func:`reads_clock`): its answers count by their kind (a clock read twice within a second does not tell)."""
    failed: list[str] = []
    passes: list[bool] = []
    outputs: list[str] = []
    probes: list[str] = []
    trials: list[dict] = []  # the trial's two outcomes, each with the slots it wrote
    answered: list[tuple[dict, dict, dict | None]] = []  # the first trial and the other probes: (call, outcome, written)
    twice = [output_key(o) for c, o in zip(cases, outcomes) if c["role"] == "trial"]
    varies = varies or len(set(twice)) > 1
    call = next(((c.get("args"), c.get("kwargs")) for c in cases if c["role"] == "trial"), None)
    for position, (case, outcome) in enumerate(zip(cases, outcomes)):
        after = slots_after(position, list(case.get("slots") or {})) if case.get("slots") else None
        if (case["role"] == "generated" and varies and "result" in case
                and (case.get("args"), case.get("kwargs")) == call and _type_name(case["result"]) in TYPES):
            # the trial call answers differently each time (a clock): an exact answer to it can only be its kind
            case = {k: v for k, v in case.items() if k != "result"} | {"type": _type_name(case["result"])}
        role = case["role"]
        written = writes(position) if writes is not None else None
        if role == "probe":
            probes.append(answer_key(outcome, written, varies))
            answered.append((case, outcome, written))
            continue
        why = judge(case, outcome, after, selector, written if role == "example" else None)
        if role == "trial":
            trials.append({**outcome, "written": written})
            if len(trials) == 1:
                answered.insert(0, (case, outcome, written))
                if why:
                    failed.append(f"trial: {why}")
        elif role == "example":
            if why:
                failed.append(f"example: {why}")
        else:
            passes.append(why is None)
            outputs.append(answer_key(outcome, after, varies))
    keys = [output_key({k: v for k, v in t.items() if k != "written"}, t.get("written")) for t in trials]
    deterministic = len(set(keys)) <= 1 and not varies
    first = trials[0] if trials else {}
    failed += [f"trial: {selector}({_arguments(call)}) {why}" for why in does_nothing(answered, cases)]
    trial_key = keys[0] if keys and deterministic else json.dumps(["kind", type(first.get("value")).__name__])
    return {
        "eligible": not failed,
        "failed": failed[:MAX_REASONS] + ([f"... and {len(failed) - MAX_REASONS} more"] if len(failed) > MAX_REASONS else []),
        "passes": passes,
        "signature": [trial_key, *outputs, *probes],
        "deterministic": deterministic,
        "trial_result": first.get("value"),
    }


def does_nothing(answered: list[tuple[dict, dict, dict | None]], cases: list[dict]) -> list[str]:
    """The refusal: one argument answered unchanged by the trial and every other call answered (two calls or
    more, no slot written), where no example of the person's answers an argument unchanged: it did nothing (a
    placeholder never found, a bound returned whatever the number)."""
    echoed = _echoed(answered)
    if echoed is None or any(c["role"] == "example" and _echo(c) for c in cases):
        return []
    return [f"answered its argument {echoed + 1} unchanged, and so did every other call it answered: "
            "a method must do what was asked"]


def _echoed(answered: list[tuple[dict, dict, dict | None]]) -> int | None:
    """The position of the argument answered unchanged by the trial (first) and every call answered that wrote no
    slot, or None. Most of the calls answered, not only some: a method that echoes on a few inputs did something."""
    calls = [(case.get("args") or [], outcome["value"]) for case, outcome, written in answered
             if "value" in outcome and not written]
    if (len(calls) < 2 or len(calls) < len(answered) // 2 + 1 or answered[0][1].get("value") is None
            or answered[0][2]):
        return None
    for position in range(min(len(args) for args, _value in calls)):
        if all(type(value) is type(args[position]) and value == args[position] for args, value in calls):
            return position
    return None


def _echo(case: dict) -> bool:
    """A case whose answer is one of its own arguments (``f('a b') == 'a b'``)."""
    return "result" in case and any(case["result"] == a and type(case["result"]) is type(a)
                                    for a in [*case.get("args", []), *case.get("kwargs", {}).values()])


def answer_key(outcome: dict, slots_after: dict | None, varies: bool) -> str:
    """:func:`output_key`, or for a candidate whose answers vary (a clock, chance) only their kind and the slots
    written: right candidates telling the time never agree on its text."""
    if not varies or "value" not in outcome:
        return output_key(outcome, slots_after)
    return json.dumps(["kind", type(outcome["value"]).__name__, *([sorted(slots_after)] if slots_after else [])])


def generated_failures(record: dict, cases: list[dict], generated: list[dict], outcomes: list[dict], selector: str) -> list[str]:
    """Why the candidate failed each generated case it failed (for the cycle record)."""
    first = next((i for i, c in enumerate(cases) if c["role"] == "generated"), len(cases))
    return [judge(case, outcomes[first + i], None, selector) or describe(case, selector)
            for i, case in enumerate(generated) if not record["passes"][i]]


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _arguments(call: tuple | None) -> str:
    return call_arguments(call[0] or [], call[1] or {}) if call else ""


_CLOCK_CALLS = {"now", "today", "utcnow", "time", "time_ns", "localtime", "gmtime", "ctime", "asctime", "monotonic",
                "perf_counter"}
_CHANCE_MODULES = {"random", "secrets", "uuid"}


def reads_clock(code: str, selector: str) -> bool:
    """Does ``def selector`` ask the clock (``datetime.now()``, ``date.today()``, ``time.time()``, ``time.strftime(fmt)``
    with no time given) or chance (``random``, ``secrets``, ``uuid``)? Its answers then differ from run to run."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    function = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == selector), None)
    for node in ast.walk(function) if function is not None else ():
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, owner = node.func.attr, node.func.value
        if name in _CLOCK_CALLS and (name != "time" or isinstance(owner, ast.Name) and owner.id == "time"):
            return True  # time.time(), not moment.time() (a part of a datetime it was given)
        if name == "strftime" and isinstance(owner, ast.Name) and owner.id == "time" and len(node.args) < 2:
            return True
        root = owner
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in _CHANCE_MODULES:
            return True
    return False

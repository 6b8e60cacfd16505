"""Calls and test cases as plain data: what they may hold, their one key, how an outcome is judged, how one is told.

A call is ``{"args", "kwargs"}``, with ``given`` where it sets the receiver's slots first; :func:`key` is the one key
every part of the wing compares calls by. A case (an *example* when the person gave it, a *generated case* when a
persona wrote it) is a call with what it expects::

    {"args": [2, 3], "kwargs": {}, "result": 5}        the call returns this (floats within 1e-6)
    {"args": [-1], "raises": "ValueError"}             the call raises this (by name)
    {"args": ["x"], "type": "str"}                      a property: the result's type
    {"args": [], "given": {"n": 1}, "slots": {"n": 2}}  slot values before; and expected after

Cases are data, never code: :func:`parse_case` checks every field and refuses anything else (:class:`BadCase`);
:func:`judge` compares an outcome with what a case expects; :func:`accept_cases` keeps the generated cases fit to run,
:func:`kept_tests` what an installed method keeps of them.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_EXAMPLES = 50  # examples in one brief: more is a data file, not examples
CASES_ASKED = 5  # generated cases asked for and kept from one reply: past them a small model runs on a pattern
MAX_CASE_BYTES = 4096  # a case as JSON, at most: a case is a call, not a data set
MAX_DEPTH = 8  # nesting of a case's values: deeper is not a call a person writes
TYPES = {"str": (str,), "int": (int,), "float": (float,), "number": (int, float), "bool": (bool,),
         "list": (list,), "dict": (dict,), "None": (type(None),)}
_KEYS = {"args", "kwargs", "result", "raises", "type", "given", "slots"}


def key(call: dict) -> str:
    """The one key of a call: its arguments and the slots it sets first (none and ``{}`` alike)."""
    return json.dumps([call.get("args", []), call.get("kwargs", {}), call.get("given") or {}], sort_keys=True, default=repr)


class BadCase(ValueError):
    """A case that is not plain data of the shape above (the message says what is wrong)."""


def parse_case(raw: Any, what: str = "a case") -> dict:
    """The case in canonical form (``args`` and ``kwargs`` always present), or :class:`BadCase`."""
    if not isinstance(raw, dict):
        raise BadCase(f"{what} must be a map, not {type(raw).__name__}")
    unknown = set(raw) - _KEYS
    if unknown:
        raise BadCase(f"{what} has unknown fields {sorted(map(str, unknown))} (allowed: {sorted(_KEYS)})")
    case: dict[str, Any] = {"args": raw.get("args", []), "kwargs": raw.get("kwargs", {})}
    if not isinstance(case["args"], list):
        raise BadCase(f"{what}: args must be a list")
    if not isinstance(case["kwargs"], dict) or not all(isinstance(k, str) and k.isidentifier() for k in case["kwargs"]):
        raise BadCase(f"{what}: kwargs must be a map whose keys are identifiers")
    if "result" in raw and "raises" in raw:
        raise BadCase(f"{what} says both a result and an exception")
    if not any(k in raw for k in ("result", "raises", "type", "slots")):
        raise BadCase(f"{what} says nothing to check (give result, raises, type or slots)")
    if "result" in raw:
        case["result"] = raw["result"]
    if "raises" in raw:
        name = raw["raises"]
        if not isinstance(name, str) or not name.isidentifier() or len(name) > 60:
            raise BadCase(f"{what}: raises must name an exception, like \"ValueError\"")
        case["raises"] = name
    if "type" in raw:
        if raw["type"] not in TYPES:
            raise BadCase(f"{what}: type must be one of {sorted(TYPES)}")
        case["type"] = raw["type"]
    for key in ("given", "slots"):
        if key in raw:
            value = raw[key]
            if not isinstance(value, dict) or not all(isinstance(k, str) and k.isidentifier() and not k.startswith("_") for k in value):
                raise BadCase(f"{what}: {key} must be a map of slot names to values")
            case[key] = value
    _check_plain(case, what, 0)
    if len(json.dumps(case)) > MAX_CASE_BYTES:
        raise BadCase(f"{what} is over {MAX_CASE_BYTES} bytes")
    return case


def parse_examples(raw: Any) -> list[dict]:
    """The brief's ``examples``: a list of cases, at most :data:`MAX_EXAMPLES`, none contradicting another."""
    if not isinstance(raw, list):
        raise BadCase("examples must be a list of cases")
    if len(raw) > MAX_EXAMPLES:
        raise BadCase(f"at most {MAX_EXAMPLES} examples, not {len(raw)}")
    examples = [parse_case(item, f"example {i + 1}") for i, item in enumerate(raw)]
    seen: dict[str, tuple[int, dict]] = {}
    for i, example in enumerate(examples):
        found = key(example)
        if found in seen:
            j, other = seen[found]
            if expectation(other) != expectation(example) and not _compatible(other, example):
                raise BadCase(f"examples {j + 1} and {i + 1} contradict each other: {describe(other)} / {describe(example)}")
        else:
            seen[found] = (i, example)
    return examples


def expectation(case: dict) -> dict:
    return {k: case[k] for k in ("result", "raises", "type", "slots") if k in case}


def _compatible(a: dict, b: dict) -> bool:
    """Two expectations of one call that can both hold (a type and a result of that type, say)."""
    merged = {**expectation(a)}
    for key, value in expectation(b).items():
        if key in merged and not same(merged[key], value):
            return False
        merged[key] = value
    if "result" in merged and "raises" in merged:
        return False
    if "result" in merged and "type" in merged:
        return isinstance(merged["result"], TYPES[merged["type"]]) and not (merged["type"] in ("int", "number") and isinstance(merged["result"], bool))
    return True


def _check_plain(value: Any, what: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise BadCase(f"{what} is nested too deep")
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BadCase(f"{what} holds {value!r}, not a finite number")
        return
    if isinstance(value, list):
        for item in value:
            _check_plain(item, what, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise BadCase(f"{what} holds a map with a key that is not a string")
            _check_plain(item, what, depth + 1)
        return
    raise BadCase(f"{what} holds a {type(value).__name__}, which is not plain data (use str, int, float, bool, None, list, map)")


def same(expected: Any, actual: Any) -> bool:
    """Equal as plain data: floats within 1e-6 (relative) of each other, ints and floats compared as numbers,
    tuples as lists; bools are not numbers."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if isinstance(expected, int) and isinstance(actual, int):
            return expected == actual
        return math.isclose(expected, actual, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(same(expected[k], actual[k]) for k in expected)
    return type(expected) is type(actual) and expected == actual


def judge(case: dict, outcome: dict, slots_after: dict | None = None, selector: str = "f", changed: dict | None = None) -> str | None:
    """None when the outcome is what the case expects; else why not, in a line that names the call.

    ``outcome``: one of the jail's (``value`` / ``raised`` / ``cpu`` / ``skipped``); ``slots_after``: the receiver's
    slot values after the call (for ``slots``); ``changed``: the slots it changed, when the case's ``slots`` are all it
    may change (the person's examples: an answer names every slot it changes)."""
    call = describe_call(case, selector)
    if "skipped" in outcome:
        return f"{call} was not run ({outcome['skipped']})"
    if "cpu" in outcome:
        return f"{call} ran past its CPU-time limit"
    if "raised" in outcome:
        raised = f"{outcome['raised']}: {outcome.get('message', '')}"[:300]
        if case.get("raises") == outcome["raised"]:
            return None
        want = f"should raise {case['raises']}" if "raises" in case else (
            f"should return {_show(case['result'])}" if "result" in case else "should not raise")
        return f"{call} {want}, but it raised {raised}"
    actual = outcome.get("value")
    if "raises" in case:
        return f"{call} should raise {case['raises']}, but it returned {_show(actual)}"
    if "result" in case and not same(case["result"], actual):
        return f"{call} should return {_show(case['result'])}, but it returned {_show(actual)}"
    if "type" in case:
        kinds = TYPES[case["type"]]
        if not isinstance(actual, kinds) or (isinstance(actual, bool) and bool not in kinds):
            return f"{call} should return a {case['type']}, but it returned {_show(actual)} (a {type(actual).__name__})"
    for name, want in (case.get("slots") or {}).items():
        have = (slots_after or {}).get(name, _MISSING)
        if have is _MISSING or not same(want, have):
            shown = "nothing" if have is _MISSING else _show(have)
            return f"{call} should leave self.{name} == {_show(want)}, but it is {shown}"
    extra = sorted(set(changed or {}) - set(case["slots"])) if case.get("slots") else []
    return f"{call} should change only {', '.join(f'self.{n}' for n in case['slots'])}, but it changed self.{extra[0]} too" if extra else None


_MISSING = object()


def describe_call(case: dict, selector: str = "f") -> str:
    """``f(2, 3)``, with ``given`` slots first when there are any: ``with self.n = 1, f()``."""
    call = f"{selector}({call_arguments(case.get('args', []), case.get('kwargs', {}))})"
    given = case.get("given")
    if given:
        call = "with " + ", ".join(f"self.{k} = {_show(v)}" for k, v in given.items()) + ", " + call
    return call


def describe(case: dict, selector: str = "f") -> str:
    """The case in a line: ``f(2, 3) -> 5``."""
    call = describe_call(case, selector)
    if "raises" in case:
        return f"{call} raises {case['raises']}"
    parts = []
    if "result" in case:
        parts.append(_show(case["result"]))
    if "type" in case:
        parts.append(f"a {case['type']}")
    if case.get("slots"):
        parts.append("leaving " + ", ".join(f"self.{k} == {_show(v)}" for k, v in case["slots"].items()))
    return f"{call} -> {'; '.join(parts)}"


def call_arguments(args: list, kwargs: dict) -> str:
    """The arguments as Python writes them in a call: ``"banana", 3, sep=","``."""
    return ", ".join([*(_literal(a) for a in args), *(f"{k}={_literal(v)}" for k, v in kwargs.items())])


def _literal(value: object) -> str:
    try:
        text = repr(value) if not isinstance(value, (dict, list)) else json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _show(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (dict, list)) else repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def output_key(outcome: dict, slots_after: dict | None = None) -> str:
    """What a candidate answered for a case, as a key two candidates share when they answered alike."""
    if "value" in outcome:
        key: Any = ["value", rounded(outcome["value"])]
    elif "raised" in outcome:
        key = ["raised", outcome["raised"]]
    else:
        key = ["failed", sorted(outcome)]
    if slots_after:
        key.append(rounded(slots_after))
    return json.dumps(key, sort_keys=True, default=repr)


def rounded(value: Any) -> Any:
    """``value`` with its floats to 6 significant digits (0.1 + 0.2 and 0.3 are one answer), a whole one as an int
    (75.0 and 75 are one answer, as :func:`same` compares them: candidates answering 75 and 75.0 were
    asked about as two choices nobody could tell apart)."""
    if isinstance(value, float):
        value = float(f"{value:.6g}")
        return int(value) if value.is_integer() else value
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return {k: rounded(v) for k, v in value.items()} if isinstance(value, dict) else value


def answer_of(key: str) -> str:
    """A case's answer as a refusal shows it: ``raised ValueError``, or the value as JSON (120 characters at most)."""
    kind, value = json.loads(key)[:2]
    return f"raised {value}" if kind == "raised" else json.dumps(value)[:120]


def accept_cases(raw: list[Any], brief: dict, slot_names: set[str] | None = None) -> tuple[list[dict], list[dict]]:
    """``(kept, dropped)``: the generated cases fit to run, and ``{"case", "reason"}`` for the rest: a case that is not
    plain data, that calls the method as an example does (the person's word stands) or as an earlier case, that sets a
    slot the object does not have (``slot_names``), or that calls it with another number of arguments than the brief's
    call (a guess at another signature); past :data:`CASES_ASKED`."""
    selector = f"obj.{brief['selector']}"
    examples = brief.get("examples") or []
    taken = {key(e) for e in examples}
    arity = (len(brief.get("args", [])), sorted(brief.get("kwargs", {})))
    kept: list[dict] = []
    dropped: list[dict] = []
    for item in raw:
        try:
            case = parse_case(item, "a generated case")
        except BadCase as exc:
            dropped.append({"case": item if isinstance(item, dict) else repr(item)[:200], "reason": str(exc)})
            continue
        if key(case) in taken:
            reason = "an example already says what this call gives" if any(key(e) == key(case) for e in examples) \
                else "the same call as an earlier case"
            dropped.append({"case": case, "reason": reason})
            continue
        strange = sorted(set(case.get("given") or {}) - slot_names) if slot_names is not None else []
        if strange:
            dropped.append({"case": case, "reason": f"it sets self.{strange[0]}, a slot the object does not have"})
            continue
        if (len(case["args"]), sorted(case["kwargs"])) != arity:
            dropped.append({"case": case, "reason": f"{describe(case, selector)} does not call the method as the brief does"})
            continue
        if len(kept) >= CASES_ASKED:
            dropped.append({"case": case, "reason": f"past the {CASES_ASKED} cases asked for"})
            continue
        taken.add(key(case))
        kept.append(case)
    return kept, dropped


def kept_tests(examples: list[dict], cases: list[dict], discarded: list[dict]) -> dict:
    """What an installed method keeps in its provenance: the examples, the generated cases it passed (those not
    ``discarded``), and the discarded ones with why (one level flatter than the cycle's ``{case, reason}``: ``inspect``
    shows provenance 8 levels deep)."""
    gone = {key(d["case"]) for d in discarded}
    return {"examples": list(examples), "cases": [c for c in cases if key(c) not in gone],
            "discarded": [{**d["case"], "reason": d["reason"]} for d in discarded]}

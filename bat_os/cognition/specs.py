"""The generated test cases SPECIFYING keeps, and the tests an installed method carries with it.

:func:`accept_cases` audits what a persona wrote (:func:`bat_os.cognition.replies.extract_cases`
took it out of the reply): each case must be plain data of the shape
:mod:`bat_os.cognition.cases` describes; a case that calls the method the way
an example does is dropped (the user's word stands), as is one that calls it
with a different number of arguments than the brief's own call (a model's
guess at another signature); the first :data:`~bat_os.cognition.cases.CASES_ASKED`
are kept, as many as the prompt asks for (measured on the real 0.5B model: past them it
runs on, continuing a pattern instead of working answers out: ``is_leap_year`` True, False,
True, False year after year). Every drop is recorded with its reason.
"""

from __future__ import annotations

import json
from typing import Any

from bat_os.cognition.cases import CASES_ASKED, BadCase, describe, parse_case


def _call_key(case: dict) -> str:
    return json.dumps([case.get("args", []), case.get("kwargs", {}), case.get("given")], sort_keys=True, default=repr)


def accept_cases(raw: list[Any], brief: dict, slot_names: set[str] | None = None) -> tuple[list[dict], list[dict]]:
    """``(kept, dropped)``: the generated cases fit to run, and ``{"case", "reason"}`` for the rest.
    ``slot_names``: the receiver's slots; a case that sets another (``given``) misread the object."""
    selector = f"obj.{brief['selector']}"
    examples = brief.get("examples") or []
    taken = {_call_key(e) for e in examples}
    arity = (len(brief.get("args", [])), sorted(brief.get("kwargs", {})))
    kept: list[dict] = []
    dropped: list[dict] = []
    for item in raw:
        try:
            case = parse_case(item, "a generated case")
        except BadCase as exc:
            dropped.append({"case": item if isinstance(item, dict) else repr(item)[:200], "reason": str(exc)})
            continue
        key = _call_key(case)
        if key in taken:
            reason = "an example already says what this call gives" if any(_call_key(e) == key for e in examples) \
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
        taken.add(key)
        kept.append(case)
    return kept, dropped


def kept_tests(examples: list[dict], cases: list[dict], discarded: list[dict]) -> dict:
    """What an installed method keeps in its provenance: the examples, the generated cases it passed
    (those not discarded), and the discarded ones with why."""
    gone = {_call_key(d["case"]) for d in discarded}
    return {
        "examples": list(examples),
        "cases": [c for c in cases if _call_key(c) not in gone],
        # one level flatter than the cycle's record ({case, reason}): inspect shows provenance 8 levels deep
        "discarded": [{**d["case"], "reason": d["reason"]} for d in discarded],
    }

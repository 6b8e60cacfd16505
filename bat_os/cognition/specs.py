"""The generated test cases SPECIFYING keeps, and the tests an installed method carries with it.

:func:`accept_cases` audits what a persona wrote (:func:`bat_os.cognition.replies.extract_cases`
took it out of the reply): each case must be plain data of the shape
:mod:`bat_os.cognition.cases` describes; a case that calls the method the way
an example does is dropped (the user's word stands), as is one that calls it
with a different number of arguments than the brief's own call (a model's
guess at another signature); the first :data:`~bat_os.cognition.cases.CASES_ASKED`
are kept, as many as the prompt asks for (measured on a small model: past them it
runs on, continuing a pattern instead of working answers out: a leap-year check's True, False,
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


MAX_CONDITIONS = 8  # conditions a request is read as, at most (the rest of a longer one is its last)
MAX_CONDITION_CALLS = 2  # calls kept per condition
MAX_LABEL = 80  # a condition's words as the person is shown them
MIN_WORDS = 3  # a shorter piece of a request is part of the clause before it (an item of a list)


def conditions_of(intent: str) -> list[str]:
    """The conditions a request states: its clauses, split at the commas, semicolons and colons that end one
    (not inside brackets, parentheses or quotes, nor a colon within a word: ``HH:MM``, ``17:30``), each a rule, an
    edge, a unit, a tie-break or what happens on bad input, in the request's own words; a piece of fewer than
    :data:`MIN_WORDS` words (an item of a list) stays with the clause before it; at most :data:`MAX_CONDITIONS` (the
    rest joined to the last)."""
    found, depth, current, quote = [], 0, "", ""
    for k, ch in enumerate(intent):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"" and not (current[-1:].isalnum() and intent[k + 1:k + 2].isalpha()):  # a quote, not "it's"
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and (ch in ",;" or ch == ":" and intent[k + 1:k + 2] in ("", " ")):
            found.append(current)
            current = ""
            continue
        current += ch
    found.append(current)
    clauses: list[str] = []
    for clause in (" ".join(c.split()).removeprefix("and ").removeprefix("or ").strip(" .") for c in found):
        if clauses and len(clause.split()) < MIN_WORDS:  # "a digit", "','": a piece of a list, with the clause before
            clauses[-1] = f"{clauses[-1]}, {clause}"
        elif clause:
            clauses.append(clause)
    if len(clauses) > MAX_CONDITIONS:
        clauses = [*clauses[:MAX_CONDITIONS - 1], ", ".join(clauses[MAX_CONDITIONS - 1:])]
    return clauses


def label(clause: str) -> str:
    """A condition as the person is shown it: its words, cut at :data:`MAX_LABEL` characters."""
    return clause if len(clause) <= MAX_LABEL else clause[:MAX_LABEL - 3].rstrip() + "..."


def said_in(clause: str, examples: list[dict]) -> list[dict]:
    """The calls of the person's examples a clause itself says (``e.g. 'Ada Lovelace' gives 'AL'``: every argument
    written in it), as that condition's calls: the example settles it."""
    def written(value: object) -> bool:
        return (isinstance(value, str) and bool(value) and value in clause) or (
            not isinstance(value, str) and any(form in clause for form in (repr(value), json.dumps(value, default=repr))))
    return [{k: e[k] for k in ("args", "kwargs", "given") if k in e} for e in examples
            if e.get("args") and all(written(a) for a in e["args"])]


def accept_conditions(raw: list[dict], brief: dict, slot_names: set[str] | None = None) -> list[dict]:
    """The conditions of the request with the calls the case writer wrote for each
    (:func:`bat_os.cognition.replies.extract_conditions`), each call fit to run: plain data, calling the method as the
    brief's call does, setting only slots the object has; a condition keeps its label (:func:`label`) when none of its
    calls fits (no call of the run tests it). The request's first clause, what is asked, has its own call; a clause
    that says an example of the person's (``e.g. 'Ada Lovelace' gives 'AL'``) has its call (:func:`said_in`). None at
    all when the reply wrote no call: the cycle then judges as it did before conditions were read."""
    if not any(condition.get("calls") for condition in raw):
        return []  # the case writer wrote no call: the cycle judges as it did before conditions were read

    loose = _fit([call for condition in raw if not condition["label"] for call in condition["calls"]], brief, slot_names)
    trial = {"args": brief.get("args", []), "kwargs": brief.get("kwargs", {})}
    kept = []
    for index, condition in enumerate([c for c in raw if c["label"]][:MAX_CONDITIONS]):
        own = [trial] if index == 0 else []  # the request's first clause says what is asked: its own call tests it
        calls = _fit([*own, *said_in(str(condition["label"]), brief.get("examples") or []), *condition["calls"]], brief, slot_names)
        if not calls and loose:  # calls written under no comment: one each to the conditions without one, in order
            calls = [loose.pop(0)]
        kept.append({"label": label(str(condition["label"])), "calls": calls[:MAX_CONDITION_CALLS]})
    return kept


def _fit(found: list[dict], brief: dict, slot_names: set[str] | None) -> list[dict]:
    """The calls of ``found`` fit to run: plain data, calling the method as the brief's call does, setting only
    slots the object has; each once."""
    arity = (len(brief.get("args", [])), sorted(brief.get("kwargs", {})))
    calls: list[dict] = []
    for call in found:
        try:
            case = parse_case({**call, "type": "None"}, "a condition's call")  # a call alone: no answer is read
        except BadCase:
            continue
        case.pop("type")
        if (len(case["args"]), sorted(case["kwargs"])) == arity and not (
                slot_names is not None and set(case.get("given") or {}) - slot_names) and case not in calls:
            calls.append(case)
    return calls


def untested(conditions: list[dict]) -> list[str]:
    """The labels of the conditions no call tests."""
    return [c["label"] for c in conditions if not c["calls"]]


def condition_calls(conditions: list[dict], taken: list[dict]) -> list[dict]:
    """The conditions' calls a run makes besides ``taken`` (the trial, the examples, the generated cases), each with
    its condition's ``label``."""
    seen = {_call_key(c) for c in taken}
    found = []
    for condition in conditions:
        for call in condition["calls"]:
            if _call_key(call) not in seen:
                seen.add(_call_key(call))
                found.append({**call, "condition": condition["label"]})
    return found


def labelled(calls: list[dict], conditions: list[dict]) -> list[dict]:
    """``calls`` (a run's, in order), each that is a condition's call with that condition's ``label`` (the first)."""
    labels: dict[str, str] = {}
    for condition in conditions:
        for call in condition["calls"]:
            labels.setdefault(_call_key(call), condition["label"])
    return [{**call, "condition": labels[_call_key(call)]} if _call_key(call) in labels and "condition" not in call
            else call for call in calls]


def uncovered(conditions: list[dict], examples: list[dict]) -> list[str]:
    """The labels of the conditions none of whose calls the person has answered (an example, given or answered)."""
    said = {_call_key(e) for e in examples}
    return [c["label"] for c in conditions if not any(_call_key(call) in said for call in c["calls"])]


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

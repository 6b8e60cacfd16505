"""When two candidates agree: what their records answered, call by call (:mod:`bat_os.cognition.selection`'s votes).

A record's ``signature`` is what it answered to each call of its run (the trial, the generated cases, the
probes), as :func:`bat_os.cognition.cases.output_key` writes it; ``extra``: its answers to the calls made of
the candidates' own constants (:mod:`bat_os.cognition.differential`).
"""

from __future__ import annotations

import json


def concur(a: dict, b: dict, silent: frozenset[int] = frozenset(), only: frozenset[int] | None = None) -> bool:
    """Do two candidates' records agree? On every call they answer alike, or one of them declined it (raised:
    ``gcd`` refusing a zero or a negative is a choice, not another answer); and on at least half of the calls,
    and two or more, both answered alike, the calls both refused as no input of theirs aside (a TypeError or a
    ValueError: five right candidates of a method reading a JSON text refused the generated cases, which passed a dict
    for the text, and the probes, texts that are no JSON, and answered the rest alike: they agree; an IndexError on an empty text
    still counts, it may be the very call all of them get wrong), and the calls one raised on and the other answered
    None (a price looked up in a slot, asked for a name the slot lacks: three right candidates answered None, two right
    ones raised KeyError or ValueError; they agreed on every price there was, on fewer than half of the calls). Calls made of their constants (``extra``,
    :mod:`bat_os.cognition.differential`) both answered can only tell them apart. ``silent``: the positions
    of the calls past the jail's means for every eligible candidate (:func:`silent_calls`), left out of the count.
    ``only``: the positions compared (the calls of the conditions the request states, and the trial: nobody to ask,
    only they can split a reading), None for every call."""
    left, right = a.get("signature") or a["outputs"], b.get("signature") or b["outputs"]
    if len(left) != len(right):
        return False
    if only is not None:  # the calls made of their constants are none of these
        keep = [k for k in range(len(left)) if k in only]
        silent = frozenset(i for i, k in enumerate(keep) if k in silent)
        left, right = [left[k] for k in keep], [right[k] for k in keep]
        a, b = {"signature": left}, {"signature": right}
    if left == right and (a.get("extra") or {}) == (b.get("extra") or {}):
        return True  # alike on every call, raises and all
    theirs = b.get("extra") or {}
    for call, x in (a.get("extra") or {}).items():  # calls made of their constants (differential): only a split
        y = theirs.get(call)
        if y is not None and x != y and not (_declined(x) or _declined(y)):
            return False
    alike = declined = 0  # calls both answered alike; calls both refused as no input of theirs (they tell nothing)
    for k, (x, y) in enumerate(zip(left, right)):
        if (_refused(x) and _refused(y)) or _no_answer_either_way(x, y):
            declined += k not in silent
        elif x == y:
            alike += not _declined(x)
        elif not (_declined(x) or _declined(y)):
            return False
    counted = len(left) - sum(1 for k in silent if k < len(left))
    return alike >= max(1, min(2, counted), (counted - declined + 1) // 2)


def _no_answer_either_way(x: str, y: str) -> bool:
    """One call raised, the other answered None (and changed no slot): each said it has no answer."""
    return (raised(x) and _none(y)) or (raised(y) and _none(x))


def _none(key: str) -> bool:
    return key == '["value", null]'


def silent_calls(records: list[dict], eligible: list[int]) -> frozenset[int]:
    """The positions of the calls past the jail's means for every eligible candidate (two or more): each raised
    RecursionError or MemoryError there. They tell none apart, and leave the others to agree on (fibonacci's
    cases of 100 to 100000, past every naive recursion's depth, beside its trial and its probes). A call every
    candidate declined otherwise (an IndexError on an empty text) still counts: it may be the very call they
    all get wrong."""
    signatures = [records[i].get("signature") or records[i]["outputs"] for i in eligible]
    if len(signatures) < 2 or len({len(s) for s in signatures}) != 1:
        return frozenset()
    return frozenset(k for k in range(len(signatures[0])) if all(_beyond(s[k]) for s in signatures))


def _beyond(key: str) -> bool:
    """Did the call raise for want of the jail's means (depth, memory), not of the method's logic?"""
    return key.startswith('["raised"') and json.loads(key)[1] in ("RecursionError", "MemoryError")


def raised(key: str) -> bool:
    """Did the call raise (the key of an outcome, :func:`bat_os.cognition.cases.output_key`)?"""
    return key.startswith('["raised"')


def _declined(key: str) -> bool:
    """Did the call give no answer: it raised, or ran past its CPU time (and the calls after it were not run)?
    (three right samples factoring by trial division ran out of time on a probe; they answered every call
    before it as the greedy pair did, and counted as a rival answer that held the pair back.)"""
    return raised(key) or key.startswith('["failed"')


_REFUSALS = ("TypeError", "ValueError", "JSONDecodeError", "UnicodeDecodeError", "UnicodeEncodeError")


def _refused(key: str) -> bool:
    """Did the call raise as a method refusing an argument it cannot take (not a slip of its own logic)?"""
    return raised(key) and json.loads(key)[1] in _REFUSALS


def clusters(records: list[dict], indices: list[int], silent: frozenset[int],
             only: frozenset[int] | None = None) -> list[list[int]]:
    """``indices`` in groups that :func:`concur` (on the positions ``only``, or all), each candidate with the first group
    all of whose members it agrees with."""
    groups: list[list[int]] = []
    for i in indices:
        home = next((c for c in groups if all(concur(records[m], records[i], silent, only) for m in c)), None)
        if home is None:
            groups.append([i])
        else:
            home.append(i)
    return groups

"""When two candidates agree: what their records answered, call by call (:mod:`bat_os.cognition.choosing`'s votes).

A record's ``signature`` is what it answered to each call of its run (the trial, the generated cases, the
probes), as :func:`bat_os.cognition.cases.output_key` writes it; ``extra``: its answers to the calls made of
the candidates' own constants (:mod:`bat_os.cognition.differential`).

The rules of :func:`concur`, each with its reason (each kept because replaying every recorded run without it
installs more wrong methods or learns fewer, ``docs/journal/learning.md``):

1. alike on every call: they agree (one answer, never a dispute);
2. a call made of their constants that both answered differently splits them (those calls exist to tell
   candidates apart, and count for nothing else);
3. a call one of them declined (raised, or ran past its CPU time) is no other answer: refusing an input, or being
   slow on it, is a choice the person may settle, not a rival reading;
4. any other call answered differently splits them;
5. they agree only where they answered alike on at least half of the calls, and on two or more (one where a run
   has one call): a pair that declines nearly everything agrees on nothing.
"""

from __future__ import annotations


def concur(a: dict, b: dict, only: frozenset[int] | None = None) -> bool:
    """Do two candidates' records agree (the rules above)? ``only``: the positions compared (the calls of the
    conditions the request states, and the trial: nobody to ask, only they can split a reading), None for every
    call."""
    left, right = a.get("signature") or a["outputs"], b.get("signature") or b["outputs"]
    if len(left) != len(right):
        return False
    if only is not None:  # the calls made of their constants are none of these
        keep = [k for k in range(len(left)) if k in only]
        left, right = [left[k] for k in keep], [right[k] for k in keep]
        a, b = {"signature": left}, {"signature": right}
    if left == right and (a.get("extra") or {}) == (b.get("extra") or {}):
        return True
    theirs = b.get("extra") or {}
    for call, x in (a.get("extra") or {}).items():
        y = theirs.get(call)
        if y is not None and x != y and not (_declined(x) or _declined(y)):
            return False
    alike = 0
    for x, y in zip(left, right):
        if x == y:
            alike += not _declined(x)
        elif not (_declined(x) or _declined(y)):
            return False
    return alike >= max(1, min(2, len(left)), (len(left) + 1) // 2)


def raised(key: str) -> bool:
    """Did the call raise (the key of an outcome, :func:`bat_os.cognition.cases.output_key`)?"""
    return key.startswith('["raised"')


def _declined(key: str) -> bool:
    """Did the call give no answer: it raised, or ran past its CPU time (and the calls after it were not run)?"""
    return raised(key) or key.startswith('["failed"')


def clusters(records: list[dict], indices: list[int], only: frozenset[int] | None = None) -> list[list[int]]:
    """``indices`` in groups that :func:`concur` (on the positions ``only``, or all), each candidate with the first group
    all of whose members it agrees with."""
    groups: list[list[int]] = []
    for i in indices:
        home = next((c for c in groups if all(concur(records[m], records[i], only) for m in c)), None)
        if home is None:
            groups.append([i])
        else:
            home.append(i)
    return groups

"""Calls that tell apart candidates that only look alike: the numbers their sources test against.

Probes (:mod:`bat_os.cognition.probes`) vary the learning call's arguments by
type, and two candidates can agree on every one of them and still differ:
``year % 4 == 0`` and the Gregorian rule answer 2024, 0, 7, -3 and 2036
alike. The integer constants a candidate compares, divides or indexes with
(``% 100``, ``% 400``, ``>= 18``) are where its author thought the answer
changes. :func:`constant_calls` makes calls with those constants in place of
the call's integer arguments; every eligible candidate answers them
(``record["extra"]``: call -> what it answered, as
:func:`bat_os.cognition.cases.output_key` writes it), and
:func:`bat_os.cognition.selection.concur` holds two candidates apart when they
answered one of those calls differently.
"""

from __future__ import annotations

import ast
import json
from typing import Awaitable, Callable

MAX_CALLS = 4  # constant calls in one cycle
_RANGE = (2, 10**6)  # 0 and 1 are everyone's constants; a huge one is rarely an input


def constants(code: str, selector: str) -> list[int]:
    """The integer constants in ``def selector`` of ``code``, in order of first appearance (not bools, and
    only those from 2 to a million, by size): [] when it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == selector), None)
    if function is None:
        return []
    found: list[int] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Constant) and type(node.value) is int and _RANGE[0] <= abs(node.value) <= _RANGE[1]:
            if node.value not in found:
                found.append(node.value)
    return found


def constant_calls(codes: list[str], selector: str, args: list, kwargs: dict, taken: list[dict]) -> list[dict]:
    """Up to :data:`MAX_CALLS` calls ``{"args", "kwargs"}``: the learning call with one integer argument replaced
    by a constant of one of ``codes`` (the constants no candidate's other calls, ``taken``, already made)."""
    seen = {call_key(c) for c in taken} | {call_key({"args": args, "kwargs": kwargs})}
    positions = [i for i, value in enumerate(args) if type(value) is int]
    found: list[dict] = []
    for code in codes:
        for value in constants(code, selector):
            for position in positions:
                call = {"args": [*args[:position], value, *args[position + 1:]], "kwargs": dict(kwargs)}
                if call_key(call) not in seen:
                    seen.add(call_key(call))
                    found.append(call)
                    if len(found) >= MAX_CALLS:
                        return found
    return found


def call_key(call: dict) -> str:
    return json.dumps([call.get("args", []), call.get("kwargs", {})], sort_keys=True, default=repr)


async def tell_apart(records: list[dict], calls: list[dict],
                     run: Callable[[str, list[dict]], Awaitable[list[str] | None]]) -> list[dict]:
    """Every eligible record with its answers to ``calls`` in ``record["extra"]`` (``run(code, calls)``: what
    the candidate answered each, as output keys; None when its run failed; asked once for the same code).
    Records are copied, not changed."""
    out = []
    known: dict[tuple[str, str], list[str] | None] = {}  # the same code answers alike: run once
    for record in records:
        missing = [c for c in calls if call_key(c) not in (record.get("extra") or {})]
        if record.get("eligible") and missing:
            asked = (record["code"], json.dumps([call_key(c) for c in missing]))
            if asked not in known:
                known[asked] = await run(record["code"], missing)
            answers = known[asked]
            if answers is not None:
                record = {**record, "extra": {**(record.get("extra") or {}),
                                              **{call_key(c): a for c, a in zip(missing, answers)}}}
        out.append(record)
    return out

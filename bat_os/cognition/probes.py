"""Probe calls: other arguments made from the learning call's own, for candidates to agree on.

A probe has no expected answer. Every candidate runs it; candidates that
answer every probe alike (and every generated case, and the trial) agree,
and two independently written candidates that agree on varied inputs are
far more often right than either alone (the agreement
:mod:`bat_os.cognition.selection` asks for). Probes vary one argument at a
time, after its type: an empty and a longer string (a text with digits: one digit
shorter, every digit one more), a date string moved to
other dates (a leap day, a February of 28 days, the ends of months of 31 and
30 days: two candidates, one giving every month but February 31 days, the
other 29 days to every February, agreed on three dates and were installed),
zero and negative numbers, an empty, a shorter and a longer list (a list of numbers: also with their
signs turned), an empty
and a smaller map. Calls already made by the trial, an
example or a generated case are not repeated.

:func:`slot_probes`: the learning call again, with a slot the request names
holding other data (``given``), the same way: the slots are the request's
data as much as the arguments are (a method on a ``scores`` slot called with ``[]`` and ``[3, 4, 3]`` there).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_PROBES = 6
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def variants(value: Any) -> list[Any]:
    """Other values of ``value``'s kind, most telling first."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [0, 7, -3, value + 12]
    if isinstance(value, float):
        return [0.0, 2.5, -1.5]
    if isinstance(value, str):
        if _DATE.match(value):
            # the ends of months of every length: a leap day, a February of 28 days, a year's end, a month of 30
            return ["2000-02-29", "2023-02-15", "1999-12-31", "2024-04-30", "2023-07-04"]
        words = value.split()
        return ["", *_near_digits(value), "Hello World", value[::-1], " ".join(reversed(words)) + " extra" if words else "a b c",
                value.upper()]
    if isinstance(value, list):
        numbers = bool(value) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)
        return [[], value[::-1], value[:1], value + value[:2], *([[-x for x in value]] if numbers else [])]
    if isinstance(value, dict):
        first = dict(list(value.items())[:1])
        return [{}, first]
    return []


def _near_digits(value: str) -> list[str]:
    """A text with digits, nearly: its first number of two digits or more one digit shorter ('13:45' -> '3:45', a time
    of one-digit hour), and every digit one more ('13:45' -> '24:56', past a clock's hours and minutes). Two candidates
    of a time check "written as HH:MM", one checking two digits and one not, answered every other probe alike."""
    first = re.search(r"\d{2,}", value)
    if first is None:
        return []
    shorter = value[:first.start()] + value[first.start() + 1:]
    more = "".join(str((int(ch) + 1) % 10) if ch.isdigit() else ch for ch in value)
    return [shorter, more]


def probes(args: list, kwargs: dict, taken: list[dict]) -> list[dict]:
    """Up to :data:`MAX_PROBES` probe calls ``{"args", "kwargs", "varies"}`` around the call ``args``/``kwargs``
    (``varies``: the position of the argument changed)."""
    seen = {_key(c.get("args", []), c.get("kwargs", {})) for c in taken}
    seen.add(_key(args, kwargs))
    found: list[dict] = []
    columns = [variants(a) for a in args]
    for depth in range(max((len(c) for c in columns), default=0)):
        for position, options in enumerate(columns):
            if depth >= len(options):
                continue
            call = list(args)
            call[position] = options[depth]
            key = _key(call, kwargs)
            if key in seen:
                continue
            seen.add(key)
            found.append({"args": call, "kwargs": dict(kwargs), "varies": position})
            if len(found) >= MAX_PROBES:
                return found
    return found


MAX_NAMED = 6
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_TIME_NAMED = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])")
# a number standing alone in the request: not a piece of a time, a date, a word or a longer number
_NUMBER_NAMED = re.compile(r"(?<![\w.:/-])(-?\d+(?:\.\d+)?)(?![\w:/]|[.-]\d)")


def named_calls(intent: str, args: list, kwargs: dict, taken: list[dict]) -> list[dict]:
    """Up to :data:`MAX_NAMED` calls ``{"args", "kwargs", "varies", "named", "offset"}`` made of the values the request
    names (``named``: which value, in which argument; ``offset``: the call is at it, just below or just above it),
    at the edges they mark (boundary-value testing): a whole number the request names, and the ones just below and
    above it, in a whole-number argument; a decimal it names in a decimal argument; a time of day (HH:MM) it names,
    and the minutes just before and after it, in an argument written as a time. "from 3 to 16", "a quantity of 0 or
    less", "end at 17:30, not included", "exactly between two of them (like 1.25)": where a reading of the request
    goes wrong, it is most often at the values the request itself names. One argument changed at a time; calls
    already made (the trial, an example, a generated case, a probe) are not repeated."""
    seen = {_key(c.get("args", []), c.get("kwargs", {})) for c in taken}
    seen.add(_key(args, kwargs))
    times = [(int(h), int(m)) for h, m in _TIME_NAMED.findall(intent) if int(h) < 24 and int(m) < 60]
    numbers = [n for n in _NUMBER_NAMED.findall(_TIME_NAMED.sub(" ", intent))]
    found: list[dict] = []
    for position, value in enumerate(args):
        options: list[tuple[str, int, Any]] = []  # (the value named, offset from it, the argument)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            options += [(n, d, int(n) + d) for n in numbers if "." not in n for d in (0, -1, 1)]
        elif isinstance(value, float):
            options += [(n, 0, float(n)) for n in numbers]
        elif isinstance(value, str) and (shape := _TIME.match(value)):
            options += [(f"{h}:{m:02d}", d, _clock(h * 60 + m + d, len(shape.group(1)))) for h, m in times for d in (0, -1, 1)]
        for named, offset, option in options:
            call = list(args)
            call[position] = option
            key = _key(call, kwargs)
            if key in seen:
                continue
            seen.add(key)
            found.append({"args": call, "kwargs": dict(kwargs), "varies": position, "named": f"{position}={named}",
                          "offset": offset})
            if len(found) >= MAX_NAMED:
                return found
    return found


def _clock(minutes: int, width: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:0{width}d}:{minutes % 60:02d}"


def _key(args: list, kwargs: dict) -> str:
    return json.dumps([args, kwargs], sort_keys=True, default=repr)


MAX_SLOT_PROBES = 4


def slot_probes(values: dict, named: list[str], args: list, kwargs: dict) -> list[dict]:
    """Up to :data:`MAX_SLOT_PROBES` calls ``{"args", "kwargs", "given", "varies_slot"}``: the call ``args``/``kwargs``
    with one of the ``named`` slots (those the request names) given other data of its kind (``values``: the
    receiver's slots as plain data), two per slot, in turn: an answer about a slot's data must change with it
    (:func:`bat_os.cognition.selection.blind_to_slot`)."""
    found: list[dict] = []
    columns = [(name, [v for v in _slot_variants(values[name]) if v != values[name]][:2]) for name in named
               if name in values]
    for depth in range(2):
        for name, options in columns:
            if depth < len(options) and len(found) < MAX_SLOT_PROBES:
                found.append({"args": list(args), "kwargs": dict(kwargs), "given": {name: options[depth]}, "varies_slot": name})
    return found


def _slot_variants(value: Any) -> list[Any]:
    """Other data for a slot: none of it, and more of it. A list of numbers gets new numbers unlike any it holds (ten
    times its first two, plus one), so that its sum, length, mean and largest all change; its own items again would
    keep some of them (the mean of a list repeated is the same); other lists get their first two again."""
    if isinstance(value, list):
        numbers = bool(value) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)
        return [[], value + ([x * 10 + 1 for x in value[:2]] if numbers else value[:2])]
    if isinstance(value, bool) or value is None:
        return []
    return variants(value)

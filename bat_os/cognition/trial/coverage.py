"""Calls chosen by coverage: where a candidate about to be installed is least supported (pure, no I/O).

:func:`pool`: the learning call with one input changed at a time (an argument, a slot the code reads, a flag slot the
request names) to every number the code compares with, the values the request names (its clauses about that input
first), the code's other constants, the slots' data, each with its neighbours, and its type's classic edges; a list's
total and length on a scale; pairs a clause names; where two values side by side on a scale take different paths, the
value half way (:func:`halves`). :func:`select` keeps, the pool run traced: an ignored flag, each **boundary** (neighbours
whose arcs differ), each **branch** no answer of the person's took, what the request names, the pairs, the other
edges. docs/cycle.md: why."""

from __future__ import annotations

import ast
import datetime
import json
import re
from collections import Counter
from collections.abc import Iterable
from itertools import product, zip_longest
from typing import Any

from bat_os.cognition.judge.cases import key

MAX_POOL = 120  # calls the chosen candidate meets, traced: two jailed runs at most
MAX_VALUES = 16  # values one argument is scanned over: the named, the constants and the edges, nearest first
MAX_COMPARED = 8  # numbers the code compares with, each on every numeric scale besides those (with its neighbours)
MAX_SELECTED = 24  # coverage calls every eligible candidate then answers: one jailed run each, kept short
MAX_PAIRS = 80  # two inputs changed together (the request's side-by-side numbers), first pairs first
MAX_TIES = 4  # values of a list or a map one more item ties with, largest first
MAX_TEXTS = 6  # texts the request names in quotes that are tried in a text argument
ASKED = "the call asked"  # the learning call itself, first in the pool
COURSE, PATH = "where it changes course", "a path of its code none of your answers took"  # a boundary's, a branch's
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")  # a date argument written as YYYY-MM-DD
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")  # a time of day written as H:MM or HH:MM
_NUMBER = re.compile(r"(?<![\w.:/-])(-?\d+(?:\.\d+)?)(?![\w:/]|[.-]\d)")  # a number standing alone in the request
_TIME_NAMED = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])")
_DATE_NAMED = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_QUOTED = re.compile(r"'([^']{1,12})'|\"([^\"]{1,12})\"")  # a short text the request quotes: a word, a sign, a unit
_REFUSES = re.compile(r"\b(raises?|raising|\w*error|invalid|refused?)\b", re.I)  # a clause that refuses some input
_SIGNS = "-+\"',;:.$%@#/"  # marks a request may speak of by name, tried around a text where it names them
_SIGN_NAMES = {"minus": "-", "plus": "+", "double quote": '"', "quote": '"', "comma": ",", "semicolon": ";", "colon": ":",
               "dot": ".", "period": ".", "dollar": "$", "percent": "%", "slash": "/", "hash": "#", "sign": "-"}


# --- what the request, the code and the receiver name ----------------------------------------------------------
def named_numbers(intent: str) -> list[float | int]:
    """The numbers the request names in digits, in order (not those of a time or a date)."""
    text = _DATE_NAMED.sub(" ", _TIME_NAMED.sub(" ", intent))
    return list(dict.fromkeys(float(n) if "." in n else int(n) for n in _NUMBER.findall(text)))


def named_texts(intent: str) -> list[str]:
    """The short texts the request quotes, then the marks it names in words (``a minus sign``), in order."""
    found = [a or b for a, b in _QUOTED.findall(intent)][:MAX_TEXTS]
    found += [mark for name, mark in _SIGN_NAMES.items() if re.search(rf"\b{name}s?\b", intent, re.I)]
    found += [ch for ch in _SIGNS if f" {ch} " in f" {intent} " or f"'{ch}" in intent or f'"{ch}' in intent]
    return list(dict.fromkeys(found))[:MAX_TEXTS]


def _nodes(code: str) -> list[ast.AST]:
    """Every node of ``code``'s syntax tree; [] when it does not parse."""
    try:
        return list(ast.walk(ast.parse(code)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []


def code_constants(code: str, selector: str, compared: bool = False) -> list[float | int]:
    """The numbers in ``def selector`` of ``code`` (where its author thought the answer changes), in order (``compared``: in a comparison)."""
    function = next((n for n in _nodes(code) if isinstance(n, ast.FunctionDef) and n.name == selector), None)
    roots = [n for n in ast.walk(function) if isinstance(n, ast.Compare)] if function and compared else [function] if function else []
    return list(dict.fromkeys(n.value if isinstance(n, ast.Constant) else -n.operand.value for n in (n for r in roots for n in ast.walk(r))
                              if isinstance(n, ast.Constant) and type(n.value) in (int, float) and abs(n.value) <= 10**6
                              or isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) and isinstance(n.operand, ast.Constant)
                              and type(n.operand.value) in (int, float)))


def slots_read(code: str) -> list[str]:
    """The slots the code reads (``self.name``, ``self["name"]``, ``self.name += 1``), in order of first appearance."""
    nodes = _nodes(code)
    augmented = {id(n.target) for n in nodes if isinstance(n, ast.AugAssign)}
    found = [(n.lineno, n.col_offset, name) for n in nodes if isinstance(n, (ast.Attribute, ast.Subscript))
             and isinstance(n.value, ast.Name) and n.value.id == "self" and (isinstance(n.ctx, ast.Load) or id(n) in augmented)
             and isinstance(name := n.attr if isinstance(n, ast.Attribute) else getattr(n.slice, "value", None), str)]
    return list(dict.fromkeys(name for *_where, name in sorted(found)))


def data_values(value: Any, depth: int = 0) -> list[int | float | str]:
    """The numbers and texts in plain data (a slot's), in order, each once."""
    if depth > 4 or isinstance(value, (bool, int, float, str)):  # too deep, or a flag: nothing; a number or a text: itself
        return [] if depth > 4 or isinstance(value, bool) else [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return list(dict.fromkeys(n for item in items for n in data_values(item, depth + 1)))


# --- the values one argument is scanned over ---------------------------------------------------------------------
def numbers_near(value: int | float, named: Iterable[float | int], whole: bool, kept: list[float | int] = ()) -> list[int | float]:
    """A number's scale: it, 0, 1, -1, each of ``kept`` (the code compares with them) and ``named`` (:data:`MAX_VALUES`
    at most besides ``kept``'s), each with its neighbours."""
    step, found = 1 if whole else 0.01, []
    for n in (int(n) if whole else float(n) for n in [value, *kept, *named] if not whole or float(n).is_integer()):
        found += [n - step, n, n + step, *(([0, 1, -1] if whole else [0.0, 0.5, -1.0]) if n == value else [])]
    return sorted(list(dict.fromkeys(x if whole else round(x, 2) for x in found))[:MAX_VALUES + 3 * len(kept)])


def _day(text: str) -> datetime.date | None:
    """A date written YYYY-MM-DD, or None where there is no such day (2023-02-30)."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def dates_near(text: str, named: Iterable[str]) -> list[str]:
    """A date's scale, in order: a week from it, month's end, February's ends (leap or not), year's end, each named ±1 day."""
    day = datetime.date.fromisoformat(text)
    found = [day + datetime.timedelta(days=k) for k in range(7)]
    first_next = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    found += [first_next - datetime.timedelta(days=1), first_next]
    leap = day.year + (-day.year % 4) if day.year % 100 else day.year + 4
    found += [datetime.date(leap, 2, 28), datetime.date(leap, 2, 29), datetime.date(leap, 3, 1),
              datetime.date(leap + 1, 2, 28), datetime.date(leap + 1, 3, 1), datetime.date(day.year, 12, 31)]
    found += [d + datetime.timedelta(days=k) for d in map(_day, named) if d for k in (-1, 0, 1)]
    return [d.isoformat() for d in sorted(set(found))][:MAX_VALUES + 4]


def times_near(text: str, named: Iterable[tuple[int, int]]) -> list[str]:
    """A time's scale, in order, written as it is: midnight, 23:59, noon, its hour's ends, it and each named ±1 minute."""
    width = len(_TIME.match(text).group(1))  # type: ignore[union-attr]
    h, m = map(int, text.split(":"))
    minutes = [0, 12 * 60, 24 * 60 - 1, h * 60, h * 60 + 59, *(h * 60 + m + d for d in (-1, 0, 1))]
    minutes += [hh * 60 + mm + d for hh, mm in named for d in (-1, 0, 1)]
    return [f"{(x % 1440) // 60:0{width}d}:{x % 60:02d}" for x in sorted(set(x % 1440 for x in minutes))][:MAX_VALUES]


def text_edges(text: str, marks: list[str]) -> list[tuple[str, str]]:
    """Other texts with their edges' names: empty, one character, spaces around (two for one inside), upper and lower
    case; each mark named alone, around it, inside it, and in place of its first and last character."""
    middle = text.find(" ") if " " in text else len(text) // 2
    found = [("empty", ""), ("one", text[:1]), ("spaces", f" {text} "), ("case", text.upper()), ("case", text.lower()),
             *([("spaces", text.replace(" ", "  ", 1))] if " " in text.strip() else [])]  # and a run of them inside
    for mark in marks:
        found += [("mark", v) for v in (mark, mark + text, text + mark, text[:middle] + mark + text[middle:],
                                        text[:middle] + mark * 2 + text[middle:], *((mark + text[1:], text[:-1] + mark) if text else ()))]
    return _unique(found, text)


def list_edges(items: list, texts: list[str] = ()) -> list[tuple[str, list]]:
    """Other lists with their edges' names: empty, one item, its last twice, reversed; numbers also with a 0, a
    negative, a tie with each value; records one tying the first; texts each of ``texts`` added at the end."""
    found: list[tuple[str, list]] = [("empty", []), ("one", items[:1]), ("duplicate", [*items, items[-1]] if items else []),
                                     ("order", items[::-1])]
    if bool(items) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
        ties = sorted(set(items), reverse=True)[:MAX_TIES]
        found += [("zero", [*items[:1], 0, *items[1:]]), ("negative", [-items[0], *items[1:]]), *(("tie", [*items, v]) for v in ties)]
    if items and all(isinstance(x, list) and x for x in items):  # records: one tying the first on its numbers
        found += [("tie", [*items, [("zz" + v) if isinstance(v, str) else v for v in items[0]]])]
    if items and all(isinstance(x, str) for x in items):  # a card, a word, a sign the request names, one more of it
        found += [("item", [*items, t]) for t in texts]
    return _unique(found, items)


def dict_edges(mapping: dict) -> list[tuple[str, dict]]:
    """Other maps with their edges' names: empty, first item only, without it, each number 0, a new item tying each."""
    items = list(mapping.items())
    found: list[tuple[str, dict]] = [("empty", {}), ("one", dict(items[:1])), ("missing", dict(items[1:]))]
    found += [("zero", {**mapping, k: 0}) for k, v in items[:3] if isinstance(v, (int, float)) and not isinstance(v, bool) and v]
    numbers = {v: k for k, v in items if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if items and all(isinstance(k, str) for k, _v in items):
        found += [("tie", {**mapping, f"zz{k}": v}) for v, k in sorted(numbers.items(), reverse=True)[:MAX_TIES]]
    return _unique(found, mapping)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
#: The words by which a request speaks of a classic edge: a call at an edge it speaks of is shown like a value it names.
EDGE_WORDS = {
    "empty": r"empty|blank|nothing|no (items?|entries|names|text)", "one": r"single|only one|one item",
    "duplicate": r"duplicates?|already|twice|again|repeated", "tie": r"ties?|tied|equal|same score",
    "zero": r"zeros?|(?<![\d.])0(?![\d.])", "negative": r"negative|below (0|zero)|less than (0|zero)|minus", "none": r"none|null|no value",
    "past a limit": _REFUSES.pattern[2:-2], "missing": r"missing|not in|absent|unknown", "spaces": r"spaces?|whitespace|blank",
    "case": r"upper|lower|case|capital", "order": r"any order|sorted|unsorted", "leap day": r"leap|february",
    "weekend": r"weekends?|saturdays?|sundays?|working days?|business days?", "month end": r"end of (the |a )?month|last day of",
    "midnight": r"midnight|00:00|24:00", **{day: rf"{day}s?" for day in _WEEKDAYS},  # a weekday the request names
}


def edge_of(value: Any, name: str = "") -> str:
    """The classic edge of a value of an ordered scale (a weekend, a month's end, a leap day, midnight), else ``name``."""
    if isinstance(value, str) and _DATE.match(value) and (day := _day(value)):
        return ("leap day" if (day.month, day.day) == (2, 29) else "month end" if (day + datetime.timedelta(days=1)).day == 1
                else "weekend" if day.weekday() >= 5 else name or _WEEKDAYS[day.weekday()])
    if isinstance(value, str) and value in ("00:00", "0:00", "23:59"):
        return "midnight"
    return name


def spoken(intent: str, edge: str) -> bool:
    """Does the request speak of ``edge`` (:data:`EDGE_WORDS`; a mark it names is met, not shown first)?"""
    return edge in EDGE_WORDS and bool(re.search(rf"\b({EDGE_WORDS[edge]})\b", intent, re.I))


def _clauses(name: str, intent: str) -> list[str]:
    """The request's clauses that speak of an input named ``name`` (``days``: "from 1 to 365 days"), refusing ones first."""
    words = [w[:max(3, len(w) - 1)] for w in name.split("_") if len(w) >= 3]
    own = [c for c in re.split(r";|\. ", intent) if any(re.search(rf"\b{re.escape(w)}", c, re.I) for w in words)]
    return sorted(own, key=lambda c: not _REFUSES.search(c))


def _unique(values: Iterable[tuple[str, Any]], own: Any) -> list[tuple[str, Any]]:
    """``values`` (``(edge, value)``) each value once, its first edge kept, none equal to ``own``."""
    seen = {json.dumps(own, sort_keys=True, default=repr)}
    return [(e, v) for e, v in values if (k := json.dumps(v, sort_keys=True, default=repr)) not in seen and not seen.add(k)]


def scale(value: Any, intent: str, constants: list[float | int], data: list[Any], name: str = "", compared: list = ()) -> tuple[list[Any], bool, list[str]]:
    """The values an input holding ``value`` (named ``name``) is tried with, whether they are in order (neighbours make
    boundaries), and each one's classic edge ("" for none); ``data``: what the slots the code reads hold."""
    found: list[tuple[str, Any]] = []
    numbers = [n for n in data if isinstance(n, (int, float)) and not isinstance(n, bool)]
    texts = " ".join(t for t in data if isinstance(t, str))
    if isinstance(value, bool):
        found = [("", not value)]
    elif isinstance(value, (int, float)):
        # every number the code compares with; the numbers of the clauses speaking of this input (past each limit of one
        # that refuses, away from the call: an edge), the code's other constants, the slots' numbers, the request's others
        own, step = _clauses(name, intent), 1 if isinstance(value, int) else 0.01
        past = {round(n + (step if n >= value else -step), 2) for c in own if _REFUSES.search(c) for n in named_numbers(c)}
        near = numbers_near(value, [*(n for c in own for n in named_numbers(c)), *constants, *(numbers if step == 1 else []),
                                    *named_numbers(intent)], step == 1, compared)
        return near, True, ["past a limit" if v in past else "zero" if v == 0 else "negative" if v < 0 else "" for v in near]
    elif isinstance(value, str) and _DATE.match(value) and _day(value):
        days = dates_near(value, ["-".join(d) for d in _DATE_NAMED.findall(f"{intent} {texts}")])
        return days, True, [edge_of(d) for d in days]
    if isinstance(value, str) and _TIME.match(value) and int(value.split(":")[0]) < 24 and int(value.split(":")[1]) < 60:
        times = times_near(value, [(int(h), int(m)) for h, m in _TIME_NAMED.findall(f"{intent} {texts}") if int(h) < 24 and int(m) < 60])
        return times, True, [edge_of(t) for t in times]
    if isinstance(value, str) and not found:  # and a text the slots hold, as it is and in another case: already there
        held = [t for t in data if isinstance(t, str) and t != value and not _TIME.match(t) and not _DATE.match(t)][:2]
        found = [*text_edges(value, named_texts(intent)), *(("duplicate", v) for t in held for v in (t, t.lower(), t.upper()))]
    elif isinstance(value, list):
        found = list_edges(value, named_texts(intent))
    elif isinstance(value, dict):
        found = dict_edges(value)
    return [v for _edge, v in found], False, [edge for edge, _v in found]


# --- the pool -----------------------------------------------------------------------------------------------------
def pool(args: list, kwargs: dict, slots: dict, intent: str, code: str, selector: str) -> list[dict]:
    """The calls the chosen candidate meets (:data:`MAX_POOL` at most): one argument or one slot the code reads changed
    at a time along its :func:`scale` (``dim``, ``rank`` on an ordered one, ``edge``, ``named``), then :func:`_pairs`."""
    constants, read = code_constants(code, selector), [name for name in slots_read(code) if name in slots]
    compared = code_constants(code, selector, compared=True)[:MAX_COMPARED]
    names = next(([a.arg for a in n.args.args[1:]] for n in _nodes(code) if isinstance(n, ast.FunctionDef) and n.name == selector), [])
    unread = [n for n in slots if n not in read and re.search(rf"\b(self\.{re.escape(n)}|{re.escape(n)} slot|slot {re.escape(n)})\b", intent)]
    data = [v for name in read for v in data_values(slots[name])]
    data = [*[v for v in data if not isinstance(v, str)][:MAX_VALUES], *[v for v in data if isinstance(v, str)][:MAX_VALUES]]
    found, base = [], {"args": list(args), "kwargs": dict(kwargs)}
    said, quoted = named_values(intent), {a or b for a, b in _QUOTED.findall(intent)}
    own = {n: named_values(";".join(_clauses(n, intent))) or said for n in {*names, *read, *unread}}  # once an input
    # a value the clauses speaking of the input name (else the request; its edge then unsaid), an edge it speaks of, an
    # item it names; a text input whose own value the request quotes ("basic" or "gold") meets the other texts it quotes
    def marks(v: Any, edge: str, held: Any = None, name: str = "") -> dict:
        named = _said(v, own.get(name, said)) or {type(v), type(held)} == {str} and {v, held} <= quoted
        return {**({"edge": edge} if edge and not named else {}),
                **({"named": True} if named or spoken(intent, edge) or edge == "item" else {})}

    for position, value in enumerate(args):
        values, ordered, edges = scale(value, intent, constants, data, names[position] if position < len(names) else "", compared)
        found += [{"args": [*args[:position], v, *args[position + 1:]], "kwargs": dict(kwargs), "dim": f"arg {position + 1}",
                   **({"rank": rank} if ordered else {}), **marks(v, edge, value, names[position] if position < len(names) else "")}
                  for rank, (v, edge) in enumerate(_with_own(values, edges, value, ordered))]
    for position, value in enumerate(args):  # another argument's texts holding a mark-bearing piece of a text argument
        found += [{"args": [*args[:position], v, *args[position + 1:]], "kwargs": dict(kwargs), "dim": f"arg {position + 1}",
                   "holding": True} for v in _holding(value, [a for a in args if isinstance(a, str)])]
    for (position, value), dim in product(enumerate(args), ("total", "length")):  # a list of numbers: its total on a scale (the
        scaled = _totals(value, [*named_numbers(intent), *constants]) if dim == "total" else _lengths(value, code, intent)  # last
        found += [{"args": [*args[:position], v, *args[position + 1:]], "kwargs": dict(kwargs), "dim": f"arg {position + 1} {dim}",
                   "rank": rank, **({"named": True} if dim == "total" and _said(sum(v), said) else {})} for rank, v in enumerate(scaled)]
    nullable = any(isinstance(n, ast.Compare) and any(isinstance(c, ast.Constant) and c.value is None for c in n.comparators)
                   for n in _nodes(code))  # the code asks whether something is None (x is None, x == None)
    for name in [*read, *unread]:  # and the slots the request names that the code never reads (a flag it ignores)
        values, ordered, edges = scale(slots[name], intent, constants, [], name, compared)
        found += [{**base, "given": {name: v}, "dim": f"self.{name}", **({"rank": rank} if ordered else {}),
                   **({"named": True, "unread": True} if name in unread and isinstance(v, bool) else marks(v, edge, slots[name], name))}
                  for rank, (v, edge) in enumerate(_with_own(values, edges, slots[name], ordered))]
        if slots[name] is not None and nullable:  # the code asks whether a slot holds nothing: one that does
            found.append({**base, "given": {name: None}, "dim": f"self.{name}", **marks(None, "none")})
    found += _pairs(args, kwargs, {n: slots[n] for n in read}, intent)
    found.insert(0, {**base, "dim": ASKED})  # first: a path the call asked takes is shown at it
    seen: set[str] = set()  # each call once, but on every ordered scale it stands on (beside its neighbours there)
    return [c for c in found if (key(c) not in seen or c.get("rank") is not None) and not seen.add(key(c))][:MAX_POOL]


def _pairs(args: list, kwargs: dict, slots: dict, intent: str) -> list[dict]:
    """Two numeric inputs changed together, each just past one of two numbers a clause names side by side ("steeper
    than 8 percent, where a cadence below 70": a path neither reaches alone); :data:`MAX_PAIRS` at most."""
    dims = [(d, v) for d, v in [*enumerate(args), *slots.items()] if isinstance(v, (int, float)) and not isinstance(v, bool)]
    found = []
    for numbers in (list(dict.fromkeys(named_numbers(clause))) for clause in intent.split(";")):
        near = [*zip(numbers, numbers[1:]), *zip(numbers[1:], numbers)]
        for k, (d1, v1) in enumerate(dims):
            for (d2, v2), (a, b) in product(dims[k + 1:], near):
                steps = [1 if isinstance(v, int) else 0.01 for v in (v1, v2)]
                for x, y in product((a - steps[0], a + steps[0]), (b - steps[1], b + steps[1])):
                    call: dict = {"args": list(args), "kwargs": dict(kwargs), "given": {}, "dim": "pair", "pair": True}
                    for d, v in ((d1, x), (d2, y)):
                        call["args" if isinstance(d, int) else "given"][d] = round(v, 2)
                    found.append(call if call["given"] else {k: v for k, v in call.items() if k != "given"})
    return found[:MAX_PAIRS]


def _totals(items: Any, named: list[float | int]) -> list[list]:
    """A list of numbers, its last item changed to total each named number ±1 (kept ≥ 0 where all are); else []."""
    if not (isinstance(items, list) and items and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items)):
        return []
    whole, rest = all(isinstance(x, int) for x in items), sum(items[:-1])
    lasts = (total - rest if whole else round(total - rest, 2) for total in numbers_near(sum(items), named, whole))
    return [[*items[:-1], last] for last in lasts if last >= 0 or min(items) < 0]


def _lengths(items: Any, code: str, intent: str) -> list[list]:
    """A list, its items over again to each length (2-50) the code compares ``len()`` with, then the request names, ±1."""
    compared = [] if not (isinstance(items, list) and items) else [c.value for n in _nodes(code) if isinstance(n, ast.Compare) and any(isinstance(x, ast.Call) and getattr(
        x.func, "id", "") == "len" for x in [n.left, *n.comparators]) for c in [n.left, *n.comparators] if isinstance(c, ast.Constant)]
    lengths = [n + d for n in dict.fromkeys(n for n in [*compared, *named_numbers(intent)] if type(n) is int and 2 <= n <= 50) for d in (-1, 0, 1)][:12]
    return [[items[i % len(items)] for i in range(n)] for n in sorted(set(lengths))] if isinstance(items, list) and items else []


def _holding(value: Any, texts: list[str]) -> list[Any]:
    """``value`` (a map, a list of texts), its first text the last mark-bearing piece of ``texts`` (``{people}``); or []."""
    piece = next((w.strip(",.;:") for t in reversed(texts) for w in reversed(t.split())  # the last: a first piece put
                  if not w.isalnum() and any(ch.isalnum() for ch in w)), None)  # in for itself changes nothing
    if isinstance(value, dict) and piece is not None:
        first = next((k for k, v in value.items() if isinstance(v, str)), next(iter(value), None))
        return [{**value, first: piece}] if first is not None and value[first] != piece else []
    return [[piece, *value[1:]]] if piece and isinstance(value, list) and value and isinstance(value[0], str) and value[0] != piece else []


def named_values(intent: str) -> set[str]:
    """The values the request names (numbers, times of day, dates), each as :func:`_said` compares them."""
    return ({repr(float(n)) for n in named_numbers(intent)} | {f"{int(h)}:{m}" for h, m in _TIME_NAMED.findall(intent)}
            | {"-".join(d) for d in _DATE_NAMED.findall(intent)})


def _said(value: Any, said: set[str]) -> bool:
    """Is ``value`` one the request names?"""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value)) in said
    return isinstance(value, str) and (f"{int(value.split(':')[0])}:{value.split(':')[1]}" if _TIME.match(value) else value) in said


def _with_own(values: list, edges: list[str], own: Any, ordered: bool) -> list[tuple[Any, str]]:
    """``(value, edge)`` pairs; an ordered scale holds the call's own value in its place (a boundary beside it)."""
    pairs, fits = list(zip(values, edges)), ordered and own not in values and all(type(v) is type(own) for v in values)
    return sorted([*pairs, (own, "")], key=lambda pair: pair[0]) if fits else pairs


# --- what is kept ---------------------------------------------------------------------------------------------------
def select(calls: list[dict], outcomes: list[dict], confirmed: list[dict], confirmed_arcs: Iterable[Iterable[int]], every: bool = False) -> list[dict]:
    """The pool's calls that matter, least supported first, :data:`MAX_SELECTED` at most (``every``: then the rest of the pool,
    nobody to ask), each with ``coverage`` (why) and ``unsupported``; ``outcomes``: the candidate's (with ``arcs``)."""
    said, known = {key(c) for c in confirmed}, {tuple(a) for a in confirmed_arcs}
    arcs = [frozenset(tuple(a) for a in o.get("arcs") or ()) for o in outcomes]
    chosen: dict[str, dict] = {}

    def keep(k: int, why: str, unsupported: bool, kind: str) -> None:
        call = {f: calls[k][f] for f in ("args", "kwargs", "given") if f in calls[k]}
        if key(call) in chosen:
            if unsupported and not chosen[key(call)]["unsupported"]:
                chosen[key(call)]["unsupported"] = True
            return
        chosen[key(call)] = {**call, "coverage": why, "unsupported": unsupported, "kind": kind,
                             **({"holding": True} if calls[k].get("holding") else {})}

    for k in (k for k, call in enumerate(calls) if call.get("unread") and "arcs" in outcomes[k]):  # a flag it ignores
        keep(k, f"a slot the request names that the code never reads ({dim_value(calls[k])})", True, "unread")
    # boundaries: neighbours on a scale whose paths differ, each side kept; supported where the person said either
    by_dim: dict[str, list[int]] = {}
    for k in (k for k, call in enumerate(calls) if call.get("rank") is not None and "arcs" in outcomes[k]):
        by_dim.setdefault(calls[k]["dim"], []).append(k)
    boundaries = []
    for dim, members in by_dim.items():
        members.sort(key=lambda k: calls[k]["rank"])
        for a, b in zip(members, members[1:]):
            if arcs[a] != arcs[b] and _neighbours(_varied(calls[a], dim), _varied(calls[b], dim)):
                course = f"{COURSE} ({dim_value(calls[a])} / {dim_value(calls[b]).partition(' = ')[2]})"
                boundaries.append((key(calls[a]) not in said and key(calls[b]) not in said, a, b, course))
    # branches: every arc no call of the person's took, a call taking most of them first
    wanted = set().union(*arcs) - known if arcs else set()
    branch_calls = []
    while wanted:
        k = max(range(len(calls)), key=lambda k: (len(arcs[k] & wanted), -k))
        if not arcs[k] & wanted:
            break
        branch_calls.append((k, sorted(arcs[k] & wanted)))
        wanted -= arcs[k]
    unshown = [(a, b, course) for unsupported, a, b, course in boundaries if unsupported]
    while unshown:  # one side of each boundary nothing supports, a side of most of them first
        sides = Counter(k for a, b, _course in unshown for k in (a, b))
        k = max(sides, key=lambda k: (sides[k], bool(calls[k].get("named")), -k))
        keep(k, next(course for a, b, course in unshown if k in (a, b)), True, "boundary")
        unshown = [(a, b, course) for a, b, course in unshown if k not in (a, b)]
    for _unsupported, a, b, course in boundaries:  # the other sides: met by every candidate
        for k in (a, b):
            keep(k, course, False, "boundary")
    for k, _new in branch_calls:
        keep(k, PATH, True, "branch")
    for k in (k for k, call in enumerate(calls) if call.get("named") and "arcs" in outcomes[k]):  # a reading goes wrong there
        what = f"an edge the request speaks of, {calls[k]['edge']}" if calls[k].get("edge") else "a value the request names"
        keep(k, f"{what} ({dim_value(calls[k])})", True, "named")
    for k in (k for k, call in enumerate(calls) if call.get("pair") and "arcs" in outcomes[k]):
        keep(k, "two inputs together", False, "pair")  # met by every candidate: a path each one alone never reaches
    edges = [k for k, call in enumerate(calls) if call.get("rank") is None and "arcs" in outcomes[k] and call["dim"] not in (ASKED, "pair")]
    for k in sorted(_round_robin(edges, calls), key=lambda k: not calls[k].get("holding")):
        keep(k, f"an edge ({dim_value(calls[k])})", False, "edge")  # met by every candidate; shown after the unsupported
    kinds = ("unread", "boundary", "named", "branch", "pair", "edge")
    ordered = [c for c in chosen.values() if key(c) not in said]
    firsts = [next(c for c in ordered if c["kind"] == kind) for kind in kinds if any(c["kind"] == kind for c in ordered)]
    ordered = sorted(ordered, key=lambda c: (not c["unsupported"], c not in firsts, kinds.index(c["kind"])))
    for k in (k for k in range(len(calls)) if every and "arcs" in outcomes[k]):  # past them, the rest of the pool
        keep(k, "a value on its scale", False, "pool")
    ordered = [*ordered[:None if every else MAX_SELECTED], *(c for c in chosen.values() if c["kind"] == "pool" and key(c) not in said)]
    return [{k: v for k, v in c.items() if k != "kind"} for c in ordered]


def doubts(code: str, intent: str, arcs: Iterable[Iterable[int]], answered: Iterable[tuple[dict, str]]) -> tuple[str, ...]:
    """What agreement alone cannot vouch for: a line that works something out (not a refusal: a raise, a bare or constant
    ``return``, ``pass``) no traced call ran; at a boundary of its own, an error neither code nor request names (at a
    negative number only where the request speaks of them)."""
    ran, named = {line for arc in arcs for line in arc}, set(re.findall(r"\b\w+(?:Error|Exception)\b", f"{intent} {code}"))
    unrun = sorted((n.lineno, ast.unparse(n).partition("\n")[0]) for f in _nodes(code) if isinstance(f, ast.FunctionDef)
                   for n in ast.walk(f) if isinstance(n, ast.stmt) and n is not f and n.lineno not in ran and not isinstance(
                       n, (ast.Raise, ast.Pass)) and not (isinstance(n, (ast.Return, ast.Expr)) and isinstance(n.value, (ast.Constant, type(None)))))
    crashes = sorted({json.loads(a)[1] for call, a in answered if a.startswith('["raised"') and str(call.get("coverage")).startswith(COURSE)
                      and (spoken(intent, "negative") or not any(type(v) in (int, float) and v < 0 for v in [*call["args"], *call.get("given", {}).values()]))} - named)
    return (*[f"no call runs its line {line!r}" for _n, line in unrun[:1]],
            *[f"it raises {error} at a boundary of its own, an error neither it nor the request names" for error in crashes[:1]])


def halves(calls: list[dict], outcomes: list[dict]) -> list[dict]:
    """Where two numbers side by side on a scale take different paths and are not neighbours (the boundary of a value
    the code works out of the input lies between: ``score = km + ascent / 100``), the call half way, ranked between."""
    by_dim: dict[str, list[int]] = {}
    for k in (k for k, call in enumerate(calls) if call.get("rank") is not None and "arcs" in outcomes[k]):
        by_dim.setdefault(calls[k]["dim"], []).append(k)
    found = []
    for dim, members in ((d, sorted(m, key=lambda k: calls[k]["rank"])) for d, m in by_dim.items() if not d.endswith(("total", "length"))):
        for a, b in ((a, b) for a, b in zip(members, members[1:]) if outcomes[a]["arcs"] != outcomes[b]["arcs"]):
            x, y = _varied(calls[a], dim), _varied(calls[b], dim)
            if {type(x), type(y)} <= {int, float} and not _neighbours(x, y):
                mid = (x + y) // 2 if type(x) is type(y) is int else round((x + y) / 2, 2)
                found.append({"args": [mid if f"arg {i + 1}" == dim else v for i, v in enumerate(calls[a]["args"])], "dim": dim,
                              "kwargs": calls[a]["kwargs"], **({"given": {dim[5:]: mid}} if dim.startswith("self.") else {}),
                              "rank": (calls[a]["rank"] + calls[b]["rank"]) / 2})
    return found


def _round_robin(members: list[int], calls: list[dict]) -> list[int]:
    """``members`` taking each dimension in turn: the first edge of every argument before the second of any."""
    by_dim: dict[str, list[int]] = {}
    for k in members:
        by_dim.setdefault(calls[k]["dim"], []).append(k)
    return [k for row in zip_longest(*by_dim.values()) for k in row if k is not None]


def dim_value(call: dict) -> str:
    """What a pool call changes, in a few words (``arg 1 = 1.25``)."""
    value = _varied(call, call["dim"].removesuffix(" total"))
    shown = json.dumps(round(sum(value), 6) if call["dim"].endswith(" total") else value, default=repr)
    return f"{call['dim']} = {shown[:40]}"


def _varied(call: dict, dim: str) -> Any:
    if dim.startswith("self."):
        return next(iter((call.get("given") or {}).values()), None)
    arg = call["args"][int(dim.split()[1]) - 1]
    return len(arg) if dim.endswith(" length") else arg


def _neighbours(a: Any, b: Any) -> bool:
    """Two values side by side on their scale: numbers one (or a cent) apart, dates a day, times a minute."""
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and a[:-1] == b[:-1]:
        a, b = sum(a), sum(b)  # two lists of numbers on the scale of their totals
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) == 1 if isinstance(a, int) and isinstance(b, int) else abs(a - b) <= 0.0100001
    if isinstance(a, str) and isinstance(b, str):
        if _DATE.match(a) and _DATE.match(b):
            return bool((x := _day(a)) and (y := _day(b)) and abs((x - y).days) == 1)
        if _TIME.match(a) and _TIME.match(b):
            x, y = (int(t.split(":")[0]) * 60 + int(t.split(":")[1]) for t in (a, b))
            return abs(x - y) == 1
    return False



"""Property checks on the edges of an answer the request's words make certain, read without a model.

The siblings of :mod:`bat_os.cognition.properties` (which calls :func:`bounds` and hands the cases it
makes back here to be judged, :func:`judge_bound`):

- **the answer to an empty argument**, when the request names it: "..., or 0 for an empty list", "an
  empty text into an empty dict", "or '' when they share none or the list is empty", "or None when it
  is empty" (of a slot: "the history slot ... or None when it is empty"): a case calling the method with
  that argument (or slot) empty, answering that value. Held-out tasks name such an answer often, and the
  real 0.5B model's candidates often raise there (``parse_settings('')``, a false install on tasks no
  rule was tuned on), while the probes, which may decline by raising, cannot tell;
- **a mean between the least and the greatest**: "the average of a list", "the mean of the scores
  slot", "the median of ...": every number answered lies between the least and the greatest number of
  that list (three candidates of novel4's ``weighted_average``, held out, agreed on 42.5 for scores 80
  and 90 and were installed), on the trial call and every probe;
- **an answer without a character**: "the words that start with '#', without the '#'": no text answered
  (nor any text item of a list answered) holds it, on the trial call and every probe (two candidates of
  novel4's ``extract_hashtags`` kept the ``#`` and were installed).

Each is a case ``{"args", "kwargs", "role": "property", "says"}`` with ``result`` (and ``given`` for a
slot), ``within`` (the position of the list argument, or ``within_slot``) or ``lacks``. Stdlib only.
"""

from __future__ import annotations

import json
import re

_NOUNS = {"list": list, "lists": list, "array": list, "sequence": list, "dict": dict, "dictionary": dict, "map": dict,
          "mapping": dict, "text": str, "string": str, "word": str, "sentence": str, "name": str, "phrase": str, "line": str}
_NOUN = r"(?:" + "|".join(sorted(_NOUNS, key=len, reverse=True)) + r")"
_EMPTY_OF = {list: [], dict: {}, str: ""}
# the answer named for it: an empty one of a kind, '' or "", [] or {}, None, a number, a truth value
_VALUE = (r"(?P<value>an empty (?:list|dict|dictionary|map|text|string|word)|''|\"\"|\[\]|\{\}|None|"
          r"-?\d+(?:\.\d+)?(?![\w.])|zero|False|True|false|true)")
_FOR_EMPTY = [
    # "0 for an empty list", "an empty list for an empty word", "None given an empty text"
    re.compile(rf"{_VALUE}\s+(?:for|given|on|from)\s+an\s+empty\s+(?P<noun>{_NOUN})\b", re.I),
    # "an empty text into an empty dict", "an empty list gives 0"
    re.compile(rf"\ban\s+empty\s+(?P<noun>{_NOUN})\s+(?:into|to|gives|becomes|returns|yields|answers|as)\s+{_VALUE}", re.I),
    # "or 0 when the list is empty", "or None when it is empty", "return None and change nothing when done is empty",
    # "or '' when they share none or the list is empty"
    re.compile(rf"{_VALUE}(?:\s+and\s+change\s+nothing)?\s+(?:when|if)\b[^,;.]*?\b(?:(?:the|its|a)\s+)?"
               rf"(?P<noun>\w+)(?:\s+(?:slot|attribute|field))?\s+is\s+empty\b", re.I),
]


def bounds(intent: str, args: list, kwargs: dict, slots: dict | None = None) -> list[dict]:
    """The cases of this module's three properties for a method asked for with ``intent``, learnt through the
    call ``args``/``kwargs``, on a receiver whose plain slots are ``slots``."""
    found = [case for case in (_empty_answer(intent, args, kwargs, slots or {}), _mean(intent, args, kwargs, slots or {}),
                               _without(intent, args, kwargs)) if case]
    return [{**case, "role": "property"} for case in found]


def _empty_answer(intent: str, args: list, kwargs: dict, slots: dict) -> dict:
    for pattern in _FOR_EMPTY:
        said = pattern.search(intent)
        if said is None:
            continue
        value = _value(said.group("value"))
        where = _argument(said.group("noun"), args, kwargs, slots, intent)
        if where is None:
            return {}
        kind, key = where
        call = {"args": list(args), "kwargs": dict(kwargs)}
        if kind == "arg":
            call["args"][key] = _empty_like(args[key])
        elif kind == "kwarg":
            call["kwargs"][key] = _empty_like(kwargs[key])
        else:
            call["given"] = {key: _empty_like(slots[key])}
        return {**call, "result": value, "says": f"'{said.group(0)}'"}
    return {}


def _empty_like(value: object) -> object:
    return next(type(empty)() for kind, empty in _EMPTY_OF.items() if isinstance(value, kind))  # a new one each time


def _value(words: str) -> object:
    lowered = words.lower()
    if lowered.startswith("an empty"):
        return _NOUNS[lowered.rsplit(" ", 1)[1]]()
    plain = {"''": "", '""': "", "[]": [], "{}": {}, "none": None, "zero": 0, "false": False, "true": True}
    if lowered in plain:
        return plain[lowered]
    return float(words) if "." in words else int(words)


def _argument(noun: str, args: list, kwargs: dict, slots: dict, intent: str) -> tuple[str, object] | None:
    """Where the empty thing is: ``("arg", position)``, ``("kwarg", name)`` or ``("slot", name)``; None when the words
    name no one argument (or slot) of a kind that can be empty."""
    emptiable = (list, dict, str)
    arguments = [("arg", i, a) for i, a in enumerate(args)] + [("kwarg", k, v) for k, v in kwargs.items()]
    named = {name: value for name, value in slots.items() if isinstance(value, emptiable) and _names(intent, name)}
    if noun in slots and isinstance(slots[noun], emptiable) and not arguments:
        return "slot", noun
    lowered = noun.lower()
    if lowered == "it":
        held = [(kind, key) for kind, key, value in arguments if isinstance(value, emptiable)]
        if len(held) == 1 and len(arguments) == 1:
            return held[0]
        return ("slot", next(iter(named))) if not arguments and len(named) == 1 else None
    kind = _NOUNS.get(lowered)
    if kind is None:
        return None
    held = [(where, key) for where, key, value in arguments if isinstance(value, kind)]
    if held:
        return held[0] if len(held) == 1 else None
    of_kind = [name for name, value in named.items() if isinstance(value, kind)]
    return ("slot", of_kind[0]) if not arguments and len(of_kind) == 1 else None


def _names(intent: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", intent) is not None


_MEAN = re.compile(r"\b(?:average|mean|median)\s+(?:value\s+)?of\s+(?:a|the|its|all\s+the)\s+(?:(?P<slot>\w+)\s+(?:slot|attribute|"
                   r"field)\b|(?:list|numbers|values|scores|marks|grades|ratings|prices|readings|items|entries)\b)", re.I)
# "the average of the squares of ...", "the mean of the differences": a mean of something made of the numbers
_MADE_OF = re.compile(r"^\s*(?:of\s+)?(?:the\s+)?(?:squares|cubes|differences|products|sums|gaps|lengths|logs?|"
                      r"absolute|distances|changes|ratios)\b", re.I)


def _mean(intent: str, args: list, kwargs: dict, slots: dict) -> dict:
    said = _MEAN.search(intent)
    if said is None or _MADE_OF.match(intent[said.end():]) or re.search(r"\bsquared?\b|\bdeviation\b|\bvariance\b", intent, re.I):
        return {}
    call = {"args": list(args), "kwargs": dict(kwargs), "says": f"'{said.group(0)}'"}
    name = said.group("slot")
    if name:
        return {**call, "within_slot": name, "numbers": slots[name]} if _numbers(slots.get(name)) else {}
    lists = [i for i, a in enumerate(args) if isinstance(a, list)]
    if kwargs or not lists or not _numbers(args[lists[0]]):
        return {}
    if len(lists) > 1 and not re.search(r"\bweighted\b", intent, re.I):
        return {}  # the mean of which one? ("... weighted by a list of weights": the first)
    return {**call, "within": lists[0]}


def _numbers(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)


_WITHOUT = re.compile(r"\bwithout\s+(?:the|its|their|any|a|an)?\s*(?:'([^'\s]{1,3})'|\"([^\"\s]{1,3})\")", re.I)


def _without(intent: str, args: list, kwargs: dict) -> dict:
    said = _WITHOUT.search(intent)
    if said is None:
        return {}
    return {"args": list(args), "kwargs": dict(kwargs), "lacks": said.group(1) or said.group(2), "says": f"'{said.group(0)}'"}


def judge_bound(case: dict, call: dict, value: object) -> str | None:
    """Why ``value``, the answer to ``call`` (its ``args``, its ``given`` slots), breaks the ``within``/``within_slot``/``lacks``
    property ``case``, or None (an answer of another kind is not judged here)."""
    if "lacks" in case:
        texts = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        if not any(case["lacks"] in text for text in texts):
            return None
        return f"should answer without {json.dumps(case['lacks'])}, but it answered {json.dumps(value)[:80]}"
    if "within" in case:
        args = call.get("args") or []
        numbers = args[case["within"]] if case["within"] < len(args) else None
    elif "within_slot" in case:
        numbers = (call.get("given") or {}).get(case["within_slot"], case.get("numbers"))
    else:
        return None
    if not _numbers(numbers) or not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    low, high = min(numbers), max(numbers)
    if low - 1e-9 <= value <= high + 1e-9:
        return None
    return f"should answer a mean, between {low} and {high} (the least and the greatest of its numbers), but it answered {value}"

"""Property checks the intent's own words call for, read without a model.

A small model's generated cases are often wrong; a few phrases of the
request say something certain about every right answer, and those are
checked like the user's examples (a candidate that breaks one is refused,
and told why):

- **what kind of answer**: "tell whether", "check if", a selector ``is_x``,
  ``has_x``, ``can_x`` -> a bool; "count ..." or "how many ..." (unless a map
  or a list is asked for) -> an int; "map each ... to", "return a dict" ->
  a dict (the real 0.5B model answered "map each word to its length" with
  the list of words);
- **the answer's letter case**: "in capitals", "in capital letters", "in upper
  case", "to uppercase" (and the same for lower case) -> the trial call with
  every string argument in the other case answers a string with no letter in
  the other case (``initials("ada lovelace")`` is ``"AL"``);
- **case does not matter**: "ignoring case", "case-insensitive", "either
  case", "regardless of case" -> the trial call with every string argument
  in lower case, and in upper case, answers as the trial does.

Each property is a case ``{"args", "kwargs", "role": "property", "says"}``
with ``type`` (judged like any case) or ``same_as_trial`` (compared with the
trial's answer by :func:`bat_os.cognition.selection.assess`); ``says``
quotes the words it came from.
"""

from __future__ import annotations

import re

_BOOL_WORDS = re.compile(r"\b(tell|check|say|decide|find out|test|determine|report) (whether|if)\b|\bwhether\b", re.I)
_BOOL_SELECTOR = re.compile(r"^(is|has|can|contains|should|are)_")
_COUNT_WORDS = re.compile(r"^\s*(count|how many)\b|\breturn (the )?(number|count) of\b", re.I)
_NOT_A_COUNT = re.compile(r"\b(map|maps|mapping|dict|dictionary|each|per|every|frequency|frequencies|as a list|a list of)\b", re.I)
_MAP_WORDS = re.compile(r"\b(map|maps|mapping) (each|every|all)\b|\breturn (a|the) (dict|dictionary|mapping)\b|\bas a (dict|dictionary|mapping)\b", re.I)
_UPPER = re.compile(r"\b(in|to|into) (all )?(capitals|capital letters|upper[- ]?case( letters)?|block capitals)\b", re.I)
_LOWER = re.compile(r"\b(in|to|into) (all )?(lower[- ]?case( letters)?|small letters)\b", re.I)
_CASELESS = re.compile(r"\b(ignoring (the )?case|case[- ]insensitive(ly)?|either case|regardless of (the )?case|any case)\b", re.I)


def properties(intent: str, selector: str, args: list, kwargs: dict) -> list[dict]:
    """The property cases for a method asked for with ``intent`` and learnt through the call ``args``/``kwargs``."""
    found: list[dict] = []
    call = {"args": list(args), "kwargs": dict(kwargs)}
    words = _BOOL_WORDS.search(intent or "")
    if words or _BOOL_SELECTOR.match(selector):
        found.append({**call, "type": "bool", "role": "property",
                      "says": f"'{words.group(0)}'" if words else f"the name {selector}"})
    else:
        counting = _COUNT_WORDS.search(intent or "")
        mapping = _MAP_WORDS.search(intent or "")
        if counting and not _NOT_A_COUNT.search(intent):
            found.append({**call, "type": "int", "role": "property", "says": f"'{counting.group(0).strip()}'"})
        elif mapping:
            found.append({**call, "type": "dict", "role": "property", "says": f"'{mapping.group(0)}'"})
    for pattern, letters, change in ((_UPPER, "upper", str.lower), (_LOWER, "lower", str.upper)):
        said = pattern.search(intent or "")
        changed = {"args": [_change(a, change) for a in args], "kwargs": {k: _change(v, change) for k, v in kwargs.items()}}
        if said and _has_letters(changed):
            found.append({**changed, "letters": letters, "role": "property", "says": f"'{said.group(0)}'"})
    caseless = _CASELESS.search(intent or "")
    if caseless:
        for change in (str.lower, str.upper):
            changed = {"args": [_change(a, change) for a in args], "kwargs": {k: _change(v, change) for k, v in kwargs.items()}}
            if changed != call:
                found.append({**changed, "same_as_trial": True, "role": "property", "says": f"'{caseless.group(0)}'"})
    return found


def _change(value: object, change) -> object:  # noqa: ANN001
    return change(value) if isinstance(value, str) else value


def _has_letters(call: dict) -> bool:
    return any(isinstance(v, str) and any(ch.isalpha() for ch in v) for v in [*call["args"], *call["kwargs"].values()])

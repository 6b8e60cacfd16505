"""Property checks of a merge of maps, read from the request's words (:mod:`bat_os.cognition.properties` asks them).

- **every key of the maps merged**: "merge two dicts of counts", "combine the two mappings" (two map arguments or
  more, and no "only", "common" or "intersection"): the call answers a dict holding every key of each (three of
  the real 0.5B model's candidates read "adding the counts of keys they share" as "keep only the shared keys");
- **which map a shared key's value comes from**: "taking the value from the first dict when a key is in both",
  "on a clash the second one wins": the call's shared keys hold that map's values (novel6's
  ``merge_prefer_first``: four candidates wrote ``{**first, **second}``).
"""

from __future__ import annotations

import json
import re

from bat_os.cognition.cases import answer_of, output_key

_MERGE = re.compile(r"\b(merge|merges|merging|combine|combines|combining)\b", re.I)
_SOME_KEYS = re.compile(r"\b(only|common|intersection|intersect|intersecting)\b", re.I)
# which map's value a key both hold keeps: "taking the value from the first dict", "the second one wins"
_PREFER = re.compile(r"\b(?:(?:tak|keep|us|prefer)\w*\s+(?:the\s+)?(?:values?\s+)?(?:from|of|in)\s+the\s+|the\s+)"
                     r"(first|second|former|latter)\b(?:\s+(?:one|dict|dictionary|map|mapping))?(?:'s)?(?:\s+(?:wins|value))?", re.I)
_BOTH = re.compile(r"\b(in both|both have|both hold|in either and|shared|on a clash|clash(?:es)?|collide|conflict)\b", re.I)


def merge_properties(intent: str, call: dict) -> list[dict]:
    """The merge property cases of the call ``call`` (``{"args", "kwargs"}``) asked for with ``intent``."""
    found: list[dict] = []
    merged = _MERGE.search(intent or "")
    maps = [value for value in [*call["args"], *call["kwargs"].values()] if isinstance(value, dict)]
    if not merged or len(maps) < 2 or _SOME_KEYS.search(intent):
        return found
    keys = sorted({key for value in maps for key in value})
    if keys:
        found.append({**call, "holds_keys": keys, "role": "property", "says": f"'{merged.group(0)}'"})
    preferred = _PREFER.search(intent) if _BOTH.search(intent) else None
    shared = [key for key in maps[0] if key in maps[1]] if preferred and len(maps) == 2 else []
    if shared:  # that map's value for a shared key
        winner = maps[0] if preferred.group(1).lower() in ("first", "former") else maps[1]
        found.append({**call, "keeps": [[key, winner[key]] for key in shared], "role": "property",
                      "says": f"'{preferred.group(0)}'"})
    return found


def judge_merge(case: dict, outcome: dict, call: str) -> str | None:
    """Why ``outcome`` breaks the merge property ``case``, or None (``call``: the call as written)."""
    value = outcome.get("value")
    if case.get("keeps"):
        if isinstance(value, dict) and all(key in value and _json(value[key]) == _json(kept) for key, kept in case["keeps"]):
            return None
        wanted = ", ".join(f"{json.dumps(key)}: {json.dumps(kept)}" for key, kept in case["keeps"])
        return f"{call} should keep {wanted} for the key(s) both maps hold, but it answered {answer_of(output_key(outcome))}"
    if isinstance(value, dict) and all(key in value for key in case["holds_keys"]):
        return None
    keys = ", ".join(json.dumps(key) for key in case["holds_keys"])
    return f"{call} should answer a dict holding every key of the maps it merges ({keys}), but it answered {answer_of(output_key(outcome))}"


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=repr)

"""Calls made of the candidates' own constants (bat_os.cognition.differential)."""

from __future__ import annotations

import asyncio

from bat_os.cognition.differential import MAX_CALLS, call_key, constant_calls, constants, tell_apart

FULL = "def is_leap(self, year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"
SHORT = "def is_leap(self, year):\n    return year % 4 == 0\n"


def test_the_constants_of_the_method_in_order_without_the_trivial_ones():
    assert constants(FULL, "is_leap") == [4, 100, 400]
    assert constants("def f(self, x):\n    return x[0] + x[1] * 1000000000 + (True and 2)\n", "f") == [2]  # 0, 1, a huge one, a bool: no
    assert constants("def g(self, x):\n    return 7\n", "f") == [] and constants("def f(self:\n", "f") == []


def test_calls_put_the_constants_in_place_of_the_integer_arguments_only():
    calls = constant_calls([SHORT, FULL], "is_leap", [2024], {}, taken=[{"args": [400], "kwargs": {}}])
    assert calls == [{"args": [4], "kwargs": {}}, {"args": [100], "kwargs": {}}]  # 400 was asked already
    assert constant_calls([FULL], "is_leap", ["2024"], {}, []) == []  # no integer argument: nothing to replace
    two = constant_calls([FULL.replace("(self, year)", "(self, year, base)")], "is_leap", [2024, 3], {"k": 1}, [])
    assert len(two) == MAX_CALLS and two[0] == {"args": [4, 3], "kwargs": {"k": 1}} and two[1] == {"args": [2024, 4], "kwargs": {"k": 1}}


def test_tell_apart_asks_each_eligible_code_once_and_keeps_what_it_had():
    asked = []

    async def run(code: str, calls: list[dict]) -> list[str] | None:
        asked.append((code, [c["args"] for c in calls]))
        return None if code == "broken" else [f"{len(code)}:{c['args'][0]}" for c in calls]

    calls = [{"args": [100], "kwargs": {}}, {"args": [400], "kwargs": {}}]
    records = [{"code": SHORT, "eligible": True}, {"code": SHORT, "eligible": True},
               {"code": FULL, "eligible": True, "extra": {call_key(calls[0]): "kept"}},
               {"code": FULL, "eligible": False}, {"code": "broken", "eligible": True}]
    out = asyncio.run(tell_apart(records, calls, run))
    assert asked == [(SHORT, [[100], [400]]), (FULL, [[400]]), ("broken", [[100], [400]])]
    assert out[0]["extra"] == out[1]["extra"] == {call_key(calls[0]): f"{len(SHORT)}:100", call_key(calls[1]): f"{len(SHORT)}:400"}
    assert out[2]["extra"] == {call_key(calls[0]): "kept", call_key(calls[1]): f"{len(FULL)}:400"}
    assert "extra" not in out[3] and "extra" not in out[4] and "extra" not in records[0]  # copies, not changed

"""Every call a candidate meets (bat_os.cognition.trial.calls): a run's calls in order, the probes of the learning
call's arguments, of the values and the slots the request names, and the calls of the candidates' own constants."""

from __future__ import annotations

import json

from bat_os.cognition.trial.calls import (
    MAX_CONSTANT_CALLS, MAX_NAMED, MAX_PROBES, constant_calls, constants, named_calls, planned, probes, run_calls)


def test_one_argument_varied_at_a_time_after_its_kind():
    assert [p["args"] for p in probes(["banana"], {}, [])] == [[""], ["Hello World"], ["ananab"], ["banana extra"], ["BANANA"]]
    assert [p["args"] for p in probes(["2024-02-27", 3], {}, [])][:2] == [["", 3], ["2024-02-27", 0]]
    assert probes([[3, 1, 2]], {"sep": ","}, [])[0] == {"args": [[]], "kwargs": {"sep": ","}, "varies": 0}
    assert [p["varies"] for p in probes(["a", 1], {}, [])][:2] == [0, 1]
    assert len(probes([1, 2.5, "x", [1], {"a": 1}], {}, [])) == MAX_PROBES


def test_a_list_of_numbers_is_probed_with_their_signs_turned():
    # "sum the digits of each (ignoring the sign)": two candidates agreed, and every call shown had positive numbers
    assert [p["args"] for p in probes([[12, -35, 4.5]], {}, [])] == [
        [[]], [[4.5, -35, 12]], [[12]], [[12, -35, 4.5, 12, -35]], [[-12, 35, -4.5]]]
    assert [[-1, -2]] not in [p["args"] for p in probes([["1", "2"]], {}, [])]  # texts: no sign to turn
    assert [[False]] not in [p["args"] for p in probes([[True]], {}, [])]


def test_calls_already_made_are_not_repeated_and_no_arguments_means_no_probes():
    taken = [{"args": [""], "kwargs": {}}, {"args": ["Hello World"], "kwargs": {}}]
    assert [p["args"] for p in probes(["banana"], {}, taken)][:1] == [["ananab"]]
    assert probes([], {}, []) == []
    assert probes([True], {}, []) == [{"args": [False], "kwargs": {}, "varies": 0}]


HOURS = "tell whether a time written as HH:MM falls in business hours, which start at 09:00, included, and end at 17:30, not included"


def test_the_values_the_request_names_are_called_at_and_just_beside_their_edges():
    calls = named_calls(HOURS, ["13:15"], {}, [])
    assert [c["args"][0] for c in calls] == ["09:00", "08:59", "09:01", "17:30", "17:29", "17:31"]
    assert [(c["named"], c["offset"]) for c in calls[3:]] == [("0=17:30", 0), ("0=17:30", -1), ("0=17:30", 1)]
    # a whole number in a whole-number argument, and beside it; a decimal in a decimal argument; never in a bool
    cart = named_calls("a quantity of 0 or less removes the item", ["tea", 2, True], {}, [])
    assert [c["args"] for c in cart] == [["tea", 0, True], ["tea", -1, True], ["tea", 1, True]]
    assert [c["args"] for c in named_calls("round to a multiple of 0.5 (like 1.25 going up)", [2.3], {}, [])] == [[0.5], [1.25]]
    # an hour's one-digit form is kept; a number inside a time, a date or a word is not a value of its own
    assert named_calls("open from 9:00", ["13:15"], {}, [])[0]["args"] == ["09:00"]
    assert named_calls("open from 9:00", ["7:05"], {}, [])[1]["args"] == ["8:59"]
    assert named_calls("dates as 2024-06-01, the utf8 text, at 10:30", [5], {}, []) == []


def test_named_calls_already_made_are_not_repeated_and_there_are_at_most_six():
    taken = [{"args": ["09:00"], "kwargs": {}}]
    assert "09:00" not in [c["args"][0] for c in named_calls(HOURS, ["13:15"], {}, taken)]
    assert named_calls(HOURS, ["09:00"], {}, []) and all(c["args"] != ["09:00"] for c in named_calls(HOURS, ["09:00"], {}, []))
    many = named_calls("between 1, 2, 3 and 4", [7], {}, [])
    assert len(many) == MAX_NAMED and len({json.dumps(c["args"]) for c in many}) == MAX_NAMED
    assert named_calls("no numbers here", [7, "x"], {}, []) == []


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
    assert len(two) == MAX_CONSTANT_CALLS and two[0] == {"args": [4, 3], "kwargs": {"k": 1}} and two[1] == {"args": [2024, 4], "kwargs": {"k": 1}}


def test_a_run_plans_the_trial_twice_the_examples_the_cases_then_every_probe_each_call_once():
    info = {"args": [2024], "kwargs": {}, "intent": "a leap year: divisible by 4, but not by 100 unless by 400",
            "examples": [{"args": [1900], "kwargs": {}, "result": False}], "cases": [{"args": [2023], "kwargs": {}, "result": False}],
            "conditions": [{"label": "divisible by 4", "calls": [{"args": [2024], "kwargs": {}}, {"args": [8], "kwargs": {}}]}]}
    cases = planned(info)
    assert [c["role"] for c in cases[:4]] == ["trial", "trial", "example", "generated"]
    probing = [c["args"] for c in cases if c["role"] == "probe"]
    assert probing[0] == [8]  # the condition's call (its first is the trial's: not repeated)
    assert [a[0] for a in probing[1:7]] == [4, 3, 5, 100, 99, 101]  # the values the request names and beside them (six)
    assert len(probing) == len({str(a) for a in probing})  # each once
    assert [c for c in run_calls(cases, info["conditions"]) if c.get("condition")] == [
        {"args": [2024], "kwargs": {}, "condition": "divisible by 4"}, {"args": [8], "kwargs": {}, "condition": "divisible by 4"}]

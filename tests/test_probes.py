"""Probe calls made from the learning call's arguments (bat_os.cognition.probes)."""

from __future__ import annotations

import json

from bat_os.cognition.probes import MAX_NAMED, MAX_PROBES, named_calls, probes


def test_one_argument_varied_at_a_time_after_its_kind():
    assert [p["args"] for p in probes(["banana"], {}, [])] == [[""], ["Hello World"], ["ananab"], ["banana extra"], ["BANANA"]]
    assert [p["args"] for p in probes(["2024-02-27", 3], {}, [])][:2] == [["2000-02-29", 3], ["2024-02-27", 0]]
    assert probes([[3, 1, 2]], {"sep": ","}, [])[0] == {"args": [[]], "kwargs": {"sep": ","}, "varies": 0}
    assert [p["varies"] for p in probes(["a", 1], {}, [])][:2] == [0, 1]
    assert len(probes([1, 2.5, "x", [1], {"a": 1}], {}, [])) == MAX_PROBES


def test_a_list_of_numbers_is_probed_with_their_signs_turned():
    # "sum the digits of each (ignoring the sign)": two candidates agreed, and every call shown had positive numbers
    assert [p["args"] for p in probes([[12, -35, 4.5]], {}, [])] == [
        [[]], [[4.5, -35, 12]], [[12]], [[12, -35, 4.5, 12, -35]], [[-12, 35, -4.5]]]
    assert [[-1, -2]] not in [p["args"] for p in probes([["1", "2"]], {}, [])]  # texts: no sign to turn
    assert [[False]] not in [p["args"] for p in probes([[True]], {}, [])]


def test_a_text_with_digits_is_probed_one_digit_shorter_and_with_every_digit_one_more():
    # novel6's is_valid_time ("exactly two digits for the hour"): a candidate taking '9:30' agreed on every other probe
    assert [p["args"] for p in probes(["13:45"], {}, [])][:3] == [[""], ["3:45"], ["24:56"]]
    assert [p["args"] for p in probes(["tel 555-1234"], {}, [])][1:3] == [["tel 55-1234"], ["tel 666-2345"]]
    assert [p["args"] for p in probes(["a1"], {}, [])][1] == ["Hello World"]  # no number of two digits: none shorter


def test_calls_already_made_are_not_repeated_and_no_arguments_means_no_probes():
    taken = [{"args": [""], "kwargs": {}}, {"args": ["Hello World"], "kwargs": {}}]
    assert [p["args"] for p in probes(["banana"], {}, taken)][:1] == [["ananab"]]
    assert probes([], {}, []) == []
    assert probes([True], {}, []) == [{"args": [False], "kwargs": {}, "varies": 0}]


def test_slots_the_request_names_are_given_other_data_two_calls_each():
    from bat_os.cognition.probes import MAX_SLOT_PROBES, slot_probes

    found = slot_probes({"scores": [3, 4], "name_tag": "old", "flag": True, "other": [1, 2]}, ["scores", "name_tag", "flag"], [7], {})
    assert [p["given"] for p in found] == [{"scores": []}, {"name_tag": ""}, {"scores": [3, 4, 31, 41]}, {"name_tag": "Hello World"}]
    assert all(p["args"] == [7] and p["kwargs"] == {} for p in found) and len(found) == MAX_SLOT_PROBES
    assert [p["varies_slot"] for p in found] == ["scores", "name_tag", "scores", "name_tag"]
    assert slot_probes({"counter": 0}, ["counter"], [], {}) == [
        {"args": [], "kwargs": {}, "given": {"counter": 7}, "varies_slot": "counter"},
        {"args": [], "kwargs": {}, "given": {"counter": -3}, "varies_slot": "counter"}]
    assert slot_probes({"scores": [1]}, [], [], {}) == []  # the request names no slot


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



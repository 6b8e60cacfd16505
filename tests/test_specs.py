"""The generated cases SPECIFYING keeps (bat_os.cognition.specs), and the tests a method carries."""

from __future__ import annotations

from bat_os.cognition.prompts import specification_prompt
from bat_os.cognition.specs import accept_cases, kept_tests

BRIEF = {"selector": "add", "args": [1, 2], "kwargs": {}, "examples": [{"args": [2, 3], "kwargs": {}, "result": 5}]}


def test_cases_fit_to_run_are_kept_and_every_drop_says_why():
    raw = [{"args": [4, 4], "result": 8}, {"args": [2, 3], "result": 6}, {"args": [4, 4], "result": 8},
           {"args": [1], "result": 1}, {"args": [1, 1], "result": {1, 2}}, "nonsense", {"args": [0, 0], "type": "int"}]
    kept, dropped = accept_cases(raw, BRIEF)
    assert kept == [{"args": [4, 4], "kwargs": {}, "result": 8}, {"args": [0, 0], "kwargs": {}, "type": "int"}]
    reasons = [d["reason"] for d in dropped]
    assert reasons[0] == "an example already says what this call gives"
    assert reasons[1] == "the same call as an earlier case"
    assert reasons[2] == "obj.add(1) -> 1 does not call the method as the brief does"
    assert "not plain data" in reasons[3] and "must be a map" in reasons[4]


def test_only_the_cases_the_prompt_asked_for_are_kept():
    # the real 0.5B model asked for 5 asserts wrote 16 for is_leap_year, the later ones a pattern run on
    years = [{"args": [2024 + i], "result": i % 2 == 0} for i in range(16)]
    kept, dropped = accept_cases(years, {"selector": "is_leap_year", "args": [2000]})
    assert [c["args"] for c in kept] == [[2024], [2025], [2026], [2027], [2028]]
    assert len(dropped) == 11 and {d["reason"] for d in dropped} == {"past the 5 cases asked for"}
    prompt = specification_prompt({"selector": "is_leap_year", "args": [2000], "intent": "tell whether a year is a leap "
                                   "year: divisible by 4, except years divisible by 100 that are not divisible by 400"},
                                  {"slots": {}}, [])
    assert "# 1. tell whether a year is a leap year\nassert obj.is_leap_year(\n# 2. divisible by 4\n" in prompt
    assert "# 3. except years divisible by 100 that are not divisible by 400\nassert obj.is_leap_year(\n```" in prompt


def test_the_tests_a_method_keeps():
    cases = [{"args": [1], "kwargs": {}, "result": 2}, {"args": [3], "kwargs": {}, "result": 7}]
    tests = kept_tests([{"args": [0], "kwargs": {}, "result": 0}], cases, [{"case": cases[1], "reason": "outvoted"}])
    assert tests == {"examples": [{"args": [0], "kwargs": {}, "result": 0}], "cases": [cases[0]],
                     "discarded": [{**cases[1], "reason": "outvoted"}]}


def test_a_case_setting_a_slot_the_object_does_not_have_is_dropped():
    brief = {"selector": "tick_down", "args": [], "kwargs": {}}
    raw = [{"args": [], "given": {"remaining": 1}, "result": True}, {"args": [], "given": {"count": 1}, "result": True},
           {"args": [], "given": {"remaining": 2}, "slots": {"remaining": 1, "log": ["tick"]}}]
    kept, dropped = accept_cases(raw, brief, {"remaining", "name"})
    assert [c["given"] for c in kept] == [{"remaining": 1}, {"remaining": 2}]  # a new slot may be expected after
    assert dropped == [{"case": {"args": [], "kwargs": {}, "given": {"count": 1}, "result": True},
                        "reason": "it sets self.count, a slot the object does not have"}]
    assert len(accept_cases(raw, brief)[0]) == 3  # not told the object's slots: none is dropped for them


def test_the_tests_of_a_slot_method_set_the_slots_they_read():
    receiver = {"slots": {"remaining": "3", "name": "'timer'"}}
    brief = {"selector": "tick_down", "args": [], "kwargs": {}, "intent": "lower the remaining slot by one"}
    prompt = specification_prompt(brief, receiver, [])
    assert "obj.remaining = 3" in prompt and "obj.name" not in prompt  # the slots as Python sets them
    assert "(set the slots it reads first)" in prompt
    assert "# 1. lower the remaining slot by one\nobj.<slot> = <a value>\nassert obj.tick_down(\n" in prompt

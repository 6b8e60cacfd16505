"""Calls and test cases as plain data (bat_os.cognition.judge.cases): their key, what they may hold, how an outcome is
judged, the cases kept."""

from __future__ import annotations

import pytest

from bat_os.cognition.author.prompts import specification_prompt
from bat_os.cognition.judge.cases import BadCase, accept_cases, describe, judge, key, kept_tests, parse_case, parse_examples, same


def test_a_case_is_made_canonical_and_anything_else_is_refused_with_why():
    assert parse_case({"args": [2, 3], "result": 5}) == {"args": [2, 3], "kwargs": {}, "result": 5}
    assert parse_case({"raises": "ValueError", "args": [-1]})["raises"] == "ValueError"
    for raw, why in [
        ([1], "must be a map"), ({"args": [1]}, "says nothing to check"), ({"args": 1, "result": 1}, "args must be a list"),
        ({"kwargs": {"1x": 2}, "result": 1}, "keys are identifiers"), ({"result": 1, "raises": "E"}, "both"),
        ({"raises": "not a name"}, "name an exception"), ({"type": "set"}, "type must be one of"),
        ({"result": float("nan")}, "finite"), ({"result": b"x"}, "not plain data"), ({"result": {1: 2}}, "key that is not a string"),
        ({"given": {"_p": 1}, "result": 1}, "slot names"), ({"code": "x", "result": 1}, "unknown fields"),
        ({"result": "x" * 5000}, "over 4096 bytes"), ({"result": [[[[[[[[[[1]]]]]]]]]]}, "nested too deep"),
    ]:
        with pytest.raises(BadCase, match=why):
            parse_case(raw)


def test_examples_are_bounded_and_must_not_contradict_each_other():
    assert len(parse_examples([{"args": [i], "result": i} for i in range(50)])) == 50
    with pytest.raises(BadCase, match="at most 50"):
        parse_examples([{"args": [1], "result": 1}] * 51)
    with pytest.raises(BadCase, match="examples 1 and 2 contradict each other: f\\(1\\) -> 2 / f\\(1\\) -> 3"):
        parse_examples([{"args": [1], "result": 2}, {"args": [1], "result": 3}])
    # a type and a result of that type say the same thing
    assert len(parse_examples([{"args": [1], "result": 2}, {"args": [1], "type": "int"}])) == 2
    with pytest.raises(BadCase, match="contradict"):
        parse_examples([{"args": [1], "result": "2"}, {"args": [1], "type": "int"}])
    with pytest.raises(BadCase, match="must be a list"):
        parse_examples({"args": [1]})


def test_outcomes_are_judged_as_plain_data_and_the_reason_names_the_call():
    case = {"args": [2, 3], "kwargs": {}, "result": 5}
    assert judge(case, {"value": 5}) is None
    assert judge(case, {"value": 5.0000000001}) is None  # numbers as numbers
    assert judge(case, {"value": 6}, selector="obj.add") == "obj.add(2, 3) should return 5, but it returned 6"
    assert judge(case, {"raised": "TypeError", "message": "nope"}) == "f(2, 3) should return 5, but it raised TypeError: nope"
    assert judge({"args": [], "raises": "KeyError"}, {"raised": "KeyError"}) is None
    assert judge({"args": [], "raises": "KeyError"}, {"value": 1}) == "f() should raise KeyError, but it returned 1"
    assert judge({"args": [], "type": "str"}, {"value": 1}) == "f() should return a str, but it returned 1 (a int)"
    assert judge({"args": [], "type": "int"}, {"value": True}) is not None  # a bool is not a number here
    assert judge({"args": [], "slots": {"n": 2}}, {"value": None}, {"n": 3}) == "f() should leave self.n == 2, but it is 3"
    assert judge({"args": []}, {"cpu": "past"}) == "f() ran past its CPU-time limit"
    assert judge({"args": []}, {"value": None}) is None  # the trial: it must only not raise


def test_same_and_describe():
    assert same([1, [2.0]], [1, [2]]) and not same(True, 1) and not same({"a": 1}, {"a": 1, "b": 2})
    assert describe({"args": ["x"], "kwargs": {"n": 2}, "given": {"k": 1}, "result": "y"}, "obj.f") == "with self.k = 1, obj.f('x', n=2) -> 'y'"


def test_answers_equal_as_numbers_are_one_answer_to_agree_on_and_to_ask_about():
    from bat_os.cognition.judge.cases import output_key

    assert output_key({"value": 75.0}) == output_key({"value": 75}) == '["value", 75]'
    assert output_key({"value": [1.0, 2.5]}, {"total": 645.0}) == output_key({"value": [1, 2.5]}, {"total": 645})
    assert output_key({"value": 0.1 + 0.2}) == output_key({"value": 0.3}) != output_key({"value": 0})
    assert output_key({"value": True}) != output_key({"value": 1.0})  # a bool is not a number
    assert output_key({"value": 75.5}) == '["value", 75.5]'


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


def test_a_call_s_one_key_is_its_arguments_and_the_slots_it_sets():
    assert key({"args": [1], "kwargs": {}}) == key({"args": [1], "kwargs": {}, "given": {}}) == key({"args": [1], "kwargs": {}, "given": None})
    assert key({"args": [1], "kwargs": {}, "given": {"n": 2}}) != key({"args": [1], "kwargs": {}})
    assert key({"args": [1], "kwargs": {}, "result": 5}) == key({"args": [1]})  # what a case expects is no part of its call


def test_an_example_naming_the_slots_it_changes_refuses_a_method_that_changes_another():
    example = {"args": [3], "kwargs": {}, "result": 44, "slots": {"position": 44}}
    told = judge(example, {"value": 44}, {"position": 44}, "move", changed={"position": 44, "jumps": [[50, 12]]})
    assert told == "move(3) should change only self.position, but it changed self.jumps too"
    assert judge(example, {"value": 44}, {"position": 44}, "move", changed={"position": 44}) is None
    assert judge(example, {"value": 44}, {"position": 44}, "move") is None  # a generated case: what it names only
    assert judge({"args": [3], "kwargs": {}, "result": 44}, {"value": 44}, None, "move", changed={"jumps": []}) is None

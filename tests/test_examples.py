"""Examples read out of a sentence (bat_os.translate.examples): plain data, never run."""

from __future__ import annotations

from bat_os.translate.examples import sentence_examples


def test_calls_of_the_selector_and_their_results():
    assert sentence_examples("add two numbers, e.g. add(2, 3) is 5", "add") == [{"args": [2, 3], "kwargs": {}, "result": 5}]
    assert sentence_examples("so that factorial(4) returns 24 and factorial(0) -> 1", "factorial") == [
        {"args": [4], "kwargs": {}, "result": 24}, {"args": [0], "kwargs": {}, "result": 1}]
    assert sentence_examples("pad(text='a', width=3) gives 'a  '", "pad") == [{"args": [], "kwargs": {"text": "a", "width": 3}, "result": "a  "}]
    assert sentence_examples("e.g. len('abc') is 3 and max([1]) is 1", "count") == []  # other names' calls: no examples of count


def test_a_literal_after_an_example_marker_and_its_result():
    assert sentence_examples("return the initials of a full name, e.g. 'Ada Lovelace' gives 'AL'") == [
        {"args": ["Ada Lovelace"], "kwargs": {}, "result": "AL"}]
    assert sentence_examples("sum a list, like [1, 2, 3] -> 6") == [{"args": [[1, 2, 3]], "kwargs": {}, "result": 6}]
    assert sentence_examples('check it, for example "x" gives true') == [{"args": ["x"], "kwargs": {}, "result": True}]


def test_nothing_that_is_not_a_literal_is_taken_and_nothing_runs():
    assert sentence_examples("make it so x is 5") == []
    assert sentence_examples("e.g. f(__import__('os').getcwd()) is 1", "f") == []
    assert sentence_examples("e.g. f(1) is open('x')", "f") == []
    assert sentence_examples("e.g. f({1, 2}) is 2", "f") == []  # a set is not plain data
    assert len(sentence_examples(" ".join(f"f({i}) is {i}" for i in range(40)), "f")) == 20


def test_the_users_own_name_for_the_method_still_gives_its_examples():
    assert sentence_examples("adds two numbers, so that add(2, 3) returns 5", "add_two_numbers") == [
        {"args": [2, 3], "kwargs": {}, "result": 5}]
    assert sentence_examples("so that add(2, 3) returns 5 and sub(1, 1) is 0", "plus") == []  # two other names: none


def test_the_local_translator_carries_the_examples_and_keeps_them_out_of_the_selector():
    from bat_os.translate.translator import translate

    brief = translate("create a method that returns the initials of a full name, e.g. 'Ada Lovelace' gives 'AL'").request["mission_brief"]
    assert brief["selector"] == "return_the_initials_of_full_name"
    assert brief["examples"] == [{"args": ["Ada Lovelace"], "kwargs": {}, "result": "AL"}]
    assert brief["args"] == ["Ada Lovelace"]  # the sentence gave no arguments: the example's
    brief = translate("make a method add that adds two numbers, so that add(2, 3) returns 5").request["mission_brief"]
    assert brief["examples"] == [{"args": [2, 3], "kwargs": {}, "result": 5}] and brief["args"] == [2, 3]
    assert "examples" not in translate("create a method to report the current system time").request["mission_brief"]

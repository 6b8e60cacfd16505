"""Examples read out of a sentence (bat_os.translate.examples): plain data, never run."""

from __future__ import annotations

from bat_os.translate.examples import fits, sentence_examples


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


def test_after_so_and_those_that_follow_one():
    # novel6's reverse_integer: the sentence's two examples were not read, and a candidate raising on -123 was installed
    assert sentence_examples("reverse the digits of an integer, keeping its sign, so -123 gives -321 and 120 gives 21") == [
        {"args": [-123], "kwargs": {}, "result": -321}, {"args": [120], "kwargs": {}, "result": 21}]
    assert sentence_examples("square it, e.g. 3 gives 9, 4 gives 16; and 5 -> 25") == [
        {"args": [3], "kwargs": {}, "result": 9}, {"args": [4], "kwargs": {}, "result": 16}, {"args": [5], "kwargs": {}, "result": 25}]
    assert sentence_examples("thus 'ab' becomes 'ba'") == [{"args": ["ab"], "kwargs": {}, "result": "ba"}]
    assert sentence_examples("add one, so 2 is the answer for 1") == []  # after "so", "is" is prose
    assert sentence_examples("so that 1 and 2 give 3") == []


def test_only_the_examples_called_as_the_request_is_are_kept():
    found = sentence_examples("count a letter in a text, e.g. 'banana' gives 3")
    assert fits(found, ["banana", "a"], {}) == []  # one argument shown, two in the call
    assert fits(found, ["apple"], {}) == found
    keyed = [{"args": [], "kwargs": {"text": "a"}, "result": 1}]
    assert fits(keyed, [], {"text": "b"}) == keyed and fits(keyed, ["b"], {}) == []


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

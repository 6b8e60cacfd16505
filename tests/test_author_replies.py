"""What is read out of a model's reply (bat_os.cognition.author.replies): queries, a method's source, test cases and
each condition's calls, from the forms small models write (prose, fences, bullets, asserts), never run."""

from __future__ import annotations

from bat_os.cognition.author.replies import (
    extract_cases, extract_code, extract_conditions, extract_json_list, extract_queries, fallback_queries)


def test_a_json_list_of_strings_is_found_in_a_fence_first_then_in_the_text_nested_or_not():
    assert extract_json_list('Sure:\n```json\n["a", " b "]\n```\nalso ["c"]') == ["a", "b"]
    assert extract_json_list('queries: [1, 2] then [["x", 3], "y"]') == ["y"]  # a list of no strings is skipped
    assert extract_json_list('[[1], ["inner"]]') == ["inner"]  # the nested list of strings is found
    assert extract_json_list("no list here") is None and extract_json_list("[]") is None


def test_queries_are_a_json_list_else_bullets_and_without_them_the_intent_and_the_selector():
    assert extract_queries("1. `word count`\n2) \"count words\"\n- tokens,") == ["word count", "count words", "tokens"]
    assert extract_queries('["a", "a", "b"]') == ["a", "b"]
    assert extract_queries("nothing to search") is None
    assert fallback_queries("count_words", " the number of words ") == ["the number of words", "count words"]


def test_the_source_is_the_python_fence_else_an_untagged_one_else_a_bare_def_before_the_fences():
    tagged = "Here:\n```text\nnot code\n```\n```python\ndef f(self):\n    return 1\n```"
    assert extract_code(tagged) == "def f(self):\n    return 1"
    bare = "def f(self):\n    return 2\n```\nUsage: f()\n```"
    assert extract_code(bare) == "def f(self):\n    return 2"
    cut = "```python\ndef f(self):\n    return 3"  # a reply cut off before its closing fence
    assert extract_code(cut) == "def f(self):\n    return 3"
    assert extract_code("  plain text  ") == "plain text"


def test_cases_are_read_from_asserts_arrows_and_json_with_the_slots_they_set_and_expect():
    reply = ("```python\nassert obj.f(2, 3) == 5\nassert isinstance(obj.f(1, 1), int)\nf(4, 4) -> 8\n"
             "assert obj.f(x, 1) == 2\n```")
    assert extract_cases(reply, "f") == [{"args": [2, 3], "kwargs": {}, "result": 5}, {"args": [1, 1], "kwargs": {}, "type": "int"},
                                         {"args": [4, 4], "kwargs": {}, "result": 8}]  # a call of no literal is skipped
    assert extract_cases('[{"args": [1], "result": 2}, {"nope": 1}]', "f") == [{"args": [1], "result": 2}]
    slots = "obj.count = 3\nassert obj.tick() == 2\nassert obj.count == 2\nassert obj.tick() == 1\n"
    # the second call follows the first, which changed the slot it reads: not a case of the receiver as it is
    assert extract_cases(slots, "tick", stateful=True) == [{"args": [], "kwargs": {}, "result": 2, "given": {"count": 3},
                                                            "slots": {"count": 2}}]


def test_each_condition_s_calls_are_its_inputs_under_its_comment_and_the_rest_come_last():
    reply = "# 1. adds two numbers\nassert obj.f(1, 2) == 3\n# 2. negative numbers\nobj.f(-1, -2)\nobj.f(0, 0)\n"
    assert extract_conditions(reply, "f", ["adds two numbers", "negative numbers"]) == [
        {"label": "adds two numbers", "calls": [{"args": [1, 2], "kwargs": {}}]},
        {"label": "negative numbers", "calls": [{"args": [-1, -2], "kwargs": {}}, {"args": [0, 0], "kwargs": {}}]}]
    loose = "# 1. adds two numbers\nassert obj.f(1, 2) == 3\n# a note of its own\nassert obj.f(5, 5) == 10\n"
    assert extract_conditions(loose, "f", ["adds two numbers", "negative numbers"])[1:] == [
        {"label": "negative numbers", "calls": []}, {"label": "", "calls": [{"args": [5, 5], "kwargs": {}}]}]

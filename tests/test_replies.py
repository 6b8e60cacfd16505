"""What the cycle reads out of a model's reply: the research queries, the method's source."""

import pytest

from bat_os.cognition.replies import extract_code, extract_json_list, extract_queries, fallback_queries


# ---------------------------------------------------------------- extract_json_list


@pytest.mark.parametrize(
    "text, expected",
    [
        ('Sure! The methods are ["greet", "farewell"]. Hope that helps.', ["greet", "farewell"]),
        ('Here you go:\n```json\n[\n  "alpha",\n  "beta"\n]\n```\n', ["alpha", "beta"]),
        ('See [note 1] and {"x": [1, 2]} then [[3], {"k": "v"}] and finally ["real", "one"]', ["real", "one"]),
        ('[" padded ", "  "]', ["padded"]),
        ('["keep", 1, null, {"a": "b"}, "also"]', ["keep", "also"]),
        ('{"methods": ["from", "object"]}', ["from", "object"]),
        ('Prose [1, 2] mentions\n```json\n["fenced", "wins"]\n```', ["fenced", "wins"]),
    ],
)
def test_extract_json_list_finds_the_list(text, expected):
    assert extract_json_list(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "No list here at all.",
        "[]",
        "An empty one: [] and nothing else",
        "[1, 2, 3]",
        "[null, true, {\"a\": 1}]",
        '{"methods": "greet"}',
        "[unclosed, 'single quoted'",
        "",
        "[" * 5000,
    ],
)
def test_extract_json_list_none_when_unusable(text):
    assert extract_json_list(text) is None


# ---------------------------------------------------------------- extract_code


def test_extract_code_from_a_python_fence():
    reply = "Here is the method:\n```python\ndef greet(self):\n    return 'hi'\n```\nEnjoy!"
    assert extract_code(reply) == "def greet(self):\n    return 'hi'"


def test_extract_code_from_a_bare_fence():
    reply = "```\n\ndef f(self):\n    return 1\n\n```"
    assert extract_code(reply) == "def f(self):\n    return 1"


def test_extract_code_unfenced_is_the_stripped_text():
    assert extract_code("\n\n  def f(self):\n    return 2\n  \n") == "def f(self):\n    return 2"


def test_extract_code_takes_the_first_python_fence_among_many():
    reply = (
        "Plan:\n```text\nstep one\n```\n"
        "```json\n[\"x\"]\n```\n"
        "```python\ndef first(self):\n    pass\n```\n"
        "```python\ndef second(self):\n    pass\n```\n"
    )
    assert extract_code(reply) == "def first(self):\n    pass"


def test_extract_code_prefers_python_over_an_earlier_bare_fence():
    reply = "```\nshell output\n```\nand\n```py\nx = 1\n```"
    assert extract_code(reply) == "x = 1"


def test_extract_code_first_bare_fence_when_no_python_fence():
    reply = "```\na = 1\n```\n```\nb = 2\n```"
    assert extract_code(reply) == "a = 1"


def test_extract_code_indented_fence_and_unclosed_fence():
    indented = "1. Add this:\n   ```python\n   def f(self):\n       return 3\n   ```\n"
    assert extract_code(indented) == "def f(self):\n    return 3"
    cut_off = "```python\ndef g(self):\n    return 4\n"
    assert extract_code(cut_off) == "def g(self):\n    return 4"


def test_extract_code_keeps_triple_backticks_inside_a_line():
    reply = "```python\ns = 'a ``` b'\n```"
    assert extract_code(reply) == "s = 'a ``` b'"


# ---------------------------------------------------------------- queries in the forms small models write


@pytest.mark.parametrize("text, expected", [
    ('["datetime now", "epoch seconds"]', ["datetime now", "epoch seconds"]),
    ('- "What is the current system time?"\n- "epoch seconds"', ["What is the current system time?", "epoch seconds"]),
    ("1. datetime now\n2) time module\n3. `strftime`", ["datetime now", "time module", "strftime"]),
    ('["same", "same", "other"]', ["same", "other"]),
])
def test_queries_are_read_as_small_models_write_them(text, expected):
    assert extract_queries(text) == expected


@pytest.mark.parametrize("text", ["[]", "I would rather not say.", "- \n- ...", ""])
def test_no_usable_query_is_none_and_the_fallback_is_the_intent_and_the_selector(text):
    assert extract_queries(text) is None
    assert fallback_queries("report_the_current_system_time", " report the time ") == ["report the time", "report the current system time"]
    assert fallback_queries("ponder") == ["ponder"]


# --- issue 15: test cases out of a reply ----------------------------------------------
from bat_os.cognition.replies import extract_cases  # noqa: E402




def test_cases_are_read_from_asserts_arrows_and_json_and_never_run():
    reply = ("Here you go:\n```python\nassert obj.add(2, 3) == 5\nassert add(-1, 1) == 0  # zero\n"
             "assert isinstance(obj.add(1, 1), int)\nadd(4, 4) -> 8\nassert obj.add(x, 3) == 5\n"
             "assert obj.add(__import__('os').system('true'), 1) == 1\nassert obj.other(1) == 2\n"
             "assert obj.add(1, 2) == (1, 2)\nassert obj.add(2, 3) == 5\n```")
    assert extract_cases(reply, "add") == [
        {"args": [2, 3], "kwargs": {}, "result": 5}, {"args": [-1, 1], "kwargs": {}, "result": 0},
        {"args": [1, 1], "kwargs": {}, "type": "int"}, {"args": [4, 4], "kwargs": {}, "result": 8},
        {"args": [1, 2], "kwargs": {}, "result": [1, 2]},
    ]
    assert extract_cases('[{"args": [1], "result": 2}, {"args": [2], "result": 3}]', "inc") == [
        {"args": [1], "result": 2}, {"args": [2], "result": 3}]
    assert extract_cases("I cannot write tests.", "inc") == []


def test_slots_set_before_a_call_are_its_given_and_a_slot_check_after_it_its_slots():
    # the forms the real 0.5B model wrote for slot methods: obj.x = ..., obj = {...}, obj['x'], a call on its own line
    reply = ("```python\nobj.remaining = 3\nassert obj.tick_down() == False\nassert obj.remaining == 2\n"
             "obj = {'remaining': 1}\nassert obj.tick_down() is True\nassert obj['remaining'] == 0\n"
             "assert obj.tick_down() == True\n"  # a second call: it sees what the first left, not a case
             "obj['remaining'] = 0\nobj.tick_down()\nassert obj.remaining == 0\n"
             "obj = Counter(5)\nassert obj.tick_down() == False\n"  # an object whose slots are not known
             "obj.remaining = 7  # seven\nassert obj.tick_down() == False\n```")
    assert extract_cases(reply, "tick_down", stateful=True) == [
        {"args": [], "kwargs": {}, "result": False, "given": {"remaining": 3}, "slots": {"remaining": 2}},
        {"args": [], "kwargs": {}, "result": True, "given": {"remaining": 1}, "slots": {"remaining": 0}},
        {"args": [], "kwargs": {}, "given": {"remaining": 0}, "slots": {"remaining": 0}},
        {"args": [], "kwargs": {}, "result": False, "given": {"remaining": 7}},
    ]


def test_calls_one_after_another_are_cases_of_a_pure_method_but_not_of_a_stateful_one():
    # "add n to the counter slot": the real model's cases were 2, 5, 9, 14, 21, a running total, while each case
    # runs on the receiver as it is
    reply = "assert obj.add(2) == 2\nassert obj.add(3) == 5\nassert obj.add(4) == 9"
    assert [c["result"] for c in extract_cases(reply, "add")] == [2, 5, 9]
    assert [c["result"] for c in extract_cases(reply, "add", stateful=True)] == [2]


def test_a_method_written_bare_before_a_stray_closing_fence_is_found():
    # what the real 0.5B model wrote: no opening fence, a closing one, then prose
    assert extract_code("def f(self, t):\n    return 1\n```") == "def f(self, t):\n    return 1"
    assert extract_code("Sure:\ndef f(self, t):\n    return 1\n```\nThis counts.") == "def f(self, t):\n    return 1"
    assert extract_code("```\nnot code\n```") == "not code"  # no def anywhere: the block, as before

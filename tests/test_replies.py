"""What the cycle reads out of a model's reply: the research queries, the method's source."""

import pytest

from bat_os.cognition.replies import add_missing_imports, extract_code, extract_json_list, extract_queries, fallback_queries


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


# ---------------------------------------------------------------- a module used but never imported


MODULES = frozenset({"datetime", "time", "math", "re", "json"})


def test_a_module_used_and_never_imported_is_imported_first_in_the_body():
    code = 'def report(self):\n    """The time."""\n    return time.time(), math.pi\n'
    fixed, added = add_missing_imports(code, "report", MODULES)
    assert added == ["math", "time"]
    assert fixed == 'def report(self):\n    """The time."""\n    import math\n    import time\n    return time.time(), math.pi\n'
    namespace: dict = {}
    exec(compile(fixed, "<m>", "exec"), namespace)  # the test's own code, not a model's
    assert namespace["report"](None)[1] > 3.14


@pytest.mark.parametrize("code", [
    "def f(self, time):\n    return time + 1\n",  # a parameter
    "def f(self):\n    re = 3\n    return re\n",  # a local
    "import math\ndef f(self):\n    return math.pi\n",  # imported at the top already
    "def f(self):\n    import json\n    return json.dumps(1)\n",  # imported inside
    "def f(self): return math.pi\n",  # a body on the def line: left to the guardian and the trial
    "def f(self:\n",  # does not parse
    "def g(self):\n    return math.pi\n",  # no function by that name
    "def f(self):\n    return os.getcwd()\n",  # not an allowed module: the guardian refuses it
    "def f(self):\n    class X:\n        pass\n    return X\n",  # a class inside (the guardian refuses it)
])
def test_nothing_is_added_where_it_would_be_wrong(code):
    assert add_missing_imports(code, "f", MODULES) == (code, [])


# --- issue 15: test cases out of a reply; repairs of a candidate ----------------------------
from bat_os.cognition.replies import add_missing_self, drop_top_level_calls, extract_cases  # noqa: E402


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


def test_a_method_written_as_a_plain_function_gets_self():
    assert add_missing_self("def f(word):\n    return len(word)\n", "f", 1) == ("def f(self, word):\n    return len(word)\n", True)
    assert add_missing_self("def f():\n    return 1", "f", 0) == ("def f(self):\n    return 1", True)
    assert add_missing_self("def f(self, x):\n    return x", "f", 1)[1] is False  # already right
    assert add_missing_self("def f(a, b):\n    return a", "f", 1)[1] is False  # not the call's arity: the guardian says why
    assert add_missing_self("def f(x):\n    return self.y", "f", 1)[1] is False  # names self: not a plain function
    assert add_missing_self("def f(:\n", "f", 0)[1] is False


def test_what_a_model_shows_off_after_the_method_is_dropped():
    code = "import math\n\ndef f(self, w):\n    return 1\n\n# Example usage\nobj = None\nprint(f(None, 'x'))\nif __name__ == '__main__':\n    print(1)\n"
    fixed, dropped = drop_top_level_calls(code, "f")
    assert dropped == 3 and "print" not in fixed and fixed.startswith("import math\n\ndef f(self, w):\n    return 1\n")
    assert drop_top_level_calls("x = 1\n", "f") == ("x = 1\n", 0)  # no def f: left to the guardian
    assert drop_top_level_calls('"""doc"""\ndef f(self):\n    return 1\n', "f")[1] == 0


def test_type_hints_and_their_typing_imports_are_taken_out():
    from bat_os.cognition.replies import drop_typing

    code = ("from typing import List, Dict\ndef f(self, d: Dict[str, int], v: int) -> List[str]:\n"
            "    out: List[str] = []\n    seen: int\n    import typing\n    return sorted(k for k in d if d[k] == v)\n")
    fixed, changed = drop_typing(code)
    assert changed and "typing" not in fixed and "List" not in fixed and "def f(self, d, v):" in fixed
    assert "seen" not in fixed and "out = []" in fixed
    assert drop_typing("def f(self, x: int):\n    return x\n") == ("def f(self, x: int):\n    return x\n", False)  # no typing: as written


def test_a_method_written_bare_before_a_stray_closing_fence_is_found():
    # what the real 0.5B model wrote: no opening fence, a closing one, then prose
    assert extract_code("def f(self, t):\n    return 1\n```") == "def f(self, t):\n    return 1"
    assert extract_code("Sure:\ndef f(self, t):\n    return 1\n```\nThis counts.") == "def f(self, t):\n    return 1"
    assert extract_code("```\nnot code\n```") == "not code"  # no def anywhere: the block, as before


def test_the_datetime_module_class_slip_and_unimported_names_are_mended():
    from bat_os.cognition.replies import fix_module_slips

    code = ('def add_days(self, text, number):\n    import datetime\n    d = datetime.strptime(text, "%Y-%m-%d")\n'
            '    return (d + timedelta(days=number)).strftime("%Y-%m-%d")\n')
    fixed, mended = fix_module_slips(code, "add_days")
    assert mended == ["datetime.datetime", "timedelta"]
    assert "datetime.datetime.strptime(" in fixed and "    from datetime import timedelta\n" in fixed
    right = "def f(self):\n    import datetime\n    return datetime.date.today().isoformat()\n"
    assert fix_module_slips(right, "f") == (right, [])  # the module's own attributes are left alone
    klass = "def f(self):\n    from datetime import datetime\n    return datetime.now().isoformat()\n"
    assert fix_module_slips(klass, "f") == (klass, [])


def test_a_method_calling_itself_as_a_plain_function_calls_itself_through_self():
    from bat_os.cognition.replies import candidate_code, fix_self_recursion

    code = "def fact(self, n):\n    if n < 2:\n        return 1\n    return n * fact(n - 1)\n"
    mended, done = fix_self_recursion(code, "fact")
    assert done and mended == "def fact(self, n):\n    if n < 2:\n        return 1\n    return n * self.fact(n - 1)\n"
    assert candidate_code(f"```python\n{code}```", "fact", 1, set())[1]["slips_mended"] == ["self.fact"]
    passing = "def fib(self, n):\n    return n if n < 2 else fib(self, n - 1) + fib(self, n - 2)\n"
    assert fix_self_recursion(passing, "fib")[0] == "def fib(self, n):\n    return n if n < 2 else self.fib(n - 1) + self.fib(n - 2)\n"
    assert fix_self_recursion("def ping(self):\n    return ping(self)\n", "ping")[0] == "def ping(self):\n    return self.ping()\n"
    # already through self, a local of that name, or no self to call through: left alone
    assert fix_self_recursion("def fact(self, n):\n    return n and n * self.fact(n - 1) or 1\n", "fact")[1] is False
    assert fix_self_recursion("def fact(self, n):\n    fact = lambda k: k\n    return fact(n)\n", "fact")[1] is False
    assert fix_self_recursion("def fact(n):\n    return n * fact(n - 1)\n", "fact")[1] is False


def test_an_answer_printed_and_not_returned_is_returned():
    from bat_os.cognition.replies import candidate_code, fix_printed_answer

    code = ("def report_time(self):\n    import datetime\n"
            "    print(f\"Current system time: {datetime.datetime.now()}\")\n")
    mended, done = fix_printed_answer(code, "report_time")
    assert done and mended.splitlines()[-1] == "    return f\"Current system time: {datetime.datetime.now()}\""
    assert candidate_code(f"```python\n{code}```", "report_time", 0, set())[1]["slips_mended"] == ["print -> return"]
    two = fix_printed_answer("def f(self, a):\n    print('got',\n          a)\n", "f")[0]
    assert two == "def f(self, a):\n    return ' '.join(str(piece) for piece in ('got', a,))\n"
    # a method that returns a value somewhere, or prints before doing something else, is left alone
    assert fix_printed_answer("def f(self, a):\n    if a:\n        return 1\n    print(a)\n", "f")[1] is False
    assert fix_printed_answer("def f(self, a):\n    print(a)\n    self.seen = a\n", "f")[1] is False
    assert fix_printed_answer("def f(self, a):\n    print(a, end='')\n", "f")[1] is False

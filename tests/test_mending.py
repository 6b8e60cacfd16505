"""Mending a candidate's small slips (bat_os.cognition.mending)."""

from __future__ import annotations

import pytest

from bat_os.cognition.mending import add_missing_imports, add_missing_self, drop_top_level_calls

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


def test_a_method_written_as_a_plain_function_gets_self():
    assert add_missing_self("def f(word):\n    return len(word)\n", "f", 1) == ("def f(self, word):\n    return len(word)\n", True)
    assert add_missing_self("def f():\n    return 1", "f", 0) == ("def f(self):\n    return 1", True)
    assert add_missing_self("def f(self, x):\n    return x", "f", 1)[1] is False  # already right
    assert add_missing_self("def f(a, b):\n    return a", "f", 1)[1] is False  # not the call's arity: the guardian says why
    assert add_missing_self("def f(x):\n    return self.y", "f", 1)[1] is False  # names self: not a plain function
    assert add_missing_self("def f(:\n", "f", 0)[1] is False
    # a function with a default or a *args takes the call as well (a function prompt's answer, prompts.function_prompt)
    assert add_missing_self("def f(text, sep=','):\n    return text.split(sep)", "f", 1)[0].startswith("def f(self, text, sep=','):")
    assert add_missing_self("def f(*numbers):\n    return sum(numbers)", "f", 2)[0].startswith("def f(self, *numbers):")
    assert add_missing_self("def f(a, b, c=1):\n    return a", "f", 1)[1] is False  # needs two: the guardian says why


def test_what_a_model_shows_off_after_the_method_is_dropped():
    code = "import math\n\ndef f(self, w):\n    return math.pi\n\n# Example usage\nobj = None\nprint(f(None, 'x'))\nif __name__ == '__main__':\n    print(1)\n"
    fixed, dropped = drop_top_level_calls(code, "f")
    assert dropped == 3 and "print" not in fixed and fixed.startswith("import math\n\ndef f(self, w):\n    return math.pi\n")
    assert drop_top_level_calls("x = 1\n", "f") == ("x = 1\n", 0)  # no def f: left to the guardian
    assert drop_top_level_calls('"""doc"""\ndef f(self):\n    return 1\n', "f")[1] == 0


def test_functions_and_classes_the_method_never_names_and_imports_nothing_names_are_dropped():
    # the real 0.5B model's collatz_steps, right, and its test function (refused before: define exactly one function)
    code = ("import sys\nimport math as m\n\ndef collatz_steps(self, number):\n    steps = 0\n    while number != 1:\n"
            "        number = number // 2 if number % 2 == 0 else 3 * number + 1\n        steps += 1\n    return steps\n\n"
            "# Check function\ndef check_collatz_steps():\n    assert collatz_steps(6) == 8\n    print(m.pi)\n\n"
            "class MyClass:\n    def __init__(self):\n        pass\n\ncheck_collatz_steps()\n")
    fixed, dropped = drop_top_level_calls(code, "collatz_steps")
    assert dropped == 5  # the two imports nothing left names, the function, the class, the call
    assert fixed.startswith("def collatz_steps(self, number):") and "check" not in fixed and "import" not in fixed
    from bat_os.cognition import guardian
    assert guardian.audit(fixed, "collatz_steps").accepted
    # a helper the method calls stays (the guardian says why it may not), and so does what the helper imports
    helper = "import math\n\ndef f(self, x):\n    return g(x)\n\ndef g(x):\n    return math.sqrt(x)\n"
    assert drop_top_level_calls(helper, "f") == (helper, 0)
    assert drop_top_level_calls("from math import *\n\ndef f(self):\n    return pi\n", "f")[1] == 0  # a star: kept


def test_type_hints_and_their_typing_imports_are_taken_out():
    from bat_os.cognition.mending import drop_typing

    code = ("from typing import List, Dict\ndef f(self, d: Dict[str, int], v: int) -> List[str]:\n"
            "    out: List[str] = []\n    seen: int\n    import typing\n    return sorted(k for k in d if d[k] == v)\n")
    fixed, changed = drop_typing(code)
    assert changed and "typing" not in fixed and "List" not in fixed and "def f(self, d, v):" in fixed
    assert "seen" not in fixed and "out = []" in fixed
    assert drop_typing("def f(self, x: int):\n    return x\n") == ("def f(self, x: int):\n    return x\n", False)  # no typing: as written


def test_the_datetime_module_class_slip_and_unimported_names_are_mended():
    from bat_os.cognition.mending import fix_module_slips

    code = ('def add_days(self, text, number):\n    import datetime\n    d = datetime.strptime(text, "%Y-%m-%d")\n'
            '    return (d + timedelta(days=number)).strftime("%Y-%m-%d")\n')
    fixed, mended = fix_module_slips(code, "add_days")
    assert mended == ["datetime.datetime", "timedelta"]
    assert "datetime.datetime.strptime(" in fixed and "    from datetime import timedelta\n" in fixed
    right = "def f(self):\n    import datetime\n    return datetime.date.today().isoformat()\n"
    assert fix_module_slips(right, "f") == (right, [])  # the module's own attributes are left alone
    klass = "def f(self):\n    from datetime import datetime\n    return datetime.now().isoformat()\n"
    assert fix_module_slips(klass, "f") == (klass, [])


def test_the_datetime_class_taken_for_the_module_is_mended_the_other_way_round():
    """``from datetime import datetime`` then ``datetime.timedelta(days=n)`` (six of the real 0.5B model's
    ``add_days`` candidates raised AttributeError on it): the module's name, imported; ``datetime.now()`` stays."""
    from bat_os.cognition.mending import fix_module_slips

    code = ("from datetime import datetime\n\ndef add_days(self, text, number):\n"
            "    d = datetime.strptime(text, '%Y-%m-%d') + datetime.timedelta(days=number)\n"
            "    return (d + datetime.timedelta(days=0)).strftime('%Y-%m-%d')\n")
    fixed, mended = fix_module_slips(code, "add_days")
    assert mended == ["datetime.timedelta -> timedelta", "timedelta"]
    assert "datetime.timedelta" not in fixed and fixed.count(" timedelta(days=") == 2
    assert "    from datetime import timedelta\n" in fixed and "datetime.strptime(" in fixed
    namespace: dict = {}
    exec(compile(fixed, "<m>", "exec"), namespace)  # noqa: S102 - the mended code runs as Python reads it
    assert namespace["add_days"](None, "2023-12-31", 1) == "2024-01-01"
    module = "import datetime\n\ndef f(self, n):\n    return datetime.timedelta(days=n)\n"
    assert fix_module_slips(module, "f") == (module, [])  # the module's own timedelta is right as it is


def test_a_star_import_of_an_allowed_module_becomes_the_names_the_method_reads_from_it():
    """``from collections import *`` above a right ``count_words`` (refused by the guardian: a method imports
    the names it uses); a module outside the allowed ones is left for the guardian to refuse."""
    from bat_os.cognition.mending import candidate_code, expand_star_imports

    code = ("from collections import *\nfrom math import *\nfrom re import *\n\ndef count_words(self, text):\n"
            "    pi = 3\n    return len(Counter(text.split())) + int(sqrt(pi * 0)) + len(findall('x', ''))\n")
    fixed, starred = expand_star_imports(code, "count_words", MODULES | {"collections"})
    assert starred == ["collections", "math", "re"]
    assert fixed.startswith("from collections import Counter\nfrom math import sqrt\nfrom re import findall\n\ndef")
    none_read = "from json import *\n\ndef f(self):\n    return 1\n"
    assert expand_star_imports(none_read, "f", MODULES) == ("\ndef f(self):\n    return 1\n", ["json"])
    outside = "from email import *\n\ndef f(self):\n    return 1\n"
    assert expand_star_imports(outside, "f", MODULES) == (outside, [])
    _code, repairs = candidate_code("```python\n" + none_read + "```", "f", 0, MODULES)
    assert repairs["slips_mended"] == ["from json import *"]


def test_a_method_calling_itself_as_a_plain_function_calls_itself_through_self():
    from bat_os.cognition.mending import candidate_code, fix_self_recursion

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
    from bat_os.cognition.mending import candidate_code, fix_printed_answer

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


def test_a_receiver_named_after_the_call_is_renamed_self():
    """The real 0.5B model wrote ``def percent_of(obj, first, second)`` (refused as not self-first) for ``obj.percent_of(25, 200)``."""
    from bat_os.cognition.mending import candidate_code, rename_receiver

    code = ("def percent_of(obj, first, second):\n    \"\"\"obj: the receiver.\"\"\"\n"
            "    label = obj.name + 'obj' + other.obj\n    return (first / second) * 100\n")
    renamed, old = rename_receiver(code, "percent_of", 2)
    assert old == "obj"
    assert renamed == ("def percent_of(self, first, second):\n    \"\"\"obj: the receiver.\"\"\"\n"
                       "    label = self.name + 'obj' + other.obj\n    return (first / second) * 100\n")  # text and attributes kept
    assert rename_receiver(code, "percent_of", 3) == (code, "")  # obj would be an argument of the call
    assert rename_receiver(code.replace("obj", "data"), "percent_of", 2)[1] == ""  # not a receiver's name
    uses_self = "def f(obj, x):\n    return self.y + obj\n"
    assert rename_receiver(uses_self, "f", 1) == (uses_self, "")
    code, repairs = candidate_code("```python\n" + code + "```", "percent_of", 2, {"math"})
    assert code.startswith("def percent_of(self, first, second):") and repairs["slips_mended"] == ["obj -> self"]


def test_a_slip_of_a_slot_s_name_is_mended_to_the_slot_the_object_has():
    """The real 0.5B model wrote ``self.score = []`` for "empty the scores slot" (the object has ``scores``)."""
    from bat_os.cognition.mending import candidate_code, fix_slot_names

    code = ("def clear_scores(self):\n    held = len(self.score)\n    self.score = []\n"
            "    note = 'self.score' + other.score\n    return held\n")
    fixed, renamed = fix_slot_names(code, "clear_scores", {"scores", "name"})
    assert renamed == ["score -> scores"]
    assert fixed == ("def clear_scores(self):\n    held = len(self.scores)\n    self.scores = []\n"
                     "    note = 'self.score' + other.score\n    return held\n")  # text and other objects kept
    assert fix_slot_names(code, "clear_scores", {"total"}) == (code, [])  # no slot it could be a slip of
    assert fix_slot_names(code, "clear_scores", set()) == (code, [])
    new_slot = "def f(self):\n    self.history = []\n    return 0\n"
    assert fix_slot_names(new_slot, "f", {"scores"}) == (new_slot, [])  # a new slot of another name stays
    code, repairs = candidate_code("```python\n" + fixed.replace("self.scores", "self.Scores") + "```", "clear_scores", 0, set(), {"scores"})
    assert "self.scores = []" in code and repairs["slips_mended"] == ["Scores -> scores"]


# ---------------------------------------------------------------- a method written inside a class of its own


def test_a_method_written_inside_a_class_is_lifted_out_with_the_module_s_imports():
    from bat_os.cognition.mending import candidate_code, lift_from_class

    reply = ("```python\nimport math\n\nclass MyClass:\n    def __init__(self):\n        self.n = 1\n\n"
             "    @staticmethod\n    def helper(x):\n        return x\n\n"
             "    def clamp(self, number, low, high):\n        # into the range\n        return max(low, min(number, high))\n\n"
             "obj = MyClass()\nprint(obj.clamp(15, 0, 10))\n```")
    code, lifted = lift_from_class(reply.strip("`").removeprefix("python\n"), "clamp")
    assert lifted == "class MyClass: lifted"
    assert code == "import math\n\ndef clamp(self, number, low, high):\n    # into the range\n    return max(low, min(number, high))\n"
    code, repairs = candidate_code(reply, "clamp", 3, MODULES)
    # lifted with the module's imports, then the one nothing names dropped
    assert repairs["slips_mended"][0] == "class MyClass: lifted" and code.startswith("def clamp(")
    namespace: dict = {}
    exec(compile(code, "<m>", "exec"), namespace)  # the test's own code, not a model's
    assert namespace["clamp"](None, 15, 0, 10) == 10


@pytest.mark.parametrize("code", [
    "def clamp(self, n):\n    return n\n\nclass A:\n    def clamp(self, n):\n        return 0\n",  # a top-level one is there
    "class A:\n    def other(self):\n        return 0\n",  # no method of that name
    "class A(:\n",  # does not parse: the guardian says why
])
def test_nothing_is_lifted_where_there_is_a_function_already_or_none_to_lift(code):
    from bat_os.cognition.mending import lift_from_class

    assert lift_from_class(code, "clamp") == (code, "")


def test_a_static_method_lifted_out_of_its_class_gets_self():
    from bat_os.cognition.mending import candidate_code

    reply = "class Tools:\n    @staticmethod\n    def double(number):\n        return number * 2\n"
    code, repairs = candidate_code(reply, "double", 1, MODULES)
    assert code.startswith("def double(self, number):") and repairs["self_added"]

"""A method a model wrote inside a class of its own, taken out of it (bat_os.cognition.classes), on replies the
real Qwen2.5-Coder-1.5B model wrote (greedy, llama.cpp, the learning benchmark's plain prompt; a task's method is
renamed where its name would name the task)."""

from __future__ import annotations

import ast

import pytest

from bat_os.cognition import guardian
from bat_os.cognition.classes import lift
from bat_os.cognition.mending import candidate_code
from bat_os.jail.contract import ALLOWED_MODULES

# hypotenuse(3, 4): "return the length of the hypotenuse of a right triangle from its two other sides"
HYPOTENUSE = """```python
class RightTriangle:
    def __init__(self, side1, side2):
        self.side1 = side1
        self.side2 = side2

    def hypotenuse(self):
        return (self.side1**2 + self.side2**2)**0.5
```"""
# later("2024-02-27", 3): a number of days added to a date given as YYYY-MM-DD, in the same form
LATER = """```python
from datetime import datetime

class Date:
    def __init__(self, date_str):
        self.date = datetime.strptime(date_str, '%Y-%m-%d')

    def later(self, days):
        new_date = self.date + datetime.timedelta(days=days)
        return new_date.strftime('%Y-%m-%d')
```"""


def run(code: str, selector: str, *args):
    namespace: dict = {}
    exec(compile(code, "<lifted>", "exec"), namespace)  # noqa: S102 - the test's own check of what the rule wrote
    return namespace[selector](None, *args)


def test_a_method_fed_by_its_constructor_takes_the_call_s_arguments():
    code, repairs = candidate_code(HYPOTENUSE, "hypotenuse", 2, ALLOWED_MODULES, set())
    assert repairs["slips_mended"][0] == "class RightTriangle: lifted, its constructor's parameters made the method's"
    assert code.startswith("def hypotenuse(self, side1, side2):") and "self." not in code
    assert guardian.audit(code, "hypotenuse").accepted and run(code, "hypotenuse", 5, 12) == 13.0


def test_the_constructor_s_arguments_come_first_then_the_method_s():
    code, repairs = candidate_code(LATER, "later", 2, ALLOWED_MODULES, set())
    assert repairs["slips_mended"] == ["class Date: lifted, its constructor's parameters made the method's",
                                       "datetime.timedelta -> timedelta", "timedelta"]
    assert code.splitlines()[2] == "def later(self, date_str, days):"
    assert "date = datetime.strptime(date_str, '%Y-%m-%d')" in code
    assert guardian.audit(code, "later").accepted and run(code, "later", "2024-02-27", 3) == "2024-03-01"


@pytest.mark.parametrize("why, code, arity, slots", [
    ("the call has another number of arguments", HYPOTENUSE, 1, set()),
    ("a kept value is one of the receiver's slots", HYPOTENUSE, 2, {"side1"}),
    ("the constructor does more than keep values",
     "class A:\n    def __init__(self, n):\n        self.n = n\n        print(n)\n\n    def twice(self):\n        return self.n * 2\n", 1, set()),
    ("the method changes what the constructor kept",
     "class A:\n    def __init__(self, n):\n        self.n = n\n\n    def twice(self):\n        self.n *= 2\n        return self.n\n", 1, set()),
    ("the method reads another member",
     "class A:\n    def __init__(self, n):\n        self.n = n\n\n    def twice(self):\n        return self.helper(self.n)\n", 1, set()),
    ("a default among the constructor's parameters would come before the method's",
     "class A:\n    def __init__(self, n=1):\n        self.n = n\n\n    def twice(self, k):\n        return self.n * k\n", 2, set()),
])
def test_anything_else_is_lifted_as_it_is(why, code, arity, slots):
    selector = "hypotenuse" if code is HYPOTENUSE else "twice"
    tree = ast.parse(code.strip("`").removeprefix("python\n"))
    before = ast.dump(tree)
    cls, method, done = lift(tree, selector, arity, slots)
    assert done == f"class {cls.name}: lifted", why
    assert "self." in ast.unparse(method), why  # left as the model wrote it: the trial judges
    assert ast.dump(tree) == before, why  # the tree the method came out of is left as it was


@pytest.mark.parametrize("code", [
    "def clamp(self, n):\n    return n\n\nclass A:\n    def clamp(self, n):\n        return 0\n",  # a top-level one is there
    "class A:\n    def other(self):\n        return 0\n",  # no method of that name
    "class A:\n    async def clamp(self):\n        return 0\n",  # only an async one: the guardian refuses it
])
def test_nothing_is_lifted_where_there_is_a_function_already_or_none_to_lift(code):
    assert lift(ast.parse(code), "clamp", 1) is None


def test_a_static_method_loses_its_decorator_and_gets_self_another_decorator_stays():
    reply = "class Tools:\n    @staticmethod\n    def double(number):\n        return number * 2\n"
    code, repairs = candidate_code(reply, "double", 1, ALLOWED_MODULES)
    assert code.startswith("def double(self, number):") and repairs["self_added"]
    cached = "class Tools:\n    @cache\n    def double(self, number):\n        return number * 2\n"
    code, _repairs = candidate_code(cached, "double", 1, ALLOWED_MODULES)
    assert code.startswith("@cache\ndef double(self, number):")  # the guardian refuses it


def test_a_method_that_takes_the_arguments_is_lifted_with_the_module_s_imports():
    reply = ("import math\n\nclass Solution:\n    def hypotenuse(self, a, b):\n        return math.hypot(a, b)\n\n"
             "print(Solution().hypotenuse(3, 4))\n")
    code, repairs = candidate_code(reply, "hypotenuse", 2, ALLOWED_MODULES, set())
    # the class is lifted from, not dropped; the print after it is
    assert repairs["slips_mended"] == ["class Solution: lifted"] and repairs["top_level_dropped"] == 1
    assert code == "import math\n\ndef hypotenuse(self, a, b):\n    return math.hypot(a, b)"
    assert run(code, "hypotenuse", 3, 4) == 5.0


def test_a_method_lifted_and_what_its_class_was_shown_off_with_dropped():
    # the 1.5B model's answer (renamed): the method takes the call's argument, the constructor is left behind
    reply = ("```python\nclass Money:\n    def __init__(self, amount):\n        self.amount = amount\n\n"
             "    def cents(self, amount):\n        return round(amount * 100)\n\n"
             "# Create a Money object with an amount\nmoney_obj = Money(2.345)\n\n"
             "# Call the cents method on the Money object\nprint(money_obj.cents('2.345'))  # Output: 234\n```")
    code, repairs = candidate_code(reply, "cents", 1, ALLOWED_MODULES, set())
    assert code == "def cents(self, amount):\n    return round(amount * 100)"
    assert repairs["slips_mended"] == ["class Money: lifted"] and repairs["top_level_dropped"] == 2

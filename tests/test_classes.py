"""A method a model wrote inside a class of its own, taken out of it (bat_os.cognition.classes), on replies the
real Qwen2.5-Coder-1.5B model wrote (greedy, llama.cpp, the learning benchmark's plain prompt)."""

from __future__ import annotations

import pytest

from bat_os.cognition import guardian
from bat_os.cognition.classes import lift_from_class
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
# add_days("2024-02-27", 3): "add a number of days to a date given as YYYY-MM-DD and return the new date in the same form"
ADD_DAYS = """```python
from datetime import datetime

class Date:
    def __init__(self, date_str):
        self.date = datetime.strptime(date_str, '%Y-%m-%d')

    def add_days(self, days):
        new_date = self.date + datetime.timedelta(days=days)
        return new_date.strftime('%Y-%m-%d')
```"""


def run(code: str, selector: str, *args):
    namespace: dict = {}
    exec(compile(code, "<lifted>", "exec"), namespace)  # the test's own check of what the rule wrote
    return namespace[selector](None, *args)


def test_a_method_fed_by_its_constructor_takes_the_call_s_arguments():
    code, repairs = candidate_code(HYPOTENUSE, "hypotenuse", 2, ALLOWED_MODULES, set())
    assert repairs["slips_mended"][0] == "class RightTriangle: lifted, its constructor's parameters made the method's"
    assert code.startswith("def hypotenuse(self, side1, side2):") and "self." not in code
    assert guardian.audit(code, "hypotenuse").accepted and run(code, "hypotenuse", 5, 12) == 13.0


def test_the_constructor_s_arguments_come_first_then_the_method_s():
    code, repairs = candidate_code(ADD_DAYS, "add_days", 2, ALLOWED_MODULES, set())
    assert code.splitlines()[2] == "def add_days(self, date_str, days):"
    assert "date = datetime.strptime(date_str, '%Y-%m-%d')" in code
    assert guardian.audit(code, "add_days").accepted and run(code, "add_days", "2024-02-27", 3) == "2024-03-01"


@pytest.mark.parametrize("why, code, arity, slots", [
    ("the call has another number of arguments", HYPOTENUSE, 1, set()),
    ("a kept value is one of the receiver's slots", HYPOTENUSE, 2, {"side1"}),
    ("the constructor does more than keep values",
     "class A:\n    def __init__(self, n):\n        self.n = n\n        print(n)\n\n    def twice(self):\n        return self.n * 2\n", 1, set()),
    ("the method changes what the constructor kept",
     "class A:\n    def __init__(self, n):\n        self.n = n\n\n    def twice(self):\n        self.n *= 2\n        return self.n\n", 1, set()),
    ("the method reads another member",
     "class A:\n    def __init__(self, n):\n        self.n = n\n\n    def twice(self):\n        return self.helper(self.n)\n", 1, set()),
])
def test_anything_else_is_lifted_as_it_is(why, code, arity, slots):
    selector = "hypotenuse" if code is HYPOTENUSE else "twice"
    lifted, done = lift_from_class(code.strip("`").removeprefix("python\n"), selector, arity, slots)
    assert done.endswith(": lifted"), why
    assert "self." in lifted, why  # left as the model wrote it: the trial judges


def test_a_method_that_takes_the_arguments_is_lifted_with_the_module_s_imports():
    reply = ("import math\n\nclass Solution:\n    def hypotenuse(self, a, b):\n        return math.hypot(a, b)\n\n"
             "print(Solution().hypotenuse(3, 4))\n")
    code, repairs = candidate_code(reply, "hypotenuse", 2, ALLOWED_MODULES, set())
    assert repairs["slips_mended"][0] == "class Solution: lifted" and repairs["top_level_dropped"] == 0
    assert code == "import math\n\ndef hypotenuse(self, a, b):\n    return math.hypot(a, b)\n"
    assert run(code, "hypotenuse", 3, 4) == 5.0

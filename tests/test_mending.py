"""A reply made into a candidate method (bat_os.cognition.author.mending): the method and what it names kept, the rest
dropped, the slips recorded replies needed mended on the tree. The replies below were written by the real
Qwen2.5-Coder models (recorded in the learning runs' cassettes); a task's method (and a name that is a task's)
is renamed where it would name the task."""

from __future__ import annotations

import ast

import pytest

from bat_os.cognition.author.mending import candidate_code, lift
from bat_os.jail import guardian
from bat_os.jail.contract import ALLOWED_MODULES

MODULES = frozenset({"datetime", "time", "math", "re", "json"})
NOTHING = {"top_level_dropped": 0, "typing_dropped": False, "imports_added": [], "self_added": False, "slips_mended": []}


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def run(code: str, selector: str, *args):
    namespace: dict = {}
    exec(compile(code, "<candidate>", "exec"), namespace)  # noqa: S102 - the test's own check of what mending wrote
    return namespace[selector](None, *args)


def same(code: str, expected: str) -> bool:
    """The same program (mending writes Python's own layout: compare trees, not text)."""
    return ast.dump(ast.parse(code)) == ast.dump(ast.parse(expected))


# ---------------------------------------------------------------- the method, what it names, and nothing else


def test_what_a_model_shows_off_after_the_method_is_dropped():
    # the 1.5B model's answer, with its own test below it (the method renamed)
    reply = fenced("def isbn_ok(self, isbn):\n    # Remove hyphens from the ISBN\n    isbn = isbn.replace('-', '')\n\n"
                   "    # Check if the ISBN is exactly 10 characters long\n    if len(isbn) != 10:\n        return False\n"
                   "    return isbn[:9].isdigit()\n\n# Test the function\nobj = ''  # Replace with your object\n"
                   "print(obj.isbn_ok('0-306-40615-2'))  # This will display True for the test case\n")
    code, repairs = candidate_code(reply, "isbn_ok", 1, ALLOWED_MODULES)
    assert repairs["top_level_dropped"] == 2
    assert same(code, "def isbn_ok(self, isbn):\n    isbn = isbn.replace('-', '')\n    if len(isbn) != 10:\n"
                      "        return False\n    return isbn[:9].isdigit()\n")
    assert "#" not in code and guardian.audit(code, "isbn_ok").accepted and run(code, "isbn_ok", "0-306-40615-2") is True


def test_a_top_level_name_the_method_only_binds_itself_is_dropped():
    # the 1.5B model's example below its method: ``k = 2`` is not the method's parameter ``k`` (renamed)
    reply = fenced("def best(self, pairs, k):\n    if k <= 0:\n        return []\n"
                   "    return [p.name for p in sorted(pairs, key=lambda p: (-p.score, p.name))[:k]]\n\n"
                   "# Example usage:\npairs = []\nk = 2\nprint(players.best(pairs, k))  # Output: ['bob', 'ann', 'cat']\n")
    code, repairs = candidate_code(reply, "best", 2, ALLOWED_MODULES)
    assert repairs["top_level_dropped"] == 3 and code.startswith("def best(self, pairs, k):")
    assert guardian.audit(code, "best").accepted


def test_an_import_only_the_method_s_own_import_would_need_is_dropped_and_unused_names_go():
    # the 1.5B model imported datetime twice, above the method and in it, and timedelta it never used (renamed)
    reply = fenced("from datetime import datetime, timedelta\n\ndef month_left(self, date_str):\n"
                   "    from datetime import datetime, timedelta\n    date = datetime.strptime(date_str, '%Y-%m-%d')\n"
                   "    return (date + timedelta(days=1)).month - date.month\n")
    code, repairs = candidate_code(reply, "month_left", 1, ALLOWED_MODULES)
    assert repairs["top_level_dropped"] == 1 and code.startswith("def month_left(self, date_str):")
    unused = fenced("from datetime import datetime, timedelta\n\ndef f(self, text):\n    return datetime.strptime(text, '%Y').year\n")
    code, repairs = candidate_code(unused, "f", 1, ALLOWED_MODULES)
    assert code.startswith("from datetime import datetime\n") and repairs["top_level_dropped"] == 0


def test_helpers_constants_and_imports_the_method_names_stay_for_the_guardian_to_judge():
    code, repairs = candidate_code(fenced(
        '"""A module."""\nimport math\nimport sys\nfrom json import *\nLIMIT = 3\nUNUSED = 4\n\n'
        "def f(self, x):\n    return g(x) + LIMIT\n\ndef g(x):\n    return math.sqrt(x)\n\n"
        "def check():\n    assert f(None, 4) == 5\n\nclass Spare:\n    pass\n\ncheck()\nif __name__ == '__main__':\n    print(f(None, 9))\n"),
        "f", 1, MODULES)
    # the docstring, sys, UNUSED, check, Spare, the call and the main block: dropped; a star import is kept (refused)
    assert repairs["top_level_dropped"] == 7
    assert same(code, "import math\nfrom json import *\nLIMIT = 3\n\ndef f(self, x):\n    return g(x) + LIMIT\n\n"
                      "def g(x):\n    return math.sqrt(x)\n")
    assert not guardian.audit(code, "f").accepted  # one function and no star import: the guardian says why


@pytest.mark.parametrize("reply", [
    "def f(self:\n",  # does not parse
    "def g(self):\n    return 1\n",  # no method of that name
    "async def f(self):\n    return 1\n",  # the guardian refuses it
    "x = 1\n# def f(self)\n",
])
def test_code_without_the_method_is_returned_as_it_was_written(reply):
    code, repairs = candidate_code(reply, "f", 0, MODULES)
    assert (code, repairs) == (reply.strip(), NOTHING)


def test_the_guardian_s_line_numbers_count_in_the_code_as_rebuilt():
    """The candidate's source is the rebuilt one (stored, shown and audited): a refusal's line is a line of it."""
    code, _ = candidate_code(fenced("# a comment\n\n\ndef f(self):\n    # another\n\n    return eval('1')\n"), "f", 0, MODULES)
    reason = guardian.audit(code, "f").reasons[0]
    assert "eval" in code.splitlines()[reason.line - 1]


# ---------------------------------------------------------------- the slips recorded replies needed mended


def test_a_module_used_and_never_imported_is_imported_first_in_the_body():
    # the 1.5B model, lifted out of its class: re.findall with no import
    reply = fenced("class TextProcessor:\n    def numbers_in(self, text):\n"
                   "        # Use regular expression to find all whole numbers in the text\n"
                   "        numbers = re.findall(r'\\d+', text)\n"
                   "        # Convert the found strings to integers and return the list\n"
                   "        return [int(num) for num in numbers]\n")
    code, repairs = candidate_code(reply, "numbers_in", 1, ALLOWED_MODULES)
    assert repairs["imports_added"] == ["re"] and repairs["slips_mended"] == ["class TextProcessor: lifted"]
    assert code.splitlines()[1] == "    import re" and run(code, "numbers_in", "a1b22") == [1, 22]
    docstring = candidate_code('def f(self):\n    """The time."""\n    return time.time(), math.pi\n', "f", 0, MODULES)[0]
    assert docstring.splitlines()[1:4] == ['    """The time."""', "    import math", "    import time"]


@pytest.mark.parametrize("code", [
    "def f(self, time):\n    return time + 1\n",  # a parameter
    "def f(self):\n    re = 3\n    return re\n",  # a local
    "import math\ndef f(self):\n    return math.pi\n",  # imported at the top already
    "def f(self):\n    import json\n    return json.dumps(1)\n",  # imported inside
    "def f(self):\n    return os.getcwd()\n",  # not an allowed module: the guardian refuses it
    'def f(self):\n    """Only math.pi."""\n',  # a docstring alone reads nothing
])
def test_no_import_is_added_where_it_would_be_wrong(code):
    assert candidate_code(code, "f", 0, MODULES)[1]["imports_added"] == []


def test_a_method_written_as_a_plain_function_gets_self():
    # the 1.5B model's answer, a plain function (renamed)
    reply = fenced("from datetime import datetime, timedelta\n\ndef pay(year, month):\n    date = datetime(year, month, 25)\n"
                   "    if date.weekday() in (5, 6):  # Saturday or Sunday\n        return date - timedelta(days=1)\n"
                   "    elif date.weekday() == 4:  # Friday\n        return date - timedelta(days=2)\n"
                   "    else:  # Monday to Thursday\n        return date\n")
    code, repairs = candidate_code(reply, "pay", 2, ALLOWED_MODULES)
    assert repairs["self_added"] and "def pay(self, year, month):" in code and guardian.audit(code, "pay").accepted
    assert run(code, "pay", 2024, 5).day == 24


@pytest.mark.parametrize("code, arity, added", [
    ("def f():\n    return 1", 0, "def f(self):"),
    ("def f(text, sep=','):\n    return text.split(sep)", 1, "def f(self, text, sep=','):"),  # a default
    ("def f(*numbers):\n    return sum(numbers)", 2, "def f(self, *numbers):"),  # a *args takes the call
    ("def f(a, /, b):\n    return a", 2, "def f(self, a, /, b):"),
    ("def f(self, x):\n    return x", 1, None),  # already right
    ("def f(a, b):\n    return a", 1, None),  # not the call's arity: the guardian says why
    ("def f(x):\n    return self.y", 1, None),  # names self: not a plain function
    ("def f(a, b, c=1):\n    return a", 1, None),  # needs two
])
def test_self_is_added_only_to_a_plain_function_that_takes_the_call(code, arity, added):
    mended, repairs = candidate_code(code, "f", arity, MODULES)
    assert repairs["self_added"] is (added is not None)
    assert mended.splitlines()[0] == (added or code.splitlines()[0])


def test_type_hints_and_their_typing_imports_are_taken_out():
    # the 1.5B model, lifted out of its class (its body shortened)
    reply = fenced("from typing import List, Tuple\n\nclass BATOS:\n    def __init__(self):\n"
                   "        self.working_day = \"09:00-17:00\"\n\n"
                   "    def slots_free(self, meetings: List[Tuple[str]], min_length: int) -> List[Tuple[str]]:\n"
                   "        # Initialize result list\n        result: List[Tuple[str]] = []\n        seen: int\n"
                   "        return [m for m in meetings if len(m) >= min_length] + result\n")
    code, repairs = candidate_code(reply, "slots_free", 2, ALLOWED_MODULES)
    assert repairs["typing_dropped"] and repairs["slips_mended"] == ["class BATOS: lifted"]
    assert same(code, "def slots_free(self, meetings, min_length):\n    result = []\n"
                      "    return [m for m in meetings if len(m) >= min_length] + result\n")
    assert guardian.audit(code, "slots_free").accepted
    hinted = "def f(self, x: int) -> int:\n    return x\n"  # no typing imported: the hints stay as written
    assert candidate_code(hinted, "f", 1, MODULES) == (hinted.strip(), NOTHING)
    inside = candidate_code("def f(self, x):\n    from typing import List\n", "f", 1, MODULES)[0]
    assert same(inside, "def f(self, x):\n    pass\n")  # a body left empty


def test_the_datetime_module_taken_for_its_class_is_mended():
    # the 1.5B model: datetime.strptime with no import (the import added, then read as the class's; names changed)
    reply = fenced("def pay(self, year, month):\n    if month == 12:\n        return f\"{year}-{month}-20\"\n    else:\n"
                   "        date = f\"{year}-{month}-25\"\n        dow = datetime.strptime(date, '%Y-%m-%d').weekday()\n"
                   "        if dow in [5, 6]:  # Saturday or Sunday\n"
                   "            return f\"{year}-{month}-{date.replace(day=date.day - 2)}\"\n        else:\n            return date\n")
    code, repairs = candidate_code(reply, "pay", 2, ALLOWED_MODULES)
    assert repairs["imports_added"] == ["datetime"] and repairs["slips_mended"] == ["datetime.datetime"]
    assert "datetime.datetime.strptime(date, '%Y-%m-%d')" in code and run(code, "pay", 2024, 4) == "2024-4-25"
    right = "def f(self):\n    import datetime\n    return datetime.date.today().isoformat()\n"
    assert candidate_code(right, "f", 0, MODULES)[1]["slips_mended"] == []  # the module's own attributes are left alone
    klass = "def f(self):\n    from datetime import datetime\n    return datetime.now().isoformat()\n"
    assert candidate_code(klass, "f", 0, MODULES)[1]["slips_mended"] == []


def test_the_datetime_class_taken_for_the_module_is_mended_the_other_way_round():
    # the 1.5B model: datetime.timedelta on the class it imported (renamed)
    reply = fenced("from datetime import datetime\n\ndef week_end(self, date_str):\n"
                   "    date = datetime.strptime(date_str, '%Y-%m-%d')\n    if date.weekday() == 6:\n"
                   "        return date.strftime('%Y-%m-%d')\n    else:\n"
                   "        return (date + datetime.timedelta(days=6 - date.weekday())).strftime('%Y-%m-%d')\n")
    code, repairs = candidate_code(reply, "week_end", 1, ALLOWED_MODULES)
    assert repairs["slips_mended"] == ["datetime.timedelta -> timedelta", "timedelta"]
    assert "datetime.timedelta" not in code and code.splitlines()[3] == "    from datetime import timedelta"
    assert run(code, "week_end", "2024-06-12") == "2024-06-16"
    module = "import datetime\n\ndef f(self, n):\n    return datetime.timedelta(days=n)\n"
    assert candidate_code(module, "f", 1, MODULES)[1]["slips_mended"] == []  # the module's own timedelta is right


def test_timedelta_read_and_never_imported_is_imported():
    # the 1.5B model (renamed)
    reply = fenced("from datetime import datetime\n\ndef week_end(self, date_str):\n"
                   "    date = datetime.strptime(date_str, '%Y-%m-%d')\n"
                   "    # Adjust the date to the end of the current week (Sunday)\n    while date.weekday() != 6:\n"
                   "        date += timedelta(days=1)\n    return date.strftime('%Y-%m-%d')\n")
    code, repairs = candidate_code(reply, "week_end", 1, ALLOWED_MODULES)
    assert repairs["slips_mended"] == ["timedelta"] and code.splitlines()[3] == "    from datetime import timedelta"
    assert run(code, "week_end", "2024-06-12") == "2024-06-16"
    # imported at the top already, or a local of that name: nothing to mend
    assert candidate_code("from datetime import timedelta\ndef f(self):\n    return timedelta(1)\n", "f", 0, MODULES)[1]["slips_mended"] == []
    assert candidate_code("def f(self, timedelta):\n    return timedelta\n", "f", 1, MODULES)[1]["slips_mended"] == []


# --- a method a model wrote inside a class of its own, taken out of it (lift), on replies the real Qwen2.5-Coder-1.5B
# model wrote (greedy, llama.cpp, the learning benchmark's plain prompt; a task's method renamed where its name would
# name the task) ---
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

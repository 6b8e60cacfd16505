"""A learned method's stored tests (bat_os.cognition.methods.tests): a change to a method tried first, in the real jail on an aborted view of a real image."""

from __future__ import annotations

import asyncio
from typing import Any

from bat_os.cognition.methods.tests import callers, sends, try_change
from bat_os.image.objects import UvmObject
from bat_os.jail.runner import Jail

SQUARE = "def square(self, x):\n    return x * x\n"
SUM = "def sum_of_squares(self, n):\n    return sum(self.square(k) for k in range(1, n + 1))\n"
SQUARE_TESTS = {"examples": [{"args": [3], "kwargs": {}, "result": 9}], "cases": []}
SUM_TESTS = {"examples": [{"args": [2], "kwargs": {}, "result": 5}], "cases": []}


def test_sends_finds_a_send_to_self_and_nothing_else():
    assert sends(SUM, "square")
    assert not sends("def f(self, other):\n    return other.square(2)\n", "square")  # another object's
    assert not sends("def f(self):\n    return 'self.square'\n", "square")  # a text
    assert not sends("def f(self:\n", "square")  # no source to read


def _install(image: Any) -> bytes:
    def work() -> bytes:
        obj = UvmObject()
        image.connection.root()["calc"] = obj
        obj.add_method("square", SQUARE, origin="generated", provenance={"tests": SQUARE_TESTS})
        obj.add_method("sum_of_squares", SUM, origin="generated", provenance={"tests": SUM_TESTS})
        obj.add_method("shout", "def shout(self):\n    return self.square(2)\n")  # a system method: not a caller
        return obj

    image.run(work)
    return image.connection.root()["calc"]._p_oid


def _tried(image: Any, selector: str, source: str | None, tests: list[dict]) -> tuple[int, list]:
    async def main() -> tuple[int, list]:
        jail = Jail()
        await jail.start()
        try:
            return await try_change(image, jail, image.connection.root()["calc"]._p_oid, selector, source, tests)
        finally:
            await jail.close()

    return asyncio.run(main())


def test_callers_are_the_object_s_own_generated_senders(awake_image):
    _install(awake_image)
    obj = awake_image.connection.root()["calc"]
    assert [name for name, _ in callers(obj, "square")] == ["sum_of_squares"]
    assert callers(obj, "sum_of_squares") == []


def test_a_change_that_holds_runs_every_case_and_leaves_the_image_as_it_was(awake_image):
    _install(awake_image)
    ran, failures = _tried(awake_image, "square", "def square(self, x):\n    return x ** 2\n", SQUARE_TESTS["examples"])
    assert (ran, failures) == (2, [])
    assert awake_image.read(lambda: awake_image.connection.root()["calc"].slots["square"].source) == SQUARE


def test_a_change_that_breaks_its_own_case_and_its_caller_s_names_both(awake_image):
    _install(awake_image)
    ran, failures = _tried(awake_image, "square", "def square(self, x):\n    return x + x\n", SQUARE_TESTS["examples"])
    assert ran == 2
    assert [(f.selector, f.own, f.message) for f in failures] == [
        ("square", True, "square(3) should return 9, but it returned 6"),
        ("sum_of_squares", False, "sum_of_squares(2) should return 5, but it returned 6"),
    ]
    assert failures[0].to_dict() == {"selector": "square", "message": "square(3) should return 9, but it returned 6",
                                     "case": "square(3) -> 9"}


def test_a_removal_is_tried_on_the_callers_alone(awake_image):
    _install(awake_image)
    ran, failures = _tried(awake_image, "square", None, [])
    assert ran == 1 and [f.selector for f in failures] == ["sum_of_squares"]
    assert failures[0].message == "sum_of_squares(2) should return 5, but it raised AttributeError: object self has no slot 'square'"
    assert awake_image.read(lambda: "square" in awake_image.connection.root()["calc"].slots)

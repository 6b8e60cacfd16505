"""Questions and answers as data (bat_os.cognition.asking): reading an answer, the example it makes, who waits."""

from __future__ import annotations

import asyncio

import pytest

from bat_os.cognition import asking
from bat_os.errors import Answered, BadRequest, NotFound

ASKED = {"cycle": "c3", "id": "q1", "selector": "initials", "kind": "disagreement",
         "call": {"args": ["Ada King Lovelace"], "kwargs": {}, "slots": {"name": "genesis"}},
         "choices": [{"result": "AKL", "candidates": 3}, {"result": "AK", "slots": {"seen": 1}, "candidates": 2},
                     {"raises": "ValueError", "candidates": 1}]}


def test_the_four_forms_of_an_answer_and_the_examples_they_make():
    assert asking.read_answer(ASKED, {"choose": 1}) == {"choose": 1}
    assert asking.example_of(ASKED, {"choose": 1}) == {"args": ["Ada King Lovelace"], "kwargs": {}, "result": "AK", "slots": {"seen": 1}}
    assert asking.example_of(ASKED, {"choose": 2}) == {"args": ["Ada King Lovelace"], "kwargs": {}, "raises": "ValueError"}
    assert asking.read_answer(ASKED, {"result": "A.K.L.", "slots": {"seen": 2}}) == {"result": "A.K.L.", "slots": {"seen": 2}}
    assert asking.example_of(ASKED, {"result": "A.K.L."})["result"] == "A.K.L."
    assert asking.read_answer(ASKED, {"raises": "KeyError"}) == {"raises": "KeyError"}
    assert asking.read_answer(ASKED, {"skip": True}) == {"skip": True} and asking.example_of(ASKED, {"skip": True}) is None
    given = {**ASKED, "given": {"scores": []}}
    assert asking.example_of(given, {"choose": 0})["given"] == {"scores": []}  # a probe's slots: the example's too


@pytest.mark.parametrize("fields, says", [
    ({}, "one of 'choose'"), ({"choose": 0, "skip": True}, "one of 'choose'"), ({"choose": 3}, "0 to 2"),
    ({"choose": True}, "0 to 2"), ({"skip": False}, "must be true"), ({"raises": "no such"}, "exception's name"),
    ({"result": b"bytes"}, "plain data"), ({"result": float("nan")}, "plain data"), ({"result": "x" * 70000}, "bytes as JSON"),
    ({"result": 1, "slots": {"not a name": 1}}, "slot names"), ({"result": {1: 2}}, "plain data"),
])
def test_anything_else_is_refused_with_why(fields, says):
    with pytest.raises(BadRequest, match=says):
        asking.read_answer(ASKED, fields)


def test_an_answer_that_contradicts_the_persons_own_example_is_named():
    example = asking.example_of(ASKED, {"result": "AL"})
    assert asking.contradiction(example, [{"args": ["Ada King Lovelace"], "kwargs": {}, "result": "AKL"}]) is not None
    assert asking.contradiction(example, [{"args": ["Ada Lovelace"], "kwargs": {}, "result": "AL"}]) is None
    assert asking.contradiction(example, [{"args": ["Ada King Lovelace"], "kwargs": {}, "result": "AL"}]) is None


def test_waiting_hands_over_one_answer_and_times_out_as_skipped():
    async def main() -> None:
        waiting = asking.Waiting()
        with pytest.raises(NotFound):
            waiting.answer("c1", "q1", {"choose": 0})  # nobody waits
        task = asyncio.ensure_future(waiting.wait("c1", "q1", 5))
        await asyncio.sleep(0)
        assert waiting.waiting("c1", "q1")
        waiting.answer("c1", "q1", {"choose": 0})
        with pytest.raises(Answered):
            waiting.answer("c1", "q1", {"choose": 1})  # the first word stands
        assert await task == {"choose": 0} and not waiting.waiting("c1", "q1")
        assert await waiting.wait("c1", "q2", 0.01) is None

    asyncio.run(main())

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
    assert asking.examples_of(ASKED, {"choose": 1}) == [{"args": ["Ada King Lovelace"], "kwargs": {}, "result": "AK", "slots": {"seen": 1}}]
    assert asking.examples_of(ASKED, {"choose": 2}) == [{"args": ["Ada King Lovelace"], "kwargs": {}, "raises": "ValueError"}]
    assert asking.read_answer(ASKED, {"result": "A.K.L.", "slots": {"seen": 2}}) == {"result": "A.K.L.", "slots": {"seen": 2}}
    assert asking.examples_of(ASKED, {"result": "A.K.L."})[0]["result"] == "A.K.L."
    assert asking.read_answer(ASKED, {"raises": "KeyError"}) == {"raises": "KeyError"}
    assert asking.read_answer(ASKED, {"skip": True}) == {"skip": True} and asking.examples_of(ASKED, {"skip": True}) == []
    given = {**ASKED, "given": {"scores": []}}
    assert asking.examples_of(given, {"choose": 0})[0]["given"] == {"scores": []}  # a probe's slots: the example's too


CONFIRM = {"cycle": "c3", "id": "q2", "selector": "initials", "kind": "confirm",
           "call": {"args": ["Jane Smith"], "kwargs": {}, "slots": {}}, "choices": [{"result": "JS", "candidates": 2}],
           "also": [{"call": {"args": ["Turing Alan extra"], "kwargs": {}, "slots": {"seen": 0}}, "result": "TA",
                     "given": {"seen": 0}}]}


def test_a_confirm_of_two_calls_accepted_keeps_both_and_a_correction_of_the_second_says_the_first_was_right():
    assert asking.examples_of(CONFIRM, {"choose": 0}) == [
        {"args": ["Jane Smith"], "kwargs": {}, "result": "JS"},
        {"args": ["Turing Alan extra"], "kwargs": {}, "given": {"seen": 0}, "result": "TA"}]
    assert asking.read_answer(CONFIRM, {"result": "TAE", "at": 1}) == {"result": "TAE", "at": 1}
    assert asking.examples_of(CONFIRM, {"result": "TAE", "at": 1}) == [
        {"args": ["Jane Smith"], "kwargs": {}, "result": "JS"},
        {"args": ["Turing Alan extra"], "kwargs": {}, "given": {"seen": 0}, "result": "TAE"}]
    assert asking.read_answer(CONFIRM, {"raises": "ValueError", "at": 0}) == {"raises": "ValueError"}  # at 0: the first call
    assert asking.examples_of(CONFIRM, {"result": "J.S."}) == [{"args": ["Jane Smith"], "kwargs": {}, "result": "J.S."}]


@pytest.mark.parametrize("fields, says", [
    ({"result": "x", "at": 2}, "0 to 1"), ({"result": "x", "at": True}, "0 to 1"), ({"choose": 0, "at": 1}, "goes with"),
    ({"skip": True, "at": 1}, "goes with"),
])
def test_at_names_a_call_shown(fields, says):
    with pytest.raises(BadRequest, match=says):
        asking.read_answer(CONFIRM, fields)
    with pytest.raises(BadRequest):  # a question of one call has no other
        asking.read_answer(ASKED, {"result": "x", "at": 1})


def test_a_question_kept_before_two_calls_were_shown_still_gives_its_example():
    old = {**ASKED, "answer": {"choose": 0}, "by": "answer", "example": {"args": ["Ada King Lovelace"], "kwargs": {}, "result": "AKL"}}
    assert asking.kept(old) == [old["example"]]
    assert asking.kept({**ASKED, "examples": [{"args": [], "kwargs": {}, "result": 1}]}) == [{"args": [], "kwargs": {}, "result": 1}]
    assert asking.kept(ASKED) == []


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
    [example] = asking.examples_of(ASKED, {"result": "AL"})
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

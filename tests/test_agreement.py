"""When two candidates' records agree (bat_os.cognition.agreement.concur): the rules of its module docstring, one test
each, on plain records."""

import json

from bat_os.cognition.agreement import clusters, concur, raised


def _record(*answers, extra=None):
    return {"signature": [json.dumps(a) for a in answers], "outputs": [], **({"extra": extra} if extra else {})}


def test_alike_on_every_call_is_agreement_raises_and_all():
    a = _record(["value", 1], ["raised", "IndexError"], ["raised", "IndexError"], ["raised", "IndexError"])
    assert concur(a, dict(a))
    assert clusters([a, a, _record(["value", 2], *[["raised", "IndexError"]] * 3)], [0, 1, 2]) == [[0, 1], [2]]


def test_a_call_made_of_their_constants_answered_differently_splits_them():
    a = _record(["value", 1], ["value", 2], extra={"c1": '["value", 5]'})
    assert concur(a, _record(["value", 1], ["value", 2], extra={"c1": '["value", 5]'}))
    assert not concur(a, _record(["value", 1], ["value", 2], extra={"c1": '["value", 6]'}))
    assert concur(a, _record(["value", 1], ["value", 2], extra={"c1": '["raised", "ValueError"]'}))  # declined: no rival


def test_a_call_one_declined_is_no_rival_answer():
    # one refuses a zero (raises), the other answers it: a choice for the person, not another reading
    done = [["value", [2, 2, 3, 5]], ["value", [3, 5]], ["value", [2, 7]], ["value", []]]
    quick = _record(*done, ["value", []], ["value", [7]])
    assert concur(quick, _record(*done, ["raised", "ValueError"], ["value", [7]]))
    # ran past its CPU time, the calls after it not run: the same
    assert concur(quick, _record(*done, ["failed", ["cpu"]], ["failed", ["skipped"]]))
    assert raised('["raised", "ValueError"]') and not raised('["value", 1]')


def test_any_other_call_answered_differently_splits_them():
    assert not concur(_record(["value", 1], ["value", 2], ["value", 3]), _record(["value", 1], ["value", 2], ["value", 4]))
    assert not concur(_record(["value", None], ["value", 2]), _record(["value", 0], ["value", 2]))  # None is an answer
    assert not concur(_record(["value", 1]), _record(["value", 1], ["value", 2]))  # runs of other lengths


def test_they_must_answer_alike_on_half_the_calls_and_on_two():
    refusing = [["raised", "TypeError"]] * 6
    a = _record(["value", 1], *refusing, ["value", 2])
    b = _record(["value", 1], *[["raised", "ValueError"]] * 6, ["value", 2])
    assert not concur(a, b)  # alike on 2 of 8: a pair that declines nearly everything agrees on nothing
    assert concur(_record(["value", 1], ["value", 2], ["value", 3], ["raised", "TypeError"]),
                  _record(["value", 1], ["value", 2], ["value", 3], ["value", 4]))  # 3 of 4
    assert not concur(_record(["value", 1], ["raised", "KeyError"]), _record(["value", 1], ["value", 2]))  # 1: too few
    assert concur(_record(["value", 1]), _record(["value", 1]))  # a run of one call


def test_only_the_positions_named_are_compared():
    a = _record(["value", 1], ["value", 2], ["value", 3])
    b = _record(["value", 1], ["value", 9], ["value", 3])
    assert not concur(a, b)
    assert concur(a, b, frozenset({0, 2}))
    assert clusters([a, b], [0, 1], frozenset({0, 2})) == [[0, 1]]

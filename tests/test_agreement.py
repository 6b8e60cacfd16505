"""When two candidates' records agree: calls both refused as no input of theirs tell nothing either way."""

import json

from bat_os.cognition.agreement import clusters, concur, raised, silent_calls


def _record(*answers):
    return {"signature": [json.dumps(a) for a in answers], "outputs": []}


def test_calls_both_refuse_as_no_input_of_theirs_are_left_out_of_the_count():
    # json_sorted_keys (novel4, held out): the generated cases passed a dict for the text (TypeError), the probes texts
    # that are no JSON (JSONDecodeError, a ValueError); five right candidates answered the trial and one probe alike
    refusing = [["raised", "TypeError"]] * 4 + [["raised", "JSONDecodeError"]] * 4
    a = _record(["value", ["a", "b"]], *refusing, ["value", ["A", "B"]])
    b = _record(["value", ["a", "b"]], *refusing[:4], *[["raised", "ValueError"]] * 4, ["value", ["A", "B"]])
    assert concur(a, b)
    assert clusters([a, b, a], [0, 1, 2], frozenset()) == [[0, 1, 2]]
    other = _record(["value", ["b", "a"]], *refusing, ["value", ["B", "A"]])  # the keys unsorted: no agreement
    assert not concur(a, other)


def test_calls_both_got_wrong_otherwise_still_count():
    # an IndexError on an empty text may be the very call every candidate gets wrong: two alike of ten is too few
    slips = [["raised", "IndexError"]] * 8
    a = _record(["value", 1], *slips, ["value", 2])
    b = _record(["value", 1], *slips[:7], ["raised", "KeyError"], ["value", 2])
    assert not concur(a, b)
    assert concur(a, b, frozenset(range(1, 9)))  # unless every candidate ran out of the jail's means there
    assert concur(a, dict(a))  # alike on every call, raises and all: one answer, never a dispute


def test_silent_calls_are_those_past_the_jails_means_for_every_candidate():
    deep = ["raised", "RecursionError"]
    records = [_record(["value", 1], deep, ["value", 3]), _record(["value", 1], deep, ["raised", "IndexError"])]
    assert silent_calls(records, [0, 1]) == frozenset({1})
    assert silent_calls(records[:1], [0]) == frozenset()
    assert raised(json.dumps(deep)) and not raised(json.dumps(["value", 1]))


def test_a_call_past_its_cpu_time_gives_no_answer_to_disagree_with():
    # prime_factors (novel5): three right samples by trial division ran out of CPU time on a probe, the calls after it
    # not run; they answered every call before it as the greedy pair did
    done = [["value", [2, 2, 3, 5]], ["value", [3, 5]], ["value", [2, 7]], ["value", []]]
    quick = _record(*done, ["value", []], ["value", [7]], ["value", [2, 3]])
    slow = _record(*done, ["failed", ["cpu"]], ["failed", ["skipped"]], ["failed", ["skipped"]])
    assert concur(quick, slow)
    assert not concur(quick, _record(*done[:3], ["value", [1]], ["failed", ["cpu"]], ["failed", ["skipped"]], ["failed", ["skipped"]]))


def test_none_and_a_raise_are_both_no_answer():
    # price_of (the 51, recorded): asked for a fruit the prices slot lacks, three right candidates answered None and two
    # right ones raised KeyError or ValueError; they answered every price there was alike, on fewer than half the calls
    prices = [["value", 6.0], ["value", 6.0], ["value", 0.0], ["value", 14.0], ["value", -6.0], ["value", 6.0]]
    none = _record(*prices, *[["value", None]] * 8)
    assert concur(none, _record(*prices, *[["raised", "KeyError"]] * 8))
    assert concur(_record(*prices, *[["raised", "ValueError"]] * 8), none)
    assert not concur(none, _record(*prices, *[["value", 0]] * 8))  # 0 is an answer, and another one
    assert not concur(none, _record(*prices[:5], ["value", 7.0], *[["raised", "KeyError"]] * 8))  # a price told apart
    # a raise against an answer other than None still leaves too few calls answered alike
    assert not concur(_record(*prices, *[["value", "missing"]] * 8), _record(*prices, *[["raised", "KeyError"]] * 8))

"""The one decision (bat_os.cognition.judge.decide): install, ask, write another, or give up; and when two candidates
agree (concur), the rules of its docstring, one test each."""

from __future__ import annotations

import json

from bat_os.cognition.judge import decide as choosing
from bat_os.cognition.judge import questions as asking
from bat_os.cognition.judge.candidate import Candidate, assess
from bat_os.cognition.judge.decide import Board, Situation, clusters, concur, raised, split
from bat_os.cognition.trial.calls import condition_calls, labelled


def plan(trial: dict, examples: list[dict], generated: list[dict], probes: list[dict] | None = None) -> list[dict]:
    """A run's calls in the order trial.calls.planned lists them, each with its role."""
    cases = [{**trial, "role": "trial", "index": 0}, {**trial, "role": "trial", "index": 1}]
    cases += [{**e, "role": "example", "index": i} for i, e in enumerate(examples)]
    cases += [{**g, "role": "generated", "index": i} for i, g in enumerate(generated)]
    return cases + [{**p, "role": "probe", "index": i} for i, p in enumerate(probes or [])]


def decide(candidates: list[Candidate], *, final: bool = False, **situation) -> choosing.Decision:
    """The decision on ``candidates``; ``final``: no more candidates will be written."""
    return choosing.decide(candidates, Situation(written_out=final, **situation))

TRIAL = {"args": ["Ada King Lovelace"], "kwargs": {}}
CASES = [{"args": ["Grace Hopper"], "kwargs": {}, "result": "GH"}, {"args": ["Alan Mathison Turing"], "kwargs": {}, "result": "AMT"}]
PROBES = [{"args": [""], "kwargs": {}}]
AKL = "def initials(self, name):\n    return ''.join(w[0] for w in name.split()).upper()"
AKL_TOO = "def initials(self, name):\n    return ''.join([w[0].upper() for w in name.split()])"
AK = "def initials(self, name):\n    parts = name.split()\n    return (parts[0][0] + parts[1][0]).upper()"


def candidate(code: str, attempt: int, answers: list, examples: list | None = None, example_answers: list | None = None) -> Candidate:
    """The record of a candidate that answered the trial ``answers[0]`` (twice), the cases and the probe the rest."""
    cases = plan(TRIAL, examples or [], CASES, PROBES)
    outcomes = [{"value": answers[0]}] * 2 + [{"value": v} for v in (example_answers or [])] + [{"value": v} for v in answers[1:]]
    record = assess(cases, outcomes, lambda i, names: {}, "obj.initials")
    calls = [{"args": c["args"], "kwargs": c["kwargs"]} for c in cases if c["role"] in ("generated", "probe")]
    return Candidate.from_dict({**record, "code": code, "attempt": attempt, "calls": [TRIAL, *calls]})


def right(code: str = AKL, attempt: int = 1, **kw) -> Candidate:
    return candidate(code, attempt, ["AKL", "GH", "AMT", ""], **kw)


def short(code: str = AK, attempt: int = 1, **kw) -> Candidate:
    return candidate(code, attempt, ["AK", "GH", "AM", "IndexError"], **kw)


def test_nothing_eligible_writes_another_then_fails():
    refused = right().but(eligible=False)
    assert decide([refused]).action == choosing.MORE
    assert decide([refused], final=True).action == choosing.FAIL


def test_one_reading_alone_waits_for_company_and_is_shown_at_the_end_only_to_someone_listening():
    alone = [right()]
    assert decide(alone).action == choosing.MORE
    failed = decide(alone, final=True)
    assert failed.action == choosing.FAIL and not failed.disputed and "one reading" in failed.why
    shown = decide(alone, final=True, can_ask=True)
    assert shown.action == choosing.CONFIRM and shown.winner == 0
    assert decide(alone, final=True, can_ask=True, confirm="never").action == choosing.FAIL


def test_two_readings_that_agree_are_installed_and_one_text_in_both_voices_is_two():
    pair = [right(AKL, 1), right(AKL_TOO, 3)]
    installed = decide(pair)
    assert installed.action == choosing.INSTALL and installed.winner == 0 and installed.why == "candidate 1: 2 agree, none otherwise"
    assert decide([right(AKL, 1), right(AKL, 2)]).action == choosing.INSTALL  # the two voices met
    assert decide([right(AKL, 1), right(AKL, 3)]).action == choosing.MORE  # one voice sampled twice: one reading
    assert decide([right(AKL, 1), right(AKL, 3), right(AKL, 5)]).action == choosing.MORE  # three times: still one reading


def test_candidates_that_disagree_are_a_dispute_asked_about_the_call_that_splits_them():
    records = [right(AKL, 1), short(AK, 2), right(AKL_TOO, 3)]
    asked = decide(records, can_ask=True)
    assert asked.action == choosing.ASK and asked.disputed and asked.clusters == [[0, 2], [1]]
    question = asking.question("c1", 1, "initials", asked, {})
    # the trial splits them as well as any call, and comes first: the person's own call
    assert question["call"] == {"args": ["Ada King Lovelace"], "kwargs": {}, "slots": {}}
    assert question["choices"] == [{"result": "AKL", "candidates": 2}, {"result": "AK", "candidates": 1}]
    nobody = decide(records)
    assert nobody.action == choosing.MORE and nobody.disputed and nobody.split is not None
    unanswered = decide(records, final=True)
    assert unanswered.action == choosing.FAIL and unanswered.disputed  # never a guess between readings


def test_an_answer_is_an_example_every_candidate_is_held_to():
    answer = {"args": ["Ada King Lovelace"], "kwargs": {}, "result": "AKL"}
    records = [right(AKL, 1, examples=[answer], example_answers=["AKL"]), short(AK, 2, examples=[answer], example_answers=["AK"])]
    assert records[1].eligible is False and "example: obj.initials('Ada King Lovelace') should return 'AKL'" in records[1].failed[0]
    assert decide(records, answered=1, can_ask=True).action == choosing.MORE  # the answer picked it; company may still come
    assert decide(records, answered=1, final=True).action == choosing.INSTALL  # at the end, the person's answer stands


def test_a_confirm_shows_the_call_a_generated_case_doubts_or_else_the_one_with_most_to_it():
    pair = [short(AK, 1), short(AK + " ", 2)]  # fails the three-word case
    shown = decide(pair, can_ask=True)
    assert shown.action == choosing.CONFIRM and shown.split.call == {"args": ["Alan Mathison Turing"], "kwargs": {}}  # the case it fails
    question = asking.question("c1", 1, "initials", shown, {"name": "genesis"})
    assert question["kind"] == "confirm" and question["choices"] == [{"result": "AM", "candidates": 2}]
    assert question["call"]["slots"] == {"name": "genesis"}
    good = [right(AKL, 1), right(AKL_TOO, 2)]
    assert split(Board(good), [[0, 1]], confirming=0).call["args"] == ["Alan Mathison Turing"]  # no doubt: the longest call
    assert decide(good, can_ask=True, confirm="never").action == choosing.INSTALL


def test_a_confirm_shows_a_second_call_beside_the_first_the_next_of_its_order():
    pair = [short(AK, 1), short(AK + " ", 2)]
    shown = decide(pair, can_ask=True)
    # the doubted case first (Alan Mathison Turing), then the longest other call (Grace Hopper): never the trial again
    assert shown.split.call["args"] == ["Alan Mathison Turing"]
    assert shown.split.also == (({"args": ["Grace Hopper"], "kwargs": {}}, '["value", "GH"]'),)
    question = asking.question("c1", 1, "initials", shown, {})
    assert question["also"] == [{"call": {"args": ["Grace Hopper"], "kwargs": {}, "slots": {}}, "result": "GH"}]
    assert "also" not in asking.question("c1", 1, "initials", decide([right(AKL, 1), short(AK, 2)], can_ask=True),
                                         {})  # a dispute asks about one call


def test_examples_spare_the_confirm_unless_a_case_doubts_the_answer():
    example = {"args": ["Bo Li"], "kwargs": {}, "result": "BL"}
    good = [right(AKL, 1, examples=[example], example_answers=["BL"]), right(AKL_TOO, 2, examples=[example], example_answers=["BL"])]
    assert decide(good, examples=1, can_ask=True).action == choosing.INSTALL
    doubted = [short(AK, 1, examples=[example], example_answers=["BL"]), short(AK + " ", 2, examples=[example], example_answers=["BL"])]
    assert decide(doubted, examples=1, can_ask=True).action == choosing.CONFIRM
    assert decide(good, examples=1, can_ask=True, confirm="always").action == choosing.CONFIRM


def test_questions_used_up_by_disputes_leave_one_look_before_install_but_no_more_disputes():
    doubted = [short(AK, 1), short(AK + " ", 2)]  # two readings alike, a generated case doubts them, nobody confirmed
    assert decide(doubted, final=True).action == choosing.INSTALL  # nobody listens: as before
    look = decide(doubted, final=True, last_look=True)
    assert look.action == choosing.CONFIRM and look.winner == 0
    assert decide(doubted, final=True, last_look=True, confirm="never").action == choosing.INSTALL
    dispute = decide([right(), short()], answered=1, last_look=True)
    assert dispute.action == choosing.MORE and dispute.disputed  # a dispute is not asked past the questions


def test_with_nobody_to_ask_the_case_writer_must_agree_somewhere():
    none_passed = [candidate(AK, 1, ["AK", "G", "A", ""]), candidate(AK + " ", 2, ["AK", "G", "A", ""])]
    refused = decide(none_passed, final=True)
    assert refused.action == choosing.FAIL and refused.disputed and "pass none of the generated cases" in refused.why
    assert decide(none_passed, can_ask=True).action == choosing.CONFIRM  # someone can say
    assert decide(none_passed, examples=1).action == choosing.INSTALL  # the person's example held: it speaks louder


def test_with_nobody_to_ask_agreement_vouches_only_for_what_the_coverage_calls_ran():
    """A doubt of the one to install (coverage.doubts: a line no call ran, a crash at a boundary of its own) stops an
    install on agreement when nobody listens; someone listening, or a look left, is shown the method as before."""
    doubt = "no call runs its line 'back = price'"
    pair = [right(AKL, 1).but(doubts=(doubt,)), right(AKL_TOO, 3)]
    more = decide(pair)
    assert more.action == choosing.MORE and more.disputed and doubt in more.why
    assert decide(pair, final=True).action == choosing.FAIL
    assert decide(pair, can_ask=True).action == choosing.CONFIRM
    assert decide(pair, last_look=True, final=True).action == choosing.CONFIRM
    assert decide([right(AKL, 1), right(AKL_TOO, 3).but(doubts=(doubt,))]).action == choosing.INSTALL  # the winner's only
    assert Candidate.from_dict(pair[0].to_dict()).doubts == (doubt,) and Candidate.from_dict({"code": AKL}).doubts == ()


def test_two_examples_and_every_case_vouch_for_one_reading():
    examples = [{"args": ["Bo Li"], "kwargs": {}, "result": "BL"}, {"args": ["a b c"], "kwargs": {}, "result": "ABC"}]
    alone = [right(AKL, 1, examples=examples, example_answers=["BL", "ABC"])]
    assert decide(alone, examples=2).action == choosing.INSTALL
    assert decide(alone, examples=1).action == choosing.MORE


def test_a_clocks_answers_are_never_asked_about_but_its_value_is_shown_in_a_confirm():
    cases = plan({"args": [], "kwargs": {}}, [], [], [])
    clock = assess(cases, [{"value": "18:05:01"}] * 2, lambda i, n: {}, "f", varies=True)
    other = assess(cases, [{"value": 7}] * 2, lambda i, n: {}, "f", varies=True)
    records = [Candidate.from_dict({**clock, "code": "a", "attempt": 1, "calls": [{"args": [], "kwargs": {}}]}),
               Candidate.from_dict({**other, "code": "b", "attempt": 2, "calls": [{"args": [], "kwargs": {}}]})]
    assert decide(records, can_ask=True).action == choosing.MORE  # kinds differ, nothing to ask a person
    shown = decide(records[:1], final=True, can_ask=True)
    question = asking.question("c1", 1, "now", shown, {}, clock["trial_result"])
    assert question["choices"] == [{"result": "18:05:01", "candidates": 1, "varies": True}]
    assert asking.examples_of(question, {"choose": 0}) == []  # accepted: no exact time kept as a test


def test_score_is_readings_times_cases_passed_plus_one():
    records = [right(AKL, 1), right(AKL_TOO, 2), short(AK, 3)]
    assert choosing.score(records, [0, 1]) == 2 * (2 + 1) and choosing.score(records, [2]) == 1 * (1 + 1)


HOURS_TRIAL = {"args": ["13:15"], "kwargs": {}}
HOURS = "business hours start at 09:00, included, and end at 17:30, not included"
HOURS_CONDITIONS = [{"label": "business hours start at 09:00, included", "calls": [{"args": ["09:00"], "kwargs": {}}]},
                    {"label": "end at 17:30, not included", "calls": [{"args": ["17:30"], "kwargs": {}}]}]


def hours(code: str, attempt: int, answer) -> Candidate:
    """A real record of an is_business_hours candidate (``answer(hh, mm)``) over the trial and the calls the case
    writer wrote under each condition of the request, judged as VALIDATING judges it."""
    cases = plan(HOURS_TRIAL, [], [], condition_calls(HOURS_CONDITIONS, [HOURS_TRIAL]))
    outcomes = [{"value": answer(*map(int, c["args"][0].split(":")))} for c in cases]
    record = assess(cases, outcomes, lambda i, names: {}, "obj.is_business_hours")
    calls = [{k: c[k] for k in ("args", "kwargs") if k in c} for c in cases if c["role"] == "probe"]
    return Candidate.from_dict({**record, "code": code, "attempt": attempt, "calls": labelled([HOURS_TRIAL, *calls], HOURS_CONDITIONS)})


def test_a_look_before_install_shows_the_call_of_each_condition_the_request_states_where_a_misreading_shows():
    # the edges the request names in words ("end at 17:30, not included") are conditions: the case writer's call
    # under each is shown, labelled; the misreading (before 17:00) answers False at 17:30, the person says so
    def by_hour(h, m):
        return 9 <= h < 17

    labels = tuple(c["label"] for c in HOURS_CONDITIONS)
    misread = [hours("def is_business_hours(self, t): ...", 1, by_hour), hours("def is_business_hours(self, t):  ...", 2, by_hour)]
    shown = decide(misread, can_ask=True, conditions=labels, uncovered=labels)
    assert shown.action == choosing.CONFIRM
    question = asking.question("c1", 1, "is_business_hours", shown, {})
    assert [question["call"]["args"], question["also"][0]["call"]["args"]] == [["09:00"], ["17:30"]]
    assert question["also"][0]["condition"] == "end at 17:30, not included" and question["also"][0]["result"] is False
    # both settled by the person: installed, with nobody to ask no call other than these can stop it
    assert decide(misread, can_ask=True, answered=2, conditions=labels, uncovered=()).action == choosing.INSTALL


def test_in_a_dispute_a_candidate_answering_by_kind_only_stands_aside_and_the_others_are_asked_about():
    cases = plan({"args": ["2024-05-01"], "kwargs": {}}, [], [], [{"args": ["2024-01-01"], "kwargs": {}}])
    clock = assess(cases, [{"value": ["A"]}] * 3, lambda i, n: {}, "f", varies=True)  # reads the clock: kinds only
    keeps = assess(cases, [{"value": ["A"]}] * 2 + [{"value": []}], lambda i, n: {}, "f")
    removes = assess(cases, [{"value": ["A", "B"]}] * 2 + [{"value": []}], lambda i, n: {}, "f")
    calls = [{"args": ["2024-05-01"], "kwargs": {}}, {"args": ["2024-01-01"], "kwargs": {}}]
    records = [Candidate.from_dict({**r, "code": c, "attempt": i + 1, "calls": calls})
               for i, (r, c) in enumerate([(clock, "a"), (keeps, "b"), (removes, "c")])]
    asked = decide(records, can_ask=True)
    assert asked.action == choosing.ASK and asked.split.call == calls[0]
    assert sorted(asked.split.answers.values()) == [[1], [2]]  # the clock's kind is no choice
    question = asking.question("c1", 1, "expire", asked, {})
    assert sorted(c["result"] for c in question["choices"]) == [["A"], ["A", "B"]]


def _record(*answers, extra=None, calls=()):
    pairs = tuple(({"args": [name], "kwargs": {}}, answer) for name, answer in (extra or {}).items())
    return Candidate(signature=tuple(json.dumps(a) for a in answers), extra=pairs, calls=tuple(calls))


def test_alike_on_every_call_is_agreement_raises_and_all():
    a = _record(["value", 1], ["raised", "IndexError"], ["raised", "IndexError"], ["raised", "IndexError"])
    assert concur(a, a.but())
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


def test_only_the_calls_of_the_origins_named_are_compared():
    calls = [{"args": [1], "kwargs": {}}, {"args": [2], "kwargs": {}}, {"args": [3], "kwargs": {}, "condition": "odd"}]
    a = _record(["value", 1], ["value", 2], ["value", 3], calls=calls, extra={"c": '["value", 5]'})
    b = _record(["value", 1], ["value", 9], ["value", 3], calls=calls, extra={"c": '["value", 6]'})
    assert not concur(a, b)
    assert concur(a, b, frozenset({"trial", "condition"}))  # the trial and the condition's call; not a constant's
    assert clusters([a, b], [0, 1], frozenset({"trial", "condition"})) == [[0, 1]]


# --- coverage calls (bat_os.cognition.trial.coverage): a boundary, a path, a value named, an edge ---------------------
def covered(record: Candidate, *answers: tuple[dict, str]) -> Candidate:
    """``record`` with its answers to coverage calls (``(call, answer)``; the call carries why it was chosen)."""
    return record.but(extra=(*record.extra, *answers))


EMPTY = {"args": [" "], "kwargs": {}, "coverage": "a path of its code none of your answers took", "unsupported": True}
EDGE = {"args": ["ADA"], "kwargs": {}, "coverage": "an edge (arg 1 = \"ADA\")", "unsupported": False}


def test_a_coverage_call_answered_otherwise_splits_two_readings_even_with_nobody_to_ask():
    """Nobody to ask and a condition stated: only the trial and the conditions' calls split readings, and the coverage
    calls of the one to install, where a raise is an answer like any other."""
    pair = [right(AKL, 1), right(AKL_TOO, 2)]
    stated = {"conditions": ("the initials",)}
    assert decide(pair, **stated).action == choosing.INSTALL
    apart = [covered(pair[0], (EMPTY, '["value", ""]')), covered(pair[1], (EMPTY, '["raised", "IndexError"]'))]
    refused = decide(apart, final=True, **stated)
    assert refused.action == choosing.FAIL and refused.disputed and refused.clusters == [[0], [1]]
    alike = [covered(pair[0], (EMPTY, '["value", ""]')), covered(pair[1], (EMPTY, '["value", ""]'))]
    assert decide(alike, **stated).action == choosing.INSTALL
    timed_out = [covered(pair[0], (EMPTY, '["value", ""]')), covered(pair[1], (EMPTY, '["failed", ["cpu"]]'))]
    assert decide(timed_out, **stated).action == choosing.INSTALL  # a run cut short is no answer


def test_a_look_before_install_shows_first_the_coverage_calls_nothing_the_person_said_supports():
    pair = [covered(right(AKL, 1), (EDGE, '["value", "A"]'), (EMPTY, '["value", ""]')),
            covered(right(AKL_TOO, 2), (EDGE, '["value", "A"]'), (EMPTY, '["value", ""]'))]
    shown = decide(pair, can_ask=True)
    assert shown.action == choosing.CONFIRM and shown.split.call["args"] == [" "]
    assert shown.split.call["coverage"] == EMPTY["coverage"] and "unsupported" not in shown.split.call
    # then the call with the most to it (the method's main work), before any plain edge
    assert [call["args"] for call, _answer in shown.split.also] == [["Alan Mathison Turing"]]
    question = asking.question("c1", 1, "initials", shown, {})
    assert question["coverage"] == EMPTY["coverage"] and question["call"]["args"] == [" "]
    supported = [c.but(extra=tuple((dict(call, unsupported=False), a) for call, a in c.extra)) for c in pair]
    assert decide(supported, can_ask=True, examples=1).action == choosing.INSTALL  # nothing left unsupported


def test_a_look_before_install_shows_one_raise_and_fills_the_rest_with_answers():
    """Refusals are cheap to agree on and say little of what the method computes (a confirm of four raises was
    accepted and its method answered wrong elsewhere): of the calls where it raises, one is shown."""
    guards = [{"args": [arg], "kwargs": {}, "coverage": f"a value the request names (arg 1 = {arg!r})", "unsupported": True}
              for arg in ("", "-", "0")]
    answering = {"args": ["Ada Lovelace"], "kwargs": {}, "coverage": "an edge (arg 1 = two words)", "unsupported": True}
    pair = [covered(right(code, n), *[(g, '["raised", "ValueError"]') for g in guards], (answering, '["value", "AL"]'))
            for n, code in ((1, AKL), (2, AKL_TOO))]
    shown = decide(pair, can_ask=True)
    assert shown.action == choosing.CONFIRM
    calls = [shown.split.call, *(call for call, _answer in shown.split.also)]
    raising = [c for c in calls if c["args"] in (["",], ["-"], ["0"])]
    assert len(raising) == 1 and answering["args"] in [c["args"] for c in calls], calls


def test_a_look_shows_one_raise_of_each_error_a_crash_beside_a_refusal():
    """Past one refusal, a call where the method crashes with another error (a KeyError where the request says the
    name is matched ignoring case) is what the person must see: one raise of each error is shown."""
    guards = [{"args": [arg], "kwargs": {}, "coverage": f"a value the request names (arg 1 = {arg!r})", "unsupported": True}
              for arg in ("", "-")]
    crash = {"args": ["ADA LOVELACE"], "kwargs": {}, "coverage": "an edge the request speaks of, case", "unsupported": True}
    pair = [covered(right(code, n), *[(g, '["raised", "ValueError"]') for g in guards], (crash, '["raised", "KeyError"]'))
            for n, code in ((1, AKL), (2, AKL_TOO))]
    shown = decide(pair, can_ask=True)
    calls = [shown.split.call, *(call for call, _answer in shown.split.also)]
    assert crash["args"] in [c["args"] for c in calls] and len([c for c in calls if c["args"] in ([""], ["-"])]) == 1, calls


def test_a_look_keeps_what_it_has_no_room_for_for_a_second_look():
    """Past :data:`SHOWN` calls, the unsupported coverage calls and the open conditions' calls a look has no room for
    are its ``rest``: a second look, in the same order, the look's own calls never among them."""
    paths = [{"args": [word], "kwargs": {}, "coverage": f"a path of its code none of your answers took ({word})",
              "unsupported": True} for word in ("a b", "c d", "e f", "g h", "i j", "k l")]
    pair = [covered(right(code, n), *[(p, f'["value", "{p["args"][0][0].upper()}"]') for p in paths])
            for n, code in ((1, AKL), (2, AKL_TOO))]
    shown = decide(pair, can_ask=True)
    assert shown.action == choosing.CONFIRM
    seen = [shown.split.call["args"], *(call["args"] for call, _answer in shown.split.also)]
    second = shown.split.rest
    assert len(seen) == choosing.SHOWN and seen == [p["args"] for p in paths[:4]]
    assert [second.call["args"], *(call["args"] for call, _answer in second.also)] == [p["args"] for p in paths[4:]]
    assert second.answers == {'["value", "I"]': [0, 1]} and second.also[0][1] == '["value", "K"]' and second.rest is None
    few = [covered(right(code, n), *[(p, '["value", "X"]') for p in paths[:2]]) for n, code in ((1, AKL), (2, AKL_TOO))]
    assert decide(few, can_ask=True).split.rest is None  # room for every call that matters: no second look

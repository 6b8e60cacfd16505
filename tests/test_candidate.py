"""A candidate (bat_os.cognition.judge.candidate): its verdict from one run (assess), its refusals, its answers by
call, its reading of the request, and whether its source reads the clock.

Which candidate to install is bat_os.cognition.judge.decide's: tests/test_decide.py."""

from __future__ import annotations

from bat_os.cognition.judge.candidate import Candidate, assess, reads_clock, repeats
from bat_os.cognition.judge.cases import output_key
from bat_os.cognition.judge.decide import concur


def plan(trial: dict, examples: list[dict], generated: list[dict], probes: list[dict] | None = None) -> list[dict]:
    """A run's calls in the order trial.calls.planned lists them, each with its role."""
    cases = [{**trial, "role": "trial", "index": 0}, {**trial, "role": "trial", "index": 1}]
    cases += [{**e, "role": "example", "index": i} for i, e in enumerate(examples)]
    cases += [{**g, "role": "generated", "index": i} for i, g in enumerate(generated)]
    return cases + [{**p, "role": "probe", "index": i} for i, p in enumerate(probes or [])]

GENERATED = [{"args": [2], "kwargs": {}, "result": 4}, {"args": [3], "kwargs": {}, "result": 7}]  # the second is wrong
PROBES = [{"args": [0], "kwargs": {}}]


def record(outputs: list, probe: object = 0, *, eligible: bool = True, trial2: object = None) -> Candidate:
    """A candidate that answered the trial ``outputs[0]`` (twice, or ``trial2`` the second time), the generated cases the rest."""
    cases = plan({"args": [1], "kwargs": {}}, [], GENERATED, PROBES)
    second = outputs[0] if trial2 is None else trial2
    outcomes = [{"value": outputs[0]}, {"value": second}] + [{"value": v} for v in outputs[1:]] + [{"value": probe}]
    found = assess(cases, outcomes, lambda i, names: {}, "f")
    return Candidate.from_dict({**found, "eligible": found["eligible"] and eligible})


def test_assess_separates_the_users_word_from_the_generated_cases_and_the_probes():
    cases = plan({"args": [1], "kwargs": {}}, [{"args": [5], "kwargs": {}, "result": 10}], GENERATED, PROBES)
    assert [c["role"] for c in cases] == ["trial", "trial", "example", "generated", "generated", "probe"]
    got = assess(cases, [{"value": 2}, {"value": 2}, {"value": 11}, {"value": 4}, {"value": 6}, {"value": 0}], lambda i, n: {}, "f")
    assert got["eligible"] is False and got["failed"] == ["example: f(5) should return 10, but it returned 11"]
    assert got["passes"] == [True, False] and got["trial_result"] == 2
    assert got["signature"] == [output_key({"value": 2}), output_key({"value": 4}), output_key({"value": 6}), output_key({"value": 0})]
    raised = assess(cases, [{"raised": "ValueError", "message": "x"}] * 2 + [{"value": 10}, {"value": 4}, {"value": 6}, {"value": 0}],
                    lambda i, n: {}, "f")
    assert raised["failed"] == ["trial: f(1) should not raise, but it raised ValueError: x"]


def test_a_trial_answered_differently_twice_is_compared_by_kind_only():
    clock1, clock2 = record(["12:00:01", 4, 7], trial2="12:00:02"), record(["12:00:05", 4, 7], trial2="12:00:06")
    assert clock1.deterministic is False and clock1.signature == clock2.signature


def test_output_keys_group_equal_answers():
    assert output_key({"value": 0.1 + 0.2}) == output_key({"value": 0.3})
    assert output_key({"raised": "KeyError", "message": "a"}) == output_key({"raised": "KeyError", "message": "b"})
    assert output_key({"value": 1}) != output_key({"value": 1}, {"n": 2})


def test_a_candidate_that_answers_alike_for_every_probe_is_kept_its_source_says_if_it_reads_its_argument():
    # extract_numbers finding no number in any probe: alike answers are not proof of an unused argument
    # (bat_os.cognition.lint.unused_parameters reads that from the source)
    from bat_os.cognition.trial.calls import probes

    calls = probes(["a1b22"], {}, [])
    cases = plan({"args": ["a1b22"], "kwargs": {}}, [], [], calls)
    record = assess(cases, [{"value": []}] * (2 + len(calls)), lambda i, n: {}, "obj.extract_numbers")
    assert record["eligible"] is True


def test_an_answer_of_none_is_judged_by_the_cases_and_agreement_not_refused_by_itself():
    """None for every call, nothing written (a method that printed its answer): no rule refuses it by itself (replaying
    every recorded run without that rule changed no outcome); the person's examples and the cases judge it."""
    from bat_os.cognition.trial.calls import probes

    calls = probes(["b"], {}, [])
    cases = plan({"args": ["b"], "kwargs": {}}, [], [], calls)
    assert assess(cases, [{"value": None}] * (2 + len(calls)), lambda i, n: {}, "obj.report")["eligible"] is True
    told = plan({"args": ["b"], "kwargs": {}}, [{"args": ["c"], "kwargs": {}, "result": 1}], [], calls)
    printing = assess(told, [{"value": None}] * (3 + len(calls)), lambda i, n: {}, "obj.report")
    assert printing["eligible"] is False and printing["failed"] == ["example: obj.report('c') should return 1, but it returned None"]


def test_candidates_agree_when_one_declines_a_call_the_other_answers():
    # one raises for a zero, the other for a negative; on everything else they answer alike
    base = ['["value", 6]', '["value", 1]', '["value", 4]', '["value", 3]']
    zero = Candidate(eligible=True, signature=(*base, '["raised", "ValueError"]', '["value", 3]'))
    negative = Candidate(eligible=True, signature=(*base, '["value", 7]', '["raised", "ValueError"]'))
    other = Candidate(eligible=True, signature=(*base[:3], '["value", 9]', '["value", 7]', '["value", 3]'))
    assert concur(zero, negative) and concur(negative, zero)
    assert not concur(zero, other)
    # declining nearly everything is not agreement
    shy = Candidate(eligible=True, signature=(base[0], *['["raised", "ValueError"]'] * 5))
    assert not concur(shy, zero)


def test_an_exact_answer_to_a_call_that_answers_differently_each_time_counts_as_its_kind():
    generated = [{"args": [], "kwargs": {}, "result": "2023-04-01 12:34:56"}]  # a model's guess at the clock
    cases = plan({"args": [], "kwargs": {}}, [], generated, [])
    clock = assess(cases, [{"value": "10:00:01"}, {"value": "10:00:02"}, {"value": "10:00:03"}], lambda i, n: {}, "f")
    assert clock["passes"] == [True] and clock["deterministic"] is False
    fixed = assess(cases, [{"value": "10:00"}, {"value": "10:00"}, {"value": "10:00"}], lambda i, n: {}, "f")
    assert fixed["passes"] == [False]  # a call that answers alike is held to the exact answer


def test_a_candidate_that_reads_the_clock_is_compared_by_the_kind_of_its_answers():
    """Two right clocks read a second apart, or within the same second, agree; a made-up time does not."""
    cases = plan({"args": [], "kwargs": {}}, [], [], [])
    first = assess(cases, [{"value": "18:05:01"}, {"value": "18:05:01"}], lambda i, n: {}, "f", varies=True)
    later = assess(cases, [{"value": "18:05:09"}, {"value": "18:05:09"}], lambda i, n: {}, "f", varies=True)
    fixed = assess(cases, [{"value": "12:00:00"}, {"value": "12:00:00"}], lambda i, n: {}, "f")
    assert first["deterministic"] is False and first["signature"] == later["signature"] != fixed["signature"]


def test_clocks_agree_on_the_kind_of_every_answer_generated_cases_and_probes_too():
    """The README's method: a generated case of the trial's own call and a probe, answered by two clocks read
    a moment apart (the case kept as a check of the answer's kind), agree; their texts did not."""
    cases = plan({"args": [], "kwargs": {}}, [], [{"args": [], "kwargs": {}, "result": "genesis"}], [{"args": [], "kwargs": {}}])
    one = assess(cases, [{"value": "It is 07:40:01.5"}] * 2 + [{"value": "It is 07:40:01.9"}, {"value": "It is 07:40:02.0"}],
                 lambda i, n: {}, "f", varies=True)
    two = assess(cases, [{"value": "2026-11-24 07:40:03"}] * 2 + [{"value": "2026-11-24 07:40:04"}] * 2,
                 lambda i, n: {}, "f", varies=True)
    assert one["passes"] == two["passes"] == [True] and one["signature"] == two["signature"]
    number = assess(cases, [{"value": 1732433043.5}] * 2 + [{"value": 1732433044.1}] * 2, lambda i, n: {}, "f", varies=True)
    assert number["signature"] != one["signature"]  # another kind of answer: no agreement


def test_answers_to_the_calls_of_their_constants_can_only_split_candidates():
    short, full = record([2, 4, 7]), record([2, 4, 7])
    assert concur(short, full)
    hundred, four_hundred = {"args": [100], "kwargs": {}}, {"args": [400], "kwargs": {}}
    short, full = short.but(extra=((hundred, output_key({"value": True})),)), full.but(extra=((hundred, output_key({"value": False})),))
    assert not concur(short, full)  # is_leap(100) tells them apart
    assert short.answer(hundred) == output_key({"value": True}) and short.answer(four_hundred) is None
    full = full.but(extra=((hundred, output_key({"raised": "ValueError"})),))  # declined: no split
    assert concur(short, full)
    full = full.but(extra=((four_hundred, output_key({"value": False})),))  # not asked of both: nothing to compare
    assert concur(short, full)


def test_a_candidate_that_answers_its_argument_unchanged_on_every_call_is_refused():
    # a small model's format_date, sampled from both wordings: every date answered as it came
    from bat_os.cognition.trial.calls import probes

    calls = probes(["2024-03-15"], {}, [])
    cases = plan({"args": ["2024-03-15"], "kwargs": {}}, [], [], calls)
    same = assess(cases, [{"value": c["args"][0]} for c in cases], lambda i, n: {}, "obj.format_date")
    assert same["eligible"] is False
    assert same["failed"] == ["trial: obj.format_date('2024-03-15') answered its argument 1 unchanged, and so did every "
                              "other call it answered: a method must do what was asked"]
    formatted = assess(cases, [{"value": "/".join(reversed(c["args"][0].split("-")))} for c in cases], lambda i, n: {}, "obj.format_date")
    assert formatted["eligible"] is True
    # clamp answers one of its arguments every time, but not the same one: it does something
    clamps = probes([15, 0, 10], {}, [])
    clamp_cases = plan({"args": [15, 0, 10], "kwargs": {}}, [], [], clamps)
    answers = [{"value": max(c["args"][1], min(c["args"][0], c["args"][2]))} for c in clamp_cases]
    assert assess(clamp_cases, answers, lambda i, n: {}, "obj.clamp")["eligible"] is True
    # the user's example says the answer is the argument: so be it
    told = plan({"args": ["2024-03-15"], "kwargs": {}}, [{"args": ["2000-01-01"], "kwargs": {}, "result": "2000-01-01"}], [], calls)
    assert assess(told, [{"value": c["args"][0]} for c in told], lambda i, n: {}, "obj.iso_date")["eligible"] is True


def test_an_answer_that_stays_the_same_whatever_a_slot_holds_is_not_refused_for_it():
    """"set this object's counter slot to 0 and return 0" answers 0 whatever the slot held: the refusal of such
    answers went with issue 64 (it refused right methods; the coverage calls meet the slot's data instead)."""
    given = [{"args": [], "kwargs": {}, "given": {"count": n}} for n in (5, 7, -3)]
    cases = plan({"args": [], "kwargs": {}}, [], [], given)
    verdict = assess(cases, [{"value": 0}] * len(cases), lambda i, n: {}, "obj.reset_count", writes=lambda i: {"count": 0})
    assert verdict["eligible"] is True and verdict["failed"] == []
    assert verdict["signature"] == ['["value", 0, {"count": 0}]'] * 4

def test_a_candidate_is_kept_as_plain_data_and_read_back_also_as_earlier_code_kept_it():
    made = record([2, 4, 7]).but(attempt=3, code="def f(self, x):\n    return x + 1\n", voice=0,
                                  extra=(({"args": [100], "kwargs": {}}, output_key({"value": True})),))
    assert Candidate.from_dict(made.to_dict()) == made
    old = {"attempt": 2, "code": "x", "eligible": True, "signature": ['["value", 1]'], "outputs": [], "passes": [True],
           "extra": {"[[100], {}]": output_key({"value": False})}, "planned": "a key of no candidate"}
    read = Candidate.from_dict(old)
    assert read.passes == (True,) and read.answer({"args": [100], "kwargs": {}}) == output_key({"value": False})
    assert read.answer({"position": 0}) == '["value", 1]' and read.voice_of() == 1


def test_layout_comments_and_docstrings_aside_one_text_is_one_source_in_either_voice():
    a = "def f(self, x):\n    return x + 1\n"
    a_again = 'def f(self, x):\n    """Add one."""\n    # the same, commented\n    return  x+1\n'
    first, second, third = Candidate(code=a, attempt=1), Candidate(code=a_again, attempt=2), Candidate(code=a_again, attempt=3)
    assert [c.reading(i).partition(":")[2] for i, c in enumerate((first, second, third))] == [first.reading(0).partition(":")[2]] * 3
    assert first.reading(0) != second.reading(1)  # the two voices: two readings that met
    assert first.reading(0) == third.reading(2)  # one voice twice: one reading sampled twice
    # the voice the cycle recorded counts, not the attempt's parity (a candidate not written by the cycle's turns)
    assert Candidate(code=a, attempt=2, voice=0).reading(1) == first.reading(0)
    # a record that says no attempt, or code that does not parse, is a reading of its own
    assert Candidate(code="def f(:", attempt=1).reading(4) == "#4" and Candidate().reading(5) == "#5"
    assert [Candidate(attempt=n).voice_of() for n in (1, 2, 3, 4)] == [0, 1, 0, 1] and Candidate().voice_of() is None


def test_repeats_counts_the_candidates_that_came_back_to_an_earlier_source():
    a = "def f(self, x):\n    return x + 1\n"
    a_again = 'def f(self, x):\n    """Add one."""\n    # the same, commented\n    return x + 1\n'
    b = "def f(self, x):\n    return x + 2\n"
    written = [Candidate(code=a, attempt=1), Candidate(code=a_again, attempt=2), Candidate(code=b, attempt=3),
               Candidate(code="def f(:", attempt=4), Candidate(code="def f(:", attempt=5), Candidate(code=b, attempt=6)]
    assert repeats(written) == 2  # a in the other voice, b sampled again; code that does not parse counts for none
    assert repeats([]) == 0 and repeats(written[:1]) == 0


def test_the_clock_and_chance_are_read_from_the_source():
    assert reads_clock("def f(self):\n    from datetime import datetime\n    return datetime.now().strftime('%H:%M')\n", "f")
    assert reads_clock("def f(self):\n    import datetime\n    return str(datetime.date.today())\n", "f")
    assert reads_clock("def f(self):\n    import time\n    return time.strftime('%H:%M')\n", "f")  # no time given: now
    assert reads_clock("def f(self, xs):\n    import random\n    return random.choice(xs)\n", "f")
    assert not reads_clock("def f(self, moment):\n    return moment.time()\n", "f")  # a part of what it was given
    assert not reads_clock("def f(self, t):\n    import time\n    return time.strftime('%H', t)\n", "f")
    assert not reads_clock("def f(self):\n    return self.name\n", "f") and not reads_clock("def f(self:\n", "f")

"""Which candidate to install (bat_os.cognition.selection): the trial, the examples, and agreement."""

from __future__ import annotations

from bat_os.cognition.selection import assess, choose, concur, output_key, plan

GENERATED = [{"args": [2], "kwargs": {}, "result": 4}, {"args": [3], "kwargs": {}, "result": 7}]  # the second is wrong
PROBES = [{"args": [0], "kwargs": {}}]


def record(outputs: list, probe: object = 0, *, eligible: bool = True, trial2: object = None) -> dict:
    """A candidate that answered the trial ``outputs[0]`` (twice, or ``trial2`` the second time), the generated cases the rest."""
    cases = plan({"args": [1], "kwargs": {}}, [], GENERATED, PROBES)
    second = outputs[0] if trial2 is None else trial2
    outcomes = [{"value": outputs[0]}, {"value": second}] + [{"value": v} for v in outputs[1:]] + [{"value": probe}]
    found = assess(cases, outcomes, lambda i, names: {}, "f")
    found["eligible"] = found["eligible"] and eligible
    return found


def test_assess_separates_the_users_word_from_the_generated_cases_and_the_probes():
    cases = plan({"args": [1], "kwargs": {}}, [{"args": [5], "kwargs": {}, "result": 10}], GENERATED, PROBES)
    assert [c["role"] for c in cases] == ["trial", "trial", "example", "generated", "generated", "probe"]
    got = assess(cases, [{"value": 2}, {"value": 2}, {"value": 11}, {"value": 4}, {"value": 6}, {"value": 0}], lambda i, n: {}, "f")
    assert got["eligible"] is False and got["failed"] == ["example: f(5) should return 10, but it returned 11"]
    assert got["passes"] == [True, False] and got["trial_result"] == 2 and got["evidence"] == 1
    assert got["signature"] == [output_key({"value": 2}), output_key({"value": 4}), output_key({"value": 6}), output_key({"value": 0})]
    raised = assess(cases, [{"raised": "ValueError", "message": "x"}] * 2 + [{"value": 10}, {"value": 4}, {"value": 6}, {"value": 0}],
                    lambda i, n: {}, "f")
    assert raised["failed"] == ["trial: f(1) should not raise, but it raised ValueError: x"]


def test_a_trial_answered_differently_twice_is_compared_by_kind_only():
    clock1, clock2 = record(["12:00:01", 4, 7], trial2="12:00:02"), record(["12:00:05", 4, 7], trial2="12:00:06")
    assert clock1["deterministic"] is False and clock1["signature"] == clock2["signature"]
    assert choose([clock1, clock2], GENERATED, "f")[0] == 0


def test_a_lone_candidate_is_not_installed_however_well_it_does():
    alone = record([2, 4, 7])
    assert choose([alone], GENERATED, "f") == (None, [], "no two of 1 eligible candidate(s) agree yet")
    assert choose([alone], GENERATED, "f", trusted=True)[0] == 0  # two examples from the user: at once
    assert choose([alone], GENERATED, "f", lone="evidence")[0] == 0  # the last attempt: it gave exact answers
    assert choose([alone], GENERATED, "f", lone="any")[0] == 0  # the model cannot write another
    typed = record([2, 4, 7])
    typed["evidence"] = 0
    assert choose([typed], GENERATED, "f", lone="evidence")[0] is None  # nothing exact was checked


def test_two_agreeing_candidates_win_and_outvote_a_wrong_case_they_both_fail():
    assert choose([record([2, 4, 7]), record([2, 4, 7])], GENERATED, "f")[:2] == (0, [])
    winner, discarded, _why = choose([record([2, 4, 6]), record([2, 4, 6])], GENERATED, "f")
    assert winner == 0 and [d["case"] for d in discarded] == [GENERATED[1]]
    assert discarded[0]["reason"] == "2 agreeing candidates answered 6; 0 passed it"


def test_disagreeing_candidates_and_refused_ones_give_no_winner():
    assert choose([record([2, 4, 6]), record([2, 4, 6], probe=1)], GENERATED, "f")[0] is None  # a probe tells them apart
    assert choose([record([2, 4, 6]), record([2, 4, 6], eligible=False)], GENERATED, "f")[0] is None
    # two agree on 6 but two others agree on 7 and pass the case: those win
    records = [record([2, 4, 6]), record([2, 4, 6]), record([2, 4, 7]), record([2, 4, 7])]
    assert choose(records, GENERATED, "f")[0] == 2


def test_output_keys_group_equal_answers():
    assert output_key({"value": 0.1 + 0.2}) == output_key({"value": 0.3})
    assert output_key({"raised": "KeyError", "message": "a"}) == output_key({"raised": "KeyError", "message": "b"})
    assert output_key({"value": 1}) != output_key({"value": 1}, {"n": 2})


def test_agreement_never_outvotes_most_of_the_cases():
    generated = [{"args": [i], "kwargs": {}, "result": i + 1} for i in range(3)]
    cases = plan({"args": [9], "kwargs": {}}, [], generated, [])

    def wrong() -> dict:  # answers i, not i + 1, everywhere: two of them agree, and fail every case
        return assess(cases, [{"value": 9}, {"value": 9}] + [{"value": i} for i in range(3)], lambda i, n: {}, "f")

    winner, _discarded, why = choose([wrong(), wrong()], generated, "f")
    assert winner is None and "agree but fail 3 of 3 generated cases" in why
    winner, discarded, _why = choose([wrong(), wrong(), wrong()], generated, "f")  # three agreeing: the cases lose
    assert winner == 0 and len(discarded) == 3


def test_two_that_answered_both_wordings_of_the_request_may_outvote_most_of_the_cases():
    generated = [{"args": [i], "kwargs": {}, "result": i + 1} for i in range(3)]  # the cases are wrong: f(i) is i
    cases = plan({"args": [9], "kwargs": {}}, [], generated, [])

    def written(attempt: int, code: str) -> dict:
        found = assess(cases, [{"value": 9}, {"value": 9}] + [{"value": i} for i in range(3)], lambda i, n: {}, "f")
        return {**found, "attempt": attempt, "code": code}

    first, second = "def f(self, x):\n    return x\n", "def f(self, n):\n    return n\n"
    # attempts 1 and 3 answer the same wording: a shared misreading is likelier than three wrong cases
    winner, _discarded, why = choose([written(1, first), {"attempt": 2, "eligible": False}, written(3, second)], generated, "f")
    assert winner is None and "both answer one wording of the request" in why
    # attempts 1 and 2 answer the two wordings: read apart, they agree, and the cases are discarded
    winner, discarded, why = choose([written(1, first), written(2, second)], generated, "f")
    assert winner == 0 and [d["case"] for d in discarded] == generated
    assert "2 of 2 eligible candidates agree" in why


def test_a_candidate_that_answers_alike_for_every_probe_is_kept_its_source_says_if_it_reads_its_argument():
    # extract_numbers finding no number in any probe: alike answers are not proof of an unused argument
    # (bat_os.cognition.lint.unused_parameters reads that from the source)
    from bat_os.cognition.probes import probes

    calls = probes(["a1b22"], {}, [])
    cases = plan({"args": ["a1b22"], "kwargs": {}}, [], [], calls)
    record = assess(cases, [{"value": []}] * (2 + len(calls)), lambda i, n: {}, "obj.extract_numbers")
    assert record["eligible"] is True


def test_a_candidate_that_returns_none_and_changes_nothing_is_refused():
    from bat_os.cognition.probes import probes

    calls = probes(["b"], {}, [])
    cases = plan({"args": ["b"], "kwargs": {}}, [], [], calls)
    printing = assess(cases, [{"value": None}] * (2 + len(calls)), lambda i, n: {}, "obj.report")
    assert printing["eligible"] is False
    assert printing["failed"] == ["trial: obj.report('b') returned None and changed no slot: "
                                  "a method must return its answer (what it prints is not seen)"]

    def writes(position: int) -> dict:
        return {"memories": [cases[position]["args"][0]]}

    assert assess(cases, [{"value": None}] * (2 + len(calls)), lambda i, n: {}, "obj.remember", writes=writes)["eligible"] is True
    # None for some calls only is an answer (a lookup that found nothing)
    answers = [{"value": None}, {"value": None}] + [{"value": len(c["args"][0])} for c in calls]
    assert assess(cases, answers, lambda i, n: {}, "obj.find")["eligible"] is True
    # the user's example says None is the answer
    told = plan({"args": ["b"], "kwargs": {}}, [{"args": ["c"], "kwargs": {}, "result": None}], [], calls)
    assert assess(told, [{"value": None}] * (3 + len(calls)), lambda i, n: {}, "obj.forget")["eligible"] is True


def test_a_new_slot_named_like_an_existing_one_is_a_slip_and_is_refused():
    cases = plan({"args": [], "kwargs": {}}, [], [])

    def writes(position: int) -> dict:
        return {"score": []}

    slip = assess(cases, [{"value": 0}] * 2, lambda i, n: {}, "obj.clear_scores", writes=writes, existing={"scores", "name"})
    assert slip["eligible"] is False
    assert slip["failed"] == ["trial: obj.clear_scores writes self.score, a new slot, but the object has self.scores: use the slot it has"]
    fresh = assess(cases, [{"value": 0}] * 2, lambda i, n: {}, "obj.start", writes=lambda i: {"started_at": 1}, existing={"scores"})
    assert fresh["eligible"] is True


def test_candidates_agree_when_one_declines_a_call_the_other_answers():
    # gcd: one raises for a zero, the other for a negative; on everything else they answer alike
    base = ['["value", 6]', '["value", 1]', '["value", 4]', '["value", 3]']
    zero = dict(eligible=True, passes=[], outputs=[], evidence=1, signature=[*base, '["raised", "ValueError"]', '["value", 3]'])
    negative = dict(eligible=True, passes=[], outputs=[], evidence=1, signature=[*base, '["value", 7]', '["raised", "ValueError"]'])
    other = dict(eligible=True, passes=[], outputs=[], signature=[*base[:3], '["value", 9]', '["value", 7]', '["value", 3]'])
    assert concur(zero, negative) and concur(negative, zero)
    assert not concur(zero, other)
    winner, _discarded, why = choose([zero, other, negative], [], "obj.gcd")
    assert winner == 0 and "2 of 3" in why
    # declining nearly everything is not agreement
    shy = dict(eligible=True, passes=[], outputs=[], signature=[base[0], *['["raised", "ValueError"]'] * 5])
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
    assert choose([first, fixed, later], [], "f")[0] == 0
    assert choose([first, fixed], [], "f")[0] is None


def test_clocks_agree_on_the_kind_of_every_answer_generated_cases_and_probes_too():
    """The README's method: a generated case of the trial's own call and a probe, answered by two clocks read
    a moment apart (the case kept as a check of the answer's kind), agree; their texts did not."""
    cases = plan({"args": [], "kwargs": {}}, [], [{"args": [], "kwargs": {}, "result": "genesis"}], [{"args": [], "kwargs": {}}])
    one = assess(cases, [{"value": "It is 07:40:01.5"}] * 2 + [{"value": "It is 07:40:01.9"}, {"value": "It is 07:40:02.0"}],
                 lambda i, n: {}, "f", varies=True)
    two = assess(cases, [{"value": "2026-11-24 07:40:03"}] * 2 + [{"value": "2026-11-24 07:40:04"}] * 2,
                 lambda i, n: {}, "f", varies=True)
    assert one["passes"] == two["passes"] == [True] and one["signature"] == two["signature"]
    assert choose([one, two], [cases[2]], "f")[0] == 0
    number = assess(cases, [{"value": 1732433043.5}] * 2 + [{"value": 1732433044.1}] * 2, lambda i, n: {}, "f", varies=True)
    assert number["signature"] != one["signature"]  # another kind of answer: no agreement


def test_answers_to_the_calls_of_their_constants_can_only_split_candidates():
    short, full = record([2, 4, 7]), record([2, 4, 7])
    assert concur(short, full)
    short["extra"], full["extra"] = {"[[100], {}]": output_key({"value": True})}, {"[[100], {}]": output_key({"value": False})}
    assert not concur(short, full) and choose([short, full], GENERATED, "f")[0] is None
    full["extra"] = {"[[100], {}]": output_key({"raised": "ValueError"})}  # declined: no split
    assert concur(short, full)
    full["extra"] = {"[[400], {}]": output_key({"value": False})}  # not asked of both: nothing to compare
    assert concur(short, full)


def test_the_same_source_sampled_twice_is_one_reading_not_two_that_agree():
    """The real 0.5B model sampled ``return f"Hello, {self.user_name}! "`` twice; both agreed, and it was wrong."""
    code = 'def greet(self):\n    """Greet."""\n    return f"Hello, {self.user_name}! "\n'
    twice = [{**record([2, 4, 7]), "code": code, "attempt": 2},
             {**record([2, 4, 7]), "code": code.replace('"""Greet."""', "# greet"), "attempt": 4}]  # the same wording
    assert choose(twice, GENERATED, "f")[0] is None  # a docstring, a comment, the layout: the same reading
    other = {**record([2, 4, 7]), "code": 'def greet(self):\n    name = self.user_name\n    return f"Hello, {name}! "\n'}
    winner, _discarded, why = choose([*twice, other], GENERATED, "f")
    assert winner == 0 and why == "candidate 1: 3 of 3 eligible candidates agree on every call (1 of them the same source as another)"
    # the same source from the other wording of the request: two readings that met (the 0.5B model's is_prime)
    assert choose([twice[0], {**twice[1], "attempt": 3}], GENERATED, "f")[0] == 0


def test_the_same_source_sampled_three_times_counts_as_two_readings():
    """Self-consistency: the real 0.5B model wrote ``' '.join(w.capitalize() for w in text.split())`` in all
    three samples from one wording; a text that keeps coming back is evidence, twice is not yet."""
    code = "def f(self, text):\n    return ' '.join(w.capitalize() for w in text.split())\n"
    samples = [{**record([2, 4, 7]), "code": code + f"# sample {n}\n", "attempt": attempt} for n, attempt in enumerate((1, 3, 5))]
    assert choose(samples[:2], GENERATED, "f")[0] is None
    winner, _discarded, why = choose(samples, GENERATED, "f")
    assert winner == 0 and why.endswith("agree on every call (2 of them the same source as another)")
    wrong = {**record([2, 4, 8]), "code": "def f(self, text):\n    return text.title()\n", "attempt": 2}
    assert choose([*samples[:2], wrong], GENERATED, "f")[0] is None  # two alike and one apart: no winner


def test_no_number_of_candidates_outvotes_a_rival_told_apart_only_by_constants():
    """The real 0.5B model sampled ``year % 4 == 0`` three times for is_leap_year; the one candidate with the Gregorian
    rule answered every call alike, but for ``is_leap_year(100)`` (a call made of its constants), and lost 2 to 1. In
    later runs four of one wording, then one source in both voices, outvoted it the same way."""
    code = "def f(self, year):\n    return year % 4 == 0\n"
    samples = [{**record([2, 4, 7]), "code": code + f"# sample {n}\n", "attempt": attempt} for n, attempt in enumerate((1, 3, 5))]
    for sample in samples:
        sample["extra"] = {"[[100], {}]": output_key({"value": True})}
    rival = {**record([2, 4, 7]), "code": "def f(self, year):\n    return year % 4 == 0 and year % 100 != 0\n", "attempt": 2,
             "extra": {"[[100], {}]": output_key({"value": False})}}
    winner, _discarded, why = choose([*samples, rival], GENERATED, "f")
    assert winner is None and why == ("candidates 1, 2, 3 agree, but candidate 4 answered every call as they do but for "
                                      "the calls of their constants: nothing asked tells which is right")
    assert choose(samples, GENERATED, "f")[0] == 0  # no rival: the repetition stands for two readings, as before
    # a fourth from the other way of asking, agreeing with the three: still no winner against the rival
    other_wording = {**samples[0], "code": "def f(self, year):\n    return not year % 4\n", "attempt": 6}
    winner, _discarded, why = choose([*samples, rival, other_wording], GENERATED, "f")
    assert winner is None and "candidate 4 answered every call as they do" in why
    # a rival that agrees on the calls of their constants too is one of them
    agreeing = {**rival, "extra": {"[[100], {}]": output_key({"value": True})}}
    assert choose([*samples, agreeing], GENERATED, "f")[0] == 0


def test_a_case_whose_answer_is_one_item_of_the_agreeing_answer_is_not_discarded():
    """The real 0.5B model: three candidates returned ``Counter(items).most_common(1)[0]``, the pair ``["a", 2]``, for
    "return the item that occurs most often"; the generated cases asked for ``'a'`` and were right."""
    cases = [{"args": [["a", "b", "a"]], "kwargs": {}, "result": "a"}, {"args": [["c", "c"]], "kwargs": {}, "result": "c"}]

    def candidate(trial, answers):
        planned = plan({"args": [["a", "b", "a", "c"]], "kwargs": {}}, [], cases, [])
        return assess(planned, [{"value": trial}, {"value": trial}] + [{"value": a} for a in answers], lambda i, n: {}, "f")

    pairs = [{**candidate(["a", 2], [["a", 2], ["c", 2]]), "code": f"def f(self, items):\n    return {n}\n"} for n in range(3)]
    right = {**candidate("a", ["a", "c"]), "code": "def f(self, items):\n    return 'a'\n"}
    winner, discarded, why = choose([*pairs, right], cases, "f")
    # three readings x (0 + 1) against one x (2 + 1): the right one alone contests them (see the test above)
    assert winner is None and discarded == [] and "candidate 4 answers otherwise and passes 2" in why
    fourth = {**pairs[0], "code": "def f(self, items):\n    return 3\n"}
    winner, discarded, why = choose([*pairs, fourth, right], cases, "f")
    assert winner is None and discarded == [] and "asks for a part of what candidates 1, 2, 3, 4 answer" in why
    counts = [{**candidate(["a", 2], [3, 1]), "code": f"def f(self, items):\n    return {n}\n"} for n in range(4)]
    assert choose([*counts, right], cases, "f")[0] == 0  # an answer that does not hold the case's: outvoted as before
    # the last attempt (recorded: most_common, 4 of 8 candidates answering the pair): the one that passed both exact
    # cases alone was installed until the fresh tasks showed a lone candidate and the case writer sharing a misreading
    # (acronym): one that others answer otherwise on the user's own call is not installed alone
    for lone in ("evidence", "any"):
        winner, discarded, why = choose([*pairs, fourth, right], cases, "f", lone=lone)
        assert winner is None and discarded == []
    undisputed = [{**right, "code": f"def f(self, items):\n    return 'a' * {n}\n"} for n in (1, 1)]
    assert choose(undisputed, cases, "f", lone="evidence")[0] == 0  # one reading, sampled twice, undisputed


def test_a_candidate_that_answers_its_argument_unchanged_on_every_call_is_refused():
    # the real 0.5B model's format_date, sampled from both wordings: every date answered as it came
    from bat_os.cognition.probes import probes

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


def test_candidates_that_answer_one_thing_to_every_call_cannot_outvote_a_case():
    """The real 0.5B model: two candidates for "tell whether a text looks like an email address" answered False to
    every text, the trial's ``'ada@example.com'`` among them; they agreed, and outvoted the case that said True."""
    cases = [{"args": ["ada@example.com"], "kwargs": {}, "result": True}, {"args": ["ada@com"], "kwargs": {}, "result": False}]

    def candidate(answers, n):
        planned = plan({"args": ["ada@example.com"], "kwargs": {}}, [], cases, PROBES)
        outcomes = [{"value": a} for a in answers]
        return {**assess(planned, outcomes, lambda i, names: {}, "f"), "code": f"def f(self, text):\n    return {n}\n", "attempt": n}

    never = [candidate([False] * 5, n) for n in (1, 2)]
    winner, discarded, why = choose(never, cases, "f")
    assert winner is None and discarded == [] and "answer false to every call: they cannot outvote" in why
    told = [candidate([False, False, True, False, True], n) for n in (1, 2)]  # they tell texts apart: they may
    assert choose(told, cases, "f")[0] == 0
    passing = [candidate([True, True, True, True, True], n) for n in (1, 2)]  # one answer, but it fails no case
    assert choose([{**p, "passes": [True, True]} for p in passing], cases, "f")[0] == 0


def test_a_case_asking_for_one_item_of_a_collection_is_outvoted():
    """The real 0.5B model: eight candidates split [1, 2, 3, 4, 5] into [[1, 2], [3, 4], [5]], and the generated
    cases asked for the first chunk, [1, 2]: a misreading of the case writer, not a part of the answer asked for."""
    cases = [{"args": [[1, 2, 3, 4, 5], 2], "kwargs": {}, "result": [1, 2]}, {"args": [[1, 2, 3], 3], "kwargs": {}, "result": [1, 2, 3]}]
    planned = plan({"args": [[1, 2, 3, 4, 5], 2], "kwargs": {}}, [], cases, [])
    answers = [[[1, 2], [3, 4], [5]]] * 3 + [[[1, 2, 3]]]
    chunks = [{**assess(planned, [{"value": a} for a in answers], lambda i, n: {}, "f"),
               "code": f"def f(self, items, n):\n    return {k}\n", "attempt": k} for k in (1, 2, 3)]
    winner, discarded, why = choose(chunks, cases, "f")
    assert winner == 0 and [d["case"] for d in discarded] == cases and "3 of 3 eligible candidates agree" in why


def test_calls_every_candidate_declined_leave_the_others_to_agree_on():
    # fibonacci: cases of 100 and 100000, past every candidate's recursion, beside the trial and a probe
    generated = [{"args": [n], "kwargs": {}, "result": 7} for n in (100, 1000, 10000)]
    cases = plan({"args": [10], "kwargs": {}}, [], generated, [{"args": [0], "kwargs": {}}])
    deep = {"raised": "RecursionError", "message": "method calls nested deeper than 50"}

    def naive(attempt: int, name: str) -> dict:
        found = assess(cases, [{"value": 55}, {"value": 55}, deep, deep, deep, {"value": 0}], lambda i, n: {}, "obj.fibonacci")
        return {**found, "attempt": attempt, "code": f"def fibonacci(self, {name}):\n    return {name}\n"}

    one, two = naive(1, "n"), naive(2, "number")
    assert not concur(one, two)  # two answered calls of five: alone, too few to agree on
    assert concur(one, two, frozenset({1, 2, 3}))
    winner, discarded, _why = choose([one, two], generated, "obj.fibonacci")
    assert winner == 0 and len(discarded) == 3
    # a candidate that answers those calls still keeps them in the count: the others declined what it answered
    answering = {**assess(cases, [{"value": 55}, {"value": 55}, {"value": 1}, {"value": 2}, {"value": 3}, {"value": 0}],
                          lambda i, n: {}, "obj.fibonacci"), "attempt": 3, "code": "def fibonacci(self, k):\n    return k\n"}
    assert choose([one, answering], generated, "obj.fibonacci")[0] is None
    # calls every candidate declined for its own reasons (an IndexError on an empty text) still count: they may be
    # the very calls all of them get wrong
    index = {"raised": "IndexError", "message": "string index out of range"}
    fragile = [{**assess(cases, [{"value": 55}, {"value": 55}, index, index, index, {"value": 0}], lambda i, n: {}, "obj.f"),
                "attempt": a, "code": f"def f(self, x{a}):\n    return x{a}\n"} for a in (1, 2)]
    assert choose(fragile, generated, "obj.f")[0] is None


def test_a_candidate_that_agrees_with_two_rival_clusters_counts_for_neither():
    # is_leap_year: year % 4 (one source, sampled twice) and the Gregorian rule (two sources) split on is_leap_year(100);
    # a third Gregorian one raising below 1582 declines that call, and so agrees with both
    split = "[[100], {}]"

    def written(attempt: int, code: str, at_100: dict) -> dict:
        return {**record([2, 4, 7]), "attempt": attempt, "code": code, "extra": {split: output_key(at_100)}}

    fours = [written(1, "def f(self, y):\n    return y % 4 == 0\n", {"value": True}),
             written(3, "def f(self, y):\n    return y % 4 == 0\n", {"value": True})]
    gregorian = [written(2, "def f(self, y):\n    return y % 4 == 0 and y % 100 != 0 or y % 400 == 0\n", {"value": False}),
                 written(4, "def f(self, year):\n    return year % 400 == 0 or year % 4 == 0 and year % 100 != 0\n", {"value": False})]
    raising = written(6, "def f(self, year):\n    if year < 1582:\n        raise ValueError(year)\n    return ...\n",
                      {"raised": "ValueError"})
    assert concur(raising, fours[0]) and concur(raising, gregorian[0]) and not concur(fours[0], gregorian[0])
    winner, _discarded, why = choose([*fours, *gregorian, raising], GENERATED, "f")
    # the sampled pair contests the two Gregorian readings (as many samples), before the rule of constants is needed
    assert winner is None and "and so do candidates 1, 2 on other answers, as often" in why
    # without its rival, the Gregorian pair and the raising one agree
    winner, _discarded, why = choose([*gregorian, raising], GENERATED, "f")
    assert winner == 0 and "3 of 3 eligible candidates agree" in why


def test_clusters_are_scored_by_readings_not_by_samples_of_one_source():
    # three samples of one source count as two readings; three sources that agree count three
    one_source = [{**record([2, 4, 7]), "attempt": a, "code": "def f(self, x):\n    return x * 2\n"} for a in (1, 3, 5)]
    three = [{**record([2, 4, 7], probe=1), "attempt": a, "code": f"def f(self, x{a}):\n    return x{a} + 1\n"} for a in (2, 4, 6)]
    winner, _discarded, why = choose([*one_source, *three], GENERATED, "f")
    assert winner == 3 and "3 of 6 eligible candidates agree" in why


def test_answering_the_argument_unchanged_outvotes_no_case_when_the_users_call_was_answered_so_too():
    # rename('new') answering 'new' where the case says 'old' (the request: "return the old one")
    generated = [{"args": ["new"], "kwargs": {}, "result": "old"}]
    cases = plan({"args": ["new"], "kwargs": {}}, [], generated, [])

    def echoing(attempt: int) -> dict:
        found = assess(cases, [{"value": "new"}] * 3, lambda i, n: {}, "obj.rename", writes=lambda i: {"name_tag": "new"})
        return {**found, "attempt": attempt, "code": f"def rename(self, t{attempt}):\n    self.name_tag = t{attempt}\n    return t{attempt}\n"}

    assert echoing(1)["trial_echo"] is True and echoing(1)["eligible"] is True
    winner, _discarded, why = choose([echoing(1), echoing(2)], generated, "obj.rename")
    assert winner is None and "answer its argument unchanged" in why
    # truncate: the user's call shortened, a short text answered unchanged where a case wrongly adds '...': outvoted
    generated = [{"args": ["hello world", 15], "kwargs": {}, "result": "hello world..."}]
    cases = plan({"args": ["hello world", 5], "kwargs": {}}, [], generated, [])

    def shortening(attempt: int) -> dict:
        found = assess(cases, [{"value": "hello..."}] * 2 + [{"value": "hello world"}], lambda i, n: {}, "obj.truncate")
        return {**found, "attempt": attempt, "code": f"def truncate(self, t, n{attempt}):\n    return t\n"}

    assert shortening(1)["trial_echo"] is False
    winner, discarded, _why = choose([shortening(1), shortening(2)], generated, "obj.truncate")
    assert winner == 0 and [d["case"] for d in discarded] == generated


def test_an_answer_that_happens_to_be_the_users_argument_is_no_echo_when_other_calls_answer_otherwise():
    # novel5's cast_vote('yes'): 'yes' has the most votes, and cast_vote('sey') answers 'yes' too; the only generated
    # case (cast_vote('yes') -> 3, a count) was wrong, and four right candidates were held back as echoes
    generated = [{"args": ["yes"], "kwargs": {}, "result": 3}]
    cases = plan({"args": ["yes"], "kwargs": {}}, [], generated, [{"args": ["sey"], "kwargs": {}}])

    def voting(attempt: int, probe: str) -> dict:
        found = assess(cases, [{"value": "yes"}] * 3 + [{"value": probe}], lambda i, n: {}, "obj.cast_vote",
                       writes=lambda i: {"votes": {"yes": 4}})
        return {**found, "attempt": attempt, "code": f"def cast_vote(self, o{attempt}):\n    return o{attempt}\n"}

    assert voting(1, "yes")["trial_echo"] is False
    assert voting(1, "sey")["trial_echo"] is True  # it answers every call with its argument: an echo
    winner, discarded, _why = choose([voting(1, "yes"), voting(2, "yes")], generated, "obj.cast_vote")
    assert winner == 0 and [d["case"] for d in discarded] == generated


def test_an_answer_that_stays_the_same_whatever_the_named_slot_holds_is_refused():
    from bat_os.cognition.probes import slot_probes

    calls = slot_probes({"scores": [3, 4]}, ["scores"], [], {})
    cases = plan({"args": [], "kwargs": {}}, [], [], calls)
    assert [c["given"] for c in cases if c["role"] == "probe"] == [{"scores": []}, {"scores": [3, 4, 31, 41]}]

    def emptied(position: int) -> dict:
        return {"scores": []}

    # "empty the scores slot and return how many scores it held", answered with len() after emptying it
    after = assess(cases, [{"value": 0}] * 4, lambda i, n: {}, "obj.clear_scores", writes=emptied)
    assert after["eligible"] is False
    assert after["failed"] == ["trial: obj.clear_scores() answers 0 whatever self.scores holds (it answered so with "
                               "self.scores = [] and = [3, 4, 31, 41]): the request is about that slot's data, and its "
                               "answer must come from it"]
    held = assess(cases, [{"value": 2}, {"value": 2}, {"value": 0}, {"value": 4}], lambda i, n: {}, "obj.clear_scores", writes=emptied)
    assert held["eligible"] is True
    # a status (None, True) or a call that raised for some data is no such answer
    assert assess(cases, [{"value": True}] * 4, lambda i, n: {}, "obj.clear_scores", writes=emptied)["eligible"] is True
    raised = [{"value": 2}, {"value": 2}, {"raised": "ZeroDivisionError", "message": "x"}, {"value": 2}]
    assert assess(cases, raised, lambda i, n: {}, "obj.average_score")["eligible"] is True


def test_an_answer_that_is_the_slots_new_data_comes_from_the_slot():
    """"set the count slot back to zero and return it": 0 whatever the slot held, but 0 is what the call left in the
    slot, and the value the request names (the unseen tasks: every candidate of the real 0.5B model was refused, right
    ones too). Not where the request speaks of a value from before the call ("... return the old one", "how many it
    held"), nor where it names no value for the slot."""
    from bat_os.cognition.probes import slot_probes

    def zeroed(position: int) -> dict:
        return {"count": 0}

    def reset(intent: str) -> dict:
        cases = plan({"args": [], "kwargs": {}}, [], [], slot_probes({"count": 5}, ["count"], [], {}, intent))
        return assess(cases, [{"value": 0}] * len(cases), lambda i, n: {}, "obj.reset_count", writes=zeroed)

    assert reset("set the count slot back to zero and return it")["eligible"] is True
    # the tasks written to be held out: three candidates answered "double the level slot and return the new level"
    # with self.level = 3 (the value the prompt showed), 3 whatever the slot held: the request names no such value
    cases = plan({"args": [], "kwargs": {}}, [], [], slot_probes({"level": 3}, ["level"], [], {},
                                                              "double the level slot and return the new level"))
    copied = assess(cases, [{"value": 3}] * len(cases), lambda i, n: {}, "obj.double_level", writes=lambda i: {"level": 3})
    assert copied["failed"][0].startswith("trial: obj.double_level() answers 3 whatever self.level holds")
    for intent in ("set the count slot to zero and return the old value", "reset the count slot and return what it was"):
        assert reset(intent)["failed"][0].startswith("trial: obj.reset_count() answers 0 whatever self.count holds"), intent
    # emptied, then counted: 0 is not what the slot holds ([]), so the answer did not come from it
    cases = plan({"args": [], "kwargs": {}}, [], [], slot_probes({"scores": [3, 4]}, ["scores"], [], {},
                                                              "empty the scores slot (a list) and return how many scores it held"))
    assert assess(cases, [{"value": 0}] * 4, lambda i, n: {}, "obj.clear_scores", writes=lambda i: {"scores": []})["eligible"] is False
    cases = plan({"args": [], "kwargs": {}}, [], [], slot_probes({"scores": [3, 4]}, ["scores"], [], {}, "empty the scores slot and return its size"))
    assert assess(cases, [{"value": 0}] * 4, lambda i, n: {}, "obj.clear_scores", writes=lambda i: {"scores": []})["eligible"] is False


def test_two_readings_do_not_win_over_as_many_samples_of_another_answer():
    """merge_counts, seed 0, with the real 0.5B model: two sources answering the keys both dicts share were installed
    over one source, sampled twice, that merged every key (the right one); no case had been written to tell them
    apart. The order they came in is no evidence: another reading must decide."""
    union = "def f(self, a, b):\n    merged = dict(a)\n    for k, v in b.items():\n        merged[k] = merged.get(k, 0) + v\n    return merged\n"
    shared = [{**record([2, 4, 7], probe=1), "attempt": a, "code": f"def f(self, a, b{a}):\n    return {{k: a[k] + b{a}[k] for k in a if k in b{a}}}\n"}
              for a in (2, 10)]
    sampled = [{**record([2, 4, 7]), "attempt": a, "code": union + f"# sample {a}\n"} for a in (1, 5)]
    written = [sampled[0], shared[0], sampled[1], shared[1]]
    winner, _discarded, why = choose(written, GENERATED, "f")
    assert winner is None and why == ("candidates 2, 4 agree, and so do candidates 1, 3 on other answers, as often: "
                                      "another candidate must tell them apart")
    third = {**record([2, 4, 7]), "attempt": 11, "code": "def f(self, x, y):\n    out = {}\n    for d in (x, y):\n"
             "        for k in d:\n            out[k] = out.get(k, 0) + d[k]\n    return out\n"}
    assert choose([*written, third], GENERATED, "f")[0] is None  # two readings each (one source sampled twice is one)
    fourth = {**third, "attempt": 12, "code": third["code"].replace("out", "total")}
    winner, _discarded, why = choose([*written, third, fourth], GENERATED, "f")
    assert winner == 0 and why.startswith("candidate 1: 4 of 6 eligible candidates agree")
    # a cluster of three readings is not contested by three samples of one source (two readings):
    # test_clusters_are_scored_by_readings_not_by_samples_of_one_source


def test_a_lone_candidate_is_not_installed_while_another_eligible_one_answers_the_call_otherwise():
    # acronym, on tasks no rule was tuned on: text.upper() alone passed the generated cases (the phrase in capitals),
    # while two other eligible candidates answered 'P N G' and 'PNG'
    alone, other = record([2, 4, 7]), record([3, 1, 1], probe=5)
    for lone in ("evidence", "any"):
        assert choose([alone], GENERATED, "f", lone=lone)[0] == 0
        winner, _discarded, why = choose([alone, other], GENERATED, "f", lone=lone)
        assert winner is None and why == "no two of 2 eligible candidate(s) agree yet"
    raising = record([2, 4, 7])
    raising["signature"] = [output_key({"raised": "ValueError"}), *raising["signature"][1:]]
    assert choose([alone, raising], GENERATED, "f", lone="evidence")[0] is not None  # one that declined the call disputes nothing


def test_a_candidate_alone_passing_the_cases_contests_two_that_agree_and_fail_them():
    # longest_key, on tasks no rule was tuned on: two readings answered the longest value and outvoted both cases
    # (right), which a third candidate, right, passed: readings x (cases passed + 1) is 2 x 1 against 1 x 3
    generated = [{"args": [2], "kwargs": {}, "result": 4}, {"args": [3], "kwargs": {}, "result": 6}]
    cases = plan({"args": [1], "kwargs": {}}, [], generated, PROBES)

    def candidate(answers: list, probe: int) -> dict:
        return assess(cases, [{"value": a} for a in answers] + [{"value": probe}], lambda i, n: {}, "f")

    wrong = [candidate([5, 5, 9, 9], 7), candidate([5, 5, 9, 9], 7)]
    right = candidate([2, 2, 4, 6], 0)
    winner, discarded, why = choose([*wrong, right], generated, "f")
    assert (winner, discarded) == (None, [])
    assert why == ("candidates 1, 2 agree, and candidate 3 answers otherwise and passes 2 generated case(s) they fail: "
                   "another candidate must tell them apart")
    assert choose([*wrong, right, candidate([2, 2, 4, 6], 0)], generated, "f")[0] == 2  # a second right one: they win
    weak = candidate([2, 2, 4, 5], 0)  # alone, passing one case: 1 x 2 against 2 x 1, as strong: no winner either
    assert choose([*wrong, weak], generated, "f")[0] is None
    half = [candidate([5, 5, 4, 9], 7), candidate([5, 5, 4, 9], 7)]  # two passing one case: 2 x 2 against 1 x 3
    assert choose([*half, right], generated, "f")[0] == 0


def test_an_identical_greedy_pair_waits_for_samples_that_answer_as_it_does():
    """The two voices' greedy candidates writing one text are one answer written twice: the real 0.5B model's were
    5 of the 7 false installs of the novel tasks (``set(b) - set(a)`` for the items of a not in b)."""
    code = "def f(self, x):\n    return x * 2\n"
    pair = [{**record([2, 4, 6]), "code": code, "attempt": 1}, {**record([2, 4, 6]), "code": "# the same\n" + code, "attempt": 2}]
    winner, _discarded, why = choose(pair, GENERATED, "f")
    assert winner is None and why == ("candidates 1, 2 agree, but candidates 1 and 2 wrote the same text: 0 of 0 sampled "
                                      "candidate(s) answered as they do; 2, and more than any other answer, must")
    assert choose(pair, GENERATED, "f", confirm=0)[0] == 0  # no samples may be drawn: as before
    other_text = {**record([2, 4, 6]), "code": "def f(self, x):\n    return x + x\n"}
    assert choose([pair[0], {**other_text, "attempt": 2}], GENERATED, "f")[0] == 0  # two texts: two readings at once
    same = {**record([2, 4, 6]), "code": code, "attempt": 3}
    assert choose([*pair, same], GENERATED, "f")[0] is None  # one sample: not yet
    assert choose([*pair, same, {**other_text, "attempt": 4}], GENERATED, "f")[0] == 0  # two samples agree
    assert choose([*pair, same], GENERATED, "f", lone="evidence")[0] == 0  # the last attempt: one will do
    # samples answering otherwise, each its own way, do not outvote two that agree; two alike otherwise do
    apart = [{**record([2, 4, 7], probe=n), "code": f"def f(self, x):\n    return x * 2 + (x == 3) * {n}\n", "attempt": 4 + n}
             for n in (1, 2, 3)]
    agreeing = [same, {**same, "attempt": 7}]
    assert choose([*pair, *agreeing, *apart], GENERATED, "f")[0] == 0
    alike = [{**record([2, 4, 6], probe=9), "code": f"def f(self, x):\n    return x * 2 + (x == 0) * {8 + n}\n", "attempt": 4 + n}
             for n in (1, 2)]  # two other texts, answering 9 to the probe alike
    winner, _discarded, why = choose([*pair, *agreeing, *alike], GENERATED, "f")
    assert winner is None and why.endswith("2 of 4 sampled candidate(s) answered as they do, 2 alike otherwise; 2, and "
                                           "more than any other answer, must")
    # a refused sample answering otherwise is no rival answer
    refused = [{**a, "eligible": False} for a in alike]
    assert choose([*pair, *agreeing, *refused], GENERATED, "f")[0] == 0


def test_agreement_with_nothing_exact_checked_needs_more_than_two_against_one():
    """Two candidates against a third, none of them held to an exact answer (no example, no generated case with a
    result they pass), are no majority (novel3's done_fraction: two texts answering 1.0 for a list half done); with
    one exact answer passed, or three readings, they win."""
    base = ['["value", 1.0]', '["value", 0]', '["value", 1.0]', '["value", 0.5]']
    two = [dict(eligible=True, passes=[], outputs=[], evidence=0, deterministic=True, code=f"# {i}", signature=base)
           for i in range(2)]
    other = dict(eligible=True, passes=[], outputs=[], evidence=0, deterministic=True, code="# other",
                 signature=['["value", 0.5]', '["value", 0]', '["value", 0.25]', '["value", 0.5]'])
    winner, _discarded, why = choose([*two, other], [], "obj.done_fraction")
    assert winner is None and "two against another are no majority" in why
    assert choose(two, [], "obj.done_fraction")[0] == 0  # no one answers otherwise
    assert choose([{**two[0], "evidence": 1}, two[1], other], [], "obj.done_fraction")[0] == 0
    third = {**two[0], "code": "# 2"}
    assert choose([*two, third, other], [], "obj.done_fraction")[0] == 0


def test_candidates_answering_the_users_call_with_its_argument_need_an_exact_answer_checked():
    """rename('Bo'), asked to return the old name: four candidates answered 'Bo', their one case the case writer's
    echo of it ('new' for 'new'): agreement on doing nothing with the argument is no evidence."""
    echo = [dict(eligible=True, passes=[True], outputs=['["value", "new"]'], evidence=0, trial_echo=True,
                 deterministic=True, code=f"# {i}", signature=['["value", "Bo"]', '["value", "new"]']) for i in range(3)]
    winner, _discarded, why = choose(echo, [{"args": ["new"], "kwargs": {}, "result": "new"}], "obj.rename")
    assert winner is None and "with its own argument unchanged" in why
    assert choose([{**e, "evidence": 1} for e in echo], [{"args": ["new"], "kwargs": {}, "result": "new"}], "obj.rename")[0] == 0


def test_an_answer_that_follows_one_named_slot_is_from_the_slots_data():
    """novel4's record_reading(12): readings [3, 7] and max_reading 7; "store the largest of all the readings in the
    max_reading slot and return it" answers 12 whatever max_reading held (it overwrites it), and follows readings
    (their new numbers, 31 and 71, are larger): right, not refused. Neither followed: refused, naming both."""
    from bat_os.cognition.probes import slot_probes

    calls = slot_probes({"readings": [3, 7], "max_reading": 7}, ["readings", "max_reading"], [12], {})
    cases = plan({"args": [12], "kwargs": {}}, [], [], calls)

    def run(answer):
        return assess(cases, [{"value": answer(c)} for c in cases], lambda i, n: {}, "obj.record_reading")

    right = run(lambda c: max([*(c.get("given", {}).get("readings", [3, 7])), 12]))
    assert right["eligible"], right["failed"]
    fixed = run(lambda c: 12)
    assert not fixed["eligible"] and [f.split(" holds")[0] for f in fixed["failed"]] == [
        "trial: obj.record_reading(12) answers 12 whatever self.max_reading", "trial: obj.record_reading(12) answers 12 whatever self.readings"]

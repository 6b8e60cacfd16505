"""The conditions a request states (issue 50), across the rooms: read from the request (author.prompts) and from the
case writer's reply (author.replies), each with calls (trial.calls); the calls labelled in a run; a look before
install at the conditions nothing the person said has settled; nobody to ask, only the conditions' calls split a
reading, and a condition with no call installs nothing (judge.decide)."""

from __future__ import annotations

from bat_os.cognition.author.prompts import conditions_of
from bat_os.cognition.author.replies import extract_cases, extract_conditions
from bat_os.cognition.judge import decide as choosing
from bat_os.cognition.judge import questions as asking
from bat_os.cognition.judge.candidate import Candidate, assess
from bat_os.cognition.judge.decide import Situation
from bat_os.cognition.trial.calls import accept_conditions, condition_calls, labelled, uncovered, untested


def plan(trial: dict, examples: list[dict], generated: list[dict], probes: list[dict] | None = None) -> list[dict]:
    """A run's calls in the order trial.calls.planned lists them, each with its role."""
    cases = [{**trial, "role": "trial", "index": 0}, {**trial, "role": "trial", "index": 1}]
    cases += [{**e, "role": "example", "index": i} for i, e in enumerate(examples)]
    cases += [{**g, "role": "generated", "index": i} for i, g in enumerate(generated)]
    return cases + [{**p, "role": "probe", "index": i} for i, p in enumerate(probes or [])]


def decide(candidates: list, *, final: bool = False, **situation) -> choosing.Decision:
    return choosing.decide([c if isinstance(c, Candidate) else Candidate.from_dict(c) for c in candidates],
                           Situation(written_out=final, **situation))

CSV = "split a CSV line into its fields: fields are separated by commas, a field in double quotes may hold a comma, " \
      "a doubled quote inside quotes is one quote; an empty line raises ValueError"
CLAUSES = ["split a CSV line into its fields", "fields are separated by commas", "a field in double quotes may hold a comma",
           "a doubled quote inside quotes is one quote", "an empty line raises ValueError"]
CSV_REPLY = '''```python
# 1. split a CSV line into its fields
assert obj.parse_line(
    "a,b,c"
) == ["a", "b", "c"]
# 3. a field in double quotes may hold a comma
assert obj.parse_line('x,"y,z"') == ["x", "y,z"]
self.assertEqual(obj.parse_line('"a,b",c'), ["a,b", "c"])
# a doubled quote inside quotes is one quote
obj.parse_line('"say ""hi"""')
# 5.
self.assertRaises(ValueError, obj.parse_line, "")
# a note of the model's own
assert obj.parse_line("p,q") == ["p", "q"]
```'''


def test_the_conditions_a_request_states_are_its_clauses():
    assert conditions_of(CSV) == CLAUSES
    # not inside brackets or quotes, nor at a colon within a word; a piece of a list stays with its clause
    assert conditions_of("merge [start, end] pairs written as HH:MM, sorted by start, ties kept") == [
        "merge [start, end] pairs written as HH:MM", "sorted by start, ties kept"]
    assert conditions_of("count the vowels of a text, ignoring case; a text of none gives 0") == [
        "count the vowels of a text, ignoring case", "a text of none gives 0"]
    assert len(conditions_of(", ".join(f"rule number {i}" for i in range(12)))) == 8
    assert conditions_of("") == []


def test_the_calls_under_a_clause_are_its_inputs_whatever_they_expect_and_the_rest_fill_the_others_in_order():
    found = extract_conditions(CSV_REPLY, "parse_line", CLAUSES)
    assert [c["label"] for c in found] == [*CLAUSES, ""]  # the calls under no clause's comment come last
    assert [[call["args"] for call in c["calls"]] for c in found] == [
        [["a,b,c"]], [], [['x,"y,z"'], ['"a,b",c']], [['"say ""hi"""']], [[""]], [["p,q"]]]
    kept = accept_conditions(found, {"selector": "parse_line", "args": ["1,2"], "kwargs": {}})
    assert [[call["args"] for call in c["calls"]] for c in kept] == [  # the request's own call for the first clause
        [["1,2"], ["a,b,c"]], [["p,q"]], [['x,"y,z"'], ['"a,b",c']], [['"say ""hi"""']], [[""]]]
    # the expected answers are read as before (a call over several lines too); bare calls are no cases
    assert [c["args"] for c in extract_cases(CSV_REPLY, "parse_line")] == [["a,b,c"], ['x,"y,z"'], [""], ["p,q"]]


def test_a_condition_of_a_slot_method_keeps_the_slots_its_call_is_made_with():
    reply = "# 1. below 3 snoozes it moves the alarm\nobj.snoozes = 0\nobj.alarm = '06:30'\nassert obj.snooze() == '06:40'\n" \
            "# 2. at 3 snoozes nothing changes\nobj.snoozes = 3\nassert obj.snooze() is None\nassert obj.snooze() is None\n"
    found = extract_conditions(reply, "snooze", ["below 3 snoozes it moves the alarm", "at 3 snoozes nothing changes"], stateful=True)
    assert [c["calls"] for c in found] == [[{"args": [], "kwargs": {}, "given": {"snoozes": 0, "alarm": "06:30"}}],
                                           [{"args": [], "kwargs": {}, "given": {"snoozes": 3}}]]


def test_the_calls_kept_fit_the_brief_and_a_condition_without_one_keeps_its_label():
    brief = {"selector": "parse_line", "args": ["a,b"], "kwargs": {}}
    raw = [{"label": "two args", "calls": [{"args": ["a", "b"], "kwargs": {}}]},
           {"label": "commas", "calls": [{"args": ["a,b,c"], "kwargs": {}}, {"args": ["a,b,c"], "kwargs": {}},
                                         {"args": [{1, 2}], "kwargs": {}}, {"args": ["x,y"], "kwargs": {}, "given": {"nope": 1}}]}]
    assert accept_conditions(raw, brief, {"name"}) == [  # the first clause says what is asked: the brief's own call
        {"label": "two args", "calls": [{"args": ["a,b"], "kwargs": {}}]}, {"label": "commas", "calls": [{"args": ["a,b,c"], "kwargs": {}}]}]
    many = [{"label": str(i), "calls": [{"args": [str(i)], "kwargs": {}}]} for i in range(20)]
    assert len(accept_conditions(many, brief)) == 8
    assert accept_conditions([{"label": "commas", "calls": []}, {"label": "two", "calls": []}],
                             brief) == []  # the case writer wrote no call: no conditions (the cycle judges as before them)
    said = accept_conditions([{"label": "split it", "calls": [{"args": ["x"], "kwargs": {}}]}, {"label": "so 'p,q' gives 2", "calls": []}],
                             {**brief, "examples": [{"args": ["p,q"], "kwargs": {}, "result": 2}]})
    assert said[1]["calls"] == [{"args": ["p,q"], "kwargs": {}}]  # the example the clause says is its call


def test_a_runs_calls_carry_their_condition_and_a_condition_an_example_answered_is_covered():
    conditions = [{"label": "commas", "calls": [{"args": ["a,b,c"], "kwargs": {}}]},
                  {"label": "quotes", "calls": [{"args": ['x,"y,z"'], "kwargs": {}}, {"args": ["q"], "kwargs": {}}]}]
    taken = [{"args": ["a,b"], "kwargs": {}}, {"args": ["a,b,c"], "kwargs": {}, "result": ["a", "b", "c"]}]
    assert condition_calls(conditions, taken) == [{"args": ['x,"y,z"'], "kwargs": {}, "condition": "quotes"},
                                                  {"args": ["q"], "kwargs": {}, "condition": "quotes"}]
    calls = labelled([{"args": ["a,b"], "kwargs": {}}, {"args": ["a,b,c"], "kwargs": {}}], conditions)
    assert calls == [{"args": ["a,b"], "kwargs": {}}, {"args": ["a,b,c"], "kwargs": {}, "condition": "commas"}]
    assert uncovered(conditions, [{"args": ["q"], "kwargs": {}, "result": ["q"]}]) == ["commas"]


# --- choosing -----------------------------------------------------------------------------------
TRIAL = {"args": ["a,b"], "kwargs": {}}
STATED = [{"args": ['x,"y,z"'], "kwargs": {}, "condition": "a quoted field keeps its comma"},
          {"args": ['"a""b"'], "kwargs": {}, "condition": "a doubled quote is one quote"}]
PROBES = [{"args": ["Hello World"], "kwargs": {}}]
CONDITIONS = ("a quoted field keeps its comma", "a doubled quote is one quote")
QUOTING = "def parse_line(self, line):\n    return quoted(line)"
SPLITTING = "def parse_line(self, line):\n    return line.split(',')"


def candidate(code: str, attempt: int, answers: list) -> dict:
    """A record: the trial (twice), the two conditions' calls, the probe."""
    cases = plan(TRIAL, [], [], [*STATED, *PROBES])
    outcomes = [{"value": answers[0]}] * 2 + [{"value": v} for v in answers[1:]]
    record = assess(cases, outcomes, lambda i, names: {}, "obj.parse_line")
    return {**record, "code": code, "attempt": attempt, "calls": [TRIAL, *STATED, *PROBES]}


def right(code=QUOTING, attempt=1, probe=["Hello World"]):
    return candidate(code, attempt, [["a", "b"], ["x", "y,z"], ['a"b'], probe])


def splitting(code=SPLITTING, attempt=2, probe=["Hello World"]):
    return candidate(code, attempt, [["a", "b"], ["x", '"y', 'z"'], ['"a""b"'], probe])


def test_the_look_before_install_shows_a_call_for_each_condition_nothing_has_settled_each_labelled():
    pair = [right(QUOTING, 1), right(QUOTING + "  # same", 2)]
    shown = decide(pair, can_ask=True, examples=1, conditions=CONDITIONS, uncovered=CONDITIONS)
    assert shown.action == choosing.CONFIRM
    question = asking.question("c1", 1, "parse_line", shown, {}, None)
    assert question["call"]["args"] == ['x,"y,z"'] and question["condition"] == "a quoted field keeps its comma"
    assert question["choices"] == [{"result": ["x", "y,z"], "candidates": 2}]
    assert [(a["call"]["args"], a["condition"]) for a in question["also"]][:1] == [(['"a""b"'], "a doubled quote is one quote")]
    # both settled by the person's word: nothing to show, installed (an example was given)
    assert decide(pair, can_ask=True, examples=1, conditions=CONDITIONS, uncovered=()).action == choosing.INSTALL


def test_at_most_four_calls_are_shown_in_one_look():
    labels = tuple(f"rule {i}" for i in range(6))
    stated = [{"args": [f"x{i}"], "kwargs": {}, "condition": label} for i, label in enumerate(labels)]
    cases = plan(TRIAL, [], [], stated)
    outcomes = [{"value": 1}] * 2 + [{"value": i} for i in range(6)]
    records = [{**assess(cases, outcomes, lambda i, names: {}, "obj.f"), "code": f"def f(self, x):\n    return {n}", "attempt": n,
                "calls": [TRIAL, *stated]} for n in (1, 2)]
    shown = decide(records, can_ask=True, conditions=labels, uncovered=labels)
    question = asking.question("c1", 1, "f", shown, {}, None)
    assert 1 + len(question["also"]) == choosing.SHOWN == 4
    assert [question["condition"], *[a["condition"] for a in question["also"]]] == ["rule 0", "rule 1", "rule 2", "rule 3"]


def test_nobody_to_ask_a_dispute_where_the_request_says_nothing_does_not_refuse():
    # the two readings answer the probe apart ("Hello World": a text the request says nothing of), and the stated
    # calls alike: installed without a person; with no conditions listed the probe still splits them
    pair = [right(QUOTING, 1, probe=["Hello World"]), right(QUOTING + "  # b", 2, probe=["Hello", "World"])]
    assert decide(pair, conditions=CONDITIONS).action == choosing.INSTALL
    assert decide(pair).disputed
    # a dispute at a stated condition's call refuses (unanswered), whoever scores higher
    against = [right(QUOTING, 1), right(QUOTING + "  # b", 3), splitting(SPLITTING, 2)]
    disputed = decide(against, conditions=CONDITIONS, final=True)
    assert disputed.action == choosing.FAIL and disputed.disputed


def test_nobody_to_ask_a_condition_no_call_checks_installs_nothing():
    pair = [right(QUOTING, 1), right(QUOTING + "  # same", 2)]
    untested = ("what an empty line gives",)
    failed = decide(pair, conditions=(*CONDITIONS, *untested), untested=untested)
    assert failed.action == choosing.FAIL and "what an empty line gives" in failed.why
    # with someone to ask, the condition is no reason to refuse: the look shows the others
    assert decide(pair, can_ask=True, conditions=(*CONDITIONS, *untested), uncovered=CONDITIONS, untested=untested).action == choosing.CONFIRM


# --- calls that test nothing new ------------------------------------------------------------------------------
def call(*args) -> dict:
    return {"args": list(args), "kwargs": {}}


def test_one_reading_alone_is_not_installed_while_a_condition_has_no_call_even_on_the_persons_answer():
    assert untested([{"label": "a comma", "calls": [call("a,b")]}, {"label": "what an empty line gives", "calls": []}]) == [
        "what an empty line gives"]
    lone = [right(QUOTING, 1)]
    untested_ = ("what an empty line gives",)
    for can_ask in (True, False):
        failed = decide(lone, answered=1, final=True, can_ask=can_ask, conditions=(*CONDITIONS, *untested_), untested=untested_)
        assert failed.action == choosing.FAIL and "no call checks the condition 'what an empty line gives'" in failed.why
    assert decide(lone, answered=1, final=False, can_ask=True, conditions=CONDITIONS, untested=untested_).action == choosing.MORE
    # every condition has a call: the person's answer installs it at the end of the budget, as before
    assert decide(lone, answered=1, final=True, can_ask=True, conditions=CONDITIONS).action == choosing.INSTALL


def test_the_look_shows_first_a_call_where_the_method_raises_then_the_conditions_calls():
    # the case writer's calls under a clause need not reach it ("ignoring the sign" shown at [1, 3, 5, 7]); an
    # exception the chosen method raises on a probe is shown first, for the person to say whether the request wants it
    def raising(code: str, attempt: int) -> dict:
        cases = plan(TRIAL, [], [], [*STATED, *PROBES])
        outcomes = [{"value": ["a", "b"]}] * 2 + [{"value": ["x", "y,z"]}, {"value": ['a"b']},
                                                  {"raised": "ValueError", "message": "bad line"}]
        return {**assess(cases, outcomes, lambda i, names: {}, "obj.parse_line"), "code": code, "attempt": attempt,
                "calls": [TRIAL, *STATED, *PROBES]}

    pair = [raising(QUOTING, 1), raising(QUOTING + "  # same", 2)]
    shown = decide(pair, can_ask=True, examples=1, conditions=CONDITIONS, uncovered=CONDITIONS)
    question = asking.question("c1", 1, "parse_line", shown, {}, None)
    assert question["call"]["args"] == ["Hello World"] and question["choices"] == [{"raises": "ValueError", "candidates": 2}]
    assert [(a["call"]["args"], a["condition"]) for a in question["also"]] == [
        (['x,"y,z"'], "a quoted field keeps its comma"), (['"a""b"'], "a doubled quote is one quote")]
    # where it raises nowhere, the look is the conditions' calls alone
    plain = decide([right(), right(QUOTING + "  # same", 2)], can_ask=True, examples=1, conditions=CONDITIONS,
                   uncovered=CONDITIONS)
    assert asking.question("c1", 1, "parse_line", plain, {}, None)["call"]["args"] == ['x,"y,z"']


def test_the_look_shows_a_call_where_the_methods_number_turns_negative_before_the_conditions_calls():
    # the case writer's calls under "never going below 0" changed the coupon by 5s and never passed the sum; a probe
    # did (no prices, a coupon of 5): the method answered -5.0 there, 49.5 to the person's own call. A number of the
    # other sign is shown after a raise and before the conditions' calls, for the person to say whether it may be so.
    trial = {"args": [[20, 35.5, 12], 5], "kwargs": {}}
    stated = [{"args": [[20, 35.5, 12], 10], "kwargs": {}, "condition": "then less the coupon"},
              {"args": [[20, 35.5, 12], 20], "kwargs": {}, "condition": "never going below 0"}]
    probes = [{"args": [[], 5], "kwargs": {}}, {"args": [[20, 35.5, 12], 0], "kwargs": {}}]
    labels = ("then less the coupon", "never going below 0")

    def method(answers: list, attempt: int) -> dict:
        cases = plan(trial, [], [], [*stated, *probes])
        outcomes = [{"value": answers[0]}] * 2 + [{"value": v} for v in answers[1:]]
        return {**assess(cases, outcomes, lambda i, names: {}, "obj.basket_total"), "attempt": attempt,
                "code": f"def basket_total(self, prices, coupon):\n    return sum(prices) - coupon  # {attempt}",
                "calls": [trial, *stated, *probes]}

    pair = [method([62.5, 57.5, 47.5, -5.0, 67.5], 1), method([62.5, 57.5, 47.5, -5.0, 67.5], 2)]
    look = asking.question("c1", 1, "basket_total", decide(pair, can_ask=True, conditions=labels, uncovered=labels), {}, None)
    assert look["call"]["args"] == [[], 5] and look["choices"] == [{"result": -5.0, "candidates": 2}]
    assert [a["condition"] for a in look["also"]] == list(labels)
    # where every answer keeps the trial's sign, the conditions' calls come first, as before
    plain = [method([62.5, 57.5, 47.5, 0, 67.5], 1), method([62.5, 57.5, 47.5, 0, 67.5], 2)]
    look = asking.question("c1", 1, "basket_total", decide(plain, can_ask=True, conditions=labels, uncovered=labels), {}, None)
    assert look["call"]["args"] == [[20, 35.5, 12], 10] and look["condition"] == "then less the coupon"


def test_nobody_to_ask_two_readings_the_case_writer_agrees_with_nowhere_are_not_installed_conditions_or_not():
    # lowest_balance: both candidates summed the transactions (80), the case writer said otherwise at each of its
    # calls; the two agreeing was all there was, and it was installed wrong. The case writer is the request's other
    # reader: when it agrees with them nowhere, nobody to ask, nothing is installed (one case agreeing is enough)
    trial = {"args": [100, [-30, 50, -90, 20]], "kwargs": {}}
    stated = [{"args": [100, [50, 50]], "kwargs": {}, "condition": "a list with no withdrawal gives the opening balance"}]
    generated = [{"args": [100, [-50, -50]], "kwargs": {}, "result": 0}, {"args": [100, [50, 50]], "kwargs": {}, "result": 100}]

    def summing(attempt: int, answers: list) -> dict:
        cases = plan(trial, [], generated, stated)
        outcomes = [{"value": answers[0]}] * 2 + [{"value": v} for v in answers[1:]]
        return {**assess(cases, outcomes, lambda i, names: {}, "obj.lowest_balance"), "attempt": attempt,
                "code": f"def lowest_balance(self, opening, moves):\n    return opening + sum(moves)  # {attempt}",
                "calls": [trial, *generated, *stated]}

    labels = ("a list with no withdrawal gives the opening balance",)
    nowhere = [summing(1, [50, 1, 200, 200]), summing(2, [50, 1, 200, 200])]
    assert [r["passes"] for r in nowhere] == [[False, False]] * 2  # the verdicts as assess gives them
    refused = decide(nowhere, can_ask=False, conditions=labels)
    assert refused.action == choosing.MORE and refused.disputed and "pass none of the generated cases" in refused.why
    assert decide(nowhere, can_ask=False, conditions=labels, final=True).action == choosing.FAIL
    somewhere = [summing(1, [50, 1, 100, 100]), summing(2, [50, 1, 100, 100])]  # it agrees at one call
    assert decide(somewhere, can_ask=False, conditions=labels).action == choosing.INSTALL


# --- a labelled look on a real kernel (the replay backend, the real jail) -------------------------------------
SPLIT = "def parse_line(self, line):\n    return line.split(',')"  # the misreading: the first two candidates'
QUOTED = ('def parse_line(self, line):\n    fields, current, quoted = [], "", False\n    for ch in line:\n'
          '        if ch == \'"\':\n            quoted = not quoted\n        elif ch == "," and not quoted:\n'
          '            fields.append(current)\n            current = ""\n        else:\n            current += ch\n'
          '    fields.append(current)\n    return fields')
QUOTED_TOO = QUOTED.replace("    fields.append(current)\n    return fields", "    return fields + [current]")


def look_session() -> tuple[dict, list[dict]]:
    """A request the console and the web page test with (texts of the kind the real models write): BRICK writes a call
    under each of its two conditions; the first two candidates agree on the misreading and are shown before install,
    one call for each condition, labelled; the person corrects the second call; the next two hold the correction and
    agree: installed."""
    from test_cycle import alfred, brick

    spec = ("```python\n# 1. split a CSV line into its fields\nassert obj.parse_line('a,b') == ['a', 'b']\n"
            "# 2. a field in double quotes keeping its commas\nassert obj.parse_line('x,\"y,z\"') == ['x', 'y,z']\n```")
    lines = [brick("parse_line"), {"persona": "BRICK", "contains": "Answer with the asserts in one ```python block.", "response": spec},
             *[alfred("parse_line", SPLIT)] * 2, alfred("parse_line", QUOTED), alfred("parse_line", QUOTED_TOO)]
    request = {"command": "send", "target": "genesis_obj", "selector": "parse_line", "args": ["a,b"],
               "intent": "split a CSV line into its fields, a field in double quotes keeping its commas"}
    return request, lines


def test_a_labelled_look_is_corrected_and_the_candidates_that_hold_the_correction_are_installed(tmp_path):
    from console_support import replay_kernel

    request, lines = look_session()
    kernel = replay_kernel(tmp_path, lines).start()
    try:
        with kernel.client() as client:
            client.send({**request, "id": "learn", "events": True})
            seen = []
            while True:
                reply = client.recv(60)
                if reply.get("id") == "learn" and reply.get("status") != "event":
                    break
                event = reply.get("event") or {}
                if event.get("type") == "question" and event.get("waiting"):
                    seen.append(event["question"])
                    client.send({"command": "answer", "id": "a", "cycle": event["cycle"], "question": event["question"]["id"],
                                 "result": ["x", "y,z"], "at": 1})
        assert reply["status"] == "ok", reply
        [question] = seen
        assert question["kind"] == "confirm" and question["condition"] == "split a CSV line into its fields"
        assert question["also"][0]["condition"] == "a field in double quotes keeping its commas"
        assert question["also"][0]["result"] == ["x", '"y', 'z"']  # the misreading, where the condition says otherwise
        assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "parse_line",
                               "args": ['x,"y,z"']})["result"] == ["x", "y,z"]
        cycle = kernel.request({"command": "cycle", "cycle": reply["result"]["cycle"]})["result"]
        assert cycle["attempts"] == 4 and [e["args"] for e in cycle["artifacts"]["questions"][0]["examples"]] == [["a,b"], ['x,"y,z"']]
    finally:
        kernel.stop()

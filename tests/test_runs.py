"""Candidates tried in the real jail on an aborted view of a real image (bat_os.cognition.trial.runs)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bat_os.cognition.judge.candidate import Candidate
from bat_os.cognition.judge.cases import output_key
from bat_os.cognition.judge.decide import concur
from bat_os.cognition.trial import coverage
from bat_os.cognition.trial.runs import Trials
from bat_os.jail.runner import MAX_CASES, Jail

SHORT = "def is_leap(self, year):\n    return year % 4 == 0\n"
FULL = "def is_leap(self, year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"
INFO = {"selector": "is_leap", "args": [2024], "kwargs": {}, "examples": [],
        "cases": [{"args": [2023], "kwargs": {}, "result": False}], "intent": "tell whether a year is a leap year"}


def tried(image: Any, work) -> Any:
    async def main() -> Any:
        jail = Jail()
        await jail.start()
        try:
            return await work(Trials(image, jail, lambda root, cycle_id: root["genesis_obj"]))
        finally:
            await jail.close()

    return asyncio.run(main())


def written(code: str, attempt: int = 1) -> dict:
    return {"attempt": attempt, "code": code, "author": "ALFRED"}


def test_a_candidate_s_verdict_comes_from_one_run_over_every_call_and_its_source(awake_image):
    async def work(trials: Trials) -> list[Candidate]:
        return [await trials.tried("c1", INFO, written(code)) for code in (
            SHORT, "def is_leap(self, year):\n    return True\n", "def is_leap(self, year):\n    return 1 / 0\n")]

    right, unused, raising = tried(awake_image, work)
    assert right.eligible and right.passes == (True,) and right.trial_result is True
    assert len(right.signature) == len(right.calls) == 1 + 1 + 4  # the trial, the generated case, the probes (0, 7, -3, 2036)
    assert [c["args"] for c in right.calls] == [[2024], [2023], [0], [7], [-3], [2036]]
    assert right.answer({**right.calls[2], "position": 2}) == output_key({"value": True})  # is_leap(0)
    # a parameter it never reads refuses nothing by itself (no replay showed such a rule paid): its answers tell it apart
    assert unused.eligible and unused.signature != right.signature
    assert not raising.eligible and raising.failed[0].startswith("trial: obj.is_leap(2024) should not raise")
    assert awake_image.read(lambda: "is_leap" not in awake_image.connection.root()["genesis_obj"].slots)


def test_look_alikes_are_asked_the_calls_of_their_constants_each_code_once(awake_image):
    async def work(trials: Trials) -> list[Candidate]:
        found = [await trials.tried("c1", INFO, written(code, n)) for n, code in enumerate((SHORT, FULL, SHORT), 1)]
        refused = Candidate(**written("def is_leap(self, year):\n    return year", 4))  # not eligible: never asked
        return await trials.tell_apart("c1", INFO, [*found, refused])

    short, full, again, refused = tried(awake_image, work)
    assert short.signature == full.signature  # alike on the trial, the case and every probe
    assert [(c["args"], a) for c, a in short.extra] == [([4], '["value", true]'), ([100], '["value", true]'), ([400], '["value", true]')]
    assert full.answer({"args": [100], "kwargs": {}}) == '["value", false]'
    assert again.extra == short.extra and refused.extra == ()
    # tried again, a candidate keeps what it answered and is asked only what it was not
    told = tried(awake_image, lambda trials: trials.tell_apart("c1", INFO, [short, full]))
    assert told[0].extra == short.extra and told[1].extra == full.extra


def test_candidates_that_write_a_slot_are_tried_on_a_view_the_image_never_keeps(awake_image):
    """"empty the scores slot and return how many scores it held", as the real 0.5B model misread it: emptied, then
    counted; and with the prompt's data copied into the source. No run changes the image; what tells them apart is the
    coverage calls of the one to install (the scores slot given other data), no longer a refusal of their own."""
    awake_image.run(lambda: awake_image.connection.root()["genesis_obj"].set_slot("scores", [3, 4]))
    info = {"selector": "clear_scores", "args": [], "kwargs": {}, "examples": [], "cases": [],
            "intent": "empty the scores slot (a list) and return how many scores it held",
            "receiver_slots": {"scores": [3, 4]}}
    counted_after = "def clear_scores(self):\n    self.scores = []\n    return len(self.scores)\n"
    copied = "def clear_scores(self):\n    self['scores'] = [3, 4]\n    return len(self['scores'])\n"
    right = "def clear_scores(self):\n    held = len(self.scores)\n    self['scores'] = []\n    return held\n"

    async def work(trials: Trials) -> list[Candidate]:
        tried_ = [await trials.tried("c1", info, written(code)) for code in (counted_after, copied, right)]
        return await trials.cover("c1", info, tried_, 2)

    after, copy, held = tried(awake_image, work)
    assert after.eligible and copy.eligible and held.eligible and held.trial_result == 2
    emptied = {"args": [], "kwargs": {}, "given": {"scores": []}}
    assert held.answer(emptied) == '["value", 0]'  # a coverage call: the slot given no scores (left as it was)
    assert copy.answer(emptied) == '["value", 2, {"scores": [3, 4]}]' and after.answer(emptied) == held.answer(emptied)
    longer = next(call for call, _answer in held.extra if len((call.get("given") or {}).get("scores", [])) > 2)
    assert after.answer(longer) != held.answer(longer)  # where they part: more scores than the image holds
    assert awake_image.read(lambda: list(awake_image.connection.root()["genesis_obj"].slots["scores"])) == [3, 4]


def test_a_candidate_is_audited_before_it_is_tried_and_one_the_guardian_refuses_never_reaches_the_jail(awake_image):
    refused_code = "def is_leap(self, year):\n    import os\n    return os.getcwd()\n"

    async def work(trials: Trials) -> tuple[Candidate, Candidate, list[str]]:
        ran: list[str] = []
        jailed = trials.jail.run_cases

        async def counted(code: str, *args: Any, **kwargs: Any) -> Any:
            ran.append(code)
            return await jailed(code, *args, **kwargs)

        trials.jail.run_cases = counted  # type: ignore[method-assign]
        accepted = await trials.tried("c1", INFO, written(SHORT, 1))
        refused = await trials.tried("c1", INFO, written(refused_code, 2))
        return accepted, refused, ran

    accepted, refused, ran = tried(awake_image, work)
    assert ran == [SHORT]  # the refused source was never run
    assert accepted.verdict["accepted"] and accepted.eligible and accepted.attempt == 1 and accepted.author == "ALFRED"
    assert accepted.passes == (True,) and accepted.trial_result is True
    assert not refused.verdict["accepted"] and not refused.eligible and refused.attempt == 2
    assert (refused.passes, refused.signature) == ((), ())
    assert refused.failed and all(f.startswith("static: ") and "(line " in f for f in refused.failed), refused.failed


def test_the_one_to_install_meets_its_coverage_calls_and_carries_what_they_never_ran_or_where_it_crashed(awake_image):
    """Trials.cover on real candidates in the real jail: a branch no call of its pool can reach (a leap year's rule
    behind a test of a value it worked out itself) is a doubt of the chosen one; so is a KeyError on a boundary of its
    own (3000 / 3001); a refusal it raises itself is neither, nor a crash at a negative year the request never speaks
    of (fibonacci's naive recursion below 0). Only the chosen candidate is judged so."""
    hidden = ("def is_leap(self, year):\n    century = year // 100 * 0\n    if century > 5:\n"
              "        return year % 400 == 0\n    return year % 4 == 0\n")
    crashing = "def is_leap(self, year):\n    if year > 3000:\n        return {}[year]\n    return year % 4 == 0\n"
    refusing = "def is_leap(self, year):\n    if year < 0:\n        raise ValueError('no')\n    return year % 4 == 0\n"
    negative = "def is_leap(self, year):\n    if year < 0:\n        return {}[year]\n    return year % 4 == 0\n"

    async def work(trials: Trials) -> list[list[Candidate]]:
        tried_ = [await trials.tried("c1", INFO, written(code, n)) for n, code in enumerate((hidden, crashing, refusing, negative), 1)]
        return [await trials.cover("c1", INFO, tried_, chosen) for chosen in range(4)]

    first, second, third, fourth = tried(awake_image, work)
    assert first[0].doubts == ("no call runs its line 'return year % 400 == 0'",) and first[1].doubts == ()
    assert second[1].doubts == ("it raises KeyError at a boundary of its own, an error neither it nor the request names",)
    assert third[2].doubts == ()
    assert fourth[3].doubts == ()  # at -1 (a boundary of its own): a year the request never speaks of below 0


def test_with_nobody_to_ask_the_others_answer_the_chosen_one_s_whole_pool_and_part_where_a_look_never_goes(awake_image):
    """is_business_hours as two real candidates wrote it with nobody to ask (bench/runs/bt9_nobody): one also wants the
    minutes under 30, on the same line as its hours, so no arc tells the paths apart and the calls a look would show
    find them alike; across the whole pool (13:59, the end of the call's hour) they part. More calls than one jailed
    run takes are answered in several (a refund of three inputs)."""
    both = "def is_business_hours(self, t):\n    h, m = map(int, t.split(':'))\n    return 9 <= h < 17"
    info = {"selector": "is_business_hours", "args": ["13:15"], "kwargs": {}, "examples": [], "cases": [],
            "intent": "whether a time of day HH:MM falls in business hours, from 09:00 included to 17:30 not included"}
    codes = (f"{both} and 0 <= m < 30\n", f"{both}\n")

    async def work(trials: Trials) -> tuple[list[Candidate], list[Candidate]]:
        tried_ = [await trials.tried("c1", info, written(code, n)) for n, code in enumerate(codes, 1)]
        return await trials.cover("c1", info, tried_, 0), await trials.cover("c1", info, tried_, 0, every=True)

    shown, every = tried(awake_image, work)
    only = frozenset(("trial", "condition"))
    assert concur(shown[0], shown[1], only) and len(shown[1].extra) <= coverage.MAX_SELECTED
    assert not concur(every[0], every[1], only) and len(every[1].extra) > len(shown[1].extra)
    assert every[0].answer({"args": ["13:59"], "kwargs": {}}) == '["value", false]'
    assert every[1].answer({"args": ["13:59"], "kwargs": {}}) == '["value", true]'

    refund = ("def refund(self, price, hours, kind):\n    if price < 0 or kind not in ('basic', 'gold'):\n        raise ValueError('no')\n"
              "    return price if hours >= 24 or kind == 'gold' else min(price / 2 if hours >= 6 else 0, 15)\n")
    asked = {"selector": "refund", "args": [12, 10, "basic"], "kwargs": {}, "examples": [], "cases": [],
             "intent": 'the refund for a price, hours before and membership "basic" or "gold": 24 or more hours gives it '
                       'all; 6 or more hours half, never more than 15 for basic; a price over 500 or hours over 720 raise ValueError'}

    async def many(trials: Trials) -> list[Candidate]:
        tried_ = [await trials.tried("c1", asked, written(code, n)) for n, code in enumerate((refund, refund + "\n"), 1)]
        return await trials.cover("c1", asked, tried_, 0, every=True)

    first, second = tried(awake_image, many)
    assert len(second.extra) > MAX_CASES and all(answer.startswith('["') for _call, answer in second.extra)
    assert first.extra == second.extra


def test_a_boundary_of_a_value_the_code_works_out_of_an_input_is_found_by_halving(awake_image):
    """trail_grade as the real 1.5B misread it (novel18): ``score = length + ascent // 100``. The ascent's scale (the
    call's 900, the request's 50, 100, 1500, each with its neighbours) never holds the ascent where the score crosses
    20; halving the gap between values whose paths differ finds 699 and 700, and the coverage calls hold them as a
    boundary: where the person's answer (14 + 6.99 is above 20: "hard") refuses the misreading."""
    code = ("def trail_grade(self, length, ascent):\n    if length < 0 or ascent < 0:\n        raise ValueError('no')\n"
            "    score = length + ascent // 100\n    if score <= 10:\n        return 'easy'\n    elif score <= 20:\n"
            "        return 'moderate'\n    elif score <= 30:\n        return 'hard'\n    return 'expert'\n")
    info = {"selector": "trail_grade", "args": [14, 900], "kwargs": {}, "examples": [], "cases": [],
            "intent": "the grade of a trail from its length in km and its ascent in metres: the score is the length plus "
                      "one point for every 100 m of ascent (fractions count, so 50 m is half a point); up to 10 is easy, "
                      "up to 20 moderate, up to 30 hard, else expert; more than 1500 m of ascent is at least hard"}

    async def work(trials: Trials) -> list[Candidate]:
        return await trials.cover("c1", info, [await trials.tried("c1", info, written(code))], 0)

    [covered] = tried(awake_image, work)
    shown = {json.dumps(call["args"]): call["coverage"] for call, _answer in covered.extra}
    assert shown["[14, 699]"].startswith("where it changes course (arg 2 = 699 / 700)"), shown
    assert covered.answer({"args": [14, 699], "kwargs": {}}) == '["value", "moderate"]'

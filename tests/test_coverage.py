"""Calls chosen by coverage (bat_os.cognition.trial.coverage): the pool a chosen candidate meets, run traced in the
real jail, and what is kept of it: the boundaries of its comparisons, its branches and raises, the values the request
names, the classic edges of each type."""

from __future__ import annotations

import asyncio
import datetime
import os
from typing import Any

import pytest

from bat_os.cognition.judge.cases import key
from bat_os.cognition.methods.host import CaseHost
from bat_os.cognition.trial import coverage
from bat_os.jail.runner import MAX_CASES, Jail

jailed = pytest.mark.skipif(not hasattr(os, "fork"), reason="the jail needs fork")


class Slots:
    """A receiver of plain slots (the CaseHost lays each case's ``given`` over them)."""

    def __init__(self, **slots: Any) -> None:
        self.slots = dict(slots)

    def get_slot(self, ref: str, name: str) -> tuple[str, Any]:
        return "value", self.slots[name]

    def set_slot(self, ref: str, name: str, value: Any) -> None:
        self.slots[name] = value

    def send(self, ref: str, selector: str, args: list, kwargs: dict) -> Any:
        raise KeyError(selector)


def covered(code: str, selector: str, args: list, intent: str = "", slots: dict | None = None,
            confirmed: list[dict] = ()) -> tuple[list[dict], list[dict]]:
    """(the pool, the calls kept) for ``code``: the pool run traced in the real jail after the ``confirmed`` calls."""
    slots = slots or {}
    pool = coverage.pool(args, {}, slots, intent, code, selector)
    everything = [*confirmed, *pool]

    async def main() -> list[dict]:
        jail = Jail()
        await jail.start()
        try:
            outcomes: list[dict] = []
            for start in range(0, len(everything), MAX_CASES):
                part = [{**c, "role": "probe", "index": i} for i, c in enumerate(everything[start:start + MAX_CASES])]
                outcomes += await jail.run_cases(code, selector, part, CaseHost(Slots(**slots), part), trace=True)
            return outcomes
        finally:
            await jail.close()

    outcomes = asyncio.run(main())
    arcs = [arc for o in outcomes[:len(confirmed)] for arc in o.get("arcs") or ()]
    return pool, coverage.select(pool, outcomes[len(confirmed):], list(confirmed), arcs)


def _args(calls: list[dict]) -> list[list]:
    return [c["args"] for c in calls]


TAKE = ("def take(self, item, quantity):\n"
        "    have = self.stock.get(item, 0)\n"
        "    if quantity < 1 or quantity > have:\n"
        "        raise ValueError('cannot take that many')\n"
        "    stock = dict(self.stock)\n"
        "    stock[item] = have - quantity\n"
        "    self.stock = stock\n"
        "    return have - quantity\n")


@jailed
def test_a_comparison_gets_calls_at_its_boundary_and_on_both_sides_in_the_argument_it_reads() -> None:
    """``quantity > have``: have is 3 (the slot's data), so 3 and 4 are where the method changes course; 0 and 1
    for ``quantity < 1``. Neither is supported by anything the person said."""
    _pool, kept = covered(TAKE, "take", ["pear", 1], "take a quantity of an item out of the stock slot",
                          {"stock": {"apple": 5, "pear": 3}})
    boundaries = [c for c in kept if c["coverage"].startswith("where it changes course")]
    assert {("pear", 3), ("pear", 4), ("pear", 0), ("pear", 1)} <= {tuple(c["args"]) for c in boundaries}
    unsupported = {c["args"][1] for c in boundaries if c["unsupported"]}  # one side of each boundary, shared first
    assert unsupported & {0, 1} and unsupported & {3, 4} and len(unsupported) <= 3
    assert "arg 2 = 3 / 4" in next(c["coverage"] for c in boundaries if c["args"] == ["pear", 4])


@jailed
def test_a_boundary_the_person_answered_at_is_supported() -> None:
    confirmed = [{"args": ["pear", 3], "kwargs": {}}, {"args": ["pear", 0], "kwargs": {}}]
    _pool, kept = covered(TAKE, "take", ["pear", 1], "", {"stock": {"apple": 5, "pear": 3}}, confirmed)
    assert ["pear", 3] not in _args(kept)  # asked already
    assert not any(c["unsupported"] for c in kept if c["args"] in (["pear", 4], ["pear", 1]))


@jailed
def test_every_branch_and_raise_is_taken_by_a_kept_call_and_a_confirmed_path_is_not_asked_again() -> None:
    code = ("def price(self, text):\n"
            "    if not text:\n"
            "        raise ValueError('empty')\n"
            "    if text.startswith('-'):\n"
            "        return -float(text[1:])\n"
            "    return float(text)\n")
    intent = "read a price from a text, a minus sign before it making it negative; an empty text raises ValueError"
    pool, kept = covered(code, "price", ["12.5"], intent)
    assert ["-12.5"] in _args(pool) and [""] in _args(pool)  # the mark the request names, and the empty edge
    paths = [c for c in kept if c["coverage"] == "a path of its code none of your answers took"]
    assert "" in {c["args"][0] for c in paths} and all(c["unsupported"] for c in paths)  # the raise
    assert any(c["args"][0].startswith("-") for c in paths)  # the branch of the sign
    _pool, again = covered(code, "price", ["12.5"], intent, confirmed=[{"args": [a], "kwargs": {}} for a in ("", "-1", "7")])
    assert not [c for c in again if c["coverage"] == "a path of its code none of your answers took"]


@jailed
def test_a_value_the_request_names_is_met_even_where_the_code_has_no_branch() -> None:
    code = "def half(self, number):\n    return round(number * 2) / 2\n"
    _pool, kept = covered(code, "half", [2.3], "round to the nearest multiple of 0.5, a number like 1.25 going up")
    named = [c for c in kept if c["coverage"].startswith("a value the request names")]
    assert [1.25] in _args(named) and [0.5] in _args(named) and all(c["unsupported"] for c in named)
    assert kept.index(named[0]) == 0  # least supported first


@jailed
def test_a_list_of_numbers_meets_the_totals_the_request_names() -> None:
    code = ("def pay(self, prices):\n"
            "    total = sum(prices)\n"
            "    if total >= 100:\n"
            "        total = total * 0.9\n"
            "    return round(total, 2)\n")
    _pool, kept = covered(code, "pay", [[20, 35.5, 12]], "the sum, less 10% when that sum is 100 or more")
    totals = {round(sum(c["args"][0]), 2) for c in kept if c["coverage"].startswith("where it changes course")}
    assert {99.99, 100.0} <= totals


def test_the_classic_edges_of_each_type() -> None:
    assert {0, 1, -1, 6, 7, 8} <= set(coverage.scale(7, "", [], [])[0])
    assert {99, 100, 101} <= set(coverage.scale(7, "100 or more", [], [])[0])  # a named number and its neighbours
    assert {29, 30, 31} <= set(coverage.scale(7, "", [30], [])[0])  # a constant of the code
    texts = coverage.scale("Ada Lovelace", "", [], [])[0]
    assert {"", "A", " Ada Lovelace ", "ADA LOVELACE", "ada lovelace"} <= set(texts)
    lists = coverage.scale([3, 1, 4], "", [], [])[0]
    assert [] in lists and [3] in lists and [3, 1, 4, 4] in lists  # empty, one item, a duplicate
    assert [3, 0, 1, 4] in lists and [-3, 1, 4] in lists and [3, 1, 4, 4] in lists  # a zero, a negative, a tie
    records = coverage.scale([["ann", 80], ["bob", 95]], "", [], [])[0]
    assert [["ann", 80], ["bob", 95], ["zzann", 80]] in records  # a tie on the numbers
    assert {} in coverage.scale({"a": 1, "b": 2}, "", [], [])[0] and {"a": 0, "b": 2} in coverage.scale({"a": 1, "b": 2}, "", [], [])[0]
    dates, ordered, edges = coverage.scale("2023-06-07", "", [], [])
    assert dict(zip(dates, edges))["2023-06-10"] == "weekend" and dict(zip(dates, edges))["2024-02-29"] == "leap day"
    assert ordered and {"2023-06-10", "2023-06-11"} <= set(dates)  # a Saturday and a Sunday
    assert {datetime.date.fromisoformat(d).weekday() for d in dates} >= {5, 6}
    assert {"2023-06-30", "2023-07-01", "2024-02-29", "2025-02-28", "2023-12-31"} <= set(dates)  # month end, leap
    times, _ordered, _edges = coverage.scale("13:15", "ends at 17:30", [], [])
    assert {"00:00", "23:59", "13:00", "13:59", "17:29", "17:30", "17:31"} <= set(times)  # midnight, the hour, named
    assert coverage.scale(True, "", [], [])[0] == [False]


def test_a_text_holding_another_arguments_marks_is_an_edge() -> None:
    pool = coverage.pool(["Hi {name}, for {people}", {"name": "Ann", "people": 4}], {}, {}, "", "def f(self, t, v):\n    return t\n", "f")
    holding = [c for c in pool if c.get("holding")]
    assert holding and holding[0]["args"][1] == {"name": "{people}", "people": 4}


def test_the_pool_changes_one_argument_or_one_slot_the_code_reads_at_a_time() -> None:
    pool = coverage.pool(["pear", 1], {}, {"stock": {"pear": 3}, "unread": 5}, "", TAKE, "take")
    assert len(pool) <= coverage.MAX_POOL
    for call in pool:
        changed = [i for i, (a, b) in enumerate(zip(call["args"], ["pear", 1])) if a != b]
        assert len(changed) + len(call.get("given") or {}) <= 1
    assert all(set(c.get("given") or {}) <= {"stock"} for c in pool)  # only slots the code reads
    assert len({key(c) for c in pool if c.get("rank") is None}) == len([c for c in pool if c.get("rank") is None])


def test_a_slot_read_by_subscript_is_read() -> None:
    code = "def f(self, a):\n    x = self['b'] + self.c\n    self.d = 1\n    return self.a + self['b'] + self[a]\n"
    assert coverage.slots_read(code) == ["b", "c", "a"]  # written slots and computed keys are not reads
    # a slot only ever counted up is read: its value decides the new one (a brew that never looks at the cups since
    # the last descale but adds to them still meets that count on its scale, where the request says it stops)
    assert coverage.slots_read("def f(self, n):\n    self['since'] += n\n    self.used -= 1\n    return 'ok'\n") == ["since", "used"]


def test_a_time_or_a_date_argument_meets_the_times_and_dates_the_slots_it_compares_with_hold() -> None:
    code = ("def scan(self, code, at):\n"
            "    if at < self['opens'] or at > self['closes']:\n"
            "        return 'closed'\n"
            "    return 'welcome' if self.until >= '2024-05-01' else 'expired'\n")
    slots = {"opens": "18:00", "closes": "23:00", "until": "2024-05-31", "unread": "06:00"}
    pool = coverage.pool(["A1", "19:30"], {}, slots, "scan a ticket", code, "scan")
    times = {c["args"][1] for c in pool if c["dim"] == "arg 2"}
    assert {"17:59", "18:00", "18:01", "22:59", "23:00", "23:01"} <= times and "06:00" not in times
    dated = coverage.pool(["A1", "2024-05-20"], {}, slots, "", code.replace("at < self['opens']", "at > self.until"), "scan")
    assert {"2024-05-30", "2024-05-31", "2024-06-01"} <= {c["args"][1] for c in dated if c["dim"] == "arg 2"}


def test_where_the_code_turns_comes_before_what_the_request_names_on_a_full_scale() -> None:
    """A request naming many numbers fills a number's scale: the code's constants and the numbers of the slots it
    reads come first (``reading > self.last`` meets ``last`` exactly), then the named ones."""
    intent = "counts up to 99999, then 00000: 99990 followed by 5 is a usage of 15, below 0 or above 99999 raises"
    values, ordered, _edges = coverage.scale(12450, intent, [0, 99999, 100000], [12000, 300])
    assert ordered and {11999, 12000, 12001, 99998, 99999, 100000} <= set(values) and len(values) == coverage.MAX_VALUES


def test_a_weekday_the_request_names_is_an_edge_it_speaks_of() -> None:
    intent = "which week of its month a date falls in, each later Monday starting the next week"
    pool = coverage.pool(["2024-03-15"], {}, {}, intent, "def week(self, day):\n    return 1\n", "week")
    mondays = [c for c in pool if c.get("edge") == "monday"]
    assert ["2024-03-18"] in [c["args"] for c in mondays] and all(c.get("named") for c in mondays)
    assert all(datetime.date.fromisoformat(c["args"][0]).weekday() == 0 for c in mondays)
    assert not any(c.get("named") for c in pool if c.get("edge") == "tuesday")  # a weekday it does not name


def test_a_text_argument_meets_the_texts_the_slots_hold_in_every_case() -> None:
    code = "def enroll(self, name):\n    if name in self['enrolled']:\n        raise ValueError(name)\n    return 'ok'\n"
    intent = "a name already enrolled raises ValueError, names compared ignoring case"
    pool = coverage.pool(["Dee"], {}, {"enrolled": ["Ann", "Bob"], "opens": "09:00"}, intent, code, "enroll")
    held = [c for c in pool if c.get("edge") == "duplicate"]
    assert {"Ann", "ann", "ANN", "Bob", "bob", "BOB"} <= {c["args"][0] for c in held}
    assert all(c.get("named") for c in held)  # "already": an edge the request speaks of


@jailed
def test_a_slot_the_code_tests_for_none_meets_none() -> None:
    code = ("def trade(self, price):\n"
            "    if self.last is None:\n"
            "        self.last = price\n"
            "        return True\n"
            "    self.trades = self.trades + 1\n"
            "    self.last = price\n"
            "    return True\n")
    pool, kept = covered(code, "trade", [102], "the first trade (when the last slot is None) sets last",
                         {"last": 100, "trades": 12})
    nothing = [c for c in pool if c.get("given") == {"last": None}]
    assert len(nothing) == 1 and nothing[0]["edge"] == "none" and nothing[0].get("named")
    assert any(c.get("given") == {"last": None} and c["unsupported"] for c in kept)  # the path no answer took
    assert not [c for c in coverage.pool([102], {}, {"last": 100}, "", code.replace("is None", "== 0"), "trade")
                if c.get("given") == {"last": None}]  # no test for None: no None


def test_a_list_or_a_map_of_numbers_meets_a_tie_with_each_of_its_values() -> None:
    lists = coverage.scale([3, 1, 4], "", [], [])[0]
    assert [3, 1, 4, 3] in lists and [3, 1, 4, 1] in lists  # not only a tie for the largest
    maps, _ordered, edges = coverage.scale({"ana": 71.2, "ben": 69.8, "cy": 75.0}, "", [], [])
    ties = [m for m, e in zip(maps, edges) if e == "tie"]
    assert {"ana": 71.2, "ben": 69.8, "cy": 75.0, "zzana": 71.2} in ties and len(ties) == 3


@jailed
def test_a_cut_by_position_meets_a_tie_where_it_cuts_and_the_request_speaking_of_ties_shows_it() -> None:
    code = ("def podium(self, times):\n"
            "    order = sorted(times.items(), key=lambda kv: kv[1])\n"
            "    return [name for i, (name, t) in enumerate(order) if i < 3]\n")
    intent = "runners with equal times share a place; everyone placed 3rd or better wins a medal"
    args = [{"ana": 71.2, "ben": 69.8, "cy": 75.0, "dee": 69.8}]
    _pool, kept = covered(code, "podium", args, intent)
    at_cut = {"ana": 71.2, "ben": 69.8, "cy": 75.0, "dee": 69.8, "zzana": 71.2}  # a tie at the third place
    assert any(c["args"] == [at_cut] and c["unsupported"] for c in kept)


def test_a_list_of_texts_meets_each_text_the_request_names_one_more_time() -> None:
    intent = 'card names "2" to "10", "J", "Q", "K" and "A": J, Q and K count 10'
    pool = coverage.pool([["A", "7", "3"]], {}, {}, intent, "def f(self, cards):\n    return len(cards)\n", "f")
    items = [c for c in pool if c.get("edge") == "item"]
    assert {tuple(c["args"][0]) for c in items} >= {("A", "7", "3", "K"), ("A", "7", "3", "10")}
    assert all(c.get("named") for c in items)  # the request names each: shown like a value it names


def test_a_mark_the_request_names_takes_the_place_of_a_texts_first_and_last_character() -> None:
    texts = [v for _edge, v in coverage.text_edges("0-306-40615-2", ["X"])]
    assert "0-306-40615-X" in texts and "X-306-40615-2" in texts  # the same length: a check digit 'X'
    assert "0-306-40615-2X" in texts and "X0-306-40615-2" in texts  # and around it, as before


def test_a_text_with_a_space_inside_meets_a_run_of_spaces_there() -> None:
    texts = [v for edge, v in coverage.text_edges("Road Trip", []) if edge == "spaces"]
    assert texts == [" Road Trip ", "Road  Trip"]  # around it, and two for one inside
    assert [v for edge, v in coverage.text_edges("Road", []) if edge == "spaces"] == [" Road "]  # none inside: none


def test_two_numbers_a_clause_names_side_by_side_change_two_inputs_together() -> None:
    intent = "below 60 rpm it is easier; from 60 up to 100 it is keep, except on a climb steeper than 8 percent, where a cadence below 70 gets easier"
    pool = coverage.pool([85, 3], {}, {}, intent, "def f(self, cadence, gradient):\n    return cadence\n", "f")
    pairs = [c["args"] for c in pool if c.get("pair")]
    assert [69, 9] in pairs and [71, 7] in pairs  # each just past 70 and 8, together
    assert len(pairs) <= coverage.MAX_PAIRS and all(a != 85 and b != 3 for a, b in pairs)


@jailed
def test_a_pair_is_kept_where_one_input_at_a_time_never_reaches_the_clause() -> None:
    code = ("def gear(self, cadence, gradient):\n"
            "    if cadence < 60:\n        return 'easier'\n"
            "    if gradient > 8 and cadence < 70:\n        return 'easier'\n"
            "    return 'keep'\n")
    intent = "below 60 it is easier; a climb steeper than 8 percent, where a cadence below 70 gets easier"
    _pool, kept = covered(code, "gear", [85, 3], intent)
    together = [c for c in kept if c["args"][0] != 85 and c["args"][1] != 3]
    assert any(60 <= c["args"][0] < 70 and c["args"][1] > 8 and c["unsupported"] for c in together)  # its path, shown


@jailed
def test_a_list_meets_the_lengths_the_code_compares_its_len_with_and_the_boundary_is_unsupported() -> None:
    code = ("def group_price(self, ages):\n"
            "    total = sum(0 if a < 6 else 14 for a in ages)\n"
            "    if len(ages) < 10:\n        return total\n"
            "    return round(total * 0.85, 2)\n")
    unnamed = coverage.pool([[1]], {}, {}, "", code, "group_price")  # where it compares len() with 10, named or not
    assert sorted(len(c["args"][0]) for c in unnamed if c["dim"] == "arg 1 length") == [9, 10, 11]
    pool, kept = covered(code, "group_price", [[40, 38, 12, 4]], "when 10 or more members pay something, 15% off")
    lengths = sorted(len(c["args"][0]) for c in pool if c["dim"] == "arg 1 length")
    assert {9, 10, 11} <= set(lengths) and [40, 38, 12, 4, 40, 38, 12, 4, 40, 38] in [c["args"][0] for c in pool]  # over again
    cut = [c for c in kept if c["coverage"].startswith("where it changes course (arg 1 length = 9 / 10")]
    assert cut and all(c["unsupported"] for c in cut)  # a count of the items is where the request's clause goes wrong


@jailed
def test_a_flag_slot_the_request_names_and_the_code_never_reads_is_flipped_and_shown_first() -> None:
    code = ("def use(self, mb):\n"
            "    self.used = self.used + mb\n"
            "    if self.used >= 800:\n        self.warned = True\n        return 'warning'\n"
            "    return 'ok'\n")
    intent = "the used slot goes up by mb; the first time it reaches 800 the answer is 'warning' and the warned slot is set to True"
    slots = {"used": 600, "warned": False, "name": "genesis"}
    pool, kept = covered(code, "use", [250], intent, slots)
    assert kept[0]["given"] == {"warned": True} and kept[0]["unsupported"] and "never reads" in kept[0]["coverage"]
    assert not any("name" in c.get("given", {}) for c in pool)  # a slot the request does not name is left alone
    read = code.replace("if self.used", "if not self.warned and self.used")
    assert not any("never reads" in c["coverage"] for c in covered(read, "use", [250], intent, slots)[1])


@jailed
def test_a_clause_that_refuses_an_input_is_met_just_past_its_limits_where_the_code_never_refuses() -> None:
    """A candidate that lacks the refusal the request states ("from 1 up to and including 365, otherwise ValueError")
    meets the input just past each limit that clause names, away from the call asked, and shows it first among the
    values the request speaks of, ahead of a scale that the code's constants and the other clauses' numbers fill."""
    code = ("def fee(self, age, days, local):\n"
            "    if age < 16:\n        return 0\n"
            "    price = min(5 * days, 60) if local else min(8 * days, 100)\n"
            "    return price / 2 if age >= 65 else price\n")
    intent = ("under 16 fish free; a local pays 5 a day and anyone else 8 a day, never more than 60 for locals and 100 "
              "for others; 65 or older pay half; the number of days must be from 1 up to and including 365, otherwise "
              "ValueError is raised")
    values, _ordered, edges = coverage.scale(4, intent, coverage.code_constants(code, "fee"), [], "days")
    past = {v for v, edge in zip(values, edges) if edge == "past a limit"}
    assert past == {0, 366}  # away from the call asked: not 2 or 364, inside the range
    assert coverage.scale(30, intent, coverage.code_constants(code, "fee"), [], "age")[2].count("past a limit") == 0
    _pool, kept = covered(code, "fee", [30, 4, False], intent)
    shown = [c["args"] for c in kept if c["coverage"].startswith("an edge the request speaks of, past a limit")]
    assert [30, 0, False] in shown and [30, 366, False] in shown
    assert all(c["unsupported"] for c in kept if c["args"] in shown)


@jailed
def test_a_quoted_input_meets_the_other_texts_quoted_and_an_input_the_numbers_the_clauses_speaking_of_it_name() -> None:
    """A refund that never reads whether the member is "gold" (the request quotes "basic" and "gold", and the call's
    membership is "basic") meets "gold" as a value the request names; the price meets as named values only the numbers
    of the clauses that speak of a price (24, 6), not "2 decimals" or a refund's 15.00: those no longer crowd out the
    one input the candidate ignores, which a look or its second shows."""
    code = ("def refund(self, price, hours, membership):\n"
            "    if price < 0 or hours < 0 or membership not in ('basic', 'gold'):\n        raise ValueError('no')\n"
            "    back = price if hours >= 24 else price / 2 if hours >= 6 else 0\n"
            "    return round(min(back, 15.0), 2)\n")
    intent = ('the refund, given the price paid, the hours before the class and the membership, "basic" or "gold": 24 or '
              'more hours before gives the full price back; 6 or more gives half the price, except that gold members get '
              'the full price back from 6 hours on; a basic refund is never more than 15.00; rounded to 2 decimals')
    _pool, kept = covered(code, "refund", [12, 10, "basic"], intent)
    named = _args([c for c in kept if c["coverage"].startswith("a value the request names")])
    unsupported = [c["args"] for c in kept if c["unsupported"]]
    assert [12, 10, "gold"] in named and unsupported.index([12, 10, "gold"]) < 8  # within a look and its second
    assert {a[0] for a in named if a[1:] == [10, "basic"]} == {24, 6}  # the price's own clauses' numbers
    assert [12, 10, "silver"] not in named  # a text the request never quotes is no value it names


def test_doubts_name_a_line_no_call_ran_and_a_crash_on_a_path_of_its_own_never_a_refusal() -> None:
    """What two readings agreeing cannot vouch for (with nobody to ask, nothing installs on it): the first line that
    works something out and no traced call ran (a raise, a constant return, ``pass`` are refusals: an untested guard
    says little); an error raised at a boundary of the code's own (one step across a comparison it draws) that neither
    the request nor the code names; not one met at an edge or a new path (another type of input, a None)."""
    code = ("def refund(self, price, hours, membership):\n"
            "    if hours >= 24:\n        back = price\n"
            "    elif hours >= 0:\n        back = price / 2\n"
            "    elif membership == 'gold':\n        back = price\n"
            "    else:\n        raise ValueError('no')\n"
            "    if back > 99:\n        return None\n"
            "    return back\n")
    ran = [(-1, 2), (2, 3), (3, 10), (2, 4), (4, 5), (5, 10), (10, 12), (12, -1)]
    assert coverage.doubts(code, "", ran, []) == ("no call runs its line \"if membership == 'gold':\"",)
    assert coverage.doubts(code, "", [*ran, (4, 6), (6, 9)], []) == ("no call runs its line 'back = price'",)
    assert coverage.doubts(code, "", [*ran, (4, 6), (6, 7), (6, 9)], []) == ()  # line 11, return None: a refusal
    boundary = {"args": [12, 1, "basic"], "kwargs": {}, "coverage": f"{coverage.COURSE} (arg 2 = 1 / 2)"}
    edge = {"args": [12, 10, ""], "kwargs": {}, "coverage": "an edge (arg 3 = \"\")"}
    every = [*ran, (4, 6), (6, 7), (6, 9)]
    crash = coverage.doubts(code, "the refund; a negative number of hours raises ValueError", every, [(boundary, '["raised", "KeyError"]')])
    assert crash == ("it raises KeyError at a boundary of its own, an error neither it nor the request names",)
    assert coverage.doubts(code, "", every, [(boundary, '["raised", "ValueError"]')]) == ()  # its own raise: a refusal
    assert coverage.doubts(code, "a KeyError", every, [(boundary, '["raised", "KeyError"]')]) == ()  # the request's
    assert coverage.doubts(code, "", every, [(edge, '["raised", "KeyError"]')]) == ()  # an edge the code never chose
    below = {"args": [12, -1, "basic"], "kwargs": {}, "coverage": f"{coverage.COURSE} (arg 2 = -1 / 0)"}
    assert coverage.doubts(code, "", every, [(below, '["raised", "RecursionError"]')]) == ()  # below 0, never spoken of
    assert coverage.doubts(code, "hours below 0 ...", every, [(below, '["raised", "KeyError"]')])[0].startswith("it raises KeyError")
    path = {**edge, "coverage": coverage.PATH}  # a new path: with nobody, any call taking an arc first, of any type
    assert coverage.doubts(code, "", every, [(path, '["raised", "AttributeError"]')]) == ()


def test_two_values_side_by_side_on_a_scale_whose_paths_differ_are_halved_until_neighbours() -> None:
    """halves: between 101 and 899 (a score worked out of the input turns between them) the call half way, ranked
    between; none between neighbours, between values on the same path, or on a scale that is not of numbers."""
    calls = [{"args": [14, v], "kwargs": {}, "dim": "arg 2", "rank": r} for r, v in enumerate((100, 101, 899))]
    calls += [{"args": [14, 900], "kwargs": {}, "given": {"level": x}, "dim": "self.level", "rank": r} for r, x in enumerate((2.5, 3.0))]
    calls += [{"args": ["09:00"], "kwargs": {}, "dim": "arg 1", "rank": 9}]
    paths = [[[1, 2]], [[1, 3]], [[1, 4]], [[1, 2]], [[1, 3]], [[1, 5]]]
    mids = coverage.halves(calls, [{"arcs": p} for p in paths])
    assert mids == [{"args": [14, 500], "kwargs": {}, "dim": "arg 2", "rank": 1.5},
                    {"args": [14, 900], "kwargs": {}, "given": {"level": 2.75}, "dim": "self.level", "rank": 0.5}]
    assert coverage.halves(calls[:2], [{"arcs": p} for p in paths[:2]]) == []  # 100 and 101: neighbours already


def test_every_number_the_code_compares_with_is_on_the_scale_however_many_the_request_names() -> None:
    """A request naming many small numbers (a shift, a rounding) fills the scale, yet every limit the code compares
    the input with stays on it with its neighbours, the highest one too; the code's other numbers do not count."""
    code = ("def grade(self, temperature, where):\n"
            "    t = round(temperature + (0.5 if where == 'armpit' else -0.3 if where == 'rectal' else 0), 1)\n"
            "    if t < 30 or t > 45:\n        raise ValueError(t)\n"
            "    return 'low' if t < 35.0 else 'normal' if t < 37.5 else 'raised' if t < 38.0 else 'fever' if t < 39.5 else 'high'\n")
    assert coverage.code_constants(code, "grade", compared=True) == [30, 45, 35.0, 37.5, 38.0, 39.5]
    intent = "a temperature read in the armpit is raised by 0.5, in the rectum lowered by 0.3, rounded to 1 decimal; below 30 raises"
    pool = coverage.pool([38.2, "ear"], {}, {}, intent, code, "grade")
    scale = {c["args"][0] for c in pool if c["dim"] == "arg 1"}
    assert {39.49, 39.5, 39.51, 44.99, 45.0, 45.01, 34.99, 35.0} <= scale and {0.29, 0.49} <= scale
    assert len(scale) <= coverage.MAX_VALUES + 3 * 6



def test_a_reading_raised_by_a_number_is_no_refusal_but_a_clause_where_an_error_is_raised_is() -> None:
    """"raised by 0.5" shifts a value: its numbers are not limits met just past; "ValueError is raised" refuses."""
    intent = "an armpit temperature is raised by 0.5; a temperature above 45 means ValueError is raised"
    values, _ordered, edges = coverage.scale(38.2, intent, [], [], "temperature")
    past = {v for v, e in zip(values, edges) if e == "past a limit"}
    assert 45.01 in past and not past & {0.49, 0.51}

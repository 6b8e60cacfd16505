"""Which candidate to install: what its run of the cases says, and the agreement between candidates.

A candidate runs in the jail against four kinds of case at once
(:meth:`bat_os.jail.runner.Jail.run_cases`):

- the **trial**: the call that asked for the method (it must not raise), run twice;
- the **examples**: the user's word; a candidate that fails one is never installed;
- the **property checks** the request's words make certain (:mod:`bat_os.cognition.properties`), held like examples;
- the **generated cases**, written by a persona in SPECIFYING, which may themselves be wrong;
- the **probes** (:mod:`bat_os.cognition.probes`): other arguments, with no expected answer.

:func:`assess` turns the outcomes into a plain-data record of the candidate
(``eligible`` when the trial and every example hold; its ``signature``: what it
answered). :func:`choose` picks among the eligible ones, CodeT-style:
candidates that :func:`concur` (alike on every call but those one of them
declined by raising, and alike on at least half) form a cluster, scored ``size x (cases
passed + 1)``, and only a cluster of two or more distinct sources can win (the same source
sampled twice is one reading; three times or more, it counts as two) (a lone candidate
only on two or more of the user's examples, or at the last attempt on exact answers to
the generated cases): a small model's mistakes are rarely the same twice. A rival that
answered every call as the cluster did, told apart only by the calls of their constants,
is outvoted by no number of them (there is no winner);
candidates answering one thing to every call outvote no case. A generated case the winner fails is *discarded* (and
the record says why) only when the candidates that agree on the winner's
answer outnumber those that pass the case and that answer does not hold the case's answer as
one of its items (``'a'`` asked, ``["a", 2]`` answered: more than was asked), and not more than half of the cases unless
three or more agree or the two answered the two wordings of the request (two of one wording failing most of
them share its misreading more often than the cases are wrong); otherwise there is no winner yet. The two
greedy candidates writing one text are confirmed by a vote of the samples first (:func:`_unconfirmed`).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Callable

from bat_os.cognition.agreement import clusters as _clusters, concur, raised as _raised, silent_calls as _silent
from bat_os.cognition.cases import TYPES, answer_of, call_arguments, describe, judge, output_key, rounded
from bat_os.cognition.lint import near_slot
from bat_os.cognition.properties import every_call, judge_property
from bat_os.cognition.readings import reading as _reading, source, wordings as _wordings

MAX_REASONS = 4  # failing cases named in one refusal


def plan(trial: dict, examples: list[dict], generated: list[dict], probe_calls: list[dict] | None = None,
         checks: list[dict] | None = None) -> list[dict]:
    """The cases of one run, in order, each tagged with its ``role`` and its index in that role: the trial
    twice (a candidate that answers it differently twice is not deterministic), the examples, the
    property checks of the intent (:mod:`bat_os.cognition.properties`), the generated cases, the probes."""
    cases = [{**trial, "role": "trial", "index": 0}, {**trial, "role": "trial", "index": 1}]
    cases += [{**e, "role": "example", "index": i} for i, e in enumerate(examples)]
    cases += [{**c, "role": "property", "index": i} for i, c in enumerate(checks or [])]
    cases += [{**g, "role": "generated", "index": i} for i, g in enumerate(generated)]
    cases += [{**p, "role": "probe", "index": i} for i, p in enumerate(probe_calls or [])]
    return cases


def assess(cases: list[dict], outcomes: list[dict], slots_after: Callable[[int, list[str]], dict], selector: str,
           writes: Callable[[int], dict] | None = None, existing: set[str] | None = None, varies: bool = False) -> dict:
    """A candidate's record from its outcomes (one per case of :func:`plan`).

    ``signature``: what it answered, for agreement: the trial (exactly when it answered it alike
    twice, else only the kind of answer: a time, a random pick), every generated case and every probe.
    ``writes(position)``: the receiver's slots a case wrote; part of what the trial and a probe answered.
    ``existing``: the receiver's slot names (a new slot named like one of them is a slip, refused).
    ``varies``: its source reads the clock or chance (:func:`bat_os.cognition.lint.reads_clock`): its answers
    count by their kind, as if it had answered the trial differently twice (a clock read twice within a second
    does not tell).
    Refused too: a candidate whose every call returned None and changed nothing (it printed its answer), and
    one that answered the same argument unchanged in the trial and every probe it answered (:func:`_echoed`).
    Whether it reads every parameter is :func:`bat_os.cognition.lint.unused_parameters`' to say, from its source.
    """
    failed: list[str] = []
    passes: list[bool] = []
    outputs: list[str] = []
    probes: list[str] = []
    trials: list[dict] = []
    answered: list[tuple[dict, dict, dict | None]] = []  # the trial and the probes: (call, outcome, slots written)
    by_slot: dict[str, list[tuple[dict, dict, dict | None]]] = {}  # probes with other data in a slot the request names
    evidence = 0  # exact answers it gave: examples, and generated cases with a result, an exception or slots
    twice = [output_key(o) for c, o in zip(cases, outcomes) if c["role"] == "trial"]
    checks = [c for c in cases if c["role"] == "property"]  # a rounding holds for every probe's answer too
    varies = varies or len(set(twice)) > 1
    call = next(((c.get("args"), c.get("kwargs")) for c in cases if c["role"] == "trial"), None)
    for position, (case, outcome) in enumerate(zip(cases, outcomes)):
        after = slots_after(position, list(case.get("slots") or {})) if case.get("slots") else None
        if (case["role"] == "generated" and varies and "result" in case
                and (case.get("args"), case.get("kwargs")) == call and _type_name(case["result"]) in TYPES):
            # the trial call answers differently each time (a clock): an exact answer to it can only be its kind
            case = {k: v for k, v in case.items() if k != "result"} | {"type": _type_name(case["result"])}
        role = case["role"]
        written = writes(position) if writes is not None else None
        if role == "probe":
            probes.append(_answer_key(outcome, written, varies))
            (by_slot.setdefault(case["varies_slot"], []) if case.get("varies_slot") else answered).append((case, outcome, written))
            why = every_call(checks, case, outcome, selector)
            failed.extend([why] if why and why not in failed else [])
            continue
        if role == "property":
            why = judge_property(case, outcome, outcomes[0] if twice and not varies else None, selector, written)
            if why:
                failed.append(f"property: the request says {case.get('says', 'so')}: {why}")
            continue
        why = judge(case, outcome, after, selector)
        if role == "trial":
            trials.append({**outcome, "written": written})
            if len(trials) == 1:
                answered.append((case, outcome, written))
            if why and len(trials) == 1:
                failed.append(f"trial: {why}")
        elif role == "example":
            if why:
                failed.append(f"example: {why}")
            else:
                evidence += 1
        else:
            passes.append(why is None)
            outputs.append(_answer_key(outcome, after, varies))
            if why is None and any(k in case for k in ("result", "raises", "slots")) and not _echo(case):
                evidence += 1
    keys = [output_key({k: v for k, v in t.items() if k != "written"}, t.get("written")) for t in trials]
    deterministic = len(set(keys)) <= 1 and not varies
    first = trials[0] if trials else {}
    expects_none = any(c["role"] == "example" and "result" in c and c["result"] is None for c in cases)
    if (trials and "value" in first and first["value"] is None and not any(t.get("written") for t in trials)
            and not expects_none and all(p == keys[0] for p in probes)):
        # no answer and no slot changed, whatever it was called with: what it printed, nobody sees
        failed.append(f"trial: {selector}({_arguments(call)}) returned None and changed no slot: "
                      "a method must return its answer (what it prints is not seen)")
    trial_echo = bool(call) and "value" in first and isinstance(first["value"], (str, list, dict)) and any(
        first["value"] == a and type(first["value"]) is type(a) for a in [*(call[0] or []), *(call[1] or {}).values()])
    if deterministic and "value" in first and first["value"] is not None and not isinstance(first["value"], bool) and not trial_echo:
        same = {name for name, probed in by_slot.items() if len(probed) >= 2 and all(
            output_key(o) == output_key(first) for _c, o, _w in probed) and not _new_data(name, first, trials[0].get("written"), probed)}
        for name in sorted(same) if same == set(by_slot) else []:  # one named slot the answer follows is enough
            # clear_scores answering 0 ("how many it held") on [3, 4], on [] and on [3, 4, 31, 41]: not from the data
            failed.append(f"trial: {selector}({_arguments(call)}) answers {answer_of(output_key(first))} whatever "
                          f"self.{name} holds (it answered so with self.{name} = "
                          f"{' and = '.join(json.dumps(c['given'][name])[:40] for c in cases if c.get('varies_slot') == name)}): "
                          f"the request is about that slot's data, and its answer must come from it")
    echoed = _echoed(answered)
    if echoed is not None and not any(c["role"] == "example" and _echo(c) for c in cases):
        # format_date("2024-03-15") answering "2024-03-15", and every probe its own date: it did nothing
        failed.append(f"trial: {selector}({_arguments(call)}) answered its argument {echoed + 1} unchanged, and so did "
                      "every other call it answered: a method must do what was asked")
    for name in sorted({n for t in trials for n in (t.get("written") or {})} - set(existing or ())):
        near = near_slot(name, set(existing or ()))
        if near is not None:  # a slip of the name, not a new slot: the answer would be judged on the wrong data
            failed.append(f"trial: {selector} writes self.{name}, a new slot, but the object has self.{near}: use the slot it has")
    trial_key = keys[0] if keys and deterministic else json.dumps(["kind", type(first.get("value")).__name__])
    return {
        "eligible": not failed,
        "failed": failed[:MAX_REASONS] + ([f"... and {len(failed) - MAX_REASONS} more"] if len(failed) > MAX_REASONS else []),
        "passes": passes,
        "outputs": outputs,
        "signature": [trial_key, *outputs, *probes],
        "deterministic": deterministic,
        "evidence": evidence,
        "trial_result": first.get("value"),
        # an echo of the user's call that other calls do not echo is an answer that happens to be the argument:
        # cast_vote('yes') answering 'yes', the option with most votes, and 'yes' to cast_vote('sey') too
        "trial_echo": trial_echo and not any(
            "value" in o and type(o["value"]) is type(first["value"]) and all(o["value"] != a for a in c.get("args") or [])
            for c, o, _w in answered[1:]),
    }


def _answer_key(outcome: dict, slots_after: dict | None, varies: bool) -> str:
    """:func:`output_key`, or for a candidate whose answers vary (a clock, chance) only their kind and the slots
    written: two clocks read a moment apart answered alike (the README's method, 8 eligible candidates and no two
    agreeing on the text of their times)."""
    if not varies or "value" not in outcome:
        return output_key(outcome, slots_after)
    return json.dumps(["kind", type(outcome["value"]).__name__, *([sorted(slots_after)] if slots_after else [])])


def _new_data(name: str, first: dict, written: dict | None, probed: list[tuple[dict, dict, dict | None]]) -> bool:
    """The answer is a value the request names for slot ``name`` (``new_value``), and what the trial and every probe
    left in it: "set the count slot back to zero and return it" answers 0 from the slot, whatever it held."""
    answer = output_key(first)
    if answer not in [output_key({"value": v}) for v in probed[0][0].get("new_value") or []]:
        return False
    return all(name in (left or {}) and output_key({"value": left[name]}) == answer
               for left in [written, *(w for _c, _o, w in probed)])


def generated_failures(record: dict, cases: list[dict], generated: list[dict], outcomes: list[dict], selector: str) -> list[str]:
    """Why the candidate failed each generated case it failed (for the cycle record)."""
    first = next((i for i, c in enumerate(cases) if c["role"] == "generated"), len(cases))
    return [judge(case, outcomes[first + i], None, selector) or describe(case, selector)
            for i, case in enumerate(generated) if not record["passes"][i]]


CONFIRMATIONS = 2  # samples answering as an identical greedy pair (more than alike any other way) before it is installed


def choose(records: list[dict], generated: list[dict], selector: str, *, trusted: bool = False,
           lone: str = "never", confirm: int = CONFIRMATIONS) -> tuple[int | None, list[dict], str]:
    """``(winner, discarded, why)``: the index of the candidate to install (None: none yet), the
    generated cases set aside (``{"case", "reason"}``), and a line saying how it was decided.

    A lone candidate wins at once only when ``trusted`` (the user gave at least two examples, and
    it passed them) and it passed every generated case. Otherwise a winner needs company: at least
    two eligible candidates with the same :func:`assess` signature (trial, generated cases, probes).
    ``lone``: when no two agree, may a candidate alone that passed every generated case win?
    ``"never"`` (more candidates can be written), ``"evidence"`` (the last attempt: only with an
    exact answer checked, an example's or a generated case's) or ``"any"`` (the model cannot write
    another candidate). When candidates agree but cannot win (they fail the cases and cannot outvote
    them), a candidate alone that passed every case, two or more of them with exact answers, wins under
    ``"evidence"`` or ``"any"``: the case writer and it, written apart, say the same thing.
    """
    eligible = [i for i, r in enumerate(records) if r.get("eligible")]
    if not eligible:
        return None, [], "no candidate held the trial and the examples"
    if trusted:
        for i in eligible:
            if all(records[i]["passes"]):
                return i, [], f"candidate {i + 1} passed the examples and every case"
    silent = _silent(records, eligible)
    clusters = _clusters(records, eligible, silent)
    # a candidate that agrees with every member of two clusters (it declined, by raising, the calls that split them:
    # is_leap_year raising below 1582, beside year % 4 and the Gregorian rule) tells neither apart: it counts for none
    ambiguous = {m for c in clusters for m in c
                 if any(o is not c and all(concur(records[x], records[m], silent) for x in o) for o in clusters)}
    clusters = [kept for kept in ([m for m in c if m not in ambiguous] for c in clusters) if kept]
    readings = [_reading(r, i) for i, r in enumerate(records)]

    def size(members: list[int]) -> int:
        """Readings that agree: the same source written twice is one reading, not two; written three
        times or more it counts twice (self-consistency: samples that keep coming back to one text)."""
        counts = Counter(readings[m] for m in members)
        return len(counts) + sum(1 for n in counts.values() if n >= 3)

    agreeing = [members for members in clusters if size(members) >= 2]
    if not agreeing:
        for i in eligible:
            if _disputed(records, i, eligible):
                continue
            if lone == "any" and all(records[i]["passes"]):
                return i, [], f"candidate {i + 1} passed every case; no second candidate could be written to agree with it"
            if lone == "evidence" and all(records[i]["passes"]) and records[i].get("evidence", 0) >= 1:
                return i, [], (f"candidate {i + 1} passed every case, {records[i]['evidence']} of them with an exact "
                               "answer; no other candidate agreed with it")
        return None, [], f"no two of {len(eligible)} eligible candidate(s) agree yet"
    winner, discarded, why = _by_agreement(records, generated, selector, eligible, clusters, readings, size)
    if winner is not None:
        members = next(c for c in clusters if winner in c)
        waiting = _unchecked(records, winner, members, eligible) or _unconfirmed(
            records, winner, members, silent, confirm if lone == "never" else min(confirm, 1))
        if waiting:
            return None, [], waiting
    if winner is None and lone != "never":
        for i in eligible:
            if records[i]["passes"] and all(records[i]["passes"]) and records[i].get("evidence", 0) >= 2 \
                    and not _disputed(records, i, eligible):
                return i, [], (f"candidate {i + 1} alone passed every case, {records[i]['evidence']} of them with an exact "
                               f"answer, where those that agree could not win ({why})")
    return winner, discarded, why


def _by_agreement(records: list[dict], generated: list[dict], selector: str, eligible: list[int],
                  clusters: list[list[int]], readings: list[str],
                  size: Callable[[list[int]], int]) -> tuple[int | None, list[dict], str]:
    """:func:`choose` among the clusters of two or more readings that agree: the best one's candidate,
    unless the generated cases it fails cannot be set aside. A cluster scores its readings (``size``:
    one source sampled twice is one) times the cases passed, plus one. No cluster wins while another
    (any of ``clusters``, a candidate alone too) is as strong: by that score, or, against two readings, by samples."""
    def score(members: list[int], count: Callable[[list[int]], int] = size) -> int:
        return count(members) * (max(sum(records[m]["passes"]) for m in members) + 1)

    best = max((c for c in clusters if size(c) >= 2), key=lambda members: (score(members), -members[0]))
    # another cluster as strong is another answer to the request: the order they were written in is no evidence. Two
    # readings, the least agreement that may win, are contested by as many samples too (one source sampled twice
    # is one reading: merge_counts, seed 0, installed two readings of the keys both share over one source sampled
    # twice that merged every key, the right one); three readings outweigh three samples of one source. A candidate
    # alone is contested by its score too (CodeT's: the cases it passes are the case writer's agreement with it):
    # two readings of "the longest key" answering the longest value outvoted the two cases, both right, that a
    # third candidate, right, passed (a false install on tasks no rule was tuned on)
    even = [c for c in clusters if c is not best and (
        score(c) >= score(best) or (len(c) >= 2 and size(best) == 2 and score(c, len) >= score(best, len)))]
    if even:
        other = (f"so do candidates {', '.join(str(i + 1) for i in even[0])} on other answers, as often" if len(even[0]) > 1
                 else f"candidate {even[0][0] + 1} answers otherwise and passes {sum(records[even[0][0]]['passes'])} "
                      "generated case(s) they fail")
        return None, [], (f"candidates {', '.join(str(i + 1) for i in best)} agree, and {other}: another candidate must "
                          "tell them apart")
    # of those that agree, the one that passed the most cases and declined (raised) the fewest calls
    winner = min(best, key=lambda m: (-sum(records[m]["passes"]), _declined(records[m]), m))
    rivals = [i for i in eligible if i not in best and records[i].get("signature") == records[winner].get("signature")]
    if rivals:
        # a rival that answered every call alike, told apart only by the calls of their constants (is_leap_year:
        # year % 4 against the Gregorian rule, split on is_leap_year(100)), is outvoted by no number of them: the real
        # 0.5B model wrote year % 4 more often than the Gregorian rule in every run (three samples of one source, four
        # of one wording, one source in both voices), and the hidden checks ask for the boundary the constants name
        return None, [], (f"candidates {', '.join(str(i + 1) for i in best)} agree, but candidate {rivals[0] + 1} answered "
                          "every call as they do but for the calls of their constants: nothing asked tells which is right")
    failed = records[winner]["passes"].count(False)
    if failed and failed * 2 > len(records[winner]["passes"]) and len(best) < 3 and len(_wordings(records, best)) < 2:
        # two candidates may outvote a few wrong cases, not most of them, unless they answered the two
        # wordings of the request: two of one wording that fail most of what was asked share its misreading
        # more often than the cases are wrong (measured: clamp, format_date); two wordings read apart (and
        # three agreeing may)
        return None, [], (f"candidates {', '.join(str(i + 1) for i in best)} agree but fail {failed} of "
                          f"{len(records[winner]['passes'])} generated cases (both answer one wording of the request)")
    if failed and len(set(records[winner]["signature"])) == 1:
        # one answer to every call (is_valid_email answering False to every text, the trial's too): candidates that
        # ignore what they are given agree for nothing, and outvote no case
        return None, [], (f"candidates {', '.join(str(i + 1) for i in best)} agree, but answer {answer_of(records[winner]['signature'][0])} "
                          f"to every call: they cannot outvote the {failed} generated case(s) they fail")
    discarded = []
    for case_index, passed in enumerate(records[winner]["passes"]):
        if passed:
            continue
        answer = records[winner]["outputs"][case_index]
        agree = sum(1 for i in eligible if records[i]["outputs"][case_index] == answer)
        passers = sum(1 for i in eligible if records[i]["passes"][case_index])
        if agree <= passers:
            return None, [], (f"no agreement yet: the case {describe(generated[case_index], selector)} is failed by candidate "
                              f"{winner + 1}; {agree} candidate(s) answer as it does, {passers} pass the case")
        if records[winner].get("trial_echo") and _echoes(answer, generated[case_index]):
            # rename('new') answered 'new' (the user's call too) where the case says 'old': answering what it was given
            # is no reading of the request that outvotes one (truncate answering a short text unchanged may, when it
            # did something with the user's call)
            return None, [], (f"no agreement yet: the case {describe(generated[case_index], selector)} is failed by "
                              f"candidates {', '.join(str(i + 1) for i in best)}, which answer its argument unchanged")
        if _holds(answer, generated[case_index]):
            # the case asks for 'a', the candidates answer ["a", 2]: they answer more than was asked, the case stands
            return None, [], (f"no agreement yet: the case {describe(generated[case_index], selector)} asks for a part of "
                              f"what candidates {', '.join(str(i + 1) for i in best)} answer ({answer_of(answer)})")
        discarded.append({
            "case": generated[case_index],
            "reason": f"{agree} agreeing candidates answered {answer_of(answer)}; {passers} passed it",
        })
    distinct = len({readings[m] for m in best})
    same = f" ({len(best) - distinct} of them the same source as another)" if distinct < len(best) else ""
    return winner, discarded, f"candidate {winner + 1}: {len(best)} of {len(eligible)} eligible candidates agree on every call{same}"


def _unchecked(records: list[dict], winner: int, members: list[int], eligible: list[int]) -> str | None:
    """Why agreement with no exact answer checked (``evidence``: an example, a generated case's result) cannot win
    yet, or None: candidates answering the user's call with an argument unchanged, or two against other eligible
    ones whose answers do not vary (docs/cycle.md, "Agreement with nothing exact checked")."""
    if any(records[m].get("evidence", 0) for m in members):
        return None
    who = ", ".join(str(m + 1) for m in members)
    if records[winner].get("trial_echo"):
        return (f"candidates {who} agree, but answer the user's call with its own argument unchanged, and no example "
                "or generated case checked an exact answer of theirs")
    others = [i for i in eligible if i not in members]
    if len(members) == 2 and others and records[winner].get("deterministic", True):  # a clock's answers: by their kind
        return (f"candidates {who} agree, and {len(others)} other eligible candidate(s) answer otherwise, with no "
                "exact answer checked: two against another are no majority")
    return None


def _unconfirmed(records: list[dict], winner: int, members: list[int], silent: frozenset[int], confirm: int) -> str | None:
    """Why the cluster of ``winner`` must wait for samples (None: it need not). The two greedy candidates (attempts 1
    and 2, the two voices) writing the same text are one answer written twice, not two that agree: the real 0.5B
    model's identical greedy pairs were wrong on 5 of 33 installs that failed most generated cases, and were 5 of the
    7 false installs of the novel tasks (held out then). Samples tell them apart (self-consistency): of three drawn at
    0.7, all three answered as a right greedy pair on 25 of 38 tasks, as a wrong one on 1 of 13, and two or more
    on 34 of 38 and 5 of 13 (novel and holdout tasks, ``bench/selfcons.py``). The pair waits until ``confirm``
    sampled candidates answer as it does, more than answer alike in any other way (eligible samples that agree
    among themselves): a vote, not a margin over every other sample, as samples drawn hotter after repeats
    (``repeat_heat``) scatter; right pairs of ``count_char`` and ``truncate`` had three samples agreeing and four
    answering otherwise, each its own way."""
    greedy = [m for m in members if records[m].get("attempt") in (1, 2)]
    if confirm <= 0 or len(greedy) < 2 or len({source(records[m], m) for m in greedy}) > 1:
        return None
    sampled = [i for i, r in enumerate(records) if isinstance(r.get("attempt"), int) and r["attempt"] > 2 and r.get("signature")]
    agreeing = [i for i in sampled if i in members or concur(records[winner], records[i], silent)]
    rivals = _clusters(records, [i for i in sampled if i not in agreeing and records[i].get("eligible")], silent)
    rival = max((len(c) for c in rivals), default=0)
    if len(agreeing) >= confirm and len(agreeing) > rival:
        return None
    return (f"candidates {', '.join(str(i + 1) for i in members)} agree, but candidates {greedy[0] + 1} and {greedy[1] + 1} "
            f"wrote the same text: {len(agreeing)} of {len(sampled)} sampled candidate(s) answered as they do"
            + (f", {rival} alike otherwise" if rival else "") + f"; {confirm}, and more than any other answer, must")


def _disputed(records: list[dict], i: int, eligible: list[int]) -> bool:
    """Does another eligible candidate answer the user's own call otherwise than candidate ``i`` (neither raising)? A
    candidate alone is installed only where none does: the real 0.5B model's generated cases for "an acronym ... in
    upper case" were the phrase in capitals, and ``text.upper()``, alone, passed them all, while two other eligible
    candidates answered ``'P N G'`` and ``'PNG'`` (the right one): a false install on tasks no rule was tuned on."""
    mine = (records[i].get("signature") or [None])[0]
    if mine is None or _raised(mine):
        return False
    theirs = [(records[j].get("signature") or [mine])[0] for j in eligible if j != i]
    return any(key != mine and not _raised(key) for key in theirs)


def _declined(record: dict) -> int:
    return sum(1 for key in record.get("signature") or [] if _raised(key))


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _echoed(answered: list[tuple[dict, dict, dict | None]]) -> int | None:
    """The position of the argument a candidate answered unchanged in the trial and every probe it answered
    (two calls or more, no slot written), or None. A method that does nothing answers so; a right one does
    not, where the trial call (the user's) has something to do."""
    calls = [(case.get("args") or [], outcome["value"]) for case, outcome, written in answered
             if "value" in outcome and not written]
    if (len(calls) < 2 or len(calls) < len(answered) // 2 + 1 or answered[0][1].get("value") is None
            or answered[0][2]):
        return None
    for position in range(min(len(args) for args, _value in calls)):
        if all(type(value) is type(args[position]) and value == args[position] for args, value in calls):
            return position
    return None


def _echoes(key: str, case: dict) -> bool:
    """Did a candidate answer the case (``key``: :func:`output_key`) with one of its arguments unchanged, where the
    case asks for something else?"""
    kind, value = json.loads(key)[:2]
    arguments = [*case.get("args", []), *case.get("kwargs", {}).values()]
    return (kind == "value" and "result" in case and not _echo(case) and isinstance(value, (str, list, dict))
            and any(value == a and type(value) is type(a) for a in arguments))


def _echo(case: dict) -> bool:
    """A case whose answer is one of its own arguments (``f('a b') == 'a b'``): a confused writer's
    favourite, and what a method that does nothing passes; no evidence for a candidate alone."""
    return "result" in case and any(case["result"] == a and type(case["result"]) is type(a)
                                    for a in [*case.get("args", []), *case.get("kwargs", {}).values()])


def _arguments(call: tuple | None) -> str:
    return call_arguments(call[0] or [], call[1] or {}) if call else ""


def _holds(key: str, case: dict) -> bool:
    """Is the case's expected result one item of the record answered, beside others of another type (``'a'`` in
    ``["a", 2]``, a tuple)? A case asking for one item of a collection (``[1, 2]`` of ``[[1, 2], [3, 4], [5]]``,
    chunk's first) is the case writer's misreading, not a part of the answer."""
    if "result" not in case:
        return False
    kind, value = json.loads(key)[:2]
    return kind == "value" and isinstance(value, list) and len({type(item) for item in value}) > 1 and any(
        json.dumps(rounded(item), sort_keys=True) == json.dumps(rounded(case["result"]), sort_keys=True) for item in value)

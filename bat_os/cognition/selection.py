"""Which candidate to install: what its run of the cases says, and the agreement between candidates.

A candidate runs in the jail against three kinds of case at once
(:meth:`bat_os.jail.runner.Jail.run_cases`):

- the **trial**: the call that asked for the method (it must not raise);
- the **examples**: the user's word; a candidate that fails one is never installed;
- the **generated cases**, written by a persona in SPECIFYING, which may themselves be wrong.

:func:`assess` turns the outcomes into a plain-data record of the candidate
(``eligible`` when the trial and every example hold). :func:`choose` picks
among the eligible ones, CodeT-style: candidates that give the same outputs on
the generated cases form a cluster, scored ``size x (cases passed + 1)``; the
best cluster's first candidate wins. A generated case the winner fails is
*discarded* (and the record says why) only when at least two eligible
candidates agree on the winner's output and they outnumber those that pass
the case; otherwise there is no winner yet.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from bat_os.cognition.cases import describe, judge

MAX_REASONS = 4  # failing cases named in one refusal


def plan(trial: dict, examples: list[dict], generated: list[dict]) -> list[dict]:
    """The cases of one run, in order, each tagged with its ``role`` and its index in that role."""
    cases = [{**trial, "role": "trial", "index": 0}]
    cases += [{**e, "role": "example", "index": i} for i, e in enumerate(examples)]
    cases += [{**g, "role": "generated", "index": i} for i, g in enumerate(generated)]
    return cases


def assess(cases: list[dict], outcomes: list[dict], slots_after: Callable[[int, list[str]], dict], selector: str) -> dict:
    """A candidate's record from its outcomes (one per case of :func:`plan`)."""
    failed: list[str] = []
    passes: list[bool] = []
    outputs: list[str] = []
    result: Any = None
    for position, (case, outcome) in enumerate(zip(cases, outcomes)):
        after = slots_after(position, list(case.get("slots") or {})) if case.get("slots") else None
        why = judge(case, outcome, after, selector)
        role = case["role"]
        if role == "trial":
            result = outcome.get("value")
            if why:
                failed.append(f"trial: {why}")
        elif role == "example":
            if why:
                failed.append(f"example: {why}")
        else:
            passes.append(why is None)
            outputs.append(output_key(outcome, after))
    return {
        "eligible": not failed,
        "failed": failed[:MAX_REASONS] + ([f"... and {len(failed) - MAX_REASONS} more"] if len(failed) > MAX_REASONS else []),
        "passes": passes,
        "outputs": outputs,
        "trial_result": result,
    }


def generated_failures(record: dict, generated: list[dict], outcomes: list[dict], selector: str) -> list[str]:
    """Why the candidate failed each generated case it failed (for the cycle record)."""
    first = len(outcomes) - len(generated)
    return [judge(case, outcomes[first + i], None, selector) or describe(case, selector)
            for i, case in enumerate(generated) if not record["passes"][i]]


def output_key(outcome: dict, slots_after: dict | None = None) -> str:
    """What a candidate answered for a case, as a key two candidates share when they answered alike."""
    if "value" in outcome:
        key: Any = ["value", _rounded(outcome["value"])]
    elif "raised" in outcome:
        key = ["raised", outcome["raised"]]
    else:
        key = ["failed", sorted(outcome)]
    if slots_after:
        key.append(_rounded(slots_after))
    return json.dumps(key, sort_keys=True, default=repr)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def choose(records: list[dict], generated: list[dict], selector: str) -> tuple[int | None, list[dict], str]:
    """``(winner, discarded, why)``: the index of the candidate to install (None: none yet), the
    generated cases set aside (``{"case", "reason"}``), and a line saying how it was decided."""
    eligible = [i for i, r in enumerate(records) if r.get("eligible")]
    if not eligible:
        return None, [], "no candidate held the trial and the examples"
    for i in eligible:
        if all(records[i]["passes"]):
            return i, [], f"candidate {i + 1} passed every case"
    clusters: dict[tuple, list[int]] = {}
    for i in eligible:
        clusters.setdefault(tuple(records[i]["outputs"]), []).append(i)
    best = max(clusters.values(), key=lambda members: (len(members) * (sum(records[members[0]]["passes"]) + 1), -members[0]))
    winner = best[0]
    discarded = []
    for case_index, passed in enumerate(records[winner]["passes"]):
        if passed:
            continue
        answer = records[winner]["outputs"][case_index]
        agree = sum(1 for i in eligible if records[i]["outputs"][case_index] == answer)
        passers = sum(1 for i in eligible if records[i]["passes"][case_index])
        if agree < 2 or agree <= passers:
            return None, [], (f"no agreement yet: the case {describe(generated[case_index], selector)} is failed by candidate "
                              f"{winner + 1}; {agree} candidate(s) answer as it does, {passers} pass the case")
        discarded.append({
            "case": generated[case_index],
            "reason": f"{agree} agreeing candidates answered {_answer(answer)}; {passers} passed it",
        })
    return winner, discarded, f"candidate {winner + 1}: {len(best)} of {len(eligible)} eligible candidates agree on every case"


def _answer(key: str) -> str:
    kind, value = json.loads(key)[:2]
    return f"raised {value}" if kind == "raised" else json.dumps(value)[:120]

"""What a candidate's run of the cases says: its record, for the choosing (:mod:`bat_os.cognition.choosing`).

A candidate runs in the jail against four kinds of case at once
(:meth:`bat_os.jail.runner.Jail.run_cases`):

- the **trial**: the call that asked for the method (it must not raise), run twice;
- the **examples**: the person's word (in the request, or answers to questions); a candidate that fails one is
  never installed;
- the **generated cases**, written by a persona in SPECIFYING, which may themselves be wrong;
- the **probes** (:mod:`bat_os.cognition.probes`): other arguments, with no expected answer.

:func:`assess` turns the outcomes into a plain-data record of the candidate (``eligible`` when the trial and
every example hold; ``passes``: the generated cases it passed; its ``signature``: what it answered, which
:func:`bat_os.cognition.agreement.concur` compares).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from bat_os.cognition.cases import TYPES, answer_of, call_arguments, describe, judge, output_key
from bat_os.cognition.lint import near_slot

MAX_REASONS = 4  # failing cases named in one refusal


def plan(trial: dict, examples: list[dict], generated: list[dict], probe_calls: list[dict] | None = None) -> list[dict]:
    """The cases of one run, in order, each tagged with its ``role`` and its index in that role: the trial
    twice (a candidate that answers it differently twice is not deterministic), the examples, the generated
    cases, the probes."""
    cases = [{**trial, "role": "trial", "index": 0}, {**trial, "role": "trial", "index": 1}]
    cases += [{**e, "role": "example", "index": i} for i, e in enumerate(examples)]
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
    twice = [output_key(o) for c, o in zip(cases, outcomes) if c["role"] == "trial"]
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
            passes.append(why is None)
            outputs.append(_answer_key(outcome, after, varies))
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
            # answering 0 whatever the slot it is about holds ([3, 4], [], [3, 4, 31, 41]): not from the data
            failed.append(f"trial: {selector}({_arguments(call)}) answers {answer_of(output_key(first))} whatever "
                          f"self.{name} holds (it answered so with self.{name} = "
                          f"{' and = '.join(json.dumps(c['given'][name])[:40] for c in cases if c.get('varies_slot') == name)}): "
                          f"the request is about that slot's data, and its answer must come from it")
    echoed = _echoed(answered)
    if echoed is not None and not any(c["role"] == "example" and _echo(c) for c in cases):
        # a date answered as it came, and every probe its own: it did nothing
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
        "trial_result": first.get("value"),
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


def _echo(case: dict) -> bool:
    """A case whose answer is one of its own arguments (``f('a b') == 'a b'``): a confused writer's
    favourite, and what a method that does nothing passes; no evidence for a candidate alone."""
    return "result" in case and any(case["result"] == a and type(case["result"]) is type(a)
                                    for a in [*case.get("args", []), *case.get("kwargs", {}).values()])


def _arguments(call: tuple | None) -> str:
    return call_arguments(call[0] or [], call[1] or {}) if call else ""

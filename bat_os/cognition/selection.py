"""What a candidate's run of the cases says: its record, for the choosing (:mod:`bat_os.cognition.choosing`).

A candidate runs in the jail against four kinds of case at once
(:meth:`bat_os.jail.runner.Jail.run_cases`):

- the **trial**: the call that asked for the method (it must not raise), run twice;
- the **examples**: the person's word (in the request, or answers to questions); a candidate that fails one is
  never installed;
- the **generated cases**, written by a persona in SPECIFYING, which may themselves be wrong;
- the **probes** (:mod:`bat_os.cognition.probes`): other arguments, with no expected answer.

:func:`assess` turns the outcomes into a plain-data record of the candidate (``eligible`` when the trial and
every example hold and neither refusal applies; ``passes``: the generated cases it passed; its ``signature``: what
it answered, which :func:`bat_os.cognition.agreement.concur` compares). The two refusals, each kept because a
replay of every recorded run without it installs a wrong method (``docs/journal/learning.md``):

- :func:`blind_to_slot`: the same answer whatever the slots the request names hold, and not what the call left there;
- :func:`does_nothing`: one argument answered unchanged by every call, where no example says so.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from bat_os.cognition.cases import TYPES, answer_of, call_arguments, describe, judge, output_key

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
           writes: Callable[[int], dict] | None = None, varies: bool = False) -> dict:
    """A candidate's record from its outcomes (one per case of :func:`plan`).

    ``eligible``: the trial ran, every example held, the answer is not blind to the slots the request names
    (:func:`blind_to_slot`), and it did something (:func:`does_nothing`).
    ``signature``: what it answered, for agreement: the trial (exactly when it answered it alike
    twice, else only the kind of answer: a time, a random pick), every generated case and every probe.
    ``writes(position)``: the receiver's slots a case wrote; part of what the trial and a probe answered.
    ``varies``: its source reads the clock or chance (:func:`bat_os.cognition.lint.reads_clock`): its answers
    count by their kind, as if it had answered the trial differently twice (a clock read twice within a second
    does not tell).
    """
    failed: list[str] = []
    passes: list[bool] = []
    outputs: list[str] = []
    probes: list[str] = []
    trials: list[dict] = []  # the trial's two outcomes, each with the slots it wrote
    by_slot: dict[str, list[tuple[dict, dict, dict | None]]] = {}  # probes with other data in a slot the request names
    answered: list[tuple[dict, dict, dict | None]] = []  # the first trial and the other probes: (call, outcome, written)
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
                answered.insert(0, (case, outcome, written))
                if why:
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
    refusals = [*(blind_to_slot(first, call, by_slot) if deterministic else []), *does_nothing(answered, cases)]
    failed += [f"trial: {selector}({_arguments(call)}) {why}" for why in refusals]
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


def blind_to_slot(first: dict, call: tuple | None, by_slot: dict[str, list[tuple[dict, dict, dict | None]]]) -> list[str]:
    """A refusal of a candidate that held the trial and the examples: an answer that stays the same whatever
    data the slots the request names hold (``by_slot``: the probes that gave each other data) does not come from
    them, unless it is what the call itself left in the slot. Not for an answer that is None, a bool (a status) or one
    of the call's own arguments. Kept because a replay of every recorded run shows it keeps a wrong method out
    (``docs/journal/learning.md``)."""
    value = first.get("value")
    if "value" not in first or value is None or isinstance(value, bool) or _answers_an_argument(value, call):
        return []
    answer = output_key(first)
    same = {name for name, probed in by_slot.items() if len(probed) >= 2
            and all(output_key(o) == answer for _c, o, _w in probed)
            and not _left_in_slot(name, answer, first.get("written"), probed)}
    if not same or same != set(by_slot):  # one named slot the answer follows is enough
        return []
    return [f"answers {answer_of(answer)} whatever self.{name} holds (it answered so with self.{name} = "
            f"{' and = '.join(json.dumps(c['given'][name])[:40] for c, _o, _w in by_slot[name])}): "
            f"the request is about that slot's data, and its answer must come from it" for name in sorted(same)]


def does_nothing(answered: list[tuple[dict, dict, dict | None]], cases: list[dict]) -> list[str]:
    """The other refusal: one argument answered unchanged by the trial and every other call answered (two calls or
    more, no slot written), where no example of the person's answers an argument unchanged: it did nothing. Kept
    because a replay of every recorded run shows it refuses wrong candidates only (a placeholder never found, a
    bound returned whatever the number), and without it one of them is installed (``docs/journal/learning.md``)."""
    echoed = _echoed(answered)
    if echoed is None or any(c["role"] == "example" and _echo(c) for c in cases):
        return []
    return [f"answered its argument {echoed + 1} unchanged, and so did every other call it answered: "
            "a method must do what was asked"]


def _echoed(answered: list[tuple[dict, dict, dict | None]]) -> int | None:
    """The position of the argument answered unchanged by the trial (first) and every call answered that wrote no
    slot, or None."""
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
    """A case whose answer is one of its own arguments (``f('a b') == 'a b'``)."""
    return "result" in case and any(case["result"] == a and type(case["result"]) is type(a)
                                    for a in [*case.get("args", []), *case.get("kwargs", {}).values()])


def _left_in_slot(name: str, answer: str, written: dict | None, probed: list[tuple[dict, dict, dict | None]]) -> bool:
    """The answer is what the trial and every probe left in slot ``name`` (written there, or given there and kept:
    a reset to 0 of a slot a probe gave 0 writes nothing): it came from the slot's new data."""
    left = [(written or {}).get(name, _NOTHING)]
    left += [(w or {}).get(name, (c.get("given") or {}).get(name, _NOTHING)) for c, _o, w in probed]
    return all(value is not _NOTHING and output_key({"value": value}) == answer for value in left)


_NOTHING = object()


def _answers_an_argument(value: Any, call: tuple | None) -> bool:
    """The trial answered one of its own arguments (a text, a list, a mapping)."""
    return bool(call) and isinstance(value, (str, list, dict)) and any(
        value == a and type(value) is type(a) for a in [*(call[0] or []), *(call[1] or {}).values()])


def _answer_key(outcome: dict, slots_after: dict | None, varies: bool) -> str:
    """:func:`output_key`, or for a candidate whose answers vary (a clock, chance) only their kind and the slots
    written: two clocks read a moment apart answered alike (right candidates telling the time never agree on
    its text)."""
    if not varies or "value" not in outcome:
        return output_key(outcome, slots_after)
    return json.dumps(["kind", type(outcome["value"]).__name__, *([sorted(slots_after)] if slots_after else [])])


def generated_failures(record: dict, cases: list[dict], generated: list[dict], outcomes: list[dict], selector: str) -> list[str]:
    """Why the candidate failed each generated case it failed (for the cycle record)."""
    first = next((i for i, c in enumerate(cases) if c["role"] == "generated"), len(cases))
    return [judge(case, outcomes[first + i], None, selector) or describe(case, selector)
            for i, case in enumerate(generated) if not record["passes"][i]]


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _arguments(call: tuple | None) -> str:
    return call_arguments(call[0] or [], call[1] or {}) if call else ""

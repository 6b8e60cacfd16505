"""Every call a candidate meets, each with its role and where it comes from: the one place calls are made.

:func:`planned` lists one run's calls in order: the **trial** (the call that asked, twice: answered otherwise the
second time, it is not deterministic), the person's **examples**, the **generated cases**, then the **probes**, with
no expected answer, for candidates to agree or disagree on: the calls of the conditions the request states
(:func:`condition_calls`, labelled), calls at the values it names (:func:`named_calls`) and calls made from the
learning call's arguments (:func:`probes`). Then the eligible candidates answer calls made of their own constants
(:func:`constant_calls`), which tell apart candidates that only look alike; the one to install meets its coverage
calls (:mod:`~bat_os.cognition.trial.coverage`). No call repeats an earlier one (:func:`~bat_os.cognition.judge.
cases.key`).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bat_os.cognition.author.prompts import MAX_CONDITIONS, label
from bat_os.cognition.judge.cases import BadCase, key, parse_case


def planned(info: dict) -> list[dict]:
    """The calls of one run, in order, each tagged with its ``role`` and its index in that role (``info``: the cycle's
    view: the call, the examples, the generated cases, the conditions, the sentence)."""
    trial = {"args": info["args"], "kwargs": info["kwargs"]}
    cases = [{**trial, "role": "trial", "index": 0}, {**trial, "role": "trial", "index": 1}]
    cases += [{**e, "role": "example", "index": i} for i, e in enumerate(info["examples"])]
    cases += [{**g, "role": "generated", "index": i} for i, g in enumerate(info["cases"])]
    return cases + [{**p, "role": "probe", "index": i} for i, p in enumerate(probe_calls(info))]


def probe_calls(info: dict) -> list[dict]:
    """The run's probes of the request: the conditions' calls, those at the values it names, those made from the
    learning call; none repeating the trial, an example or a generated case."""
    taken = [{"args": info["args"], "kwargs": info["kwargs"]}, *info["examples"], *info["cases"]]
    stated = condition_calls(info.get("conditions") or [], taken)
    named = named_calls(info.get("intent") or "", info["args"], info["kwargs"], [*taken, *stated])
    return [*stated, *named, *probes(info["args"], info["kwargs"], [*taken, *stated, *named])]


def run_calls(cases: list[dict], conditions: list[dict]) -> list[dict]:
    """The calls a candidate's answers are to, in the order of its signature (the first trial, the generated cases,
    the probes), each a condition's call labelled with it: what a question shows."""
    return labelled([{k: c[k] for k in ("args", "kwargs", "given") if k in c} for c in cases
                     if (c["role"] == "trial" and c["index"] == 0) or c["role"] in ("generated", "probe")], conditions)


def plain_slots(receiver: Any) -> dict:
    """The receiver's slots holding plain data (text, numbers, lists, maps), as plain Python values."""

    def plain(value: Any, depth: int = 0) -> Any:
        if depth > 8:
            raise ValueError("too deep")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, Mapping):
            return {k: plain(v, depth + 1) for k, v in value.items()}
        if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
            return [plain(v, depth + 1) for v in value]
        raise ValueError("not plain data")

    found = {}
    for name, value in getattr(receiver, "slots", {}).items():
        try:
            found[name] = plain(value)
        except ValueError:
            continue
    return found


# --- the conditions the request states -------------------------------------------------------------
MAX_CONDITION_CALLS = 2  # calls kept per condition: one to test it, one more where the case writer wrote two


def said_in(clause: str, examples: list[dict]) -> list[dict]:
    """The calls of the person's examples a clause itself says (``e.g. 'Ada Lovelace' gives 'AL'``: every argument
    written in it), as that condition's calls: the example settles it."""
    def written(value: object) -> bool:
        return (isinstance(value, str) and bool(value) and value in clause) or (
            not isinstance(value, str) and any(form in clause for form in (repr(value), json.dumps(value, default=repr))))
    return [{k: e[k] for k in ("args", "kwargs", "given") if k in e} for e in examples
            if e.get("args") and all(written(a) for a in e["args"])]


def accept_conditions(raw: list[dict], brief: dict, slot_names: set[str] | None = None) -> list[dict]:
    """The conditions of the request with the calls the case writer wrote for each, fit to run (:func:`_fit`; a
    condition with none keeps its label: no call tests it). The first clause, what is asked, has the trial's call; a
    clause that says an example has its call (:func:`said_in`); calls under no comment go, in order, to the conditions
    without one. None at all when the reply wrote no call."""
    if not any(condition.get("calls") for condition in raw):
        return []
    loose = _fit([call for condition in raw if not condition["label"] for call in condition["calls"]], brief, slot_names)
    trial = {"args": brief.get("args", []), "kwargs": brief.get("kwargs", {})}
    kept = []
    for index, condition in enumerate([c for c in raw if c["label"]][:MAX_CONDITIONS]):
        own = [trial] if index == 0 else []
        calls = _fit([*own, *said_in(str(condition["label"]), brief.get("examples") or []), *condition["calls"]], brief, slot_names)
        if not calls and loose:
            calls = [loose.pop(0)]
        kept.append({"label": label(str(condition["label"])), "calls": calls[:MAX_CONDITION_CALLS]})
    return kept


def _fit(found: list[dict], brief: dict, slot_names: set[str] | None) -> list[dict]:
    """The calls of ``found`` fit to run: plain data, calling the method as the brief's call does, setting only
    slots the object has; each once."""
    arity = (len(brief.get("args", [])), sorted(brief.get("kwargs", {})))
    calls: list[dict] = []
    for call in found:
        try:
            case = parse_case({**call, "type": "None"}, "a condition's call")  # a call alone: no answer is read
        except BadCase:
            continue
        case.pop("type")
        if (len(case["args"]), sorted(case["kwargs"])) == arity and not (
                slot_names is not None and set(case.get("given") or {}) - slot_names) and case not in calls:
            calls.append(case)
    return calls


def untested(conditions: list[dict]) -> list[str]:
    """The labels of the conditions no call tests."""
    return [c["label"] for c in conditions if not c["calls"]]


def uncovered(conditions: list[dict], examples: list[dict]) -> list[str]:
    """The labels of the conditions none of whose calls the person has answered (an example, given or answered)."""
    said = {key(e) for e in examples}
    return [c["label"] for c in conditions if not any(key(call) in said for call in c["calls"])]


def condition_calls(conditions: list[dict], taken: list[dict]) -> list[dict]:
    """The conditions' calls a run makes besides ``taken``, each with its condition's ``label``."""
    return unseen(({**call, "condition": c["label"]} for c in conditions for call in c["calls"]), taken)


def unseen(calls: Iterable[dict], taken: list[dict], most: int | None = None) -> list[dict]:
    """``calls`` in order, none repeating a call of ``taken`` or an earlier one (by :func:`key`), ``most`` at most."""
    seen, found = {key(c) for c in taken}, []
    for call in calls:
        if key(call) not in seen:
            seen.add(key(call))
            found.append(call)
            if most is not None and len(found) >= most:
                break
    return found


def _with(args: list, position: int, value: Any, kwargs: dict) -> dict:
    """The call with the argument at ``position`` replaced by ``value``."""
    return {"args": [*args[:position], value, *args[position + 1:]], "kwargs": dict(kwargs)}


def labelled(calls: list[dict], conditions: list[dict]) -> list[dict]:
    """``calls`` (a run's, in order), each that is a condition's call with that condition's label (the first)."""
    labels: dict[str, str] = {}
    for condition in conditions:
        for call in condition["calls"]:
            labels.setdefault(key(call), condition["label"])
    return [{**call, "condition": labels[key(call)]} if key(call) in labels and "condition" not in call
            else call for call in calls]


# --- probes of the learning call's own arguments -----------------------------------------------------
MAX_PROBES = 6  # one to three per argument of a call of two: enough to split look-alikes, few enough to stay fast


def variants(value: Any) -> list[Any]:
    """Other values of ``value``'s kind, most telling first."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):  # nothing, an odd one, below nothing, and past the call's own by a dozen (a wrap)
        return [0, 7, -3, value + 12]
    if isinstance(value, float):  # nothing, a half (where rounding shows), below nothing
        return [0.0, 2.5, -1.5]
    if isinstance(value, str):
        words = value.split()  # nothing, two capitalised words, itself turned round, its words too and one more, upper case
        return ["", "Hello World", value[::-1], " ".join(reversed(words)) + " extra" if words else "a b c", value.upper()]
    if isinstance(value, list):  # none, reversed, one, longer; numbers also with their signs turned
        numbers = bool(value) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)
        return [[], value[::-1], value[:1], value + value[:2], *([[-x for x in value]] if numbers else [])]
    if isinstance(value, dict):  # none, and one of its items
        first = dict(list(value.items())[:1])
        return [{}, first]
    return []


def probes(args: list, kwargs: dict, taken: list[dict]) -> list[dict]:
    """Up to :data:`MAX_PROBES` calls ``{"args", "kwargs", "varies"}`` around the call, one argument changed at a time
    (``varies``: its position), the most telling variants of every argument first."""
    columns = [variants(a) for a in args]
    made = ({**_with(args, position, options[depth], kwargs), "varies": position}
            for depth in range(max((len(c) for c in columns), default=0))
            for position, options in enumerate(columns) if depth < len(options))
    return unseen(made, [*taken, {"args": args, "kwargs": kwargs}], MAX_PROBES)


# --- the values the request names --------------------------------------------------------------------
MAX_NAMED = 6  # two values the request names, each at it and on both sides of it
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")  # an argument written as a time of day (H:MM, HH:MM)
_TIME_NAMED = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])")  # a time the request names, not part of a longer one
# a number standing alone in the request: not a piece of a time, a date, a word or a longer number
_NUMBER_NAMED = re.compile(r"(?<![\w.:/-])(-?\d+(?:\.\d+)?)(?![\w:/]|[.-]\d)")


def named_calls(intent: str, args: list, kwargs: dict, taken: list[dict]) -> list[dict]:
    """Up to :data:`MAX_NAMED` calls at the values the request names and just beside them ("from 3 to 16", "0 or less",
    "17:30, not included"): a whole number and its neighbours in a whole-number argument, a decimal in a decimal one,
    a time and the minutes beside it in one written as a time. A reading goes wrong most often at the values named."""
    times = [(int(h), int(m)) for h, m in _TIME_NAMED.findall(intent) if int(h) < 24 and int(m) < 60]
    numbers = [n for n in _NUMBER_NAMED.findall(_TIME_NAMED.sub(" ", intent))]
    made: list[dict] = []
    for position, value in enumerate(args):
        options: list[tuple[str, int, Any]] = []  # (the value named, offset from it, the argument)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            options += [(n, d, int(n) + d) for n in numbers if "." not in n for d in (0, -1, 1)]
        elif isinstance(value, float):
            options += [(n, 0, float(n)) for n in numbers]
        elif isinstance(value, str) and (shape := _TIME.match(value)):
            options += [(f"{h}:{m:02d}", d, _clock(h * 60 + m + d, len(shape.group(1)))) for h, m in times for d in (0, -1, 1)]
        made += [{**_with(args, position, option, kwargs), "varies": position, "named": f"{position}={named}", "offset": offset}
                 for named, offset, option in options]
    return unseen(made, [*taken, {"args": args, "kwargs": kwargs}], MAX_NAMED)


def _clock(minutes: int, width: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:0{width}d}:{minutes % 60:02d}"


# --- the candidates' own constants ---------------------------------------------------------------------
MAX_CONSTANT_CALLS = 4  # calls made of the candidates' constants in one cycle: each is one more jailed call per candidate
CONSTANTS = (2, 10**6)  # the integers a call is made of: 0 and 1 are everyone's constants; a huge one is rarely an input


def constants(code: str, selector: str) -> list[int]:
    """The integer constants in ``def selector`` of ``code`` (``% 100``, ``>= 18``: where its author thought the answer
    changes), in order of first appearance, within :data:`CONSTANTS` by size; [] when it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == selector), None)
    found: list[int] = []
    for node in ast.walk(function) if function is not None else ():
        if isinstance(node, ast.Constant) and type(node.value) is int and CONSTANTS[0] <= abs(node.value) <= CONSTANTS[1]:
            if node.value not in found:
                found.append(node.value)
    return found


def constant_calls(codes: list[str], selector: str, args: list, kwargs: dict, taken: list[dict]) -> list[dict]:
    """Up to :data:`MAX_CONSTANT_CALLS` calls ``{"args", "kwargs"}``: the learning call with one integer argument
    replaced by a constant of one of ``codes`` (``year % 4`` and the Gregorian rule answer 2024, 0, 7, -3 and 2036
    alike; 100, a constant of one of them, tells them apart), none repeating ``taken``."""
    positions = [i for i, value in enumerate(args) if type(value) is int]
    made = (_with(args, position, value, kwargs) for code in codes for value in constants(code, selector) for position in positions)
    return unseen(made, [*taken, {"args": args, "kwargs": kwargs}], MAX_CONSTANT_CALLS)

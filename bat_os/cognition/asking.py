"""Questions to the person who sent the message: what is asked, how an answer is read, who waits for it.

A question (plain data, kept in the cycle's ``questions`` artifact)::

    {"cycle": "c3", "id": "q1", "selector": "initials", "kind": "disagreement" | "confirm",
     "call": {"args": [...], "kwargs": {...}, "slots": {...}},
     "choices": [{"result": "AKL", "candidates": 3}, {"raises": "ValueError", "candidates": 1}],
     "also": [{"call": {...}, "result": "TA"}]}

``also`` (a confirm only): the same candidate's answers at other calls, shown beside the first (up to four calls in
one look); ``condition``: the condition the request states that a call tests, in a few words. An answer
(``{"choose": i}``, ``{"result": v, "slots": {...}}``, ``{"raises": "Name"}``, ``{"skip": true}``; ``"at": k``
with a result or raises: it is the answer at ``also[k - 1]``'s call, the calls shown before it being right)
becomes examples of the person's (:func:`examples_of`): from then on hard constraints on every candidate,
shown to the author, and kept in the method's tests. :class:`Waiting` holds the answers the kernel is
waiting for (in memory: a question outlives no kernel; after a restart it counts as skipped).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bat_os.cognition.choosing import Decision, choice
from bat_os.errors import Answered, BadRequest, NotFound

MAX_ANSWER_BYTES = 65536  # an answer's value, as JSON


def question(cycle_id: str, number: int, selector: str, decision: Decision, calls: list[dict], slots: dict,
             shown: Any = None) -> dict:
    """The question a :class:`~bat_os.cognition.choosing.Decision` (ASK or CONFIRM) asks: its call, and each
    answer the candidates give there with how many give it (a confirm: the shown candidate's only; ``shown``:
    what it answered the trial, for an answer known by its kind only, a clock's)."""
    found = decision.split
    assert found is not None
    call = call_at(found.position, calls)
    answers = found.answers
    if decision.action == "confirm":
        key = next(k for k, members in answers.items() if decision.winner in members)
        answers = {key: answers[key]}
    choices = [choice(key, len(members)) if json.loads(key)[0] != "kind" else {"result": shown, "candidates": len(members), "varies": True}
               for key, members in sorted(answers.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    also = []
    if decision.action == "confirm":
        for position, key in found.also:  # the shown candidate's answers at other calls, seen with the first
            other = call_at(position, calls)
            also.append({"call": _shown_call(other, slots), **{k: v for k, v in choice(key, 1).items() if k != "candidates"},
                         **({"given": other["given"]} if other.get("given") else {}),
                         **({"condition": other["condition"]} if other.get("condition") else {})})
    return {
        "cycle": cycle_id, "id": f"q{number}", "selector": selector,
        "kind": "confirm" if decision.action == "confirm" else "disagreement",
        "call": _shown_call(call, slots),
        "choices": choices,
        **({"also": also} if also else {}),
        **({"given": call["given"]} if call.get("given") else {}),
        **({"condition": call["condition"]} if call.get("condition") else {}),
    }


def _shown_call(call: dict, slots: dict) -> dict:
    return {"args": call.get("args", []), "kwargs": call.get("kwargs", {}), "slots": {**slots, **(call.get("given") or {})}}


def shown(asked: dict) -> dict:
    """A question as the person is shown it (what the cycle keeps beside it, the candidate a confirm installs, aside)."""
    return {k: v for k, v in asked.items() if k != "winner"}


def call_at(position: int | str, calls: list[dict]) -> dict:
    """The call at a split's position: an index into the run's calls (trial, generated cases, probes), or the
    key of a call made of the candidates' constants (``[args, kwargs]`` as JSON)."""
    if isinstance(position, str):
        args, kwargs = json.loads(position)
        return {"args": args, "kwargs": kwargs}
    return calls[position]


def read_answer(asked: dict, request: dict) -> dict:
    """The ``answer`` command's fields as an answer to ``asked``: BadRequest for anything else."""
    given = [k for k in ("choose", "result", "raises", "skip") if k in request]
    if len(given) != 1:
        raise BadRequest("an answer is one of 'choose', 'result', 'raises' or 'skip'")
    kind = given[0]
    at: dict[str, int] = {}
    if "at" in request:  # which call shown a result or raises answers: 0 the question's call, k its also[k - 1]
        shown_calls = 1 + len(asked.get("also") or [])
        if kind not in ("result", "raises"):
            raise BadRequest("'at' goes with 'result' or 'raises': which call shown they answer")
        if type(request["at"]) is not int or not 0 <= request["at"] < shown_calls:
            raise BadRequest(f"'at' must be the index of a call shown, 0 to {shown_calls - 1}")
        at = {"at": request["at"]} if request["at"] else {}
    if kind == "skip":
        if request["skip"] is not True:
            raise BadRequest("'skip' must be true")
        return {"skip": True}
    if kind == "choose":
        index = request["choose"]
        if type(index) is not int or not 0 <= index < len(asked["choices"]):
            raise BadRequest(f"'choose' must be a choice's index, 0 to {len(asked['choices']) - 1}")
        return {"choose": index}
    if kind == "raises":
        name = request["raises"]
        if not isinstance(name, str) or not name.isidentifier() or len(name) > 100:
            raise BadRequest("'raises' must be an exception's name, like ValueError")
        return {"raises": name, **at}
    answer: dict[str, Any] = {"result": _plain(request["result"], "result")}
    if "slots" in request:
        slots = request["slots"]
        if not isinstance(slots, dict) or not all(isinstance(k, str) and k.isidentifier() for k in slots):
            raise BadRequest("'slots' must map slot names to values")
        answer["slots"] = _plain(slots, "slots")
    return {**answer, **at}


def examples_of(asked: dict, answer: dict) -> list[dict]:
    """The person's examples an answer makes (none: skipped). A chosen choice is its answer; a confirm's choice 0
    accepts the candidate at every call shown; an answer ``at`` a call shown second says the first was right."""
    if answer.get("skip"):
        return []
    shown_calls = [{"call": asked["call"], **({"given": asked["given"]} if asked.get("given") else {})},
                   *(asked.get("also") or [])]
    if "choose" in answer:
        chosen = asked["choices"][answer["choose"]]
        said = [chosen, *(asked.get("also") or [])] if asked.get("kind") == "confirm" else [chosen]
    else:
        at = answer.get("at", 0)  # the calls shown before it were right
        said = [*[asked["choices"][0], *(asked.get("also") or [])][:at], answer]
    found = []
    for shown_call, told in zip(shown_calls, said):
        if told.get("varies"):
            continue  # a clock's answer, accepted: no exact example to keep
        call = shown_call["call"]
        example: dict[str, Any] = {"args": call["args"], "kwargs": call["kwargs"]}
        if shown_call.get("given"):
            example["given"] = shown_call["given"]
        for key in ("result", "raises", "slots"):
            if key in told:
                example[key] = told[key]
        found.append(example)
    return found


def kept(asked: dict) -> list[dict]:
    """The examples a settled question keeps (a question kept before two calls were shown holds one, ``example``)."""
    return list(asked.get("examples") or ([asked["example"]] if asked.get("example") else []))


def contradiction(example: dict, examples: list[dict]) -> str | None:
    """Why ``example`` contradicts one of the person's own (the same call, another answer), or None."""
    call = _call_key(example)
    for other in examples:
        if _call_key(other) != call:
            continue
        mine = {k: example.get(k) for k in ("result", "raises") if k in example}
        theirs = {k: other.get(k) for k in ("result", "raises") if k in other}
        if mine and theirs and json.dumps(mine, sort_keys=True, default=repr) != json.dumps(theirs, sort_keys=True, default=repr):
            return f"that call's answer is already {theirs}, from the person's own examples"
    return None


def _call_key(case: dict) -> str:
    return json.dumps([case.get("args", []), case.get("kwargs", {}), case.get("given") or {}], sort_keys=True, default=repr)


def _plain(value: Any, name: str, depth: int = 0) -> Any:
    if depth == 0:
        try:
            size = len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError):
            raise BadRequest(f"'{name}' must be plain data (text, numbers, true/false, null, lists, maps)") from None
        if size > MAX_ANSWER_BYTES:
            raise BadRequest(f"'{name}' is {size} bytes as JSON; an answer may be {MAX_ANSWER_BYTES}")
    if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
        raise BadRequest(f"'{name}' must be plain data: map keys must be text")
    return value


class Waiting:
    """The questions the kernel waits an answer for, by (cycle, question id); only the event loop uses it."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], asyncio.Future] = {}

    async def wait(self, cycle_id: str, question_id: str, seconds: float) -> dict | None:
        """The answer, or None when none came within ``seconds`` (skipped)."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiting[(cycle_id, question_id)] = future
        try:
            return await asyncio.wait_for(future, seconds)
        except asyncio.TimeoutError:
            return None
        finally:
            self._waiting.pop((cycle_id, question_id), None)

    def waiting(self, cycle_id: str, question_id: str) -> bool:
        future = self._waiting.get((cycle_id, question_id))
        return future is not None and not future.done()

    def answer(self, cycle_id: str, question_id: str, answer: dict) -> None:
        """Hand the waiting cycle its answer: NotFound when nobody waits for it, Answered when it was answered."""
        future = self._waiting.get((cycle_id, question_id))
        if future is None:
            raise NotFound(f"cycle {cycle_id} is not waiting for an answer to {question_id}")
        if future.done():
            raise Answered(f"{question_id} of cycle {cycle_id} was answered already")
        future.set_result(answer)

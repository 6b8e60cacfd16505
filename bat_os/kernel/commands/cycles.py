"""Cognitive cycles on the wire: ``initiate_cognitive_cycle`` and ``cycle``.

::

    {"command": "initiate_cognitive_cycle", "target_oid": "genesis_obj" | "0x1a",
     "mission_brief": {"type": "unhandled_message", "selector": "s", "args": [], "kwargs": {}}}
        -> when the cycle ends: {"cycle", "selector", "installed_on", "result"}
           or error "cycle_failed" with {"cycle", "state", "reasons"}
    {"command": "cycle", "cycle": "c7"}  -> the cycle's state, brief, artifacts, reasons, outcome
    {"command": "cycles", "offset"?: 0, "limit"?: 100}
        -> {"cycles": [{"cycle", "state", "selector", "receiver", "origin", "outcome", "created", "updated",
                        "question"}, ...] (newest first), "offset", "limit", "total"}

``send`` starts cycles too (:func:`bat_os.kernel.commands.objects.send`): a
selector nobody understands is learned, then sent. ``cycles`` lists them in
pages (:mod:`bat_os.kernel.commands.paging`), newest first: ``receiver`` is
its root name or oid, ``question`` the question it waits on (as the person is
shown it) or null.
"""

from __future__ import annotations

import json
from typing import Any

from bat_os.cognition.cycle.record import answers
from bat_os.cognition.judge import questions as asking
from bat_os.errors import Answered, BadRequest, Internal, NoJail, NotFound
from bat_os.image.codec import render
from bat_os.image.objects import UvmObject, oid_to_hex
from bat_os.kernel.commands.base import Command, Context, Later, field, from_wire
from bat_os.kernel.commands.objects import send
from bat_os.kernel.commands.paging import page_of
from bat_os.translate import briefs

MAX_ANSWER_BYTES = 65536  # an answer's value as JSON, at most: an answer is a value, not a file


def initiate_cognitive_cycle(ctx: Context, request: dict) -> Any:
    """The seed's message shape: start a cycle for an unhandled message.

    ``{"command": "initiate_cognitive_cycle", "target_oid": T, "mission_brief":
    {"type": "unhandled_message", "selector": "s", "args": [], "kwargs": {}}}``

    ``kwargs.intent`` (a string) is the sentence that asked for the method, not
    an argument: it is split out (:func:`bat_os.translate.briefs.split_intent`) and given
    to the cycle's personas; the method is called with the remaining kwargs,
    whether a cycle installs it or it is understood already.
    """
    target = ctx.image.resolve(field(request, "target_oid", str))
    if not isinstance(target, UvmObject):
        raise BadRequest(f"{request['target_oid']!r} is not a UvmObject")
    brief = field(request, "mission_brief", dict)
    if brief.get("type") != "unhandled_message":
        raise BadRequest("mission_brief.type must be 'unhandled_message'")
    selector = brief.get("selector")
    if not isinstance(selector, str) or not selector.isidentifier() or selector.startswith("_"):
        raise BadRequest(f"mission_brief.selector must be an identifier not starting with '_', not {selector!r}")
    args = field(brief, "args", list, default=[])
    kwargs = field(brief, "kwargs", dict, default={})
    if not all(isinstance(k, str) and k.isidentifier() for k in kwargs):
        raise BadRequest("mission_brief.kwargs keys must be identifiers")
    from_wire(ctx.image, args)
    from_wire(ctx.image, kwargs)
    kwargs, intent = briefs.split_intent(kwargs)
    if ctx.cognition is None:
        raise Internal("this process runs no cognitive cycles")
    # Send the message: understood already, it answers at once; otherwise a cycle learns it.
    message = {"target": request["target_oid"], "selector": selector, "args": args, "kwargs": kwargs}
    if intent is not None:
        message["intent"] = intent
    if "examples" in brief:  # checked by send, as a send's own examples are
        message["examples"] = brief["examples"]
    return send(ctx, message)


def cycle(ctx: Context, request: dict) -> dict:
    """``{"command": "cycle", "cycle": "c7"}`` -> its state, brief, artifacts, reasons, outcome."""
    cycle_id = field(request, "cycle", str)
    registry = ctx.image.connection.root()["orchestrator_obj"].slots["cycles"]
    found = registry.get(cycle_id)
    if found is None:
        raise NotFound(f"no cycle {cycle_id!r}")
    return found.summary()


def cycles(ctx: Context, request: dict) -> dict:
    """Every cycle, newest first, a page at a time."""
    page = page_of(request, default=100)
    root = ctx.image.connection.root()
    registry = _registry(root)
    count = registry.count if registry is not None else 0
    numbers = range(count, 0, -1)[page.offset:page.offset + page.limit]
    names = {id(root[name]): name for name in root.keys()}
    found = (registry.get("c%d" % number) for number in numbers)
    return {"cycles": [cycle_card(c, names) for c in found if c is not None], **page.fields(count)}


def newest_cycles(root: Any, newest: int, names: dict[int, str]) -> list[dict]:
    """The ``newest`` cycles' cards, newest first (``world``'s glance)."""
    registry = _registry(root)
    if registry is None or newest == 0:
        return []
    listed = []
    for number in range(registry.count, 0, -1):
        found = registry.get("c%d" % number)
        if found is not None:
            listed.append(cycle_card(found, names))
        if len(listed) >= newest:
            break
    return listed


def cycle_card(found: Any, names: dict[int, str]) -> dict:
    """One line about a cycle: what it learns, on what, where it stands, and the question it waits on."""
    questions = list(found.artifacts.get("questions", []))
    last = questions[-1] if questions else None
    open_question = render(asking.shown(dict(last))) if last and "answer" not in last and not found.terminal else None
    return {"cycle": found.id, "state": found.state_name, "selector": found.selector, "receiver": label(found.receiver, names),
            "origin": found.origin, "outcome": found.outcome, "created": found.created, "updated": found.updated,
            "question": open_question}


def label(obj: Any, names: dict[int, str]) -> str:
    """An object's root name (``names``: id(object) -> root name), else its oid."""
    return names.get(id(obj)) or (oid_to_hex(obj._p_oid) if getattr(obj, "_p_oid", None) else "?")


def _registry(root: Any) -> Any:
    orchestrator = root.get("orchestrator_obj")
    return orchestrator.slots.get("cycles") if isinstance(orchestrator, UvmObject) else None


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


def answer(ctx: Context, request: dict) -> Any:
    """Answer a cycle's question (:mod:`bat_os.cognition.judge.questions`).

    ``{"command": "answer", "cycle": "c3", "question": "q1", "choose": 1}`` (a choice's index), or
    ``"result": VALUE`` (and ``"slots": {...}``), ``"raises": "ValueError"``, ``"skip": true``
        -> ``{"cycle", "question", "accepted": true, "answer"}`` when the cycle waits for it;
    a question of a cycle that failed ``unanswered``: a new cycle with the answer as an example, answered
    like a send that learns (its result, or ``cycle_failed``). ``not_found``: no such cycle or question;
    ``answered``: it was answered, skipped or timed out already; ``bad_request``: not an answer to it,
    or an answer that contradicts the person's own examples.
    """
    cycle_id = field(request, "cycle", str)
    question_id = field(request, "question", str)
    found = ctx.image.connection.root()["orchestrator_obj"].slots["cycles"].get(cycle_id)
    if found is None:
        raise NotFound(f"no cycle {cycle_id!r}")
    asked = next((render(q) for q in found.artifacts.get("questions", []) if q.get("id") == question_id), None)
    if asked is None:
        raise NotFound(f"cycle {cycle_id} asked no question {question_id!r}")
    if asked.get("by") == "answer":
        raise Answered(f"{question_id} of cycle {cycle_id} was answered already")
    given = read_answer(asked, request)
    examples = asking.examples_of(asked, given)
    for example in examples:
        if why := asking.contradiction(example, [*found.brief.get("examples", []), *answers(found)]):
            raise BadRequest(f"this answer contradicts the person's own: {why}")
    if ctx.cognition is None or ctx.cognition.orchestrator is None:
        raise Internal("this process runs no cognitive cycles")
    orchestrator = ctx.cognition.orchestrator
    if orchestrator.waiting.waiting(cycle_id, question_id):
        orchestrator.waiting.answer(cycle_id, question_id, given)
        return {"cycle": cycle_id, "question": question_id, "accepted": True, "answer": given}
    unanswered = found.state_name == "FAILED" and "unanswered" in list(found.reasons) and asked.get("by") in (None, "timeout", "nobody")
    if not unanswered or asked["id"] != found.artifacts["questions"][-1]["id"]:  # only the question it failed on
        raise Answered(f"{question_id} of cycle {cycle_id} was {'answered' if asked.get('by') == 'answer' else 'settled'} already"
                       if "by" in asked else f"cycle {cycle_id} is not waiting for an answer to {question_id}")
    if not examples:  # a skip, or a clock's answer accepted: nothing to try the cycle again with
        raise BadRequest(f"{'skipping' if given.get('skip') else 'that answer to'} {question_id} changes nothing: "
                         f"cycle {cycle_id} failed without its answer")
    if not ctx.cognition.jail.available:
        raise NoJail(f"cycle {cycle_id} cannot be tried again here: {ctx.cognition.jail.reason}")
    return Later(lambda call: orchestrator.retry(cycle_id, question_id, given, reply_to=call.reply_to, on_event=call.on_event,
                                                 ask=call.asks))


COMMANDS = (
    Command("initiate_cognitive_cycle", initiate_cognitive_cycle, writes=True),
    Command("cycle", cycle, writes=False),
    Command("cycles", cycles, writes=False),
    Command("answer", answer, writes=False),
)

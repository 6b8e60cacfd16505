"""Drafts: a failed cycle's best try, handed over to the person, never a dead end.

A cycle that fails keeps every candidate it wrote; its **draft** is the one that held most of what the person said
(:func:`best_try`: it held the call asked, then the fewest of the person's examples failed, then the most generated
cases passed, then the earliest). The person can give an example (the cycle goes on with it as a hard constraint),
edit the draft (the edit is tried on every call the person answered and installs with them as its tests), or drop
it::

    {"command": "drafts", "offset"?: 0, "limit"?: 50}
        -> {"drafts": [{"cycle", "selector", "receiver", "created", "reasons"}, ...] (newest first), "offset", "limit", "total"}
    {"command": "draft", "cycle": "c7"}
        -> {"cycle", "selector", "receiver", "code", "author", "calls": [the person's calls it was tried on],
            "failing": [{"call": {"args", "kwargs", "given"?}, "wanted": {"result" | "raises" | "slots"}, "why"}],
            "unsure": the question nobody answered ({"call", "choices"}) or null, "state"}
    {"command": "draft_edit", "cycle": "c7", "source": "def m(self, ...): ..."}
        -> as set_method: {"target", "selector", "version", "cases_run"}; ``tests_failed`` (the calls it fails),
           ``code_refused`` (the guardian), nothing changed
    {"command": "draft_example", "cycle": "c7", "args": [...], "kwargs"?: {}, "given"?: {...}, "result": V | "raises": "E"}
        -> a new cycle from the failed one, the example among the person's: answered like a send that learns
    {"command": "draft_drop", "cycle": "c7"} -> {"cycle", "state": "dropped"}

``not_found``: no such cycle, or no draft in it (it did not fail, wrote nothing that ran, or its method was
installed since: for a relearn, another version than the one it was to replace); ``answered``: the draft was installed, dropped or taken on by a later cycle already. A draft's state is
kept in its cycle's ``draft`` artifact: an edit settles it in the very transaction that installs the method, so a
kill -9 at any point leaves the draft open and nothing installed, or the method installed and the draft settled.
"""

from __future__ import annotations

import re
from typing import Any

from bat_os.cognition.cycle.record import Cycle, answers
from bat_os.cognition.judge.cases import BadCase, parse_case
from bat_os.cognition.methods.tests import try_change
from bat_os.errors import Answered, BadRequest, CodeRefused, Internal, NoJail, NotFound
from bat_os.image.codec import render
from bat_os.image.objects import oid_to_hex
from bat_os.jail import guardian
from bat_os.kernel.commands.base import Command, Context, Later, field
from bat_os.kernel.commands.methods import change_method
from bat_os.kernel.commands.paging import page_of

OPEN = "open"
_MORE = re.compile(r"^\.\.\. and (\d+) more$")


def best_try(candidates: list[dict]) -> int | None:
    """The index of the candidate that held most of what the person said: it passed the guardian and held the call
    asked, then failed the fewest of the person's examples, then passed the most generated cases; the earliest on a
    tie. None when no candidate's code passed the guardian."""
    def score(index: int) -> tuple:
        failed = [str(f) for f in candidates[index].get("failed") or ()]
        more = sum(int(m.group(1)) for f in failed if (m := _MORE.match(f)))
        examples = sum(f.startswith("example:") for f in failed) + more
        return (not any(f.startswith("trial:") for f in failed), -examples, sum(map(bool, candidates[index].get("passes") or ())),
                -index)

    audited = [i for i, c in enumerate(candidates) if (c.get("verdict") or {}).get("accepted") and c.get("code")]
    return max(audited, key=score) if audited else None


def _examples(cycle: Cycle) -> list[dict]:
    """The person's examples: given with the request, and the answers to the cycle's questions."""
    return [*render(cycle.brief).get("examples", []), *answers(cycle)]


def _open(ctx: Context, cycle_id: str) -> tuple[Cycle, dict]:
    """The failed cycle ``cycle_id`` and its best try, open: NotFound / Answered otherwise."""
    cycle = ctx.image.connection.root()["orchestrator_obj"].slots["cycles"].get(cycle_id)
    if cycle is None:
        raise NotFound(f"no cycle {cycle_id!r}")
    candidates = render(cycle.artifacts.get("candidates") or [])
    index = best_try(candidates) if cycle.state_name == "FAILED" else None
    if index is None or _settled_since(cycle):
        raise NotFound(f"cycle {cycle_id} has no draft: " + ("it did not fail" if cycle.state_name != "FAILED" else
                       f"{cycle.selector!r} was installed since" if index is not None else "nothing it wrote passed the guardian"))
    state = render(cycle.artifacts.get("draft") or {}).get("state", OPEN)
    if state != OPEN:
        raise Answered(f"the draft of cycle {cycle_id} was {state} already")
    return cycle, candidates[index]


def _settled_since(cycle: Cycle) -> bool:
    """Was the method installed since the cycle began (for a relearn: another version than the one it replaces)?"""
    now = cycle.receiver.slots.get(cycle.selector)
    relearn = cycle.brief.get("relearn")
    return now is not None and not (relearn and getattr(now, "source", None) == relearn.get("source"))


def _settle(root: Any, cycle_id: str, state: str, **more: Any) -> None:
    """The draft's state, in the caller's transaction."""
    root["orchestrator_obj"].slots["cycles"].get(cycle_id).artifacts["draft"] = {"state": state, **more}


def _card(cycle: Cycle) -> dict:
    return {"cycle": cycle.id, "selector": cycle.selector, "receiver": oid_to_hex(cycle.receiver._p_oid),
            "created": cycle.created, "reasons": [str(r)[:300] for r in list(cycle.reasons)[-2:]]}


def drafts(ctx: Context, request: dict) -> dict:
    """The open drafts, newest first, a page at a time."""
    page = page_of(request, default=50)
    registry = ctx.image.connection.root()["orchestrator_obj"].slots["cycles"]
    found = []
    for number in range(registry.count, 0, -1):
        cycle = registry.get("c%d" % number)
        if cycle is None or cycle.state_name != "FAILED":
            continue
        try:
            _open(ctx, cycle.id)
        except (NotFound, Answered):
            continue
        found.append(cycle)
    return {"drafts": [_card(c) for c in found[page.offset:page.offset + page.limit]], **page.fields(len(found))}


def draft(ctx: Context, request: dict) -> Later:
    """The draft of a failed cycle, tried on every call the person answered: the calls it fails, and what was wanted."""
    cycle, chosen = _open(ctx, field(request, "cycle", str))
    if ctx.cognition is None:
        raise Internal("this process runs no jail: a draft cannot be tried here")
    cognition, examples = ctx.cognition, _examples(cycle)
    questions = [render(q) for q in cycle.artifacts.get("questions", [])]
    unsure = next(({"call": q["call"], "choices": q["choices"]} for q in reversed(questions)
                   if q.get("by") in ("nobody", "timeout")), None)
    card = {**_card(cycle), "code": chosen["code"], "author": chosen.get("author", ""), "calls": examples, "unsure": unsure,
            "state": OPEN}
    oid, selector = cycle.receiver._p_oid, cycle.selector

    async def run(call: Any) -> dict:
        _ran, failures = await try_change(cognition.image, cognition.jail, oid, selector, chosen["code"], examples,
                                          cognition.capabilities_for)
        failing = [{"call": {k: f.case[k] for k in ("args", "kwargs", "given") if k in f.case},
                    "wanted": {k: f.case[k] for k in ("result", "raises", "slots") if k in f.case}, "why": f.message}
                   for f in failures if f.own and f.case is not None]
        return {**card, "failing": failing}

    return Later(run)


def draft_edit(ctx: Context, request: dict) -> Later:
    """The person's edit of a draft, installed once it holds every call the person answered (they become its
    tests), and the draft settled in the same transaction."""
    cycle_id = field(request, "cycle", str)
    cycle, _chosen = _open(ctx, cycle_id)
    code = field(request, "source", str)
    verdict = guardian.audit(code, cycle.selector)
    if not verdict.accepted:
        raise CodeRefused(f"the guardian refused {cycle.selector!r}: line {verdict.reasons[0].line}: {verdict.reasons[0].message}",
                          reasons=[r.to_dict() for r in verdict.reasons])
    return change_method(ctx, cycle.receiver, cycle.selector, code, _examples(cycle), [], False, change="edited",
                         provenance={"draft": cycle_id, "cycle": cycle_id},
                         also=lambda root, version: _settle(root, cycle_id, "installed", version=version))


def draft_example(ctx: Context, request: dict) -> Later:
    """An example the person gives at the hand-over: a new cycle from the failed one (its research, cases and
    candidates), the example among the person's, a hard constraint on every candidate."""
    cycle_id = field(request, "cycle", str)
    cycle, _chosen = _open(ctx, cycle_id)
    try:
        example = parse_case({k: request[k] for k in ("args", "kwargs", "given", "result", "raises", "slots") if k in request},
                             "the example")
    except BadCase as exc:
        raise BadRequest(str(exc)) from None
    if "result" not in example and "raises" not in example:
        raise BadRequest("the example says what the call answers: give 'result' or 'raises'")
    if ctx.cognition is None or ctx.cognition.orchestrator is None:
        raise Internal("this process runs no cognitive cycles")
    if not ctx.cognition.jail.available:
        raise NoJail(f"cycle {cycle_id} cannot go on here: {ctx.cognition.jail.reason}")
    brief, examples = render(cycle.brief), [*_examples(cycle), example]
    oid, orchestrator = cycle.receiver._p_oid, ctx.cognition.orchestrator

    async def run(call: Any) -> dict:
        orchestrator.store.write(lambda root: _settle(root, cycle_id, "taken on", example=example))
        return await orchestrator.learn(oid, brief["selector"], brief.get("args", []), brief.get("kwargs", {}),
                                        intent=brief.get("intent"), examples=examples, reply_to=call.reply_to,
                                        on_event=call.on_event, ask=call.asks, inherit=cycle_id)

    return Later(run)


def draft_drop(ctx: Context, request: dict) -> dict:
    """The draft set aside: it is listed no more (the cycle keeps it)."""
    cycle_id = field(request, "cycle", str)
    _open(ctx, cycle_id)
    _settle(ctx.image.connection.root(), cycle_id, "dropped")
    return {"cycle": cycle_id, "state": "dropped"}


COMMANDS = (
    Command("drafts", drafts, writes=False),
    Command("draft", draft, writes=False),
    Command("draft_edit", draft_edit, writes=True),
    Command("draft_example", draft_example, writes=True),
    Command("draft_drop", draft_drop, writes=True),
)

"""The life cycle of a learned method: list, read, edit, remove, revert; every version kept.

::

    {"command": "methods", "target": T, "offset"?: 0, "limit"?: 1000}
        -> {"target": "0x1a", "methods": [{"selector", "holder", "inherited", "origin", "author", "created",
                                           "version", "versions", "cases", "calls"}, ...], "offset", "limit", "total"}
    {"command": "source", "target": T, "selector": S, "version"?: N}
        -> {"selector", "holder", "origin", "author", "created", "version", "versions", "source", "tests"}
    {"command": "history", "target": T, "selector": S, "offset"?: 0, "limit"?: 1000}
        -> {"selector", "object", "current": N or null, "versions": [{"version", "author", "created", "change",
                                                                      "reason", "lines", "sha256", "cases", "current"}],
            "log": [{"event": "installed" | "removed", "version", "author", "time", ...}], "offset", "limit", "total"}
    {"command": "set_method", "target": T, "selector": S, "source": CODE, "cases"?: [...], "reason"?: "...",
     "force"?: false}
        -> {"target", "selector", "version", "cases_run", "forced": [failures made anyway]}   (committed)
    {"command": "remove_method", "target": T, "selector": S, "force"?: false}
        -> {"target", "selector", "removed_version", "cases_run", "forced": [...]}            (committed)
    {"command": "revert", "target": T, "selector": S, "version": N, "force"?: false}
        -> as set_method: version N's source and tests installed as a new version
    {"command": "relearn", "target": T, "selector": S, "reason"?: "...", "args"?: [...], "kwargs"?: {}, "intent"?: "...",
     "examples"?: [...]}
        -> a cycle's answer ({"cycle", "selector", "installed_on", "result"}), its new version "relearned"
    {"command": "correct", "target": T, "selector": S, "args": [...], "kwargs"?: {}, "given"?: {...},
     "result": V | "raises": "E", "reason"?: "..."}
        -> as relearn: the person's answer is one of the examples the new version must hold (and keeps)

Only the target's own methods change (a method it inherits is changed on the
object that holds it); system methods are the kernel's and are ``protected``.
A change is tried first (:func:`bat_os.cognition.methods.tests.try_change`): the new version
against its cases (those given, and those the method keeps), and every method
of the same object that sends it against its stored cases. A case that fails
refuses the change (``tests_failed``, nothing changed) unless ``force`` is
given; cases given with an edit are the user's word and are never forced
past. The new version and its place in the history commit in one transaction.

``relearn`` is a new cycle for the selector (its answer is the cycle's): the
author is shown the version to replace and the ``reason``; the examples are
the request's, else those the old version kept (never its generated cases);
the call is ``args``, else its first stored case's. The new version (change
``relearned``) is installed only if the callers' stored cases hold with it;
the old one stays in the history.

``correct`` is the person saying a method answers wrong: their answer joins the examples the old version kept,
and the method is relearned with them (its call is the corrected one, unless that one raises). Nothing changes
unless the new version holds every one; a cycle that fails leaves a draft (``draft``) to finish by hand.

``calls`` counts the sends that ran the method since this kernel started.
``methods`` and ``history`` come in pages (:mod:`bat_os.kernel.commands.paging`):
``history``'s ``total`` counts versions, and its ``log`` holds the events of
the page's versions.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable

from bat_os.cognition.judge.cases import BadCase, describe_call, key, parse_case, parse_examples
from bat_os.jail import guardian
from bat_os.cognition.methods.capabilities import used_by
from bat_os.cognition.methods.tests import stored_tests, try_change
from bat_os.errors import BadRequest, Busy, CodeRefused, Internal, NotFound, Protected, TestsFailed
from bat_os.image import history, transact
from bat_os.image.codec import render
from bat_os.image.objects import Method, UvmObject, check_slot_name, oid_to_hex
from bat_os.jail.runner import MAX_CASES
from bat_os.kernel.commands.base import Command, Context, Later, field, uvm_target
from bat_os.kernel.commands.objects import brief_examples
from bat_os.kernel.commands.paging import page_of

MAX_REASON_CHARS = 2000


def _label(ctx: Context, obj: UvmObject) -> str:
    return ctx.image.root_name_of(obj) or oid_to_hex(obj._p_oid)


def _selector(request: dict) -> str:
    selector = field(request, "selector", str)
    if not selector.isidentifier():
        raise BadRequest(f"selector must be an identifier, not {selector!r}")
    return check_slot_name(selector)


def _version(obj: UvmObject, selector: str, method: Method) -> tuple[int, int]:
    """(the number of ``method`` in the history of ``selector`` on ``obj``, how many versions there are)."""
    versions = history.versions_of(obj, selector)
    for index, version in enumerate(versions):
        if version is method:
            return index + 1, len(versions)
    return (1, 1) if method.origin == "system" else (len(versions), len(versions))


def methods(ctx: Context, request: dict) -> dict:
    """Every method the target understands, its own first, then those it inherits (the nearest holder's)."""
    obj = uvm_target(ctx, request)
    page = page_of(request)
    seen: set[str] = set()
    listed = []
    for holder in obj.delegation_chain():
        for selector, method in sorted(holder.own_methods().items()):
            if selector in seen:
                continue
            seen.add(selector)
            version, count = _version(holder, selector, method)
            listed.append({
                "selector": selector, "holder": _label(ctx, holder), "inherited": holder is not obj,
                "origin": method.origin, "author": method.author, "created": method.created,
                "version": version, "versions": count, "cases": len(stored_tests(method)),
                "calls": ctx.calls.get((holder._p_oid, selector), 0),
            })
    return {"target": _label(ctx, obj), "methods": page.take(listed), **page.fields(len(listed))}


def source(ctx: Context, request: dict) -> dict:
    """A method's source (the one a send runs, or version ``version`` of the target's own history)."""
    obj = uvm_target(ctx, request)
    selector = _selector(request)
    wanted = field(request, "version", int, default=None)
    if wanted is not None:
        versions = history.versions_of(obj, selector)
        if not 1 <= wanted <= len(versions):
            raise NotFound(f"{selector!r} on {_label(ctx, obj)} has no version {wanted} "
                           f"({len(versions)} version(s))")
        holder, method = obj, versions[wanted - 1]
    else:
        holder, method = _method(ctx, obj, selector)
    version, count = (wanted, len(history.versions_of(obj, selector))) if wanted else _version(holder, selector, method)
    return {"selector": selector, "holder": _label(ctx, holder), "origin": method.origin, "author": method.author,
            "created": method.created, "version": version, "versions": count, "source": method.source,
            "tests": stored_tests(method)}


def _method(ctx: Context, obj: UvmObject, selector: str) -> tuple[UvmObject, Method]:
    try:
        holder, value = obj.lookup(selector)
    except KeyError:
        raise NotFound(f"{_label(ctx, obj)} has no method {selector!r}") from None
    if not isinstance(value, Method):
        raise BadRequest(f"{selector!r} is a data slot of {_label(ctx, holder)}, not a method")
    return holder, value


def history_of(ctx: Context, request: dict) -> dict:
    """Every version of the target's own ``selector`` and what happened to it."""
    obj = uvm_target(ctx, request)
    selector = _selector(request)
    page = page_of(request)
    versions = history.versions_of(obj, selector)
    if not versions:
        holder = _holder(obj, selector)
        where = f"; it is {_label(ctx, holder)}'s" if holder is not None and holder is not obj else ""
        raise NotFound(f"{_label(ctx, obj)} has no history of {selector!r}{where}")
    current = obj.slots.get(selector)
    found = history.history_of(obj, selector)
    log = [dict(entry) for entry in found.log] if found is not None else [
        {"event": "installed", "version": 1, "author": versions[0].author, "change": "learned", "time": versions[0].created}]
    shown = range(len(versions))[page.offset:page.offset + page.limit]
    numbers = {i + 1 for i in shown}
    return {
        "selector": selector, "object": _label(ctx, obj),
        "current": next((i + 1 for i, v in enumerate(versions) if v is current), None),
        "versions": [_version_card(i + 1, versions[i], current, log) for i in shown],
        "log": render([entry for entry in log if entry.get("version") in numbers]),
        **page.fields(len(versions)),
    }


def _version_card(number: int, method: Method, current: Any, log: list[dict]) -> dict:
    change = next((e.get("change") for e in log if e["event"] == "installed" and e["version"] == number), None)
    return {"version": number, "author": method.author, "created": method.created, "change": change,
            "reason": _reason(method), "lines": len(method.source.splitlines()),
            "sha256": hashlib.sha256(method.source.encode()).hexdigest(), "cases": len(stored_tests(method)),
            "current": method is current}


def _reason(method: Method) -> str | None:
    """Why a version exists, as its provenance says: an edit's reason, a revert, or the cycle that wrote it."""
    provenance = method.provenance or {}
    if provenance.get("reason"):
        return str(provenance["reason"])
    if provenance.get("reverted_to"):
        return f"reverted to version {provenance['reverted_to']}"
    if provenance.get("cycle"):
        asked = f", asked by the {provenance['asked_by']}" if provenance.get("asked_by") else ""
        part = f", a part of cycle {provenance['part_of']}'s plan" if provenance.get("part_of") else ""
        helpers = f", with its helpers {', '.join(provenance['helpers'])}" if provenance.get("helpers") else ""
        return f"learned in cycle {provenance['cycle']}{part}{helpers}{asked}"
    return None


def _holder(obj: UvmObject, selector: str) -> UvmObject | None:
    try:
        return obj.lookup(selector)[0]
    except KeyError:
        return None


def _changeable(ctx: Context, obj: UvmObject, selector: str, *, must_exist: bool) -> Method | None:
    """The target's own generated method ``selector`` (None: it has none and need not); coded errors otherwise."""
    try:
        holder, value = obj.lookup(selector)
    except KeyError:
        holder, value = None, None
    if isinstance(value, Method) and value.origin == "system":
        raise Protected(f"{selector!r} is a system method of {_label(ctx, holder)}: the kernel's own, not to be "
                        "changed, removed or shadowed")
    if holder is not None and not isinstance(value, Method):
        raise BadRequest(f"{selector!r} is a data slot of {_label(ctx, holder)}, not a method")
    if holder is not None and holder is not obj and must_exist:
        raise BadRequest(f"{selector!r} is inherited from {_label(ctx, holder)}: change it there")
    own = obj.slots.get(selector)
    if own is None and must_exist:
        raise NotFound(f"{_label(ctx, obj)} has no method {selector!r}")
    return own


def _jail(ctx: Context) -> Any:
    if ctx.cognition is None:
        raise Internal("this process runs no jail: a change cannot be tried here")
    return ctx.cognition


def _cases(request: dict) -> list[dict]:
    raw = request.get("cases")
    if raw is None:
        return []
    try:
        return parse_examples(raw)
    except BadCase as exc:
        raise BadRequest(f"cases: {exc}") from None


def set_method(ctx: Context, request: dict) -> Later:
    """Install ``source`` as the next version of the target's ``selector`` (author "architect")."""
    obj = uvm_target(ctx, request)
    selector = _selector(request)
    code = field(request, "source", str)
    reason = field(request, "reason", str, default="")[:MAX_REASON_CHARS]
    force = field(request, "force", bool, default=False)
    given = _cases(request)
    current = _changeable(ctx, obj, selector, must_exist=False)
    verdict = guardian.audit(code, selector)
    if not verdict.accepted:
        raise CodeRefused(f"the guardian refused {selector!r}: line {verdict.reasons[0].line}: {verdict.reasons[0].message}",
                          reasons=[r.to_dict() for r in verdict.reasons])
    kept = stored_tests(current) if current is not None else []
    return change_method(ctx, obj, selector, code, given, kept, force, change="edited",
                   provenance={"reason": reason} if reason else {})


def revert(ctx: Context, request: dict) -> Later:
    """Install version ``version`` of the target's own ``selector`` again, as its newest version."""
    obj = uvm_target(ctx, request)
    selector = _selector(request)
    wanted = field(request, "version", int)
    force = field(request, "force", bool, default=False)
    _changeable(ctx, obj, selector, must_exist=False)
    versions = history.versions_of(obj, selector)
    if not 1 <= wanted <= len(versions):
        raise NotFound(f"{selector!r} on {_label(ctx, obj)} has no version {wanted} ({len(versions)} version(s))")
    old = versions[wanted - 1]
    return change_method(ctx, obj, selector, old.source, [], stored_tests(old), force, change="reverted",
                   provenance={"reverted_to": wanted}, extra={"reverted_to": wanted})


def remove_method(ctx: Context, request: dict) -> Later:
    """Take the target's own ``selector`` out; its history stays, and ``revert`` brings a version back."""
    obj = uvm_target(ctx, request)
    selector = _selector(request)
    force = field(request, "force", bool, default=False)
    method = _changeable(ctx, obj, selector, must_exist=True)
    cognition = _jail(ctx)
    oid, target, publish = obj._p_oid, _label(ctx, obj), ctx.publish
    expected = method.source

    async def run(call: Any) -> dict:
        ran, failures = await try_change(cognition.image, cognition.jail, oid, selector, None, [], cognition.capabilities_for)
        if failures and not force:
            raise _refusal(selector, "removing", failures)
        removed = await _commit(cognition.image, oid, selector, expected,
                                lambda receiver: receiver.remove_method(selector, "architect"), f"remove_method {selector}")
        publish("method.removed", {"target": target, "selector": selector, "version": removed})
        return {"target": target, "selector": selector, "removed_version": removed, "cases_run": ran,
                "forced": [f.to_dict() for f in failures]}

    return Later(run)


def relearn(ctx: Context, request: dict) -> Later:
    """A new cycle for the target's own ``selector``, shown the version it replaces and why; its answer is the cycle's."""
    obj = uvm_target(ctx, request)
    selector = _selector(request)
    method = _changeable(ctx, obj, selector, must_exist=True)
    reason = field(request, "reason", str, default="").strip()[:MAX_REASON_CHARS]
    kept = stored_tests(method)
    called = kept[0] if kept else None
    args = field(request, "args", list, default=list(called["args"]) if called else None)
    kwargs = field(request, "kwargs", dict, default=dict(called.get("kwargs") or {}) if called else {})
    if args is None:
        raise BadRequest(f"relearn needs 'args' to call {selector!r} with: the method keeps no case to take them from")
    # the user's word: the request's examples, else the old version's (never its generated cases: perhaps the very mistake)
    examples = brief_examples(request, None) or render((method.provenance.get("tests") or {}).get("examples") or [])
    intent = field(request, "intent", str, default="").strip() or _intent_of(ctx, method)
    if ctx.cognition is None or ctx.cognition.orchestrator is None:
        raise Internal("this process runs no cognitive cycles")
    version, _count = _version(obj, selector, method)
    old = {"version": version, "source": method.source, "reason": reason}
    oid, orchestrator = obj._p_oid, ctx.cognition.orchestrator
    wire_args, wire_kwargs = render(args), render(kwargs)

    async def run(call: Any) -> dict:
        outcome = await orchestrator.learn(
            oid, selector, wire_args, wire_kwargs, intent=intent or None, examples=examples[:MAX_CASES] or None,
            relearn=old, reply_to=call.reply_to if call is not None else None,
            on_event=call.on_event if call is not None else None, ask=call is not None and call.asks)
        if outcome.get("joined"):
            raise Busy(f"a cycle for {selector!r} was already running; see its outcome with history")
        return outcome

    return Later(run)


def correct(ctx: Context, request: dict) -> Later:
    """The person's answer to a call of a learned method, where it answers otherwise: relearned with it."""
    obj = uvm_target(ctx, request)
    selector = _selector(request)
    method = _changeable(ctx, obj, selector, must_exist=True)
    try:
        answer = parse_case({k: request[k] for k in ("args", "kwargs", "given", "result", "raises") if k in request},
                            "the correction")
    except BadCase as exc:
        raise BadRequest(str(exc)) from None
    if "result" not in answer and "raises" not in answer:
        raise BadRequest("a correction says what the call should answer: give 'result' or 'raises'")
    examples = [e for e in render((method.provenance.get("tests") or {}).get("examples") or []) if key(e) != key(answer)]
    reason = field(request, "reason", str, default="").strip()[:MAX_REASON_CHARS] or f"it answers {describe_call(answer, selector)} wrong"
    call = {"args": answer["args"], "kwargs": answer["kwargs"]} if "result" in answer and not answer.get("given") else {}
    return relearn(ctx, {"target": request.get("target"), "selector": selector, "reason": reason, **call,
                         "examples": [*examples, answer][-MAX_CASES:]})


def _intent_of(ctx: Context, method: Method) -> str:
    """The sentence the cycle that learned ``method`` was asked with (empty when there is none)."""
    cycle_id = (method.provenance or {}).get("cycle")
    try:
        registry = ctx.image.connection.root()["orchestrator_obj"].slots["cycles"]
        found = registry.get(cycle_id) if cycle_id else None
    except KeyError:
        return ""
    return str(found.brief.get("intent") or "") if found is not None else ""


def change_method(ctx: Context, obj: UvmObject, selector: str, code: str, given: list[dict], kept: list[dict], force: bool,
                  *, change: str, provenance: dict, extra: dict | None = None,
                  also: Callable[[Any, int | None], None] | None = None) -> Later:
    """Try, then install ``code`` as the next version of ``selector`` on ``obj`` (the Later of an edit, a revert, a
    draft's edit); ``also(root, version)``: more written in the install's transaction."""
    cognition = _jail(ctx)
    if len(given) > MAX_CASES:
        raise BadRequest(f"at most {MAX_CASES} cases with a change, not {len(given)}")
    tried = kept[:MAX_CASES - len(given)]
    oid, target, publish = obj._p_oid, _label(ctx, obj), ctx.publish
    before = obj.slots.get(selector)
    expected = before.source if isinstance(before, Method) else None

    async def run(call: Any) -> dict:
        ran, failures = await try_change(cognition.image, cognition.jail, oid, selector, code, given + tried,
                                         cognition.capabilities_for)
        theirs = [f for f in failures if f.own and f.case in given]
        if theirs or (failures and not force):
            raise _refusal(selector, "the change", theirs or failures)
        dropped = [f.case for f in failures if f.own and f.case is not None]
        tests = {"examples": given, "cases": [c for c in tried if c not in dropped],
                 "discarded": [{**c, "reason": f"failed when the {change} method was forced in"} for c in dropped]}
        def install(receiver: UvmObject) -> int | None:
            method = receiver.add_method(selector, code, author="architect", origin="generated", change=change,
                                         provenance={**provenance, "tests": tests, "grants": used_by(code)})
            found = history.history_of(receiver, selector)
            if extra:
                found.log[-1].update(extra)
            if also is not None:
                also(receiver._p_jar.root(), found.number_of(method))
            return found.number_of(method)

        version = await _commit(cognition.image, oid, selector, expected, install, f"{change} {selector}")
        publish("method.installed", {"target": target, "selector": selector, "version": version, "change": change})
        return {"target": target, "selector": selector, "version": version, "cases_run": ran,
                "forced": [f.to_dict() for f in failures]}

    return Later(run)


async def _commit(image: Any, oid: bytes, selector: str, expected: str | None, work: Any, note: str) -> Any:
    """``work(receiver)`` in one committed transaction, if ``selector`` on the receiver is still the source the change
    was tried against (``expected``; None: no method); Busy otherwise, nothing changed."""
    tm, conn = pair = image.acquire()

    async def attempt() -> Any:
        receiver = conn.get(oid)
        now = receiver.slots.get(selector)
        if (now.source if isinstance(now, Method) else None) != expected:
            raise Busy(f"{selector!r} changed while the change was tried; send it again")
        return work(receiver)

    try:
        return await transact.run_async(tm, attempt, note=note)
    finally:
        image.release(pair)


def _refusal(selector: str, what: str, failures: list) -> TestsFailed:
    first = failures[0]
    return TestsFailed(f"{what} to {selector!r} breaks {len(failures)} case(s); first, of {first.selector}: {first.message}",
                       failures=[f.to_dict() for f in failures[:50]], failure_count=len(failures))


COMMANDS = (
    Command("methods", methods, writes=False),
    Command("source", source, writes=False),
    Command("history", history_of, writes=False),
    Command("set_method", set_method, writes=True),
    Command("remove_method", remove_method, writes=True),
    Command("revert", revert, writes=True),
    Command("relearn", relearn, writes=True),
    Command("correct", correct, writes=True),
)

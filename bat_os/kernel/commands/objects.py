"""Commands on the object graph: ``ping``, ``inspect``, ``get_slot``, ``set_slot``, ``send``, ``clone``.

::

    {"command": "ping"}                                   -> {"pong": true, "uptime": 12.5}
    {"command": "inspect", "target": "genesis_obj", "offset"?: 0, "limit"?: 1000}
                                                          -> {"oid", "name", "type", "slots", "parents",
                                                              "methods": {selector: metadata}, "understands",
                                                              "offset", "limit", "total": its data slots}
    {"command": "get_slot", "target": T, "slot": "x", "offset"?: 0, "limit"?: 1000}
                                                          -> {"target", "slot", "value"} (a list or map value:
                                                              a page of it, and "offset", "limit", "total")
    {"command": "set_slot", "target": T, "slot": "x", "value": V}
                                                          -> {"target": "0x1a", "slot": "x"}  (committed)
    {"command": "send", "target": T, "selector": "s", "args": [], "kwargs": {},
     "learn"?: true, "intent"?: "the sentence that asked for it", "keep"?: "slot"}
                                                          -> the method's result (or the slot's value);
                                                             with "keep": {"target", "kept": "slot", "total"}
    {"command": "clone", "target": T, "slots"?: {...}, "name"?: "my_obj"}
                                                          -> {"object": {"$oid": ...}, "name", "parent"}  (committed)

Values may hold ``{"$oid": "0x1a"}`` references to other objects. (The kernel
answers ``ping`` itself, before the queue; this handler serves the rest.)
Long lists come in pages (:mod:`bat_os.kernel.commands.paging`): ``inspect``'s
data slots, and a list or map held in a slot (``get_slot``). A result too large
for one reply is kept in a slot by ``send``'s ``keep`` (committed with the send)
and read from there page by page.
"""

from __future__ import annotations

import traceback
from typing import Any

from persistent.list import PersistentList

from bat_os.cognition.judge.cases import BadCase, parse_examples
from bat_os.errors import BadRequest, DataSlotCalled, DoesNotUnderstand, Internal, MethodError, NotFound, RequestError
from bat_os.image import transact
from bat_os.image.objects import Method, UvmObject, check_slot_name, hex_to_oid, oid_to_hex
from bat_os.image.codec import adopt, from_wire as decode_refs
from bat_os.cognition.methods.handoff import MUST_WAIT
from bat_os.kernel.commands.base import Command, Context, Later, Reroute, field, from_wire, target, uvm_target
from bat_os.kernel.commands.paging import page_of
from bat_os.protocol import safe_repr
from bat_os.translate.briefs import MAX_INTENT_CHARS
from bat_os.translate.examples import fits, sentence_examples


def ping(ctx: Context, request: dict) -> dict:
    """``{"command": "ping"}`` -> ``{"pong": true, "uptime": 12.5}``"""
    return {"pong": True, "uptime": ctx.stats()["uptime"]}


def inspect(ctx: Context, request: dict) -> dict:
    """``{"command": "inspect", "target": "genesis_obj"}`` -> slots, parents, methods with source.

    ``{"command": "inspect", "target": "root"}`` (or ``"0x00"``) -> ``{"oid": "0x00", "name": "root", "type": "root",
    "roots": {name: reference}}``: every named root (the kernel's own ``batos_`` entries aside).
    """
    if request.get("target") in ("root", "0x00"):
        root = ctx.image.connection.root()
        return {"oid": "0x00", "name": "root", "type": "root",
                "roots": {name: root[name] for name in sorted(root.keys()) if not name.startswith("batos_")}}
    obj = target(ctx, request)
    name = ctx.image.root_name_of(obj)
    oid = oid_to_hex(obj._p_oid) if getattr(obj, "_p_oid", None) else None
    if not isinstance(obj, UvmObject):
        summary = obj.summary() if hasattr(obj, "summary") else safe_repr(obj)
        return {"oid": oid, "name": name, "type": type(obj).__name__, "summary": summary}
    page = page_of(request)
    slots = []
    methods = {}
    for slot, value in obj.slots.items():
        if isinstance(value, Method):
            methods[slot] = value.metadata()
        else:
            slots.append((slot, value))
    return {
        "oid": oid,
        "name": name,
        "type": type(obj).__name__,
        "slots": dict(page.take(slots)),
        "parents": list(obj.parents),
        "methods": methods,
        "understands": obj.understood_selectors(),
        **page.fields(len(slots)),
    }


def get_slot(ctx: Context, request: dict) -> dict:
    """A data slot's value (its own or inherited); a list or map value a page of it at a time."""
    obj = uvm_target(ctx, request)
    slot = check_slot_name(field(request, "slot", str))
    page = page_of(request)
    try:
        holder, value = obj.lookup(slot)
    except KeyError:
        raise NotFound(f"{oid_to_hex(obj._p_oid)} has no slot {slot!r}") from None
    if isinstance(value, Method):
        raise BadRequest(f"{slot!r} holds a method; read its source with 'source'")
    answer: dict[str, Any] = {"target": oid_to_hex(obj._p_oid), "slot": slot}
    if _is_map(value):
        items = list(value.items())
        return {**answer, "value": dict(page.take(items)), **page.fields(len(items))}
    if _is_list(value):
        return {**answer, "value": page.take(list(value)), **page.fields(len(value))}
    return {**answer, "value": value}


def _is_map(value: Any) -> bool:
    return isinstance(value, dict) or (hasattr(value, "items") and hasattr(value, "keys") and not isinstance(value, type))


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple, PersistentList))  # a slot's list is a CovenantList, a PersistentList


def set_slot(ctx: Context, request: dict) -> dict:
    """``{"command": "set_slot", "target": T, "slot": "x", "value": V}`` -> committed before "ok".

    ``V`` may contain ``{"$oid": "0x1a"}`` references to other objects.
    """
    obj = uvm_target(ctx, request)
    slot = check_slot_name(field(request, "slot", str))
    if "value" not in request:
        raise BadRequest("'value' is required")
    if isinstance(obj.slots.get(slot), Method):
        raise BadRequest(f"slot {slot!r} holds a method; methods are installed by cognitive cycles, not set_slot")
    obj.set_slot(slot, from_wire(ctx.image, request["value"]))
    return {"target": oid_to_hex(obj._p_oid), "slot": slot}


def send(ctx: Context, request: dict) -> Any:
    """``{"command": "send", "target": T, "selector": "s", "args": [], "kwargs": {}}`` -> the result.

    A selector nothing in the delegation chain understands starts a cognitive
    cycle (the answer comes when it ends), or answers ``not_understood`` when
    the request says ``"learn": false``. Generated methods run in the jail.
    A method that raises answers ``method_error`` and changes nothing.

    ``"intent": "<the sentence that asked for it>"`` (optional) goes to the
    cycle's personas if a cycle starts, and is ignored otherwise: it is never
    an argument of the method.

    ``"examples": [{"args": [...], "kwargs": {...}, "result": ...}, ...]`` (optional; or
    ``"raises"``, ``"type"``, ``"given"``, ``"slots"``: :mod:`bat_os.cognition.judge.cases`) are the
    user's word for a cycle: a candidate that fails one is never installed. Checked
    as plain data before anything happens (``bad_request`` otherwise). Without
    them, examples written in the intent ("e.g. add(2, 3) is 5") are read out of it.
    """
    obj = uvm_target(ctx, request)
    selector = field(request, "selector", str)
    if not selector.isidentifier():
        raise BadRequest(f"selector must be an identifier, not {selector!r}")
    wire_args = field(request, "args", list, default=[])
    wire_kwargs = field(request, "kwargs", dict, default={})
    if not all(isinstance(k, str) and k.isidentifier() for k in wire_kwargs):
        raise BadRequest("'kwargs' keys must be identifiers")
    learn = field(request, "learn", bool, default=True)
    keep = _keep_slot(obj, request)
    intent = field(request, "intent", str, default="").strip()[:MAX_INTENT_CHARS] or None
    examples = brief_examples(request, intent)
    args = from_wire(ctx.image, wire_args)  # checks every reference exists
    kwargs = from_wire(ctx.image, wire_kwargs)
    cognition = ctx.cognition
    try:
        holder, value = obj.lookup(selector)
    except KeyError:
        if not learn or cognition is None:
            raise DoesNotUnderstand(obj, selector, args, kwargs) from None
        oid = obj._p_oid
        return _later(ctx, obj, keep, lambda call: cognition.learn_and_send(
            oid, selector, wire_args, wire_kwargs, call, intent=intent, examples=examples))
    if isinstance(value, Method):
        ctx.calls[(holder._p_oid, selector)] += 1
    if isinstance(value, Method) and value.origin == "generated":
        if cognition is None:
            raise Internal("generated methods need the jail, which this process does not run")
        return _later(ctx, obj, keep, cognition.launch(obj, value, selector, wire_args, wire_kwargs))
    try:
        if not isinstance(value, Method) or cognition is None:
            outcome = obj.perform(selector, value, args, kwargs)
        else:
            outcome = cognition.call_system(obj, selector, value, args, kwargs)
        if outcome is MUST_WAIT:  # it sent a generated method: all again, awaiting the jail
            oid = obj._p_oid
            raise Reroute(_later(ctx, obj, keep, lambda call: cognition.system_send(oid, selector, wire_args, wire_kwargs)))
        outcome = adopt(outcome, ctx.image.connection)  # new objects commit with it
        if keep is None:
            return outcome
        obj.set_slot(keep, outcome)
        return _kept(obj, keep, outcome)
    except (DataSlotCalled, Reroute):
        raise  # the request's mistake, not the method's; or the request going on, awaited
    except RequestError as exc:
        raise MethodError(f"{selector} failed: {exc.message}", error_type=type(exc).__name__) from exc
    except Exception as exc:  # the method's own failure, reported to the caller
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-5)
        raise MethodError(
            f"{selector} raised {type(exc).__name__}: {exc}",
            error_type=type(exc).__name__,
            traceback="".join(tb)[-4000:],
        ) from exc


def _keep_slot(obj: UvmObject, request: dict) -> str | None:
    """The slot ``send``'s ``keep`` names, checked before anything runs (never a method's slot)."""
    keep = field(request, "keep", str, default=None)
    if keep is None:
        return None
    check_slot_name(keep)
    if isinstance(obj.slots.get(keep), Method):
        raise BadRequest(f"'keep': slot {keep!r} holds a method; name a data slot")
    return keep


def _later(ctx: Context, obj: UvmObject, keep: str | None, run: Any) -> Later:
    """Awaited work answering a send's result; with ``keep``, the result committed into that slot of the receiver
    and the reply saying so (the send's own changes are committed already, by the jail or the cycle)."""
    if keep is None:
        return Later(run)
    oid, image = obj._p_oid, ctx.image

    async def keeping(call: Any) -> dict:
        result = await run(call)
        tm, conn = pair = image.acquire()

        def store() -> dict:
            receiver = conn.get(oid)
            value = decode_refs(result, lambda ref: conn.get(hex_to_oid(ref)))
            receiver.set_slot(keep, value)
            return _kept(receiver, keep, value)

        try:
            return transact.run(tm, store, retries=3, note=f"send: the result kept in {keep}")
        finally:
            image.release(pair)

    return Later(keeping)


def _kept(obj: UvmObject, slot: str, value: Any) -> dict:
    total = len(value) if _is_map(value) or _is_list(value) else None
    return {"target": oid_to_hex(obj._p_oid), "kept": slot, "total": total}


def clone(ctx: Context, request: dict) -> dict:
    """``{"command": "clone", "target": T, "slots"?: {...}, "name"?: "my_obj"}`` -> the new object, committed.

    A new object that delegates to the target (Self's clone), holding ``slots`` (values as ``set_slot``'s,
    references included). With ``name`` it becomes a named root (an identifier no root has yet); without, only
    its id names it, and it lasts while a slot holds it (an object nothing holds is reclaimed when the image is
    packed).
    """
    obj = uvm_target(ctx, request)
    slots = field(request, "slots", dict, default={})
    for slot in slots:
        check_slot_name(slot)
    name = field(request, "name", str, default=None)
    root = ctx.image.connection.root()
    if name is not None:
        if not name.isidentifier() or name.startswith("batos_") or name == "root":
            raise BadRequest(f"a root name is an identifier not starting with 'batos_' (and not 'root'), not {name!r}")
        if name in root:
            raise BadRequest(f"there is a root object named {name!r} already")
    made = UvmObject(from_wire(ctx.image, slots), parents=[obj])
    if name is not None:
        root[name] = made
    ctx.image.connection.add(made)
    return {"object": made, "name": name, "parent": obj}


def brief_examples(request: dict, intent: str | None) -> list[dict] | None:
    """The request's ``examples`` checked as plain data, else those the intent's sentence gives; None when neither."""
    raw = request.get("examples")
    if raw is None and not intent:  # the common send: nothing to read
        return None
    if raw is None:
        found = sentence_examples(intent, request.get("selector", ""))
        return fits(found, request.get("args") or [], request.get("kwargs") or {}) or None
    try:
        return parse_examples(raw) or None
    except BadCase as exc:
        raise BadRequest(f"examples: {exc}") from None


COMMANDS = (
    Command("ping", ping, writes=False),
    Command("inspect", inspect, writes=False),
    Command("get_slot", get_slot, writes=False),
    Command("set_slot", set_slot, writes=True),
    Command("send", send, writes=True),
    Command("clone", clone, writes=True),
)


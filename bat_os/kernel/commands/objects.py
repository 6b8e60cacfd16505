"""Commands on the object graph: ``ping``, ``inspect``, ``set_slot``, ``send``, ``clone``.

::

    {"command": "ping"}                                   -> {"pong": true, "uptime": 12.5}
    {"command": "inspect", "target": "genesis_obj"}       -> {"oid", "name", "type", "slots", "parents",
                                                              "methods": {selector: metadata}, "understands"}
    {"command": "set_slot", "target": T, "slot": "x", "value": V}
                                                          -> {"target": "0x1a", "slot": "x"}  (committed)
    {"command": "send", "target": T, "selector": "s", "args": [], "kwargs": {},
     "learn"?: true, "intent"?: "the sentence that asked for it"}
                                                          -> the method's result (or the slot's value)
    {"command": "clone", "target": T, "slots"?: {...}, "name"?: "my_obj"}
                                                          -> {"object": {"$oid": ...}, "name", "parent"}  (committed)

Values may hold ``{"$oid": "0x1a"}`` references to other objects. (The kernel
answers ``ping`` itself, before the queue; this handler serves the rest.)
"""

from __future__ import annotations

import traceback
from typing import Any

from bat_os.cognition.cases import BadCase, parse_examples
from bat_os.errors import BadRequest, DataSlotCalled, DoesNotUnderstand, Internal, MethodError, RequestError
from bat_os.image.objects import Method, UvmObject, check_slot_name, oid_to_hex
from bat_os.image.codec import adopt
from bat_os.cognition.handoff import MUST_WAIT
from bat_os.kernel.commands.base import Command, Context, Later, Reroute, field, from_wire, target, uvm_target
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
    slots = {}
    methods = {}
    for slot, value in obj.slots.items():
        if isinstance(value, Method):
            methods[slot] = value.metadata()
        else:
            slots[slot] = value
    return {
        "oid": oid,
        "name": name,
        "type": type(obj).__name__,
        "slots": slots,
        "parents": list(obj.parents),
        "methods": methods,
        "understands": obj.understood_selectors(),
    }


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
    ``"raises"``, ``"type"``, ``"given"``, ``"slots"``: :mod:`bat_os.cognition.cases`) are the
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
        return Later(lambda call: cognition.learn_and_send(oid, selector, wire_args, wire_kwargs, call, intent=intent, examples=examples))
    if isinstance(value, Method):
        ctx.calls[(holder._p_oid, selector)] += 1
    if isinstance(value, Method) and value.origin == "generated":
        if cognition is None:
            raise Internal("generated methods need the jail, which this process does not run")
        return Later(cognition.launch(obj, value, selector, wire_args, wire_kwargs))
    try:
        if not isinstance(value, Method) or cognition is None:
            return adopt(obj.perform(selector, value, args, kwargs), ctx.image.connection)  # new objects commit with it
        outcome = cognition.call_system(obj, selector, value, args, kwargs)
        if outcome is MUST_WAIT:  # it sent a generated method: all again, awaiting the jail
            oid = obj._p_oid
            raise Reroute(Later(lambda call: cognition.system_send(oid, selector, wire_args, wire_kwargs)))
        return adopt(outcome, ctx.image.connection)
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
    Command("set_slot", set_slot, writes=True),
    Command("send", send, writes=True),
    Command("clone", clone, writes=True),
)


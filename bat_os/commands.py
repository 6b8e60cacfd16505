"""The kernel's commands: one function each, its wire message in the docstring.

Every handler runs on the event-loop thread inside one transaction opened by
the kernel (:meth:`bat_os.image.Image.run`): its changes are committed before
the "ok" reply goes out, and aborted if it raises. Handlers return plain
Python values; the kernel renders them with :func:`render` after the commit.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from .briefs import MAX_INTENT_CHARS
from .errors import BadRequest, DoesNotUnderstand, Internal, MethodError, NotFound, RequestError, UnknownCommand
from .image import Image
from .objects import Method, UvmObject, check_slot_name, hex_to_oid, oid_to_hex
from .protocol import safe_repr, to_wire

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    name: str
    handler: Callable[["Context", dict], Any]
    writes: bool  # False: runs in a read-only view and commits nothing


@dataclass
class Context:
    """What a handler may use: the image, the kernel's live figures, and cognition.

    ``cognition`` (see :mod:`bat_os.cognition`) runs generated methods in the
    jail and cognitive cycles; None in tools that only read the image.
    """

    image: Image
    stats: Callable[[], dict]
    cognition: Any = None
    backups: Any = None  # the backup service (bat_os.chronicle.KernelBackups); None in tools


class Deferred(Exception):
    """Raised by a handler whose answer needs awaiting (the jail, a cycle).

    The kernel aborts the handler's transaction (nothing was changed), runs
    ``run(on_event)`` as a task with its own connection and transactions,
    and answers when it ends; meanwhile it goes on serving other requests.
    """

    def __init__(self, run: Callable[["Call"], Awaitable[Any]]) -> None:
        super().__init__("deferred")
        self.run = run


@dataclass(frozen=True)
class Call:
    """Who waits for a deferred answer: progress events go to ``on_event``;
    ``reply_to`` (identity, request id, events) is kept with a cycle so its
    answer can still reach the client after a kernel restart."""

    on_event: Callable[[dict], None] | None = None
    reply_to: dict | None = None


# --- values across the wire -------------------------------------------------------


def reference(obj: Any) -> dict | None:
    """Render persistent objects as references; None for everything else."""
    if isinstance(obj, Method):
        return {"$method": obj.selector, "origin": obj.origin}
    if isinstance(obj, persistent.Persistent) and not isinstance(obj, (PersistentList, PersistentMapping)):
        if obj._p_oid is None:
            return {"$repr": safe_repr(obj), "unsaved": True}
        ref: dict[str, Any] = {"$oid": oid_to_hex(obj._p_oid), "type": type(obj).__name__}
        if isinstance(obj, UvmObject):
            name = obj.slots.get("name")
            if isinstance(name, str):
                ref["name"] = name
        return ref
    return None


def render(value: Any) -> Any:
    return to_wire(value, reference)


def from_wire(image: Image, value: Any) -> Any:
    """Turn ``{"$oid": "0x1a"}`` references in a client's value into objects."""
    return _from_wire(value, image.resolve, 0)


def _from_wire(value: Any, resolve: Callable[[Any], Any], depth: int) -> Any:
    if depth > 32:
        raise BadRequest("value is nested too deeply")
    if isinstance(value, dict):
        if set(value) == {"$oid"}:
            return resolve(value["$oid"])
        return {k: _from_wire(v, resolve, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_wire(v, resolve, depth + 1) for v in value]
    return value


def _field(request: dict, name: str, kind: type | tuple, default: Any = ..., what: str = "") -> Any:
    if name not in request:
        if default is ...:
            raise BadRequest(f"'{name}' is required")
        return default
    value = request[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
        raise BadRequest(f"'{name}' must be {what or _kind_name(kind)}, not {type(value).__name__}")
    return value


def _tuple(kind: type | tuple) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple) -> str:
    names = {str: "a string", list: "a list", dict: "a map", int: "an integer", bool: "a boolean"}
    return " or ".join(names.get(k, k.__name__) for k in _tuple(kind))


def _target(ctx: Context, request: dict) -> Any:
    return ctx.image.resolve(_field(request, "target", str))


def _uvm_target(ctx: Context, request: dict) -> UvmObject:
    obj = _target(ctx, request)
    if not isinstance(obj, UvmObject):
        raise BadRequest(f"{request['target']!r} is a {type(obj).__name__}, not a UvmObject")
    return obj


# --- the commands -------------------------------------------------------------------


def ping(ctx: Context, request: dict) -> dict:
    """``{"command": "ping"}`` -> ``{"pong": true, "uptime": 12.5}``"""
    return {"pong": True, "uptime": ctx.stats()["uptime"]}


def status(ctx: Context, request: dict) -> dict:
    """``{"command": "status"}`` -> uptime, image, object count, queue depth, cycles, model, version."""
    image = ctx.image
    root = image.connection.root()
    orchestrator = root.get("orchestrator_obj")
    registry = orchestrator.slots.get("cycles") if isinstance(orchestrator, UvmObject) else None
    active = [c.id for c in registry.unfinished()] if registry is not None else []
    catalog = root.get("knowledge_catalog_obj")
    figures = dict(ctx.stats())
    figures.update(
        {
            "image": {
                "path": str(image.path),
                "blob_dir": str(image.blob_dir),
                "size_bytes": image.size_bytes(),
                "schema_version": image.schema_version,
            },
            "objects": image.object_count(),
            "active_cycles": len(active),
            "cycles": {"total": len(registry.by_id) if registry is not None else 0, "unfinished": active},
            "llm": getattr(getattr(ctx.cognition, "backend", None), "name", None),
            "models": _models_status(ctx),
            "jail": dict(ctx.cognition.protections) if ctx.cognition is not None else None,
            "knowledge": _knowledge_status(ctx, catalog),
        }
    )
    return figures


def _knowledge_status(ctx: Context, catalog: Any) -> dict | None:
    """Documents, chunks, pending embeddings; the embedder and the vector index (see bat_os.memory)."""
    if not hasattr(catalog, "summary"):
        return None
    report = dict(catalog.summary())
    memory = getattr(ctx.cognition, "memory", None)
    if memory is not None:
        report.update(embedder=memory.state, index_bytes=memory.index_bytes(), **memory.stats)
    return report


def _models_status(ctx: Context) -> dict | None:
    """Persona models: which persona has which, what is resident, downloads (see bat_os.personas)."""
    models = getattr(ctx.cognition, "models", None)
    if models is None:
        from .personas import persona_table

        return {"personas": persona_table(ctx.image.connection.root()), "manager": None}
    return models.status()


def inspect(ctx: Context, request: dict) -> dict:
    """``{"command": "inspect", "target": "genesis_obj"}`` -> slots, parents, methods with source."""
    obj = _target(ctx, request)
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
    obj = _uvm_target(ctx, request)
    slot = check_slot_name(_field(request, "slot", str))
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
    """
    obj = _uvm_target(ctx, request)
    selector = _field(request, "selector", str)
    if not selector.isidentifier():
        raise BadRequest(f"selector must be an identifier, not {selector!r}")
    wire_args = _field(request, "args", list, default=[])
    wire_kwargs = _field(request, "kwargs", dict, default={})
    if not all(isinstance(k, str) and k.isidentifier() for k in wire_kwargs):
        raise BadRequest("'kwargs' keys must be identifiers")
    learn = _field(request, "learn", bool, default=True)
    intent = _field(request, "intent", str, default="").strip()[:MAX_INTENT_CHARS] or None
    args = from_wire(ctx.image, wire_args)  # checks every reference exists
    kwargs = from_wire(ctx.image, wire_kwargs)
    try:
        _holder, value = obj.lookup(selector)
    except KeyError:
        if not learn or ctx.cognition is None:
            raise DoesNotUnderstand(obj, selector, args, kwargs) from None
        oid = obj._p_oid
        raise Deferred(lambda call: ctx.cognition.learn_and_send(oid, selector, wire_args, wire_kwargs, call, intent=intent)) from None
    if isinstance(value, Method) and value.origin == "generated":
        if ctx.cognition is None:
            raise Internal("generated methods need the jail, which this process does not run")
        raise Deferred(ctx.cognition.launch(obj, value, selector, wire_args, wire_kwargs))
    try:
        return obj.perform(selector, value, args, kwargs)
    except RequestError as exc:
        if isinstance(exc, BadRequest) and "data slot" in exc.message:
            raise
        raise MethodError(f"{selector} failed: {exc.message}", error_type=type(exc).__name__) from exc
    except Exception as exc:  # the method's own failure, reported to the caller
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-5)
        raise MethodError(
            f"{selector} raised {type(exc).__name__}: {exc}",
            error_type=type(exc).__name__,
            traceback="".join(tb)[-4000:],
        ) from exc


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("ping", ping, writes=False),
        Command("status", status, writes=False),
        Command("inspect", inspect, writes=False),
        Command("set_slot", set_slot, writes=True),
        Command("send", send, writes=True),
    )
}


def register(command: Command) -> None:
    """Add a command (modules such as :mod:`bat_os.cognition` add theirs at import)."""
    COMMANDS[command.name] = command


def lookup(name: str) -> Command:
    try:
        return COMMANDS[name]
    except KeyError:
        raise UnknownCommand(f"unknown command {name!r}; known: {', '.join(sorted(COMMANDS))}") from None


__all__ = ["COMMANDS", "Command", "Context", "NotFound", "lookup", "render"]

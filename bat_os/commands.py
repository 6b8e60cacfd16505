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
from typing import Any, Callable

import persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from .errors import BadRequest, DoesNotUnderstand, MethodError, NotFound, RequestError, UnknownCommand
from .image import Image
from .objects import Method, UvmObject, check_slot_name, oid_to_hex
from .protocol import safe_repr, to_wire

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    name: str
    handler: Callable[["Context", dict], Any]
    writes: bool  # False: runs in a read-only view and commits nothing


@dataclass
class Context:
    """What a handler may use: the image and the kernel's live figures."""

    image: Image
    stats: Callable[[], dict]


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


def from_wire(image: Image, value: Any, depth: int = 0) -> Any:
    """Turn ``{"$oid": "0x1a"}`` references in a client's value into objects."""
    if depth > 32:
        raise BadRequest("value is nested too deeply")
    if isinstance(value, dict):
        if set(value) == {"$oid"}:
            return image.resolve(value["$oid"])
        return {k: from_wire(image, v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(image, v, depth + 1) for v in value]
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
    active = list(orchestrator.slots.get("active_cycles", [])) if isinstance(orchestrator, UvmObject) else []
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
            "loaded_model": None,
            "knowledge": catalog.summary() if hasattr(catalog, "summary") else None,
        }
    )
    return figures


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

    A selector nothing in the delegation chain understands answers
    ``not_understood``; a method that raises answers ``method_error`` and
    changes nothing.
    """
    obj = _uvm_target(ctx, request)
    selector = _field(request, "selector", str)
    if not selector.isidentifier():
        raise BadRequest(f"selector must be an identifier, not {selector!r}")
    args = from_wire(ctx.image, _field(request, "args", list, default=[]))
    kwargs = _field(request, "kwargs", dict, default={})
    if not all(isinstance(k, str) and k.isidentifier() for k in kwargs):
        raise BadRequest("'kwargs' keys must be identifiers")
    kwargs = from_wire(ctx.image, kwargs)
    try:
        _holder, value = obj.lookup(selector)
    except KeyError:
        raise DoesNotUnderstand(obj, selector, args, kwargs) from None
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


def lookup(name: str) -> Command:
    try:
        return COMMANDS[name]
    except KeyError:
        raise UnknownCommand(f"unknown command {name!r}; known: {', '.join(sorted(COMMANDS))}") from None


__all__ = ["COMMANDS", "Command", "Context", "NotFound", "lookup", "render"]

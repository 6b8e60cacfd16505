"""The wire contract between the kernel and its clients. Pure: no sockets, no ZODB.

A client (DEALER) sends one frame: a msgpack map. A REQ client's frame comes
after an empty delimiter frame and is answered the same way. Requests::

    {"command": "ping", "id": 7}                 # "id" is optional, echoed back
    {"command": "send", "target": "genesis_obj", "selector": "describe",
     "args": [], "kwargs": {}, "events": true}

Replies (each frame of an answer carries the request's ``id``)::

    {"id": 7, "status": "ok", "result": {...}}
    {"id": 7, "status": "error", "error": {"code": "not_found", "message": "..."}}
    {"id": 7, "status": "event", "event": {...}}  # only when "events": true, before the final reply

Values that msgpack cannot carry are rendered by :func:`to_wire`. Persistent
objects travel as ``{"$oid": "0x1a"}`` references; clients may send the same
form back as an argument or slot value.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import ormsgpack

#: Every code an error reply may carry (docs/protocol.md explains each; bat_os.errors.CODES decides them).
ERROR_CODES = (
    "bad_request",
    "unknown_command",
    "not_found",
    "not_understood",
    "method_error",
    "too_large",
    "busy",
    "timeout",
    "shutting_down",
    "cycle_failed",
    "no_model",
    "model_unavailable",
    "model_too_large",
    "model_error",
    "download_failed",
    "llm_error",
    "bad_encoding",
    "jail_unavailable",
    "self_check_failed",
    "protected",
    "code_refused",
    "tests_failed",
    "answered",
    "backup_failed",
    "pack_refused",
    "pack_failed",
    "internal",
)

#: The default ZeroMQ endpoint; never all interfaces.
DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555"

#: How deep and how wide :func:`to_wire` renders before it summarises. Deep enough for a question's call: a method's
#: argument may itself be 8 levels deep (``cognition.cases.MAX_DEPTH``), inside an event's own 8 (reply, event,
#: question, ``also``, a call shown, its ``args``): at 8 in all, a list of time ranges reached the person as
#: ``{"$repr": "[['08:00', ...]]"}``, and the answer given to that text was wrong.
MAX_DEPTH = 32
MAX_ITEMS = 1000
MAX_REPR = 2000


class DecodeError(ValueError):
    """A frame is not a msgpack map with a string ``command``."""


def encode(message: dict) -> bytes:
    """Pack a reply or request. Keys are strings; values already wire-safe."""
    return ormsgpack.packb(message, option=ormsgpack.OPT_NON_STR_KEYS)


def decode(frame: bytes) -> Any:
    """Unpack one frame; raises :class:`DecodeError` on anything that is not msgpack."""
    try:
        return ormsgpack.unpackb(frame)
    except (ormsgpack.MsgpackDecodeError, ValueError, TypeError) as exc:
        raise DecodeError(f"frame is not valid msgpack: {exc}") from exc


def parse_request(frame: bytes) -> dict:
    """Decode a request frame and check its envelope (map, string command)."""
    message = decode(frame)
    check_request(message)
    return message


def check_request(message: Any) -> None:
    """Raise :class:`DecodeError` unless ``message`` is a map with a string command."""
    if not isinstance(message, dict):
        raise DecodeError(f"a request must be a msgpack map, not {type(message).__name__}")
    command = message.get("command")
    if command is None:
        raise DecodeError("the request has no 'command'")
    if not isinstance(command, str):
        raise DecodeError(f"'command' must be a string, not {type(command).__name__}")


def ok(request_id: Any, result: Any) -> dict:
    return {"id": request_id, "status": "ok", "result": result}


def error(request_id: Any, code: str, message: str, **details: Any) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body.update(details)
    return {"id": request_id, "status": "error", "error": body}


def event(request_id: Any, payload: dict) -> dict:
    return {"id": request_id, "status": "event", "event": payload}


def safe_repr(value: Any, limit: int = MAX_REPR) -> str:
    """``repr`` that never raises and never runs away."""
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not break a reply
        text = f"<{type(value).__name__} (repr failed: {type(exc).__name__})>"
    if len(text) > limit:
        text = text[:limit] + "...<truncated>"
    return text


def to_wire(value: Any, ref=None, depth: int = 0) -> Any:
    """Render ``value`` as something msgpack carries, losing nothing silently.

    ``ref(obj)`` may turn an object into a reference (the kernel passes one
    that renders persistent objects as ``{"$oid": ...}``); it returns None for
    objects it does not handle. Anything else that msgpack cannot carry
    becomes ``{"$repr": "..."}``.
    """
    if value is None or isinstance(value, (bool, int, str, bytes)):
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
            return {"$repr": safe_repr(value)}
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$repr": repr(value)}
    kind = type(value)
    if kind is dict and len(value) <= MAX_ITEMS and depth < MAX_DEPTH:  # fast path for plain results
        return {k if isinstance(k, str) else safe_repr(k, 200): to_wire(v, ref, depth + 1) for k, v in value.items()}
    if kind is list and len(value) <= MAX_ITEMS and depth < MAX_DEPTH:
        return [to_wire(v, ref, depth + 1) for v in value]
    if ref is not None:
        reference = ref(value)
        if reference is not None:
            return reference
    if depth >= MAX_DEPTH:
        return {"$repr": safe_repr(value)}
    if isinstance(value, dict) or _is_mapping(value):
        out = {}
        for i, (k, v) in enumerate(_items(value)):
            if i >= MAX_ITEMS:
                out["$truncated"] = True
                break
            key = k if isinstance(k, str) else safe_repr(k, 200)
            out[key] = to_wire(v, ref, depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)) or _is_sequence(value):
        items = list(_take(value, MAX_ITEMS + 1))
        rendered = [to_wire(v, ref, depth + 1) for v in items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            rendered.append({"$truncated": True})
        return rendered
    return {"$repr": safe_repr(value)}


def _is_mapping(value: Any) -> bool:
    # PersistentMapping and BTrees quack like mappings without subclassing dict.
    return hasattr(value, "items") and hasattr(value, "keys") and not isinstance(value, type)


def _is_sequence(value: Any) -> bool:
    from collections import UserList

    return isinstance(value, UserList)


def _items(value: Any) -> Iterable:
    try:
        return list(_take(value.items(), MAX_ITEMS + 1))
    except Exception:  # noqa: BLE001 - exotic mappings render as repr instead
        return []


def _take(iterable: Iterable, n: int) -> Iterable:
    for i, item in enumerate(iterable):
        if i >= n:
            return
        yield item

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
from typing import Any

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

#: How deep :func:`to_wire` renders before it summarises. Deep enough for a question's call: a method's
#: argument may itself be 8 levels deep (``cognition.judge.cases.MAX_DEPTH``), inside an event's own 8 (reply, event,
#: question, ``also``, a call shown, its ``args``): at 8 in all, a list of time ranges reached the person as
#: ``{"$repr": "[['08:00', ...]]"}``, and the answer given to that text was wrong. Width is never cut: a reply
#: is sent whole up to the frame limit, and over it answered ``too_large`` (:mod:`bat_os.kernel.replies`).
MAX_DEPTH = 32
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


#: How many msgpack items :func:`peek_id` steps over, at most, before it gives up on finding a frame's ``id``.
PEEK_STEPS = 100_000

# msgpack's fixed-size types: first byte -> bytes after it (nil, booleans, floats, ints, fixext)
_FIXED = {0xC0: 0, 0xC2: 0, 0xC3: 0, 0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8,
          0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8, 0xD4: 2, 0xD5: 3, 0xD6: 5, 0xD7: 9, 0xD8: 17}
# sized types: first byte -> (bytes of the length, bytes after the length besides the data: ext's type)
_SIZED = {0xC4: (1, 0), 0xC5: (2, 0), 0xC6: (4, 0), 0xC7: (1, 1), 0xC8: (2, 1), 0xC9: (4, 1),
          0xD9: (1, 0), 0xDA: (2, 0), 0xDB: (4, 0)}
# containers: first byte -> (bytes of the count, items per count: 2 for a map)
_CONTAINERS = {0xDC: (2, 1), 0xDD: (4, 1), 0xDE: (2, 2), 0xDF: (4, 2)}


def peek_id(frame: bytes, steps: int = PEEK_STEPS) -> Any:
    """The ``id`` of a request frame that is not decoded whole (one over the size limit, or broken further on).

    Walks the top-level map's keys and steps over the values that are not ``"id"`` without building them,
    so a frame of any size costs at most ``steps`` items. None where there is no map, no ``id``, the frame
    breaks before it, or the steps run out: such a frame is answered with ``"id": null``.
    """
    try:
        pairs, at = _header(frame, 0)
        if pairs is None or pairs[1] != 2:
            return None
        for _ in range(pairs[0]):
            key_end = _skip(frame, at, steps)
            is_id = key_end - at == 3 and frame[at:key_end] == b"\xa2id"
            value_end = _skip(frame, key_end, steps)
            if is_id:
                return ormsgpack.unpackb(frame[key_end:value_end])
            at = value_end
    except (IndexError, ValueError, ormsgpack.MsgpackDecodeError):
        return None
    return None


def _header(frame: bytes, at: int) -> tuple[tuple[int, int] | None, int]:
    """A container's (count, items per count) and where its items start; None for a value that is no container."""
    first = frame[at]
    if 0x80 <= first <= 0x8F:
        return (first & 0x0F, 2), at + 1
    if 0x90 <= first <= 0x9F:
        return (first & 0x0F, 1), at + 1
    if first in _CONTAINERS:
        width, per = _CONTAINERS[first]
        return (int.from_bytes(frame[at + 1:at + 1 + width], "big"), per), at + 1 + width
    return None, at


def _skip(frame: bytes, at: int, steps: int) -> int:
    """Where the msgpack value at ``at`` ends; ValueError past ``steps`` items or the frame's end."""
    left = 1  # items still to step over, nested containers included
    while left:
        steps -= 1
        if steps < 0 or at >= len(frame):
            raise ValueError("gave up")
        left -= 1
        first = frame[at]
        container, after = _header(frame, at)
        if container is not None:
            left += container[0] * container[1]
            at = after
        elif first <= 0x7F or first >= 0xE0:
            at += 1
        elif 0xA0 <= first <= 0xBF:
            at += 1 + (first & 0x1F)
        elif first in _FIXED:
            at += 1 + _FIXED[first]
        elif first in _SIZED:
            width, extra = _SIZED[first]
            at += 1 + width + extra + int.from_bytes(frame[at + 1:at + 1 + width], "big")
        else:
            raise ValueError("not msgpack")
    if at > len(frame):
        raise ValueError("cut short")
    return at


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
    if kind is dict and depth < MAX_DEPTH:  # fast path for plain results
        return {k if isinstance(k, str) else safe_repr(k, 200): to_wire(v, ref, depth + 1) for k, v in value.items()}
    if kind is list and depth < MAX_DEPTH:
        return [to_wire(v, ref, depth + 1) for v in value]
    if ref is not None:
        reference = ref(value)
        if reference is not None:
            return reference
    if depth >= MAX_DEPTH:
        return {"$repr": safe_repr(value)}
    if isinstance(value, dict) or _is_mapping(value):
        try:
            items = list(value.items())
        except Exception:  # noqa: BLE001 - an exotic mapping renders as its repr instead
            return {"$repr": safe_repr(value)}
        return {k if isinstance(k, str) else safe_repr(k, 200): to_wire(v, ref, depth + 1) for k, v in items}
    if isinstance(value, (list, tuple, set, frozenset)) or _is_sequence(value):
        return [to_wire(v, ref, depth + 1) for v in value]
    return {"$repr": safe_repr(value)}


def _is_mapping(value: Any) -> bool:
    # PersistentMapping and BTrees quack like mappings without subclassing dict.
    return hasattr(value, "items") and hasattr(value, "keys") and not isinstance(value, type)


def _is_sequence(value: Any) -> bool:
    from collections import UserList

    return isinstance(value, UserList)

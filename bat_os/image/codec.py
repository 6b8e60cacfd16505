"""Values between the image and the wire: objects out as references, references in as objects.

Out (:func:`render`): anything a handler or a jailed method returns becomes
plain msgpack data through :func:`bat_os.protocol.to_wire`; persistent objects
become references (:func:`reference`)::

    UvmObject (or any persistent object)  -> {"$oid": "0x1a", "type": "UvmObject", "name": "genesis"}
    a Method                              -> {"$method": "describe", "origin": "system"}
    an object not yet committed           -> {"$repr": "...", "unsaved": true}

In (:func:`from_wire`): ``{"$oid": "0x1a"}`` (exactly that key) in a client's
value becomes the object, through a ``resolve`` function (the image's, or a
jailed run's host, which also knows ``"self"``); anything else is kept.
"""

from __future__ import annotations

from typing import Any, Callable

import persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from bat_os.errors import BadRequest
from bat_os.image.objects import Method, UvmObject, oid_to_hex
from bat_os.protocol import safe_repr, to_wire

#: How deep a client's value may nest.
MAX_DEPTH = 32


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


def adopt(value: Any, connection: Any, depth: int = 0) -> Any:
    """Add to ``connection`` every new object (a UvmObject with no oid yet) ``value`` holds, so that it has an id,
    a reference can name it, and it commits with the transaction (an object no slot and no root name holds is
    reclaimed when the image is packed). Returns ``value``."""
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, UvmObject):
        if value._p_oid is None:
            connection.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            adopt(item, connection, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            adopt(item, connection, depth + 1)
    return value


def render(value: Any) -> Any:
    """``value`` as plain wire data, persistent objects as references."""
    return to_wire(value, reference)


def from_wire(value: Any, resolve: Callable[[Any], Any], depth: int = 0) -> Any:
    """``value`` with every ``{"$oid": ref}`` turned into ``resolve(ref)``; BadRequest past :data:`MAX_DEPTH`."""
    if depth > MAX_DEPTH:
        raise BadRequest("value is nested too deeply")
    if isinstance(value, dict):
        if set(value) == {"$oid"}:
            return resolve(value["$oid"])
        return {k: from_wire(v, resolve, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [v if type(v) in _SCALARS else from_wire(v, resolve, depth + 1) for v in value]
    return value


_SCALARS = frozenset({str, int, float, bool, bytes, type(None)})  # nothing to resolve in them

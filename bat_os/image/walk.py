"""Walking the object graph: every prototype object reachable from the image's root.

Used where a whole image is looked over: ``selfcheck`` (every method still compiles, stored tests still
hold), the heartbeat's retests, the forge's curator. Other persistent classes (the knowledge catalog's
indexes, the model store) hold no methods and are not entered, so the walk's cost follows the number of
prototype objects, not the size of the catalog.
"""

from __future__ import annotations

from typing import Any, Iterator

from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from bat_os.image.objects import Method, UvmObject, oid_to_hex


def prototypes(root: Any) -> Iterator[tuple[UvmObject, str]]:
    """Every UvmObject reachable from the root through slots, parents and plain containers."""
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(root[name], name) for name in sorted(root.keys()) if not name.startswith("batos_")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, UvmObject):
            if id(value) in seen:
                continue
            seen.add(id(value))
            label = where if where in root else _label(value, where)  # a root name, else its object id
            yield value, label
            for name, slot in value.slots.items():
                if not isinstance(slot, Method):
                    stack.append((slot, f"{label}.{name}"))
            for parent in value.parents:
                stack.append((parent, f"{label}^"))
        elif isinstance(value, (PersistentMapping, dict)):
            if id(value) in seen:
                continue
            seen.add(id(value))
            stack.extend((v, f"{where}[{k!r}]") for k, v in value.items())
        elif isinstance(value, (PersistentList, list, tuple)):
            if id(value) in seen:
                continue
            seen.add(id(value))
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(value))


def _label(obj: UvmObject, path: str) -> str:
    oid = getattr(obj, "_p_oid", None)
    return oid_to_hex(oid) if oid is not None else path

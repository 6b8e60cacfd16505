"""``world``: every named root at a glance, and the recent cycles, in one read (the web inspector's world view).

::

    {"command": "world", "offset"?: 0, "limit"?: 1000, "cycles"?: 20}
        -> {"roots": [{"name", "oid", "type", "title", "parents": [names or oids], "slots": N, "system": N,
                       "methods": [{"selector", "origin", "author", "created", "version", "versions", "cases"}]}],
            "offset": 0, "limit": 1000, "total": N,
            "cycles": [{"cycle", "state", "selector", "receiver" (its root name or oid), "origin", "outcome", "created", "updated",
                        "question": the open question (as the person is shown it) | null}]}

``roots`` are sorted by name, ``limit`` of them from ``offset`` (a page, :mod:`bat_os.kernel.commands.paging`:
a larger image is read page by page, ``total`` says how many there are); a root that is not an object of the graph (the catalog, the chronicle) has only
its name, oid and type. ``methods`` are the root's own methods that are not the kernel's (``origin`` other than
``system``); ``system`` counts the others. ``cycles`` are the newest cycles, newest first; ``question`` is the
last question a cycle asked while nobody has answered it yet. One command instead of one ``inspect`` per root:
an image of a thousand objects is drawn from one transaction.
"""

from __future__ import annotations

from typing import Any

from bat_os.cognition.methods.tests import stored_tests
from bat_os.errors import BadRequest
from bat_os.image import history
from bat_os.image.objects import Method, UvmObject, oid_to_hex
from bat_os.kernel.commands.base import Command, Context, field
from bat_os.kernel.commands.cycles import label, newest_cycles
from bat_os.kernel.commands.paging import page_of

MAX_CYCLES = 200


def world(ctx: Context, request: dict) -> dict:
    page = page_of(request)
    newest = _bounded(request, "cycles", 20, MAX_CYCLES)
    root = ctx.image.connection.root()
    names = {id(root[name]): name for name in root.keys()}
    listed = [name for name in sorted(root.keys()) if not name.startswith("batos_")]
    roots = [_card(name, root[name], names) for name in page.take(listed)]
    return {"roots": roots, **page.fields(len(listed)), "cycles": newest_cycles(root, newest, names)}


def _bounded(request: dict, key: str, default: int, most: int) -> int:
    value = field(request, key, int, default=default)
    if not 0 <= value <= most:
        raise BadRequest(f"{key!r} must be between 0 and {most}, not {value}")
    return value


def _card(name: str, obj: Any, names: dict[int, str]) -> dict:
    oid = oid_to_hex(obj._p_oid) if getattr(obj, "_p_oid", None) else None
    card: dict[str, Any] = {"name": name, "oid": oid, "type": type(obj).__name__}
    if not isinstance(obj, UvmObject):
        return card
    methods, system, slots = [], 0, 0
    for selector, value in obj.slots.items():
        if not isinstance(value, Method):
            slots += 1
        elif value.origin == "system":
            system += 1
        else:
            versions = history.versions_of(obj, selector)
            number = next((i + 1 for i, v in enumerate(versions) if v is value), len(versions))
            methods.append({"selector": selector, "origin": value.origin, "author": value.author,
                            "created": value.created, "version": number, "versions": len(versions),
                            "cases": len(stored_tests(value))})
    title = obj.slots.get("name")
    card.update({"title": title if isinstance(title, str) else None,
                 "parents": [label(parent, names) for parent in obj.parents],
                 "slots": slots, "system": system, "methods": sorted(methods, key=lambda m: m["selector"])})
    return card


COMMANDS = (Command("world", world, writes=False),)

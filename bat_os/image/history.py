"""Every version of every learned method, kept in the image: a history per selector.

A :class:`MethodHistory` belongs to one object and one selector. It keeps each
version ever installed there (a :class:`~bat_os.image.objects.Method`, never
changed once stored) and a log of what happened to the selector, in order::

    {"event": "installed", "version": 1, "author": "ALFRED", "change": "learned", "time": ...}
    {"event": "installed", "version": 2, "author": "architect", "change": "edited", "time": ...}
    {"event": "removed", "version": 2, "author": "architect", "time": ...}
    {"event": "installed", "version": 3, "author": "architect", "change": "reverted", "reverted_to": 1, "time": ...}

Versions are numbered from 1 and never renumbered: a revert installs a copy
of an old version as a new one. Only non-system methods have a history
(system methods are the kernel's own and cannot be changed by a client).

An object keeps its histories in ``_histories`` (selector -> MethodHistory),
absent on objects written before histories existed: a generated method found
there with no history counts as version 1 (:func:`versions_of`), and the first
change records it before the new version.
"""

from __future__ import annotations

import time
from typing import Any

import persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping


class MethodHistory(persistent.Persistent):
    """The versions of one selector on one object, and what happened to it."""

    def __init__(self, selector: str) -> None:
        self.selector = selector
        self.versions = PersistentList()  # Method objects, version n at index n - 1
        self.log = PersistentList()  # plain dicts, one per event

    def add(self, method: Any, *, change: str, now: float | None = None, **extra: Any) -> int:
        """Record ``method`` as the next version; its number."""
        self.versions.append(method)
        number = len(self.versions)
        self.log.append(PersistentMapping({"event": "installed", "version": number, "author": method.author,
                                           "change": change, "time": time.time() if now is None else now, **extra}))
        return number

    def removed(self, version: int, author: str, now: float | None = None) -> None:
        self.log.append(PersistentMapping({"event": "removed", "version": version, "author": author,
                                           "time": time.time() if now is None else now}))

    def number_of(self, method: Any) -> int | None:
        """The version number of ``method`` (the very object), or None."""
        for index, version in enumerate(self.versions):
            if version is method:
                return index + 1
        return None


def histories(obj: Any, create: bool = False) -> Any:
    """``obj``'s selector -> MethodHistory mapping (None when it has none and ``create`` is false)."""
    found = getattr(obj, "_histories", None)
    if found is None and create:
        found = PersistentMapping()
        obj._histories = found
    return found


def history_of(obj: Any, selector: str, create: bool = False) -> MethodHistory | None:
    """The history of ``selector`` on ``obj``; with ``create``, made (holding the method now installed, if
    it predates histories) when missing."""
    table = histories(obj, create)
    found = table.get(selector) if table is not None else None
    if found is None and create:
        found = MethodHistory(selector)
        current = obj.slots.get(selector)
        if current is not None and getattr(current, "origin", "system") != "system":
            found.add(current, change=str((current.provenance or {}).get("change") or "learned"), now=current.created)
        table[selector] = found
    return found


def versions_of(obj: Any, selector: str) -> list[Any]:
    """The versions of ``selector`` on ``obj``, oldest first (a method that predates histories: itself alone)."""
    found = history_of(obj, selector)
    if found is not None:
        return list(found.versions)
    current = obj.slots.get(selector)
    if current is not None and getattr(current, "origin", "system") != "system":
        return [current]
    return []

"""Plain data: what crosses the run socket, and :class:`Proxy`, an object of the image seen from a method.

None, bool, int (64-bit), float, str, bytes, list/tuple, dict with str keys, and
references: ``{"$oid": ref}`` on the wire, a :class:`Proxy` in the method.
What a method *answers* may also be a date, a time, a set, a dict's keys, values or items, a range or
an iterator (:func:`result_form`).
"""

from __future__ import annotations

import datetime
from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .run import Run

MAX_NESTING = 100  # levels of lists and dicts a value may have


class ValueTooLarge(ValueError):
    """A value over ``max_result_bytes``."""


class Proxy:
    """An object of the image, seen from inside a method. Every attribute is a slot asked of the kernel."""

    __slots__ = ("_ref", "_run")

    def __init__(self, ref: str, run: "Run") -> None:
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_run", run)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("slots are set with 'obj.name = value'")

    def __guarded_setattr__(self, name: str, value: object) -> None:  # RestrictedPython's write guard calls this
        self._run.write_slot(self, name, value)

    def __guarded_setitem__(self, name: object, value: object) -> None:  # self["scores"] = []: the slot, by name
        if type(name) is not str:
            raise TypeError("an object's slots are set by name: self['name'] = value")
        self._run.write_slot(self, name, value)

    def __contains__(self, name: object) -> bool:  # 'prices' in self: the object as the mapping of its slots
        if type(name) is not str:
            raise TypeError("an object's slots are looked up by name: 'name' in self")
        try:
            self._run.read_slot(self, name)
        except AttributeError:
            return False
        return True

    def __guarded_delattr__(self, name: str) -> None:
        raise AttributeError("a method cannot remove slots")

    def __guarded_delitem__(self, name: object) -> None:  # del self['scores']: say what to write instead
        raise AttributeError(f"a method cannot remove slots: set it instead (self[{name!r}] = [] empties a list)")

    def __repr__(self) -> str:
        return f"<object {self._ref}>"

    def __eq__(self, other: object) -> bool:
        return type(other) is Proxy and other._ref == self._ref

    def __hash__(self) -> int:
        return hash(("Proxy", self._ref))


def result_form(value: object, depth: int = 0) -> object:
    """What a method answered, with the values Python code answers with that are not plain data in the
    form the caller reads: a ``datetime``/``date``/``time`` as its text (``str()``: ``2026-11-22 18:05:37``), a
    set as a list (sorted when its items can be), a ``Counter`` (any dict subclass) as a dict, a namedtuple as
    a list, a dict's ``keys()``/``values()``/``items()``, a ``range`` or an iterator (``map``, ``zip``, a
    generator: run to its end here, in the jail, within the run's limits) as the list of what it holds;
    in lists, tuples and dict values too. Slots stay strict."""
    if depth > MAX_NESTING:
        return value  # to_plain says why
    kind = type(value)
    if kind in _LEAVES:  # most of what a method answers: no ABC isinstance checks for them (~1 us each)
        return value
    if kind is list or kind is tuple:
        return [result_form(item, depth + 1) for item in value]
    if kind is dict:
        return {key: result_form(item, depth + 1) for key, item in value.items()}
    if kind in (datetime.datetime, datetime.date, datetime.time):
        return str(value)
    if kind in (set, frozenset):
        items = [result_form(item, depth + 1) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (list, tuple, KeysView, ValuesView, ItemsView, range, Iterator)):  # a namedtuple too
        return [result_form(item, depth + 1) for item in value]
    if isinstance(value, dict):  # a Counter, an OrderedDict, a defaultdict: the mapping it is
        return {key: result_form(item, depth + 1) for key, item in value.items()}
    return value


_LEAVES = frozenset({str, int, float, bool, bytes, type(None)})


def to_plain(value: object, depth: int = 0) -> object:
    """``value`` as msgpack-ready plain data (proxies become ``{"$oid": ref}``); TypeError otherwise."""
    if depth > MAX_NESTING:
        raise ValueError(f"data nested deeper than {MAX_NESTING} levels")
    kind = type(value)
    if value is None or kind in (bool, float, str, bytes):
        return value
    if kind is int:
        if not -(2**63) <= value < 2**64:
            raise TypeError("not plain data: int out of the 64-bit range")
        return value
    if kind is Proxy:
        return {"$oid": value._ref}
    if kind in (list, tuple):
        return [to_plain(item, depth + 1) for item in value]
    if kind is dict:
        plain = {}
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"not plain data: dict key of type {type(key).__name__}")
            plain[key] = to_plain(item, depth + 1)
        return plain
    if kind is bytearray:
        return bytes(value)
    raise TypeError(f"not plain data: {kind.__name__}")


def from_plain(data: object, run: "Run") -> object:
    """The kernel's plain data with every reference (a map with a str ``"$oid"``) made a proxy.

    References may carry descriptive keys (``type``, ``name``); they go back as ``{"$oid"}`` only.
    """
    if type(data) is list:
        return [from_plain(item, run) for item in data]
    if type(data) is dict:
        if type(data.get("$oid")) is str:
            return run.proxy(data["$oid"])
        return {key: from_plain(item, run) for key, item in data.items()}
    return data

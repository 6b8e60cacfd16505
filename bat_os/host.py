"""The kernel side of a jailed method's ``self``: slot reads, slot writes and sends.

Generated code runs in a jail worker (:mod:`bat_os.jail`); its ``self`` is a
proxy whose every operation comes back here, on the event-loop thread, and
is applied to the objects of one ZODB connection inside the caller's
transaction: so the changes a method makes commit (or abort) with the
request that ran it.

Refs name objects: ``"self"`` is the receiver, ``"0x1a"`` any object by id.
Values cross as plain data; persistent objects travel as ``{"$oid": ...}``.
"""

from __future__ import annotations

from typing import Any

from .commands import _from_wire, render
from .objects import Method, UvmObject, hex_to_oid


class ImageHost:
    """Implements :class:`bat_os.jail.Host` over one connection's objects."""

    def __init__(self, connection: Any, receiver: UvmObject) -> None:
        self.connection = connection
        self.receiver = receiver

    def _object(self, ref: str) -> UvmObject:
        if ref == "self":
            return self.receiver
        try:
            obj = self.connection.get(hex_to_oid(ref))
        except (ValueError, KeyError) as exc:
            raise KeyError(f"no object {ref}") from exc
        if not isinstance(obj, UvmObject):
            raise KeyError(f"{ref} is not a UvmObject")
        return obj

    def get_slot(self, ref: str, name: str) -> tuple[str, Any]:
        obj = self._object(ref)
        if not isinstance(name, str) or name.startswith("_"):
            raise KeyError(name)
        _holder, value = obj.lookup(name)  # KeyError: not understood
        if isinstance(value, Method):
            if value.origin == "generated":
                return "generated", {"source": value.source, "selector": value.selector}
            return "method", {"origin": value.origin}
        return "value", render(value)

    def snapshot(self, ref: str) -> dict[str, Any]:
        """The object's own small data slots, rendered, so the method reads them without a round trip.

        Only scalars and short strings/bytes, and small lists/dicts of those:
        rendering anything bigger (or other objects) on every call would cost
        more than the round trip it saves. A slot left out is simply asked for.
        """
        out: dict[str, Any] = {}
        for name, value in self._object(ref).slots.items():
            if name.startswith("_") or isinstance(value, Method):
                continue
            if _small(value):
                out[name] = render(value)
        return out

    def set_slot(self, ref: str, name: str, value: Any) -> None:
        obj = self._object(ref)
        if isinstance(obj.slots.get(name), Method):
            raise KeyError(f"slot {name!r} holds a method")
        obj.set_slot(name, self._from_wire(value))

    def send(self, ref: str, selector: str, args: list, kwargs: dict) -> Any:
        """Run a *system* method (trusted, in process) and return plain data."""
        obj = self._object(ref)
        _holder, value = obj.lookup(selector)
        if isinstance(value, Method) and value.origin == "generated":
            raise KeyError(f"{selector!r} is generated: it runs in the jail, not here")
        args = [self._from_wire(a) for a in args]
        kwargs = {k: self._from_wire(v) for k, v in kwargs.items()}
        return render(obj.perform(selector, value, args, kwargs))

    def _from_wire(self, value: Any) -> Any:
        """Plain data with ``{"$oid": ref}`` references ("self" included) -> objects."""
        return _from_wire(value, self._object, 0)

    def render_result(self, value: Any) -> Any:
        """A run's result: ``{"$oid": "self"}`` becomes the receiver's real reference."""
        return render(self._from_wire(value))


_SCALARS = (type(None), bool, int, float)


def _small(value: Any, depth: int = 0) -> bool:
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, (str, bytes)):
        return len(value) <= 1024
    if depth == 0 and isinstance(value, (list, tuple)) and len(value) <= 32:
        return all(_small(v, 1) for v in value)
    if depth == 0 and hasattr(value, "items") and not isinstance(value, UvmObject) and len(value) <= 32:
        return all(isinstance(k, str) and _small(v, 1) for k, v in value.items())
    return False

"""The kernel side of a jailed method's ``self`` (:class:`ImageHost`, :class:`LazyHost`), and the receiver as each
test case sees it (:class:`CaseHost`).

A generated method's ``self`` in the jail is a proxy whose every slot read, write and send comes back here, on the
event-loop thread, and is applied to one ZODB connection's objects in the caller's transaction: a method's changes
commit or abort with the request that ran it. ``"self"`` names the receiver, ``"0x1a"`` any object by id; values
cross as plain data, persistent objects as ``{"$oid": ...}``.
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

import persistent
from persistent.list import PersistentList
from transaction.interfaces import TransientError

from bat_os.cognition.methods import handoff
from bat_os.cognition.methods.capabilities import grants_of
from bat_os.jail.guardian import slots_read
from bat_os.image import transact
from bat_os.image.codec import adopt, from_wire, render
from bat_os.image.image import Image
from bat_os.image.objects import Method, UvmObject, hex_to_oid


class _Capable:
    """A run's capabilities (:class:`~bat_os.cognition.methods.capabilities.RunCapabilities`), given as they are, or as a
    function that makes them, called the first time the run needs them: most runs call no capability and load
    no generated method that grants one, so most never make them (a read-only send makes nothing)."""

    _capabilities: Any = None

    @property
    def capabilities(self) -> Any:
        made = self._capabilities
        if made is not None and callable(made) and not hasattr(made, "call"):
            made = self._capabilities = made()
        return made

    def grant(self, grants: list[str]) -> None:
        """What a generated method the run loads grants (nothing to make when it grants nothing)."""
        if grants and self._capabilities is not None:
            self.capabilities.grant(grants)

    def shared(self) -> Any:
        """The run's capabilities for a host one level deeper: the same ones, made (once) when either needs them."""
        return None if self._capabilities is None else (lambda: self.capabilities)


class ImageHost(_Capable):
    """Implements :class:`bat_os.jail.runner.Host` over one connection's objects.

    ``jail``: where a system method this host runs (a generated method's send of one) sends the generated
    methods it calls (:mod:`bat_os.cognition.methods.handoff`); without one, such a send raises RunsInJail.
    ``depth``: how many such hand-offs led to this run. ``capabilities``: the run's
    (:class:`~bat_os.cognition.methods.capabilities.RunCapabilities`, or a function making them when first needed;
    None: none), which every generated method the run loads grants what its provenance grants.
    """

    def __init__(self, connection: Any, receiver: UvmObject, *, jail: Any = None, depth: int = 0,
                 capabilities: Any = None) -> None:
        self.connection = connection
        self.receiver = receiver
        self.jail = jail
        self.depth = depth
        self._capabilities = capabilities

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
                self.grant(grants_of(value))
                return "generated", {"source": value.source, "selector": value.selector}
            return "method", {"origin": value.origin}
        return "value", render(value)

    def snapshot(self, ref: str) -> dict[str, Any]:
        """The object's own small data slots, rendered, so the method reads them without a round trip (anything bigger
        would cost more to render on every call than the round trip it saves; a slot left out is asked for)."""
        return self._snapshot(self._object(ref), None)

    def prepare(self, source: str) -> "Prepared":
        """What a run of ``source`` on the receiver needs from this view: the snapshot, and
        the serials of the persistent objects it was read from (see :class:`LazyHost`)."""
        read: list[persistent.Persistent] = [self.receiver, self.receiver.slots]
        snapshot = self._snapshot(self.receiver, read, slots_read(source))  # only the slots it reads, where known
        return Prepared(source, snapshot, tuple((obj._p_oid, obj._p_serial) for obj in read))

    @staticmethod
    def _snapshot(obj: UvmObject, read: list | None, only: frozenset[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        slots = obj.slots
        items = slots.items() if only is None else [(name, slots[name]) for name in only if name in slots]
        for name, value in items:
            if name.startswith("_") or isinstance(value, Method):
                continue
            if _small(value):
                out[name] = render(value)
                if read is not None and isinstance(value, persistent.Persistent):
                    read.append(value)
        return out

    def set_slot(self, ref: str, name: str, value: Any) -> None:
        obj = self._object(ref)
        if isinstance(obj.slots.get(name), Method):
            raise KeyError(f"slot {name!r} holds a method")
        obj.set_slot(name, self.from_wire(value))

    def send(self, ref: str, selector: str, args: list, kwargs: dict) -> Any:
        """Run a *system* method (trusted, in process) and return plain data, or an awaitable of it when the
        method sends a generated one (:mod:`bat_os.cognition.methods.handoff`)."""
        obj = self._object(ref)
        _holder, value = obj.lookup(selector)
        if isinstance(value, Method) and value.origin == "generated":
            raise KeyError(f"{selector!r} is generated: it runs in the jail, not here")
        args = [self.from_wire(a) for a in args]
        kwargs = {k: self.from_wire(v) for k, v in kwargs.items()}
        if self.jail is None:
            return render(adopt(obj.perform(selector, value, args, kwargs), self.connection))  # new objects get ids
        outcome = handoff.call_system(obj.perform, (selector, value, args, kwargs), runner=self._run_nested,
                                      host_for=self.nested, depth=self.depth)
        if isinstance(outcome, handoff.Suspended):
            return self._landed(outcome)
        return render(adopt(outcome, self.connection))

    async def _landed(self, outcome: "handoff.Suspended") -> Any:
        return render(adopt(await outcome.finish(), self.connection))

    def _run_nested(self, source: str, selector: str, args: list, kwargs: dict, host: Any) -> Any:
        return self.jail.run(source, selector, args, kwargs, host, nested=True)  # the run waiting on it holds a slot

    def nested(self, connection: Any, receiver: UvmObject, depth: int) -> "ImageHost":
        """The host of a generated method a system method sends (one level deeper, the same capabilities)."""
        return ImageHost(connection, receiver, jail=self.jail, depth=depth, capabilities=self.shared())

    def capability(self, name: str, args: list, kwargs: dict) -> Any:
        """A capability call of the run (:mod:`bat_os.cognition.methods.capabilities`): an awaitable of its answer."""
        return capability_call(self.capabilities, name, args, kwargs)

    def from_wire(self, value: Any) -> Any:
        """Plain data with ``{"$oid": ref}`` references ("self" included) -> objects."""
        return from_wire(value, self._object)

    def render_result(self, value: Any) -> Any:
        """A run's result: ``{"$oid": "self"}`` becomes the receiver's real reference."""
        return render(self.from_wire(value))


class Prepared(NamedTuple):
    """A generated method's source and the receiver's snapshot, read in the request's own transaction."""

    source: str
    snapshot: dict[str, Any]
    serials: tuple[tuple[bytes, bytes], ...]  # (oid, serial) of every persistent object the snapshot read


class StaleSnapshot(TransientError):
    """What a run read from its snapshot changed before the run needed the image: run it again."""


class LazyHost(_Capable):
    """An :class:`ImageHost` that takes a connection only when the method needs one: a run that reads no more than
    the snapshot read in the request's transaction (:meth:`ImageHost.prepare`) and writes nothing never opens one.
    The first read, write or send beyond it takes a pooled connection; if what the snapshot was read from changed
    meanwhile, :meth:`finish` raises :class:`StaleSnapshot` (transient: the caller runs it again)."""

    def __init__(self, image: Image, oid: bytes, prepared: Prepared, *, jail: Any = None, capabilities: Any = None) -> None:
        self.image = image
        self.oid = oid
        self.prepared = prepared
        self.jail = jail  # for the ImageHost it opens (see there)
        self._capabilities = capabilities
        self.stale = False
        self._pair: tuple[Any, Any] | None = None
        self._attempt: transact.Attempt | None = None
        self._host: ImageHost | None = None

    def _open(self) -> ImageHost:
        if self._host is None:
            tm, conn = self._pair = self.image.acquire()
            self._attempt = transact.Attempt(tm, note="jailed send").begin()
            for oid, serial in self.prepared.serials:
                obj = conn.get(oid)
                obj._p_activate()
                if obj._p_serial != serial:
                    self.stale = True
            self._host = ImageHost(conn, conn.get(self.oid), jail=self.jail, capabilities=self.shared())
        return self._host

    def snapshot(self, ref: str) -> dict[str, Any]:
        return self.prepared.snapshot if ref == "self" else self._open().snapshot(ref)

    def get_slot(self, ref: str, name: str) -> tuple[str, Any]:
        return self._open().get_slot(ref, name)

    def set_slot(self, ref: str, name: str, value: Any) -> None:
        self._open().set_slot(ref, name, value)

    def send(self, ref: str, selector: str, args: list, kwargs: dict) -> Any:
        return self._open().send(ref, selector, args, kwargs)

    def capability(self, name: str, args: list, kwargs: dict) -> Any:
        return capability_call(self.capabilities, name, args, kwargs)  # no view of the image needed

    def finish(self, value: Any) -> Any:
        """Commit what the run changed (if it opened a transaction) and render its result."""
        if self.stale:
            raise StaleSnapshot("the receiver changed while its method ran")
        if self._attempt is not None:
            self._attempt.end()  # commits what the run changed (a failed commit aborts and raises)
        return self._open().render_result(value) if _has_reference(value, 0) else render(value)

    def close(self) -> None:
        """Give the connection back (aborting whatever was not committed)."""
        if self._pair is not None:
            if self._attempt is not None:
                self._attempt.abort()  # nothing if it ended
            pair, self._pair, self._host, self._attempt = self._pair, None, None, None
            self.image.release(pair)


async def capability_call(capabilities: Any, name: str, args: list, kwargs: dict) -> Any:
    if capabilities is None:
        raise PermissionError(f"{name}: this run has no capabilities")
    return await capabilities.call(name, args, kwargs)


def _has_reference(value: Any, depth: int) -> bool:
    if isinstance(value, dict):
        return "$oid" in value or depth > 32 or any(_has_reference(v, depth + 1) for v in value.values())
    return isinstance(value, list) and (depth > 32 or any(_has_reference(v, depth + 1) for v in value))


_SCALARS = (type(None), bool, int, float)


def _small(value: Any, depth: int = 0) -> bool:
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, (str, bytes)):
        return len(value) <= 1024
    if depth == 0 and isinstance(value, (list, tuple, PersistentList)) and len(value) <= 32:
        return all(_small(v, 1) for v in value)
    if depth == 0 and hasattr(value, "items") and not isinstance(value, UvmObject) and len(value) <= 32:
        return all(isinstance(k, str) and _small(v, 1) for k, v in value.items())
    return False


class CaseHost:
    """The receiver as each test case sees it (around the trial's :class:`ImageHost`): from :meth:`begin_case` on, its
    slots read through the case's overlay (its ``given`` values, then its writes) and its writes land there only, so
    no case sees another's; a candidate calling itself finds itself, as once installed. Writes to other objects go to
    the trial's view of the image, aborted after the run."""

    def __init__(self, inner: Any, cases: list[dict], candidate: tuple[str, str] | None = None) -> None:
        self.inner = inner
        self.candidate = candidate  # (selector, source): the method on trial, not installed yet
        self.cases = cases
        self.overlays: list[dict[str, Any]] = [{} for _ in cases]
        self.current: dict[str, Any] = {}
        self._given = {name for case in cases for name in (case.get("given") or {})}

    def begin_case(self, index: int) -> None:
        if not 0 <= index < len(self.cases):
            raise IndexError(f"no case {index}")
        self.current = copy.deepcopy(self.cases[index].get("given") or {})
        self.overlays[index] = self.current
        capabilities = getattr(self.inner, "capabilities", None)
        if capabilities is not None:
            capabilities.new_case()

    def get_slot(self, ref: str, name: str) -> tuple[str, Any]:
        if ref == "self" and name in self.current:
            return "value", copy.deepcopy(self.current[name])
        if ref == "self" and self.candidate is not None and name == self.candidate[0]:
            # a candidate that calls itself (self.factorial(n - 1)) finds itself, as it will once installed, not a
            # version it is to replace (a relearn)
            return "generated", {"source": self.candidate[1], "selector": name}
        return self.inner.get_slot(ref, name)

    def set_slot(self, ref: str, name: str, value: Any) -> None:
        if ref == "self":
            if not isinstance(name, str) or name.startswith("_"):
                raise KeyError(name)
            self.current[name] = value
            return
        self.inner.set_slot(ref, name, value)

    def send(self, ref: str, selector: str, args: list, kwargs: dict) -> Any:
        return self.inner.send(ref, selector, args, kwargs)

    def capability(self, name: str, args: list, kwargs: dict) -> Any:
        return self.inner.capability(name, args, kwargs)

    def snapshot(self, ref: str) -> dict[str, Any]:
        """The inner host's, less the slots any case gives (those are read through the overlay)."""
        offer = getattr(self.inner, "snapshot", None)
        found = offer(ref) if offer is not None else {}
        return {k: v for k, v in found.items() if k not in self._given}

    def changed(self, index: int) -> dict[str, Any]:
        """The slots case ``index`` changed: its writes whose values differ from what the slot held before (the case's
        ``given``, else the image's): a slot written back unchanged changed nothing a person can see."""
        given = self.cases[index].get("given") or {}
        out: dict[str, Any] = {}
        for name, value in self.overlays[index].items():
            if name in given:
                before: Any = given[name]
            else:
                try:
                    kind, before = self.inner.get_slot("self", name)
                except (KeyError, AttributeError):
                    kind = None
                if kind != "value":
                    out[name] = value
                    continue
            if value != before or type(value) is not type(before):
                out[name] = value
        return out

    def slots_after(self, index: int, names: list[str]) -> dict[str, Any]:
        """The receiver's values of ``names`` after case ``index``: its writes, else the image's."""
        overlay = self.overlays[index]
        out: dict[str, Any] = {}
        for name in names:
            if name in overlay:
                out[name] = overlay[name]
                continue
            try:
                kind, value = self.inner.get_slot("self", name)
            except (KeyError, AttributeError):
                continue
            if kind == "value":
                out[name] = value
        return out

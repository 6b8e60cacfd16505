"""The prototype object model: UvmObject, its slots, delegation, cloning and methods.

Self/Smalltalk style. An object is a bag of named slots plus an ordered list
of parents. Looking a name up searches the object, then its parents depth
first (each object at most once, so cycles in the parent graph are safe).
New objects are made by cloning: a clone starts empty and delegates to the
original. A slot holds either data or a :class:`Method`.

The Persistence Covenant holds without anyone remembering it: every plain
``list``/``dict``/``set`` stored in a slot (at any depth) is converted to a
persistent container on the way in, so mutating it in place is recorded.

Methods are kept as source code with metadata, compiled on first use and
cached in a volatile ``_v_`` attribute: function objects are never pickled.
"""

from __future__ import annotations

import copy
import hashlib
import keyword
import linecache
import time
from contextvars import ContextVar
from typing import Any, Callable, Iterator

import persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from bat_os.errors import BadRequest, DataSlotCalled, DoesNotUnderstand, MethodError, RunsInJail
from bat_os.image import history

ORIGINS = ("system", "generated")

#: Who runs a generated method sent from kernel code (a system method's ``self.square(3)``): set by the cognition
#: layer (:mod:`bat_os.cognition.methods.handoff`) while a system method runs where the jail can be awaited;
#: ``(receiver, selector, method, args, kwargs) -> result``. Unset, such a send raises RunsInJail.
GENERATED_SENDS: ContextVar[Callable[..., Any] | None] = ContextVar("generated_sends", default=None)

#: Attribute names UvmObject keeps for itself; everything else is a slot.
_OWN = frozenset({"slots", "parents"})


class CovenantList(PersistentList):
    """A slot's list: converts what is put into it, so nested edits are never lost."""

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, [covenant(v) for v in value] if isinstance(index, slice) else covenant(value))

    def append(self, value: Any) -> None:
        super().append(covenant(value))

    def insert(self, index: int, value: Any) -> None:
        super().insert(index, covenant(value))

    def extend(self, values: Any) -> None:
        super().extend(covenant(v) for v in values)

    def __iadd__(self, values: Any) -> "CovenantList":
        self.extend(values)
        return self


class CovenantMapping(PersistentMapping):
    """A slot's mapping: converts what is put into it, so nested edits are never lost."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, covenant(value))

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def covenant(value: Any) -> Any:
    """Return ``value`` with mutable containers made persistent, recursively.

    ``list`` -> CovenantList, ``dict`` -> CovenantMapping (persistent
    containers that convert whatever is later put into them), ``set`` ->
    ``frozenset`` (no persistent set keeps arbitrary values; a frozen one
    cannot be mutated in place, so nothing can be lost), ``bytearray`` ->
    ``bytes``. Persistent objects (UvmObjects, BTrees, ...) are kept as
    references. Tuples are rebuilt around their converted items.
    """
    if isinstance(value, persistent.Persistent) and not isinstance(value, (PersistentList, PersistentMapping)):
        return value
    if isinstance(value, (CovenantList, CovenantMapping)):
        return value  # already converted, all the way down
    if isinstance(value, (PersistentList, list)):
        return CovenantList([covenant(v) for v in value])
    if isinstance(value, (PersistentMapping, dict)):
        return CovenantMapping({k: covenant(v) for k, v in value.items()})
    if isinstance(value, tuple):
        return tuple(covenant(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(covenant(v) for v in value)
    if isinstance(value, bytearray):
        return bytes(value)
    return value


def check_slot_name(name: Any) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise BadRequest(f"slot name must be a Python identifier, not {name!r}")
    if name.startswith("_"):
        raise BadRequest(f"slot name {name!r} may not start with '_'")
    if name in _OWN:
        raise BadRequest(f"slot name {name!r} is reserved")
    return name


class Method(persistent.Persistent):
    """A method kept as source in the image.

    ``source`` defines one function named ``selector`` whose first parameter
    is the receiver (``self``). ``origin`` is ``"system"`` (the kernel's own
    behaviour, run in process) or ``"generated"`` (written by a persona).
    """

    def __init__(
        self,
        selector: str,
        source: str,
        *,
        author: str = "system",
        origin: str = "system",
        provenance: dict | None = None,
        created: float | None = None,
    ) -> None:
        if origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
        check_slot_name(selector)
        self.selector = selector
        self.source = source
        self.author = author
        self.origin = origin
        self.created = time.time() if created is None else created
        self.provenance = covenant(dict(provenance or {}))

    @property
    def source_hash(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def compile(self) -> Callable:
        """Compile the source (once per process; cached volatile) and return the function.

        Only for ``system`` methods: generated code never runs in the kernel
        process (:class:`RunsInJail`); the jail compiles and runs it.
        """
        if self.origin != "system":
            raise RunsInJail(self)
        cached = getattr(self, "_v_function", None)
        if cached is not None and getattr(self, "_v_source", None) is self.source:
            return cached
        function = compile_method(self.selector, self.source)
        self._v_function = function
        self._v_source = self.source  # recompiled if the source is ever replaced
        return function

    def metadata(self) -> dict:
        return {
            "selector": self.selector,
            "source": self.source,
            "author": self.author,
            "origin": self.origin,
            "created": self.created,
            "provenance": dict(self.provenance),
        }

    def __repr__(self) -> str:
        return f"<Method {self.selector} ({self.origin})>"


def compile_method(selector: str, source: str) -> Callable:
    """Compile ``source`` and return the function named ``selector`` it defines."""
    filename = f"<method {selector} {hashlib.sha256(source.encode()).hexdigest()[:12]}>"
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as exc:
        raise MethodError(f"method {selector!r} does not compile: {exc}") from exc
    # Keep the source findable so tracebacks show the method's lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": f"bat_os.methods.{selector}"}
    exec(code, namespace)  # noqa: S102 - system and audited methods only; see docs/architecture.md
    function = namespace.get(selector)
    if not callable(function):
        raise MethodError(f"method source does not define a function named {selector!r}")
    return function


class UvmObject(persistent.Persistent):
    """A prototype object: named slots, parents to delegate to, methods as source."""

    _histories = None  # selector -> MethodHistory (bat_os.image.history); objects from before histories lack it

    def __init__(self, slots: dict | None = None, parents: list | None = None) -> None:
        self.slots = PersistentMapping()
        self.parents = PersistentList(parents or [])
        for name, value in (slots or {}).items():
            self.set_slot(name, value)

    # --- slots -----------------------------------------------------------
    def set_slot(self, name: str, value: Any) -> None:
        """Set a slot (data or Method); the change is recorded without anyone asking.

        The slots live in the object's own PersistentMapping, which marks
        itself changed, so the commit writes that one record (the object's
        header record, holding only the references to its slots and parents,
        is not rewritten).
        """
        check_slot_name(name)
        self.slots[name] = value if isinstance(value, Method) else covenant(value)

    def remove_slot(self, name: str) -> None:
        del self.slots[name]

    def add_method(self, selector: str, source: str, *, change: str = "learned", **metadata: Any) -> Method:
        """Install a method in slot ``selector``. One that is not ``system`` also becomes the next version
        of the selector's history (:mod:`bat_os.image.history`), ``change`` saying how it came."""
        method = Method(selector, source, **metadata)
        if method.origin == "system":
            method.compile()  # refuse source that does not compile before storing it
        else:  # generated: check the syntax only; executing even its `def` is the jail's job
            try:
                compile(source, f"<method {selector}>", "exec")
            except SyntaxError as exc:
                raise MethodError(f"method {selector!r} does not compile: {exc}") from exc
            history.history_of(self, selector, create=True).add(method, change=change, now=method.created)
        self.set_slot(selector, method)
        return method

    def remove_method(self, selector: str, author: str) -> int | None:
        """Take the method out of slot ``selector``; its history stays (the removal logged). The version removed."""
        method = self.slots[selector]
        found = history.history_of(self, selector, create=True) if method.origin != "system" else None
        number = found.number_of(method) if found is not None else None
        if found is not None:
            found.removed(number or 0, author)
        del self.slots[selector]
        return number

    def own_methods(self) -> dict[str, Method]:
        return {k: v for k, v in self.slots.items() if isinstance(v, Method)}

    # --- delegation --------------------------------------------------------
    def delegation_chain(self) -> Iterator["UvmObject"]:
        """This object, then its ancestors depth first; each at most once."""
        seen: set[int] = set()
        stack: list[UvmObject] = [self]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            yield obj
            stack.extend(_parents_last_first(obj))

    def lookup(self, name: str) -> tuple["UvmObject", Any]:
        """Find ``name`` in the delegation chain: (holder, value) or KeyError."""
        slots = self.slots
        if name in slots:  # the common case: no walk at all
            return self, slots[name]
        # delegation_chain's order (depth first, each once), written out: every send of an inherited method walks it
        seen = {id(self)}
        stack = _parents_last_first(self)
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            slots = obj.slots
            if name in slots:
                return obj, slots[name]
            stack.extend(_parents_last_first(obj))
        raise KeyError(name)

    def responds_to(self, selector: str) -> bool:
        try:
            self.lookup(selector)
        except KeyError:
            return False
        return True

    def understood_selectors(self) -> list[str]:
        names: set[str] = set()
        for obj in self.delegation_chain():
            names.update(k for k, v in obj.slots.items() if isinstance(v, Method))
        return sorted(names)

    def send(self, selector: str, *args: Any, **kwargs: Any) -> Any:
        """Send a message: run a method found in the chain, or read a data slot.

        Raises DoesNotUnderstand when nothing in the chain has the selector.
        """
        try:
            _holder, value = self.lookup(selector)
        except KeyError:
            raise DoesNotUnderstand(self, selector, args, kwargs) from None
        return self.perform(selector, value, args, kwargs)

    def perform(self, selector: str, value: Any, args: tuple | list = (), kwargs: dict | None = None) -> Any:
        """Run what :meth:`lookup` found for ``selector`` with this object as ``self``."""
        if isinstance(value, Method):
            if value.origin != "system":
                jailed = GENERATED_SENDS.get()
                if jailed is None:
                    raise RunsInJail(value)
                return jailed(self, selector, value, list(args), dict(kwargs or {}))
            return value.compile()(self, *args, **(kwargs or {}))
        if args or kwargs:
            raise DataSlotCalled(f"{selector!r} is a data slot; it takes no arguments")
        return value

    # --- cloning ------------------------------------------------------------
    def clone(self, deep: bool = False) -> "UvmObject":
        """Self-style clone: an empty object delegating to this one.

        ``deep=True`` instead copies this object's own slots (containers
        copied recursively, referenced UvmObjects and Methods shared) and
        parents, giving an independent sibling.
        """
        if not deep:
            return type(self)(parents=[self])
        twin = type(self)(parents=list(self.parents))
        for name, value in self.slots.items():
            twin.slots[name] = value if isinstance(value, Method) else _deep_copy(value)
        return twin

    # --- attribute sugar for methods: self.name reads a slot, self.name = v sets one
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in _OWN:
            raise AttributeError(name)
        try:
            _holder, value = self.lookup(name)
        except KeyError:
            raise AttributeError(name) from None
        if isinstance(value, Method):
            if value.origin != "system":
                return lambda *a, **k: self.perform(name, value, a, k)
            function = value.compile()
            return lambda *a, **k: function(self, *a, **k)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name in _OWN:
            super().__setattr__(name, value)
        else:
            self.set_slot(name, value)

    def describe_short(self) -> str:
        try:
            name = self.slots.get("name")
        except Exception:  # noqa: BLE001 - describing must never fail
            name = None
        oid = oid_to_hex(self._p_oid) if self._p_oid else "new"
        return f"<UvmObject {oid}{' ' + str(name) if isinstance(name, str) else ''}>"

    def __repr__(self) -> str:
        return self.describe_short()


def _deep_copy(value: Any) -> Any:
    if isinstance(value, PersistentList):
        return CovenantList([_deep_copy(v) for v in value])
    if isinstance(value, PersistentMapping):
        return CovenantMapping({k: _deep_copy(v) for k, v in value.items()})
    if isinstance(value, tuple):
        return tuple(_deep_copy(v) for v in value)
    if isinstance(value, persistent.Persistent):
        return value  # other persistent objects are shared references
    return copy.deepcopy(value)


def oid_to_hex(oid: bytes) -> str:
    return "0x%02x" % int.from_bytes(oid, "big")


def hex_to_oid(text: str) -> bytes:
    if not isinstance(text, str) or not text.lower().startswith("0x"):
        raise ValueError(f"not an object id: {text!r}")
    number = int(text, 16)
    if not 0 <= number < 2**64:
        raise ValueError(f"object id out of range: {text!r}")
    return number.to_bytes(8, "big")


def _parents_last_first(obj: Any) -> list:
    """``obj``'s parents that are objects, last first (a stack pops them first to last). A PersistentList is read
    through its own list (``UserList.data``): iterating the UserList itself calls ``__getitem__`` per item, and
    every send of an inherited method walks this."""
    parents = getattr(obj, "parents", ())
    return [p for p in reversed(getattr(parents, "data", parents)) if isinstance(p, UvmObject)]

"""The restricted namespace a method runs in: RestrictedPython's policy and the guards its code calls.

* :class:`Policy`: RestrictedPython's, plus ``self._p_changed = v``.
* ``import``: :func:`guarded_import`, of ``ALLOWED_MODULES`` (:mod:`bat_os.jail.contract`) and
  their submodules only (already loaded by the template), bound as a :class:`ModuleView`:
  public attributes only, without ``HIDDEN`` ones or modules outside the list; a library's
  mutable containers handed out read-only (:func:`read_only`).
* Attribute reads: ``guarded_getattr`` (made by :func:`method_globals`): no ``_`` names (but
  ``super().__init__``), no ``FORBIDDEN_ATTRIBUTES``, no ``.obj`` of an exception, no
  ``string.Formatter``, no ``register`` on abstract base classes. ``getattr`` and ``hasattr`` are it.
* Item reads: ``guarded_getitem``: ``self["prices"]`` reads a slot (an object of the image read as
  the mapping of its slots), anything else as Python does.
* Builtins: every one of Python's that cannot reach outside the jail; ``type`` of one argument
  (:class:`TypeOf`); the others are in :data:`KEPT_OUT`, with the reason.
* Writes: lists, dicts, ``bytearray``, ``Counter``, ``OrderedDict``, ``defaultdict``, ``deque``, proxies
  (``self.name = v`` and ``self["name"] = v`` set a slot) and instances of the method's own classes
  (:func:`_write`).
* :class:`ModuleState`: what a run may change in the allowed modules, put back by a reusable child.
* :func:`compiled`: RestrictedPython's code for a source, cached by its sha256.
"""

from __future__ import annotations

import abc
import ast
import builtins
import collections
import decimal
import functools
import hashlib
import linecache
import operator
import random
import re
import string
import sys
import types
from typing import Callable

from RestrictedPython import PrintCollector, compile_restricted, safe_builtins
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer, copy_locations

from ..contract import ALLOWED_MODULES, expand_augmented
from .plain import Proxy

#: Module attributes that would walk around the attribute guard.
HIDDEN = {"operator": frozenset({"attrgetter", "methodcaller"}), "string": frozenset({"Formatter"})}
FORBIDDEN_ATTRIBUTES = INSPECT_ATTRIBUTES | {"mro", "format", "format_map"}
GENERATED_MODULE = "bat_os_generated"  # the __name__ (and classes' __module__) of a method's namespace
MAX_PRINTED = 64 * 1024  # characters of a run's output kept for the kernel
CODE_CACHE_SIZE = 256  # compiled sources kept by a reusable child
_MISSING = object()  # getattr(x, name) without a default


class Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus ``self._p_changed = v`` (as the guardian allows it) and
    ``super().__init__(...)`` in a class the method defines.

    The ZODB idiom becomes ``_write_(self)._p_changed = v``, which the proxy
    ignores: mutations of values read from slots are written back anyway.
    ``super(...).__init__`` becomes ``_getattr_(super(...), "__init__")``, which
    answers ``__init__`` of super objects only (rebinding ``super`` gains nothing).
    """

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if (node.attr == "__init__" and isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "super"):
            node = self.node_contents_visit(node)
            read = ast.Call(func=ast.Name("_getattr_", ast.Load()), args=[node.value, ast.Constant("__init__")],
                            keywords=[])
            copy_locations(read, node)
            return read
        if not (isinstance(node.ctx, ast.Store) and node.attr == "_p_changed"
                and isinstance(node.value, ast.Name) and node.value.id == "self"):
            return super().visit_Attribute(node)
        node.value = ast.Call(func=ast.Name("_write_", ast.Load()), args=[node.value], keywords=[])
        copy_locations(node.value, node)
        return node


def _allowed_module(module: types.ModuleType) -> bool:
    name = getattr(module, "__name__", "")
    return name.partition(".")[0] in ALLOWED_MODULES and sys.modules.get(name) is module


class ModuleView:
    """What ``import json`` binds: the module's public, allowed attributes only."""

    __slots__ = ("_module",)

    def __init__(self, module: types.ModuleType) -> None:
        object.__setattr__(self, "_module", module)
        if module.__name__ in ModuleState.WATCHED:
            ModuleState.touched.add(module.__name__)

    def __getattr__(self, name: str) -> object:
        return module_attribute(self._module, name)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("modules are read-only in methods")

    def __repr__(self) -> str:
        return f"<module {self._module.__name__}>"


def module_view(module: types.ModuleType) -> ModuleView:
    if not _allowed_module(module):
        raise AttributeError(f"module {getattr(module, '__name__', '?')!r} is not available in methods")
    return ModuleView(module)


def module_attribute(module: types.ModuleType, name: str) -> object:
    top = module.__name__.partition(".")[0]
    if not _allowed_module(module) or name.startswith("_") or name in HIDDEN.get(top, ()):
        raise AttributeError(f"{module.__name__}.{name} is not available in methods")
    try:
        value = getattr(module, name)
    except AttributeError:
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}") from None
    return module_view(value) if isinstance(value, types.ModuleType) else read_only(value)


def read_only(value: object) -> object:
    """A library's mutable container as a read-only view (modules are shared by every run of a reusable child)."""
    kind = type(value)
    if isinstance(value, dict):  # an OrderedDict or a Counter too: a method may fill its own (_write)
        return types.MappingProxyType(value)
    if kind is list or kind is collections.deque:
        return tuple(value)
    if kind is set:
        return frozenset(value)
    if kind is bytearray:
        return bytes(value)
    return value


#: Private modules the allowed ones import from C on first use (``datetime.strptime`` and
#: ``time.strptime`` import ``_strptime``): handed to that C code as they are. A method cannot name
#: them itself: RestrictedPython refuses ``__import__`` and the guardian any name starting with "_".
C_INTERNAL_IMPORTS = frozenset({"_strptime"})


def guarded_import(name: str, globals: object = None, locals: object = None, fromlist: object = (), level: int = 0) -> object:
    if level != 0 or type(name) is not str:
        raise ImportError("relative imports are not allowed in methods")
    if name in C_INTERNAL_IMPORTS and name in sys.modules and not fromlist:
        return sys.modules[name]
    if (name.partition(".")[0] not in ALLOWED_MODULES or name not in sys.modules
            or any(part.startswith("_") for part in name.split("."))):
        raise ImportError(f"import of {name!r} is not allowed; methods may import: {', '.join(sorted(ALLOWED_MODULES))}")
    return ModuleView(sys.modules[name] if fromlist else sys.modules[name.partition(".")[0]])


def _is_formatter(ob: object) -> bool:
    return isinstance(ob, string.Formatter) or (isinstance(ob, type) and issubclass(ob, string.Formatter))


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift, ">>=": operator.irshift,
    "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand, "//=": operator.ifloordiv,
    "@=": operator.imatmul,
}


def _inplacevar(op: str, x: object, y: object) -> object:
    return _INPLACE[op](x, y)


def _apply(function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    return function(*args, **kwargs)


def _getiter(ob: object) -> object:
    return ob


#: The standard library's containers a method fills as it fills a dict or a list (``counts[w] += 1`` on a
#: ``Counter``: refused until the real 0.5B model's candidates showed it); a library's own are read-only.
WRITABLE_CONTAINERS = frozenset({collections.Counter, collections.OrderedDict, collections.defaultdict,
                                 collections.deque, bytearray})


def _write(ob: object) -> object:
    """Writes: lists, dicts, proxies (-> set_slot), the containers above and instances of classes the
    method defined."""
    kind = type(ob)
    if kind in WRITABLE_CONTAINERS or not isinstance(ob, type) and getattr(kind, "__module__", None) == GENERATED_MODULE:
        return ob
    return full_write_guard(ob)


#: Python's builtins a method is not offered, and why; it has every other one (``getattr``, ``hasattr`` and
#: ``type`` guarded, ``print`` as RestrictedPython's; tests/test_jail.py checks that the two cover them all).
#: ``setattr``/``delattr`` are RestrictedPython's guarded ones (they write only what ``obj.name = v`` writes).
KEPT_OUT = {
    "eval": "runs code", "exec": "runs code", "compile": "makes code", "breakpoint": "starts a debugger",
    "open": "opens files", "input": "reads a console", "help": "reads a console", "exit": "ends the process",
    "quit": "ends the process", "copyright": "prints to a console", "credits": "prints to a console",
    "license": "prints to a console",
    "globals": "answers the namespace that holds the guards (_getattr_, _write_) to be replaced",
    "locals": "answers frames' variables", "vars": "answers an object's __dict__, past the attribute guard",
    "dir": "answers a proxy's or a module view's own names (_ref, _module), not its slots or attributes",
    "memoryview": "a method needs nothing of it that bytes and bytearray do not do",
    "aiter": "async code is refused: there is nothing for it to iterate", "anext": "async code is refused",
}
_EXTRA_BUILTINS = {
    "sorted": sorted, "min": min, "max": max, "sum": sum, "enumerate": enumerate, "zip": zip, "range": range,
    "len": len, "abs": abs, "round": round, "any": any, "all": all, "map": map, "filter": filter,
    "reversed": reversed, "list": list, "dict": dict, "set": set, "frozenset": frozenset, "tuple": tuple,
    "str": str, "int": int, "float": float, "bool": bool, "bytes": bytes, "bytearray": bytearray,
    "isinstance": isinstance, "iter": iter, "next": next, "__import__": guarded_import,
    "bin": bin, "ascii": ascii, "object": object, "NotImplemented": NotImplemented,
    # format(value, spec) is what an f-string's {value:{spec}} calls: no field names, nothing walked
    "format": format,
    # descriptors and super for the classes a method defines; what they reach is read through _getattr_
    "staticmethod": staticmethod, "classmethod": classmethod, "property": property, "super": super,
    # every exception and warning class (PermissionError: a capability's refusal)
    **{name: value for name, value in vars(builtins).items()
       if isinstance(value, type) and issubclass(value, BaseException)},
}
_BUILTINS = {name: value for name, value in safe_builtins.items() if not name.startswith("_") or name == "__build_class__"}
_BUILTINS.update(_EXTRA_BUILTINS)
#: The classes ``type(x)`` answers beside the method's own and the public ones of allowed modules.
_NAMED_CLASSES = frozenset(value for value in _BUILTINS.values() if isinstance(value, type)) | {
    type(None), type(...), type(NotImplemented)}


def _nameable(kind: type) -> bool:
    """Whether the method could name ``kind`` anyway: a class it is offered or defined, or a public class of an
    allowed module (as :func:`module_attribute` answers it)."""
    if kind in _NAMED_CLASSES or getattr(kind, "__module__", None) == GENERATED_MODULE:
        return True
    module = sys.modules.get(kind.__module__) if type(kind.__module__) is str else None
    try:
        return module is not None and module_attribute(module, kind.__qualname__) is kind
    except AttributeError:
        return False


class TypeOf:
    """``type`` in a method: ``type(x)`` answers the class of ``x`` where the method could name it anyway
    (:func:`_nameable`: ``type(x) is int``, ``type(d) is collections.Counter``, its own classes).

    Never a metaclass: ``type(int)`` would be ``type`` itself, and ``type(collections.ChainMap)`` ``ABCMeta``,
    whose three-argument call makes a class with any dunder from a dict; never one of the jail's own:
    ``type(self)`` would be :class:`Proxy`, whose constructor takes any object's reference. Three
    arguments are refused. ``isinstance(x, type)`` and ``issubclass(c, type)`` work.
    """

    __slots__ = ()

    def __call__(self, ob: object, *more: object) -> type:
        if more:
            raise TypeError("type() takes one argument in methods, type(x); a class is made with a class statement")
        kind = type(ob)
        if issubclass(kind, type):
            raise TypeError("type() of a class is not available in methods (a metaclass makes classes from dicts)")
        if not _nameable(kind):
            raise TypeError(f"type() of a {kind.__name__!r} object is not available in methods: "
                            "use isinstance(x, ...) or callable(x)")
        return kind

    def __instancecheck__(self, ob: object) -> bool:
        return isinstance(ob, type)

    def __subclasscheck__(self, kind: type) -> bool:
        return issubclass(kind, type)

    def __repr__(self) -> str:
        return "<class 'type'>"


class Printed:
    """All text a run prints, bounded."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        if self.size < MAX_PRINTED:
            self.parts.append(text[: MAX_PRINTED - self.size])
            self.size += len(self.parts[-1])

    def text(self) -> str:
        return "".join(self.parts)


class ModuleState:
    """What a run may change in the allowed modules, put back after every run of a reusable child.

    ``random``'s state (also drawn on by ``statistics``) and ``decimal``'s template
    contexts can only be reached through a :class:`ModuleView` of their module,
    which notes it in ``touched``; only those are put back (reseeding costs
    ~20 us). The current ``decimal`` context (Decimal arithmetic sets its flags)
    is replaced after every run.
    """

    WATCHED = frozenset({"random", "decimal", "statistics"})  # statistics draws from random's generator
    TEMPLATES = ("DefaultContext", "BasicContext", "ExtendedContext")
    touched: set[str] = set()

    def __init__(self) -> None:
        self.contexts = {name: getattr(decimal, name).copy() for name in self.TEMPLATES}
        self.states = {name: repr(context) for name, context in self.contexts.items()}

    def reset(self) -> None:
        touched = ModuleState.touched
        if "random" in touched or "statistics" in touched:
            random.seed()  # from the OS (getrandom), as at fork in a fresh child
        if "decimal" in touched:
            for name in self.TEMPLATES:
                context = getattr(decimal, name)
                if repr(context) != self.states[name]:
                    pristine = self.contexts[name]
                    for attr in ("prec", "rounding", "Emin", "Emax", "capitals", "clamp"):
                        setattr(context, attr, getattr(pristine, attr))
                    context.flags = dict(pristine.flags)
                    context.traps = dict(pristine.traps)
        touched.clear()
        decimal.setcontext(decimal.Context())  # a copy of the (pristine) DefaultContext


class Personas:
    """``personas`` in a method: ``personas.ask(persona, prompt)``, a persona's answer (the kernel's model call)."""

    __slots__ = ("_call",)

    def __init__(self, call: Callable[[str, list, dict], object]) -> None:
        self._call = call

    def ask(self, persona: object, prompt: object) -> object:
        return self._call("personas.ask", [persona, prompt], {})


class Memory:
    """``memory`` in a method: ``memory.search(query, k=5, mode="hybrid")``, the knowledge catalog's hits."""

    __slots__ = ("_call",)

    def __init__(self, call: Callable[[str, list, dict], object]) -> None:
        self._call = call

    def search(self, query: object, k: object = 5, mode: object = "hybrid") -> object:
        return self._call("memory.search", [query, k, mode], {})


def method_globals(read_slot: Callable[[Proxy, str], object], printed: Printed,
                   capability: Callable[[str, list, dict], object] | None = None) -> dict:
    """A new module namespace for a run's methods: the guards RestrictedPython's code calls.

    Attributes of a :class:`~.plain.Proxy` are slots, read with ``read_slot``; ``print`` goes to ``printed``;
    ``personas`` and ``memory`` call ``capability(name, args, kwargs)`` (the kernel answers).
    """

    def guarded_getattr(ob: object, name: str, default: object = _MISSING) -> object:
        """``x.name`` and ``getattr(x, name[, default])``: a refused attribute is a missing one."""
        if default is not _MISSING:
            try:
                return guarded_getattr(ob, name)
            except AttributeError:
                return default
        if type(name) is not str:
            raise TypeError("attribute names must be str")
        if type(ob) is Proxy:
            return read_slot(ob, name)
        if name == "__init__" and type(ob) is super:  # super().__init__(...): a base class's constructor (Policy)
            return ob.__init__
        if name in ("format", "format_map") and type(ob) is str:  # fields checked when called: no attribute or item
            return checked_format(ob, name)
        if (name.startswith("_") or name in FORBIDDEN_ATTRIBUTES and not (name == "format" and _allowed_format(ob))
                or name == "obj" and isinstance(ob, BaseException)):  # AttributeError.obj: an object never handed out
            raise AttributeError(f"attribute {name!r} is not accessible in methods")
        if isinstance(ob, types.ModuleType):
            return module_attribute(ob, name)
        if type(ob) is ModuleView:
            return module_attribute(object.__getattribute__(ob, "_module"), name)
        if _is_formatter(ob):
            raise AttributeError("string.Formatter is not available in methods")
        if name == "register" and isinstance(ob, abc.ABCMeta):  # a method's own ABC would reach its bases' caches
            raise AttributeError("registering with abstract base classes is not available in methods")
        library_class = isinstance(ob, type) and getattr(ob, "__module__", None) != GENERATED_MODULE
        try:
            value = getattr(ob, name)
        except AttributeError as exc:  # a fresh error: the original carries the object (.obj)
            raise AttributeError(str(exc)) from None
        if isinstance(value, types.ModuleType):
            return module_view(value)
        return read_only(value) if library_class else value

    def guarded_hasattr(ob: object, name: str) -> bool:
        """``hasattr`` through the same guard: a slot of an object of the image, or a readable attribute."""
        try:
            guarded_getattr(ob, name)
        except AttributeError:
            return False
        return True

    def guarded_getitem(ob, index):  # noqa: ANN001, ANN202
        """``self["prices"]``: an object of the image read like the mapping of its slots (reads only)."""
        if type(ob) is Proxy:
            if type(index) is not str:
                raise TypeError("an object's slots are read by name: self['name']")
            try:
                return read_slot(ob, index)
            except AttributeError as exc:
                raise KeyError(index) from exc
        return ob[index]

    services = {"personas": Personas(capability), "memory": Memory(capability)} if capability is not None else {}
    return {
        **services,
        "__builtins__": {**_BUILTINS, "getattr": guarded_getattr, "hasattr": guarded_hasattr, "type": TypeOf()},
        "__name__": GENERATED_MODULE,
        "__metaclass__": type,
        "_getattr_": guarded_getattr,
        "_getitem_": guarded_getitem,
        "_getiter_": _getiter,
        "_write_": _write,
        "_inplacevar_": _inplacevar,
        "_apply_": _apply,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_print_": functools.partial(RunPrint, printed),
    }


_CODE: dict[tuple[str, str], types.CodeType] = {}  # (selector, sha256 of the source) -> code, oldest first


def compiled(selector: str, source: str) -> types.CodeType:
    """RestrictedPython's code for ``source``, kept by a reusable child (code objects are immutable)."""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    key = (selector, digest)
    code = _CODE.get(key)
    if code is None:
        filename = f"<method {selector} {digest[:10]}>"
        tree = expand_augmented(ast.parse(source, filename))  # self.n += 1: written out, as the guardian does
        code = compile_restricted(tree, filename, "exec", policy=Policy)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        if len(_CODE) >= CODE_CACHE_SIZE:
            old_selector, old_digest = next(iter(_CODE))
            del _CODE[old_selector, old_digest]
            linecache.cache.pop(f"<method {old_selector} {old_digest[:10]}>", None)
        _CODE[key] = code
    return code


class RunPrint(PrintCollector):
    """``print`` in a method: RestrictedPython's collector (``printed``), and the run's output too."""

    def __init__(self, printed: Printed, _getattr_: object = None) -> None:
        super().__init__(_getattr_)
        self.printed = printed

    def write(self, text: str) -> None:
        if len(self.txt) < 10_000:
            self.txt.append(text)
        self.printed.write(text)


def format_fields_plain(text: str, depth: int = 0) -> bool:
    """Does every replacement field of the format string ``text`` (and of its format specs, nested) name an argument
    plainly (``{}``, ``{0}``, ``{name}``), never an attribute or an item of one (``{0.__class__}``, ``{0[key]}``)?"""
    if depth > 2:  # Python refuses deeper nesting itself
        return False
    for _literal, field, spec, _conversion in string.Formatter().parse(text):
        if field is not None and not re.fullmatch(r"\d*|[A-Za-z_][A-Za-z0-9_]*", field):
            return False
        if spec and not format_fields_plain(spec, depth + 1):
            return False
    return True


def checked_format(text: str, name: str) -> Callable[..., str]:
    """``text.format`` / ``text.format_map`` for a method: the string's fields must name arguments plainly
    (:func:`format_fields_plain`), else ValueError; what they name is formatted as Python does."""
    def formatted(*args: object, **kwargs: object) -> str:
        try:
            plain = format_fields_plain(text)
        except ValueError as exc:  # a malformed format string is not run at all
            raise ValueError(f"a malformed format string: {exc}") from None
        if not plain:
            raise ValueError("a format string's fields may only name arguments ('{}', '{0}', '{name}') in methods, "
                             "not their attributes or items ('{0.x}', '{0[1]}')")
        return getattr(text, name)(*args, **kwargs)
    return formatted


def _allowed_format(ob: object) -> bool:
    """``format`` is refused on strings and formatters (attribute walking); other objects keep theirs."""
    return not (isinstance(ob, str) or (isinstance(ob, type) and issubclass(ob, str)) or _is_formatter(ob))


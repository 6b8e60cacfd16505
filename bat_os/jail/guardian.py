"""The guardian: a static audit of a generated method's source, before the jail runs it.

Pure and fast (``ast`` plus RestrictedPython, no I/O). :func:`audit` collects every
reason, each with its line, into a :class:`Verdict`. The rules, by ``rule`` id:

too-large, syntax   over ``MAX_SOURCE_CHARS`` or unparsable (nothing else is checked)
selector            the selector is a slot name (an identifier not starting with ``_``)
single-function     top level: a docstring, imports, one ``def`` named after the selector
self-first          its first parameter is ``self``; ``self`` is never rebound
async, decorator, class, except-star   none anywhere (``except*`` is a known escape)
import              only ``ALLOWED_IMPORTS``, submodules listed one by one (``import os.path``
                    is judged as ``os.path``); no relative or ``*`` imports
underscore-name, underscore-attribute   nothing starting with ``_`` but ``_`` itself and the
                    assignment ``self._p_changed = ...``
forbidden-name      ``FORBIDDEN_NAMES``, called or merely referenced; ``type`` called with other than one
                    argument (three make a class from a dict of any attributes)
dangerous-attribute ``DANGEROUS_ATTRIBUTES``: frames, code, ``AttributeError.obj``, getters
                    driven by strings, ``add_method`` (installs unaudited code), and where an
                    allowed module reaches one that is not (``fractions.sys``); on ``self``
                    only ``add_method`` (its other attributes are slots)
format-attribute    ``.vformat`` walks attributes (``"{0.__class__}"``); a text's ``.format``/``.format_map``
                    run, their fields checked in the jail when called (arguments only, never ``{0.x}`` or
                    ``{0[k]}``); f-strings and ``%`` walk nothing, their expressions audited as code; nor
                    does the builtin ``format(value, spec)`` (what an f-string's ``{value:{spec}}`` calls)
covenant            what the object model cannot make persistent (below)
restricted          RestrictedPython's own refusals not reported above (``self.n += 1``,
                    ``match``, ``x: int = 1``, ``nonlocal``, assigning ``print``...)

``getattr(x, "name")`` and ``hasattr(x, "name")`` with a literal name are judged as ``x.name``; the jail
guards every attribute read, the computed ones too.

The Persistence Covenant. ``self.name = value`` goes through ``set_slot``, which
makes lists/dicts/sets persistent at any depth, and a slot's containers convert
whatever is later put into them (``self.log.append({...})`` included), so slot
writes and in-place changes are tracked. Refused, because the model cannot keep
it: storing a lambda, generator, nested function or class, or module (the commit
would fail); rebinding ``self.slots``/``self.parents``, writing into
``self.slots``, or using a slot container's ``.data`` (all bypass the tracking);
``global`` (module globals are not in the image).

Not the guardian's business: endless loops, recursion, big allocations (the jail
bounds them). :func:`compile_restricted_method` audits again and returns
RestrictedPython's code object; the jail supplies the guards it calls.
"""

from __future__ import annotations

import ast
import functools
import re
import warnings
from dataclasses import dataclass
from types import CodeType

from RestrictedPython import compile_restricted_exec
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer, copy_locations

from bat_os.jail import contract
from bat_os.jail.contract import ALLOWED_IMPORTS  # the jail's allowed modules and harmless submodules

MAX_SOURCE_CHARS = 20_000

_CODE = frozenset({"eval", "exec", "compile", "__import__", "breakpoint", "__build_class__"})
_IO = frozenset({"open", "input", "help", "exit", "quit", "copyright", "credits", "license", "reload", "execfile"})
# getattr, hasattr, type (of one argument), super, object and the descriptors the jail offers, guarded
_INTROSPECTION = frozenset({"setattr", "delattr", "globals", "locals", "vars", "dir", "__builtins__", "memoryview"})
FORBIDDEN_NAMES: frozenset[str] = _CODE | _IO | _INTROSPECTION

DANGEROUS_ATTRIBUTES: frozenset[str] = INSPECT_ATTRIBUTES | {
    "f_code", "f_trace", "f_generator", "gi_yieldfrom", "cr_await", "cr_code", "cr_origin", "ag_await",
    "ag_code", "func_globals", "func_code", "func_closure", "im_func", "im_self", "cell_contents", "mro",
    "obj",  # AttributeError.obj: the object a failed lookup was made on, possibly one never handed out
    "attrgetter", "methodcaller", "Formatter", "get_field", "get_value",  # attributes named by strings
    "add_method",  # UvmObject.add_method installs code the guardian never saw (refused on self too)
    # modules outside ALLOWED_IMPORTS reachable from inside it (tests/test_guardian.py recomputes these)
    "sys", "builtins", "bltns", "codecs", "copyreg", "enum", "numbers", "tool",
}
FORMAT_ATTRIBUTES = frozenset({"vformat"})  # a text's own .format is checked in the jail (its fields name arguments only)
OWN_ATTRIBUTES = frozenset({"slots", "parents"})  # mirrors bat_os.image.objects._OWN

_STORED_ARG = {"append": 0, "add": 0, "insert": 1, "setdefault": 1}  # method -> position of the stored value
_SPREAD = frozenset({"extend", "update"})  # the items/values of their argument are stored
_MUTATORS = frozenset(_STORED_ARG) | _SPREAD | {"pop", "popitem", "remove", "discard", "clear", "sort", "reverse"}
_DANGER = ("it reaches frames, code, modules outside the allowed imports or attributes named by strings, "
           "or installs unaudited code")


@dataclass(frozen=True)
class Reason:
    rule: str  # short stable id, e.g. "import"
    line: int | None  # 1-based line in the source; None when it concerns the whole source
    message: str  # what is wrong and why

    def to_dict(self) -> dict:
        return {"rule": self.rule, "line": self.line, "message": self.message}


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict:
        return {"accepted": self.accepted, "reasons": [r.to_dict() for r in self.reasons]}


def audit(source: str, selector: str) -> Verdict:
    """Audit ``source``, the method ``selector``: accepted, or every reason why not."""
    return _audit(source, selector, "<method>")[0]


def compile_restricted_method(source: str, selector: str, filename: str | None = None) -> CodeType:
    """Audit, then return RestrictedPython's code object ("exec" mode) defining the method.

    Raises ValueError listing the reasons when the guardian or RestrictedPython refuses.
    """
    verdict, code = _audit(source, selector, filename or f"<method {selector}>")
    if code is None:
        raise ValueError("; ".join(f"line {r.line}: {r.message}" for r in verdict.reasons))
    return code


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus ``self._p_changed = v`` as ``_write_(self)._p_changed = v``."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not _is_p_changed_store(node):
            return super().visit_Attribute(node)
        node.value = ast.Call(func=ast.Name("_write_", ast.Load()), args=[node.value], keywords=[])
        copy_locations(node.value, node)
        return node


#: What a method may call of the capabilities it is given (bat_os.cognition.methods.capabilities): name -> its one method.
SERVICES = {"personas": "ask", "memory": "search"}


def _audit(source: str, selector: str, filename: str) -> tuple[Verdict, CodeType | None]:
    if not isinstance(source, str):
        raise TypeError(f"source must be str, not {type(source).__name__}")
    if len(source) > MAX_SOURCE_CHARS:
        message = f"the source is {len(source)} characters; the limit is {MAX_SOURCE_CHARS}"
        return Verdict(False, (Reason("too-large", None, message),)), None
    with warnings.catch_warnings():  # '\w' in a plain string, `x is 1`: the code's style, not our concern
        warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError) as exc:  # ValueError: null bytes
            message = f"the source does not parse: {getattr(exc, 'msg', exc)}"
            return Verdict(False, (Reason("syntax", getattr(exc, "lineno", None), message),)), None
        checker = _Checker(selector)
        checker.check(tree)
        tree = contract.expand_augmented(tree)  # self.n += 1: written out, as the jail's worker does
        try:
            result = compile_restricted_exec(tree, filename, policy=_Policy)  # transforms the tree in place
        except SyntaxError as exc:  # parses, but does not compile: 'return' outside function, a misplaced break
            return Verdict(False, (Reason("syntax", exc.lineno, f"the source does not compile: {exc.msg}"),)), None
    for error in result.errors:
        checker.restricted(error)
    reasons = tuple(reason for *_key, reason in sorted(checker.found))
    return Verdict(not reasons, reasons), (None if reasons else result.code)


@functools.lru_cache(maxsize=1024)
def slots_read(source: str) -> frozenset[str] | None:
    """The slots a method reads of its receiver: the names of ``self.<name>`` and ``self["name"]``. None when any
    slot may be read: ``self`` used any other way (passed on, ``self[key]`` with a computed key...), or a method
    sent to it (``self.other()``: that method reads what it reads), or a source that does not parse.

    The jail sends a generated method's run only these of the receiver's small slots (its snapshot,
    :meth:`bat_os.cognition.methods.host.ImageHost.prepare`), not all of them; one it reads that was left out is asked
    for, so a wrong answer here costs a round trip, never a wrong result."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    names: set[str] = set()
    uses = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "self"]
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for use in uses:
        parent = parents.get(id(use))
        if isinstance(parent, ast.Attribute) and parent.value is use:
            if isinstance(parents.get(id(parent)), ast.Call) and parents[id(parent)].func is parent:
                return None  # self.other(...): a method send
            names.add(parent.attr)
        elif (isinstance(parent, ast.Subscript) and parent.value is use and isinstance(parent.slice, ast.Constant)
              and isinstance(parent.slice.value, str)):
            names.add(parent.slice.value)
        else:
            return None
    return frozenset(names)


def _is_self(node: ast.AST, attr: str | None = None) -> bool:
    """``self`` itself, or with ``attr``: ``self.<attr>``."""
    if attr is not None:
        return isinstance(node, ast.Attribute) and node.attr == attr and _is_self(node.value)
    return isinstance(node, ast.Name) and node.id == "self"


def _is_p_changed_store(node: ast.Attribute) -> bool:
    return _is_self(node, "_p_changed") and isinstance(node.ctx, ast.Store)


def _slot_root(node: ast.AST) -> str | None:
    """For ``self.a``, ``self.a[k]``, ``self.a.b[k]``...: the slot name ``a``; else None."""
    slot = None
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        slot = node.attr if isinstance(node, ast.Attribute) else slot
        node = node.value
    return slot if _is_self(node) else None


_RESTRICTED = re.compile(r"Line (\d+|None): (.*)", re.S)
_TOKEN = re.compile(r'"([^"]+)"|(\w+) statements are not allowed|(Exec|Eval) calls')


class _Checker(ast.NodeVisitor):
    def __init__(self, selector: str) -> None:
        self.selector = selector
        self.found: list[tuple[int, int, int, Reason]] = []  # (line, column, order, reason)
        self.covered: set[tuple[int | None, str]] = set()  # (line, token) reported, to skip RestrictedPython's twin
        self.top_classes: set[int] = set()
        self.unpicklable: set[str] = set()  # names of nested defs and classes, imported modules
        self.bound: set[str] = set()  # names the source binds (check)

    def add(self, rule: str, node: ast.AST | None, message: str, token: str = "") -> None:
        line = getattr(node, "lineno", None)
        self.found.append((line or 0, getattr(node, "col_offset", 0), len(self.found), Reason(rule, line, message)))
        self.covered.add((line, token.lower()))

    def restricted(self, error: str) -> None:
        """Turn one RestrictedPython error into a reason, unless it repeats one of ours."""
        match = _RESTRICTED.match(error)
        line = int(match.group(1)) if match and match.group(1) != "None" else None
        text = match.group(2) if match else error
        token = _TOKEN.match(text)
        if token and (line, next(g for g in token.groups() if g).lower()) in self.covered:
            return
        if text.startswith("Augmented assignment"):
            text += " Write it out: x.a = x.a + 1, x[k] = x[k] + 1."
        reason = Reason("restricted", line, f"RestrictedPython refuses this: {text}")
        self.found.append((line or 0, 0, len(self.found), reason))

    # --- top level ---------------------------------------------------------------
    def check(self, tree: ast.Module) -> None:
        # names the method binds itself (a parameter named memory, a local personas): not the capabilities
        self.bound = {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)} | {
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)} | {
            n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        sel, method = self.selector, None
        if not isinstance(sel, str) or not sel.isidentifier() or sel.startswith("_"):
            self.add("selector", None, f"selector {sel!r} is not a slot name (an identifier not starting with '_')")
        for i, stmt in enumerate(tree.body):
            if (i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)) or isinstance(stmt, (ast.Import, ast.ImportFrom)):
                continue  # the docstring, imports
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == sel and method is None:
                method = stmt
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                what = "a second function" if stmt.name == sel else f"function {stmt.name!r} (not the selector)"
                self.add("single-function", stmt, f"{what} is not allowed: define exactly one function, {sel!r}")
            elif isinstance(stmt, ast.ClassDef):
                self.top_classes.add(id(stmt))
                self.add("single-function", stmt, f"class {stmt.name!r} is not allowed: define only {sel!r}")
            else:
                self.add("single-function", stmt, f"a top-level {type(stmt).__name__} statement is not allowed: "
                         f"only a docstring, imports and the function {sel!r}")
        if method is None:
            self.add("single-function", None, f"the source defines no function named {sel!r}")
        elif [a.arg for a in method.args.posonlyargs + method.args.args][:1] != ["self"]:
            self.add("self-first", method, f"the first parameter of {sel!r} must be 'self' (the receiver)")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node is not method:
                self.unpicklable.add(node.name)
            elif isinstance(node, ast.Import):
                self.unpicklable.update((a.asname or a.name).split(".")[0] for a in node.names)
        self.visit(tree)

    # --- imports -----------------------------------------------------------------
    def _module(self, node: ast.AST, module: str) -> None:
        if module not in ALLOWED_IMPORTS:
            allowed = ", ".join(sorted(ALLOWED_IMPORTS))
            self.add("import", node, f"import of {module!r} is not allowed (allowed: {allowed})", module)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(node, alias.name)
            self._name(node, alias.asname or "")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.add("import", node, "relative imports are not allowed: a method belongs to no package")
        else:
            self._module(node, node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.add("import", node, "'*' imports are not allowed: import the names you use", "*")
            elif alias.name in DANGEROUS_ATTRIBUTES:
                self.add("dangerous-attribute", node, f"importing {alias.name!r} is not allowed: {_DANGER}", alias.name)
            self._name(node, alias.name)
            self._name(node, alias.asname or "")

    # --- names and attributes ----------------------------------------------------
    def _name(self, node: ast.AST, name: str) -> None:
        if name.startswith("_") and name != "_":
            self.add("underscore-name", node, f"the name {name!r} is not allowed: names starting with '_' "
                     "reach interpreter internals", name)

    def visit_Name(self, node: ast.Name) -> None:
        self._name(node, node.id)
        if node.id in FORBIDDEN_NAMES:
            why = ("runs or builds code" if node.id in _CODE else "does I/O or talks to a console"
                   if node.id in _IO else "is introspection that reaches interpreter internals")
            self.add("forbidden-name", node, f"{node.id!r} is not allowed: it {why}", node.id)
        if node.id == "self" and not isinstance(node.ctx, ast.Load):
            self.add("self-first", node, "'self' may not be rebound or deleted: it is the receiver")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._attribute(node)
        self.generic_visit(node)

    def _attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr.startswith("_") and attr != "_" and not _is_p_changed_store(node):
            hint = " (only the assignment 'self._p_changed = ...' is)" if attr == "_p_changed" else ""
            self.add("underscore-attribute", node, f"the attribute {attr!r} is not allowed: attributes starting "
                     f"with '_' reach interpreter internals{hint}", attr)
        elif attr in DANGEROUS_ATTRIBUTES and (attr == "add_method" or not _is_self(node.value)):
            self.add("dangerous-attribute", node, f"the attribute {attr!r} is not allowed: {_DANGER}", attr)
        elif attr in FORMAT_ATTRIBUTES:
            self.add("format-attribute", node, f"'.{attr}' is not allowed: format strings can walk attributes "
                     "('{0.__class__}'); use an f-string or %-formatting", attr)
        if attr in OWN_ATTRIBUTES and _is_self(node.value) and not isinstance(node.ctx, ast.Load):
            self.add("covenant", node, f"'self.{attr}' may not be rebound: that bypasses the object model; "
                     "set slots with self.name = value")
        elif attr == "data" and _slot_root(node.value) is not None:
            self.add("covenant", node, "'.data' of a slot's container is the plain list/dict inside the persistent "
                     "one: changes made through it are not recorded; use the container itself")
        if (isinstance(node.value, ast.Name) and node.value.id in SERVICES and node.value.id not in self.bound
                and attr != SERVICES[node.value.id]):
            self.add("capability", node, f"'{node.value.id}.{attr}' does not exist: a method may call "
                     + " and ".join(f"{k}.{v}(...)" for k, v in SERVICES.items()), attr)

    def _builtin_call(self, node: ast.Call) -> None:
        """``getattr(x, "name")``/``hasattr(x, "name")``: judged as ``x.name``; ``type`` of one argument only."""
        func = node.func
        if not isinstance(func, ast.Name) or func.id in self.bound:
            return
        args = node.args
        if (func.id in ("getattr", "hasattr") and len(args) >= 2 and isinstance(args[1], ast.Constant)
                and isinstance(args[1].value, str)):
            self._attribute(ast.copy_location(ast.Attribute(value=args[0], attr=args[1].value, ctx=ast.Load()), node))
        elif func.id == "type" and (len(args) != 1 or node.keywords or isinstance(args[0], ast.Starred)):
            self.add("forbidden-name", node, "type() takes one argument in methods, type(x): with three it makes "
                     "a class from a dict of any attributes")

    # --- definitions and statements -----------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if isinstance(node, ast.AsyncFunctionDef):
            self.add("async", node, "async code is not allowed: methods are plain functions", "AsyncFunctionDef")
        if not isinstance(node, ast.Lambda):
            self._name(node, node.name)
            if node.decorator_list:
                self.add("decorator", node.decorator_list[0], f"decorators are not allowed (on {node.name!r})")
        a = node.args
        for arg in a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]:
            self._name(node, arg.arg)  # on the def's line, as RestrictedPython reports it
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_Await(self, node: ast.AST) -> None:
        self.add("async", node, "async code is not allowed: methods are plain functions", type(node).__name__)
        self.generic_visit(node)

    visit_AsyncFor = visit_AsyncWith = visit_Await

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if id(node) not in self.top_classes:
            self.add("class", node, f"class {node.name!r} is not allowed: its instances cannot be stored in "
                     "the image, and class bodies define dunder methods")
        self.generic_visit(node)

    def visit_TryStar(self, node: ast.AST) -> None:
        self.add("except-star", node, "'except*' is not allowed: exception groups are a known escape", "TryStar")
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self._name(node, node.name or "")
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.add("covenant", node, "'global' is not allowed: module globals are not part of the image, so what "
                 "is kept there is lost; keep state in a slot (self.name = value)")

    # --- the Persistence Covenant ----------------------------------------------------
    def _stored(self, node: ast.AST, value: ast.AST, slot: str, how: str) -> None:
        if isinstance(value, (ast.Lambda, ast.GeneratorExp)) or getattr(value, "id", None) in self.unpicklable:
            self.add("covenant", node, f"{how} stores a function, generator, class or module in slot {slot!r}: "
                     "it cannot be saved in the image, so the commit would fail")
        for element in value.values if isinstance(value, ast.Dict) else getattr(value, "elts", ()):
            self._stored(node, element, slot, how)

    def _inserted(self, node: ast.AST, value: ast.AST, slot: str, how: str) -> None:
        # New containers put into a slot's container are converted by the object
        # model (CovenantList/CovenantMapping); only what cannot be saved is refused.
        self._stored(node, value, slot, how)

    def visit_Assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            slot = _slot_root(target)
            if slot is None or node.value is None:
                continue
            if _is_self(getattr(target, "value", None), "slots") and isinstance(target, ast.Subscript):
                self.add("covenant", node, "writing into self.slots bypasses the object model; use self.name = value")
            elif isinstance(target, ast.Subscript):
                self._inserted(node, node.value, slot, "this item assignment")
            else:
                self._stored(node, node.value, slot, "this assignment")
        self.generic_visit(node)

    visit_AnnAssign = visit_Assign

    def visit_Delete(self, node: ast.Delete) -> None:
        if any(isinstance(t, ast.Subscript) and _is_self(t.value, "slots") for t in node.targets):
            self.add("covenant", node, "deleting from self.slots bypasses the object model")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self._builtin_call(node)
        func = node.func
        slot = _slot_root(func.value) if isinstance(func, ast.Attribute) and func.attr in _MUTATORS else None
        how = f"'.{getattr(func, 'attr', '')}()'"
        if slot is not None and _is_self(func.value, "slots"):
            self.add("covenant", node, f"self.slots.{func.attr}() bypasses the object model; use self.name = value")
        elif slot is not None and func.attr in _STORED_ARG and len(node.args) > _STORED_ARG[func.attr]:
            self._inserted(node, node.args[_STORED_ARG[func.attr]], slot, how)
        elif slot is not None and func.attr in _SPREAD:
            for arg in node.args:
                for item in arg.values if isinstance(arg, ast.Dict) else getattr(arg, "elts", ()):
                    self._inserted(node, item, slot, how)
            for keyword in node.keywords:
                self._inserted(node, keyword.value, slot, how)
        self.generic_visit(node)

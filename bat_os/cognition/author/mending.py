"""A reply made into a candidate method: one parse, one rebuild of the tree, one unparse (:func:`candidate_code`).

1. **the method**: ``def selector`` at the top level, or lifted out of the class the model wrote it in (:func:`lift`);
2. **what it names, and nothing else**: the imports, functions, classes and constants the method names (and what
   those name), in the order written; what a model writes to show it off (calls, prints, tests, unused imports) goes;
3. **the slips small models make, mended on the tree**, each kept because recorded replies needed it
   (docs/journal/checks.md counts them): type hints out where the code imports ``typing``, a module it uses and
   never imports imported in its body, ``self`` added to a plain function, ``datetime`` read as the class or the
   module it meant (with a ``timedelta`` it never imported);
4. the tree written out with :func:`ast.unparse` when anything was taken out or mended, else the code as written:
   the candidate's source, in which the guardian's and the jail's line numbers count.

Code that does not parse, or has no such method, is returned as written: the guardian says what is wrong with it.
Each repair says what it did, and the cycle records it.
"""

from __future__ import annotations

import ast
import builtins
import copy
import symtable

from bat_os.cognition.author.replies import extract_code

_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def candidate_code(reply: str, selector: str, arity: int, modules: frozenset[str] | set[str],
                   slots: set[str] | frozenset[str] = frozenset()) -> tuple[str, dict]:
    """The method's code out of a reply, rebuilt (see the module docstring). ``arity``: the call's argument count;
    ``modules``: the modules a method may import; ``slots``: the receiver's slot names. -> (code, what was done,
    as the cycle records it: ``top_level_dropped`` (top-level statements dropped, the class the method was
    lifted from aside), ``typing_dropped``, ``imports_added`` (the modules), ``self_added``, ``slips_mended``
    (``"class X: lifted"`` first where it was, then the module slips mended))."""
    code = extract_code(reply)
    info: dict = {"top_level_dropped": 0, "typing_dropped": False, "imports_added": [], "self_added": False,
                  "slips_mended": []}
    try:
        tree = ast.parse(code)
    except _PARSE_ERRORS:
        return code, info
    found = _method(tree, selector, arity, slots)
    if found is None:
        return code, info
    method, origin, lifted = found
    written = ast.dump(tree)  # before any repair: they change the tree's own nodes
    try:
        module, dropped = _what_it_names(tree, method, origin)
        untyped = drop_typing(module)
        reads, defined = _globals(module, method)
        imported = add_missing_imports(method, reads, defined, modules)
        self_added = add_missing_self(method, arity)
        mended = fix_module_slips(module, method, reads, defined)
        done = {"top_level_dropped": dropped, "typing_dropped": untyped, "imports_added": imported,
                "self_added": self_added, "slips_mended": [*([lifted] if lifted else []), *mended]}
        if ast.dump(module) == written:  # nothing taken out or mended: the text as the model wrote it, comments and all
            return code, done
        source = ast.unparse(ast.fix_missing_locations(module))
    except (RecursionError, MemoryError):  # too deep to write out: as written, for the guardian to refuse
        return code, info
    return source, done


# --- the method, and what it names ---------------------------------------------------------------
def _method(tree: ast.Module, selector: str, arity: int,
            slots: set[str] | frozenset[str]) -> tuple[ast.FunctionDef, ast.ClassDef | None, str] | None:
    """``def selector`` -> (the function, the class it was lifted from or None, what lifting did or "");
    the first at the top level, else the one lifted out of the first class that has it; None where there is none
    (or only an ``async def`` of that name: the guardian refuses it)."""
    method = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == selector), None)
    if method is not None:
        return method, None, ""
    lifted = lift(tree, selector, arity, slots)
    return None if lifted is None else (lifted[1], lifted[0], lifted[2])


def _what_it_names(tree: ast.Module, method: ast.FunctionDef, origin: ast.ClassDef | None) -> tuple[ast.Module, int]:
    """The module of ``method`` (in the place of ``origin``, the class it came out of) and of the top-level
    definitions, constants and imported names it names, directly or through what it keeps; -> (module, how many
    top-level statements were dropped, ``origin`` aside). A star import stays (the guardian refuses it)."""
    body = [method if node is origin else node for node in tree.body]
    named = _names(method)
    kept: list[ast.stmt] = [method]
    grown = True
    while grown:  # a kept helper's names keep what it names
        grown = False
        for node in body:
            if not any(node is k for k in kept) and _binds(node) & named:
                kept.append(node)
                named |= _names(node)
                grown = True
    module: list[ast.stmt] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            aliases = [a for a in node.names if a.name == "*" or (a.asname or a.name.partition(".")[0]) in named]
            if aliases:
                node.names = aliases  # ``import sys, math``: only what it names
                module.append(node)
        elif any(node is k for k in kept):
            module.append(node)
    dropped = len(body) - len(module)  # ``origin`` is in neither: the method stands in its place
    return ast.Module(body=module, type_ignores=[]), dropped


def _binds(node: ast.stmt) -> set[str]:
    """The names a top-level definition or constant binds (an import's are read in :func:`_what_it_names`)."""
    if isinstance(node, _DEFINITIONS):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return set()


def _names(node: ast.AST) -> set[str]:
    """The names ``node`` reads from the module: plain names and the first name of each dotted one (``datetime`` of
    ``datetime.date``), less those it binds itself (parameters, locals, loop and comprehension variables: the
    model's ``k = 2`` below the method is not the method's parameter ``k``)."""
    read, bound = set(), set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (read if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, _DEFINITIONS) and n is not node:
            bound.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name.partition(".")[0]) for a in n.names)
    return read - bound


def _globals(module: ast.Module, method: ast.FunctionDef) -> tuple[set[str], set[str]]:
    """-> (the names ``method`` reads as globals, the names the module defines at its top), read with
    :mod:`symtable` on the rebuilt tree (a parameter or a local called ``time`` is not a global); two empty sets
    where the compiler's symbol pass refuses the code (the guardian says why)."""
    try:
        table = symtable.symtable(ast.unparse(module), "<method>", "exec")
    except _PARSE_ERRORS:
        return set(), set()
    scope = next((s for s in table.get_children() if s.get_name() == method.name and s.get_type() == "function"), None)
    return (set() if scope is None else _globals_read(scope)), set(table.get_identifiers())


def _globals_read(scope: symtable.SymbolTable) -> set[str]:
    names = {symbol.get_name() for symbol in scope.get_symbols() if symbol.is_global()}
    for child in scope.get_children():  # comprehensions, lambdas and nested classes read globals too
        names |= _globals_read(child)
    return names


def _put_first(function: ast.FunctionDef, statements: list[ast.stmt]) -> bool:
    """``statements`` first in ``function``'s body, after its docstring; False (nothing put) where the body is a
    docstring alone."""
    docstring = _is_docstring(function.body[0])
    if docstring and len(function.body) == 1:
        return False
    function.body[int(docstring):int(docstring)] = statements
    return True


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str)


# --- the repairs, each on the tree ---------------------------------------------------------------
class _NoAnnotations(ast.NodeTransformer):
    """Type hints out, and the ``typing`` imports they needed; an annotation without a value goes."""

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.returns = None
        self.generic_visit(node)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:
        if node.value is None:
            return None
        return ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node)

    def visit_Import(self, node: ast.Import) -> ast.AST | None:
        node.names = [a for a in node.names if a.name.partition(".")[0] != "typing"]
        return node if node.names else None

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | None:
        return None if (node.module or "").partition(".")[0] == "typing" else node


def drop_typing(module: ast.Module) -> bool:
    """Type hints out of ``module``, and the ``typing`` imports they needed (``from typing import List`` is refused
    by the guardian; a model wrote it above a method once in the recorded replies). Only where the code
    imports typing; the rest is left as written. -> whether it did."""
    if not any(isinstance(n, ast.Import) and any(a.name.partition(".")[0] == "typing" for a in n.names)
               or isinstance(n, ast.ImportFrom) and (n.module or "").partition(".")[0] == "typing" for n in ast.walk(module)):
        return False
    _NoAnnotations().visit(module)
    for node in ast.walk(module):  # a body a dropped import left empty
        if isinstance(getattr(node, "body", None), list) and not node.body and not isinstance(node, ast.Module):
            node.body = [ast.Pass()]
    return True


def add_missing_imports(method: ast.FunctionDef, reads: set[str], defined: set[str],
                        modules: frozenset[str] | set[str]) -> list[str]:
    """``import <module>`` first in ``method``'s body for each allowed module it reads as a global and the module
    never imports (``datetime.now()``, ``re.findall(...)`` with no import). -> the modules added."""
    missing = sorted(name for name in reads if name in modules and name not in defined and not hasattr(builtins, name))
    if not missing or not _put_first(method, [ast.Import(names=[ast.alias(name)]) for name in missing]):
        return []
    return missing


def add_missing_self(method: ast.FunctionDef, arity: int) -> bool:
    """``self`` first in ``def selector(...)`` when a model wrote it as a plain function: it never names ``self``
    and takes the call's ``arity`` positional arguments (its parameters without a default are no more, and all of
    them, or a ``*args``, are enough); a ``@staticmethod`` lifted out of its class is one. -> whether it was added.
    Anything else is left to the guardian."""
    args = method.args
    params = args.posonlyargs + args.args
    required = len(params) - len(args.defaults)
    if (params and params[0].arg == "self") or required > arity or (len(params) < arity and args.vararg is None):
        return False
    if any(isinstance(node, ast.Name) and node.id == "self" for node in ast.walk(method)):
        return False
    (args.posonlyargs if args.posonlyargs else args.args).insert(0, ast.arg("self"))
    return True


#: What ``datetime.X`` means when a model wrote ``import datetime`` but meant the class.
_DATETIME_CLASS_ONLY = frozenset({"strptime", "now", "today", "utcnow", "fromisoformat", "fromtimestamp", "combine", "strftime"})
#: What ``datetime.X`` means when a model wrote ``from datetime import datetime`` but meant the module.
_DATETIME_MODULE_ONLY = frozenset({"timedelta", "timezone"})
#: Names a model uses without importing them, and the allowed module each comes from (only ``timedelta`` was
#: ever met unimported in the recorded replies; ``timezone`` goes with it, read off the class the same way).
_FROM_IMPORTS = {"timedelta": "datetime", "timezone": "datetime"}


class _DatetimeSlips(ast.NodeTransformer):
    """``datetime.now()`` on the module read as the class's (``datetime.datetime.now()``), or, the other way
    round, ``datetime.timedelta(...)`` on the class read as the module's name (``timedelta(...)``)."""

    def __init__(self, to_class: bool) -> None:
        self.to_class = to_class
        self.done: set[str] = set()

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if not (isinstance(node.value, ast.Name) and node.value.id == "datetime"):
            return node
        if self.to_class and node.attr in _DATETIME_CLASS_ONLY:
            self.done.add("datetime.datetime")
            node.value = ast.copy_location(ast.Attribute(ast.Name("datetime", ast.Load()), "datetime", ast.Load()), node.value)
        elif not self.to_class and node.attr in _DATETIME_MODULE_ONLY:
            self.done.add(node.attr)
            return ast.copy_location(ast.Name(node.attr, node.ctx), node)
        return node


def fix_module_slips(module: ast.Module, method: ast.FunctionDef, reads: set[str], defined: set[str]) -> list[str]:
    """Slips small models make with ``datetime``, mended in ``method``: ``import datetime`` then
    ``datetime.strptime(...)`` (the class's: written ``datetime.datetime.strptime``); the other way round
    ``from datetime import datetime`` then ``datetime.timedelta(...)`` (the module's: written ``timedelta(...)``,
    imported); and ``timedelta`` read but never imported (``from datetime import timedelta`` put first in the
    body). -> what was mended (``datetime.datetime``, ``datetime.timedelta -> timedelta``, ``timedelta``)."""
    imports_module = any(isinstance(n, ast.Import) and any(a.name == "datetime" and a.asname is None for a in n.names)
                         for n in ast.walk(module))
    from_class = any(isinstance(n, ast.ImportFrom) and n.module == "datetime" and any(a.name == "datetime" for a in n.names)
                     for n in ast.walk(module))
    mended: list[str] = []
    module_names: set[str] = set()
    if imports_module != from_class:
        slips = _DatetimeSlips(to_class=imports_module)
        slips.visit(method)
        if imports_module:
            mended.extend(sorted(slips.done))
        else:
            module_names = slips.done
            mended.extend(f"datetime.{name} -> {name}" for name in sorted(module_names))
    missing = sorted((module_names | {name for name in reads if name in _FROM_IMPORTS}) - defined)
    if missing and _put_first(method, [ast.ImportFrom(_FROM_IMPORTS[name], [ast.alias(name)], 0) for name in missing]):
        mended.extend(missing)
    return mended


# --- a method written inside a class of its own, taken out of it ------------------------------------------
# Models wrap the method in a class and show it off below (a small model about one candidate in seven, a larger one
# most first answers). Where the method takes the call's arguments (``class Solution: def scale(self, number,
# factor)``) it is taken out as it is (a ``@staticmethod`` loses its decorator; mending gives it ``self``). Where the
# constructor takes them and only keeps them on ``self`` (``Rectangle(3, 4).area()``), the constructor's parameters
# become the method's and what it kept becomes local names, the constructor's first (``Date(text).shift(n)`` is
# ``shift(text, n)``), unless the method reads anything else of ``self``, changes what was kept, or a kept name is
# one of the receiver's slots: then it is lifted as it is, for the trial to judge.


def lift(tree: ast.Module, selector: str, arity: int | None = None,
         slots: set[str] | frozenset[str] = frozenset()) -> tuple[ast.ClassDef, ast.FunctionDef, str] | None:
    """``def selector`` taken out of the first class of ``tree`` that has it -> (the class, the method as a
    top-level function, what was done: ``"class X: lifted"`` or ``"class X: lifted, its constructor's parameters
    made the method's"``); None where a top-level function has the name or no class has it. The tree is left as
    it is. ``arity``: the call's argument count (None: the constructor is never read); ``slots``: the
    receiver's slot names."""
    if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == selector for n in tree.body):
        return None
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(isinstance(m, ast.FunctionDef) and m.name == selector for m in node.body):
            continue
        cls = copy.deepcopy(node)  # what follows rewrites the method's nodes; the tree is left as it is
        method = next(m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == selector)
        inlined = _fed_by_constructor(cls, method, arity, slots)
        if inlined is not None:
            return node, inlined, f"class {node.name}: lifted, its constructor's parameters made the method's"
        # a @staticmethod's decorator goes (mending gives it self); any other stays for the guardian
        method.decorator_list = [d for d in method.decorator_list if not (isinstance(d, ast.Name) and d.id == "staticmethod")]
        return node, method, f"class {node.name}: lifted"
    return None


def _fed_by_constructor(cls: ast.ClassDef, method: ast.FunctionDef, arity: int | None,
                        slots: set[str] | frozenset[str]) -> ast.FunctionDef | None:
    """The method with the constructor's parameters and what it kept made its own, or None where the class is
    not of that shape (see the module docstring)."""
    init = next((m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == "__init__"), None)
    if init is None or arity is None or method.decorator_list or init.decorator_list:
        return None
    params, taken = init.args, method.args
    if (params.vararg or params.kwarg or params.kwonlyargs or params.posonlyargs or taken.vararg or taken.kwarg
            or taken.kwonlyargs or taken.posonlyargs or not params.args or not taken.args
            or len(params.args) - 1 + len(taken.args) - 1 != arity or len(params.args) < 2 or taken.defaults):
        return None
    receiver, own = taken.args[0].arg, params.args[0].arg
    parameters = {a.arg for a in params.args[1:]} | {a.arg for a in taken.args[1:]}
    kept: list[tuple[str, ast.expr]] = []
    for statement in init.body:
        if _is_docstring(statement):
            continue
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and _self_attribute(statement.targets[0], own)):
            return None  # the constructor does more than keep values: lifted as it is
        kept.append((statement.targets[0].attr, statement.value))
    names = {name for name, _value in kept}
    if not kept or names & set(slots) or any(
            name in parameters and not (isinstance(value, ast.Name) and value.id == name) for name, value in kept):
        return None  # a kept name that is one of the receiver's slots, or that would shadow another parameter
    for node in ast.walk(method):
        if _self_attribute(node, receiver) and (node.attr not in names or not isinstance(node.ctx, ast.Load)):
            return None  # it reads another member of the class, or changes what the constructor kept
    if params.defaults and len(taken.args) > 1:
        return None  # a default among the constructor's would come before the method's parameters
    body = [ast.Assign(targets=[ast.Name(name, ast.Store())], value=_Local(own, names).visit(value), lineno=0)
            for name, value in kept if not (isinstance(value, ast.Name) and value.id == name)]
    rest = [_Local(receiver, names).visit(statement) for statement in method.body]
    docstring = rest[:1] if rest and _is_docstring(rest[0]) else []
    # the call's arguments: the constructor's first, then the method's own (``Date(text).shift(n)``: ``shift(text, n)``)
    arguments = ast.arguments(posonlyargs=[], args=[ast.arg("self"), *params.args[1:], *taken.args[1:]], kwonlyargs=[],
                              kw_defaults=[], defaults=list(params.defaults))
    fields = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    lifted = ast.FunctionDef(name=method.name, args=arguments, body=[*docstring, *body, *rest[len(docstring):]],
                             decorator_list=[], returns=None, lineno=method.lineno, **fields)
    return ast.fix_missing_locations(lifted)


class _Local(ast.NodeTransformer):
    """``receiver.name`` read as the local ``name``, for the names the constructor kept."""

    def __init__(self, receiver: str, names: set[str]) -> None:
        self.receiver, self.names = receiver, names

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if _self_attribute(node, self.receiver) and node.attr in self.names:
            return ast.copy_location(ast.Name(node.attr, ast.Load()), node)
        return self.generic_visit(node)


def _self_attribute(node: ast.AST, receiver: str) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == receiver

"""Mending a candidate's small slips instead of spending an attempt on them.

What small models get wrong in a method that is otherwise right, put right in
the tree or the text before the guardian sees it (each repair says what it
did, and the cycle records it): the method written inside a class of its own,
what the model wrote after the method to show it off, type hints, a star import, a missing import, ``self`` left out or named
``obj``, the ``datetime`` class taken for the module, a call of itself
without ``self``, an answer printed rather than returned.
:func:`candidate_code` applies them in order to the code of a reply
(:func:`bat_os.cognition.replies.extract_code`).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import io
import re
import symtable
import tokenize

from bat_os.cognition.classes import lift_from_class
from bat_os.cognition.lint import near_slot
from bat_os.cognition.replies import extract_code


def add_missing_imports(code: str, selector: str, modules: frozenset[str] | set[str]) -> tuple[str, list[str]]:
    """Put ``import <module>`` first in ``selector``'s body for each allowed module the code uses and never
    imports (small models write ``datetime.now()`` and forget the import). -> (code, the modules added).

    Names are read with :mod:`symtable`: only names the function reads as globals count, so a parameter
    or a local called ``time`` is left alone. Code that does not parse, or defines no such function, is
    returned as it is (the guardian says what is wrong with it).
    """
    found = _function_and_scope(code, selector)
    if found is None:
        return code, []
    tree, table, function, scope = found
    defined = set(table.get_identifiers())  # top-level imports, other functions
    missing = sorted(name for name in _globals_read(scope)
                     if name in modules and name not in defined and not hasattr(builtins, name))
    if not missing:
        return code, []
    body = function.body
    docstring = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
        and isinstance(body[0].value.value, str)
    first = body[1] if docstring and len(body) > 1 else body[0]
    if first.lineno == function.lineno or (docstring and len(body) == 1):
        return code, []  # a body on the def line, or only a docstring: left to the guardian and the trial
    lines = code.splitlines()
    indent = re.match(r"[ \t]*", lines[first.lineno - 1]).group(0)
    lines[first.lineno - 1:first.lineno - 1] = [f"{indent}import {name}" for name in missing]
    return "\n".join(lines) + ("\n" if code.endswith("\n") else ""), missing


def expand_star_imports(code: str, selector: str, modules: frozenset[str] | set[str]) -> tuple[str, list[str]]:
    """``from collections import *`` (refused: a method imports the names it uses) written as the import of
    the names ``selector`` reads from it, or dropped when it reads none; only for allowed modules (the real
    0.5B model wrote it above an otherwise right method). -> (code, the modules whose star import
    was replaced)."""
    found = _function_and_scope(code, selector)
    if found is None:
        return code, []
    tree, table, _function, scope = found
    stars = [n for n in tree.body if isinstance(n, ast.ImportFrom) and not n.level and n.module
             and n.module.partition(".")[0] in modules and any(alias.name == "*" for alias in n.names)]
    if not stars:
        return code, []
    wanted = {name for name in _globals_read(scope) if name not in set(table.get_identifiers()) and not hasattr(builtins, name)}
    lines = code.splitlines()
    for star in reversed(stars):  # from the bottom, so that the line numbers above stay true
        try:
            module = importlib.import_module(star.module)
        except ImportError:
            return code, []
        public = set(getattr(module, "__all__", None) or (name for name in dir(module) if not name.startswith("_")))
        taken = sorted(wanted & public)
        wanted -= set(taken)
        lines[star.lineno - 1:star.end_lineno] = [f"from {star.module} import {', '.join(taken)}"] if taken else []
    return "\n".join(lines) + ("\n" if code.endswith("\n") else ""), [star.module for star in stars]


def fix_self_recursion(code: str, selector: str) -> tuple[str, bool]:
    """A method that calls itself as a plain function (``return n * factorial(n - 1)``: a small model's
    habit) is mended to call itself through ``self`` (``self.factorial(n - 1)``), as it will find itself
    once installed; ``factorial(self, n - 1)`` too (``self.factorial(n - 1)``). -> (code, whether it was mended)."""
    found = _function_and_scope(code, selector)
    if found is None or selector not in _globals_read(found[3]):
        return code, False
    function = found[2]
    if not function.args.args or function.args.args[0].arg != "self":
        return code, False
    spots = sorted(((n.func.lineno, n.func.col_offset, bool(n.args) and isinstance(n.args[0], ast.Name) and n.args[0].id == "self")
                    for n in ast.walk(function)
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == selector), reverse=True)
    lines = code.splitlines()
    for line, col, passes_self in spots:
        text = lines[line - 1]
        if text[col:col + len(selector)] == selector:
            rest = text[col + len(selector):]
            if passes_self:  # fib(self, n - 1): the receiver goes before the dot, not among the arguments
                rest = re.sub(r"^\(\s*self\s*(,\s*|(?=\)))", "(", rest, count=1)
            lines[line - 1] = text[:col] + "self." + selector + rest
    return "\n".join(lines) + ("\n" if code.endswith("\n") else ""), bool(spots)


def fix_printed_answer(code: str, selector: str) -> tuple[str, bool]:
    """A method that prints its answer and returns nothing (``print(f"Time: {now}")`` as its last statement,
    no ``return`` of a value anywhere: "report the time" read as "print it") returns what it printed
    instead: the caller sees a method's answer, never its prints. -> (code, whether it was mended)."""
    found = _function_and_scope(code, selector)
    if found is None:
        return code, False
    function = found[2]
    if any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(function)) or any(
            isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(function)):
        return code, False
    last = function.body[-1]
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and isinstance(last.value.func, ast.Name)
            and last.value.func.id == "print" and last.value.args and not last.value.keywords
            and not any(isinstance(a, ast.Starred) for a in last.value.args)):
        return code, False
    pieces = [ast.get_source_segment(code, a) for a in last.value.args]
    if any(p is None for p in pieces):
        return code, False
    answer = pieces[0] if len(pieces) == 1 else f"' '.join(str(piece) for piece in ({', '.join(pieces)},))"
    lines = code.splitlines()
    indent = re.match(r"[ \t]*", lines[last.lineno - 1]).group(0)
    lines[last.lineno - 1:last.end_lineno] = [f"{indent}return {answer}"]
    return "\n".join(lines) + ("\n" if code.endswith("\n") else ""), True


def _function_and_scope(code: str, selector: str) -> tuple[ast.Module, symtable.SymbolTable, ast.FunctionDef, symtable.SymbolTable] | None:
    """The parsed code, its symbol table, ``def selector`` and its scope; None when the code does not parse
    or defines no such function."""
    try:
        tree = ast.parse(code)
        table = symtable.symtable(code, "<method>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == selector), None)
    scope = next((s for s in table.get_children() if s.get_name() == selector and s.get_type() == "function"), None)
    if function is None or scope is None:
        return None
    return tree, table, function, scope


def _globals_read(scope: symtable.SymbolTable) -> set[str]:
    names = {symbol.get_name() for symbol in scope.get_symbols() if symbol.is_global()}
    for child in scope.get_children():  # comprehensions, lambdas and nested classes read globals too
        names |= _globals_read(child)
    return names


# --- test cases -------------------------------------------------------------------------
def add_missing_self(code: str, selector: str, arity: int) -> tuple[str, bool]:
    """Put ``self`` first in ``def selector(...)`` when a model wrote it as a plain function: it never names
    ``self`` and takes the call's ``arity`` positional arguments (its parameters without a default are no
    more, and all of them, or a ``*args``, are enough). -> (code, whether it was added). Anything else is left
    to the guardian."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code, False
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == selector), None)
    if function is None:
        return code, False
    params = function.args.posonlyargs + function.args.args
    required = len(params) - len(function.args.defaults)
    if (params and params[0].arg == "self") or required > arity or (len(params) < arity and function.args.vararg is None):
        return code, False
    if any(isinstance(node, ast.Name) and node.id == "self" for node in ast.walk(function)):
        return code, False
    lines = code.splitlines()
    line = lines[function.lineno - 1]
    match = re.compile(rf"(def\s+{re.escape(selector)}\s*\()(\s*\))?").search(line)
    if match is None:
        return code, False
    insert = "self" if match.group(2) else "self, "
    lines[function.lineno - 1] = line[:match.end(1)] + insert + line[match.end(1):]
    return "\n".join(lines) + ("\n" if code.endswith("\n") else ""), True


_RECEIVER_NAMES = {"obj", "this", "instance", "me", "object", "o"}


def rename_receiver(code: str, selector: str, arity: int) -> tuple[str, str]:
    """``def selector(obj, a, b)`` -> ``def selector(self, a, b)``, and every ``obj`` in its body ``self``: a
    model that named the receiver after how it is called (``obj.f(a, b)``). Only when it has exactly the
    call's ``arity`` parameters after the receiver, the receiver's name is one of :data:`_RECEIVER_NAMES`
    and ``self`` is named nowhere. -> (code, the name replaced, or "")."""
    function, tokens = _method_tokens(code, selector)
    if function is None:
        return code, ""
    params = function.args.posonlyargs + function.args.args
    if len(params) != arity + 1 or params[0].arg not in _RECEIVER_NAMES or function.args.vararg is not None:
        return code, ""
    old = params[0].arg
    if any(isinstance(node, ast.Name) and node.id == "self" for node in ast.walk(function)):
        return code, ""
    last = function.end_lineno or function.lineno
    spots = [(tok.start, old, "self") for i, tok in enumerate(tokens)
             if tok.type == tokenize.NAME and tok.string == old and function.lineno <= tok.start[0] <= last
             and not (i and tokens[i - 1].string == ".")]  # x.obj is an attribute, not the receiver
    return _splice(code, spots), old


def fix_slot_names(code: str, selector: str, existing: set[str] | frozenset[str]) -> tuple[str, list[str]]:
    """``self.score`` -> ``self.scores`` where the object has ``scores`` and no ``score``: a slip of a slot's name
    (:func:`bat_os.cognition.lint.near_slot`: case, underscores, a plural ``s``, one letter off in a long name),
    which the trial would refuse (a read raises, a write makes a new slot beside the real one). Token-based:
    only ``self.<name>`` inside ``def selector``. -> (code, ``["score -> scores", ...]``)."""
    function, tokens = _method_tokens(code, selector) if existing else (None, [])
    if function is None:
        return code, []
    last = function.end_lineno or function.lineno
    spots, renamed = [], {}
    for i in range(2, len(tokens)):
        tok = tokens[i]
        if (tok.type == tokenize.NAME and tokens[i - 1].string == "." and tokens[i - 2].string == "self"
                and function.lineno <= tok.start[0] <= last and tok.string != selector):
            near = near_slot(tok.string, set(existing))
            if near is not None:
                spots.append((tok.start, tok.string, near))
                renamed[tok.string] = near
    return _splice(code, spots), [f"{old} -> {new}" for old, new in sorted(renamed.items())]


def _method_tokens(code: str, selector: str) -> tuple[ast.FunctionDef | None, list[tokenize.TokenInfo]]:
    """``def selector`` at the top of ``code`` and the code's tokens; (None, []) when it does not parse or has none."""
    try:
        tree = ast.parse(code)
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError, IndentationError):
        return None, []
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == selector), None)
    return function, tokens if function is not None else []


def _splice(code: str, spots: list[tuple[tuple[int, int], str, str]]) -> str:
    """``code`` with each ``((row, column), old, new)`` token replaced, from the last one back."""
    lines = code.splitlines(keepends=True)
    for (row, column), old, new in sorted(spots, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:column] + new + line[column + len(old):]
    return "".join(lines)


def drop_top_level_calls(code: str, selector: str) -> tuple[str, int]:
    """Drop what a model writes after the method to show it off (``print(obj.f(2))``, ``obj = Thing()``,
    ``if __name__ == "__main__": ...``): every top-level statement but imports, the docstring and the
    functions and classes it defines, when ``def selector`` is among them; and the functions and classes
    the method never names (``def check_function(): assert f(12) == 16``: two right methods of the real 0.5B
    model were refused for their test functions), then the imports nothing left names (``import sys``, never used,
    refused a right method). -> (code, statements dropped).
    Code that does not parse is returned as it is (the guardian says why)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code, 0
    method = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == selector), None)
    if method is None:
        return code, 0
    kept = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)
    named = _names(method)
    defined = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and n is not method]
    unnamed = [n for n in defined if n.name not in named]
    for n in defined:
        if n not in unnamed:
            named |= _names(n)
    drop = [n for i, n in enumerate(tree.body) if (not isinstance(n, kept) or n in unnamed)
            and not (i == 0 and isinstance(n, ast.Expr) and isinstance(getattr(n, "value", None), ast.Constant))]
    drop += [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)) and all(
        alias.name != "*" and (alias.asname or alias.name.partition(".")[0]) not in named for alias in n.names)]
    drop.sort(key=lambda n: n.lineno)
    if not drop:
        return code, 0
    lines = code.splitlines()
    for node in reversed(drop):
        del lines[node.lineno - 1:node.end_lineno]
    return "\n".join(lines).strip() + "\n", len(drop)


def _names(node: ast.AST) -> set[str]:
    """The names ``node`` reads: plain names and the first name of each dotted one (``datetime`` of ``datetime.date``)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


class _NoAnnotations(ast.NodeTransformer):
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


def drop_typing(code: str) -> tuple[str, bool]:
    """Type hints out, and the ``typing`` imports they needed (``from typing import List`` is the commonest
    thing a coder model imports that a method may not): -> (code, whether anything changed). Only when the
    code imports typing; the rest is left as written."""
    if "typing" not in code:
        return code, False
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code, False
    if not any(isinstance(n, ast.Import) and any(a.name.partition(".")[0] == "typing" for a in n.names)
               or isinstance(n, ast.ImportFrom) and (n.module or "").partition(".")[0] == "typing" for n in ast.walk(tree)):
        return code, False
    tree = ast.fix_missing_locations(_NoAnnotations().visit(tree))
    for node in ast.walk(tree):  # a body left empty by a dropped import
        for field in ("body", "orelse", "finalbody"):
            if isinstance(getattr(node, field, None), list) and not getattr(node, field) and field == "body":
                setattr(node, field, [ast.Pass()])
    return ast.unparse(tree) + "\n", True


#: What ``datetime.X`` means when a model wrote ``import datetime`` but meant the class.
_DATETIME_CLASS_ONLY = frozenset({"strptime", "now", "today", "utcnow", "fromisoformat", "fromtimestamp", "combine", "strftime"})
#: What ``datetime.X`` means when a model wrote ``from datetime import datetime`` but meant the module.
_DATETIME_MODULE_ONLY = frozenset({"timedelta", "timezone"})
#: Names a model uses without importing them, and the allowed module each comes from.
_FROM_IMPORTS = {"timedelta": "datetime", "timezone": "datetime", "Counter": "collections", "defaultdict": "collections",
                 "OrderedDict": "collections", "deque": "collections", "reduce": "functools", "Fraction": "fractions",
                 "Decimal": "decimal", "sqrt": "math", "median": "statistics", "mean": "statistics"}


def fix_module_slips(code: str, selector: str) -> tuple[str, list[str]]:
    """Slips small models make with allowed modules, mended: ``import datetime`` then
    ``datetime.strptime(...)`` (the class's, not the module's: written ``datetime.datetime.strptime``), the
    other way round ``from datetime import datetime`` then ``datetime.timedelta(...)`` (the module's:
    written ``timedelta(...)``, imported), and a
    name used but never imported that only one allowed module gives (``timedelta``, ``Counter``: a
    ``from M import name`` is put first in the function). -> (code, what was mended)."""
    found = _function_and_scope(code, selector)
    if found is None:
        return code, []
    tree, table, function, scope = found
    mended: list[str] = []
    imports_module = any(isinstance(n, ast.Import) and any(a.name == "datetime" and a.asname is None for a in n.names)
                         for n in ast.walk(tree))
    from_class = any(isinstance(n, ast.ImportFrom) and n.module == "datetime" and any(a.name == "datetime" for a in n.names)
                     for n in ast.walk(tree))
    lines = code.splitlines()
    if imports_module and not from_class:
        spots = sorted(((n.value.lineno, n.value.col_offset) for n in ast.walk(function)
                        if isinstance(n, ast.Attribute) and n.attr in _DATETIME_CLASS_ONLY
                        and isinstance(n.value, ast.Name) and n.value.id == "datetime"), reverse=True)
        for line, col in spots:
            text = lines[line - 1]
            if text[col:col + 9] == "datetime.":
                lines[line - 1] = text[:col] + "datetime.datetime." + text[col + 9:]
        if spots:
            mended.append("datetime.datetime")
    module_names: set[str] = set()
    if from_class and not imports_module:  # the other way round: datetime.timedelta(...) on the class
        spots = sorted(((n.value.lineno, n.value.col_offset, n.attr) for n in ast.walk(function)
                        if isinstance(n, ast.Attribute) and n.attr in _DATETIME_MODULE_ONLY
                        and isinstance(n.value, ast.Name) and n.value.id == "datetime"), reverse=True)
        for line, col, attr in spots:
            text = lines[line - 1]
            if text[col:col + 9] == "datetime.":
                lines[line - 1] = text[:col] + text[col + 9:]
                module_names.add(attr)
        mended.extend(f"datetime.{name} -> {name}" for name in sorted(module_names))
    defined = set(table.get_identifiers())
    missing = sorted((module_names | {name for name in _globals_read(scope) if name in _FROM_IMPORTS}) - defined)
    if missing:
        first = function.body[0]
        if first.lineno != function.lineno:
            indent = re.match(r"[ \t]*", lines[first.lineno - 1]).group(0)
            lines[first.lineno - 1:first.lineno - 1] = [f"{indent}from {_FROM_IMPORTS[name]} import {name}" for name in missing]
            mended.extend(missing)
    if not mended:
        return code, []
    return "\n".join(lines) + ("\n" if code.endswith("\n") else ""), mended


def candidate_code(reply: str, selector: str, arity: int, modules: frozenset[str] | set[str],
                   slots: set[str] | frozenset[str] = frozenset()) -> tuple[str, dict]:
    """The method's code out of a reply, with the small slips of small models mended in order: the method
    taken out of a class the model wrapped it in, what it shows off after the method dropped, type hints out, missing allowed imports added, ``self`` added to
    a plain function, a receiver named ``obj`` renamed ``self``, a slip of one of the receiver's ``slots``
    names, the datetime class/module slip and unimported names, a call of itself without ``self``,
    an answer printed rather than returned. -> (code, what was done,
    as the cycle records it: ``top_level_dropped``, ``typing_dropped``, ``imports_added``, ``self_added``,
    ``slips_mended``)."""
    code, lifted = lift_from_class(extract_code(reply), selector, arity, slots)
    code, dropped = drop_top_level_calls(code, selector)
    code, untyped = drop_typing(code)
    code, starred = expand_star_imports(code, selector, modules)
    code, imported = add_missing_imports(code, selector, modules)
    code, self_added = add_missing_self(code, selector, arity)
    code, receiver = rename_receiver(code, selector, arity)
    code, slot_names = fix_slot_names(code, selector, slots)
    code, mended = fix_module_slips(code, selector)
    mended = [*([lifted] if lifted else []), *(f"from {module} import *" for module in starred),
              *slot_names, *mended]
    if receiver:
        mended = [f"{receiver} -> self", *mended]
    code, recursion = fix_self_recursion(code, selector)
    if recursion:
        mended = [*mended, f"self.{selector}"]
    code, printed = fix_printed_answer(code, selector)
    if printed:
        mended = [*mended, "print -> return"]
    return code, {"top_level_dropped": dropped, "typing_dropped": untyped, "imports_added": imported,
                  "self_added": self_added, "slips_mended": mended}

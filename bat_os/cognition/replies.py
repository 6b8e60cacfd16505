"""What the cycle reads out of a model's reply: a list of research queries, a method's source.

Small models wrap what they are asked for in prose and fences, and write a
list as bullets or numbers as often as JSON; these find it. Research never
sinks a cycle: when a reply holds no usable query, :func:`fallback_queries`
makes them from the intent and the selector's words.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import symtable
import textwrap

# An opening fence at the start of a line (maybe indented), its info string,
# the body, and the closing fence (or the end of the text: replies get cut off).
_FENCE = re.compile(
    r"^[ \t]*```[ \t]*(?P<lang>[\w.+-]*)[^\n]*\n(?P<body>.*?)(?:^[ \t]*```[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)
_PYTHON_TAGS = {"python", "py", "python3"}
_FENCE_LINE = re.compile(r"^[ \t]*```")


def extract_json_list(text: str) -> list[str] | None:
    """The first usable JSON list of strings in a model reply, or None.

    Fenced blocks are searched first (in order), then the whole text. Every
    ``[`` is tried as the start of a JSON value; a list counts when it holds at
    least one non-blank string. Non-string items are dropped and strings are
    stripped. Lists with no strings (``[1, 2]``, ``[]``, ``[[...]]``) are
    skipped, so a nested list of strings inside one can still be found.
    """
    decoder = json.JSONDecoder()
    candidates = [m.group("body") for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        for start in (i for i, ch in enumerate(candidate) if ch == "["):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except (ValueError, RecursionError):
                continue
            if not isinstance(value, list):
                continue
            items = [item.strip() for item in value if isinstance(item, str) and item.strip()]
            if items:
                return items
    return None


#: A list item a small model writes: "- x", "* x", "1. x", "2) x" (the item's text in group 1).
_ITEM = re.compile(r"^[ \t]*(?:[-*\u2022]|\d{1,2}[.)])[ \t]+(.+?)[ \t]*$", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
MAX_QUERY_CHARS = 200


def extract_queries(text: str) -> list[str] | None:
    """Research queries in a reply: a JSON list of strings (:func:`extract_json_list`), else its
    bulleted or numbered items (quotes and backticks around an item dropped); None when neither."""
    found = extract_json_list(text)
    if not found:
        found = [_unquote(m.group(1)) for m in _ITEM.finditer(text)]
    found = list(dict.fromkeys(q[:MAX_QUERY_CHARS] for q in (found or []) if _WORD.search(q)))
    return found or None


def fallback_queries(selector: str, intent: str = "") -> list[str]:
    """Queries made without a model: the intent (when there is one) and the selector's words."""
    words = " ".join(selector.replace("_", " ").split())
    return [q for q in dict.fromkeys([intent.strip()[:MAX_QUERY_CHARS], words]) if q]


def _unquote(item: str) -> str:
    item = item.strip()
    while len(item) >= 2 and item[0] == item[-1] and item[0] in "\"'`":
        item = item[1:-1].strip()
    return item.rstrip(",;").strip()


def extract_code(text: str) -> str:
    """The Python source in a reply.

    The first block fenced as ```python (or ```py / ```python3); failing that
    the first untagged ``` block; failing that the whole text, stripped. A
    block missing its closing fence runs to the end of the text. A block with
    no ``def`` in it loses to code before the first fence (a small model may
    write the method bare and close a fence it never opened).
    """
    tagged: str | None = None
    untagged: str | None = None
    first_fence: int | None = None
    for match in _FENCE.finditer(text):
        first_fence = match.start() if first_fence is None else first_fence
        lang = match.group("lang").lower()
        if lang in _PYTHON_TAGS and tagged is None:
            tagged = match.group("body")
        elif not lang and untagged is None:
            untagged = match.group("body")
    for block in (tagged, untagged):
        if block is not None and "def " in block:
            return _clean_block(block)
    if first_fence is None and not any(_FENCE_LINE.match(line) for line in text.splitlines()):
        return text.strip()
    before = text[:first_fence] if first_fence is not None else text
    start = re.search(r"^[ \t]*def ", before, re.MULTILINE)
    if start is not None:  # the method written bare: from its def, fence lines dropped
        return _clean_block("\n".join(line for line in before[start.start():].splitlines() if not _FENCE_LINE.match(line)))
    for block in (tagged, untagged):
        if block is not None:
            return _clean_block(block)
    return text.strip()


def _clean_block(body: str) -> str:
    lines = textwrap.dedent(body).splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


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
_TYPE_NAMES = {"str": "str", "int": "int", "float": "float", "bool": "bool", "list": "list", "dict": "dict"}


def extract_cases(text: str, selector: str) -> list[dict]:
    """The test cases in a reply, as raw dicts (:func:`bat_os.cognition.cases.parse_case` checks them).

    Two forms are read, never run: a JSON list of ``{"args", "kwargs", "result"}`` objects, and
    Python lines a coder model writes, taken apart with :mod:`ast` and :func:`ast.literal_eval`:
    ``assert obj.f(2, 3) == 5``, ``assert f("x") is True``, ``assert isinstance(obj.f(), str)``,
    ``f(4) == 24`` and ``f(4) -> 24``. Calls whose arguments are not literals are skipped.
    """
    found = _json_cases(text)
    blocks = [m.group("body") for m in _FENCE.finditer(text)] or [text]
    for block in blocks:
        for line in block.splitlines():
            case = _line_case(line.strip(), selector)
            if case is not None:
                found.append(case)
    unique: dict[str, dict] = {}
    for case in found:
        unique.setdefault(json.dumps(case, sort_keys=True, default=repr), case)
    return list(unique.values())


def _json_cases(text: str) -> list[dict]:
    decoder = json.JSONDecoder()
    for candidate in [m.group("body") for m in _FENCE.finditer(text)] + [text]:
        for start in (i for i, ch in enumerate(candidate) if ch == "["):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except (ValueError, RecursionError):
                continue
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                return [v for v in value if "args" in v or "kwargs" in v]
    return []


def _line_case(line: str, selector: str) -> dict | None:
    if not line or selector not in line:
        return None
    arrow = re.match(r"^(?:assert\s+)?(.+?\))\s*(?:->|→|returns|should return|gives)\s*(.+?)[.;]?$", line)
    if arrow and "==" not in line:
        line = f"assert {arrow.group(1)} == {arrow.group(2)}"
    elif not line.startswith("assert"):
        line = f"assert {line}"
    line = line.split("  #")[0].rstrip()
    try:
        node = ast.parse(line).body[0]
    except (SyntaxError, ValueError, RecursionError, MemoryError, IndexError):
        return None
    if not isinstance(node, ast.Assert):
        return None
    test = node.test
    if isinstance(test, ast.Call) and getattr(test.func, "id", None) == "isinstance" and len(test.args) == 2:
        call, kind = _call_of(test.args[0], selector), getattr(test.args[1], "id", None)
        if call is not None and kind in _TYPE_NAMES:
            return {**call, "type": _TYPE_NAMES[kind]}
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.Is)):
        left, right = test.left, test.comparators[0]
        call = _call_of(left, selector)
        if call is None:
            left, right = right, left
            call = _call_of(left, selector)
        if call is None:
            return None
        try:
            result = ast.literal_eval(right)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            return None
        if isinstance(result, tuple):
            result = list(result)
        if isinstance(result, (set, frozenset, bytes, complex)):
            return None
        return {**call, "result": result}
    return None


def _call_of(node: ast.AST, selector: str) -> dict | None:
    """``{"args", "kwargs"}`` of ``obj.selector(...)`` / ``selector(...)`` with literal arguments, else None."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name != selector:
        return None
    try:
        args = [_plain(ast.literal_eval(a)) for a in node.args]
        kwargs = {k.arg: _plain(ast.literal_eval(k.value)) for k in node.keywords if k.arg}
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None
    if len(kwargs) != len(node.keywords):
        return None
    return {"args": args, "kwargs": kwargs}


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset, bytes, complex)):
        raise ValueError("not plain data")
    return value


def add_missing_self(code: str, selector: str, arity: int) -> tuple[str, bool]:
    """Put ``self`` first in ``def selector(...)`` when a model wrote it as a plain function: its
    parameters are exactly the call's ``arity`` positional ones and it never names ``self``.
    -> (code, whether it was added). Anything else is left to the guardian."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code, False
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == selector), None)
    if function is None:
        return code, False
    params = function.args.posonlyargs + function.args.args
    if (params and params[0].arg == "self") or len(params) != arity or function.args.vararg is not None:
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


def drop_top_level_calls(code: str, selector: str) -> tuple[str, int]:
    """Drop what a model writes after the method to show it off (``print(obj.f(2))``, ``obj = Thing()``,
    ``if __name__ == "__main__": ...``): every top-level statement but imports, the docstring and the
    functions and classes it defines, when ``def selector`` is among them. -> (code, statements dropped).
    Code that does not parse is returned as it is (the guardian says why)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code, 0
    if not any(isinstance(n, ast.FunctionDef) and n.name == selector for n in tree.body):
        return code, 0
    kept = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)
    drop = [n for i, n in enumerate(tree.body) if not isinstance(n, kept)
            and not (i == 0 and isinstance(n, ast.Expr) and isinstance(getattr(n, "value", None), ast.Constant))]
    if not drop:
        return code, 0
    lines = code.splitlines()
    for node in reversed(drop):
        del lines[node.lineno - 1:node.end_lineno]
    return "\n".join(lines).rstrip() + "\n", len(drop)


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
#: Names a model uses without importing them, and the allowed module each comes from.
_FROM_IMPORTS = {"timedelta": "datetime", "Counter": "collections", "defaultdict": "collections",
                 "OrderedDict": "collections", "deque": "collections", "reduce": "functools", "Fraction": "fractions",
                 "Decimal": "decimal", "sqrt": "math", "median": "statistics", "mean": "statistics"}


def fix_module_slips(code: str, selector: str) -> tuple[str, list[str]]:
    """Two slips small models make with allowed modules, mended: ``import datetime`` then
    ``datetime.strptime(...)`` (the class's, not the module's: written ``datetime.datetime.strptime``), and a
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
    defined = set(table.get_identifiers())
    missing = sorted(name for name in _globals_read(scope) if name in _FROM_IMPORTS and name not in defined)
    if missing:
        first = function.body[0]
        if first.lineno != function.lineno:
            indent = re.match(r"[ \t]*", lines[first.lineno - 1]).group(0)
            lines[first.lineno - 1:first.lineno - 1] = [f"{indent}from {_FROM_IMPORTS[name]} import {name}" for name in missing]
            mended.extend(missing)
    if not mended:
        return code, []
    return "\n".join(lines) + ("\n" if code.endswith("\n") else ""), mended


def candidate_code(reply: str, selector: str, arity: int, modules: frozenset[str] | set[str]) -> tuple[str, dict]:
    """The method's code out of a reply, with the small slips of small models mended in order: what it
    shows off after the method dropped, type hints out, missing allowed imports added, ``self`` added to
    a plain function, the datetime class/module slip and unimported names, a call of itself without ``self``,
    an answer printed rather than returned. -> (code, what was done,
    as the cycle records it: ``top_level_dropped``, ``typing_dropped``, ``imports_added``, ``self_added``,
    ``slips_mended``)."""
    code, dropped = drop_top_level_calls(extract_code(reply), selector)
    code, untyped = drop_typing(code)
    code, imported = add_missing_imports(code, selector, modules)
    code, self_added = add_missing_self(code, selector, arity)
    code, mended = fix_module_slips(code, selector)
    code, recursion = fix_self_recursion(code, selector)
    if recursion:
        mended = [*mended, f"self.{selector}"]
    code, printed = fix_printed_answer(code, selector)
    if printed:
        mended = [*mended, "print -> return"]
    return code, {"top_level_dropped": dropped, "typing_dropped": untyped, "imports_added": imported,
                  "self_added": self_added, "slips_mended": mended}

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
    block missing its closing fence runs to the end of the text.
    """
    untagged: str | None = None
    for match in _FENCE.finditer(text):
        lang = match.group("lang").lower()
        if lang in _PYTHON_TAGS:
            return _clean_block(match.group("body"))
        if not lang and untagged is None:
            untagged = match.group("body")
    if untagged is not None:
        return _clean_block(untagged)
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
    try:
        tree = ast.parse(code)
        table = symtable.symtable(code, "<method>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code, []
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == selector), None)
    scope = next((s for s in table.get_children() if s.get_name() == selector and s.get_type() == "function"), None)
    if function is None or scope is None:
        return code, []
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

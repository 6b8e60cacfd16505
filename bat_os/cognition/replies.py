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

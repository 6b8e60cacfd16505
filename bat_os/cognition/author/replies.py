"""What is read out of a model's reply: research queries, a method's source, test cases, each condition's calls.

Small models wrap what they are asked for in prose and fences, and write a list as bullets as often as JSON; these
find it. Nothing read is ever run: calls and cases are taken apart with :mod:`ast` and :func:`ast.literal_eval`.
"""

from __future__ import annotations

import ast
import json
import re
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
    """The first JSON list in a reply (fenced blocks first, then the whole text) holding a non-blank string: its
    strings, stripped; None when there is none."""
    for value in _json_lists(text):
        items = [item.strip() for item in value if isinstance(item, str) and item.strip()]
        if items:
            return items
    return None


def _json_lists(text: str):
    """Every JSON list in a reply, the fenced blocks' first, each ``[`` tried as the start of one."""
    decoder = json.JSONDecoder()
    for candidate in [m.group("body") for m in _FENCE.finditer(text)] + [text]:
        for start in (i for i, ch in enumerate(candidate) if ch == "["):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except (ValueError, RecursionError):
                continue
            if isinstance(value, list):
                yield value


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
    """The Python source in a reply: the first ```python block, else the first untagged one, else the whole text; a
    block with no ``def`` loses to a bare ``def`` before the first fence (a fence closed that was never opened)."""
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


_TYPE_NAMES = {"str": "str", "int": "int", "float": "float", "bool": "bool", "list": "list", "dict": "dict"}


def extract_cases(text: str, selector: str, stateful: bool = False) -> list[dict]:
    """The test cases in a reply, as raw dicts (:func:`~bat_os.cognition.judge.cases.parse_case` checks them): a JSON
    list of ``{"args", "kwargs", "result"}``, or the lines a coder model writes (``assert obj.f(2, 3) == 5``,
    ``assert isinstance(obj.f(), str)``, ``f(4) -> 24``), calls of literal arguments only. ``obj.count = 3`` before a
    call is the case's ``given``, ``assert obj.count == 2`` after it the ``slots`` it expects; a call after another,
    no slot set between, is skipped when it set slots or the method is ``stateful`` (the first may have changed what
    the second sees: a small model's cases for "add n to the counter slot" were a running total)."""
    return [case for case in _read_calls(text, selector, stateful) if set(case) & _EXPECTED]


def extract_conditions(text: str, selector: str, clauses: list[str], stateful: bool = False) -> list[dict]:
    """The calls a reply writes for each condition (``clauses``), as ``[{"label", "calls"}]``: a call under a comment
    that numbers a clause (``# 3. ...``) or repeats its words is that condition's; the rest come last, labelled "".
    Only the input counts (with the ``given`` slots set before it), whatever the line says of the answer: an assert, a
    bare call, ``self.assertEqual(obj.f(x), y)``, ``self.assertRaises(E, obj.f, x)``."""
    calls: list[list[dict]] = [[] for _ in clauses]
    loose: list[dict] = []
    for case in _read_calls(text, selector, stateful, labels={}):
        call = {k: case[k] for k in ("args", "kwargs", "given") if k in case}
        at = _clause_of(case.get("condition") or "", clauses)
        target = calls[at] if at is not None else loose
        if call not in target:
            target.append(call)
    return [{"label": clause, "calls": found} for clause, found in zip(clauses, calls)] + (
        [{"label": "", "calls": loose}] if loose else [])


def _clause_of(label: str, clauses: list[str]) -> int | None:
    """Which clause a comment names: by its number (``1. ...``, ``Condition 2:``), else by its words."""
    number = re.match(r"^(?:condition|clause|test|case)?\s*(\d+)\b", label, re.I)
    if number and 1 <= int(number.group(1)) <= len(clauses):
        return int(number.group(1)) - 1
    words = " ".join(label.lower().split())
    return next((k for k, c in enumerate(clauses) if words and (words[:30] in c.lower() or c.lower()[:30] in words)), None)


_EXPECTED = {"result", "raises", "type", "slots"}
COMMENT_CHARS = 120  # of a comment above a call, the words read as the condition it tests: enough to match a clause


def _read_calls(text: str, selector: str, stateful: bool, labels: dict | None = None) -> list[dict]:
    """Every call of the method a reply holds, with what it expects when it says (:func:`extract_cases`)."""
    found = _json_cases(text)
    blocks = [m.group("body") for m in _FENCE.finditer(text)] or [text]
    for block in blocks:
        found.extend(_slot_lines(block.splitlines(), selector, stateful, labels))
    unique: dict[str, dict] = {}
    for case in found:
        unique.setdefault(json.dumps(case, sort_keys=True, default=repr), case)
    return list(unique.values())


def _label(line: str) -> str | None:
    """A comment line's words (``# 2. ties by name`` -> ``2. ties by name``): which condition the calls under it test."""
    return line.lstrip("#").strip()[:COMMENT_CHARS] or None


def _slot_lines(lines: list[str], selector: str, stateful: bool, labels: dict | None = None) -> list[dict]:
    """The calls of a block's lines, read in order with the slots they set (see :func:`extract_cases`); with
    ``labels``, each carries the condition the comment above it names (every label read is a key of ``labels``)."""
    cases: list[dict] = []
    given: dict = {}
    called = False  # a call since the last slot was set: what the slots hold now is not known
    known = True  # False after obj = Something(...) until a slot is set
    last: dict | None = None  # the case just read, which a slot check right after it belongs to
    label: str | None = None
    for raw in _logical(lines):
        if raw.strip().startswith("#"):
            label = _label(raw.strip()) if labels is not None else None
            if label is not None:
                labels.setdefault(label, [])  # type: ignore[union-attr]
            continue
        line = raw.strip().split("  #")[0].rstrip()
        assigned = _slot_assignment(line)
        if assigned is not None:
            name, value = assigned
            if name is None:  # obj = {'items': []}: these slots; obj = Something(...): slots not known
                given, called, known = dict(value or {}), False, value is not None
            else:
                if called:
                    given, called = {}, False
                given[name] = value
                known = True
            last = None
            continue
        checked = _slot_check(line, selector)
        if checked is not None:
            if last is not None:
                last.setdefault("slots", {})[checked[0]] = checked[1]
                if last not in cases:  # a call on its own line, checked by the slots it left
                    cases.append(last)
            continue
        if selector not in line:
            continue
        case = _line_case(line, selector)
        bare = None if case is not None else _bare_call(line, selector)
        if case is None and bare is None:
            continue
        if (not known or (called and (given or stateful))) and labels is None:
            last = None  # after an earlier call that may have changed the slots, or on another object: not a case
            called = True
            continue  # (a condition's input it still is: only the input counts there, run on the slots it set)
        case = case if case is not None else bare
        if given:
            case["given"] = dict(given)
        if label is not None:
            case["condition"] = label
        if bare is None or label is not None or "raises" in bare:  # assertRaises(E, obj.f, x) says what it expects
            cases.append(case)
        called, last = True, case
    return cases


def _logical(lines: list[str]) -> list[str]:
    """The lines as statements: a call written over several lines (an open bracket) joined into one."""
    found: list[str] = []
    pending: list[str] = []
    for raw in lines:
        if not pending and raw.strip().startswith("#"):
            found.append(raw)
            continue
        pending.append(raw.strip())
        text = " ".join(pending)
        if len(pending) < _JOINED and _unclosed(text):
            continue
        found.append(text)
        pending = []
    if pending:
        found.append(" ".join(pending))
    return found


_JOINED = 20  # lines one statement may take, at most


def _unclosed(text: str) -> bool:
    """Does ``text`` leave a bracket open (the statement goes on, on the next line)?"""
    try:
        ast.parse(text.split("  #")[0])
    except SyntaxError as exc:
        return "never closed" in str(exc.msg) or "unexpected EOF" in str(exc.msg)
    except (ValueError, RecursionError, MemoryError):
        return False
    return False


def _bare_call(line: str, selector: str) -> dict | None:
    """A call of the method that says nothing of its answer, as ``{"args", "kwargs"}``: ``obj.add('a')`` on its
    own line, or inside another call (``self.assertEqual(obj.f(2), 4)``, ``print(f(2))``); ``self.assertRaises(E,
    obj.f, 2)`` as the call that raises ``E``."""
    for text in (line, line + "\n    pass"):  # "with self.assertRaises(E): ..." on a line of its own
        try:
            tree = ast.parse(text)
            break
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    else:
        return None
    for node in ast.walk(tree):
        found = _call_of(node, selector)
        if found is not None:
            return found
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "assertRaises" and len(node.args) >= 2:
            named = node.args[1]
            if (named.attr if isinstance(named, ast.Attribute) else getattr(named, "id", None)) == selector:
                if (args := _literal(node.args[2:])) is _NOT:
                    return None
                kind = getattr(node.args[0], "id", None)
                return {"args": args, "kwargs": {}, **({"raises": kind} if kind else {})}
    return None


_SLOT = r"""(?:\.(?P<name>[A-Za-z]\w*)|\[\s*(?P<q>['"])(?P<key>[A-Za-z]\w*)(?P=q)\s*\])"""  # obj.n, obj['n']


def _slot_assignment(line: str) -> tuple[str | None, object] | None:
    """``obj.name = <literal>`` as ``(name, value)``; ``obj = {...}`` as ``(None, its map)``, ``obj = Thing()`` as
    ``(None, None)``; else None."""
    match = re.match(r"^(?:obj|self)\s*=(?!=)\s*(?P<value>.*)$", line)
    if match:
        return None, _slot_map(match.group("value"))
    match = re.match(rf"^(?:obj|self){_SLOT}\s*=(?!=)\s*(?P<value>.+)$", line)
    value = _literal(match.group("value")) if match else _NOT
    return None if value is _NOT else (match.group("name") or match.group("key"), value)


def _slot_map(text: str) -> dict | None:
    """``{'items': [], 'n': 2}`` (a dict literal of slot names: the object as a small model writes it) as a map,
    else None (``Counter(5)``: an object whose slots are not known)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None
    if not isinstance(value, dict) or not value or not all(isinstance(k, str) and k.isidentifier() for k in value):
        return None
    try:
        return {k: _plain(v) for k, v in value.items()}
    except ValueError:
        return None


def _slot_check(line: str, selector: str) -> tuple[str, object] | None:
    """``assert obj.name == <literal>`` (a slot, not a call) as ``(name, value)``, else None."""
    match = re.match(rf"^assert\s+(?:obj|self){_SLOT}\s*==\s*(?P<value>.+)$", line)
    value = _literal(match.group("value")) if match and selector not in (match.group("name"), match.group("key")) else _NOT
    return None if value is _NOT else (match.group("name") or match.group("key"), value)


def _json_cases(text: str) -> list[dict]:
    for value in _json_lists(text):
        if value and all(isinstance(v, dict) for v in value):
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
        return {**call, "type": _TYPE_NAMES[kind]} if call is not None and kind in _TYPE_NAMES else None
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
        return None if isinstance(result, (set, frozenset, bytes, complex)) else {**call, "result": result}
    return None


def _call_of(node: ast.AST, selector: str) -> dict | None:
    """``{"args", "kwargs"}`` of ``obj.selector(...)`` / ``selector(...)`` with literal arguments, else None."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name != selector:
        return None
    args, values = _literal(node.args), _literal([k.value for k in node.keywords])
    if args is _NOT or values is _NOT or not all(k.arg for k in node.keywords):
        return None
    return {"args": args, "kwargs": {k.arg: v for k, v in zip(node.keywords, values)}}


_NOT = object()  # what _literal gives for what is not a literal


def _literal(source: "str | ast.AST | list[ast.AST]") -> object:
    """The plain value of a literal (a text, a node, or a list of nodes: a list of values), else :data:`_NOT`."""
    try:
        if isinstance(source, list):
            return [_plain(ast.literal_eval(node)) for node in source]
        return _plain(ast.literal_eval(source))
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return _NOT


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset, bytes, complex)):
        raise ValueError("not plain data")
    return value

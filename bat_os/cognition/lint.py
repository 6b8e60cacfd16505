"""What a candidate's source says about its meaning, before it runs (the guardian checks its safety).

:func:`unused_parameters`: a method that never reads one of its parameters
cannot answer what it was asked with that argument (``def gcd(self, a, b):
return a``, a ``pass`` body). Read from the tree rather than guessed from
answers: a method that uses its argument may still answer alike for a few
probe calls (``extract_numbers`` finding no number in any of them).

:func:`near_slot`: the existing slot a new slot's name is a slip of
(``self.score`` written on an object that has ``scores``).

:func:`slots_unused`: the receiver's slots the request names (``"... followed
by the user_name slot"``) that the source never touches (it read
``self.items`` instead).

:func:`returns_self`: the method answers with the receiver itself, which a
request that asks for a value to be returned, and not for the object, never wants (``rename`` "returning the
old name" with ``return self``).

:func:`reads_clock`: the method asks the clock or chance (``datetime.now()``,
``time.time()``, ``random.choice``), so its answer differs from run to run and
two right candidates agree only on its kind; a request for the current time
or date (:data:`CLOCK_WORDS`) that a method never reads the clock for is
answered with a made-up time (``return "12:00"``, a slot's value).
"""

from __future__ import annotations

import ast
import re


def reasons(code: str, selector: str, intent: str, slots: set[str], values: dict | None = None) -> list[str]:
    """Why the candidate ``code`` cannot be what was asked, from its source alone (the refusal reasons the
    author hears): a slot the request names that it never uses, a parameter it never reads, a slot's data
    copied into it (``values``: the receiver's slots as plain data)."""
    found = [f"static: the request names the slot {name}, but {selector} never uses self.{name}"
             for name in slots_unused(code, selector, intent, slots)]
    found += [f"static: {selector} has the {name} slot's value {shown} written in its source: read self.{name} "
              "instead (the data differs from object to object and from call to call)"
              for name, shown in copied_slots(code, selector, values or {})]
    asked = CLOCK_WORDS.search(intent or "")
    if asked and _method(code, selector) is not None and not reads_clock(code, selector):
        found.append(f"static: the request asks for {asked.group(0)!r}, but {selector} never reads the clock: "
                     "call datetime.datetime.now(), datetime.date.today() or time.time()")
    if returns_self(code, selector) and _ASKS_FOR_A_VALUE.search(intent or "") and not _ASKS_FOR_ITSELF.search(intent or ""):
        found.append(f"static: {selector} returns self, the object itself, but the request does not ask for the object: "
                     "return the answer it asks for")
    unused = unused_parameters(code, selector)
    if unused:  # it cannot answer what it was asked with an argument it never reads
        found.append(f"static: {selector} never reads its parameter{'s' if len(unused) > 1 else ''} {', '.join(unused)}: "
                     "it must use every argument it is called with")
    return found


CLOCK_WORDS = re.compile(
    r"\b(current|present)\s+(local\s+|system\s+|utc\s+)?(time|date|day|year|month|hour|minute|weekday|timestamp)\b"
    r"|\btoday\b|\b(time|date) (right )?now\b|\bwhat time it is\b", re.I)
_CLOCK_CALLS = {"now", "today", "utcnow", "time", "time_ns", "localtime", "gmtime", "ctime", "asctime", "monotonic",
                "perf_counter"}
_CHANCE_MODULES = {"random", "secrets", "uuid"}


def reads_clock(code: str, selector: str) -> bool:
    """Does ``def selector`` ask the clock (``datetime.now()``, ``date.today()``, ``time.time()``, ``time.strftime(fmt)``
    with no time given) or chance (``random``, ``secrets``, ``uuid``)? Its answers then differ from run to run."""
    function = _method(code, selector)
    if function is None:
        return False
    for node in ast.walk(function):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, owner = node.func.attr, node.func.value
        if name in _CLOCK_CALLS and (name != "time" or isinstance(owner, ast.Name) and owner.id == "time"):
            return True  # time.time(), not moment.time() (a part of a datetime it was given)
        if name == "strftime" and isinstance(owner, ast.Name) and owner.id == "time" and len(node.args) < 2:
            return True
        root = owner
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in _CHANCE_MODULES:
            return True
    return False


def asked_and_read_clock(code: str, selector: str, intent: str) -> bool:
    """The request asks for the current time or date and the method reads the clock: what a method with no
    argument to test it on can show (counted as evidence for a candidate alone at the last attempt)."""
    return bool(CLOCK_WORDS.search(intent or "")) and reads_clock(code, selector)


_ASKS_FOR_A_VALUE = re.compile(r"\b(return|returns|returning|give back|answer with)\b", re.I)
_ASKS_FOR_ITSELF = re.compile(r"\b(itself|the object|this object|self|the receiver|chain(ing|able)?)\b", re.I)


def returns_self(code: str, selector: str) -> bool:
    """Does ``def selector`` answer with the receiver (``return self``)? Seen from a client, an object
    reference where the request asked for a value (the real 0.5B model's ``rename`` "returning the old one")."""
    function = _method(code, selector)
    return function is not None and any(
        isinstance(node, ast.Return) and isinstance(node.value, ast.Name) and node.value.id == "self"
        for node in ast.walk(function))


def unused_parameters(code: str, selector: str) -> list[str]:
    """The parameters (not ``self``, not ``*args``/``**kwargs``) of ``def selector`` that its body never reads."""
    function = _method(code, selector)
    if function is None:
        return []  # the guardian says why
    arguments = function.args
    positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    names = positional[1:] + [a.arg for a in arguments.kwonlyargs]  # the first is the receiver
    read = {node.id for statement in function.body for node in ast.walk(statement)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return [name for name in names if name not in read]


def slots_unused(code: str, selector: str, intent: str, existing: set[str]) -> list[str]:
    """The slots in ``existing`` that the ``intent`` names (``the scores slot``, ``user_name``, see :func:`names_slot`) but
    that the method never reaches as ``self.<name>``; [] when the code does not parse."""
    named = [name for name in sorted(existing) if names_slot(intent or "", name)]
    if not named:
        return []
    function = _method(code, selector)
    if function is None:
        return []
    reached = {node.attr for node in ast.walk(function) if isinstance(node, ast.Attribute)
               and isinstance(node.value, ast.Name) and node.value.id == "self"}
    reached |= {node.value for node in ast.walk(function) if isinstance(node, ast.Constant) and isinstance(node.value, str)}  # getattr(self, "x")
    return [name for name in named if name not in reached]


def copied_slots(code: str, selector: str, values: dict) -> list[tuple[str, str]]:
    """``(slot, value shown)`` for each slot of the receiver whose value, a list, tuple or map of two items or
    more or a text of three characters or more, is written out as a constant in the method (``self['scores'] =
    [3, 4]`` for "empty the scores slot": the data of the prompt, which the probes, varying arguments only,
    never vary). Docstrings do not count."""
    method = _method(code, selector)
    if method is None:
        return []
    wanted = {name: value for name, value in values.items()
              if isinstance(value, (list, tuple, dict)) and len(value) >= 2 or isinstance(value, str) and len(value) >= 3}
    if not wanted:
        return []
    docstrings = {id(node.body[0].value) for node in ast.walk(method)
                  if isinstance(getattr(node, "body", None), list) and node.body and isinstance(node.body[0], ast.Expr)}
    constants = []
    for node in ast.walk(method):
        if id(node) in docstrings or not isinstance(node, (ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set)):
            continue
        try:
            constants.append(ast.literal_eval(node))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
    found = []
    for name, value in wanted.items():
        plain = list(value) if isinstance(value, tuple) else value
        if any((list(c) if isinstance(c, tuple) else c) == plain and type(c) is not bool for c in constants):
            found.append((name, repr(value)[:60]))
    return found


def _method(code: str, selector: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """``def selector`` in ``code``; None when the code does not parse or has no such method."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    return next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == selector), None)


def names_slot(intent: str, name: str) -> bool:
    """Does ``intent`` name the slot ``name``: as ``self.name``, as ``the name slot``/``slot name``, or, for a
    name only code would write (``user_name``), as a word? ("a full name" does not name the slot ``name``.)"""
    word = rf"(?<![\w.]){re.escape(name)}(?![\w])"
    return bool(re.search(rf"\bself\.{re.escape(name)}(?![\w])", intent)
                or re.search(rf"{word}\s+(slot|attribute)\b|\b(slot|attribute)\s+{word}", intent, re.I)
                or ("_" in name.strip("_") and re.search(word, intent)))


def near_slot(name: str, existing: set[str]) -> str | None:
    """The slot in ``existing`` that ``name`` (a slot not in it) is most likely a slip of: the same but for
    case, underscores or a plural ``s``, or one letter off in a name of five letters or more; None if none."""
    if name in existing:
        return None
    plain = name.lower().replace("_", "")
    for other in sorted(existing):
        other_plain = other.lower().replace("_", "")
        if plain == other_plain or plain + "s" == other_plain or plain == other_plain + "s":
            return other
        if min(len(plain), len(other_plain)) >= 5 and _one_edit(plain, other_plain):
            return other
    return None


def _one_edit(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))

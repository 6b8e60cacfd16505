"""What a candidate's source says about its meaning, before it runs (the guardian checks its safety).

:func:`reads_clock`: the method asks the clock or chance (``datetime.now()``, ``time.time()``,
``random.choice``), so its answer differs from run to run and two right candidates agree only on its kind
(:data:`CLOCK_WORDS`: the words of a request for the current time or date; the prompts use them).

:func:`names_slot`: does the request name a slot of the receiver (its probes give that slot other data)?

The refusals read from a source alone (a parameter never read, a named slot never used, a slot's value
copied into the source, ``return self`` where a value was asked for, no clock read for "the current time",
a new slot named like an existing one) were removed: replaying four recorded runs of both models with and without them changed no
outcome (docs/journal/learning.md).
"""

from __future__ import annotations

import ast
import re


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

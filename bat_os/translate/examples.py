"""Examples written in a sentence, as the brief's ``examples`` (plain data, never code).

Read, in the forms people write them::

    "... e.g. add(2, 3) is 5"               a call of the selector and its result
    "so that f(4) returns 24" / "f(4) == 24" / "f(4) -> 24" / "f(4) gives 24"
    "for example 'banana' gives 3"         after "e.g." / "for example" / "for instance" / "such as":
    "e.g. 'Ada Lovelace' gives 'AL'"        one literal argument and its result
    "so -123 gives -321"                   after "so" / "thus" / "i.e.", with a verb of turning into
    "e.g. 5 gives 120 and 3 gives 6"       and those that follow one (", and", ";")

One literal argument is an example of a method called with one argument only
(the kernel keeps the examples of the call's arity: :func:`fits`).

Arguments and results must be Python literals (strings, numbers, lists,
dicts, True/False/None): they are read with :func:`ast.literal_eval`, so
nothing in a sentence is ever run. A call of another name than the
selector is not an example of it, unless every call in the sentence names
one and the same other name (the user's own name for the method).
"""

from __future__ import annotations

import ast
import re

_VERB = r"(?:is|returns|should return|gives|should give|yields|==|->|→|=>|becomes|equals)"
# a literal: a quoted string, a number, a bracketed list or braced map (one level of nesting), a constant
_LITERAL = (r"(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
            r"|\[(?:[^\[\]]|\[[^\[\]]*\])*\]|\{(?:[^{}]|\{[^{}]*\})*\}|True|False|None|true|false|null)")
_CALL = re.compile(rf"(?P<name>[A-Za-z_]\w*)\((?P<args>[^()]*)\)\s*{_VERB}\s*(?P<result>{_LITERAL})")
_BARE = re.compile(
    rf"(?:e\.g\.,?|for example,?|for instance,?|such as|like)\s*:?\s*(?P<arg>{_LITERAL})\s*{_VERB}\s*(?P<result>{_LITERAL})",
    re.IGNORECASE,
)
# "keeping its sign, so -123 gives -321": after "so" or "thus" only a verb of turning into ("so 2 is ..." is prose)
_SO = re.compile(
    rf"\b(?:so|thus|i\.e\.,?)\s+(?P<arg>{_LITERAL})\s*(?:gives|should give|becomes|yields|returns|should return|->|→|=>)\s*"
    rf"(?P<result>{_LITERAL})",
    re.IGNORECASE,
)
# "... -123 gives -321 and 120 gives 21": the examples that follow one, joined by "and", a comma or a semicolon
_MORE = re.compile(rf"\s*(?:[,;]\s*(?:and\s+)?|\s+and\s+)(?P<arg>{_LITERAL})\s*{_VERB}\s*(?P<result>{_LITERAL})", re.IGNORECASE)
_JSON_WORDS = {"true": "True", "false": "False", "null": "None"}
MAX_FOUND = 20


def _literal(text: str) -> object:
    text = _JSON_WORDS.get(text, text)
    value = ast.literal_eval(text)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, (set, frozenset, bytes, complex)):
        raise ValueError("not plain data")
    return value


def _call(arguments: str) -> tuple[list, dict] | None:
    try:
        node = ast.parse(f"f({arguments})", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(node, ast.Call):
        return None
    try:
        args = [_literal(ast.unparse(a)) for a in node.args]
        kwargs = {k.arg: _literal(ast.unparse(k.value)) for k in node.keywords if k.arg}
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None
    if len(kwargs) != len(node.keywords) or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    return args, kwargs


def sentence_examples(sentence: str, selector: str = "") -> list[dict]:
    """The examples ``sentence`` gives of ``selector`` (any name when it is ""), in order, without repeats."""
    found: list[dict] = []
    covered: list[tuple[int, int]] = []
    calls = list(_CALL.finditer(sentence))
    names = {m.group("name") for m in calls}
    if selector and selector not in names and len(names) == 1:
        selector = ""  # the sentence's examples all call one name, not the selector made for it: still its examples
    for match in calls:
        if selector and match.group("name") != selector:
            continue
        call = _call(match.group("args"))
        if call is None:
            continue
        try:
            result = _literal(match.group("result"))
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            continue
        found.append({"args": call[0], "kwargs": call[1], "result": result})
        covered.append(match.span())
    bare = sorted([*_BARE.finditer(sentence), *_SO.finditer(sentence)], key=lambda m: m.start())
    for match in bare:
        while match is not None:
            if any(start <= match.start("arg") < end for start, end in covered):
                break
            covered.append(match.span())
            try:
                arg, result = _literal(match.group("arg")), _literal(match.group("result"))
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                break
            found.append({"args": [arg], "kwargs": {}, "result": result})
            match = _MORE.match(sentence, match.end())
    unique: list[dict] = []
    for example in found:
        if example not in unique:
            unique.append(example)
    return unique[:MAX_FOUND]


def fits(examples: list[dict], args: list, kwargs: dict) -> list[dict]:
    """The examples called as the request is: as many arguments, the same keywords (a sentence's "e.g. 'ab' gives 2"
    is no example of a method of two arguments)."""
    arity = (len(args), sorted(kwargs))
    return [e for e in examples if (len(e.get("args", [])), sorted(e.get("kwargs", {}))) == arity]

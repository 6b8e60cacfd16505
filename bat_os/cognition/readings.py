"""Which text a candidate wrote, and in which way of asking: what :mod:`bat_os.cognition.selection` counts as
one reading of the request, and what the orchestrator counts as a sample that brought nothing new."""

from __future__ import annotations

import ast


def reading(record: dict, index: int) -> str:
    """What a candidate's source says, its layout, comments and docstrings aside, and the way of asking it
    answered (the two alternate by attempt, :func:`wording`; "wording" below means that): two
    candidates with the same reading are one reading sampled twice, not two that agree; the same source from
    the two wordings is two readings that met. A record without code (or code that does not parse) is a
    reading of its own."""
    try:
        tree = ast.parse(record["code"])
    except (KeyError, TypeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return f"#{index}"
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    wording_ = wording(record)
    return f"{index if wording_ is None else wording_}:{ast.dump(tree)}"


def source(record: dict, index: int) -> str:
    """:func:`reading` without the way of asking: the same text in either voice is one source."""
    return reading(record, index).partition(":")[2]


def repeats(records: list[dict]) -> int:
    """How many of the candidates repeated the source of an earlier one (layout, comments and docstrings aside,
    in either wording): samples that brought nothing new."""
    seen: set[str] = set()
    count = 0
    for index, record in enumerate(records):
        text = source(record, index)
        count += bool(text) and text in seen
        seen.add(text)
    return count


def wording(record: dict) -> int | None:
    """Which of the two ways of asking the candidate answered: the attempts alternate them (two voices,
    :func:`bat_os.cognition.prompts.synthesis_voice`; in cycles recorded before, two wordings), so it is the
    attempt's parity; None for a record that does not say its attempt."""
    return (record["attempt"] - 1) % 2 if isinstance(record.get("attempt"), int) else None


def wordings(records: list[dict], members: list[int]) -> set[int]:
    """The wordings ``members`` answered (a record that does not say its attempt adds none)."""
    return {w for w in (wording(records[m]) for m in members) if w is not None}

"""What the cycle reads out of a model's reply: a list of research queries, a method's source.

Small models wrap what they are asked for in prose and fences; these find it.
"""

from __future__ import annotations

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

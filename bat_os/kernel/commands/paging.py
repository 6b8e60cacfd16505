"""Reading a long list in pages: the one way every command that lists what the kernel holds does it.

A request may carry ``offset`` (where the page starts, default 0) and ``limit`` (how many items, default the
command's own, at most :data:`MAX_LIMIT`). The reply carries the page's items under the command's own key and
beside them ``offset``, ``limit`` and ``total`` (how many there are in all)::

    {"command": "methods", "target": "genesis_obj", "offset": 0, "limit": 100}
        -> {"target": "0x01", "methods": [... at most 100 ...], "offset": 0, "limit": 100, "total": 250}

The next page starts at ``offset + limit``; there is none once that reaches ``total``. An offset past the end is an
empty page, not an error. A negative offset, a limit below 1 or over :data:`MAX_LIMIT`, or either not an integer:
``bad_request``, and nothing is read. A page is read in one transaction; pages read in turn may see a list that
changed between them (``total`` says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from bat_os.errors import BadRequest
from bat_os.kernel.commands.base import field

DEFAULT_LIMIT = 1000  # the items a page holds when the request does not say
MAX_LIMIT = 10_000  # the most a request may ask for: larger pages make replies that stall the kernel's socket
MAX_OFFSET = 10**12


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int

    def take(self, items: Iterable[Any]) -> list:
        """This page's items of ``items`` (a sequence is sliced; anything else is walked to the page's end)."""
        if hasattr(items, "__getitem__") and hasattr(items, "__len__"):
            return list(items[self.offset:self.offset + self.limit])
        page = []
        for i, item in enumerate(items):
            if i >= self.offset + self.limit:
                break
            if i >= self.offset:
                page.append(item)
        return page

    def fields(self, total: int) -> dict:
        """What a paged reply carries beside its items."""
        return {"offset": self.offset, "limit": self.limit, "total": total}


def page_of(request: dict, default: int = DEFAULT_LIMIT) -> Page:
    """The page a request asks for (``bad_request`` for a bad ``offset`` or ``limit``)."""
    offset = field(request, "offset", int, default=0)
    limit = field(request, "limit", int, default=default)
    if not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"'offset' must be between 0 and {MAX_OFFSET}, not {offset}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"'limit' must be between 1 and {MAX_LIMIT}, not {limit}")
    return Page(offset, limit)

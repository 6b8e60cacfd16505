"""The arcs a method's own code took in one case: ``[from_line, to_line]`` pairs, as coverage.py counts branches.

:class:`Arcs` is a ``sys.settrace`` hook of the worker's (the method cannot reach it: RestrictedPython refuses
``sys`` and every ``_`` name). Only frames of the method's own source are followed (its file is named
``<method SELECTOR DIGEST>`` by :func:`~.namespace.compiled`): a helper it defines, a comprehension, a lambda; not
another method it sends to. Entering a frame is the arc ``(-first_line, line)``, leaving it ``(line, -first_line)``:
an early ``return`` and a ``raise`` are arcs of their own. At most :data:`MAX_ARCS` distinct arcs are kept per case.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

MAX_ARCS = 2000  # distinct arcs kept for one case: a method the size a person asks for has far fewer


class Arcs:
    """``with Arcs(prefix) as arcs:`` records the arcs of code whose file name starts with ``prefix``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.taken: set[tuple[int, int]] = set()

    def __enter__(self) -> "Arcs":
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)

    def sorted(self) -> list[list[int]]:
        return [list(arc) for arc in sorted(self.taken)]

    def _call(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event != "call" or not frame.f_code.co_filename.startswith(self.prefix):
            return None
        first = frame.f_code.co_firstlineno
        last = -first
        taken = self.taken

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            nonlocal last
            if len(taken) < MAX_ARCS:
                if event == "line":
                    taken.add((last, frame.f_lineno))
                    last = frame.f_lineno
                elif event == "return":
                    taken.add((last, -first))
            return local

        return local

"""The receiver as each test case sees it: its slots with the case's ``given`` values, writes kept apart.

:class:`CaseHost` wraps the trial's :class:`~bat_os.cognition.host.ImageHost`
for a run of cases (:meth:`bat_os.jail.runner.Jail.run_cases`). The jail calls
:meth:`begin_case` before each case; from then on the receiver's slots read
through the case's overlay (its ``given`` values, then what the case wrote)
and writes to the receiver land in the overlay only, so no case sees
another's writes; a candidate that calls itself through ``self`` finds
itself, as it will once installed. What the receiver holds after a case (:meth:`slots_after`)
is what its ``slots`` expectations are judged against. Writes to other
objects and system methods go to the trial's view of the image, which is
aborted after the run whatever happens.
"""

from __future__ import annotations

import copy
from typing import Any


class CaseHost:
    def __init__(self, inner: Any, cases: list[dict], candidate: tuple[str, str] | None = None,
                 helpers: dict[str, str] | None = None) -> None:
        self.inner = inner
        self.candidate = candidate  # (selector, source): the method on trial, not installed yet
        self.helpers = helpers or {}  # selector -> source: a plan's helpers, held by its parts, not installed yet
        self.cases = cases
        self.overlays: list[dict[str, Any]] = [{} for _ in cases]
        self.current: dict[str, Any] = {}
        self._given = {name for case in cases for name in (case.get("given") or {})}

    def begin_case(self, index: int) -> None:
        if not 0 <= index < len(self.cases):
            raise IndexError(f"no case {index}")
        self.current = copy.deepcopy(self.cases[index].get("given") or {})
        self.overlays[index] = self.current
        capabilities = getattr(self.inner, "capabilities", None)
        if capabilities is not None:
            capabilities.new_case()

    def get_slot(self, ref: str, name: str) -> tuple[str, Any]:
        if ref == "self" and name in self.current:
            return "value", copy.deepcopy(self.current[name])
        if ref == "self" and self.candidate is not None and name == self.candidate[0]:
            # a candidate that calls itself (self.factorial(n - 1)) finds itself, as it will once installed, not a
            # version it is to replace (a relearn)
            return "generated", {"source": self.candidate[1], "selector": name}
        if ref == "self" and name in self.helpers:  # a plan's helper, as it will be once installed with the method
            return "generated", {"source": self.helpers[name], "selector": name}
        return self.inner.get_slot(ref, name)

    def set_slot(self, ref: str, name: str, value: Any) -> None:
        if ref == "self":
            if not isinstance(name, str) or name.startswith("_"):
                raise KeyError(name)
            self.current[name] = value
            return
        self.inner.set_slot(ref, name, value)

    def send(self, ref: str, selector: str, args: list, kwargs: dict) -> Any:
        return self.inner.send(ref, selector, args, kwargs)

    def capability(self, name: str, args: list, kwargs: dict) -> Any:
        return self.inner.capability(name, args, kwargs)

    def snapshot(self, ref: str) -> dict[str, Any]:
        """The inner host's, less the slots any case gives (those are read through the overlay)."""
        offer = getattr(self.inner, "snapshot", None)
        found = offer(ref) if offer is not None else {}
        return {k: v for k, v in found.items() if k not in self._given}

    def changed(self, index: int) -> dict[str, Any]:
        """The slots case ``index`` changed: its writes whose values differ from what the slot held before (the
        case's ``given``, else the image's). A slot written again with what it held changed nothing a person can
        see (two candidates, one writing a list slot back unchanged, were asked about as two
        choices that looked the same)."""
        given = self.cases[index].get("given") or {}
        out: dict[str, Any] = {}
        for name, value in self.overlays[index].items():
            if name in given:
                before: Any = given[name]
            else:
                try:
                    kind, before = self.inner.get_slot("self", name)
                except (KeyError, AttributeError):
                    kind = None
                if kind != "value":
                    out[name] = value
                    continue
            if value != before or type(value) is not type(before):
                out[name] = value
        return out

    def slots_after(self, index: int, names: list[str]) -> dict[str, Any]:
        """The receiver's values of ``names`` after case ``index``: its writes, else the image's."""
        overlay = self.overlays[index]
        out: dict[str, Any] = {}
        for name in names:
            if name in overlay:
                out[name] = overlay[name]
                continue
            try:
                kind, value = self.inner.get_slot("self", name)
            except (KeyError, AttributeError):
                continue
            if kind == "value":
                out[name] = value
        return out

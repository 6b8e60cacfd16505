"""A change to a learned method, tried before it is made: its own cases and its callers' cases, in the jail.

An edit, a revert or a removal of a method on an object may break what the
object already does. :func:`try_change` puts the change in place in a view of
the image that is always aborted, then runs in the jail (one run per method):

* the changed method's tests (the cases given with the change, and those its
  current version keeps, or the old version's for a revert), when it stays;
* the stored tests of every method of the same object that sends it
  (``self.<selector>(...)``: :func:`callers`), which now reach the new
  version, or nothing at all after a removal.

It answers every case that does not hold; the caller decides (refuse, or make
the change anyway when forced). Nothing it runs stays in the image.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable

from bat_os.cognition.capabilities import grants_of, used_by
from bat_os.cognition.cases import describe
from bat_os.cognition.retest import run_tests, stored_tests
from bat_os.image import transact
from bat_os.image.image import Image
from bat_os.image.objects import Method, UvmObject
from bat_os.jail.runner import JailRunner


@dataclass(frozen=True)
class Failure:
    """A case that does not hold after the change: whose (``selector``), which (``case``), why (``message``)."""

    selector: str
    case: dict | None
    message: str
    own: bool  # a case of the changed method itself (False: of a caller)

    def to_dict(self) -> dict[str, Any]:
        return {"selector": self.selector, "message": self.message,
                **({"case": describe(self.case, self.selector)} if self.case else {})}


def sends(source: str, selector: str) -> bool:
    """Does ``source`` send ``selector`` to its receiver (``self.selector``)?"""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Attribute) and node.attr == selector
               and isinstance(node.value, ast.Name) and node.value.id == "self" for node in ast.walk(tree))


def callers(obj: UvmObject, selector: str) -> list[tuple[str, Method]]:
    """The generated methods of ``obj`` itself (not its parents) that send ``selector`` to ``self``."""
    return [(name, method) for name, method in sorted(obj.own_methods().items())
            if name != selector and method.origin != "system" and sends(method.source, selector)]


async def try_change(image: Image, jail: JailRunner, oid: bytes, selector: str, source: str | None,
                     tests: list[dict], capabilities_for: Callable[..., Any] | None = None) -> tuple[int, list[Failure]]:
    """Try ``selector`` on the object ``oid`` as ``source`` (None: removed) against ``tests`` (its own cases)
    and its callers' stored tests; ``(cases run, failures)``. The view it used is aborted. ``capabilities_for``:
    what each run may use (the new source's names, a caller's grants); None: nothing."""
    tm, conn = pair = image.acquire()

    async def attempt() -> tuple[int, list[Failure]]:
        receiver = conn.get(oid)
        if source is None:
            receiver.slots.pop(selector, None)
        else:
            receiver.slots[selector] = Method(selector, source, origin="generated", author="architect")
        plan = [(selector, source, tests, True, used_by(source))] if source is not None and tests else []
        plan += [(name, method.source, stored_tests(method), False, grants_of(method))
                 for name, method in callers(receiver, selector)]
        ran, failures = 0, []
        for name, code, cases, own, grants in plan:
            if not cases:
                continue
            ran += len(cases)
            capabilities = (capabilities_for(grants + used_by(source or ""), f"{name} (a change tried)")
                            if capabilities_for is not None else None)
            failures += [Failure(name, case, why, own)
                         for case, why in await run_tests(jail, conn, receiver, name, code, cases, capabilities)]
        return ran, failures

    try:
        return await transact.run_async(tm, attempt, write=False)
    finally:
        image.release(pair)

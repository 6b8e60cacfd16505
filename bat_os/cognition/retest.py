"""The tests an installed method keeps, run again: do its examples and accepted cases still hold?

A generated method installed by a cycle keeps ``provenance["tests"]``
(:func:`bat_os.cognition.specs.kept_tests`): the user's examples and the
generated cases it passed. :func:`rerun` runs each method's cases in ONE
jailed run against the receiver as it is now (through a
:class:`~bat_os.cognition.casehost.CaseHost`, in a transaction that is always
aborted: nothing a test does stays) and reports every case that no longer
holds: its slot data may have changed under it, or the code it calls.
``selfcheck`` with ``"tests": true`` uses it.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from bat_os.cognition.capabilities import grants_of
from bat_os.cognition.casehost import CaseHost
from bat_os.cognition.cases import judge
from bat_os.cognition.host import ImageHost
from bat_os.errors import JailError
from bat_os.image import transact
from bat_os.image.codec import render
from bat_os.image.image import Image
from bat_os.image.objects import Method, UvmObject
from bat_os.jail.runner import MAX_CASES, JailRunner


def stored_tests(method: Method) -> list[dict]:
    """The examples and cases a generated method keeps (plain dicts), examples first."""
    provenance = getattr(method, "provenance", None) or {}
    tests = provenance.get("tests") if hasattr(provenance, "get") else None
    if not tests:
        return []
    plain = render(tests)  # persistent containers in the image; plain data for the jail
    return [dict(c) for c in list(plain.get("examples") or []) + list(plain.get("cases") or [])][:MAX_CASES]


async def rerun(image: Image, jail: JailRunner, targets: list[tuple[bytes, str, str]],
                capabilities_for: Callable[..., Any] | None = None,
                between: Callable[[], Awaitable[None]] | None = None) -> tuple[int, list[dict]]:
    """``targets``: (receiver oid, where, selector). -> (cases run, failures as selfcheck lists them).
    ``capabilities_for(grants)``: what a method's run may use (what its provenance grants); None: nothing.
    ``between``: awaited before each method's run (the heartbeat waits there while users are served)."""
    ran = 0
    failures: list[dict] = []
    for oid, where, selector in targets:
        if between is not None:
            await between()
        tm, conn = pair = image.acquire()

        async def check(oid: bytes = oid, where: str = where, selector: str = selector) -> tuple[int, list[dict]]:
            receiver = conn.get(oid)
            method = receiver.slots.get(selector) if isinstance(receiver, UvmObject) else None
            if not isinstance(method, Method):
                return 0, []
            cases = stored_tests(method)
            if not cases:
                return 0, []
            whys = await run_tests(jail, conn, receiver, selector, method.source, cases,
                                   capabilities_for(grants_of(method), f"{selector} (tests)") if capabilities_for is not None else None)
            return len(cases), [_failure(where, selector, why if why.startswith("its tests could not run")
                                         else f"a stored test no longer holds: {why}") for _case, why in whys]

        try:
            count, found = await transact.run_async(tm, check, write=False)
        finally:
            image.release(pair)
        ran += count
        failures.extend(found)
    return ran, failures


async def run_tests(jail: JailRunner, conn: Any, receiver: UvmObject, selector: str, source: str,
                    cases: list[dict], capabilities: Any = None) -> list[tuple[dict | None, str]]:
    """Run ``source`` (the method ``selector``) on ``receiver`` of ``conn``'s view against ``cases`` in ONE jailed
    run; ``(case, why)`` for each case that does not hold (``(None, why)`` when the run itself failed). The
    caller's transaction must be one that is aborted: a case's writes to other objects land in it."""
    host = CaseHost(ImageHost(conn, receiver, jail=jail, capabilities=capabilities), cases)
    try:
        outcomes = await jail.run_cases(source, selector, cases, host)
    except JailError as exc:
        return [(None, f"its tests could not run: {type(exc).__name__}: {exc}")]
    found = []
    for index, (case, outcome) in enumerate(zip(cases, outcomes)):
        after = host.slots_after(index, list(case.get("slots") or {})) if case.get("slots") else None
        why = judge(case, outcome, after, selector)
        if why:
            found.append((case, why))
    return found


def _failure(where: str, selector: str, message: str) -> dict[str, Any]:
    return {"check": "tests", "object": where, "selector": selector, "origin": "generated", "message": message}

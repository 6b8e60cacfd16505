"""A learned method's stored tests: run again, tried against a change, and written for a method that has none.

A method installed by a cycle keeps ``provenance["tests"]``: the person's examples and the generated cases it passed.
Every use runs them the same way, :func:`run_tests`: one jailed run against its cases, on the receiver as it is now
(each case through a :class:`~bat_os.cognition.methods.host.CaseHost`), in a view that is always aborted
(:func:`in_view`): nothing a test does stays.

- :func:`rerun` (``selfcheck`` with tests, the heartbeat): does every case still hold?
- :func:`try_change` (an edit, revert, removal or relearn): the changed method's cases, and the stored cases of the
  object's methods that send it (:func:`callers`); the caller decides what a failure means.
- :func:`write_cases` (the heartbeat): BRICK writes assert lines for a method that keeps none (read as data, never
  run); those it passes are kept by installing the same source as its next version (``change: "cases"``).
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

from bat_os.cognition.author import replies
from bat_os.cognition.author.prompts import CASE_WRITER, cases_prompt
from bat_os.cognition.judge.cases import accept_cases, describe, judge
from bat_os.cognition.methods.capabilities import grants_of, used_by
from bat_os.cognition.methods.host import CaseHost, ImageHost
from bat_os.errors import JailError
from bat_os.image import transact
from bat_os.image.codec import render
from bat_os.image.history import history_of
from bat_os.image.image import Image
from bat_os.image.objects import Method, UvmObject
from bat_os.jail.runner import MAX_CASES, JailRunner
from bat_os.models.backends import LLM

logger = logging.getLogger(__name__)

T = TypeVar("T")
WRITER = CASE_WRITER  # who writes cases for a method that has none: the case writer of the cycles


def stored_tests(method: Method) -> list[dict]:
    """The examples and cases a generated method keeps (plain dicts), examples first."""
    provenance = getattr(method, "provenance", None) or {}
    tests = provenance.get("tests") if hasattr(provenance, "get") else None
    if not tests:
        return []
    plain = render(tests)  # persistent containers in the image; plain data for the jail
    return [dict(c) for c in list(plain.get("examples") or []) + list(plain.get("cases") or [])][:MAX_CASES]


async def in_view(image: Image, work: Callable[[Any], Awaitable[T]]) -> T:
    """``work(connection)`` on a pooled connection of the image's, in a transaction that is always aborted."""
    tm, conn = pair = image.acquire()
    try:
        return await transact.run_async(tm, lambda: work(conn), write=False)
    finally:
        image.release(pair)


async def run_tests(jail: JailRunner, conn: Any, receiver: UvmObject, selector: str, source: str,
                    cases: list[dict], capabilities: Any = None) -> list[tuple[dict | None, str]]:
    """Run ``source`` (the method ``selector``) on ``receiver`` of ``conn``'s view against ``cases`` in ONE jailed
    run; ``(case, why)`` for each case that does not hold (``(None, why)`` when the run itself failed). The caller's
    transaction must be one that is aborted: a case's writes to other objects land in it."""
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


# --- run again ------------------------------------------------------------------------------------
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

        async def check(conn: Any, oid: bytes = oid, where: str = where, selector: str = selector) -> tuple[int, list[dict]]:
            receiver = conn.get(oid)
            method = receiver.slots.get(selector) if isinstance(receiver, UvmObject) else None
            cases = stored_tests(method) if isinstance(method, Method) else []
            if not cases:
                return 0, []
            whys = await run_tests(jail, conn, receiver, selector, method.source, cases,
                                   capabilities_for(grants_of(method), f"{selector} (tests)") if capabilities_for is not None else None)
            return len(cases), [{"check": "tests", "object": where, "selector": selector, "origin": "generated",
                                 "message": why if why.startswith("its tests could not run")
                                 else f"a stored test no longer holds: {why}"} for _case, why in whys]

        count, found = await in_view(image, check)
        ran += count
        failures.extend(found)
    return ran, failures


# --- a change tried first ------------------------------------------------------------------------
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
    and its callers' stored tests; ``(cases run, failures)``. ``capabilities_for``: what each run may use (the new
    source's names, a caller's grants); None: nothing."""
    async def attempt(conn: Any) -> tuple[int, list[Failure]]:
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

    return await in_view(image, attempt)


# --- cases for a method that has none ------------------------------------------------------------
def positional_count(source: str, selector: str) -> int | None:
    """How many arguments the method takes after ``self`` (None: not a plain def of ``selector``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == selector:
            if node.args.vararg or node.args.kwarg or node.args.kwonlyargs:
                return None
            return max(0, len(node.args.posonlyargs) + len(node.args.args) - 1 - len(node.args.defaults))
    return None


def self_attributes(source: str) -> set[str]:
    """The attributes of ``self`` the source names (``self.items`` -> items)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"}


def untested(obj: UvmObject) -> list[str]:
    """The selectors of ``obj``'s generated methods that keep no stored cases."""
    return [s for s, m in sorted(obj.own_methods().items()) if m.origin == "generated" and not stored_tests(m)]


async def write_cases(image: Image, llm: LLM, jail: JailRunner, oid: bytes, selector: str,
                      capabilities_for: Callable[..., Any] | None = None) -> dict:
    """Ask, check and keep cases for ``selector`` on the object ``oid``: ``{"selector", "written", "kept", "version"}``."""
    def read() -> dict | None:
        receiver = image.connection.get(oid)
        method = receiver.slots.get(selector) if isinstance(receiver, UvmObject) else None
        if not isinstance(method, Method) or stored_tests(method):
            return None
        plain = {k: render(v) for k, v in receiver.slots.items() if not isinstance(v, Method)}
        slots = {k: repr(v)[:200] for k, v in plain.items() if isinstance(v, (str, int, float, bool, list, dict, type(None)))}
        return {"source": method.source, "slots": slots, "grants": grants_of(method)}

    found = image.read(read)
    if found is None:
        return {"selector": selector, "written": 0, "kept": 0, "version": None}
    read_slots = self_attributes(found["source"]) & set(found["slots"])  # the data the method reads: shown, and cases
    found["slots"] = {k: v for k, v in found["slots"].items() if k in read_slots}  # that set it are read one by one
    arity = positional_count(found["source"], selector)
    if arity is None:
        return {"selector": selector, "written": 0, "kept": 0, "version": None, "why": "its parameters are not plain"}
    completion = await llm.complete(WRITER, cases_prompt(selector, found["source"], found["slots"]), until_block=True)
    raw = replies.extract_cases(completion.text, selector, stateful=bool(found["slots"]))
    cases, _dropped = accept_cases(raw, {"selector": selector, "args": [None] * arity, "kwargs": {}}, set(found["slots"]))
    if not cases:
        return {"selector": selector, "written": len(raw), "kept": 0, "version": None}

    async def check(conn: Any) -> list:
        caps = capabilities_for(found["grants"], f"{selector} (cases)") if capabilities_for is not None else None
        return await run_tests(jail, conn, conn.get(oid), selector, found["source"], cases, caps)

    failing = await in_view(image, check)
    if any(case is None for case, _why in failing):  # the run itself failed: nothing is known
        return {"selector": selector, "written": len(raw), "kept": 0, "version": None, "why": failing[0][1][:300]}
    wrong = [case for case, _why in failing]
    holding = [c for c in cases if c not in wrong]
    if not holding:
        return {"selector": selector, "written": len(raw), "kept": 0, "version": None}

    def keep() -> int | None:
        receiver = image.connection.get(oid)
        current = receiver.slots.get(selector)
        if not isinstance(current, Method) or current.source != found["source"] or stored_tests(current):
            return None  # changed meanwhile: what was checked is not what is there
        provenance = dict(render(current.provenance or {}))
        provenance.update(tests={"examples": [], "cases": holding, "discarded": []}, grants=used_by(current.source),
                          cases_by=WRITER, cases_model=completion.model, asked_by="heartbeat")
        method = receiver.add_method(selector, current.source, author=WRITER, origin="generated", change="cases",
                                     provenance=provenance)
        return history_of(receiver, selector).number_of(method)

    version = image.run(keep, note=f"heartbeat: cases for {selector}")
    return {"selector": selector, "written": len(raw), "kept": len(holding) if version else 0, "version": version}

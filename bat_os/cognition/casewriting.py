"""Cases for a method that has none (the heartbeat's ``cases`` action): written by BRICK, kept if they hold.

A learned method keeps the examples and the cases it passed; a method set by
hand without cases keeps nothing, so nothing would notice if a later change of
the object's data or of a method it calls broke it. Here BRICK is shown the
method's source and asked for assert lines (:func:`cases_prompt`); they are
read as data (:func:`bat_os.cognition.replies.extract_cases`, never run as
written), fitted to the method's parameters (:func:`bat_os.cognition.specs.accept_cases`),
then run in the jail against the method as the object is now, in a
transaction that is aborted. Those the method passes describe what it does
today: they are kept as the method's stored cases by installing the same
source as its next version (``change: "cases"``, author BRICK), so the
history says when and by whom, and every version stays as it was. Nothing
is kept when none holds, or when the method changed meanwhile.
"""

from __future__ import annotations

import ast
import logging
from typing import Any, Callable

from bat_os.cognition import replies, specs
from bat_os.cognition.capabilities import grants_of, used_by
from bat_os.cognition.retest import run_tests, stored_tests
from bat_os.image import transact
from bat_os.image.codec import render
from bat_os.image.history import history_of
from bat_os.image.image import Image
from bat_os.image.objects import Method, UvmObject
from bat_os.jail.runner import JailRunner
from bat_os.models.backends import LLM

logger = logging.getLogger(__name__)

WRITER = "BRICK"
ASKED = 5


def cases_prompt(selector: str, source: str, slots: dict) -> str:
    """BRICK's prompt: the method, the object's data slots, and the assert lines asked for."""
    lines = [f"Here is the Python method {selector} of a BAT OS object:", "```python", source.rstrip(), "```"]
    if slots:
        lines.append("The object's data slots now, attributes of self:")
        lines.extend(f"obj.{name} = {text}" for name, text in slots.items())
    lines.extend([
        f"Write {ASKED} assert lines that test it. Each calls obj.{selector} with literal arguments and compares the "
        "result with the exact answer the method gives, worked out step by step:",
        f"assert obj.{selector}(<arguments>) == <the answer>",
        "Answer with the asserts in one ```python block.",
    ])
    return "\n".join(lines)


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
    cases, _dropped = specs.accept_cases(raw, {"selector": selector, "args": [None] * arity, "kwargs": {}},
                                         set(found["slots"]))
    if not cases:
        return {"selector": selector, "written": len(raw), "kept": 0, "version": None}
    tm, conn = pair = image.acquire()
    try:
        async def check() -> list:
            receiver = conn.get(oid)
            caps = capabilities_for(found["grants"], f"{selector} (cases)") if capabilities_for is not None else None
            return await run_tests(jail, conn, receiver, selector, found["source"], cases, caps)

        failing = await transact.run_async(tm, check, write=False)
    finally:
        image.release(pair)
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

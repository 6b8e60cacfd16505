"""Plans: a request too hard to write whole, learned in parts, each part a cycle of its own (Parsel's way).

When no candidate holds the person's examples and answers after the first round, or the candidates split into
more readings than one question can show (:func:`wanted`), the cycle moves to PLANNING. BRICK proposes a plan
(:func:`plan_prompt`, :func:`read_plan`): 2 to :data:`MAX_HELPERS` helper methods, each a ``def`` line with a
one-line purpose and one example call with its answer, and the method itself in terms of them::

    {"helpers": [{"name": "parse_field", "params": ["text"], "purpose": "...", "example": {"args": [...], "result": ...},
                  "cycle": "c7"}], "attempts_before": 4}

Each helper is learned by a *part*: a cycle of its own on the same receiver (its brief's ``part_of`` names the
parent), with its own cases, conditions and questions (shown to the person as the parent's), whose example is the
plan's. A part that chooses a method *holds* it (``held`` in its artifacts) instead of installing it. When every
part holds, the parent goes back to SYNTHESIZING: its author is shown the helpers (:func:`prompt_lines`), its
candidates run with them (:func:`pending`), and COMPLETE installs the helpers and the method in one transaction.
A part that fails fails the plan, and the parent with it: nothing is installed, nothing half. A helper named like a
method the receiver already has is learned under another name (:func:`free_name`): nothing is overwritten. After a
crash the parent resumes its plan (a part that was running runs on) or, with ``cycle_resume = fail``, fails with
its parts. Parts never plan: a plan is one level deep.
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import Any

from bat_os.cognition.capabilities import used_by
from bat_os.cognition.cases import BadCase, call_arguments, parse_case
from bat_os.cognition.prompts import brief_intent, describe_example, parameter_names
from bat_os.cognition.replies import extract_cases, extract_code
from bat_os.cognition.views import answers
from bat_os.errors import CycleFailed, LLMError
from bat_os.image.codec import render

PLANNER = "BRICK"  # who proposes the plan
MIN_HELPERS, MAX_HELPERS = 2, 4
PLAN_AFTER = 4  # candidates written (the first round) before a plan may replace writing the whole
READINGS = 4  # more readings than this: one question cannot show them all
PART_ATTEMPTS = 6  # candidates a part may write (a helper is a smaller request)
TOP_ATTEMPTS = 4  # candidates the method may write once its parts hold


def budget(info: dict, max_attempts: int) -> int:
    """The candidates left to write before the cycle must choose among those there are: ``max_attempts`` for a whole
    request, :data:`PART_ATTEMPTS` for a part, :data:`TOP_ATTEMPTS` more for the method once its plan's parts hold."""
    if info["part_of"]:
        return min(PART_ATTEMPTS, max_attempts) - info["attempt"]
    if info["plan"].get("attempts_before") is not None:
        return min(TOP_ATTEMPTS, max_attempts) - (info["attempt"] - info["plan"]["attempts_before"])
    return max_attempts - info["attempt"]


def wanted(records: list[dict], clusters: int, info: dict, *, enabled: bool) -> bool:
    """Is it time for a plan (``info``: the cycle's validation info)? After the first round (:data:`PLAN_AFTER`
    candidates), when no candidate holds the trial and the person's examples and answers, or when the candidates
    split into more than :data:`READINGS` readings; never twice, never in a part, never for a method of no argument
    (nothing to split)."""
    if not enabled or info["attempt"] < PLAN_AFTER or info["plan"] or info["part_of"]:
        return False
    if not (info["args"] or info["kwargs"]):
        return False
    return not any(r.get("eligible") for r in records) or clusters > READINGS


def plan_prompt(brief: dict, examples: list[dict]) -> str:
    """The planner's prompt: the request, its call, the person's examples, and the plan as a form to fill in (a small
    model asked for a plan in words wrote the whole method with nested functions; given the form, it fills it)."""
    selector = brief["selector"]
    args, kwargs = brief.get("args", []), brief.get("kwargs", {})
    call = call_arguments(args, kwargs)
    lines = [f"The Python method {selector} of an object is wanted: {brief_intent(brief).rstrip('.')}.",
             f"It is called like this: obj.{selector}({call})"]
    if examples:
        lines.append("Examples that must hold:")
        lines.extend(f"- {describe_example(e, selector)}" for e in examples[:6])
    lines.extend([
        f"It is too hard to write in one piece. Plan it as {MIN_HELPERS} or 3 helper methods of the same object, each "
        f"doing one part of the work, and {selector} calling them. Fill in this form: for each helper its name, its "
        "parameters, a docstring of one line saying what it does and one example call with its exact answer (no code "
        f"in the helpers yet), then {selector} itself in a line or two that calls them. No class.",
        "```python",
    ])
    for number in (1, 2):
        lines.extend([f"def <helper {number}>(self, <parameters>):", '    """<what it does>"""',
                      f"    # example: self.<helper {number}>(<literal arguments>) == <its answer>", ""])
    parameters = ", ".join(["self", *parameter_names(args, kwargs)])
    lines.extend([f"def {selector}({parameters}):", "    <the method, calling self.<helper 1>(...) and self.<helper 2>(...)>",
                  "```", "Answer with the filled-in plan in one ```python block."])
    return "\n".join(lines)


_DEF = re.compile(r"^[ \t]*def[ \t]+(?P<name>\w+)[ \t]*\((?P<params>[^)]*)\)[^:\n]*:", re.M)
_DOC = re.compile(r"(?P<q>\"\"\"|\'\'\')(?P<text>.*?)(?P=q)", re.S)


def read_plan(text: str, selector: str) -> list[dict] | str:
    """The helpers a planner's reply proposes (``{"name", "params", "purpose", "example", "code"}``), or why it is no
    plan: fewer than :data:`MIN_HELPERS`, more than :data:`MAX_HELPERS`, two helpers of one name, or one that is not
    a method of plain parameters. Read by its ``def`` lines, never run: a nested function is a helper too (``self``
    added), a name starting with ``_`` none; ``example`` is None where the reply gives none (:func:`read_examples`
    asks for them), ``code`` the helper as the planner wrote it when it wrote more than its docstring (its part's
    first candidate)."""
    code = extract_code(text)
    found = list(_DEF.finditer(code))
    defs = [(m, code[m.start():found[k + 1].start() if k + 1 < len(found) else len(code)]) for k, m in enumerate(found)
            if m.group("name") != selector and not m.group("name").startswith("_")]
    if len(defs) > MAX_HELPERS:
        return f"a plan of {len(defs)} helpers: at most {MAX_HELPERS}"
    helpers: list[dict] = []
    for match, written in defs:
        name = match.group("name")
        params = [p.split(":")[0].split("=")[0].strip() for p in match.group("params").split(",") if p.strip()]
        params = params if params[:1] == ["self"] else ["self", *params]  # a nested function: a method all the same
        if any(not p.isidentifier() for p in params):
            return f"helper {name} is not a method of plain parameters (self, ...)"
        if any(h["name"] == name for h in helpers):
            return f"two helpers are named {name}"
        doc = _DOC.search(written)
        purpose = doc.group("text").strip().splitlines() if doc else []
        helpers.append({"name": name, "params": params[1:], "purpose": purpose[0].strip()[:200] if purpose else name,
                        "example": _example(written.splitlines()[1:], name, len(params) - 1),
                        "code": _written(written, name, params)})
    if len(helpers) < MIN_HELPERS:
        return f"a plan of {len(helpers)} helper(s): at least {MIN_HELPERS}"
    return helpers


def _written(text: str, name: str, params: list[str]) -> str | None:
    """A helper's code as the planner wrote it, as a method (None: its body is only a docstring or a comment)."""
    lines = textwrap.dedent(text).rstrip().splitlines()
    try:
        node = ast.parse("\n".join(lines)).body[0]
    except (SyntaxError, ValueError, RecursionError, MemoryError, IndexError):
        return None
    body = [s for s in getattr(node, "body", []) if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
            and not isinstance(s, ast.Pass)]
    if not isinstance(node, ast.FunctionDef) or not body:
        return None
    lines = lines[:node.end_lineno]  # the helper alone: what follows it at the margin is the plan's, not its code
    lines[0] = f"def {name}({', '.join(params)}):"
    return "\n".join(lines)


def examples_prompt(brief: dict, helpers: list[dict]) -> str:
    """The case writer's prompt for the helpers' examples the plan did not give: one assert each, as a form."""
    lines = [f"The Python method {brief['selector']} of an object is written with these helper methods of the object: "
             f"{brief_intent(brief).rstrip('.')}.",
             "Complete these tests: under each helper, one assert that calls it with literal arguments and its exact "
             "answer, worked out step by step.", "```python"]
    for h in helpers:
        lines.extend([f"# {h['name']}({', '.join(h['params'])}): {h['purpose']}", f"assert obj.{h['name']}("])
    lines.extend(["```", "Answer with the asserts in one ```python block."])
    return "\n".join(lines)


def read_examples(text: str, helpers: list[dict]) -> None:
    """Fill in each helper's missing ``example`` from the case writer's asserts (the first with an answer that calls
    it with its parameters)."""
    for h in helpers:
        if h["example"] is None:
            h["example"] = next(({"args": c["args"], "kwargs": {}, "result": c["result"]}
                                 for c in extract_cases(text, h["name"]) if "result" in c and len(c["args"]) == len(h["params"])
                                 and not c.get("kwargs")), None)


def _example(lines: list[str], name: str, arity: int) -> dict | None:
    """``# example: self.name(args) == answer`` (or ``>>> self.name(args)`` with the answer on the next line)."""
    for k, raw in enumerate(lines):
        line = raw.strip().lstrip("#").strip()
        for prefix in ("example:", "Example:", "e.g.", ">>>"):
            if line.startswith(prefix):
                line = line[len(prefix):].strip()
        if name not in line:
            continue
        if "==" not in line and k + 1 < len(lines) and raw.strip().startswith(">>>"):
            line = f"{line} == {lines[k + 1].strip()}"
        try:
            node = ast.parse(line.replace("obj.", "self.", 1), mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)):
            continue
        call = node.left
        if not (isinstance(call, ast.Call) and (getattr(call.func, "attr", None) or getattr(call.func, "id", None)) == name):
            continue
        try:
            found = parse_case({"args": [ast.literal_eval(a) for a in call.args],
                                "result": ast.literal_eval(node.comparators[0])}, "a helper's example")
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError, BadCase):
            continue
        if len(found["args"]) == arity and not call.keywords:
            return {"args": found["args"], "kwargs": {}, "result": found["result"]}
    return None


def free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3`` ... the first the receiver does not understand (nothing is overwritten)."""
    found, n = name, 2
    while found in taken:
        found, n = f"{name}_{n}", n + 1
    return found


def part_brief(helper: dict, parent: str) -> dict:
    """What a part is asked: the helper's purpose, called as its example is, with the example as the person's."""
    return {"selector": helper["name"], "args": helper["example"]["args"], "kwargs": {},
            "intent": helper["purpose"], "examples": [helper["example"]], "part_of": parent}


def summary(plan: dict) -> list[dict]:
    """A plan as ``cycle`` and the watchers show it: each helper's name, purpose, example and part."""
    return [{k: h[k] for k in ("name", "params", "purpose", "example", "cycle", "renamed") if k in h}
            for h in plan.get("helpers", [])]


class Planner:
    """The PLANNING step of an orchestrator's cycles (:class:`bat_os.cognition.orchestrator.Orchestrator`), and
    what a plan changes in its other steps: a part holds its method, the parent installs its parts' with its own."""

    def __init__(self, orchestrator: Any) -> None:
        self.o = orchestrator

    def begin(self, root: Any, cycle_id: str, records: list[dict], why: str) -> None:
        """To PLANNING: the whole candidates so far set aside (``before_plan``), kept for the record."""
        o = self.o
        cycle = o.records.get(root, cycle_id)
        cycle.artifacts["before_plan"] = records
        cycle.artifacts["candidates"] = []
        cycle.artifacts.pop("wrong", None)  # the whole method it was: the parts start afresh
        cycle.move(o.records.state(root, "PLANNING"), o.now(), why=why)

    async def step(self, cycle_id: str) -> None:
        """Propose the plan (once), learn each part (resuming one a crash interrupted), then back to SYNTHESIZING
        with the helpers its parts hold; a part that fails fails the cycle, nothing installed."""
        o = self.o
        found = o.records.read(lambda root: self._read(o.records.get(root, cycle_id)))
        plan = found["plan"]
        if plan is None:
            try:
                completion = await o._ask(cycle_id, PLANNER, plan_prompt(found["brief"], found["examples"]), until_block=True)
                helpers = read_plan(completion.text, found["brief"]["selector"])
                if not isinstance(helpers, str) and any(h["example"] is None for h in helpers):
                    asked = await o._ask(cycle_id, PLANNER, examples_prompt(found["brief"], helpers), until_block=True)
                    read_examples(asked.text, helpers)
                    missing = [h["name"] for h in helpers if h["example"] is None]
                    helpers = f"no example call of {', '.join(missing)} could be read" if missing else helpers
            except LLMError as exc:
                helpers = f"{PLANNER} gave no plan ({exc})"
            if isinstance(helpers, str):  # the whole method is written on, with what is left of its budget
                why = f"PLANNING: no usable plan: {helpers}"
                return o.records.write(lambda root: self._give_up(root, cycle_id, why))
            taken = set(found["understood"]) | {found["brief"]["selector"]}
            for helper in helpers:  # never overwrite a method the receiver has: learn the part under another name
                name = free_name(helper["name"], taken)
                if name != helper["name"]:
                    helper["renamed"], helper["name"] = helper["name"], name
                    if helper.get("code"):  # the planner's code for it, under its new name
                        helper["code"] = re.sub(rf"^def {helper['renamed']}\b", f"def {name}", helper["code"])
                taken.add(name)
            plan = {"helpers": helpers, "attempts_before": found["attempts"], "model": completion.model}
            o.records.write(lambda root: o.records.get(root, cycle_id).artifacts.__setitem__("plan", plan))
            o._event(cycle_id, {"type": "plan", "cycle": cycle_id, "helpers": summary(plan)})
        for index, helper in enumerate(plan["helpers"]):
            part = helper.get("cycle")
            if part is None:
                part = helper["cycle"] = o.records.write(lambda root, helper=helper, index=index: self._create(root, cycle_id, index, helper))
            state = o.records.read(lambda root, part=part: o.records.get(root, part).state_name)
            if state not in ("COMPLETE", "FAILED"):
                try:
                    await o.drive(part, o._listeners.get(cycle_id), ask=o._askers.get(cycle_id, False))
                except CycleFailed:
                    pass
            held, reasons = o.records.read(lambda root, part=part: (
                render(o.records.get(root, part).artifacts.get("held")), list(o.records.get(root, part).reasons)))
            if not held:
                why = f"PLANNING: the part {helper['name']} ({part}) could not be learned, so nothing of the plan is installed"
                return o.records.write(lambda root: o.records.fail(root, cycle_id, [why, *[f"{part}: {r}" for r in reasons[:4]]]))
            helper["code"] = held["code"]
        helpers = [{k: h[k] for k in ("name", "params", "purpose", "example", "cycle", "code")} for h in plan["helpers"]]
        o.records.move(cycle_id, "SYNTHESIZING", helpers=helpers)

    def _give_up(self, root: Any, cycle_id: str, why: str) -> None:
        """No usable plan: back to writing the whole method, its candidates as they were (no second plan)."""
        o = self.o
        cycle = o.records.get(root, cycle_id)
        cycle.artifacts["plan"] = {"unusable": why}
        cycle.artifacts["candidates"] = cycle.artifacts.get("before_plan", [])
        refusals = list(cycle.artifacts.get("refusals", []))
        cycle.artifacts["refusals"] = [*refusals, {"attempt": cycle.attempts, "reasons": [why], "feedback": False}]
        cycle.move(o.records.state(root, "SYNTHESIZING"), o.now(), refused=[why])

    @staticmethod
    def _read(cycle: Any) -> dict:
        return render({"brief": cycle.brief, "plan": cycle.artifacts.get("plan"), "attempts": cycle.attempts,
                       "examples": [*cycle.brief.get("examples", []), *answers(cycle)],
                       "understood": cycle.receiver.understood_selectors()})

    def _create(self, root: Any, parent: str, index: int, helper: dict) -> str:
        """A part's cycle, recorded in the parent's plan in the same transaction (a crash leaves both or neither)."""
        o = self.o
        cycle = o.records.get(root, parent)
        part = o.records.add(root, cycle.receiver, part_brief(helper, parent), origin=cycle.origin)
        found = o.records.get(root, part).artifacts
        for key in ("queries", "queries_from", "context"):  # the parent's research serves its parts: no second search
            if key in cycle.artifacts:
                found[key] = cycle.artifacts[key]
        found["inherited"] = {"cycle": parent}
        if helper.get("code"):  # the planner's own code for it: the part's first candidate (its attempt 0, a voice apart)
            found["inherited"] = {"cycle": parent, "candidates": [{"attempt": 0, "code": helper["code"], "author": PLANNER,
                                                                  "model": cycle.artifacts["plan"].get("model", ""),
                                                                  "prompt_sha256": ""}]}
        plan = render(cycle.artifacts["plan"])
        plan["helpers"][index]["cycle"] = part
        cycle.artifacts["plan"] = plan
        return part

    def hold(self, root: Any, cycle_id: str, info: dict, chosen: dict, tests: dict) -> None:
        """A part's COMPLETE: the chosen method held for the parent's install (nothing changes in the world)."""
        o = self.o
        cycle = o.records.get(root, cycle_id)
        cycle.artifacts["held"] = {"code": chosen["code"], "author": info["author"], "model": info.get("model", ""),
                                   "prompt_sha256": info.get("prompt_sha256", ""), "verdict": chosen.get("verdict"),
                                   "tests": tests}
        cycle.result = chosen.get("trial_result")
        cycle.outcome = "complete"
        cycle.move(o.records.state(root, "COMPLETE"), o.now(), held=True)

    def install_parts(self, root: Any, cycle: Any) -> list[str]:
        """Install the helpers a cycle's parts hold on its receiver (in the install's transaction); their names."""
        names = []
        for helper in cycle.artifacts.get("helpers", []):
            held = render(self.o.records.get(root, helper["cycle"]).artifacts["held"])
            cycle.receiver.add_method(
                helper["name"], held["code"], author=held["author"], origin="generated", change="learned",
                provenance={"cycle": helper["cycle"], "part_of": cycle.id, "persona": held["author"], "model": held["model"],
                            "prompt_sha256": held["prompt_sha256"], "verdict": held["verdict"],
                            "grants": used_by(held["code"]), "tests": held["tests"]})
            names.append(helper["name"])
        return names

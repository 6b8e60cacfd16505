"""A task's checks run on a written method in the jail: did it answer what the task says it should?

A task is ``{"selector", "slots", "checks": [{"args", "kwargs"?, "result" | "raises", "slots"?}]}`` (the learning
benchmark's form, and the form the forge's gate asks in); the method runs against a receiver holding only the
task's plain ``slots`` (:class:`Slots`), every check in one jailed run, each judged as a cycle judges its cases
(:func:`bat_os.cognition.judge.cases.judge`). The learning benchmark and the forge's gate both use it.
"""

from __future__ import annotations

import json
from typing import Any


class Slots:
    """The receiver of a check: plain slots, nothing else (a send to another method is not there)."""

    def __init__(self, slots: dict) -> None:
        self.slots = json.loads(json.dumps(slots))

    def get_slot(self, ref: str, name: str) -> tuple[str, Any]:
        return "value", self.slots[name]

    def set_slot(self, ref: str, name: str, value: Any) -> None:
        self.slots[name] = value

    def send(self, ref: str, selector: str, args: list, kwargs: dict) -> Any:
        raise KeyError(selector)

    def snapshot(self, ref: str) -> dict:
        return dict(self.slots)


async def check_code(jail: Any, code: str, task: dict) -> list[str]:
    """The task's checks run on ``code`` in the jail; why each one failed (none: it passed them all)."""
    from bat_os.cognition.judge.cases import judge
    from bat_os.cognition.methods.host import CaseHost
    from bat_os.errors import JailError

    checks = [{"kwargs": {}, **c} for c in task["checks"]]
    host = CaseHost(Slots(task.get("slots") or {}), checks, candidate=(task["selector"], code))
    try:
        outcomes = await jail.run_cases(code, task["selector"], checks, host)
    except JailError as exc:
        return [f"{type(exc).__name__}: {exc}"]
    failed = []
    for index, (check, outcome) in enumerate(zip(checks, outcomes)):
        after = host.slots_after(index, list(check.get("slots") or {})) if check.get("slots") else None
        why = judge(check, outcome, after, task["selector"])
        if why:
            failed.append(why)
    return failed

"""A cognitive cycle as a persistent record: the classes the image keeps, and the migrations that made them so.

A :class:`Cycle` holds the brief, a reference to its current state object, the artifacts of each step, the reasons
for failure and the history of its moves; :meth:`Cycle.move` refuses a move the table
(:mod:`bat_os.cognition.cycle.states`) does not allow. Only the store (:class:`bat_os.cognition.cycle.driver.Store`)
changes a cycle; every move is committed, so after a crash a cycle resumes from the state it had reached.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import persistent
from BTrees.OOBTree import OOBTree
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from bat_os.cognition.cycle.states import TERMINAL, TransitionError, check_move
from bat_os.cognition.judge.questions import kept
from bat_os.image.codec import render
from bat_os.image.objects import UvmObject, covenant, oid_to_hex

logger = logging.getLogger(__name__)


def brief_sha256(brief: Any) -> str:
    """The brief's hash (the audit trail's key beside the cycle's id): SHA-256 of its canonical JSON."""
    text = json.dumps(_plain(brief), sort_keys=True, separators=(",", ":"), default=repr, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "keys"):
        return {str(k): _plain(value[k]) for k in value.keys()}
    if isinstance(value, (list, tuple)) or isinstance(value, PersistentList):
        return [_plain(v) for v in value]
    return value


class Cycle(persistent.Persistent):
    origin = "user"  # who asked: "user", or "heartbeat" (the image's own background work); older cycles: user

    def __init__(self, cycle_id: str, receiver: UvmObject, brief: dict, idle_state: UvmObject, now: float) -> None:
        self.id = cycle_id
        self.receiver = receiver
        self.brief = covenant(dict(brief))
        self.state = idle_state
        self.created = now
        self.updated = now
        self.history = PersistentList([{"state": "IDLE", "at": now}])
        self.artifacts = PersistentMapping()
        self.reasons = PersistentList()
        self.attempts = 0
        self.outcome: str | None = None  # "complete" | "failed"
        self.result: Any = None
        self.failed_state: str | None = None
        self.reply_to: dict | None = None  # {"identity": bytes, "id": request id, "events": bool}

    @property
    def state_name(self) -> str:
        return self.state.slots["name"]

    @property
    def selector(self) -> str:
        return self.brief["selector"]

    @property
    def brief_sha256(self) -> str:
        return brief_sha256(self.brief)

    @property
    def terminal(self) -> bool:
        return self.state_name in TERMINAL

    def move(self, state: UvmObject, now: float, **note: Any) -> None:
        """Go to ``state`` if the table allows it; record when, and why."""
        target = state.slots["name"]
        try:
            check_move(self.state_name, target)
        except TransitionError as exc:
            raise TransitionError(f"cycle {self.id}: {exc}") from None
        logger.info("cycle %s: %s -> %s", self.id, self.state_name, target)  # e.g. SYNTHESIZING -> VALIDATING
        self.state = state
        self.updated = now
        self.history.append(covenant({"state": target, "at": now, **note}))

    def fail(self, state: UvmObject, now: float, reasons: list[str]) -> None:
        """FAILED with the state that failed and why (a terminal transition)."""
        self.failed_state = self.state_name
        self.reasons.extend(reasons)
        self.move(state, now, reasons=list(reasons))
        self.outcome = "failed"

    def summary(self) -> dict[str, Any]:
        """What ``cycle`` and ``status`` report (plain data)."""
        return {
            "cycle": self.id, "state": self.state_name, "selector": self.selector,
            "receiver": oid_to_hex(self.receiver._p_oid) if self.receiver._p_oid else None,
            "brief": dict(self.brief), "brief_sha256": self.brief_sha256, "origin": self.origin, "attempts": self.attempts,
            "outcome": self.outcome, "failed_state": self.failed_state, "reasons": list(self.reasons),
            "result": self.result, "created": self.created, "updated": self.updated,
            "history": [dict(h) for h in self.history], "artifacts": {k: v for k, v in self.artifacts.items()},
        }


class CycleRegistry(persistent.Persistent):
    """All cycles by id, kept on the orchestrator (``orchestrator_obj.cycles``)."""

    def __init__(self) -> None:
        self.by_id = OOBTree()
        self.count = 0

    def new_id(self, now: float) -> str:
        self.count += 1
        return "c%d" % self.count

    def add(self, cycle: Cycle) -> None:
        self.by_id[cycle.id] = cycle

    def get(self, cycle_id: str) -> Cycle | None:
        return self.by_id.get(cycle_id)

    def unfinished(self) -> list[Cycle]:
        return [c for c in self.by_id.values() if not c.terminal]

    def summary(self) -> dict[str, Any]:
        return {"cycles": len(self.by_id), "unfinished": [c.id for c in self.unfinished()]}


def add_cycle_registry(root: Any, context: Any = None) -> None:
    """Migration 2: the orchestrator keeps every cognitive cycle, by id."""
    orchestrator = root["orchestrator_obj"]
    if "cycles" not in orchestrator.slots:
        orchestrator.set_slot("cycles", CycleRegistry())


PLANS_GONE = "plans are no longer made: the method is written whole"


def drop_plans(root: Any, context: Any = None) -> None:
    """Migration 9: plans are gone. An unfinished cycle that was planning (or writing its method with its parts'
    helpers) goes back to SYNTHESIZING with the whole candidates it had before the plan; an unfinished part fails;
    the PLANNING state object goes. Ended cycles keep their record as it was."""
    states = root["psm_prototypes_obj"]
    registry = root["orchestrator_obj"].slots.get("cycles")
    now = context.now() if context is not None else 0.0
    for cycle in (registry.unfinished() if registry is not None else []):
        if cycle.brief.get("part_of"):
            cycle.failed_state = cycle.state_name
            cycle.reasons.append(PLANS_GONE)
            cycle.state, cycle.outcome = states.slots["FAILED"], "failed"
            cycle.history.append(covenant({"state": "FAILED", "at": now, "reasons": [PLANS_GONE]}))
        elif cycle.state_name == "PLANNING" or "helpers" in cycle.artifacts:
            if "before_plan" in cycle.artifacts:
                cycle.artifacts["candidates"] = cycle.artifacts.pop("before_plan")
            cycle.artifacts.pop("helpers", None)
            cycle.state = states.slots["SYNTHESIZING"]
            cycle.history.append(covenant({"state": "SYNTHESIZING", "at": now, "migrated": PLANS_GONE}))
    states.slots.pop("PLANNING", None)


def answers(cycle: Cycle) -> list[dict]:
    """The examples the person's answers to the cycle's questions made, in order."""
    return [render(e) for q in cycle.artifacts.get("questions", []) for e in kept(q)]


def person_brief(cycle: Cycle) -> dict:
    """The brief with the person's answers among its examples (what the author is shown)."""
    brief = render(cycle.brief)
    if extra := answers(cycle):
        brief["examples"] = [*brief.get("examples", []), *extra]
    return brief

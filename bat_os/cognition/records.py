"""The cycles in the image: their records, read and written on pooled connections of the image's.

:class:`CycleRecords` is what the orchestrator's steps use to touch the image: every write is one committed
transaction (a checkpoint, retried after conflicting writes: :mod:`bat_os.image.transact`), every read an
aborted one; no persistent object escapes them (:mod:`bat_os.cognition.views` renders what steps read).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from bat_os.cognition import episodes
from bat_os.cognition.cycle import Cycle, CycleRegistry
from bat_os.cognition.states import FIRST
from bat_os.image import transact
from bat_os.image.image import Image
from bat_os.image.objects import UvmObject, oid_to_hex

T = TypeVar("T")


class CycleRecords:
    """The orchestrator's cycles in ``image`` (``orchestrator_obj.cycles``); ``now``: the clock."""

    def __init__(self, image: Image, now: Callable[[], float], retries: int) -> None:
        self.image = image
        self.now = now
        self.retries = retries

    def get(self, root: Any, cycle_id: str) -> Cycle:
        return self.registry(root).get(cycle_id)

    # --- transactions on pooled connections ------------------------------------------------
    def write(self, work: Callable[[Any], T]) -> T:
        """``work(root)`` in one committed transaction (a checkpoint), retried after conflicts."""
        return self.on_pair(lambda tm, conn: transact.run(tm, lambda: work(conn.root()), retries=self.retries))

    def read(self, work: Callable[[Any], T]) -> T:
        return self.on_pair(lambda tm, conn: transact.run(tm, lambda: work(conn.root()), write=False))

    def on_pair(self, use: Callable[[Any, Any], T]) -> T:
        pair = self.image.acquire()
        try:
            return use(*pair)
        finally:
            self.image.release(pair)

    @staticmethod
    def registry(root: Any) -> CycleRegistry:
        return root["orchestrator_obj"].slots["cycles"]

    @staticmethod
    def state(root: Any, name: str) -> UvmObject:
        return root["psm_prototypes_obj"].slots[name]

    def create(
        self, receiver_oid: bytes, selector: str, args: list, kwargs: dict, reply_to: dict | None,
        intent: str | None = None, examples: list[dict] | None = None, relearn: dict | None = None, origin: str = "user",
        inherit: str | None = None,
    ) -> str:
        def create(root: Any) -> str:
            # args and kwargs are what the method is called with (trial, re-send); intent only informs the prompts.
            brief = {"type": "unhandled_message", "selector": selector, "args": args, "kwargs": kwargs}
            if intent:
                brief["intent"] = intent
            if examples:
                brief["examples"] = examples  # the user's word: checked as plain data by the caller
            if relearn:
                brief["relearn"] = relearn
            cycle_id = self.add(root, root._p_jar.get(receiver_oid), brief, reply_to, origin)
            if inherit is not None:  # its research, cases and candidates: tried again on the examples, then chosen
                cycle = self.get(root, cycle_id)
                old = self.registry(root).get(inherit).artifacts
                for key in ("queries", "queries_from", "context", "episodes", "cases", "cases_dropped", "conditions"):
                    if key in old:
                        cycle.artifacts[key] = old[key]
                cycle.artifacts["inherited"] = {"cycle": inherit, "candidates": list(old.get("candidates", []))}
            return cycle_id

        return self.write(create)

    def add(self, root: Any, receiver: UvmObject, brief: dict, reply_to: dict | None = None, origin: str = "user") -> str:
        """A new cycle for ``brief`` on ``receiver``, in the caller's transaction: its id."""
        registry = self.registry(root)
        now = self.now()
        cycle = Cycle(registry.new_id(now), receiver, {"type": "unhandled_message", **brief}, self.state(root, FIRST), now)
        cycle.reply_to = reply_to
        if origin != Cycle.origin:
            cycle.origin = origin
        registry.add(cycle)
        return cycle.id

    @staticmethod
    def labels(cycle: Cycle) -> dict:
        """What every event of a cycle carries beside its id: the brief's hash, who asked, the selector."""
        return {"brief_sha256": cycle.brief_sha256, "origin": cycle.origin, "selector": cycle.selector,
                **({"part_of": cycle.brief["part_of"]} if cycle.brief.get("part_of") else {})}

    @staticmethod
    def where(cycle: Cycle) -> tuple[str, dict]:
        """The cycle's state, and (FAILED) the state that failed and why."""
        if cycle.state_name != "FAILED":
            return cycle.state_name, {}
        return cycle.state_name, {"failed_state": cycle.failed_state, "reasons": [str(r)[:300] for r in cycle.reasons][:20]}

    def fail(self, root: Any, cycle_id: str, reasons: list[str]) -> None:
        cycle = self.get(root, cycle_id)
        cycle.fail(self.state(root, "FAILED"), self.now(), reasons)
        episodes.remember(root, cycle, self.now())  # in the same transaction as the failure

    def move(self, cycle_id: str, state: str, **artifacts: Any) -> None:
        def move(root: Any) -> None:
            cycle = self.get(root, cycle_id)
            for key, value in artifacts.items():
                cycle.artifacts[key] = value
            cycle.move(self.state(root, state), self.now())

        self.write(move)

    @staticmethod
    def ok(cycle: Cycle) -> dict:
        return {
            "cycle": cycle.id,
            "selector": cycle.selector,
            "installed_on": oid_to_hex(cycle.receiver._p_oid),
            "result": cycle.result,
        }

    def keep_candidates(self, root: Any, cycle_id: str, records: list[dict], decided: str) -> None:
        cycle = self.get(root, cycle_id)
        cycle.artifacts["candidates"] = records
        cycle.artifacts["decision"] = decided

"""Trying candidates in the jail: what VALIDATING learns about each one before it chooses.

:meth:`Trials.tried`: the guardian's verdict (:func:`bat_os.cognition.guardian.audit`), then, for a source it
accepts, :meth:`Trials.record`: one jailed run of a candidate over every case of
:func:`bat_os.cognition.selection.plan` (the trial, the examples, the
properties, the generated cases, the probes), judged by
:func:`~bat_os.cognition.selection.assess` and the static checks of
:mod:`bat_os.cognition.lint`. :meth:`Trials.tell_apart`: the eligible
candidates' answers to calls made of their own constants
(:mod:`bat_os.cognition.differential`). Every run sees the image through a
connection of its own whose transaction is always aborted: nothing a
candidate does is kept.
"""

from __future__ import annotations

import hashlib

from collections.abc import Mapping, Sequence
from typing import Any, Callable, TypeVar

from bat_os.cognition import guardian, lint, specs
from bat_os.cognition.capabilities import used_by
from bat_os.cognition.casehost import CaseHost
from bat_os.cognition.cases import output_key
from bat_os.cognition.differential import constant_calls, tell_apart
from bat_os.cognition.host import ImageHost
from bat_os.cognition.probes import named_calls, probes, slot_probes
from bat_os.cognition.prompts import describe_receiver
from bat_os.cognition.selection import assess, generated_failures, plan
from bat_os.errors import JailError, MethodRaised
from bat_os.image import transact
from bat_os.image.image import Image
from bat_os.jail.runner import JailRunner

T = TypeVar("T")


class Trials:
    """Runs candidates for the cycles of one image. ``receiver(root, cycle_id)``: the cycle's receiver."""

    #: ``(grants, method) -> RunCapabilities``: a candidate on trial may use what its source names (set by the kernel)
    capabilities: Callable[..., Any] | None = None

    def __init__(self, image: Image, jail: JailRunner, receiver: Callable[[Any, str], Any]) -> None:
        self.image = image
        self.jail = jail
        self.receiver = receiver

    def granting(self, code: str, method: str = "") -> Any:
        """The capabilities of a run of ``code``: what its source names (None where the kernel gave none)."""
        return self.capabilities(used_by(code), method) if self.capabilities is not None else None

    async def tried(self, cycle_id: str, info: dict, record: dict) -> dict:
        """A candidate's record: the guardian's verdict, then one jailed run over every case."""
        verdict = guardian.audit(record["code"], info["selector"])
        record = {**record, "verdict": verdict.to_dict()}
        if verdict.accepted:
            return {**record, **await self.record(cycle_id, record["code"], info["selector"], info)}
        return {**record, "eligible": False, "passes": [], "outputs": [],
                "failed": [f"static: {r.rule} (line {r.line}): {r.message}" for r in verdict.reasons]}

    async def record(self, cycle_id: str, code: str, selector: str, info: dict) -> dict:
        """The candidate's record (:func:`~bat_os.cognition.selection.assess`) from one jailed run over every case,
        with what its source says it cannot do; a run that failed as a whole refuses it."""
        trial = {"args": info["args"], "kwargs": info["kwargs"]}
        probe_calls = _probe_calls(info)

        def planned(receiver: Any) -> list[dict]:  # the probes with other data in the slots the request names
            values = plain_slots(receiver)
            named = [name for name in values if lint.names_slot(info["intent"], name)]
            return plan(trial, info["examples"], info["cases"],
                        [*probe_calls, *slot_probes(values, named, info["args"], info["kwargs"])])

        def judged(outcomes: list[dict], host: CaseHost, receiver: Any, cases: list[dict]) -> dict:
            record = assess(cases, outcomes, host.slots_after, f"obj.{selector}", writes=host.changed,
                            varies=lint.reads_clock(code, selector))
            record["generated_failed"] = generated_failures(record, cases, info["cases"], outcomes, f"obj.{selector}")
            # the calls its answers are to, in the order of its signature: a question names one
            record["calls"] = specs.labelled([{k: c[k] for k in ("args", "kwargs", "given") if k in c}
                                              for c in cases if (c["role"] == "trial" and c["index"] == 0)
                                              or c["role"] in ("generated", "probe")], info.get("conditions") or [])
            return record

        try:
            return await self._jailed(cycle_id, code, selector, planned, judged, _helpers(info))
        except JailError as exc:
            why = f"{exc.error_type}: {exc.message}" if isinstance(exc, MethodRaised) else f"{type(exc).__name__}: {exc}"
            return {"eligible": False, "passes": [], "outputs": [], "failed": [f"trial: {why}"]}

    async def tell_apart(self, cycle_id: str, selector: str, info: dict, records: list[dict]) -> list[dict]:
        """``records`` with every eligible one's answers to the calls made of the eligible candidates' own
        constants (when two or more are eligible): ``record["extra"]``, which agreement then compares."""
        taken = [*info["examples"], *info["cases"], *_probe_calls(info)]
        codes = [r["code"] for r in records if r.get("eligible")]
        calls = constant_calls(codes, selector, info["args"], info["kwargs"], taken) if len(codes) >= 2 else []

        async def answers(code: str, missing: list[dict]) -> list[str] | None:
            cases = [{**c, "role": "probe", "index": i} for i, c in enumerate(missing)]
            try:
                return await self._jailed(cycle_id, code, selector, cases, lambda outcomes, host, _receiver, _cases: [
                    output_key(o, host.changed(i)) for i, o in enumerate(outcomes)], _helpers(info))
            except JailError:
                return None  # no answers: it is compared on the rest

        return await tell_apart(records, calls, answers) if calls else records

    async def _jailed(self, cycle_id: str, code: str, selector: str, cases: list[dict] | Callable[[Any], list[dict]],
                      then: Callable[..., T], helpers: dict[str, str] | None = None) -> T:
        """``then(outcomes, host, receiver, cases)`` of one jailed run of ``code`` over ``cases`` (or the cases
        ``cases(receiver)`` makes), on a view of the image that is always aborted (each case sees the receiver
        as it is: :class:`CaseHost`, with a plan's ``helpers`` as if installed)."""
        tm, conn = pair = self.image.acquire()

        async def run() -> T:
            receiver = self.receiver(conn.root(), cycle_id)
            planned = cases(receiver) if callable(cases) else cases
            capabilities = self.granting(code, f"{selector} (cycle {cycle_id}, trial)")
            host = CaseHost(ImageHost(conn, receiver, jail=self.jail, capabilities=capabilities), planned,
                            candidate=(selector, code), helpers=helpers)
            return then(await self.jail.run_cases(code, selector, planned, host), host, receiver, planned)

        try:
            return await transact.run_async(tm, run, write=False)
        finally:
            self.image.release(pair)


def _helpers(info: dict) -> dict[str, str]:
    """A plan's helpers, held by its parts (:mod:`bat_os.cognition.planning`): selector -> source."""
    return {h["name"]: h["code"] for h in info.get("helpers") or [] if h.get("code")}


def code_sha256(code: str) -> str:
    """A candidate's source as the audit trail names it."""
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def trial_event(cycle_id: str, record: dict) -> dict:
    """VALIDATING's verdict on one candidate, as an event (the audit trail's ``trial`` line): the guardian's word,
    whether it held the trial and the examples, how many cases it passed, and the first reasons against it."""
    verdict = record.get("verdict") or {}
    return {
        "type": "trial", "cycle": cycle_id, "attempt": record.get("attempt"), "author": record.get("author"),
        "model": record.get("model"), "code_sha256": code_sha256(str(record.get("code", ""))),
        "accepted": bool(verdict.get("accepted")), "eligible": bool(record.get("eligible")),
        "passes": len(record.get("passes") or []), "failed": [str(r)[:300] for r in (record.get("failed") or [])][:5],
        "generated_failed": len(record.get("generated_failed") or []),
    }


def _probe_calls(info: dict) -> list[dict]:
    """The cycle's probe calls: the calls of the conditions the request states (:func:`bat_os.cognition.specs.
    condition_calls`), those made of the values the request names, then those made from the learning call, none
    repeating the trial, an example or a generated case."""
    taken = [{"args": info["args"], "kwargs": info["kwargs"]}, *info["examples"], *info["cases"]]
    stated = specs.condition_calls(info.get("conditions") or [], taken)
    named = named_calls(info.get("intent") or "", info["args"], info["kwargs"], [*taken, *stated])
    return [*stated, *named, *probes(info["args"], info["kwargs"], [*taken, *stated, *named])]


def plain_slots(receiver: Any) -> dict:
    """The receiver's slots holding plain data (text, numbers, lists, maps), as plain Python values."""

    def plain(value: Any, depth: int = 0) -> Any:
        if depth > 8:
            raise ValueError("too deep")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, Mapping):
            return {k: plain(v, depth + 1) for k, v in value.items()}
        if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
            return [plain(v, depth + 1) for v in value]
        raise ValueError("not plain data")

    found = {}
    for name, value in getattr(receiver, "slots", {}).items():
        try:
            found[name] = plain(value)
        except ValueError:
            continue
    return found

"""Candidates tried in the jail: what VALIDATING learns of each one before the decision.

:meth:`Trials.tried`: the guardian's verdict (:func:`~bat_os.jail.guardian.audit`), then, for a source it
accepts, one jailed run over every call :func:`~bat_os.cognition.trial.calls.planned` lists, judged by
:func:`~bat_os.cognition.judge.candidate.assess`: a :class:`~bat_os.cognition.judge.candidate.Candidate`.
:meth:`Trials.tell_apart`: the eligible candidates' answers to calls made of their own constants. Every run sees the
image through a connection of its own whose transaction is always aborted (each case sees the receiver as it is:
:class:`~bat_os.cognition.methods.host.CaseHost`): nothing a candidate does is kept.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, TypeVar

from bat_os.cognition.judge.candidate import Candidate, answer_key, assess, generated_failures, reads_clock
from bat_os.cognition.judge.cases import key
from bat_os.cognition.methods.capabilities import used_by
from bat_os.cognition.methods.host import CaseHost, ImageHost
from bat_os.cognition.methods.tests import in_view
from bat_os.cognition.trial import calls as sources
from bat_os.cognition.trial import coverage
from bat_os.cognition.trial.calls import plain_slots, planned, probe_calls, run_calls
from bat_os.errors import JailError, MethodRaised
from bat_os.image.image import Image
from bat_os.jail import guardian
from bat_os.jail.runner import MAX_CASES, JailRunner

T = TypeVar("T")
MAX_HALVINGS = 20  # traced runs that halve the gaps between values on a scale whose paths differ


class Trials:
    """Runs candidates for the cycles of one image. ``receiver(root, cycle_id)``: the cycle's receiver."""

    #: ``(grants, method) -> RunCapabilities``: a candidate on trial may use what its source names (set by the kernel)
    capabilities: Callable[..., Any] | None = None

    def __init__(self, image: Image, jail: JailRunner, receiver: Callable[[Any, str], Any]) -> None:
        self.image = image
        self.jail = jail
        self.receiver = receiver
        self._covered: dict[tuple, list[dict]] = {}  # (cycle, code, the examples' keys) -> its coverage calls

    def granting(self, code: str, method: str = "") -> Any:
        """The capabilities of a run of ``code``: what its source names (None where the kernel gave none)."""
        return self.capabilities(used_by(code), method) if self.capabilities is not None else None

    async def tried(self, cycle_id: str, info: dict, written: dict) -> Candidate:
        """A candidate (``written``: its code and who wrote it) with its verdict: the guardian's, then one jailed run
        over every call; a run that failed as a whole refuses it."""
        verdict = guardian.audit(written["code"], info["selector"])
        if not verdict.accepted:
            return Candidate(**written, verdict=verdict.to_dict(),
                             failed=tuple(f"static: {r.rule} (line {r.line}): {r.message}" for r in verdict.reasons))
        code, selector = written["code"], info["selector"]

        def judged(outcomes: list[dict], host: CaseHost, cases: list[dict]) -> dict:
            found = assess(cases, outcomes, host.slots_after, f"obj.{selector}", writes=host.changed,
                           varies=reads_clock(code, selector))
            found["generated_failed"] = generated_failures(found, cases, info["cases"], outcomes, f"obj.{selector}")
            found["calls"] = run_calls(cases, info.get("conditions") or [])
            return found

        try:
            found = await self._jailed(cycle_id, code, selector, lambda _receiver: planned(info), judged)
        except JailError as exc:
            why = f"{exc.error_type}: {exc.message}" if isinstance(exc, MethodRaised) else f"{type(exc).__name__}: {exc}"
            return Candidate(**written, verdict=verdict.to_dict(), failed=(f"trial: {why}",))
        return Candidate.from_dict({**written, "verdict": verdict.to_dict(), **found})

    async def tell_apart(self, cycle_id: str, info: dict, candidates: list[Candidate]) -> list[Candidate]:
        """``candidates``, every eligible one with its answers to the calls made of the eligible candidates' own
        constants (when two or more are eligible), which agreement then compares."""
        taken = [*info["examples"], *info["cases"], *probe_calls(info)]
        codes = [c.code for c in candidates if c.eligible]
        calls = sources.constant_calls(codes, info["selector"], info["args"], info["kwargs"], taken) if len(codes) >= 2 else []
        return await self._answering(cycle_id, info["selector"], candidates, calls)

    async def cover(self, cycle_id: str, info: dict, candidates: list[Candidate], chosen: int, every: bool = False) -> list[Candidate]:
        """``candidates``, every eligible one with its answers to the coverage calls of the candidate ``chosen``
        (``coverage``), chosen once per code and examples (the latest 64 kept): the chosen code meets its whole pool
        traced, beside the person's examples (the paths they took are what is supported), and carries its ``doubts``
        (``coverage.doubts``; none where its pool could not run). ``every``: the whole pool (nobody to ask)."""
        code = candidates[chosen].code
        examples = [{k: e[k] for k in ("args", "kwargs", "given") if k in e} for e in info["examples"]]
        memo = (cycle_id, code, tuple(key(e) for e in examples), every)
        if memo not in self._covered:
            self._covered = {**dict(list(self._covered.items())[-63:]), memo: await self._coverage_calls(cycle_id, info, code, examples, every)}
        calls, ran = self._covered[memo]
        out = await self._answering(cycle_id, info["selector"], candidates, calls)
        out[chosen] = out[chosen].but(doubts=coverage.doubts(code, info.get("intent") or "", ran, out[chosen].extra) if ran else ())
        return out

    async def _answering(self, cycle_id: str, selector: str, candidates: list[Candidate], calls: list[dict]) -> list[Candidate]:
        """``candidates``, every eligible one with its answers to those of ``calls`` it has not answered (``extra``; a
        call answered already takes the marks of its match in ``calls``); the same code asked the same calls runs once."""
        known: dict[tuple[str, ...], list[str] | None] = {}
        marked = {key(call): call for call in calls}
        out = []
        for candidate in candidates:
            candidate = candidate.but(extra=tuple((marked.get(key(call), call), answer) for call, answer in candidate.extra))
            answered = {key(call) for call, _answer in candidate.extra}
            missing = [c for c in calls if key(c) not in answered]
            if candidate.eligible and missing:
                asked = (candidate.code, *map(key, missing))
                if asked not in known:
                    known[asked] = await self._answers(cycle_id, candidate.code, selector, missing)
                if known[asked] is not None:
                    candidate = candidate.but(extra=(*candidate.extra, *zip(missing, known[asked])))
            out.append(candidate)
        return out

    async def _coverage_calls(self, cycle_id: str, info: dict, code: str, examples: list[dict], every: bool) -> tuple[list[dict], list]:
        """The calls ``coverage.select`` keeps of the code's pool run traced after the person's examples, its gaps halved
        (``coverage.halves``), and the arcs all of them took (none of either where a run failed as a whole)."""
        selector = info["selector"]
        pool = coverage.pool(info["args"], info["kwargs"], info.get("receiver_slots") or {}, info.get("intent") or "",
                             code, selector)

        async def traced(calls: list[dict]) -> list[dict]:  # one jailed run for each MAX_CASES of them
            parts = [[{**c, "role": "probe", "index": i} for i, c in enumerate(calls[k:k + MAX_CASES])] for k in range(0, len(calls), MAX_CASES)]
            return [o for part in parts for o in await self._jailed(cycle_id, code, selector, lambda _receiver, part=part: part,
                                                                    lambda found, _host, _cases: found, trace=True)]
        try:
            outcomes = await traced([*examples, *pool])
            for _halving in range(MAX_HALVINGS):  # a gap of a million halved to neighbours
                if not (mids := coverage.halves(pool, outcomes[len(examples):])):
                    break
                pool, outcomes = [*pool, *mids], [*outcomes, *await traced(mids)]
        except JailError:
            return [], []
        arcs = [arc for o in outcomes[:len(examples)] for arc in o.get("arcs") or ()]
        return coverage.select(pool, outcomes[len(examples):], examples, arcs, every), [a for o in outcomes for a in o.get("arcs") or ()]

    async def _answers(self, cycle_id: str, code: str, selector: str, calls: list[dict]) -> list[str] | None:
        """What ``code`` answered each call, as output keys (a clock's by their kind); None when its run failed."""
        found, varies = [], reads_clock(code, selector)
        for start in range(0, len(calls), MAX_CASES):
            cases = [{**c, "role": "probe", "index": i} for i, c in enumerate(calls[start:start + MAX_CASES])]
            try:
                found += await self._jailed(cycle_id, code, selector, lambda _receiver, cases=cases: cases, lambda outcomes, host, _cases: [
                    answer_key(o, host.changed(i), varies) for i, o in enumerate(outcomes)])
            except JailError:
                return None
        return found

    async def _jailed(self, cycle_id: str, code: str, selector: str, cases: Callable[[Any], list[dict]],
                      then: Callable[[list[dict], CaseHost, list[dict]], T], trace: bool = False) -> T:
        """``then(outcomes, host, cases)`` of one jailed run of ``code`` over the cases ``cases(receiver)`` makes, on a
        view of the image that is always aborted."""
        async def run(conn: Any) -> T:
            receiver = self.receiver(conn.root(), cycle_id)
            planned_cases = cases(receiver)
            capabilities = self.granting(code, f"{selector} (cycle {cycle_id}, trial)")
            host = CaseHost(ImageHost(conn, receiver, jail=self.jail, capabilities=capabilities), planned_cases,
                            candidate=(selector, code))
            return then(await self.jail.run_cases(code, selector, planned_cases, host, trace=trace), host, planned_cases)

        return await in_view(self.image, run)


def code_sha256(code: str) -> str:
    """A candidate's source as the audit trail names it."""
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def trial_event(cycle_id: str, candidate: Candidate) -> dict:
    """VALIDATING's verdict on one candidate, as an event (the audit trail's ``trial`` line): the guardian's word,
    whether it held the trial and the examples, how many cases it passed, and the first reasons against it."""
    verdict = candidate.verdict or {}
    return {
        "type": "trial", "cycle": cycle_id, "attempt": candidate.attempt, "author": candidate.author,
        "model": candidate.model, "code_sha256": code_sha256(str(candidate.code)),
        "accepted": bool(verdict.get("accepted")), "eligible": candidate.eligible,
        "passes": len(candidate.passes), "failed": [str(r)[:300] for r in candidate.failed][:5],
        "generated_failed": len(candidate.generated_failed),
    }

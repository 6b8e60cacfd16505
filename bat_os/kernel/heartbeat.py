"""The heartbeat: the image's own work between requests, within a budget (the seeds' autotelic loop).

Every ``heartbeat_every`` seconds (0: never; the tests' kernels run without it) a *beat* runs these
actions, in order, each only while the budget allows (``heartbeat_runs`` actions and
``heartbeat_model_seconds`` seconds of cycles per hour, over the last hour):

``selfcheck``
    every generated method's stored cases run again in the jail (``selfcheck --tests``), against the
    objects as they are now; a case that held before and fails now is a *regression*: a
    ``heartbeat.regression`` event, a ``heartbeat`` audit line, and ``status`` lists it until it holds again.
``retry``
    a failed mission (the latest cycle of its brief failed, and nothing answers its selector now) is
    asked again when the catalog holds a document ingested since it failed that is about it (names its
    selector or shares two of its words: :func:`bat_os.cognition.cycle.memory.notes`). The retry is a cycle like
    a user's, through the same guardian and jail, marked ``origin: heartbeat``; at most one per beat.
``cases``
    for one generated method that keeps no stored cases (set by hand without any), BRICK writes assert
    lines from its source; those the method passes in the jail become its stored cases, as its next version
    (``change: "cases"``): :func:`bat_os.cognition.methods.tests.write_cases`. A method none held for is not asked again
    until the kernel restarts.
``digest``
    the day's episodes summed up in one document of the catalog, ``digest:<YYYY-MM-DD>`` (``kind: digest``):
    what was learned, what failed and why, who was asked what. No model: counted, not written.
``forge``
    when the image's golden dataset (:mod:`bat_os.forge.curator`) has grown by ``forge_every_pairs`` pairs
    since the forge's last gate decision (0: never), a forge round starts in the background: the author's
    (ALFRED's) adapter trained, then gated (:mod:`bat_os.kernel.commands.forge`), in the forge's worker
    processes. Like every action it starts only once no request has come for ``yield_for``; the workers then
    run on beside the kernel (its requests are answered meanwhile, on the CPU the workers leave). One round
    at a time; its wall time is spent from the model budget; its outcome comes as a second
    ``heartbeat.forge`` event. A round that failed is not started again at the same dataset size until the
    kernel restarts.

A user's request always comes first: before each action, each method a selfcheck runs, and each step of
a heartbeat's cycle, the heartbeat waits while requests are queued or being answered
(:attr:`HeartbeatHost.busy`) and until none (``ping`` aside) has come for ``yield_for`` seconds (half a second): while a
user is at work the heartbeat waits, and what it was doing when a request came (one jailed run, one
model call) is all a request can meet. An action
that fails is logged, audited and published (``heartbeat.failed``), and the next one runs; one that runs
past ``action_timeout`` is cancelled the same way. Everything it does is on the event stream
(``heartbeat.*``) and in ``status``: what it did last, what it plans, what it has left of its budget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from bat_os.cognition.cycle import memory as episodes
from bat_os.cognition.cycle.record import Cycle
from bat_os.cognition.methods.tests import rerun, stored_tests, untested, write_cases
from bat_os.image.codec import render
from bat_os.image.objects import Method
from bat_os.image.walk import prototypes
from bat_os.kernel.commands.forge import due, forge_round
from bat_os.kernel.commands.selfcheck import tested_methods
from bat_os.memory import conversations
from bat_os.memory.catalog import CODEX_SOURCE

logger = logging.getLogger(__name__)

ACTIONS = ("selfcheck", "retry", "cases", "digest", "forge")
MODEL_ACTIONS = ("retry", "cases", "forge")  # these spend the model budget
HOUR = 3600.0
RECENT = 20  # actions kept for status
DIGEST_KIND = conversations.DIGEST


@dataclass(frozen=True)
class HeartbeatSettings:
    every: float = 900.0  # seconds between beats; 0: no heartbeat
    runs_per_hour: int = 12  # actions in the last hour, at most
    model_seconds_per_hour: float = 600.0  # seconds of heartbeat cycles (model calls, trials) in the last hour
    action_timeout: float = 600.0  # an action running longer is cancelled
    idle_poll: float = 0.05  # how often a waiting heartbeat looks again whether requests still wait
    yield_for: float = 0.5  # the heartbeat works only once no request has come for this long (a user at work first)
    forge_every_pairs: int = 0  # a forge round when the dataset grew by this many pairs since the last (0: never)


@dataclass
class HeartbeatHost:
    """What the heartbeat needs of the kernel: the image and its cognition, whether users wait, where to tell."""

    image: Any
    cognition: Any  # bat_os.cognition.methods.service.Cognition: jail, orchestrator, capabilities_for
    busy: Callable[[], bool]  # requests queued or being answered
    idle: Callable[[], float]  # seconds since the last request came
    publish: Callable[[str, dict], None]
    record: Callable[..., None]  # the audit trail
    ctx: Any = None  # the commands' Context (bat_os.kernel.commands.base): the forge's rounds run through it


@dataclass
class Budget:
    runs_per_hour: int
    model_seconds_per_hour: float
    clock: Callable[[], float]
    runs: deque = field(default_factory=deque)  # times of actions run
    spent: deque = field(default_factory=deque)  # (time, seconds) of cycles run

    def _trim(self) -> None:
        horizon = self.clock() - HOUR
        while self.runs and self.runs[0] < horizon:
            self.runs.popleft()
        while self.spent and self.spent[0][0] < horizon:
            self.spent.popleft()

    def allows(self, model: bool = False) -> bool:
        self._trim()
        if len(self.runs) >= self.runs_per_hour:
            return False
        return not model or self.seconds_used() < self.model_seconds_per_hour

    def ran(self) -> None:
        self.runs.append(self.clock())

    def spend(self, seconds: float) -> None:
        self.spent.append((self.clock(), seconds))

    def seconds_used(self) -> float:
        return round(sum(s for _t, s in self.spent), 3)

    def status(self) -> dict:
        self._trim()
        return {"runs_per_hour": self.runs_per_hour, "runs_used": len(self.runs),
                "model_seconds_per_hour": self.model_seconds_per_hour, "model_seconds_used": self.seconds_used()}


class Heartbeat:
    def __init__(self, host: HeartbeatHost, settings: HeartbeatSettings, *, now: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.host = host
        self.settings = settings
        self.now = now
        self.monotonic = monotonic
        self.budget = Budget(settings.runs_per_hour, settings.model_seconds_per_hour, monotonic)
        self.beats = 0
        self.last_beat: float | None = None
        self.next_beat: float | None = None
        self.recent: deque = deque(maxlen=RECENT)
        self.regressions: dict[str, dict] = {}  # "object.selector#case" -> the failure, while it fails
        self.plan: list[str] = list(ACTIONS)
        self._no_cases: set[tuple[str, str]] = set()  # methods BRICK wrote no case for that held
        self._forge_task: asyncio.Task | None = None  # the forge round under way
        self._forge_failed_at: int | None = None  # the dataset's size when a round last failed

    @classmethod
    def from_config(cls, config: Any, host: HeartbeatHost) -> "Heartbeat":
        """The kernel's heartbeat, as ``config`` (bat_os.config.Config) sets it."""
        logger.info("heartbeat every %gs", config.heartbeat_every)
        return cls(host, HeartbeatSettings(config.heartbeat_every, config.heartbeat_runs, config.heartbeat_model_seconds,
                                           forge_every_pairs=config.forge_every_pairs))

    # --- the loop ------------------------------------------------------------------------------
    async def run(self) -> None:
        """Beat every ``every`` seconds until cancelled (the kernel cancels it when it stops)."""
        try:
            while True:
                self.next_beat = self.now() + self.settings.every
                await asyncio.sleep(self.settings.every)
                await self.beat()
        finally:
            if self._forge_task is not None:
                self._forge_task.cancel()  # its worker is terminated (and stops by itself once the kernel is gone)

    async def beat(self) -> None:
        self.beats += 1
        self.last_beat = self.now()
        self.host.publish("heartbeat.beat", {"beat": self.beats, "plan": list(self.plan), "budget": self.budget.status()})
        for action in ACTIONS:
            await self.quiet()
            if not self.budget.allows(model=action in MODEL_ACTIONS):
                self._done(action, "skipped", why="over budget")
                continue
            started = self.monotonic()
            try:
                details = await asyncio.wait_for(getattr(self, "_" + action)(), timeout=self.settings.action_timeout)
            except asyncio.CancelledError:
                raise
            except asyncio.TimeoutError:
                self._failed(action, f"ran past {self.settings.action_timeout:g}s and was stopped", started)
            except Exception as exc:  # noqa: BLE001 - a failed action is reported; the heartbeat beats on
                logger.exception("heartbeat: %s failed", action)
                self._failed(action, f"{type(exc).__name__}: {exc}", started)
            else:
                if details is not None:
                    self.budget.ran()
                    self._done(action, "ok", seconds=round(self.monotonic() - started, 3), **details)
        try:
            self.plan = self.host.image.read(lambda: self._planned(self.host.image.connection.root()))
        except Exception:  # noqa: BLE001 - the plan is for show; the next beat reads it again
            logger.exception("heartbeat: cannot read what comes next")

    def _planned(self, root: Any) -> list[str]:
        """What the next beat will do, as ``status`` shows it."""
        tested = untested_count = 0
        first_untested = None
        for obj, where in prototypes(root):
            for selector, method in obj.own_methods().items():
                if method.origin != "generated":
                    continue
                if stored_tests(method):
                    tested += 1
                elif (where, selector) not in self._no_cases:
                    untested_count += 1
                    first_untested = first_untested or f"{where}.{selector}"
        plan = [f"selfcheck: the stored cases of {tested} method(s)"] if tested else []
        found = retry_candidate(root)
        if found is not None:
            plan.append(f"retry: {found['brief']['selector']} (cycle {found['cycle']}), since {', '.join(found['because'])}")
        if first_untested:
            plan.append(f"cases: {first_untested} ({untested_count} method(s) keep none)")
        plan.append("digest: today's episodes")
        found = due(self.host.ctx, self.settings.forge_every_pairs) if self.host.ctx is not None else None
        if found is not None:
            plan.append(f"forge: {found['pairs']} pairs, {found['pairs'] - found['since']} new since the last round")
        return plan

    async def quiet(self) -> None:
        """Wait while users' requests are queued or being answered, and until none has come for ``yield_for``
        seconds: users come first. Awaited before each action, each method of a selfcheck, each step of a cycle."""
        while self.host.busy() or self.host.idle() < self.settings.yield_for:
            await asyncio.sleep(self.settings.idle_poll)

    def _done(self, action: str, outcome: str, **details: Any) -> None:
        entry = {"action": action, "outcome": outcome, "at": round(self.now(), 3), **details}
        self.recent.append(entry)
        self.host.record("heartbeat", **entry)
        self.host.publish(f"heartbeat.{action}", entry)

    def _failed(self, action: str, why: str, started: float) -> None:
        self.budget.ran()
        entry = {"action": action, "outcome": "failed", "error": why[:500], "seconds": round(self.monotonic() - started, 3),
                 "at": round(self.now(), 3)}
        self.recent.append(entry)
        self.host.record("heartbeat", **entry)
        self.host.publish("heartbeat.failed", entry)

    def status(self) -> dict:
        return {
            "enabled": True, "every": self.settings.every, "beats": self.beats, "last_beat": self.last_beat,
            "next_beat": self.next_beat, "plan": list(self.plan), "budget": self.budget.status(),
            "last": list(self.recent)[-5:], "regressions": list(self.regressions.values()),
        }

    # --- the actions ------------------------------------------------------------------------------
    async def _selfcheck(self) -> dict | None:
        """Every generated method's stored cases, again; regressions reported (and cleared once they hold)."""
        image, cognition = self.host.image, self.host.cognition
        targets = image.read(lambda: tested_methods(image.connection.root()))
        if not targets:
            return None
        ran, failures = await rerun(image, cognition.jail, targets, cognition.capabilities_for, between=self.quiet)
        now_failing = {f"{f.get('object')}.{f.get('selector')}#{f.get('case', f.get('message', ''))}": f for f in failures}
        for key, failure in now_failing.items():
            if key not in self.regressions:
                self.host.publish("heartbeat.regression", failure)
                self.host.record("heartbeat", action="selfcheck", outcome="regression", **_plain(failure))
        self.regressions = now_failing
        return {"methods": len(targets), "cases": ran, "failures": len(failures)}

    async def _retry(self) -> dict | None:
        """The first failed mission that has new knowledge since it failed, asked again as a cycle."""
        image, orchestrator = self.host.image, self.host.cognition.orchestrator
        if orchestrator is None:
            return None
        found = image.read(lambda: retry_candidate(image.connection.root()))
        if found is None:
            return None
        started = self.monotonic()
        brief = found["brief"]
        self.host.publish("heartbeat.retrying", {"cycle": found["cycle"], "selector": brief["selector"], "because": found["because"]})
        try:
            result = await orchestrator.learn(
                found["receiver"], brief["selector"], list(brief.get("args", [])), dict(brief.get("kwargs", {})),
                intent=brief.get("intent"), examples=list(brief.get("examples") or []) or None,
                relearn=brief.get("relearn"), origin="heartbeat", pause=self.quiet)
            outcome, new_cycle = "learned", result.get("cycle")
        except Exception as exc:  # noqa: BLE001 - a retry that fails is an outcome (its own cycle says why)
            outcome, new_cycle = "failed", (getattr(exc, "details", {}) or {}).get("cycle")
        finally:
            self.budget.spend(self.monotonic() - started)
        return {"cycle": found["cycle"], "retry": new_cycle, "selector": brief["selector"], "result": outcome,
                "because": found["because"]}

    async def _cases(self) -> dict | None:
        """Cases for one generated method that keeps none (:func:`bat_os.cognition.methods.tests.write_cases`)."""
        image, cognition = self.host.image, self.host.cognition
        found = image.read(lambda: next(((obj._p_oid, where, selector) for obj, where in prototypes(image.connection.root())
                                         for selector in untested(obj) if (where, selector) not in self._no_cases), None))
        if found is None or cognition.backend is None:
            return None
        oid, where, selector = found
        started = self.monotonic()
        try:
            written = await write_cases(image, cognition.backend, cognition.jail, oid, selector, cognition.capabilities_for)
        except Exception:
            self._no_cases.add((where, selector))  # reported once (heartbeat.failed), not asked again every beat
            raise
        finally:
            self.budget.spend(self.monotonic() - started)
        if written["version"] is None:
            self._no_cases.add((where, selector))  # not asked again until the kernel starts again
        else:
            self.host.publish("method.installed", {"target": where, "selector": selector, "version": written["version"],
                                                   "change": "cases"})
        return {"object": where, **written}

    async def _forge(self) -> dict | None:
        """A forge round started in the background when one is due (see the module docstring)."""
        ctx = self.host.ctx
        if ctx is None or (self._forge_task is not None and not self._forge_task.done()):
            return None
        found = self.host.image.read(lambda: due(ctx, self.settings.forge_every_pairs))
        if found is None or found["pairs"] == self._forge_failed_at:
            return None
        started = self.monotonic()

        async def forge() -> None:
            try:
                result = await forge_round(ctx)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a failed round is reported; the heartbeat beats on
                self._forge_failed_at = found["pairs"]
                self._failed("forge", f"{type(exc).__name__}: {exc}", started)
            else:
                self._done("forge", "ok", seconds=round(self.monotonic() - started, 3), **result)
            finally:
                self.budget.spend(self.monotonic() - started)

        self._forge_task = asyncio.get_running_loop().create_task(forge())
        return {"started": True, **found}

    async def _digest(self) -> dict | None:
        """Today's episodes as one document (rewritten while the day goes on; unchanged: not written)."""
        image = self.host.image
        day = time.strftime("%Y-%m-%d", time.gmtime(self.now()))
        start = _day_start(self.now())
        text, count = image.read(lambda: digest_text(image.connection.root()["knowledge_catalog_obj"], start, day))
        if not count:
            return None
        doc_id = f"{DIGEST_KIND}:{day}"

        def write() -> bool:
            catalog = image.connection.root()["knowledge_catalog_obj"]
            chunks = catalog.documents.get(doc_id, ())
            if chunks and catalog.chunks[chunks[0]].text == text:
                return False
            catalog.index_document(doc_id, [text], {"kind": DIGEST_KIND, "day": day}, now=self.now())
            return True

        written = image.run(write, note=f"heartbeat: {doc_id}")
        return {"document": doc_id, "episodes": count, "written": written}


def retry_candidate(root: Any) -> dict | None:
    """The oldest failed mission worth asking again (plain data), or None.

    A mission is a brief (its hash); it has failed when its latest cycle did. It is worth asking again when
    nothing answers its selector on the receiver now, and a document other than the codex, an episode or a
    digest was ingested after that cycle ended and is about it."""
    registry = root["orchestrator_obj"].slots["cycles"]
    catalog = root["knowledge_catalog_obj"]
    latest: dict[str, Cycle] = {}
    for cycle in registry.by_id.values():
        key = cycle.brief_sha256
        if key not in latest or cycle.created >= latest[key].created:
            latest[key] = cycle
    for cycle in sorted(latest.values(), key=lambda c: c.created):
        if cycle.state_name != "FAILED" or "interrupted" in list(cycle.reasons):
            continue
        if isinstance(cycle.receiver.slots.get(cycle.selector), Method):
            continue
        because = new_knowledge(catalog, dict(cycle.brief), cycle.updated)
        if because:
            return {"cycle": cycle.id, "receiver": cycle.receiver._p_oid, "brief": render(cycle.brief), "because": because}
    return None


def new_knowledge(catalog: Any, brief: dict, since: float) -> list[str]:
    """Documents ingested after ``since`` that are about the mission (their ids); not the codex, episodes, digests."""
    try:
        fresh = catalog.matching({"ingested_after": since + 1e-6})
    except (KeyError, ValueError):
        return []
    if not fresh:
        return []
    fresh -= conversations.memory_chunks(catalog)
    fresh = {c for c in fresh if catalog.chunks[c].metadata.get("source") != CODEX_SOURCE}
    query = " ".join(sorted(episodes.mission_words(brief))) or brief["selector"]
    hits = [catalog.hit(chunk_id, score) for chunk_id, score in catalog.text_search(query, 5, fresh)]
    return sorted({hit["doc_id"] for hit in hits if episodes.is_about(hit["text"], brief)})


def digest_text(catalog: Any, since: float, day: str) -> tuple[str, int]:
    """The day's episodes summed up (the text, how many)."""
    try:
        ids = catalog.matching({"kind": episodes.KIND, "ingested_after": since})
    except (KeyError, ValueError):
        return "", 0
    chunks = sorted((catalog.chunks[c] for c in ids), key=lambda c: c.metadata.get("ingested_at", 0))
    learned = [c.metadata.get("selector") for c in chunks if c.metadata.get("outcome") == "learned"]
    failed = [c for c in chunks if c.metadata.get("outcome") == "failed"]
    asks = [c for c in chunks if c.metadata.get("event") == "ask"]
    lines = [f"Digest of {day}: {len(chunks)} episodes."]
    if learned:
        lines.append(f"Learned {len(learned)}: {', '.join(sorted(set(map(str, learned))))}.")
    for chunk in failed:
        why = next((line[5:] for line in chunk.text.splitlines() if line.startswith("Why: ")), "")
        lines.append(f"Failed {chunk.metadata.get('selector')}: {why[:200]}")
    if asks:
        personas = sorted({str(c.metadata.get("persona")) for c in asks})
        lines.append(f"Asked {len(asks)} times: {', '.join(personas)}.")
    return "\n".join(lines), len(chunks)


def _day_start(now: float) -> float:
    return now - now % 86400.0


def _plain(failure: dict) -> dict:
    return {k: v for k, v in failure.items() if isinstance(v, (str, int, float, bool)) or v is None}


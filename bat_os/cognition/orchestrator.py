"""The orchestrator: runs cognitive cycles, one asyncio task each.

A cycle turns a message nobody understood into an installed method:

- DECOMPOSING: BRICK answers a JSON list of 1-3 research queries;
- DELEGATING: the knowledge catalog is searched with them;
- SPECIFYING: BRICK writes test cases from the intent, the brief's examples
  and the context, before any code (read as data: :mod:`bat_os.cognition.specs`);
- SYNTHESIZING: the authoring persona (ALFRED, or the receiver's own) writes
  the method from the brief, the retrieved context, the receiver's slots and
  the rules (and the reasons its last attempt was refused), in its persona's voice and a
  plain programmer's by turns; the first two candidates greedily (one per voice, written
  apart), later ones sampled (``sample_temperature``);
- VALIDATING: the guardian audits the source, then ONE jailed run tries it on
  the trial call, the examples and the generated cases, inside a transaction
  that is always aborted (:mod:`bat_os.cognition.selection` judges: an
  example failed is never installed; generated cases are weighed against the
  candidates' agreement); no winner yet goes back to SYNTHESIZING while
  attempts remain (``cycle_max_attempts``, ``candidates``);
- COMPLETE: in ONE transaction the method is installed on the receiver with
  its provenance (its tests included), the original message is sent again (in the jail), and the
  cycle is marked COMPLETE with the result; FAILED changes nothing in the world.

The states, their moves and the step run in each come from the table in
:mod:`bat_os.cognition.states`; the prompts from :mod:`bat_os.cognition.prompts`.
Each transition is committed (a checkpoint) on a pooled connection of the
image's, through :mod:`bat_os.image.transact`; model calls happen outside
any transaction. After a crash, :meth:`Orchestrator.interrupted` lists every
unfinished cycle to resume from its last state (or fails it with the reason
``interrupted``, as configured).

Its collaborators are seams: the model backend (:class:`~bat_os.models.backends.LLM`),
the jail (:class:`~bat_os.jail.runner.JailRunner`) and memory
(:class:`~bat_os.memory.service.MemoryService`), so a test can hand it fakes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

from bat_os.cognition import capabilities, changes, episodes, guardian, mending, replies, specs, views
from bat_os.cognition.cycle import Cycle, CycleRegistry
from bat_os.cognition.prompts import (
    brief_intent, decomposition_prompt, is_pure, sample_seed, shown_slots,
    specification_prompt, synthesis_prompt, synthesis_voice)
from bat_os.cognition.selection import CONFIRMATIONS, MAX_REASONS, choose
from bat_os.cognition.research import research
from bat_os.cognition.trials import Trials, code_sha256, trial_event
from bat_os.jail import contract
from bat_os.cognition.states import FIRST, STATES, TransitionError
from bat_os.errors import Busy, CycleFailed, JailError, LLMError, MethodRaised
from bat_os.image import transact
from bat_os.image.codec import render
from bat_os.image.history import versions_of
from bat_os.image.image import Image
from bat_os.image.objects import UvmObject, oid_to_hex
from bat_os.jail.runner import JailRunner
from bat_os.memory.service import MemoryService
from bat_os.models.backends import CALL_CONTEXT, LLM, Completion
from bat_os.cognition.host import ImageHost

logger = logging.getLogger(__name__)

SPEC_PERSONA = "BRICK"  # who writes the test cases in SPECIFYING
T = TypeVar("T")


@dataclass(frozen=True)
class CycleSettings:
    max_attempts: int = 12  # syntheses before FAILED (config.cycle_max_attempts)
    candidates: int = 8  # candidates that may stand for the agreement vote; after the second, sampled
    sample_temperature: float = 0.5  # the temperature of sampled candidates
    repeat_heat: float = 0.2  # added to it for each candidate so far that repeated an earlier one's source (up to 1.0)
    confirmations: int = CONFIRMATIONS  # samples an identical greedy pair waits for, answering as it does (selection)
    seed: int = 0  # the series of samples (config.cycle_seed): 0, the same candidates as earlier releases
    resume: str = "resume"  # after a crash: "resume" or "fail"
    conflict_retries: int = 3  # a checkpoint or the install retried after conflicting writes


class Orchestrator:
    tap: Callable[[dict], None] | None = None  # every cycle's events (the kernel's event stream), beside the listeners

    def __init__(
        self, image: Image, llm: LLM, jail: JailRunner, settings: CycleSettings, *,
        now: Callable[[], float] = time.time, memory: MemoryService | None = None,
    ) -> None:
        self.image = image
        self.memory = memory  # hybrid search for DELEGATING (None: words only)
        self.llm = llm
        self.jail = jail
        self.trials = Trials(image, jail, lambda root, cycle_id: self._registry(root).get(cycle_id).receiver)
        self.settings = settings
        self.now = now
        self._running: dict[tuple[bytes, str], asyncio.Future] = {}
        self._listeners: dict[str, Callable[[dict], None] | None] = {}
        self._briefs: dict[str, str] = {}  # a driven cycle's brief hash, for its events
        self._pauses: dict[str, Callable[[], Awaitable[None]]] = {}  # awaited before each step of a cycle

    # --- entry points -------------------------------------------------------------------
    async def learn(
        self, receiver_oid: bytes, selector: str, args: list, kwargs: dict, *, intent: str | None = None,
        reply_to: dict | None = None, on_event: Callable[[dict], None] | None = None, examples: list[dict] | None = None,
        relearn: dict | None = None, origin: str = "user", pause: Callable[[], Awaitable[None]] | None = None,
    ) -> dict:
        """Run a cycle for ``selector`` on the receiver; the ok result or CycleFailed.

        ``intent`` is the sentence that asked for the method: kept in the brief
        for the prompts, never passed to the method. A second request for the
        same receiver and selector while a cycle runs waits for that cycle
        instead of starting another (its own intent is then unused).
        ``relearn``: the method it replaces (shown to the author; its callers' stored cases must hold).
        ``origin``: who asked ("user", or "heartbeat": the image's own background work); ``pause``: awaited
        before each step (the heartbeat's cycles wait there while users' requests are served).
        """
        key = (receiver_oid, selector)
        running = self._running.get(key)
        if running is not None:
            await asyncio.shield(running)
            return {"joined": True}
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            cycle_id = self._create(receiver_oid, selector, args, kwargs, reply_to, intent, examples, relearn, origin)
            if pause is not None:
                self._pauses[cycle_id] = pause
            return await self.drive(cycle_id, on_event)
        finally:
            self._running.pop(key, None)
            if not future.done():
                future.set_result(None)

    def interrupted(self) -> list[tuple[str, dict | None]]:
        """Cycles a crash interrupted: (id, reply_to) of those to resume.

        With ``resume = "fail"`` they are failed here with reason
        ``interrupted`` (and still returned, so their waiting client hears).
        """
        found = self._read(lambda root: [(c.id, render(c.reply_to) if c.reply_to else None) for c in self._registry(root).unfinished()])
        for cycle_id, _reply_to in found:
            if self.settings.resume == "resume":
                logger.warning("cycle %s was interrupted; resuming it from its last checkpoint", cycle_id)
            else:
                logger.warning("cycle %s was interrupted; failing it (cycle_resume = fail)", cycle_id)
                self._write(lambda root, cycle_id=cycle_id: self._fail(root, cycle_id, ["interrupted"]))
        return found

    async def drive(self, cycle_id: str, on_event: Callable[[dict], None] | None = None) -> dict:
        """Run (or report) an existing cycle to its end: the ok result, or CycleFailed."""
        self._listeners[cycle_id] = on_event
        try:
            return await self._drive(cycle_id)
        finally:
            self._listeners.pop(cycle_id, None)
            self._briefs.pop(cycle_id, None)
            self._pauses.pop(cycle_id, None)

    # --- transactions on pooled connections ------------------------------------------------
    def _write(self, work: Callable[[Any], T]) -> T:
        """``work(root)`` in one committed transaction (a checkpoint), retried after conflicts."""
        return self._on_pair(lambda tm, conn: transact.run(tm, lambda: work(conn.root()), retries=self.settings.conflict_retries))

    def _read(self, work: Callable[[Any], T]) -> T:
        return self._on_pair(lambda tm, conn: transact.run(tm, lambda: work(conn.root()), write=False))

    def _on_pair(self, use: Callable[[Any, Any], T]) -> T:
        pair = self.image.acquire()
        try:
            return use(*pair)
        finally:
            self.image.release(pair)

    @staticmethod
    def _registry(root: Any) -> CycleRegistry:
        return root["orchestrator_obj"].slots["cycles"]

    @staticmethod
    def _state(root: Any, name: str) -> UvmObject:
        return root["psm_prototypes_obj"].slots[name]

    # --- the cycle ------------------------------------------------------------------------
    def _create(
        self, receiver_oid: bytes, selector: str, args: list, kwargs: dict, reply_to: dict | None,
        intent: str | None = None, examples: list[dict] | None = None, relearn: dict | None = None, origin: str = "user",
    ) -> str:
        def create(root: Any) -> str:
            registry = self._registry(root)
            receiver = root._p_jar.get(receiver_oid)
            now = self.now()
            # args and kwargs are what the method is called with (trial, re-send); intent only informs the prompts.
            brief = {"type": "unhandled_message", "selector": selector, "args": args, "kwargs": kwargs}
            if intent:
                brief["intent"] = intent
            if examples:
                brief["examples"] = examples  # the user's word: checked as plain data by the caller
            if relearn:
                brief["relearn"] = relearn
            cycle = Cycle(registry.new_id(now), receiver, brief, self._state(root, FIRST), now)
            cycle.reply_to = reply_to
            if origin != Cycle.origin:
                cycle.origin = origin
            registry.add(cycle)
            return cycle.id

        return self._write(create)

    async def _drive(self, cycle_id: str) -> dict:
        """Run the cycle from wherever it stands until COMPLETE or FAILED."""
        labels = self._read(lambda root: self._labels(self._registry(root).get(cycle_id)))
        CALL_CONTEXT.set({"cycle": cycle_id, "brief_sha256": labels["brief_sha256"]})  # this task's model calls
        self._briefs[cycle_id] = labels["brief_sha256"]
        while True:
            state, reasons = self._read(lambda root: self._where(self._registry(root).get(cycle_id)))
            self._event(cycle_id, {"type": "state", "cycle": cycle_id, "state": state, **labels, **reasons})
            if state == "COMPLETE":
                return self._read(lambda root: render(self._ok(self._registry(root).get(cycle_id))))
            if state == "FAILED":
                summary = self._read(lambda root: render(self._registry(root).get(cycle_id).summary()))
                raise CycleFailed(
                    f"cycle {cycle_id} failed in {summary['failed_state']}: {'; '.join(summary['reasons'])}",
                    cycle=cycle_id, state=summary["failed_state"], reasons=summary["reasons"],
                )
            step = getattr(self, "_" + STATES[state].step)  # the table names the step each state runs
            if (pause := self._pauses.get(cycle_id)) is not None:
                await pause()
            try:
                await step(cycle_id)
            except (LLMError, TransitionError) as exc:
                logger.warning("cycle %s failed in %s: %s", cycle_id, state, exc)
                reason = f"{state}: {exc}"
                self._write(lambda root: self._fail(root, cycle_id, [reason]))

    def _event(self, cycle_id: str, event: dict) -> None:
        if event.get("type") != "token" and cycle_id in self._briefs:
            event.setdefault("brief_sha256", self._briefs[cycle_id])
        for listener in (self._listeners.get(cycle_id), self.tap):  # the request's client; the kernel's event stream
            if listener is not None:
                listener(event)

    @staticmethod
    def _labels(cycle: Cycle) -> dict:
        """What every event of a cycle carries beside its id: the brief's hash, who asked, the selector."""
        return {"brief_sha256": cycle.brief_sha256, "origin": cycle.origin, "selector": cycle.selector}

    @staticmethod
    def _where(cycle: Cycle) -> tuple[str, dict]:
        """The cycle's state, and (FAILED) the state that failed and why."""
        if cycle.state_name != "FAILED":
            return cycle.state_name, {}
        return cycle.state_name, {"failed_state": cycle.failed_state, "reasons": [str(r)[:300] for r in cycle.reasons][:20]}

    def _fail(self, root: Any, cycle_id: str, reasons: list[str]) -> None:
        cycle = self._registry(root).get(cycle_id)
        cycle.fail(self._state(root, "FAILED"), self.now(), reasons)
        episodes.remember(root, cycle, self.now())  # in the same transaction as the failure

    def _move(self, cycle_id: str, state: str, **artifacts: Any) -> None:
        def move(root: Any) -> None:
            cycle = self._registry(root).get(cycle_id)
            for key, value in artifacts.items():
                cycle.artifacts[key] = value
            cycle.move(self._state(root, state), self.now())

        self._write(move)

    @staticmethod
    def _ok(cycle: Cycle) -> dict:
        return {
            "cycle": cycle.id,
            "selector": cycle.selector,
            "installed_on": oid_to_hex(cycle.receiver._p_oid),
            "result": cycle.result,
        }

    async def _begin(self, cycle_id: str) -> None:
        self._move(cycle_id, "DECOMPOSING")

    async def _decompose(self, cycle_id: str) -> None:
        brief, receiver = self._read(lambda root: views.brief_and_receiver(self._registry(root).get(cycle_id)))
        prompt = decomposition_prompt(brief, receiver)
        completion = await self._ask(cycle_id, "BRICK", prompt)
        queries = replies.extract_queries(completion.text)
        origin = "reply"
        if not queries:  # research never sinks a cycle: the intent and the selector's words will do
            logger.info("cycle %s: BRICK's reply holds no queries (%r); searching with the intent and the selector", cycle_id, completion.text[:200])
            queries, origin = replies.fallback_queries(brief["selector"], brief_intent(brief)), "fallback"
        self._move(cycle_id, "DELEGATING", queries=queries[:3], queries_from=origin, decomposition_model=completion.model)

    async def _delegate(self, cycle_id: str) -> None:
        """Search the knowledge catalog with each query and recall the episodes of similar missions
        (:func:`bat_os.cognition.research.research`)."""
        queries, brief, receiver = self._read(lambda root: (lambda c: (
            render(c.artifacts.get("queries", [])), render(c.brief), oid_to_hex(c.receiver._p_oid)))(self._registry(root).get(cycle_id)))
        found = await research(self.memory, self._read, queries, brief, receiver, cycle_id)
        self._move(cycle_id, "SPECIFYING", **found)

    async def _specify(self, cycle_id: str) -> None:
        """Test cases from the intent, the examples and the catalog, written before any code (data, never run)."""
        brief, receiver, context = self._read(lambda root: (
            *views.brief_and_receiver(self._registry(root).get(cycle_id)), render(self._registry(root).get(cycle_id).artifacts.get("context", []))))
        try:
            completion = await self._ask(cycle_id, SPEC_PERSONA, specification_prompt(brief, receiver, context), until_block=True)
        except LLMError as exc:  # tests are an aid: without them the trial and the examples still judge
            logger.warning("cycle %s: no test cases were written (%s); going on without", cycle_id, exc)
            self._move(cycle_id, "SYNTHESIZING", cases=[], cases_dropped=[], specification_error=str(exc)[:300])
            return
        # the request speaks of the object's data: a call's cases may not follow on from another call's
        stateful = bool(brief_intent(brief)) and not is_pure(brief, shown_slots(receiver["slots"], brief))
        kept, dropped = specs.accept_cases(replies.extract_cases(completion.text, brief["selector"], stateful), brief,
                                           set(receiver["slots"]))
        self._move(cycle_id, "SYNTHESIZING", cases=kept, cases_dropped=dropped, specification_model=completion.model)

    async def _synthesize(self, cycle_id: str) -> None:
        info = self._read(lambda root: views.synthesis_info(root, self._registry(root).get(cycle_id)))
        # the first two candidates: best guesses in the two voices, written apart (the second does not hear why the
        # first was refused: two readings that agree must not share one); later ones sampled, to disagree
        refusals = [] if info["attempts"] == 1 else info["refusals"]
        prompt = synthesis_prompt(info["brief"], info["receiver"], info["context"], refusals, info["episodes"],
                                  episodes.notes(info["context"], info["brief"]))
        system = synthesis_voice(info["attempts"] + 1, info["system"])
        temperature = self.sample_temperature(info["repeats"]) if info["attempts"] >= 2 and self.settings.candidates > 1 else None
        try:  # a sample's seed: the attempt and the prompt, so that a cycle asked again samples the same candidates
            completion = await self._ask(cycle_id, info["author"], prompt, system=system, temperature=temperature,
                                         until_block=True, seed=sample_seed(prompt, info["attempts"], self.settings.seed) if temperature else None)
        except LLMError:
            if info["attempts"] and await self._settle(cycle_id):
                return  # no further candidate could be written: a vetted one was installed
            raise
        # small slips are mended rather than spending an attempt on them (mending.candidate_code says which)
        arity = len(info["brief"].get("args", [])) + len(info["brief"].get("kwargs", {}))
        code, repairs = mending.candidate_code(completion.text, info["brief"]["selector"], arity, contract.ALLOWED_MODULES,
                                               set(info["receiver"]["slots"]))

        def record(root: Any) -> None:
            cycle = self._registry(root).get(cycle_id)
            cycle.attempts += 1
            cycle.artifacts["code"] = code
            for key, value in repairs.items():
                cycle.artifacts[key] = value
            cycle.artifacts["author"] = info["author"]
            cycle.artifacts["model"] = completion.model
            cycle.artifacts["prompt_sha256"] = completion.prompt_sha256
            cycle.artifacts["temperature"] = temperature
            cycle.move(self._state(root, "VALIDATING"), self.now(), attempt=cycle.attempts)

        self._write(record)

    @property
    def _confirmations(self) -> int:
        """Samples an identical greedy pair waits for; none where no more than two candidates may stand."""
        return self.settings.confirmations if self.settings.candidates > 2 else 0

    def sample_temperature(self, repeats: int) -> float:
        """The temperature of a sampled candidate: ``sample_temperature``, hotter by ``repeat_heat`` for each
        candidate so far whose source repeated an earlier one's (:func:`~bat_os.cognition.readings.repeats`), up
        to 1.0. A sample that comes back to a text already tried spends an attempt and tells nothing new: on the
        51 tasks (w8 form) 40 of the 136 candidates of tasks that took more than two were such repeats, ten of
        twelve in one cycle."""
        return min(1.0, self.settings.sample_temperature + self.settings.repeat_heat * repeats)

    async def _validate(self, cycle_id: str) -> None:
        """Audit the candidate, run it against the trial call, the examples and the generated cases (one
        jailed run), then install the candidate the cases and the candidates' agreement pick, or go back."""
        info = self._read(lambda root: views.validation_info(self._registry(root).get(cycle_id)))
        code, selector = info["code"], info["selector"]
        verdict = guardian.audit(code, selector)
        record = {"attempt": info["attempt"], "code": code, "author": info["author"], "model": info["model"],
                  "prompt_sha256": info["prompt_sha256"], "verdict": verdict.to_dict()}
        if verdict.accepted:
            record.update(await self.trials.record(cycle_id, code, selector, info))
        else:
            record.update(eligible=False, passes=[], outputs=[],
                          failed=[f"static: {r.rule} (line {r.line}): {r.message}" for r in verdict.reasons])
        self._event(cycle_id, trial_event(cycle_id, record))
        records = await self.trials.tell_apart(cycle_id, selector, info, [*info["candidates"], record])
        lone = "evidence" if info["attempt"] >= self.settings.max_attempts else "never"
        winner, discarded, decided = (choose(records, info["cases"], f"obj.{selector}", trusted=len(info["examples"]) >= 2, lone=lone,
                                             confirm=self._confirmations)
                                      if record.get("eligible") or lone != "never" else (None, [], "the candidate was refused"))
        if winner is not None:
            chosen = records[winner]
            self._write(lambda root: self._keep_candidates(root, cycle_id, records, decided, discarded))
            await self._complete(cycle_id, chosen["code"], selector, {**info, **chosen, "discarded": discarded}, chosen["verdict"])
            return
        reasons = list(record.get("failed") or [])
        if record.get("eligible"):  # it held the trial and the examples: disputed, or waiting for company
            reasons = [f"generated case: {why}" for why in record.get("generated_failed", [])][:MAX_REASONS] \
                or [f"not chosen yet: {decided}"]
        eligible = sum(1 for r in records if r.get("eligible"))

        def refuse(root: Any) -> None:
            cycle = self._registry(root).get(cycle_id)
            self._keep_candidates(root, cycle_id, records, decided, [])
            refusals = list(cycle.artifacts.get("refusals", []))
            # what goes back to the author: only what the user's word and the trial say (a generated case
            # may be wrong; the next candidate is sampled on its own, so that agreement means something)
            refusals.append({"attempt": cycle.attempts, "reasons": reasons, "feedback": not record.get("eligible")})
            cycle.artifacts["refusals"] = refusals
            if cycle.attempts >= self.settings.max_attempts or eligible >= self.settings.candidates:
                every = [f"attempt {r['attempt']}: {reason}" for r in refusals for reason in r["reasons"]]
                if eligible:
                    every.append(f"no candidate could be chosen: {decided}")
                cycle.fail(self._state(root, "FAILED"), self.now(), every)
                episodes.remember(root, cycle, self.now())
            else:
                cycle.move(self._state(root, "SYNTHESIZING"), self.now(), refused=reasons)

        self._write(refuse)

    async def _settle(self, cycle_id: str) -> bool:
        """The model cannot write another candidate: install the sole one that held every case, if any
        (the record says so); False when there is none."""
        info = self._read(lambda root: views.validation_info(self._registry(root).get(cycle_id)))
        records = info["candidates"]
        winner, discarded, decided = choose(records, info["cases"], f"obj.{info['selector']}",
                                            trusted=len(info["examples"]) >= 2, lone="any", confirm=self._confirmations)
        if winner is None:
            return False
        chosen = records[winner]
        self._write(lambda root: self._keep_candidates(root, cycle_id, records, decided, discarded))
        await self._complete(cycle_id, chosen["code"], info["selector"], {**info, **chosen, "discarded": discarded}, chosen["verdict"])
        return True

    def _keep_candidates(self, root: Any, cycle_id: str, records: list[dict], decided: str, discarded: list[dict]) -> None:
        cycle = self._registry(root).get(cycle_id)
        cycle.artifacts["candidates"] = records
        cycle.artifacts["decision"] = decided
        if discarded:
            cycle.artifacts["cases_discarded"] = discarded

    async def _complete(self, cycle_id: str, code: str, selector: str, info: dict, verdict: dict) -> None:
        """Install and re-send in ONE transaction; COMPLETE commits with them (retried after conflicts)."""
        if info.get("relearn"):  # a relearn: the callers' stored cases must hold with the new version
            oid = self._read(lambda root: self._registry(root).get(cycle_id).receiver._p_oid)
            if broken := (await changes.try_change(self.image, self.jail, oid, selector, code, [], self.trials.capabilities))[1]:
                why = f"the new version breaks a stored case of {broken[0].selector}: {broken[0].message}"
                return self._write(lambda root: self._fail(root, cycle_id, [why]))
        tm, conn = pair = self.image.acquire()
        installed: dict = {"type": "installed"}

        async def install() -> None:
            installed.clear()
            installed["type"] = "installed"
            root = conn.root()
            cycle = self._registry(root).get(cycle_id)
            receiver = cycle.receiver
            receiver.add_method(
                selector, code, author=info["author"], origin="generated", change="relearned" if info.get("relearn") else "learned",
                provenance={
                    "cycle": cycle_id, "persona": info["author"], "model": info["model"],
                    "prompt_sha256": info["prompt_sha256"],
                    "context_ids": [c["id"] for c in info["context"]],
                    "verdict": verdict, "grants": capabilities.used_by(code), **({"asked_by": cycle.origin} if cycle.origin != "user" else {}),
                    "tests": specs.kept_tests(info["examples"], info["cases"], info.get("discarded", [])),
                },
            )
            host = ImageHost(conn, receiver, jail=self.jail, capabilities=self.trials.granting(code, selector))
            # The trial passed: the re-send may use a warm worker.
            cycle.result = host.render_result(await self.jail.run(code, selector, info["args"], info["kwargs"], host, fresh=False))
            cycle.outcome = "complete"
            cycle.move(self._state(root, "COMPLETE"), self.now())
            episodes.remember(root, cycle, self.now(), code, info["author"])  # committed with the install
            installed.update(cycle=cycle_id, selector=selector, receiver=oid_to_hex(receiver._p_oid), author=info["author"],
                             version=len(versions_of(receiver, selector)),
                             code_sha256=code_sha256(code), origin=cycle.origin, brief_sha256=cycle.brief_sha256)

        try:
            await transact.run_async(tm, install, retries=(retries := self.settings.conflict_retries), note=f"cycle {cycle_id}: install {selector}")
            self._event(cycle_id, installed)  # committed
        except JailError as exc:
            why = f"{exc.error_type}: {exc.message}" if isinstance(exc, MethodRaised) else str(exc)
            self._write(lambda root: self._fail(root, cycle_id, [f"re-send after install: {why}"]))
        except Busy:
            self._write(lambda root: self._fail(root, cycle_id, [f"COMPLETE: conflicting writes, gave up after {retries + 1} tries"]))
        finally:
            self.image.release(pair)

    async def _ask(
        self, cycle_id: str, persona: str, prompt: str, system: str = "", temperature: float | None = None,
        until_block: bool = False, seed: int | None = None,
    ) -> Completion:
        def token(text: str) -> None:
            self._event(cycle_id, {"type": "token", "cycle": cycle_id, "persona": persona, "text": text})

        # only what is asked is passed: a backend written before an option still answers
        extra = {k: v for k, v in (("temperature", temperature), ("until_block", until_block or None), ("seed", seed)) if v is not None}
        return await self.llm.complete(persona, prompt, system=system, on_token=token, **extra)


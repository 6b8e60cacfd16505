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
  that is always aborted; :func:`bat_os.cognition.choosing.decide` says what next:
  install, ask the person (ASKING, :mod:`bat_os.cognition.answering`: the answer is
  an example, every candidate is tried on it again), write another (SYNTHESIZING), or fail;
- COMPLETE: in ONE transaction the method is installed on the receiver with
  its provenance (its tests included), the original message is sent again (in the jail), and the
  cycle is marked COMPLETE with the result; FAILED changes nothing in the world.

The states, their moves and the step run in each come from the table in
:mod:`bat_os.cognition.states`; the prompts from :mod:`bat_os.cognition.prompts`.
Three steps live in modules of their own, each an object that holds the orchestrator: PLANNING
(:class:`~bat_os.cognition.planning.Planner`), ASKING (:class:`~bat_os.cognition.answering.Answers`) and
COMPLETE (:class:`~bat_os.cognition.installing.Installer`); a candidate is tried by
:meth:`~bat_os.cognition.trials.Trials.tried`. What stays here: the entry points, the loop that drives a
cycle through the table, the steps up to VALIDATING, and acting on the choice (``_choose``).
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
from typing import Any, Awaitable, Callable

from bat_os.cognition import answering, asking, choosing, episodes, installing, mending, planning, replies, specs, views
from bat_os.cognition.records import CycleRecords
from bat_os.cognition.prompts import (
    brief_intent, decomposition_prompt, is_pure, sample_seed, shown_slots,
    specification_prompt, synthesis_prompt, synthesis_voice)
from bat_os.cognition.selection import MAX_REASONS
from bat_os.cognition.research import research
from bat_os.cognition.trials import Trials, trial_event
from bat_os.jail import contract
from bat_os.cognition.states import STATES, TransitionError
from bat_os.errors import CycleFailed, LLMError
from bat_os.image.codec import render
from bat_os.image.image import Image
from bat_os.image.objects import oid_to_hex
from bat_os.jail.runner import JailRunner
from bat_os.memory.service import MemoryService
from bat_os.models.backends import CALL_CONTEXT, LLM, Completion

logger = logging.getLogger(__name__)

SPEC_PERSONA = "BRICK"  # who writes the test cases in SPECIFYING


@dataclass(frozen=True)
class CycleSettings:
    max_attempts: int = 12  # syntheses before FAILED (config.cycle_max_attempts)
    candidates: int = 8  # candidates that may stand for the agreement vote; after the second, sampled
    sample_temperature: float = 0.5  # the temperature of sampled candidates
    repeat_heat: float = 0.2  # added to it for each candidate so far that repeated an earlier one's source (up to 1.0)
    questions: int = 3  # questions a cycle may ask the person who sent the message (config.cycle_questions)
    confirm: str = "auto"  # show the chosen candidate before install: auto | always | never (config.cycle_confirm)
    question_seconds: float = 300.0  # an unanswered question counts as skipped after this (config.cycle_question_seconds)
    seed: int = 0  # the series of samples (config.cycle_seed): 0, the same candidates as earlier releases
    resume: str = "resume"  # after a crash: "resume" or "fail"
    conflict_retries: int = 3  # a checkpoint or the install retried after conflicting writes
    plan: bool = False  # a request no whole candidate holds after the first round is learned in parts (config.cycle_plan)
    feedback: bool = True  # the author is shown a candidate that failed an answer, and how (config.cycle_feedback)


def cycle_settings(config: Any, **overrides: Any) -> CycleSettings:
    """The cycle's settings from the kernel's :class:`~bat_os.config.Config` (``overrides``: fields set otherwise)."""
    return CycleSettings(**{
        "max_attempts": config.cycle_max_attempts, "candidates": config.cycle_candidates, "resume": config.cycle_resume,
        "seed": config.cycle_seed, "conflict_retries": config.conflict_retries, "questions": config.cycle_questions,
        "confirm": config.cycle_confirm, "question_seconds": config.cycle_question_seconds, "plan": bool(config.cycle_plan),
        "feedback": bool(config.cycle_feedback), **overrides})


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
        self.records = CycleRecords(image, lambda: self.now(), settings.conflict_retries)  # the cycles in the image
        self.trials = Trials(image, jail, lambda root, cycle_id: self.records.get(root, cycle_id).receiver)
        self.settings = settings
        self.now = now
        self._running: dict[tuple[bytes, str], asyncio.Future] = {}
        self._listeners: dict[str, Callable[[dict], None] | None] = {}
        self._briefs: dict[str, str] = {}  # a driven cycle's brief hash, for its events
        self._pauses: dict[str, Callable[[], Awaitable[None]]] = {}  # awaited before each step of a cycle
        self._askers: dict[str, bool] = {}  # cycles whose requester listens and may be asked (until it skips)
        self.waiting = asking.Waiting()  # the answers questions wait for (the answer command hands them over)
        self.planner = planning.Planner(self)  # PLANNING, and what a plan changes in the other steps
        self.installer = installing.Installer(self)  # COMPLETE
        self.answers = answering.Answers(self)  # ASKING, and every candidate judged again after an answer

    # --- entry points -------------------------------------------------------------------
    async def learn(
        self, receiver_oid: bytes, selector: str, args: list, kwargs: dict, *, intent: str | None = None,
        reply_to: dict | None = None, on_event: Callable[[dict], None] | None = None, examples: list[dict] | None = None,
        relearn: dict | None = None, origin: str = "user", pause: Callable[[], Awaitable[None]] | None = None,
        ask: bool = False, inherit: str | None = None,
    ) -> dict:
        """Run a cycle for ``selector`` on the receiver; the ok result or CycleFailed.

        ``intent`` is the sentence that asked for the method: kept in the brief
        for the prompts, never passed to the method. A second request for the
        same receiver and selector while a cycle runs waits for that cycle
        instead of starting another (its own intent is then unused).
        ``relearn``: the method it replaces (shown to the author; its callers' stored cases must hold).
        ``origin``: who asked ("user", or "heartbeat": the image's own background work); ``pause``: awaited
        before each step (the heartbeat's cycles wait there while users' requests are served).
        ``ask``: the requester listens and may be asked questions (``on_event`` carries them).
        ``inherit``: a failed cycle whose research, cases and candidates this one starts from (a later answer).
        """
        key = (receiver_oid, selector)
        running = self._running.get(key)
        if running is not None:
            await asyncio.shield(running)
            return {"joined": True}
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            cycle_id = self.records.create(receiver_oid, selector, args, kwargs, reply_to, intent, examples, relearn, origin, inherit)
            if pause is not None:
                self._pauses[cycle_id] = pause
            return await self.drive(cycle_id, on_event, ask=ask)
        finally:
            self._running.pop(key, None)
            if not future.done():
                future.set_result(None)

    async def retry(self, cycle_id: str, question_id: str, answer: dict, *, reply_to: dict | None = None,
                    on_event: Callable[[dict], None] | None = None, ask: bool = False) -> dict:
        """A later answer to a question a failed cycle could not ask (or was not answered): a new cycle with the
        answer among the person's examples, starting from the failed one's research, cases and candidates."""
        def mark(root: Any) -> dict:
            cycle = self.records.get(root, cycle_id)
            questions = list(cycle.artifacts.get("questions", []))
            at = next(i for i, q in enumerate(questions) if q["id"] == question_id)
            examples = asking.examples_of(render(questions[at]), answer)
            questions[at] = answering.settled(questions[at], answer, "answer", self.now(), examples)
            cycle.artifacts["questions"] = questions
            brief = render(cycle.brief)
            return {"oid": cycle.receiver._p_oid, "brief": brief, "examples": [*brief.get("examples", []), *views.answers(cycle)]}

        old = self.records.write(mark)
        brief = old["brief"]
        return await self.learn(old["oid"], brief["selector"], brief.get("args", []), brief.get("kwargs", {}),
                                intent=brief.get("intent"), examples=old["examples"], reply_to=reply_to, on_event=on_event,
                                ask=ask, inherit=cycle_id)

    def interrupted(self) -> list[tuple[str, dict | None]]:
        """Cycles a crash interrupted: (id, reply_to) of those to resume.

        With ``resume = "fail"`` they are failed here with reason
        ``interrupted`` (and still returned, so their waiting client hears).
        """
        found = self.records.read(lambda root: [(c.id, render(c.reply_to) if c.reply_to else None, c.brief.get("part_of"))
                                                for c in self.records.registry(root).unfinished()])
        for cycle_id, _reply_to, part_of in found:
            if self.settings.resume == "resume":
                logger.warning("cycle %s was interrupted; resuming it from its last checkpoint%s", cycle_id,
                               f" (a part of {part_of}: with it)" if part_of else "")
            else:
                logger.warning("cycle %s was interrupted; failing it (cycle_resume = fail)", cycle_id)
                self.records.write(lambda root, cycle_id=cycle_id: self.records.fail(root, cycle_id, ["interrupted"]))
        return [(cycle_id, reply_to) for cycle_id, reply_to, part_of in found if not part_of]  # parts: their parent's

    async def drive(self, cycle_id: str, on_event: Callable[[dict], None] | None = None, ask: bool = False) -> dict:
        """Run (or report) an existing cycle to its end: the ok result, or CycleFailed. ``ask``: see :meth:`learn`."""
        self._listeners[cycle_id] = on_event
        self._askers[cycle_id] = ask and on_event is not None and self.settings.questions > 0
        try:
            return await self._drive(cycle_id)
        finally:
            self._askers.pop(cycle_id, None)
            self._listeners.pop(cycle_id, None)
            self._briefs.pop(cycle_id, None)
            self._pauses.pop(cycle_id, None)

    async def _drive(self, cycle_id: str) -> dict:
        """Run the cycle from wherever it stands until COMPLETE or FAILED."""
        labels = self.records.read(lambda root: self.records.labels(self.records.get(root, cycle_id)))
        CALL_CONTEXT.set({"cycle": cycle_id, "brief_sha256": labels["brief_sha256"]})  # this task's model calls
        self._briefs[cycle_id] = labels["brief_sha256"]
        while True:
            state, reasons = self.records.read(lambda root: self.records.where(self.records.get(root, cycle_id)))
            self._event(cycle_id, {"type": "state", "cycle": cycle_id, "state": state, **labels, **reasons})
            if state == "COMPLETE":
                return self.records.read(lambda root: render(self.records.ok(self.records.get(root, cycle_id))))
            if state == "FAILED":
                summary = self.records.read(lambda root: render(self.records.get(root, cycle_id).summary()))
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
                self.records.write(lambda root: self.records.fail(root, cycle_id, [reason]))

    def _event(self, cycle_id: str, event: dict) -> None:
        if event.get("type") != "token" and cycle_id in self._briefs:
            event.setdefault("brief_sha256", self._briefs[cycle_id])
        for listener in (self._listeners.get(cycle_id), self.tap):  # the request's client; the kernel's event stream
            if listener is not None:
                listener(event)

    async def _plan(self, cycle_id: str) -> None:
        await self.planner.step(cycle_id)

    async def _begin(self, cycle_id: str) -> None:
        self.records.move(cycle_id, "DECOMPOSING")

    def _inherited(self, cycle_id: str, key: str, state: str) -> bool:
        """A retry's step that its failed cycle did already: move on with what it found."""
        if not self.records.read(lambda root: key in self.records.get(root, cycle_id).artifacts and
                          "inherited" in self.records.get(root, cycle_id).artifacts):
            return False
        self.records.move(cycle_id, state)
        return True

    async def _decompose(self, cycle_id: str) -> None:
        if self._inherited(cycle_id, "queries", "DELEGATING"):
            return
        brief, receiver = self.records.read(lambda root: views.brief_and_receiver(self.records.get(root, cycle_id)))
        prompt = decomposition_prompt(brief, receiver)
        completion = await self._ask(cycle_id, "BRICK", prompt)
        queries = replies.extract_queries(completion.text)
        origin = "reply"
        if not queries:  # research never sinks a cycle: the intent and the selector's words will do
            logger.info("cycle %s: BRICK's reply holds no queries (%r); searching with the intent and the selector", cycle_id, completion.text[:200])
            queries, origin = replies.fallback_queries(brief["selector"], brief_intent(brief)), "fallback"
        self.records.move(cycle_id, "DELEGATING", queries=queries[:3], queries_from=origin, decomposition_model=completion.model)

    async def _delegate(self, cycle_id: str) -> None:
        """Search the knowledge catalog with each query and recall the episodes of similar missions
        (:func:`bat_os.cognition.research.research`)."""
        if self._inherited(cycle_id, "context", "SPECIFYING"):
            return
        queries, brief, receiver = self.records.read(lambda root: (lambda c: (
            render(c.artifacts.get("queries", [])), render(c.brief), oid_to_hex(c.receiver._p_oid)))(self.records.get(root, cycle_id)))
        found = await research(self.memory, self.records.read, queries, brief, receiver, cycle_id)
        self.records.move(cycle_id, "SPECIFYING", **found)

    async def _specify(self, cycle_id: str) -> None:
        """Test cases from the intent, the examples and the catalog, written before any code (data, never run)."""
        if self._inherited(cycle_id, "cases", "SYNTHESIZING"):
            return
        brief, receiver, context = self.records.read(lambda root: (
            *views.brief_and_receiver(self.records.get(root, cycle_id)), render(self.records.get(root, cycle_id).artifacts.get("context", []))))
        try:
            completion = await self._ask(cycle_id, SPEC_PERSONA, specification_prompt(brief, receiver, context), until_block=True)
        except LLMError as exc:  # tests are an aid: without them the trial and the examples still judge
            logger.warning("cycle %s: no test cases were written (%s); going on without", cycle_id, exc)
            self.records.move(cycle_id, "SYNTHESIZING", cases=[], cases_dropped=[], specification_error=str(exc)[:300])
            return
        # the request speaks of the object's data: a call's cases may not follow on from another call's
        stateful = bool(brief_intent(brief)) and not is_pure(brief, shown_slots(receiver["slots"], brief))
        kept, dropped = specs.accept_cases(replies.extract_cases(completion.text, brief["selector"], stateful), brief,
                                           set(receiver["slots"]))
        clauses = specs.conditions_of(brief_intent(brief))
        conditions = specs.accept_conditions(replies.extract_conditions(completion.text, brief["selector"], clauses, stateful),
                                             brief, set(receiver["slots"]))
        self.records.move(cycle_id, "SYNTHESIZING", cases=kept, cases_dropped=dropped, conditions=conditions,
                          specification_model=completion.model)

    async def _synthesize(self, cycle_id: str) -> None:
        inherited = self.records.read(lambda root: render(self.records.get(root, cycle_id).artifacts.get("inherited", {})))
        if inherited.get("candidates"):  # a retry: its failed cycle's candidates first, on today's examples
            self.records.write(lambda root: self.records.get(root, cycle_id).artifacts.__setitem__("inherited", {"cycle": inherited["cycle"]}))
            vinfo = self.records.read(lambda root: views.validation_info(self.records.get(root, cycle_id)))
            return await self.answers.rejudge(cycle_id, vinfo, inherited["candidates"])
        info = self.records.read(lambda root: views.synthesis_info(root, self.records.get(root, cycle_id)))
        # the first two candidates: best guesses in the two voices, written apart (the second does not hear why the
        # first was refused: two readings that agree must not share one); later ones sampled, to disagree
        refusals = [] if info["attempts"] == 1 else info["refusals"]
        prompt = synthesis_prompt(info["brief"], info["receiver"], info["context"], refusals, info["episodes"],
                                  episodes.notes(info["context"], info["brief"]), info["helpers"], info["wrong"])
        system = synthesis_voice(info["attempts"] + 1, info["system"])
        temperature = self.sample_temperature(info["repeats"]) if info["attempts"] >= 2 and self.settings.candidates > 1 else None
        try:  # a sample's seed: the attempt and the prompt, so that a cycle asked again samples the same candidates
            completion = await self._ask(cycle_id, info["author"], prompt, system=system, temperature=temperature,
                                         until_block=True, seed=sample_seed(prompt, info["attempts"], self.settings.seed) if temperature else None)
        except LLMError as exc:
            if info["attempts"]:  # no further candidate could be written: choose among those there are
                vinfo = self.records.read(lambda root: views.validation_info(self.records.get(root, cycle_id)))
                return await self._choose(cycle_id, vinfo, vinfo["candidates"], final=True, note=f"SYNTHESIZING: {exc}")
            raise
        # small slips are mended rather than spending an attempt on them (mending.candidate_code says which)
        arity = len(info["brief"].get("args", [])) + len(info["brief"].get("kwargs", {}))
        code, repairs = mending.candidate_code(completion.text, info["brief"]["selector"], arity, contract.ALLOWED_MODULES,
                                               set(info["receiver"]["slots"]))

        def record(root: Any) -> None:
            cycle = self.records.get(root, cycle_id)
            cycle.attempts += 1
            cycle.artifacts["code"] = code
            for key, value in repairs.items():
                cycle.artifacts[key] = value
            cycle.artifacts["author"] = info["author"]
            cycle.artifacts["model"] = completion.model
            cycle.artifacts["prompt_sha256"] = completion.prompt_sha256
            cycle.artifacts["temperature"] = temperature
            cycle.move(self.records.state(root, "VALIDATING"), self.now(), attempt=cycle.attempts)

        self.records.write(record)

    def sample_temperature(self, repeats: int) -> float:
        """``sample_temperature``, hotter by ``repeat_heat`` for each candidate so far that repeated an earlier one's
        source (:func:`~bat_os.cognition.readings.repeats`: 40 of 136 on the learning benchmark, w8), up to 1.0."""
        return min(1.0, self.settings.sample_temperature + self.settings.repeat_heat * repeats)

    async def _validate(self, cycle_id: str) -> None:
        """Audit the candidate and run it against the trial call, the examples and the generated cases (one
        jailed run), then choose (:func:`bat_os.cognition.choosing.decide`)."""
        info = self.records.read(lambda root: views.validation_info(self.records.get(root, cycle_id)))
        record = await self.trials.tried(cycle_id, info, {"attempt": info["attempt"], "code": info["code"], "author": info["author"],
                                                          "model": info["model"], "prompt_sha256": info["prompt_sha256"]})
        self._event(cycle_id, trial_event(cycle_id, record))
        records = await self.trials.tell_apart(cycle_id, info["selector"], info, [*info["candidates"], record])
        await self._choose(cycle_id, info, records, newest=record)

    async def _choose(self, cycle_id: str, info: dict, records: list[dict], newest: dict | None = None, *,
                      final: bool = False, note: str = "") -> None:
        """Act on :func:`~bat_os.cognition.choosing.decide`: install, ask (ASKING), write another candidate, or fail."""
        eligible = sum(1 for r in records if r.get("eligible"))
        final = final or planning.budget(info, self.settings.max_attempts) <= 0 or eligible >= self.settings.candidates
        asked = len(info["questions"])
        answered = sum(len(asking.kept(q)) for q in info["questions"])
        can_ask = self._askers.get(cycle_id, False) and asked < self.settings.questions
        decision = choosing.decide(records, examples=info["requested"], answered=answered, can_ask=can_ask,
                                   confirm=self.settings.confirm, final=final,
                                   conditions=tuple(c["label"] for c in info["conditions"]),
                                   uncovered=tuple(specs.uncovered(info["conditions"], info["examples"])),
                                   untested=tuple(specs.untested(info["conditions"])))
        if decision.action == choosing.INSTALL:
            self.records.write(lambda root: self.records.keep_candidates(root, cycle_id, records, decision.why))
            return await self.installer.install(cycle_id, info, records[decision.winner])
        if decision.action not in (choosing.CONFIRM, choosing.ASK) or len(decision.clusters) > planning.READINGS:
            if planning.wanted(records, len(decision.clusters), info, enabled=self.settings.plan):
                return self.records.write(lambda root: self.planner.begin(root, cycle_id, records, decision.why))
        calls = next((r["calls"] for r in records if r.get("calls")), [])
        if decision.split is not None and decision.action != choosing.MORE:
            asking_ = asking.question(cycle_id, asked + 1, info["selector"], decision, calls, info["receiver_slots"],
                                      records[decision.winner].get("trial_result") if decision.winner is not None else None)
            if decision.action == choosing.CONFIRM:
                asking_["winner"] = decision.winner
            if info["part_of"]:  # a helper's question: the person sees whose part it is
                asking_["part_of"] = info["part_of"]
        else:
            asking_ = None
        reasons = list((newest or {}).get("failed") or [])
        if (newest or {}).get("eligible"):  # it held the trial and the examples: disputed, or waiting for company
            reasons = [f"generated case: {why}" for why in newest.get("generated_failed", [])][:MAX_REASONS] or [
                f"not chosen yet: {decision.why}"]

        def act(root: Any) -> None:
            cycle = self.records.get(root, cycle_id)
            self.records.keep_candidates(root, cycle_id, records, decision.why)
            if newest is not None:
                refusals = list(cycle.artifacts.get("refusals", []))
                # what goes back to the author: only what the user's word and the trial say (a generated case
                # may be wrong; the next candidate is sampled on its own, so that agreement means something)
                refusals.append({"attempt": cycle.attempts, "reasons": reasons, "feedback": not newest.get("eligible")})
                cycle.artifacts["refusals"] = refusals
            if asking_ is not None:
                cycle.artifacts["questions"] = [*cycle.artifacts.get("questions", []), asking_]
            if decision.action in (choosing.ASK, choosing.CONFIRM):
                cycle.move(self.records.state(root, "ASKING"), self.now(), question=asking_["id"])
            elif decision.action == choosing.MORE:
                if cycle.state_name != "SYNTHESIZING":
                    cycle.move(self.records.state(root, "SYNTHESIZING"), self.now(), refused=reasons)
            else:
                every = [f"attempt {r['attempt']}: {why}" for r in cycle.artifacts.get("refusals", []) for why in r["reasons"]]
                lead = ["unanswered"] if decision.disputed else []
                cycle.fail(self.records.state(root, "FAILED"), self.now(),
                           [*lead, *([note] if note else []), *every, f"no candidate could be chosen: {decision.why}"])
                episodes.remember(root, cycle, self.now())

        self.records.write(act)
        if asking_ is not None and decision.action == choosing.FAIL:  # nobody was asked: a watcher, or a later answer
            self._event(cycle_id, {"type": "question", "cycle": cycle_id, "question": asking.shown(asking_), "waiting": False})

    async def _ask_person(self, cycle_id: str) -> None:
        await self.answers.step(cycle_id)

    async def _ask(
        self, cycle_id: str, persona: str, prompt: str, system: str = "", temperature: float | None = None,
        until_block: bool = False, seed: int | None = None,
    ) -> Completion:
        """A persona's model call for a step (not the person: that is ASKING), its words streamed as the cycle's
        ``token`` events."""
        def token(text: str) -> None:
            self._event(cycle_id, {"type": "token", "cycle": cycle_id, "persona": persona, "text": text})

        # only what is asked is passed: a backend written before an option still answers
        extra = {k: v for k, v in (("temperature", temperature), ("until_block", until_block or None), ("seed", seed)) if v is not None}
        return await self.llm.complete(persona, prompt, system=system, on_token=token, **extra)


"""The driver: runs cognitive cycles through the table, one asyncio task each, applying what each step returns.

::

    learn / retry ---> Store.create ---> drive:  loop  state = Store.where(cycle)
                                                       event {"type": "state"}
                                                       COMPLETE: the result    FAILED: CycleFailed
                                                       step = STEPS[STATES[state].step]
                                                       transition = await step(run, Store.view(cycle))
                                                       Store.apply(transition)  (or Store.install: COMPLETE)
                                                       its events told

The states and the step each runs come from :mod:`~bat_os.cognition.cycle.states`; the steps are
:mod:`~bat_os.cognition.cycle.steps`; every move is committed (a checkpoint) by the
:class:`Store`, and model calls and jailed runs happen outside any transaction. A step
reaches the kernel only through its :class:`Run`. After a crash, :meth:`Orchestrator.interrupted` lists every
unfinished cycle to resume from its last state (or fails it with the reason ``interrupted``, as configured).

Its collaborators are seams: the model backend (:class:`~bat_os.models.backends.LLM`), the jail
(:class:`~bat_os.jail.runner.JailRunner`) and memory (:class:`~bat_os.memory.service.MemoryService`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, TypeVar

from bat_os.cognition.author.prompts import AUTHOR_DEFAULT, author_for, brief_intent, describe_receiver
from bat_os.cognition.cycle import memory
from bat_os.cognition.cycle.record import Cycle, CycleRegistry, answers, person_brief
from bat_os.cognition.cycle.states import FIRST, STATES, Transition, TransitionError
from bat_os.cognition.cycle.steps import STEPS
from bat_os.cognition.judge import questions
from bat_os.cognition.judge.candidate import Candidate
from bat_os.cognition.judge.cases import kept_tests
from bat_os.cognition.methods.capabilities import used_by
from bat_os.cognition.methods.host import ImageHost
from bat_os.cognition.trial.calls import plain_slots
from bat_os.cognition.trial.runs import Trials
from bat_os.errors import Answered, Busy, CycleFailed, JailError, LLMError, MethodRaised, NotFound
from bat_os.image import transact
from bat_os.image.codec import render
from bat_os.image.history import versions_of
from bat_os.image.image import Image
from bat_os.image.objects import UvmObject, oid_to_hex
from bat_os.image.primordial import PERSONAS
from bat_os.jail.runner import JailRunner
from bat_os.memory.service import MemoryService
from bat_os.models.backends import CALL_CONTEXT, LLM, Completion

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: What a cycle started from a failed one (a later answer) takes over: its research, cases and conditions.
INHERITED = ("queries", "queries_from", "context", "episodes", "cases", "cases_dropped", "conditions")


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
    feedback: bool = True  # the author is shown a candidate that failed an answer, and how (config.cycle_feedback)
    coverage: bool = True  # the one to install meets calls at its branches and boundaries first (config.cycle_coverage)
    give_up_seconds: float = 60.0  # someone listening: no candidate after this since the start (config)
    give_up_answered_seconds: float = 30.0  # ... nor after this since the person's last answer (config)


def cycle_settings(config: Any, **overrides: Any) -> CycleSettings:
    """The cycle's settings from the kernel's :class:`~bat_os.config.Config` (``overrides``: fields set otherwise)."""
    return CycleSettings(**{
        "max_attempts": config.cycle_max_attempts, "candidates": config.cycle_candidates, "resume": config.cycle_resume,
        "seed": config.cycle_seed, "conflict_retries": config.conflict_retries, "questions": config.cycle_questions,
        "confirm": config.cycle_confirm, "question_seconds": config.cycle_question_seconds, "coverage": bool(config.cycle_coverage),
        "feedback": bool(config.cycle_feedback), "give_up_seconds": config.cycle_give_up_seconds,
        "give_up_answered_seconds": config.cycle_give_up_answered_seconds, **overrides})


def view(root: Any, cycle: Cycle) -> dict:
    """A cycle as its steps read it (plain data): the brief, the receiver, every artifact, and what they make: the
    person's examples (the request's, then their answers'), the candidates as :class:`Candidate`, the author and the
    system prompt of its persona."""
    a = render(cycle.artifacts)
    author = author_for(cycle.receiver)
    brief = render(cycle.brief)
    return {
        **a, "id": cycle.id, "state": cycle.state_name, "selector": cycle.selector, "brief": brief, "origin": cycle.origin,
        "person_brief": person_brief(cycle), "args": brief.get("args", []), "kwargs": brief.get("kwargs", {}),
        "intent": brief_intent(brief), "relearn": brief.get("relearn"), "created": cycle.created, "examples": [*brief.get("examples", []), *answers(cycle)],
        "requested": len(brief.get("examples", [])), "attempts": cycle.attempts,
        "receiver": describe_receiver(cycle.receiver), "receiver_hex": oid_to_hex(cycle.receiver._p_oid),
        "receiver_slots": plain_slots(cycle.receiver), "writer": author,
        "system": str(root[PERSONAS[author]["root"]].slots["codex"]["system_prompt"]),
        "author": a.get("author", AUTHOR_DEFAULT), "questions": a.get("questions", []),
        "candidates": [Candidate.from_dict(c) for c in a.get("candidates", [])],
        "cases": a.get("cases", []), "conditions": a.get("conditions", []), "context": a.get("context", []),
    }


class Store:
    """The orchestrator's cycles in ``image`` (``orchestrator_obj.cycles``); ``now``: the clock."""

    def __init__(self, image: Image, now: Callable[[], float], retries: int) -> None:
        self.image = image
        self.now = now
        self.retries = retries

    def get(self, root: Any, cycle_id: str) -> Cycle:
        return self.registry(root).get(cycle_id)

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

    def view(self, cycle_id: str) -> dict:
        return self.read(lambda root: view(root, self.get(root, cycle_id)))

    def create(
        self, receiver_oid: bytes, selector: str, args: list, kwargs: dict, reply_to: dict | None,
        intent: str | None = None, examples: list[dict] | None = None, relearn: dict | None = None, origin: str = "user",
        inherit: str | None = None,
    ) -> str:
        """A new cycle; ``inherit``: a failed cycle whose research, cases and candidates it starts from."""
        def create(root: Any) -> str:
            # args and kwargs are what the method is called with (trial, re-send); intent only informs the prompts.
            brief = {"selector": selector, "args": args, "kwargs": kwargs, **({"intent": intent} if intent else {}),
                     **({"examples": examples} if examples else {}), **({"relearn": relearn} if relearn else {})}
            cycle_id = self.add(root, root._p_jar.get(receiver_oid), brief, reply_to, origin)
            if inherit is not None:  # its candidates are tried again on the examples, then chosen
                cycle = self.get(root, cycle_id)
                old = self.get(root, inherit).artifacts
                cycle.artifacts.update({k: old[k] for k in INHERITED if k in old})
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
        return {"brief_sha256": cycle.brief_sha256, "origin": cycle.origin, "selector": cycle.selector}

    @staticmethod
    def where(cycle: Cycle) -> tuple[str, dict]:
        """The cycle's state, and (FAILED) the state that failed and why."""
        if cycle.state_name != "FAILED":
            return cycle.state_name, {}
        return cycle.state_name, {"failed_state": cycle.failed_state, "reasons": [str(r)[:300] for r in cycle.reasons][:20]}

    @staticmethod
    def ok(cycle: Cycle) -> dict:
        return {"cycle": cycle.id, "selector": cycle.selector, "installed_on": oid_to_hex(cycle.receiver._p_oid),
                "result": cycle.result}

    def fail(self, root: Any, cycle_id: str, reasons: list[str]) -> None:
        """FAILED, and the episode remembered in the same transaction."""
        cycle = self.get(root, cycle_id)
        cycle.fail(self.state(root, "FAILED"), self.now(), reasons)
        memory.remember(root, cycle, self.now())

    def keep(self, cycle_id: str, **artifacts: Any) -> None:
        """Artifacts written where the cycle stands (what a step must not lose before it goes on: an answer)."""
        self.write(lambda root: self.get(root, cycle_id).artifacts.update(artifacts))

    def apply(self, cycle_id: str, transition: Transition) -> None:
        """What a step returned, in one committed transaction: its artifacts, the candidates written, the move."""
        def apply(root: Any) -> None:
            cycle = self.get(root, cycle_id)
            for name, value in transition.artifacts.items():
                if value is None:
                    cycle.artifacts.pop(name, None)
                else:
                    cycle.artifacts[name] = value
            if transition.attempts is not None:
                cycle.attempts = transition.attempts
            if transition.next == "FAILED":
                self.fail(root, cycle_id, list(transition.reasons))
            elif transition.next is not None:
                cycle.move(self.state(root, transition.next), self.now(), **transition.note)

        self.write(apply)

    async def install(self, cycle_id: str, chosen: dict, resend: Callable[[Any, UvmObject], Awaitable[Any]]) -> dict | None:
        """COMPLETE in ONE transaction: ``chosen`` installed on the receiver with its provenance and tests, the message
        sent again (``resend(connection, receiver)``: its rendered result), the move and the episode; retried after
        conflicting writes. The ``installed`` event, or None when it failed (the cycle then FAILED, with why)."""
        tm, conn = pair = self.image.acquire()
        installed: dict = {}

        async def attempt() -> None:
            installed.clear()
            root = conn.root()
            cycle = self.get(root, cycle_id)
            receiver, code, selector = cycle.receiver, chosen["code"], chosen["selector"]
            receiver.add_method(selector, code, author=chosen["author"], origin="generated",
                                change="relearned" if cycle.brief.get("relearn") else "learned",
                                provenance={
                                    "cycle": cycle_id, "persona": chosen["author"], "model": chosen["model"],
                                    "prompt_sha256": chosen["prompt_sha256"], "context_ids": chosen["context_ids"],
                                    "verdict": chosen["verdict"], "grants": used_by(code),
                                    **({"asked_by": cycle.origin} if cycle.origin != "user" else {}),
                                    "tests": kept_tests(chosen["examples"], chosen["cases"], chosen["discarded"])})
            cycle.result = await resend(conn, receiver)
            cycle.outcome = "complete"
            cycle.move(self.state(root, "COMPLETE"), self.now())
            memory.remember(root, cycle, self.now(), code, chosen["author"])  # committed with the install
            installed.update(type="installed", cycle=cycle_id, selector=selector, receiver=oid_to_hex(receiver._p_oid),
                             author=chosen["author"], version=len(versions_of(receiver, selector)),
                             code_sha256=hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest(),
                             origin=cycle.origin, brief_sha256=cycle.brief_sha256)

        try:
            await transact.run_async(tm, attempt, retries=self.retries, note=f"cycle {cycle_id}: install {chosen['selector']}")
            return installed
        except JailError as exc:
            why = f"{exc.error_type}: {exc.message}" if isinstance(exc, MethodRaised) else str(exc)
            self.write(lambda root: self.fail(root, cycle_id, [f"re-send after install: {why}"]))
        except Busy:
            self.write(lambda root: self.fail(root, cycle_id, [f"COMPLETE: conflicting writes, gave up after {self.retries + 1} tries"]))
        finally:
            self.image.release(pair)
        return None


class Waiting:
    """The questions the kernel waits an answer for, by (cycle, question id); only the event loop uses it. In memory:
    a question outlives no kernel (after a restart it is asked again, or counts as skipped)."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], asyncio.Future] = {}

    async def wait(self, cycle_id: str, question_id: str, seconds: float) -> dict | None:
        """The answer, or None when none came within ``seconds`` (skipped)."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiting[(cycle_id, question_id)] = future
        try:
            return await asyncio.wait_for(future, seconds)
        except asyncio.TimeoutError:
            return None
        finally:
            self._waiting.pop((cycle_id, question_id), None)

    def waiting(self, cycle_id: str, question_id: str) -> bool:
        future = self._waiting.get((cycle_id, question_id))
        return future is not None and not future.done()

    def answer(self, cycle_id: str, question_id: str, answer: dict) -> None:
        """Hand the waiting cycle its answer: NotFound when nobody waits for it, Answered when it was answered."""
        future = self._waiting.get((cycle_id, question_id))
        if future is None:
            raise NotFound(f"cycle {cycle_id} is not waiting for an answer to {question_id}")
        if future.done():
            raise Answered(f"{question_id} of cycle {cycle_id} was answered already")
        future.set_result(answer)


@dataclass
class Run:
    """What the steps of one cycle may use of the kernel: its settings, its store, the trials, the memory, the
    models (:meth:`ask_model`) and the person (``can_ask``, :meth:`wait_answer`); ``emit`` tells an event."""

    cycle_id: str
    settings: CycleSettings
    store: Store
    trials: Trials
    memory: MemoryService | None
    llm: LLM
    waiting: Waiting
    emit: Callable[[dict], None]
    now: Callable[[], float]
    can_ask: bool = False  # the requester listens and may be asked (until it skips a question)
    pause: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)  # awaited before each step

    async def ask_model(self, persona: str, prompt: str, system: str = "", temperature: float | None = None,
                        until_block: bool = False, seed: int | None = None) -> Completion:
        """A persona's model call, its words told as the cycle's ``token`` events."""
        def token(text: str) -> None:
            self.emit({"type": "token", "cycle": self.cycle_id, "persona": persona, "text": text})

        # only what is asked is passed: a backend written before an option still answers
        extra = {k: v for k, v in (("temperature", temperature), ("until_block", until_block or None), ("seed", seed)) if v is not None}
        return await self.llm.complete(persona, prompt, system=system, on_token=token, **extra)

    async def wait_answer(self, question_id: str) -> dict | None:
        return await self.waiting.wait(self.cycle_id, question_id, self.settings.question_seconds)


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
        self.store = Store(image, lambda: self.now(), settings.conflict_retries)  # the cycles in the image
        self.trials = Trials(image, jail, lambda root, cycle_id: self.store.get(root, cycle_id).receiver)
        self.settings = settings
        self.now = now
        self.waiting = Waiting()  # the answers questions wait for (the answer command hands them over)
        self._running: dict[tuple[bytes, str], asyncio.Future] = {}

    async def learn(
        self, receiver_oid: bytes, selector: str, args: list, kwargs: dict, *, intent: str | None = None,
        reply_to: dict | None = None, on_event: Callable[[dict], None] | None = None, examples: list[dict] | None = None,
        relearn: dict | None = None, origin: str = "user", pause: Callable[[], Awaitable[None]] | None = None,
        ask: bool = False, inherit: str | None = None,
    ) -> dict:
        """Run a cycle for ``selector`` on the receiver: the ok result, or CycleFailed; a second request for the same
        receiver and selector waits for it. ``intent``: the sentence that asked (for the prompts, never the method);
        ``relearn``: the method it replaces; ``origin``: "user" or "heartbeat"; ``pause``: awaited before each step;
        ``ask``: the requester listens and may be asked (``on_event`` carries the questions); ``inherit``: a failed cycle
        whose research, cases and candidates it starts from."""
        key = (receiver_oid, selector)
        running = self._running.get(key)
        if running is not None:
            await asyncio.shield(running)
            return {"joined": True}
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            cycle_id = self.store.create(receiver_oid, selector, args, kwargs, reply_to, intent, examples, relearn, origin, inherit)
            return await self.drive(cycle_id, on_event, ask=ask, pause=pause)
        finally:
            self._running.pop(key, None)
            if not future.done():
                future.set_result(None)

    async def retry(self, cycle_id: str, question_id: str, answer: dict, *, reply_to: dict | None = None,
                    on_event: Callable[[dict], None] | None = None, ask: bool = False) -> dict:
        """A later answer to a question a failed cycle could not ask (or was not answered): a new cycle with the
        answer among the person's examples, starting from the failed one's research, cases and candidates."""
        def mark(root: Any) -> dict:
            cycle = self.store.get(root, cycle_id)
            asked = list(cycle.artifacts.get("questions", []))
            at = next(i for i, q in enumerate(asked) if q["id"] == question_id)
            examples = questions.examples_of(render(asked[at]), answer)
            asked[at] = questions.settled(asked[at], answer, "answer", self.now(), examples)
            cycle.artifacts["questions"] = asked
            return {"oid": cycle.receiver._p_oid, "brief": render(cycle.brief), "examples": person_brief(cycle).get("examples", [])}

        old = self.store.write(mark)
        brief = old["brief"]
        return await self.learn(old["oid"], brief["selector"], brief.get("args", []), brief.get("kwargs", {}),
                                intent=brief.get("intent"), examples=old["examples"], reply_to=reply_to, on_event=on_event,
                                ask=ask, inherit=cycle_id)

    def interrupted(self) -> list[tuple[str, dict | None]]:
        """Cycles a crash interrupted: (id, reply_to) of those to resume. With ``resume = "fail"`` they are failed here
        with reason ``interrupted`` (and still returned, so their waiting client hears)."""
        found = self.store.read(lambda root: [(c.id, render(c.reply_to) if c.reply_to else None)
                                              for c in self.store.registry(root).unfinished()])
        for cycle_id, _reply_to in found:
            if self.settings.resume == "resume":
                logger.warning("cycle %s was interrupted; resuming it from its last checkpoint", cycle_id)
            else:
                logger.warning("cycle %s was interrupted; failing it (cycle_resume = fail)", cycle_id)
                self.store.write(lambda root, cycle_id=cycle_id: self.store.fail(root, cycle_id, ["interrupted"]))
        return found

    async def drive(self, cycle_id: str, on_event: Callable[[dict], None] | None = None, ask: bool = False,
                    pause: Callable[[], Awaitable[None]] | None = None) -> dict:
        """Run (or report) an existing cycle to its end: the ok result, or CycleFailed. ``ask``, ``pause``: see
        :meth:`learn`."""
        labels = self.store.read(lambda root: self.store.labels(self.store.get(root, cycle_id)))
        CALL_CONTEXT.set({"cycle": cycle_id, "brief_sha256": labels["brief_sha256"]})  # this task's model calls

        def emit(event: dict) -> None:
            if event.get("type") != "token":
                event.setdefault("brief_sha256", labels["brief_sha256"])
            for listener in (on_event, self.tap):  # the request's client; the kernel's event stream
                if listener is not None:
                    listener(event)

        run = Run(cycle_id, self.settings, self.store, self.trials, self.memory, self.llm, self.waiting, emit, self.now,
                  can_ask=ask and on_event is not None and self.settings.questions > 0, pause=pause)
        while True:
            state, reasons = self.store.read(lambda root: self.store.where(self.store.get(root, cycle_id)))
            emit({"type": "state", "cycle": cycle_id, "state": state, **labels, **reasons})
            if state == "COMPLETE":
                return self.store.read(lambda root: render(self.store.ok(self.store.get(root, cycle_id))))
            if state == "FAILED":
                summary = self.store.read(lambda root: render(self.store.get(root, cycle_id).summary()))
                raise CycleFailed(f"cycle {cycle_id} failed in {summary['failed_state']}: {'; '.join(summary['reasons'])}",
                                  cycle=cycle_id, state=summary["failed_state"], reasons=summary["reasons"])
            step = STEPS[STATES[state].step]  # the table names the step each state runs
            if run.pause is not None:
                await run.pause()
            try:
                await self.apply(run, await step(run, self.store.view(cycle_id)))
            except (LLMError, TransitionError) as exc:
                logger.warning("cycle %s failed in %s: %s", cycle_id, state, exc)
                reason = f"{state}: {exc}"
                self.store.write(lambda root: self.store.fail(root, cycle_id, [reason]))

    async def apply(self, run: Run, transition: Transition) -> None:
        """Commit what a step returned and tell its events; COMPLETE: its artifacts first, then the install (the method,
        the message sent again and the move, in one transaction), then ``installed``."""
        chosen = transition.install
        if chosen is None or transition.artifacts:
            self.store.apply(run.cycle_id, transition if chosen is None else Transition(None, transition.artifacts))
        for event in transition.events:
            run.emit(event)
        if chosen is None:
            return

        async def resend(conn: Any, receiver: Any) -> Any:  # the trial passed: the re-send may use a warm worker
            host = ImageHost(conn, receiver, jail=self.jail, capabilities=self.trials.granting(chosen["code"], chosen["selector"]))
            return host.render_result(await self.jail.run(chosen["code"], chosen["selector"], chosen["args"], chosen["kwargs"],
                                                          host, fresh=False))

        installed = await self.store.install(run.cycle_id, chosen, resend)
        if installed is not None:
            run.emit(installed)  # committed

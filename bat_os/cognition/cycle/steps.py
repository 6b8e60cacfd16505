"""The step of each state: a function of the cycle's record (its :func:`~bat_os.cognition.cycle.driver.view`) that
returns what changes (a :class:`~bat_os.cognition.cycle.states.Transition`); the driver applies it.

::

    begin        IDLE          -> DECOMPOSING
    decompose    DECOMPOSING   BRICK's research queries                            -> DELEGATING
    delegate     DELEGATING    the catalog searched, episodes recalled             -> SPECIFYING
    specify      SPECIFYING    BRICK's cases and each condition's calls            -> SYNTHESIZING
    synthesize   SYNTHESIZING  the author writes a candidate                       -> VALIDATING
    validate     VALIDATING    it is tried (trial.runs), then :func:`choose`       -> COMPLETE | ASKING | SYNTHESIZING | FAILED
    ask_person   ASKING        the question shown, the answer kept, every
                               candidate tried on it again, then :func:`choose`   -> COMPLETE | ASKING | SYNTHESIZING | FAILED

:func:`choose` turns the one decision (:func:`~bat_os.cognition.judge.decide.decide`) into a transition; an install
is the store's (:meth:`~bat_os.cognition.cycle.driver.Store.install`). A step uses the kernel only through its
:class:`~bat_os.cognition.cycle.driver.Run`: the models, the trials, the memory, the person.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bat_os.cognition.author import mending, replies
from bat_os.cognition.author.prompts import (
    CASE_WRITER, conditions_of, decomposition_prompt, is_pure, sample_seed, shown_slots,
    specification_prompt, synthesis_prompt, synthesis_voice)
from bat_os.cognition.cycle import memory
from bat_os.cognition.cycle.states import Transition
from bat_os.cognition.judge import questions
from bat_os.cognition.judge.candidate import MAX_REASONS, Candidate, repeats
from bat_os.cognition.judge.cases import accept_cases
from bat_os.cognition.judge.decide import ASK, CONFIRM, INSTALL, MORE, Situation, decide
from bat_os.cognition.methods.tests import try_change
from bat_os.cognition.trial.calls import accept_conditions, uncovered, untested
from bat_os.cognition.trial.runs import trial_event
from bat_os.errors import LLMError
from bat_os.image.objects import hex_to_oid
from bat_os.jail import contract

if TYPE_CHECKING:  # types only
    from bat_os.cognition.cycle.driver import Run

logger = logging.getLogger(__name__)
COVER_ROUNDS = 3  # decisions made again after coverage calls: each may choose another, whose own calls come next


async def begin(run: "Run", v: dict) -> Transition:
    return Transition("DECOMPOSING")


def _inherited(v: dict, name: str, then: str) -> Transition | None:
    """A retry's step that its failed cycle did already: move on with what it found."""
    return Transition(then) if name in v and "inherited" in v else None


async def decompose(run: "Run", v: dict) -> Transition:
    if found := _inherited(v, "queries", "DELEGATING"):
        return found
    completion = await run.ask_model(CASE_WRITER, decomposition_prompt(v["brief"], v["receiver"]))
    queries, origin = replies.extract_queries(completion.text), "reply"
    if not queries:  # research never sinks a cycle: the intent and the selector's words will do
        logger.info("cycle %s: BRICK's reply holds no queries (%r); searching with the intent and the selector",
                    v["id"], completion.text[:200])
        queries, origin = replies.fallback_queries(v["selector"], v["intent"]), "fallback"
    return Transition("DELEGATING", {"queries": queries[:3], "queries_from": origin, "decomposition_model": completion.model})


async def delegate(run: "Run", v: dict) -> Transition:
    """The catalog searched with each query, the episodes of similar missions recalled (:func:`memory.research`)."""
    if found := _inherited(v, "context", "SPECIFYING"):
        return found
    return Transition("SPECIFYING", await memory.research(run.memory, run.store.read, v.get("queries", []), v["brief"],
                                                          v["receiver_hex"], v["id"]))


async def specify(run: "Run", v: dict) -> Transition:
    """Cases and each condition's calls from the intent, the examples and the catalog, before any code (data, never
    run); without them (no model answered) the trial and the examples still judge."""
    if found := _inherited(v, "cases", "SYNTHESIZING"):
        return found
    brief, receiver = v["brief"], v["receiver"]
    try:
        completion = await run.ask_model(CASE_WRITER, specification_prompt(brief, receiver, v["context"]), until_block=True)
    except LLMError as exc:
        logger.warning("cycle %s: no test cases were written (%s); going on without", v["id"], exc)
        return Transition("SYNTHESIZING", {"cases": [], "cases_dropped": [], "specification_error": str(exc)[:300]})
    # the request speaks of the object's data: a call's cases may not follow on from another call's
    stateful = bool(v["intent"]) and not is_pure(brief, shown_slots(receiver["slots"], brief))
    kept, dropped = accept_cases(replies.extract_cases(completion.text, brief["selector"], stateful), brief, set(receiver["slots"]))
    raw = replies.extract_conditions(completion.text, brief["selector"], conditions_of(v["intent"]), stateful)
    return Transition("SYNTHESIZING", {"cases": kept, "cases_dropped": dropped, "specification_model": completion.model,
                                       "conditions": accept_conditions(raw, brief, set(receiver["slots"]))})


async def synthesize(run: "Run", v: dict) -> Transition:
    """The author writes a candidate. The first two are best guesses in the two voices, written apart (the second does
    not hear why the first was refused: two readings that agree must not share one); later ones are sampled, hotter
    for each that repeated an earlier one, their seed the attempt and the prompt (a cycle asked again samples the
    same candidates). A retry judges its failed cycle's candidates first."""
    inherited = v.get("inherited") or {}
    if inherited.get("candidates"):  # a retry: its failed cycle's candidates, tried on today's examples
        run.store.keep(v["id"], inherited={"cycle": inherited["cycle"]})
        return await rejudge(run, v, [Candidate.from_dict(c) for c in inherited["candidates"]])
    settings, attempts = run.settings, v["attempts"]
    last = (v.get("refusals") or [{}])[-1]  # its reasons, unless generated cases (one may be wrong: write on its own)
    refusals = list(last.get("reasons", [])) if attempts > 1 and last.get("feedback", True) else []
    brief = v["person_brief"]
    prompt = synthesis_prompt(brief, v["receiver"], v["context"], refusals, v.get("episodes", []),
                              memory.notes(v["context"], brief), v.get("wrong"))
    voice, system = synthesis_voice(attempts + 1, v["system"])
    sampled = attempts >= 2 and settings.candidates > 1
    temperature = min(1.0, settings.sample_temperature + settings.repeat_heat * repeats(v["candidates"])) if sampled else None
    try:
        completion = await run.ask_model(v["writer"], prompt, system=system, temperature=temperature, until_block=True,
                                         seed=sample_seed(prompt, attempts, settings.seed) if temperature else None)
    except LLMError as exc:
        if attempts or v["candidates"]:  # no further candidate could be written: choose among those there are
            return await choose(run, v, v["candidates"], written_out=True, note=f"SYNTHESIZING: {exc}")
        raise
    # small slips are mended rather than spending an attempt on them (mending.candidate_code says which)
    code, repairs = mending.candidate_code(completion.text, v["selector"], len(v["args"]) + len(v["kwargs"]),
                                           contract.ALLOWED_MODULES, set(v["receiver"]["slots"]))
    return Transition("VALIDATING", {"code": code, **repairs, "author": v["writer"], "model": completion.model,
                                     "prompt_sha256": completion.prompt_sha256, "temperature": temperature, "voice": voice},
                      note={"attempt": attempts + 1}, attempts=attempts + 1)


async def validate(run: "Run", v: dict) -> Transition:
    """The candidate audited and tried in one jailed run over every call, the eligible ones told apart by their
    constants' calls, then :func:`choose`."""
    written = {"attempt": v["attempts"], "code": v.get("code", ""), "author": v["author"], "model": v.get("model", ""),
               "prompt_sha256": v.get("prompt_sha256", ""), "temperature": v.get("temperature"), "voice": v.get("voice")}
    newest = await run.trials.tried(v["id"], v, written)
    candidates = await run.trials.tell_apart(v["id"], v, [*v["candidates"], newest])
    return await choose(run, v, candidates, newest, events=(trial_event(v["id"], newest),))


async def ask_person(run: "Run", v: dict) -> Transition:
    """ASKING: the question shown and its answer waited for (off the event loop: others are served), kept on the
    question before anything else (an answer kept is never asked again), then a confirm's ``choose: 0`` installs and
    anything else is judged again with the answer as the person's example."""
    asked = v["questions"][-1]
    if "by" not in asked:
        answer = None
        if run.can_ask:
            run.emit({"type": "question", "cycle": v["id"], "question": questions.shown(asked), "waiting": True})
            answer = await run.wait_answer(asked["id"])
        by = "answer" if answer is not None else ("timeout" if run.can_ask else "nobody")
        answer = answer or {"skip": True}
        asked = questions.settled(asked, answer, by, run.now(), questions.examples_of(asked, answer))
        run.store.keep(v["id"], questions=[*v["questions"][:-1], asked])
        run.emit({"type": "answered", "cycle": v["id"], "question": asked["id"], "answer": answer, "by": by})
        if answer.get("skip"):  # the person will not say; no more questions in this cycle
            run.can_ask = False
        v = run.store.view(v["id"])
    if asked["kind"] == "confirm" and asked["answer"].get("choose") == 0:
        if asked.get("more") and run.can_ask and len(v["questions"]) < run.settings.questions:  # what it had no room for
            more = {**asked["more"], "id": f"q{len(v['questions']) + 1}", "winner": asked["winner"]}
            return Transition("ASKING", {"questions": [*v["questions"], more]}, note={"question": more["id"]})
        return await install(run, v, v["candidates"][asked["winner"]], {})
    return await rejudge(run, v, v["candidates"], shown=asked.get("winner"))


async def rejudge(run: "Run", v: dict, candidates: list[Candidate], shown: int | None = None) -> Transition:
    """Every candidate tried again on today's examples (an answer came) and told apart, then :func:`choose`. The
    candidate shown (else the first) that fails an example is what the author sees next, with the call, the answer
    wanted and its own (``cycle_feedback``: self-debugging)."""
    found = await run.trials.tell_apart(v["id"], v, [await run.trials.tried(v["id"], v, old.written()) for old in candidates])
    wrong = [(k != shown, k) for k, c in enumerate(found) if any(f.startswith("example:") for f in c.failed)]
    told = {}
    if wrong and run.settings.feedback:
        first = found[min(wrong)[1]]
        told = {"wrong": {"code": first.code, "reasons": [f for f in first.failed if f.startswith("example:")][:2]}}
    return await choose(run, v, found, artifacts=told)


async def choose(run: "Run", v: dict, candidates: list[Candidate], newest: Candidate | None = None, *,
                 written_out: bool = False, note: str = "", events: tuple[dict, ...] = (),
                 artifacts: dict | None = None) -> Transition:
    """The decision (:func:`~bat_os.cognition.judge.decide.decide`) as a transition: install, ask (ASKING), write
    another (SYNTHESIZING), or fail with every reason heard. ``newest``: the candidate just tried, whose refusal the
    author hears next; ``written_out``: the author could write no more."""
    settings, asked = run.settings, v["questions"]
    late = run.can_ask and run.now() >= max([v["created"] + settings.give_up_seconds, *(  # fail fast: someone to hand over to
        q["answered_at"] + settings.give_up_answered_seconds for q in asked if "answered_at" in q)])  # (and since an answer)
    seen = [r["reasons"][:1] for r in v.get("refusals", [])]
    again = run.can_ask and newest is not None and not newest.eligible and seen.count(list(newest.failed[:1])) >= 2
    note = note or ("gave up: the time to give up had passed" if late else "gave up: a third candidate failed so" if again else "")
    decision = decide(candidates, situation := Situation(
        examples=v["requested"], answered=sum(len(questions.kept(q)) for q in asked), confirm=settings.confirm,
        can_ask=run.can_ask and len(asked) < settings.questions, last_look=run.can_ask and len(asked) == settings.questions,
        attempts=v["attempts"], max_attempts=settings.max_attempts, max_candidates=settings.candidates,
        written_out=written_out or late or again, untested=tuple(untested(v["conditions"])),
        conditions=tuple(c["label"] for c in v["conditions"]), uncovered=tuple(uncovered(v["conditions"], v["examples"]))))
    for _round in range(COVER_ROUNDS if settings.coverage else 0):  # the one to install meets its coverage calls first
        covered = await run.trials.cover(v["id"], v, candidates, decision.winner, every=not run.can_ask) if decision.action in (INSTALL, CONFIRM) else candidates
        if covered == candidates:
            break
        candidates, decision = covered, decide(covered, situation)
    found = {**(artifacts or {}), "candidates": [c.to_dict() for c in candidates], "decision": decision.why}
    if decision.action == INSTALL:
        return await install(run, v, candidates[decision.winner], found, events)
    question = None
    if decision.split is not None and decision.action != MORE:
        question = questions.question(v["id"], len(asked) + 1, v["selector"], decision, v["receiver_slots"],
                                      candidates[decision.winner].trial_result if decision.winner is not None else None)
        if decision.action == CONFIRM:
            question["winner"] = decision.winner
        found["questions"] = [*asked, question]
    if newest is not None:  # what goes back to the author: only what the person's word and the trial say
        reasons = list(newest.failed)
        if newest.eligible:  # it held the trial and the examples: disputed, or waiting for company
            reasons = [f"generated case: {why}" for why in newest.generated_failed][:MAX_REASONS] or [f"not chosen yet: {decision.why}"]
        found["refusals"] = [*v.get("refusals", []), {"attempt": v["attempts"], "reasons": reasons, "feedback": not newest.eligible}]
    if decision.action in (ASK, CONFIRM):
        return Transition("ASKING", found, note={"question": question["id"]}, events=events)
    if decision.action == MORE:
        return Transition(None if v["state"] == "SYNTHESIZING" else "SYNTHESIZING", found, events=events,
                          note={"refused": found["refusals"][-1]["reasons"] if newest is not None else []})
    every = [f"attempt {r['attempt']}: {why}" for r in found.get("refusals", v.get("refusals", [])) for why in r["reasons"]]
    reasons = (*(["unanswered"] if decision.disputed else []), *([note] if note else []), *every,
               f"no candidate could be chosen: {decision.why}")
    if question is not None:  # nobody was asked: a watcher sees it, and a later answer starts a retry
        events = (*events, {"type": "question", "cycle": v["id"], "question": questions.shown(question), "waiting": False})
    return Transition("FAILED", found, reasons=reasons, events=events)


async def install(run: "Run", v: dict, chosen: Candidate, artifacts: dict, events: tuple[dict, ...] = ()) -> Transition:
    """COMPLETE with ``chosen``: the generated cases it fails are not kept among its tests (the case writer was wrong
    there, or the person's word overruled it). A relearn installs only where its callers' stored cases hold."""
    discarded = [{"case": case, "reason": "the method chosen answers otherwise"}
                 for case, passed in zip(v["cases"], chosen.passes) if not passed]
    if v["relearn"]:
        broken = (await try_change(run.trials.image, run.trials.jail, hex_to_oid(v["receiver_hex"]), v["selector"],
                                   chosen.code, [], run.trials.capabilities))[1]
        if broken:
            why = f"the new version breaks a stored case of {broken[0].selector}: {broken[0].message}"
            return Transition("FAILED", artifacts, reasons=(why,), events=events)
    return Transition("COMPLETE", artifacts, events=events, install={
        "selector": v["selector"], "code": chosen.code, "author": chosen.author, "model": chosen.model,
        "prompt_sha256": chosen.prompt_sha256, "verdict": chosen.verdict, "context_ids": [c["id"] for c in v["context"]],
        "examples": v["examples"], "cases": v["cases"], "discarded": discarded, "args": v["args"], "kwargs": v["kwargs"]})


#: The step each state runs, by the name the table gives it (:attr:`bat_os.cognition.cycle.states.State.step`).
STEPS: dict[str, Any] = {"begin": begin, "decompose": decompose, "delegate": delegate, "specify": specify,
                         "synthesize": synthesize, "validate": validate, "ask_person": ask_person}

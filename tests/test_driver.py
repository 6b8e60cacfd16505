"""The driver (bat_os.cognition.cycle.driver) on its own: a real image (FileStorage in a temp dir), fakes at its three seams.

No processes: the model backend (``LLM``), the jail (``JailRunner``) and
memory (``MemoryService``) are small fakes that follow the seams' Protocols,
so each step's decisions can be watched: what the personas were asked, what
ran in a trial (always aborted) and in the re-send (committed with the
install), what the cycle record keeps, and what a failure leaves behind.
The end-to-end cycle with the real jail and a cassette is tests/test_cycle.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import pytest
import transaction

from bat_os.cognition.cycle.driver import CycleSettings, Orchestrator
from bat_os.cognition.author.prompts import PLAIN_VOICE, sample_seed
from bat_os.errors import CycleFailed, LLMError, MethodRaised
from bat_os.image.image import Image
from bat_os.jail.runner import JailRunner
from bat_os.memory.service import MemoryService
from bat_os.models.backends import LLM, Completion

GOOD = "```python\ndef fly(self, height):\n    self.altitude = height\n    return height + height\n```"
# the same answer written otherwise: the same source twice is one reading, not two that agree
GOOD_TOO = "```python\ndef fly(self, height):\n    self.altitude = height\n    doubled = height + height\n    return doubled\n```"
BAD = "```python\ndef fly(self, height):\n    import os\n    return os.getcwd()\n```"


class FakeLLM:
    """Answers each persona from its own queue of replies (a str, or an exception to raise)."""

    name = "fake"

    def __init__(self, **replies: list[Any]) -> None:
        self.replies = {persona: list(answers) for persona, answers in replies.items()}
        self.calls: list[tuple[str, str, str]] = []
        self.temperatures: list[float | None] = []
        self.seeds: list[int | None] = []

    async def complete(
        self, persona: str, prompt: str, *, system: str = "", on_token: Callable[[str], None] | None = None,
        temperature: float | None = None, until_block: bool = False, seed: int | None = None,
    ) -> Completion:
        self.calls.append((persona, prompt, system))
        self.temperatures.append(temperature)
        self.seeds.append(seed)
        if not self.replies.get(persona):  # as the replay backend does with no line left
            raise LLMError(f"{persona} has no reply left")
        reply = self.replies[persona].pop(0)
        if isinstance(reply, BaseException):
            raise reply
        if on_token is not None:
            on_token(reply[:5])
        return Completion(reply, f"fake-{persona.lower()}", "0" * 64, 0.01)

    async def close(self) -> None:
        return None


class FakeJail:
    """Runs nothing: each run takes the next scripted outcome, ``outcome(host) -> result`` or an exception."""

    available = True
    reason = ""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.runs: list[dict] = []

    def run(self, source: str, selector: str, args: list, kwargs: dict, host: Any, limits: Any = None, *, fresh: bool = True):
        self.runs.append({"selector": selector, "args": args, "fresh": fresh, "source": source})
        outcome = self.outcomes.pop(0)

        async def ran() -> Any:
            await asyncio.sleep(0)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome(host)

        return ran()

    def run_cases(self, source: str, selector: str, cases: list[dict], host: Any, limits: Any = None, trace: bool = False):
        """One scripted outcome for the whole set: run for each case (after ``begin_case``), as the jail does;
        a MethodRaised is each case's outcome, another JailError the run's. A traced run (coverage) takes none: it
        follows no path of the code (its outcomes have no arcs), so no coverage call is chosen."""
        if trace:
            async def traced() -> list[dict]:
                return [{"value": None} for _case in cases]
            return traced()
        self.runs.append({"selector": selector, "args": cases[0]["args"], "fresh": True, "source": source, "cases": cases})
        outcome = self.outcomes.pop(0)

        async def ran() -> list[dict]:
            await asyncio.sleep(0)
            outcomes = []
            for index, case in enumerate(cases):
                host.begin_case(index)
                if isinstance(outcome, MethodRaised):
                    outcomes.append({"raised": outcome.error_type, "message": outcome.message})
                elif isinstance(outcome, BaseException):
                    raise outcome
                elif case.get("role") == "probe":  # other arguments: a method that uses them answers otherwise
                    outcomes.append({"value": f"answer to {case['args']}"})
                else:
                    outcomes.append({"value": outcome(host)})
            return outcomes

        return ran()

    async def start(self) -> None:
        return None

    def protections(self) -> dict:
        return {"separate_process": False}

    def health(self) -> dict:
        return {"ok": True}

    async def close(self) -> None:
        return None


class FakeMemory:
    state = "ready"

    def __init__(self) -> None:
        self.queries: list[str] = []

    async def search(self, query: str, top_k: int = 5, mode: str = "hybrid", filters: dict | None = None,
                     allowed: set[int] | None = None) -> list[dict]:
        self.queries.append(query)
        return [{"doc_id": "doc:flight", "chunk": 0, "score": 0.9, "text": f"about {query}"}]

    async def close(self) -> None:
        return None


def writes_altitude(host: Any) -> int:
    """What GOOD does when it runs: writes a slot through the host, answers twice the height."""
    host.set_slot("self", "altitude", 10)
    return 20


@pytest.fixture
def image(awake_image):
    return awake_image


def _genesis_oid(image: Image) -> bytes:
    return image.read(lambda: image.connection.root()["genesis_obj"]._p_oid)


def _read(image: Image, fn: Callable[[Any], Any]) -> Any:
    return image.read(lambda: fn(image.connection.root()))


def _cycle(image: Image, cycle_id: str) -> dict:
    return _read(image, lambda root: root["orchestrator_obj"].slots["cycles"].get(cycle_id).summary())


def test_the_seams_are_the_protocols_the_kernel_uses():
    assert isinstance(FakeLLM(), LLM)
    for fake, protocol in ((FakeJail(), JailRunner), (FakeMemory(), MemoryService)):
        for name in ("run", "close") if protocol is JailRunner else ("search", "close"):
            assert callable(getattr(fake, name)), (protocol.__name__, name)


def test_samples_are_drawn_hotter_only_after_a_source_came_back(image):
    """Four refused candidates, each a source of its own: every sample at the base temperature; the sampled ones
    repeating the greedy one's: hotter by 0.2 for each repeat, never past 1.0."""
    other = [BAD.replace("getcwd()", f"getcwd() + '{n}'") for n in range(4)]
    for replies, expected in ((other, [None, None, 0.5, 0.5]), ([BAD] * 6, [None, None, 0.7, 0.9, 1.0, 1.0])):
        llm = FakeLLM(BRICK=["[]", ""], ALFRED=list(replies))
        orchestrator = Orchestrator(image, llm, FakeJail(), CycleSettings(max_attempts=len(replies)), memory=FakeMemory(), now=lambda: 100.0)
        with pytest.raises(CycleFailed):
            asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [5], {}, intent="fly up"))
        assert llm.temperatures[2:] == expected


def test_later_candidates_are_sampled_with_a_seed_of_their_prompt_and_attempt(image):
    """Sampled candidates can be had again: the seed is the attempt's and the prompt's, the same each time."""
    seen = []
    for _ in range(2):
        llm = FakeLLM(BRICK=["[]", ""], ALFRED=[BAD] * 4)
        orchestrator = Orchestrator(image, llm, FakeJail(), CycleSettings(max_attempts=4), memory=FakeMemory(), now=lambda: 100.0)
        with pytest.raises(CycleFailed):
            asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [5], {}, intent="fly up"))
        assert [c[0] for c in llm.calls] == ["BRICK", "BRICK", "ALFRED", "ALFRED", "ALFRED", "ALFRED"]
        # two greedy voices, then samples, hotter for each candidate that repeated an earlier one's source (all four here)
        assert llm.temperatures[2:] == [None, None, 0.7, 0.9]
        prompts = [prompt for persona, prompt, _system in llm.calls if persona == "ALFRED"]
        systems = [system for persona, _prompt, system in llm.calls if persona == "ALFRED"]
        assert systems[1] == systems[3] == PLAIN_VOICE and systems[0] == systems[2] != PLAIN_VOICE  # the voices by turns
        # the second greedy candidate is written apart: it does not hear why the first was refused; the third does
        assert "refused" not in prompts[1] and "refused" in prompts[2]
        assert llm.seeds[2:] == [None, None, sample_seed(prompts[2], 2), sample_seed(prompts[3], 3)]
        seen.append(llm.seeds)
        # the failure is an episode the same mission would be shown again (another prompt): forgotten here
        episode = image.read(lambda: [d for d in image.connection.root()["knowledge_catalog_obj"].documents.keys()
                                      if d.startswith("episode:cycle:")])
        assert len(episode) == 1
        image.run(lambda: image.connection.root()["knowledge_catalog_obj"].forget(episode[0]))
    assert seen[0] == seen[1] and seen[0][-1] != seen[0][-2]
    assert sample_seed("same prompt", 2) != sample_seed("same prompt", 4)  # asked again with no new word: another sample


def test_cycle_seed_draws_another_series_of_samples(image):
    """``cycle_seed``: the same prompts sampled with other seeds (another series of candidates); 0 is the
    series recorded cassettes were made with."""
    llm = FakeLLM(BRICK=["[]", ""], ALFRED=[BAD] * 3)
    orchestrator = Orchestrator(image, llm, FakeJail(), CycleSettings(max_attempts=3, seed=7), memory=FakeMemory(), now=lambda: 100.0)
    with pytest.raises(CycleFailed):
        asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [5], {}, intent="fly up"))
    prompt = [prompt for persona, prompt, _system in llm.calls if persona == "ALFRED"][2]
    assert llm.seeds[-1] == sample_seed(prompt, 2, 7) != sample_seed(prompt, 2)
    assert sample_seed(prompt, 2, 0) == sample_seed(prompt, 2)


def test_a_cycle_learns_installs_and_answers_in_one_transaction(image):
    llm = FakeLLM(BRICK=['["how to fly", "altitude"]'], ALFRED=[GOOD, GOOD_TOO])
    jail = FakeJail(writes_altitude, writes_altitude, writes_altitude)  # two candidates' cases, then the re-send after install
    memory = FakeMemory()
    events: list[dict] = []
    orchestrator = Orchestrator(image, llm, jail, CycleSettings(), memory=memory, now=lambda: 100.0)

    outcome = asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [5], {}, intent="fly up", on_event=events.append))

    assert outcome["cycle"] == "c1" and outcome["selector"] == "fly" and outcome["result"] == 20
    assert [e["state"] for e in events if e["type"] == "state"] == [
        "IDLE", "DECOMPOSING", "DELEGATING", "SPECIFYING", "SYNTHESIZING", "VALIDATING", "SYNTHESIZING", "VALIDATING", "COMPLETE"]
    assert [e["persona"] for e in events if e["type"] == "token"] == ["BRICK", "ALFRED", "ALFRED"]
    assert memory.queries == ["how to fly", "altitude"]
    # decomposing, specifying (no reply: no cases), two candidates: a lone one is not installed
    assert [c[0] for c in llm.calls] == ["BRICK", "BRICK", "ALFRED", "ALFRED"]
    assert llm.temperatures == [None, None, None, None]  # the second candidate: greedy, in the other voice
    assert llm.seeds == [None, None, None, None]
    assert llm.calls[2][1] == llm.calls[3][1] and llm.calls[2][2] != llm.calls[3][2] == PLAIN_VOICE
    assert "Intent: fly up" in llm.calls[1][1] and "about how to fly" in llm.calls[1][1]
    assert [(r["fresh"], r["args"]) for r in jail.runs] == [(True, [5]), (True, [5]), (False, [5])]  # trials fresh, re-send warm
    genesis = _read(image, lambda root: {
        "altitude": root["genesis_obj"].slots.get("altitude"),
        "method": root["genesis_obj"].slots["fly"].metadata(),
    })
    assert genesis["altitude"] == 10  # written once, by the re-send: the trial's write was aborted
    assert genesis["method"]["origin"] == "generated" and genesis["method"]["author"] == "ALFRED"
    assert genesis["method"]["provenance"]["cycle"] == "c1" and genesis["method"]["provenance"]["model"] == "fake-alfred"
    record = _cycle(image, "c1")
    assert record["state"] == "COMPLETE" and record["outcome"] == "complete" and record["attempts"] == 2
    assert record["artifacts"]["decision"] == "candidate 1: 2 agree, none otherwise"
    assert record["artifacts"]["search"] == "hybrid" and record["brief"]["intent"] == "fly up"
    assert record["artifacts"]["queries"] == ["how to fly", "altitude"]


def test_one_text_in_both_voices_is_two_readings_and_one_voice_alone_waits_for_company(image):
    """The two voices writing GOOD are two readings that met (choosing.agreement): installed after two. A candidate
    alone is never installed without the person: a lone reading waits, and at the end of the budget fails."""
    llm = FakeLLM(BRICK=["[]", ""], ALFRED=[GOOD, GOOD])
    outcome = asyncio.run(Orchestrator(image, llm, FakeJail(*[writes_altitude] * 3), CycleSettings(), memory=FakeMemory(),
                                       now=lambda: 100.0).learn(_genesis_oid(image), "fly", [5], {}, intent="fly up"))
    record = _cycle(image, outcome["cycle"])
    assert outcome["result"] == 20 and record["attempts"] == 2 and record["artifacts"]["decision"] == "candidate 1: 2 agree, none otherwise"
    alone = FakeLLM(BRICK=["[]", ""], ALFRED=[GOOD.replace("fly", "land")])
    with pytest.raises(CycleFailed, match="one reading, no other to agree"):
        asyncio.run(Orchestrator(image, alone, FakeJail(writes_altitude), CycleSettings(max_attempts=1), memory=FakeMemory(),
                                 now=lambda: 100.0).learn(_genesis_oid(image), "land", [5], {}, intent="land"))
    assert _read(image, lambda root: "land" in root["genesis_obj"].slots) is False


def test_agreeing_candidates_are_asked_the_calls_their_constants_make_and_a_split_rival_blocks_the_install(image):
    """``year % 4`` and the Gregorian rule agree on 2024 and on the probes; is_leap(100) tells them apart.
    Two Gregorian readings do not outvote the short one: nothing asked says which is right, so nothing is installed."""
    short = "def is_leap(self, year):\n    return year % 4 == 0\n"
    full = "def is_leap(self, year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"

    class RuleJail(FakeJail):  # answers every case, probes too, as the source it runs would
        def run_cases(self, source, selector, cases, host, limits=None, trace=False):
            self.runs.append({"args": [c["args"] for c in cases], "source": source})

            async def ran() -> list[dict]:
                return [{"value": y % 4 == 0 and ("400" not in source or y % 100 != 0 or y % 400 == 0)}
                        for y in (c["args"][0] for c in cases)]
            return ran()

        def run(self, source, selector, args, kwargs, host, limits=None, *, fresh=True):
            return _answered(True)  # the re-send

    llm = FakeLLM(BRICK=["[]"], ALFRED=[f"```python\n{code}```" for code in (short, full, full.replace("year % 4 == 0 and", "not year % 4 and"))])
    jail = RuleJail()
    orchestrator = Orchestrator(image, llm, jail, CycleSettings(max_attempts=3), memory=FakeMemory())
    with pytest.raises(CycleFailed, match="^cycle c1 failed in VALIDATING: unanswered"):
        asyncio.run(orchestrator.learn(_genesis_oid(image), "is_leap", [2024], {}, intent="tell whether a year is a leap year"))
    record = _cycle(image, "c1")
    candidates = record["artifacts"]["candidates"]
    # without the constants' calls the three agree on every call, and the short rule could be installed
    assert candidates[0]["signature"] == candidates[1]["signature"] == candidates[2]["signature"]
    asked = [run["args"] for run in jail.runs if run["args"][0] != [2024]]
    assert asked == [[[4], [100], [400]]] * 3  # asked of candidates 1 and 2, then of 3
    assert [dict((json.dumps(call["args"]), a) for call, a in c["extra"])["[100]"] for c in candidates] == [
        '["value", true]', '["value", false]', '["value", false]']
    assert record["state"] == "FAILED" and record["attempts"] == 3
    assert record["artifacts"]["decision"].startswith("candidates 2, 3 and 1 other(s) answer otherwise")
    question = record["artifacts"]["questions"][-1]  # the question nobody was there to answer: is_leap(100)
    assert question["call"]["args"] == [100] and sorted(c["result"] for c in question["choices"]) == [False, True]
    assert "is_leap" not in _read(image, lambda root: root["genesis_obj"].slots)


def _answered(value: Any):
    async def done() -> Any:
        return value
    return done()


def test_a_refusal_goes_back_to_synthesis_with_its_reasons(image):
    llm = FakeLLM(BRICK=['["flying"]'], ALFRED=[BAD, BAD, GOOD, GOOD_TOO])
    jail = FakeJail(writes_altitude, writes_altitude, writes_altitude)
    orchestrator = Orchestrator(image, llm, jail, CycleSettings(max_attempts=4), memory=FakeMemory())
    outcome = asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [5], {}))
    assert outcome["result"] == 20
    assert "Your previous attempt" not in llm.calls[3][1]  # the second greedy candidate is written apart from the first
    third_prompt = llm.calls[4][1]
    assert "Your previous attempt was refused:" in third_prompt and "os" in third_prompt
    record = _cycle(image, outcome["cycle"])
    assert record["attempts"] == 4 and len(record["artifacts"]["refusals"]) == 3
    assert len(jail.runs) == 3  # the refused code never reached the jail
    assert "Your previous attempt" not in llm.calls[5][1]  # waiting for company is no refusal to hear


def test_a_trial_that_raises_is_refused_and_the_last_refusal_fails_the_cycle(image):
    llm = FakeLLM(BRICK=['["flying"]'], ALFRED=[GOOD, GOOD_TOO])
    jail = FakeJail(MethodRaised("ZeroDivisionError", "division by zero"), MethodRaised("ZeroDivisionError", "again"))
    orchestrator = Orchestrator(image, llm, jail, CycleSettings(max_attempts=2), memory=FakeMemory())
    with pytest.raises(CycleFailed) as failed:
        asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [0], {}))
    assert failed.value.code == "cycle_failed" and failed.value.details["state"] == "VALIDATING"
    assert failed.value.details["reasons"] == [
        "attempt 1: trial: obj.fly(0) should not raise, but it raised ZeroDivisionError: division by zero",
        "attempt 2: trial: obj.fly(0) should not raise, but it raised ZeroDivisionError: again",
        "no candidate could be chosen: no candidate held the trial and the examples"]
    assert _read(image, lambda root: "fly" in root["genesis_obj"].slots) is False
    assert [r["fresh"] for r in jail.runs] == [True, True]


def test_a_model_that_fails_fails_the_cycle_in_its_state(image):
    llm = FakeLLM(BRICK=[LLMError("no model answers")])
    orchestrator = Orchestrator(image, llm, FakeJail(), CycleSettings())
    with pytest.raises(CycleFailed, match="failed in DECOMPOSING: DECOMPOSING: no model answers"):
        asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [], {}))


def test_without_a_ready_memory_the_catalog_is_searched_by_words(image):
    llm = FakeLLM(BRICK=['["Watercourse Way"]'], ALFRED=[GOOD, GOOD_TOO])
    memory = FakeMemory()
    memory.state = "loading"
    orchestrator = Orchestrator(image, llm, FakeJail(writes_altitude, writes_altitude, writes_altitude), CycleSettings(), memory=memory)
    outcome = asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [1], {}))
    record = _cycle(image, outcome["cycle"])
    assert memory.queries == [] and record["artifacts"]["search"] == "text"
    assert any("Watercourse" in c["text"] for c in record["artifacts"]["context"])  # the seeded persona codex


def test_a_re_send_that_fails_after_install_installs_nothing(image):
    llm = FakeLLM(BRICK=['["flying"]'], ALFRED=[GOOD, GOOD_TOO])
    jail = FakeJail(writes_altitude, writes_altitude, MethodRaised("ValueError", "only on the second run"))
    orchestrator = Orchestrator(image, llm, jail, CycleSettings())
    with pytest.raises(CycleFailed, match="re-send after install: ValueError: only on the second run"):
        asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [1], {}))
    assert _read(image, lambda root: ("fly" in root["genesis_obj"].slots, root["genesis_obj"].slots.get("altitude"))) == (False, None)


def test_a_conflict_during_install_is_retried_then_given_up(image):
    def conflicting(host: Any) -> int:
        """Another connection changes the receiver while the install's re-send runs."""
        tm = transaction.TransactionManager(explicit=True)
        other = image.db.open(tm)
        tm.begin()
        other.root()["genesis_obj"].slots["altitude"] = -1
        tm.commit()
        tm.begin()
        other.close()
        return writes_altitude(host)

    llm = FakeLLM(BRICK=['["flying"]'], ALFRED=[GOOD, GOOD_TOO])
    orchestrator = Orchestrator(image, llm, FakeJail(writes_altitude, writes_altitude, conflicting, writes_altitude),
                                CycleSettings(conflict_retries=2))
    outcome = asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [1], {}))
    assert outcome["result"] == 20 and _read(image, lambda root: root["genesis_obj"].slots["altitude"]) == 10

    llm = FakeLLM(BRICK=['["flying"]'], ALFRED=[GOOD.replace("fly", "land"), GOOD_TOO.replace("fly", "land")])
    jail = FakeJail(writes_altitude, writes_altitude, conflicting, conflicting)
    orchestrator = Orchestrator(image, llm, jail, CycleSettings(conflict_retries=1))
    with pytest.raises(CycleFailed, match="COMPLETE: conflicting writes, gave up after 2 tries"):
        asyncio.run(orchestrator.learn(_genesis_oid(image), "land", [1], {}))
    assert _read(image, lambda root: "land" in root["genesis_obj"].slots) is False


def test_a_second_request_for_the_same_selector_joins_the_running_cycle(image):
    llm = FakeLLM(BRICK=['["flying"]'], ALFRED=[GOOD, GOOD_TOO])
    orchestrator = Orchestrator(image, llm, FakeJail(writes_altitude, writes_altitude, writes_altitude), CycleSettings())
    oid = _genesis_oid(image)

    async def both() -> list:
        return await asyncio.gather(orchestrator.learn(oid, "fly", [1], {}), orchestrator.learn(oid, "fly", [2], {}))

    first, second = asyncio.run(both())
    assert first["cycle"] == "c1" and second == {"joined": True}
    # one cycle asked the models: BRICK twice (queries, cases), ALFRED twice (two readings agree)
    assert len(llm.calls) == 4


class Crashed(Exception):
    """The kernel stopping where a kill -9 would stop it (every move before was committed)."""


def crash_in(image, cycle_id: str, state: str):
    """A pause that crashes the cycle before the step of ``state``."""
    async def pause() -> None:
        if _cycle(image, cycle_id)["state"] == state:
            raise Crashed(state)
    return pause


def test_an_interrupted_cycle_is_listed_then_resumed_or_failed(image):
    llm = FakeLLM(BRICK=['["flying"]'])
    orchestrator = Orchestrator(image, llm, FakeJail(), CycleSettings())
    oid = _genesis_oid(image)
    cycle_id = orchestrator.store.create(oid, "fly", [1], {}, {"identity": b"client", "req": False, "id": 7})
    with pytest.raises(Crashed):
        asyncio.run(orchestrator.drive(cycle_id, pause=crash_in(image, cycle_id, "DELEGATING")))
    assert orchestrator.interrupted() == [(cycle_id, {"identity": b"client", "req": False, "id": 7})]

    resumed = Orchestrator(image, FakeLLM(ALFRED=[GOOD, GOOD_TOO]), FakeJail(writes_altitude, writes_altitude, writes_altitude),
                           CycleSettings(), memory=FakeMemory())
    assert asyncio.run(resumed.drive(cycle_id))["result"] == 20

    second = orchestrator.store.create(oid, "land", [], {}, None)
    with pytest.raises(Crashed):  # in DECOMPOSING (the table has no IDLE -> FAILED)
        asyncio.run(orchestrator.drive(second, pause=crash_in(image, second, "DECOMPOSING")))
    failing = Orchestrator(image, FakeLLM(), FakeJail(), CycleSettings(resume="fail"))
    assert failing.interrupted() == [(second, None)]
    assert _cycle(image, second)["reasons"] == ["interrupted"]
    with pytest.raises(CycleFailed, match="interrupted"):
        asyncio.run(failing.drive(second))


def test_a_third_candidate_failing_as_two_before_it_ends_the_cycle_with_its_reason(image):
    """Fail fast, someone listening: the same call, the same wrong answer, a third time: no more of the same is
    written, and the person gets the hand-over. Nobody listening (a heartbeat's retry), the budget is spent."""
    for listening, written in ((True, 3), (False, 5)):
        llm = FakeLLM(BRICK=['["flying"]'], ALFRED=[GOOD, GOOD_TOO, GOOD, GOOD_TOO, GOOD])
        jail = FakeJail(*[MethodRaised("ZeroDivisionError", "division by zero")] * 5)
        orchestrator = Orchestrator(image, llm, jail, CycleSettings(max_attempts=5), memory=FakeMemory())
        with pytest.raises(CycleFailed) as failed:
            asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [0], {}, on_event=lambda event: None, ask=listening))
        reasons = failed.value.details["reasons"]
        assert (reasons[0] == "gave up: a third candidate failed so") is listening
        assert len([c for c in llm.calls if c[0] == "ALFRED"]) == written


def test_past_the_time_to_give_up_no_further_candidate_is_written_where_someone_listens(image):
    """Someone listening gets the hand-over once the cycle's time is up; nobody listening (a program's request, a
    heartbeat's retry), the cycle spends its budget: there a slow machine must not cost what it could learn."""
    for listening in (True, False):
        llm = FakeLLM(BRICK=['["flying"]'], ALFRED=[GOOD, GOOD_TOO, GOOD])
        jail = FakeJail(MethodRaised("ZeroDivisionError", "one"), MethodRaised("ValueError", "two"), MethodRaised("KeyError", "three"))
        clock = iter(range(0, 10_000, 40))  # every reading of the clock 40 s later
        orchestrator = Orchestrator(image, llm, jail, CycleSettings(max_attempts=3, give_up_seconds=100), memory=FakeMemory(),
                                    now=lambda: float(next(clock)))
        with pytest.raises(CycleFailed) as failed:
            asyncio.run(orchestrator.learn(_genesis_oid(image), "fly", [0], {}, on_event=lambda event: None, ask=listening))
        assert (failed.value.details["reasons"][0] == "gave up: the time to give up had passed") is listening
        assert (len([c for c in llm.calls if c[0] == "ALFRED"]) < 3) is listening

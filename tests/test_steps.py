"""The steps (bat_os.cognition.cycle.steps), ASKING above all: a real image, the real jail, the replay backend, in this
process.

The candidates are the texts the real 0.5B model wrote for ``initials`` (as in tests/test_questions.py, which runs
the same through a kernel and its socket); the person is this test, answering through the orchestrator's
``waiting`` as the ``answer`` command does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bat_os.cognition.cycle.driver import CycleSettings, Orchestrator
from bat_os.cognition.judge.questions import settled
from bat_os.errors import CycleFailed
from bat_os.image.image import Image
from bat_os.jail.runner import Jail
from bat_os.models.backends import ReplayBackend

AL = "def initials(self, name):\n    parts = name.split()\n    return parts[0][0].upper() + parts[1][0].upper()"
AKL = "def initials(self, name):\n    return ''.join(part[0] for part in name.split()).upper()"
AKL_TOO = "def initials(self, name):\n    return ''.join([word[0].upper() for word in name.split()])"
DOTTED = "def initials(self, name):\n    return ''.join(word[0].upper() + '.' for word in name.split())"
DOTTED_TOO = "def initials(self, name):\n    return ''.join(f'{part[0]}.' for part in name.split()).upper()"
NAME = "Ada King Lovelace"
INTENT = "the initials of a full name in capitals"


def cassette(path: Path, *codes: str) -> Path:
    lines = [{"persona": "BRICK", "contains": "Selector: initials", "response": json.dumps(["initials of a name"])}]
    lines += [{"persona": "ALFRED", "contains": " initials(", "response": f"```python\n{code}\n```"} for code in codes]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def choosing(result: str) -> Callable[[dict], dict]:
    """The person: chooses the choice that answers ``result``."""
    return lambda question: {"choose": next(i for i, c in enumerate(question["choices"]) if c.get("result") == result)}


def learn(image: Image, tmp_path: Path, codes: tuple[str, ...], person: Callable[[dict], dict | None] | None,
          settings: CycleSettings | None = None, now: Callable[[], float] = lambda: 100.0,
          writing: Callable[[], None] = lambda: None) -> tuple[Any, list[dict], list[str]]:
    """Learn ``initials`` with ``person`` listening (None: nobody); its answers go through ``waiting``, as the
    ``answer`` command's do. The outcome (or the CycleFailed), the events, and the prompts ALFRED was given."""
    llm = ReplayBackend(cassette(tmp_path / "initials.jsonl", *codes))
    prompts: list[str] = []
    complete = llm.complete

    async def seen(persona: str, prompt: str, **kwargs: Any) -> Any:
        if persona == "ALFRED":
            prompts.append(prompt)
            writing()
        return await complete(persona, prompt, **kwargs)

    llm.complete = seen  # type: ignore[method-assign]
    events: list[dict] = []

    async def main() -> Any:
        jail = Jail()
        await jail.start()
        orchestrator = Orchestrator(image, llm, jail, settings or CycleSettings(), now=now)

        def heard(event: dict) -> None:
            events.append(event)
            if event["type"] == "question" and event["waiting"] and person is not None:
                answer = person(event["question"])
                if answer is not None:  # handed over once the cycle waits (it waits right after the event)
                    asyncio.get_running_loop().call_soon(orchestrator.waiting.answer, event["cycle"], event["question"]["id"], answer)

        try:
            return await orchestrator.learn(image.read(lambda: image.connection.root()["genesis_obj"]._p_oid), "initials", [NAME], {},
                                            intent=INTENT, on_event=heard if person is not None else None, ask=person is not None)
        except CycleFailed as exc:
            return exc
        finally:
            await jail.close()

    return asyncio.run(main()), events, prompts


def cycle(image: Image, cycle_id: str) -> dict:
    return image.read(lambda: image.connection.root()["orchestrator_obj"].slots["cycles"].get(cycle_id).summary())


def installed(image: Image) -> bool:
    return image.read(lambda: "initials" in image.connection.root()["genesis_obj"].slots)


def test_settled_keeps_the_question_and_adds_the_answer_who_gave_it_and_when():
    asked = {"id": "q1", "kind": "confirm", "winner": 2, "call": {"args": [1], "kwargs": {}, "slots": {}}}
    example = {"args": [1], "kwargs": {}, "result": 2}
    assert settled(asked, {"result": 2}, "answer", 7.5, [example]) == {
        **asked, "answer": {"result": 2}, "by": "answer", "answered_at": 7.5, "examples": [example]}
    assert "examples" not in settled(asked, {"skip": True}, "timeout", 8.0, [])  # a skip makes no example
    assert asked == {"id": "q1", "kind": "confirm", "winner": 2, "call": {"args": [1], "kwargs": {}, "slots": {}}}  # a copy


def test_an_answer_is_kept_with_who_gave_it_and_the_reading_it_chooses_is_installed(awake_image, tmp_path):
    outcome, events, _prompts = learn(awake_image, tmp_path, (AL, AKL, AKL_TOO), choosing("AKL"))
    assert not isinstance(outcome, CycleFailed), outcome
    assert outcome["result"] == "AKL"
    asked = [e for e in events if e["type"] == "question"]
    assert len(asked) == 1 and asked[0]["waiting"] and sorted(c["result"] for c in asked[0]["question"]["choices"]) == ["AK", "AKL"]
    chosen = choosing("AKL")(asked[0]["question"])
    assert [(e["question"], e["answer"], e["by"]) for e in events if e["type"] == "answered"] == [("q1", chosen, "answer")]
    states = [e["state"] for e in events if e["type"] == "state"]
    # asked after two candidates; the answer rules out AL's, and AKL's waits for company: a third agrees
    assert states[states.index("ASKING"):] == ["ASKING", "SYNTHESIZING", "VALIDATING", "COMPLETE"]
    record = cycle(awake_image, "c1")
    al = next(c for c in record["artifacts"]["candidates"] if c["code"] == AL)  # tried again on the answer
    assert not al["eligible"] and al["failed"] == [f"example: obj.initials('{NAME}') should return 'AKL', but it returned 'AK'"]
    kept = record["artifacts"]["questions"][0]
    assert kept["by"] == "answer" and kept["answered_at"] == 100.0
    assert kept["examples"] == [{"args": [NAME], "kwargs": {}, "result": "AKL"}]


def test_an_answer_gives_the_cycle_its_time_to_give_up_again(awake_image, tmp_path):
    """The person thinks for a quarter of an hour: their time is not the cycle's, and what they said is worth new
    candidates (the paced replay of every recorded run: counting only the cycle's own time, without a fresh start at
    an answer, learned 12 tasks with the person where this learns 23). The candidate that agrees is written after
    the answer, as without the wait."""
    clock = [100.0]

    def slow(question: dict) -> dict:
        clock[0] += 900.0
        return choosing("AKL")(question)

    outcome, events, _prompts = learn(awake_image, tmp_path, (AL, AKL, AKL_TOO), slow, CycleSettings(give_up_seconds=100),
                                      now=lambda: clock[0])
    assert not isinstance(outcome, CycleFailed), outcome
    assert outcome["result"] == "AKL"
    record = cycle(awake_image, "c1")["artifacts"]
    assert len(record["questions"]) == 1 and len(record["candidates"]) == 3  # (late, it would show AKL's alone and ask again)
    assert record["questions"][0]["answered_at"] == 1000.0


FIRST = "def initials(self, name):\n    return name[:1]\n"


@pytest.mark.parametrize("after", [CycleSettings().give_up_answered_seconds, 1000.0])
def test_after_an_answer_the_cycle_has_a_shorter_time_to_give_up(awake_image, tmp_path, after):
    """Past ``give_up_seconds`` since the start, an answer buys ``give_up_answered_seconds`` more (the paced replay:
    30 s learns what 35-50 s learn and ends failing cycles sooner than 60 s). Here each candidate written after the
    answer takes 50 s, and the first of them fails the answer: with the default the cycle writes no fourth and
    installs the one that holds the person's answer (they gave it: no confirm), without waiting for company."""
    clock, answered = [100.0], [False]

    def slow(question: dict) -> dict:
        clock[0], answered[0] = clock[0] + 900.0, True
        return choosing("AKL")(question)

    def writing() -> None:
        clock[0] += 50.0 if answered[0] else 0.0

    settings = CycleSettings(give_up_seconds=100, give_up_answered_seconds=after)
    outcome, _events, _prompts = learn(awake_image, tmp_path, (AL, AKL, FIRST, AKL_TOO), slow, settings, now=lambda: clock[0],
                                       writing=writing)
    assert not isinstance(outcome, CycleFailed), outcome
    assert outcome["result"] == "AKL"
    record = cycle(awake_image, "c1")["artifacts"]
    late = after < 100
    assert len(record["candidates"]) == (3 if late else 4)
    assert [q["kind"] for q in record["questions"]] == ["disagreement"]


def test_no_answer_in_time_is_a_skip_by_timeout_and_no_second_question_is_asked(awake_image, tmp_path):
    outcome, events, _prompts = learn(awake_image, tmp_path, (AL, AKL), lambda question: None,
                                      CycleSettings(candidates=2, question_seconds=0.05))
    assert isinstance(outcome, CycleFailed) and outcome.details["reasons"][0] == "unanswered"
    answered = [e for e in events if e["type"] == "answered"]
    assert [(e["answer"], e["by"]) for e in answered] == [({"skip": True}, "timeout")]
    # never waited again: the dispute stands and its question is shown to watchers, for a later answer
    assert [e["waiting"] for e in events if e["type"] == "question"] == [True, False]
    kept = cycle(awake_image, "c1")["artifacts"]["questions"][0]
    assert kept["by"] == "timeout" and "examples" not in kept
    assert not installed(awake_image)


@pytest.mark.parametrize("feedback", [True, False])
def test_an_answer_no_candidate_gives_shows_the_author_the_wrong_one_only_with_feedback(awake_image, tmp_path, feedback):
    def dotted(question: dict) -> dict:  # the person: initials with dots, for any name
        return {"result": "".join(w[0].upper() + "." for w in question["call"]["args"][0].split())}

    outcome, _events, prompts = learn(awake_image, tmp_path, (AL, AKL, DOTTED, DOTTED_TOO), dotted,
                                      CycleSettings(feedback=feedback))
    assert not isinstance(outcome, CycleFailed), outcome
    assert outcome["result"] == "A.K.L."
    record = cycle(awake_image, "c1")
    assert [c["code"] for c in record["artifacts"]["candidates"] if c.get("eligible")] == [DOTTED, DOTTED_TOO]
    after = prompts[2:]  # written once the answer came
    if feedback:
        assert record["artifacts"]["wrong"]["code"] in (AL, AKL)
        assert record["artifacts"]["wrong"]["reasons"][0].startswith("example:")
        assert any("A.K.L." in p and record["artifacts"]["wrong"]["code"] in p for p in after)
    else:
        assert "wrong" not in record["artifacts"]
        assert not any(AL in p or AKL in p for p in after)


def test_a_later_answer_settles_the_failed_cycle_s_question_and_its_retry_installs(awake_image, tmp_path):
    failed, _events, _prompts = learn(awake_image, tmp_path, (AL, AKL, AKL_TOO), None, CycleSettings(candidates=2))
    assert isinstance(failed, CycleFailed) and failed.details["reasons"][0] == "unanswered"
    question = cycle(awake_image, "c1")["artifacts"]["questions"][-1]
    assert "answer" not in question

    llm = ReplayBackend(cassette(tmp_path / "again.jsonl", AKL_TOO))

    async def retry() -> Any:
        jail = Jail()
        await jail.start()
        try:
            return await Orchestrator(awake_image, llm, jail, CycleSettings(candidates=2), now=lambda: 200.0).retry(
                "c1", question["id"], {"result": "AKL"})
        finally:
            await jail.close()

    outcome = asyncio.run(retry())
    assert outcome["result"] == "AKL" and outcome["cycle"] == "c2" and installed(awake_image)
    # the failed cycle's queries, cases and candidates inherited (BRICK not asked), tried on the answer: AL's is
    # ruled out, AKL's waits for company and one more candidate agrees
    assert llm.remaining == 1
    candidates = cycle(awake_image, "c2")["artifacts"]["candidates"]
    assert [(c["code"], c["eligible"]) for c in candidates] == [(AL, False), (AKL, True), (AKL_TOO, True)]
    kept = cycle(awake_image, "c1")["artifacts"]["questions"][-1]
    assert (kept["by"], kept["answer"], kept["answered_at"]) == ("answer", {"result": "AKL"}, 200.0)
    assert kept["examples"] == [{"args": [NAME], "kwargs": {}, "result": "AKL"}]

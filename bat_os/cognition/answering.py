"""ASKING: the person shown the question, the answer waited for and kept, every candidate tried on it again.

What a question holds and how an answer is read is :mod:`bat_os.cognition.asking` (plain data); this is the step
that uses them on an orchestrator's cycles (:class:`bat_os.cognition.orchestrator.Orchestrator`), as
:mod:`~bat_os.cognition.planning` holds PLANNING's and :mod:`~bat_os.cognition.installing` COMPLETE's::

    ASKING   question event ("waiting": true) -> Waiting.wait(cycle_question_seconds)
             the answer kept on the question: by "answer" | "timeout" | "nobody" (a skip ends the cycle's questions)
               a confirm's choose 0   -> the candidate shown installed             (ASKING -> COMPLETE)
               anything else          -> rejudge: every candidate tried again, then choose
                                         (ASKING -> ASKING | SYNTHESIZING | PLANNING | COMPLETE | FAILED)

    a later answer to a failed cycle's question (``Orchestrator.retry``): kept on that question (:func:`settled`);
    the new cycle's first SYNTHESIZING rejudges the failed one's candidates

After an answer, the candidate the person was shown (else the first) that fails one of the person's examples is
what the author sees next (``cycle_feedback``: the ``wrong`` artifact, self-debugging).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bat_os.cognition import asking, views


def settled(asked: Mapping, answer: dict, by: str, now: float, examples: list[dict]) -> dict:
    """``asked`` with its answer kept: who gave it (``by``: "answer", "timeout" or "nobody"), when, and the
    examples it makes (:func:`bat_os.cognition.asking.examples_of`; none for a skip)."""
    return {**asked, "answer": answer, "by": by, "answered_at": now, **({"examples": examples} if examples else {})}


class Answers:
    """The ASKING step of an orchestrator's cycles, and the judging again that every answer brings."""

    def __init__(self, orchestrator: Any) -> None:
        self.o = orchestrator

    async def step(self, cycle_id: str) -> None:
        """ASKING: show the question, wait for the answer (off the event loop: others are served), then choose
        again with the answer as the person's example (every candidate tried on it), or install on a confirm."""
        o = self.o
        info = o.records.read(lambda root: views.validation_info(o.records.get(root, cycle_id)))
        asked = info["questions"][-1]
        answer = None
        if o._askers.get(cycle_id):
            o._event(cycle_id, {"type": "question", "cycle": cycle_id, "question": asking.shown(asked), "waiting": True})
            answer = await o.waiting.wait(cycle_id, asked["id"], o.settings.question_seconds)
        by = "answer" if answer is not None else ("timeout" if o._askers.get(cycle_id) else "nobody")
        answer = answer or {"skip": True}
        examples = asking.examples_of(asked, answer)

        def keep(root: Any) -> None:
            cycle = o.records.get(root, cycle_id)
            questions = list(cycle.artifacts.get("questions", []))
            questions[-1] = settled(questions[-1], answer, by, o.now(), examples)
            cycle.artifacts["questions"] = questions

        o.records.write(keep)
        o._event(cycle_id, {"type": "answered", "cycle": cycle_id, "question": asked["id"], "answer": answer, "by": by})
        if answer.get("skip"):  # the person will not say; no more questions in this cycle
            o._askers[cycle_id] = False
        info = o.records.read(lambda root: views.validation_info(o.records.get(root, cycle_id)))
        if asked["kind"] == "confirm" and answer.get("choose") == 0:
            return await o.installer.install(cycle_id, info, info["candidates"][asked["winner"]])
        await self.rejudge(cycle_id, info, shown=asked.get("winner"))

    async def rejudge(self, cycle_id: str, info: dict, candidates: list[dict] | None = None, shown: int | None = None) -> None:
        """Try every candidate again on today's examples (an answer came), then choose. The candidate shown (else the
        first) that fails an answer is what the author sees next, with the call, the answer wanted and its own
        (``cycle_feedback``: self-debugging)."""
        o = self.o
        records: list[dict] = []
        for old in candidates if candidates is not None else info["candidates"]:
            kept = {k: old[k] for k in ("attempt", "code", "author", "model", "prompt_sha256", "temperature") if k in old}
            records = await o.trials.tell_apart(cycle_id, info["selector"], info, [*records, await o.trials.tried(cycle_id, info, kept)])
        wrong = [(k != shown, k) for k, r in enumerate(records) if any(f.startswith("example:") for f in r.get("failed") or [])]
        if wrong and o.settings.feedback:
            first = records[min(wrong)[1]]
            told = {"code": first["code"], "reasons": [f for f in first["failed"] if f.startswith("example:")][:2]}
            o.records.write(lambda root: o.records.get(root, cycle_id).artifacts.__setitem__("wrong", told))
        await o._choose(cycle_id, info, records)

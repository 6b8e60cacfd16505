#!/usr/bin/env python3
"""The choosing tried in seconds, on the records ``replay_selection.py --dump`` wrote.

    .venv/bin/python bench/learning/replay_selection.py RUN.json [RUN.json ...] --dump steps.jsonl   (minutes: the jail runs)
    .venv/bin/python bench/labs/selection_lab.py steps.jsonl [--list] [--user]                     (seconds: no jail)

The dump holds, for every task of every run, the records the cycle's VALIDATING would have had after each
candidate (trial, examples, generated cases and probes already judged by today's ``trials``), each eligible one
marked ``right`` by the task's hidden checks. Here only :func:`bat_os.cognition.choosing.decide` runs again, step
by step, as the cycle does: a change to the choosing (or a variant set on the module from a scratch script) is
measured on every recorded run at once. ``--user``: a simulated person answers each question with what a right
candidate of the task (any step) answers on the question's call; where no candidate was right, with an answer
none gives (every eligible one then fails it). Rougher than ``replay_selection.py --user``, which runs the task's
reference in the jail. ``exhausted``: the choosing wanted more candidates than the run wrote.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bat_os.cognition import choosing  # noqa: E402
from bat_os.config import Config  # noqa: E402

NONE_GIVES = '["value", "an answer no candidate gives"]'


def tasks(path: Path) -> Iterator[dict]:
    with open(path) as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _reference(task: dict, position: int | str) -> str:
    for step in reversed(task["steps"]):
        for record in step["records"]:
            if record.get("right"):
                return choosing._answer(record, position) or NONE_GIVES
    return NONE_GIVES


def outcome(task: dict, *, user: bool = False, max_attempts: int | None = None, candidates: int | None = None,
            questions: int | None = None, confirm: str = "auto") -> tuple[str, int, str]:
    """``(outcome, questions asked, why)`` of one dumped task."""
    defaults = Config()
    max_attempts = max_attempts or defaults.cycle_max_attempts
    candidates = candidates or defaults.cycle_candidates
    questions = defaults.cycle_questions if questions is None else questions
    answers: list[tuple[int | str, str]] = []
    why = "no candidate"
    for step in task["steps"]:
        records = [dict(r) for r in step["records"]]
        examples = step.get("examples", len(task.get("examples") or []))
        final = step["attempt"] >= max_attempts or sum(1 for r in records if r.get("eligible")) >= candidates
        while True:
            for position, key in answers:  # an answer is an example: who fails it is not eligible
                for record in records:
                    if record.get("eligible") and choosing._answer(record, position) != key:
                        record["eligible"] = False
            decision = choosing.decide(records, examples=examples, answered=len(answers), final=final, confirm=confirm,
                                       can_ask=user and len(answers) < questions)
            why = decision.why
            if decision.action == choosing.INSTALL:
                return ("learned" if records[decision.winner].get("right") else "false install"), len(answers), why
            if decision.action not in (choosing.ASK, choosing.CONFIRM):
                break
            key = _reference(task, decision.split.position)
            answers.append((decision.split.position, key))
            if decision.action == choosing.CONFIRM and key == choosing._answer(records[decision.winner], decision.split.position):
                return ("learned" if records[decision.winner].get("right") else "false install"), len(answers), why
        if decision.action == choosing.FAIL:
            return ("unanswered" if decision.disputed else "failed"), len(answers), why
    last = task["steps"][-1] if task["steps"] else {"attempt": 0, "records": []}
    if last["attempt"] < max_attempts and sum(1 for r in last["records"] if r.get("eligible")) < candidates:
        return "exhausted", len(answers), why
    return "failed", len(answers), why


def evaluate(path: Path, show: bool = False, **options) -> dict[str, Counter]:
    """Outcomes per run file (and ``"all"``), with ``"questions"`` counted; ``options``: see :func:`outcome`."""
    totals: dict[str, Counter] = defaultdict(Counter)
    for task in tasks(path):
        result, asked, why = outcome(task, **options)
        run = Path(task["run"]).stem
        for key in (run, "all"):
            totals[key][result] += 1
            totals[key]["questions"] += asked
        if show:
            print(f"{run:28} {task['task']:30} {result:14} q={asked} {why[:100]}")
    return totals


def report(totals: dict[str, Counter]) -> None:
    for run, counts in totals.items():
        print(f"{run:28} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dump", type=Path, help="what replay_selection.py --dump wrote")
    p.add_argument("--list", action="store_true", help="a line per task")
    p.add_argument("--user", action="store_true", help="a simulated person answers the questions")
    p.add_argument("--max-attempts", type=int, default=None, help="the limits the dump was written with")
    p.add_argument("--candidates", type=int, default=None)
    args = p.parse_args(argv)
    report(evaluate(args.dump, show=args.list, user=args.user, max_attempts=args.max_attempts, candidates=args.candidates))
    return 0


if __name__ == "__main__":
    sys.exit(main())

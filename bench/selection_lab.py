#!/usr/bin/env python3
"""Choosing rules tried in seconds, on the records ``replay_selection.py --dump`` wrote.

    .venv/bin/python bench/replay_selection.py RUN.json [RUN.json ...] --dump steps.jsonl   (minutes: the jail runs)
    .venv/bin/python bench/selection_lab.py steps.jsonl [--list]                             (seconds: no jail)

The dump holds, for every task of every run, the records the cycle's VALIDATING would have had after each
candidate (trial, examples, properties, generated cases and probes already judged by today's ``trials``),
each eligible one marked ``right`` by the task's hidden checks. Here only
:func:`bat_os.cognition.selection.choose` runs again, step by step, stopping at the first winner, as the
cycle does: a change to ``choose`` (or a variant passed to :func:`evaluate` from a scratch script) is measured
on every recorded run at once. A change to what the records hold (``trials``, ``properties``, ``probes``)
needs a new dump. ``exhausted``: no winner, and the run wrote fewer candidates than the cycle's limits.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bat_os.cognition.selection import choose  # noqa: E402
from bat_os.config import Config  # noqa: E402

Chooser = Callable[..., tuple]


def tasks(path: Path) -> Iterator[dict]:
    with open(path) as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def outcome(task: dict, chooser: Chooser = choose, *, max_attempts: int | None = None,
            candidates: int | None = None) -> tuple[str, str, dict | None]:
    """``(outcome, why, winner record)`` of one dumped task under ``chooser``."""
    defaults = Config()
    max_attempts = max_attempts or defaults.cycle_max_attempts
    candidates = candidates or defaults.cycle_candidates
    why = "no candidate"
    steps = task["steps"]
    for step in steps:
        records = step["records"]
        newest = records[-1] if records else {}
        if not (newest.get("eligible") or step["lone"] != "never"):
            continue
        winner, _discarded, why = chooser(records, step["generated"], f"obj.{task['selector']}",
                                          trusted=step["trusted"], lone=step["lone"])
        if winner is not None:
            record = records[winner]
            return ("learned" if record.get("right") else "false install"), why, record
    last = steps[-1] if steps else {"attempt": 0, "records": []}
    eligible = sum(1 for r in last["records"] if r.get("eligible"))
    if last["attempt"] < max_attempts and eligible < candidates:
        return "exhausted", why, None
    return "failed", why, None


def evaluate(path: Path, chooser: Chooser = choose, show: bool = False, **limits: int | None) -> dict[str, Counter]:
    """Outcomes per run file (and ``"all"``); ``limits``: ``max_attempts``, ``candidates`` (the kernel's by default)."""
    totals: dict[str, Counter] = defaultdict(Counter)
    for task in tasks(path):
        result, why, _record = outcome(task, chooser, **limits)
        run = Path(task["run"]).stem
        totals[run][result] += 1
        totals["all"][result] += 1
        if show:
            print(f"{run:28} {task['task']:30} {result:14} {why[:110]}")
    return totals


def report(totals: dict[str, Counter]) -> None:
    for run, counts in totals.items():
        print(f"{run:28} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dump", type=Path, help="what replay_selection.py --dump wrote")
    p.add_argument("--list", action="store_true", help="a line per task")
    p.add_argument("--max-attempts", type=int, default=None, help="the limits the dump was written with")
    p.add_argument("--candidates", type=int, default=None)
    args = p.parse_args(argv)
    report(evaluate(args.dump, show=args.list, max_attempts=args.max_attempts, candidates=args.candidates))
    return 0


if __name__ == "__main__":
    sys.exit(main())

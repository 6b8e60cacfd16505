#!/usr/bin/env python3
"""Choosing again, offline: the candidates a learning run recorded, judged by today's selection code.

    .venv/bin/python bench/learning/replay_selection.py RUN.json [RUN.json ...] [--only a,b] [--oracle] [--written] [--dump FILE]
        [--max-attempts N] [--candidates N] [--cases N]

``RUN.json`` is what ``bench/learning/bench_learning.py --json`` wrote. For every task of
it, the candidates the real model wrote are tried again, in the order they were
written, the way VALIDATING tries them (:class:`bat_os.cognition.trials.Trials`
on a real image and the real jail: the guardian, one jailed run over the trial,
the examples, the properties, the generated cases the run recorded (those
today's SPECIFYING keeps) and the probes, then the calls made of the candidates' constants, then
:func:`bat_os.cognition.selection.choose`), stopping where the cycle would stop;
the method chosen is checked on the task's hidden checks. No model runs: a
change to the choosing (``selection``, ``properties``, ``lint``, ``probes``)
is measured on many recorded runs in minutes instead of a 35-minute bench.

What it cannot tell: a rule that chooses later than the recorded run did needs
candidates the run never wrote (``exhausted``: counted apart, neither learned
nor failed); prompts, mending and generation are not replayed.
``--max-attempts``/``--candidates``: the cycle's limits (defaults: the kernel's);
give a run the limits it was recorded with (runs before ``3e0ec38``: 6 and 4),
or smaller ones: a run recorded with larger limits replays the smaller ones exactly.
``--cases N``: keep only the first N generated cases. ``--oracle``: for a task
with no winner, mark which eligible candidates were right (``E+``) or wrong (``E-``).
``--written``: choose nothing; per run, how many tasks some candidate it wrote
(installed or not) was right on, against the single shot: the most any choosing
could learn from those candidates (``bench_learning.written_right``).
``--user``: a simulated person answers the questions with the task's reference, run in the jail.
``--without slot_probes,constant_calls,named_calls,conditions``: leave those calls out of every candidate's run (what
each pays; without the named calls, the look before install is what it was before them; without the conditions, the
choosing is what it was before issue 50 read them).
``--dump FILE``: choose nothing; write, for every task, the records after each
candidate, every eligible one marked ``right`` by the hidden checks, for
``bench/labs/selection_lab.py`` to try choosing rules on in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_learning import (TARGET_GAIN, TASK_FILES, check_code, load_tasks, person_reply, written_right)  # noqa: E402

from bat_os.cognition import asking, choosing, guardian  # noqa: E402
from bat_os.cognition.specs import accept_cases, uncovered, untested  # noqa: E402
from bat_os.cognition import trials as trials_module  # noqa: E402
from bat_os.cognition.trials import Trials  # noqa: E402
from bat_os.config import Config  # noqa: E402
from bat_os.image.image import Image  # noqa: E402
from bat_os.image.objects import UvmObject  # noqa: E402
from bat_os.jail.runner import Jail  # noqa: E402
from bat_os.translate.examples import fits, sentence_examples  # noqa: E402


async def replay(trials: Trials, jail: Jail, task: dict, recorded: dict, args: argparse.Namespace,
                 dump: list | None = None) -> tuple[str, str]:
    """``(outcome, why)`` of choosing again among ``recorded``'s candidates. With ``dump`` (a list): choose
    nothing; append every step's records to it, each marked ``right`` (its hidden checks) when eligible."""
    cycle = recorded.get("cycle") or {}
    selector = task["selector"]
    # the examples today's kernel reads out of the request's sentence (the run's own, when it recorded some and today's
    # reads none: a run's brief may have carried them)
    examples = fits(sentence_examples(task["intent"], selector), task["args"], {}) or cycle.get("examples") or []
    brief = {"selector": selector, "args": task["args"], "kwargs": {}, "examples": examples}
    cases, _dropped = accept_cases(cycle.get("cases") or [], brief)  # what today's SPECIFYING keeps of them
    conditions = [] if "conditions" in args.without else cycle.get("conditions") or []  # what the run's case writer wrote
    info = {"args": task["args"], "kwargs": {}, "examples": brief["examples"], "cases": cases[:args.cases], "intent": task["intent"],
            "conditions": conditions}
    records: list[dict] = []
    written = cycle.get("candidates") or []
    asked: list[dict] = []  # the examples the person's answers made
    questions = 0
    why = "no candidate was written"
    ended = "failed"

    async def tried(record: dict) -> dict:
        if guardian.audit(record["code"], selector).accepted:
            return {**record, **await trials.record(task["id"], record["code"], selector, info)}
        return {**record, "eligible": False, "passes": [], "outputs": [], "failed": ["refused by the guardian"]}

    for attempt, candidate in enumerate(written, start=1):
        records = await trials.tell_apart(task["id"], selector, info, [*records, await tried({"attempt": attempt, "code": candidate["code"]})])
        if dump is not None:  # every step's records, for choosing rules tried offline (bench/labs/selection_lab.py)
            dump.append({"attempt": attempt, "generated": info["cases"], "examples": len(info["examples"]),
                         "records": json.loads(json.dumps(records, default=repr))})
            if attempt >= args.max_attempts or sum(1 for r in records if r.get("eligible")) >= args.candidates:
                break
            continue
        while True:
            final = attempt >= args.max_attempts or sum(1 for r in records if r.get("eligible")) >= args.candidates
            decision = choosing.decide(records, examples=len(examples), answered=len(asked), final=final,
                                       can_ask=args.user and questions < args.questions, confirm=args.confirm,
                                       conditions=tuple(c["label"] for c in conditions),
                                       uncovered=tuple(uncovered(conditions, info["examples"])),
                                       untested=tuple(untested(conditions)))
            why = decision.why
            if decision.action == choosing.INSTALL:
                failures = await check_code(jail, records[decision.winner]["code"], task)
                return ("false install" if failures else "learned"), f"q={questions} {why}"
            if decision.action not in (choosing.ASK, choosing.CONFIRM):
                break
            questions += 1
            question = asking.question(task["id"], questions, selector, decision,
                                       next(r["calls"] for r in records if r.get("calls")), task["slots"])
            answer = await person_reply(jail, task, question)
            asked.extend(asking.examples_of(question, answer))
            if decision.action == choosing.CONFIRM and answer.get("choose") == 0:
                failures = await check_code(jail, records[decision.winner]["code"], task)
                return ("false install" if failures else "learned"), f"q={questions} {why} (confirmed)"
            info["examples"] = [*examples, *asked]
            again: list[dict] = []
            for old in records:
                again = await trials.tell_apart(task["id"], selector, info, [*again, await tried(
                    {"attempt": old["attempt"], "code": old["code"]})])
            records = again
        if decision.action == choosing.FAIL:
            ended = "unanswered" if decision.disputed else "failed"
            why = f"q={questions} {why}"
            break
    else:  # its candidates ran out before the limits: the run chose earlier, or ran under smaller limits
        if dump is None:
            return "exhausted", "the run wrote no more candidates (it chose earlier, or its limits were smaller)"
    if dump is not None:
        right = {r["code"]: not await check_code(jail, r["code"], task) for r in records if r.get("eligible")}
        for step in dump:
            for r in step["records"]:
                r["right"] = right.get(r.get("code"))
        return "dumped", f"{len(dump)} steps"
    if args.oracle:
        marks = [("E-" if await check_code(jail, r["code"], task) else "E+") if r.get("eligible") else "x" for r in records]
        why = " ".join(marks) + " | " + why
    return ended, why


#: the parts of a candidate's run ``--without`` switches off, to measure what each one pays
WITHOUT = {
    "slot_probes": lambda: setattr(trials_module, "slot_probes", lambda *a, **k: []),
    "constant_calls": lambda: setattr(trials_module, "constant_calls", lambda *a, **k: []),
    "conditions": lambda: None,  # the run's conditions left out (read in replay): the choosing before them
}


async def main(args: argparse.Namespace) -> int:
    for part in filter(None, args.without.split(",")):
        WITHOUT[part]()
    tasks = {t["id"]: t for path in TASK_FILES for t in load_tasks(None, path)}  # a run may be of any task file
    wanted = set(args.only.split(",")) if args.only else None
    with tempfile.TemporaryDirectory(prefix="replay-selection-") as tmp:
        image = Image(Path(tmp) / "live.fs")
        image.awaken()
        jail = Jail()
        await jail.start()
        dumped = open(args.dump, "w") if args.dump else None
        try:
            trials = Trials(image, jail, lambda root, task_id: root[f"replay_{task_id}"])
            for path in args.runs:
                run = json.loads(Path(path).read_text())
                if args.written:  # the bound on any choosing among the run's candidates, nothing chosen
                    ran = [tasks[t] for t in run["cycle"] if t in tasks and (not wanted or t in wanted)]
                    counts = await written_right(jail, ran, run["cycle"])
                    written = sum(1 for c in counts.values() if c)
                    single = sum(1 for t in ran if (run.get("single") or {}).get(t["id"], {}).get("passed"))
                    print(f"{path}: written right {written} of {len(ran)}, single shot {single}, bound "
                          f"{written / max(single, 1):.2f}x (target {TARGET_GAIN}x)", flush=True)
                    continue
                totals: Counter[str] = Counter()
                for task_id, recorded in run["cycle"].items():
                    if task_id not in tasks or (wanted and task_id not in wanted):
                        continue
                    slots = tasks[task_id]["slots"]

                    def receiver(task_id: str = task_id, slots: dict = slots) -> None:
                        image.connection.root()[f"replay_{task_id}"] = UvmObject(slots=json.loads(json.dumps(slots)))

                    image.run(receiver)
                    steps: list | None = [] if dumped is not None else None
                    outcome, why = await replay(trials, jail, tasks[task_id], recorded, args, steps)
                    if dumped is not None:
                        dumped.write(json.dumps({"run": str(path), "task": task_id, "cases": (recorded.get("cycle") or {}).get("cases") or [],
                                                 "examples": (recorded.get("cycle") or {}).get("examples") or [],
                                                 "selector": tasks[task_id]["selector"], "recorded": recorded.get("outcome"),
                                                 "steps": steps}, default=repr) + "\n")
                    totals[outcome] += 1
                    was = recorded.get("outcome", "?")
                    print(f"{Path(path).stem:10} {task_id:30} {outcome:14} {why if args.oracle else why[:90]}" + ("" if outcome == was else f"  (was {was})"),
                          flush=True)
                print(f"{path}: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())), flush=True)
        finally:
            if dumped is not None:
                dumped.close()
            await jail.close()
            image.close()
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = Config()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="JSON files written by bench_learning.py --json")
    p.add_argument("--only", default="", help="comma-separated task ids")
    p.add_argument("--oracle", action="store_true", help="for a task with no winner, mark its right and wrong eligible candidates")
    p.add_argument("--max-attempts", type=int, default=defaults.cycle_max_attempts)
    p.add_argument("--candidates", type=int, default=defaults.cycle_candidates)
    p.add_argument("--dump", default="", help="write every step's records (JSON lines) instead of choosing")
    p.add_argument("--written", action="store_true",
                   help="choose nothing: per run, the tasks some written candidate was right on, against the single shot")
    p.add_argument("--cases", type=int, default=None, help="keep only the first N generated cases")
    p.add_argument("--user", action="store_true", help="a simulated person answers questions with the task's reference")
    p.add_argument("--questions", type=int, default=defaults.cycle_questions)
    p.add_argument("--confirm", default=defaults.cycle_confirm, choices=("auto", "always", "never"))
    p.add_argument("--without", default="", help=f"comma-separated parts of a candidate's run left out: {', '.join(WITHOUT)}")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))

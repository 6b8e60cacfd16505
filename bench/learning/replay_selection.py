#!/usr/bin/env python3
"""Choosing again, offline: the candidates a learning run recorded, run through the kernel's own cycle.

    .venv/bin/python bench/learning/replay_selection.py RUN.json [RUN.json ...] [--only a,b] [--user] [--oracle]
        [--written] [--max-attempts N] [--candidates N] [--cases N] [--without PART,...]

``RUN.json`` is what ``bench/learning/bench_learning.py --json`` wrote (``bench/runs/`` keeps the recorded ones).
For every task of it, the kernel's own orchestrator runs a cycle on a real image with the real jail: the cycle
starts from the run's research and the cases and conditions its case writer wrote (as a retry starts from a failed
cycle), and its author is a stand-in that hands out the candidates the real model wrote, in the order it wrote them.
Everything else is the kernel's: trying each candidate, telling look-alikes apart, the decision with its budget, the
questions, the answers tried on every candidate again, the look before install, the install. No model runs, so a
change to how candidates are tried or chosen is measured on every recorded run in minutes.

What it cannot tell: a cycle that asks for more candidates than the run wrote (``exhausted``: counted apart, neither
learned nor failed; the real cycle would have written more, and a candidate written after an earlier choice than the
run's would have been another); prompts, mending and generation are not replayed.

``--max-attempts``/``--candidates``: the cycle's limits (defaults: the kernel's); a run recorded with larger limits
replays smaller ones exactly. ``--cases N``: keep only the first N generated cases. ``--user``: a simulated person
answers the questions with the task's reference, run in the jail (``bench_learning.person_reply``); without it
nobody is asked (``--show``: each question printed with the answer). ``--oracle``: after each task, mark its eligible candidates right (``E+``) or wrong (``E-``) by the
hidden checks. ``--written``: choose nothing; per run, how many tasks some candidate it wrote was right on, against
the single shot (the most any choosing could learn from those candidates). ``--without PART,...``: leave a source
of calls out of every candidate's run (:data:`WITHOUT` names them; what each one pays).

``--pace RESEARCH PROMPT TOKENS_PER_S``: the cycle's clock runs on as the models would have made it (the research
and case writing before the first candidate, then each candidate's prompt and its tokens), so the time to give up
(``--give-up SECONDS``, ``--give-up-answered SECONDS``, default the kernel's) is met where it would have been, and each task's line starts with its
paced seconds. ``--pace 100 5 5.4`` is a least-squares fit of the recorded runs' seconds (two runs sharing the two
cores, one llama.cpp thread each); ``--pace 49 2.5 12`` the same scaled to one run on both cores (the 1.5B's ~12
tokens a second there, ENVIRONMENT.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_learning import TASK_FILES, TARGET_GAIN, check_code, load_tasks, person_reply, written_right  # noqa: E402

from bat_os.cognition.cycle.driver import Orchestrator, cycle_settings  # noqa: E402
from bat_os.cognition.judge.cases import accept_cases  # noqa: E402
from bat_os.cognition.trial import calls as calls_module  # noqa: E402  (where the sources of calls live)
from bat_os.config import Config  # noqa: E402
from bat_os.errors import CycleFailed  # noqa: E402
from bat_os.image.codec import render  # noqa: E402
from bat_os.image.image import Image  # noqa: E402
from bat_os.image.objects import UvmObject  # noqa: E402
from bat_os.jail.runner import Jail  # noqa: E402
from bat_os.kernel.commands.cycles import read_answer  # noqa: E402
from bat_os.models.backends import Completion  # noqa: E402
from bat_os.translate.examples import fits, sentence_examples  # noqa: E402

#: What ``--without`` can leave out of every candidate's run: a source of calls -> the function of the cycle's code
#: that makes them (it makes none), or None for the conditions' calls (the run's case writer's, left out here).
WITHOUT: dict[str, str | None] = {"constant_calls": "constant_calls",
                                  "named_calls": "named_calls", "conditions": None}


class Exhausted(Exception):
    """The cycle asked for a candidate the run never wrote (not an LLMError: the cycle must not take it for a model
    that could not answer)."""


class Pace:
    """The clock of a paced replay: real time, plus the time the models would have taken on this machine (the case
    writer's before the first candidate, then each candidate's prompt and its tokens), so the cycle's time to give
    up is met where it would have been. ``None`` figures: no pace (the clock is the real one)."""

    def __init__(self, research: float, prompt: float, tokens_per_second: float) -> None:
        self.research, self.prompt, self.rate = research, prompt, tokens_per_second
        self.modelled = 0.0
        self.started = time.monotonic()

    def now(self) -> float:
        return time.time() + self.modelled

    def write(self, code: str, first: bool) -> None:
        self.modelled += (self.research if first else 0.0) + self.prompt + len(code) / CHARS_PER_TOKEN / self.rate

    def reset(self) -> float:
        """The seconds the last cycle took on the paced clock; starts the next."""
        took = time.monotonic() - self.started + self.modelled
        self.modelled, self.started = 0.0, time.monotonic()
        return took


CHARS_PER_TOKEN = 3.5  # Python code through the Qwen tokenizer, near enough


class RecordedAuthor:
    """The model of a replay: every prompt for code is answered with the next candidate the run wrote."""

    name = "recorded"

    def __init__(self, codes: list[str], pace: Pace | None = None) -> None:
        self.codes = list(codes)
        self.used = 0
        self.pace = pace

    async def complete(self, persona: str, prompt: str, *, system: str = "", on_token: Any = None, **_options: Any) -> Completion:
        if self.used >= len(self.codes):
            raise Exhausted(f"the run wrote {len(self.codes)} candidates")
        code = self.codes[self.used]
        if self.pace is not None:
            self.pace.write(code, first=self.used == 0)
        self.used += 1
        return Completion(text=f"```python\n{code}\n```", model=self.name, prompt_sha256="", seconds=0.0)

    async def close(self) -> None:
        return None


async def replay(image: Image, jail: Jail, task: dict, recorded: dict, args: argparse.Namespace,
                 settings: Any, pace: Pace | None = None) -> tuple[str, str, list[str]]:
    """``(outcome, why, each candidate's code where it was eligible, else None)`` of the kernel's cycle run again on ``recorded``'s candidates."""
    cycle = recorded.get("cycle") or {}
    selector = task["selector"]
    # the examples today's kernel reads out of the request's sentence (the run's own, when it recorded some and today's
    # reads none: a run's brief may have carried them)
    examples = fits(sentence_examples(task["intent"], selector), task["args"], {}) or cycle.get("examples") or []
    brief = {"selector": selector, "args": task["args"], "kwargs": {}, "examples": examples}
    cases, dropped = accept_cases(cycle.get("cases") or [], brief)  # what today's SPECIFYING keeps of them
    conditions = [] if "conditions" in args.without else cycle.get("conditions") or []  # its case writer's, per condition
    author = RecordedAuthor([c["code"] for c in cycle.get("candidates") or [] if c.get("code")], pace)
    orchestrator = Orchestrator(image, author, jail, settings, **({"now": pace.now} if pace is not None else {}))
    key = f"replay_{task['id']}"

    def begin() -> tuple[bytes, str]:
        root = image.connection.root()
        root[key] = receiver = UvmObject(slots=json.loads(json.dumps(task["slots"])))
        root._p_jar.add(receiver)
        # the run's research, cases and conditions, as a failed cycle a retry starts from
        source = orchestrator.store.add(root, receiver, {**brief, "intent": task["intent"]})
        found = orchestrator.store.get(root, source).artifacts
        found.update(queries=[], queries_from="replay", context=[], episodes=[], cases=cases[:args.cases],
                     cases_dropped=dropped, conditions=conditions)
        return receiver._p_oid, source

    oid, source = image.run(begin)
    questions: list[dict] = []
    pending: set[asyncio.Task] = set()

    def listen(event: dict) -> None:  # the simulated person: answers each question with the task's reference
        if event.get("type") == "question" and event.get("waiting"):
            questions.append(event["question"])
            pending.add(asyncio.ensure_future(answer(event["question"])))

    async def answer(question: dict) -> None:
        try:
            told = await person_reply(jail, task, question)
            if args.show:
                print("  ", json.dumps({k: question[k] for k in ("kind", "call", "choices", "also") if k in question},
                                       default=str)[:3000], "->", told, flush=True)
            given = read_answer(question, told)
        except Exception as exc:  # noqa: BLE001 - the person could not answer: the cycle must not wait for ever
            print(f"  the simulated person could not answer {question['id']}: {type(exc).__name__}: {exc}", flush=True)
            given = {"skip": True}
        orchestrator.waiting.answer(question["cycle"], question["id"], given)

    try:
        await orchestrator.learn(oid, selector, task["args"], {}, intent=task["intent"], examples=examples or None,
                                 on_event=listen if args.user else None, ask=args.user, inherit=source)
        outcome = ""
    except CycleFailed as exc:
        outcome = "unanswered" if "unanswered" in exc.details.get("reasons", []) else "failed"
    except Exhausted:
        outcome = "exhausted"
    finally:
        for waiting in pending:
            waiting.cancel()
    ended = image.read(lambda: render(_last_cycle(image.connection.root(), orchestrator)))
    written = [c["code"] if c.get("eligible") else None for c in ended["artifacts"].get("candidates", [])]
    why = f"q={len(questions)} {ended['artifacts'].get('decision', '')}"
    if questions and questions[-1].get("kind") == "confirm" and ended["state"] == "COMPLETE":
        why += " (confirmed)"
    if not outcome:
        installed = image.read(lambda: image.connection.root()[key].slots[selector].source)
        outcome = "false install" if await check_code(jail, installed, task) else "learned"
    elif outcome == "exhausted":
        why = f"q={len(questions)} the run wrote no more candidates (it chose earlier, or its limits were smaller)"
    return outcome, why, written


def _last_cycle(root: Any, orchestrator: Orchestrator) -> Any:
    registry = orchestrator.store.registry(root)
    return registry.get(f"c{registry.count}").summary()


async def main(args: argparse.Namespace) -> int:
    for part in filter(None, args.without.split(",")):
        if (name := WITHOUT[part]) is not None:
            assert callable(getattr(calls_module, name)), name  # a part that exists
            setattr(calls_module, name, lambda *a, **k: [])
    tasks = {t["id"]: t for path in TASK_FILES for t in load_tasks(None, path)}  # a run may be of any task file
    wanted = set(args.only.split(",")) if args.only else None
    settings = cycle_settings(Config(), max_attempts=args.max_attempts, candidates=args.candidates,
                              questions=args.questions, confirm=args.confirm,
                              **({"give_up_seconds": args.give_up} if args.give_up is not None else {}),
                              **({"give_up_answered_seconds": args.give_up_answered} if args.give_up_answered is not None else {}))
    pace = Pace(*args.pace) if args.pace else None
    with tempfile.TemporaryDirectory(prefix="replay-selection-") as tmp:
        image = Image(Path(tmp) / "live.fs")
        image.awaken()
        jail = Jail()
        await jail.start()
        try:
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
                    if pace is not None:
                        pace.reset()
                    outcome, why, written = await replay(image, jail, tasks[task_id], recorded, args, settings, pace)
                    if pace is not None:
                        why = f"{pace.reset():.0f}s {why}"
                    if args.oracle:
                        marks = [("E-" if await check_code(jail, code, tasks[task_id]) else "E+") if code else "x"
                                 for code in written]
                        why = " ".join(marks or ["-"]) + " | " + why
                    totals[outcome] += 1
                    was = recorded.get("outcome", "?")
                    print(f"{Path(path).stem:10} {task_id:30} {outcome:14} {why if args.oracle else why[:90]}"
                          + ("" if outcome == was else f"  (was {was})"), flush=True)
                print(f"{path}: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())), flush=True)
        finally:
            await jail.close()
            image.close()
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = Config()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="JSON files written by bench_learning.py --json")
    p.add_argument("--only", default="", help="comma-separated task ids")
    p.add_argument("--oracle", action="store_true", help="mark each task's eligible candidates right or wrong")
    p.add_argument("--max-attempts", type=int, default=defaults.cycle_max_attempts)
    p.add_argument("--candidates", type=int, default=defaults.cycle_candidates)
    p.add_argument("--written", action="store_true",
                   help="choose nothing: per run, the tasks some written candidate was right on, against the single shot")
    p.add_argument("--cases", type=int, default=None, help="keep only the first N generated cases")
    p.add_argument("--user", action="store_true", help="a simulated person answers questions with the task's reference")
    p.add_argument("--show", action="store_true", help="print each question and the simulated person's answer")
    p.add_argument("--questions", type=int, default=defaults.cycle_questions)
    p.add_argument("--confirm", default=defaults.cycle_confirm, choices=("auto", "always", "never"))
    p.add_argument("--give-up", type=float, default=None, help="the cycle's time to give up, seconds (default: the kernel's)")
    p.add_argument("--give-up-answered", type=float, default=None,
                   help="the time to give up after the person's last answer, seconds (default: the kernel's)")
    p.add_argument("--pace", type=float, nargs=3, metavar=("RESEARCH", "PROMPT", "TOKENS_PER_S"), default=None,
                   help="a paced clock: seconds of research before the first candidate, seconds of each candidate's "
                        "prompt, its tokens a second; each task's paced seconds are printed first in its line")
    p.add_argument("--without", default="", help=f"comma-separated sources of calls left out: {', '.join(WITHOUT)}")
    args = p.parse_args(argv)
    unknown = [part for part in filter(None, args.without.split(",")) if part not in WITHOUT]
    if unknown:
        p.error(f"--without: no source of calls named {', '.join(unknown)} (there are {', '.join(WITHOUT)})")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))

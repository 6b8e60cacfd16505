#!/usr/bin/env python3
"""Learning with a real local model: how often the image learns what it was asked, against asking once.

    .venv/bin/python bench/learning/bench_learning.py [--tasks N] [--model NAME] [--json OUT] [--skip-baseline] [--strict]

The tasks (``bench/tasks/learning_tasks.jsonl``, 51 of them: pure functions of strings,
numbers, lists, dicts and dates, methods that read and change the receiver's
slots, a few that use the allowed modules) each have an intent, the arguments
of the learning call, the receiver's slots before it, and **hidden checks**
(other arguments, expected results, expected slots afterwards) that neither
the cycle nor the baseline ever sees.

- **The cycle** (the product): a real kernel subprocess on a fresh image whose
  personas get the embedded models (``--models``: a value of ``models.embedded``,
  e.g. ``qwen2.5-coder-0.5b`` for every persona or
  ``ALFRED=qwen2.5-coder-1.5b,qwen2.5-coder-0.5b``; by default the profile's),
  run by the engine the kernel picks (llama.cpp from the GGUF file where it is
  built; ``--set BATOS_MODELS_ENGINE=transformers`` for the int8 form). For each task: its slots are set on
  ``genesis_obj``, then ``send`` of the unknown selector with the intent
  (exactly what a client does); then every hidden check is run through the
  kernel (``set_slot`` of its given slots, ``send``, ``inspect``).
  *Learned correctly*: installed and every hidden check holds. *False install*:
  installed but a hidden check fails (the worst outcome). *Failed*: no method.
- **The baseline**, in the same run: each model the personas have (same file,
  through llama.cpp; ``--baseline-engine w8`` for the int8 transformers form)
  asked once, greedily, with a plain prompt (the intent, the call, the slots),
  its code run in the jail against the same hidden checks. The ratio is taken
  against the author's (ALFRED's) model.

Also printed: the cycle's time for learned and failed tasks apart (p50, p90),
how many failed cycles ended with a draft (the hand-over: their best try kept,
with the calls it fails; each task's ``draft`` in ``--json``), the time before
a cycle's first candidate and writing it (each cycle's states with their times
are in ``--json``), how many of the prompt tokens the models were asked the engine evaluated (the
rest came from kept states), and the kernel's resident memory after its first
cycle and at the end.

Targets: false installs <= 2% of tasks; learned correctly >= 1.5x the
single-shot pass rate. ``--tasks N`` takes N tasks spread over the file (a
quick run; figures are rough).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import (  # noqa: E402
    ROOT, TASKS as TASKS_DIR, KernelProcess, Summary, header, parser, percentile, wait_for_embedded,
)

sys.path.insert(0, str(ROOT))
from bat_os.forge.checks import Slots, check_code  # noqa: E402,F401 - the benchmarks beside this one import them from here
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

MANIFEST = TASKS_DIR / "MANIFEST.json"  # every task file: when and why it was written, first run, seen or not
TASKS = TASKS_DIR / "learning_tasks.jsonl"  # the 51
# every task file, in the manifest's order (ids unique across them: tests/test_learning_tasks.py)
TASK_FILES = tuple(TASKS_DIR / entry["file"] for entry in json.loads(MANIFEST.read_text())["files"])
TARGET_FALSE_INSTALLS = 0.02
TARGET_GAIN = 1.5


def load_tasks(count: int | None, path: Path = TASKS) -> list[dict]:
    tasks = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if count and count < len(tasks):
        step = len(tasks) / count
        tasks = [tasks[int(i * step)] for i in range(count)]
    return tasks


# --- the baseline: asked once ------------------------------------------------------------
def plain_prompt(task: dict) -> str:
    from bat_os.cognition.judge.cases import call_arguments

    lines = [f"Write a Python method named {task['selector']} for an object: {task['intent']}.",
             f"It is called like this: obj.{task['selector']}({call_arguments(task['args'], {})})"]
    if task["slots"]:
        lines.append(f"The object has these attributes: {json.dumps(task['slots'])}")
    lines.append(f"Answer with the method (def {task['selector']}(self, ...)) in one ```python block.")
    return "\n".join(lines)




def embedded_model(model_name: str, form: str = "auto", threads: int | None = None) -> tuple:
    """``(model, tokenizer, form)``: the embedded model converted from its GGUF file, in ``form`` on CPU (also for
    bench/labs/prompt_forms.py)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from bat_os.models import cpu_forms, embedded, gguf

    torch.set_num_threads(threads or os.cpu_count() or 1)
    entry = embedded.model(model_name)
    source = embedded.fetch(entry, embedded.cache_dir(), say=print)
    info = gguf.inspect(source)
    directory = gguf.convert(info, gguf.converted_dir(embedded.cache_dir(), info, "bfloat16"), "bfloat16")
    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(directory), local_files_only=True)
    form = cpu_forms.choose(form, torch, adapter=False)
    return cpu_forms.apply(model, form, torch).eval(), tokenizer, form


def baseline(tasks: list[dict], model_name: str, engine: str = "llama") -> dict[str, dict]:
    from bat_os.cognition.author import mending
    from bat_os.jail import guardian
    from bat_os.jail.contract import ALLOWED_MODULES
    from bat_os.jail.runner import Jail

    if engine == "llama":
        from bat_os.models import embedded
        from bat_os.models.llamacpp import LlamaModel

        llama = LlamaModel.load(embedded.fetch(embedded.model(model_name), embedded.cache_dir(), say=print),
                                threads=int(os.environ.get("BATOS_MODELS_THREADS", "0")))  # as the kernel's (--set)
        form = "llama.cpp"

        def generate_text(_model, _tokenizer, system, prompt, **kwargs):  # noqa: ANN001, ANN003
            return llama.generate(system, prompt, settings=kwargs["settings"], persona="ALFRED", emit=kwargs["emit"],
                                  stop=kwargs["stop"], timeout=kwargs["timeout"])

        model = tokenizer = None
    else:
        from bat_os.models.generation import generate_text

        model, tokenizer, form = embedded_model(model_name, engine)
    print(f"baseline: {model_name} in {form}, greedy, one plain prompt per task")

    async def run_all() -> dict[str, dict]:
        jail = Jail()
        await jail.start()
        results = {}
        try:
            for task in tasks:
                started = time.perf_counter()
                text, _count = generate_text(model, tokenizer, "You are a helpful Python programmer.", plain_prompt(task),
                                             settings={"max_new_tokens": 384, "temperature": 0}, persona="ALFRED",
                                             adapters_off=False, emit=lambda piece: None, stop=threading.Event(),
                                             timeout=600, device="cpu")
                # the same repairs the cycle makes: generous to the baseline
                code, _ = mending.candidate_code(text, task["selector"], len(task["args"]), ALLOWED_MODULES, set(task["slots"]))
                verdict = guardian.audit(code, task["selector"])
                failed = [f"refused by the guardian: {verdict.reasons[0].message}"] if not verdict.accepted else await check_code(jail, code, task)
                results[task["id"]] = {"passed": not failed, "why": failed[:1], "seconds": time.perf_counter() - started}
                print(f"  single-shot {task['id']}: {'pass' if not failed else 'FAIL ' + failed[0][:100]}")
        finally:
            await jail.close()
        return results

    results = asyncio.run(run_all())
    if engine == "llama":
        llama.close()
    gc.collect()  # the model goes with this frame: free before the kernel loads its own copy
    return results


async def written_right(jail, tasks: list[dict], results: dict[str, dict]) -> dict[str, int]:
    """For each task, how many of the distinct candidates its cycle wrote (``results``: :func:`cycles`' records, or a
    ``--json`` file's ``"cycle"``) pass every hidden check, installed or not. No choosing among them can learn a task
    where this is 0: summed over the tasks, it bounds what any selection rule could learn from the same candidates."""
    counts = {}
    for task in tasks:
        written = (results.get(task["id"]) or {}).get("cycle") or {}
        codes = list(dict.fromkeys(c["code"] for c in written.get("candidates") or [] if c.get("code")))
        counts[task["id"]] = sum([not await check_code(jail, code, task) for code in codes])
    return counts


def judge_written(tasks: list[dict], results: dict[str, dict]) -> dict[str, int]:
    """:func:`written_right` on a jail of its own."""
    from bat_os.jail.runner import Jail

    async def run() -> dict[str, int]:
        jail = Jail()
        await jail.start()
        try:
            return await written_right(jail, tasks, results)
        finally:
            await jail.close()

    return asyncio.run(run())


# --- the person: answers questions with the task's reference ----------------------------------
async def reference_outcome(jail, task: dict, call: dict) -> tuple[dict, dict]:
    """What the task's reference answers on a question's call (``call["slots"]``: the receiver's slots it sees):
    its outcome (``value`` / ``raised``) and the slots it wrote."""
    from bat_os.cognition.methods.host import CaseHost
    from bat_os.errors import JailError

    case = {"args": call.get("args", []), "kwargs": call.get("kwargs", {})}
    host = CaseHost(Slots(call.get("slots") or {}), [case], candidate=(task["selector"], task["reference"]))
    try:
        outcome = (await jail.run_cases(task["reference"], task["selector"], [case], host))[0]
    except JailError as exc:
        return {"raised": type(exc).__name__}, {}
    return outcome, host.changed(0)


def person_answer(question: dict, outcome: dict, written: dict) -> dict:
    """The ``answer`` command's fields a person who knows the reference's answer sends: the choice that is it,
    else the answer itself (an example no candidate gives)."""
    from bat_os.cognition.judge.cases import same

    def matches(choice: dict) -> bool:
        if "raised" in outcome:
            return choice.get("raises") == outcome["raised"]
        if choice.get("varies"):  # a clock's or chance's answer: a person judges it by its kind, not its digits
            return "result" in choice and type(choice["result"]) is type(outcome.get("value"))
        if "result" not in choice or not same(choice["result"], outcome.get("value")):
            return False
        slots = choice.get("slots") or {}  # a choice without slots changed none: so must the reference
        return slots.keys() == (written or {}).keys() and all(same(value, written[name]) for name, value in slots.items())

    for index, choice in enumerate(question["choices"]):
        if matches(choice):
            return {"choose": index}
    if "raised" in outcome:
        return {"raises": outcome["raised"]}
    return {"result": outcome.get("value"), **({"slots": written} if written else {})}


async def person_reply(jail, task: dict, question: dict) -> dict:
    """The ``answer`` command's fields the person who knows the task's reference sends to ``question``: its answer
    at the question's call (:func:`person_answer`); a confirm's choice 0 only when the reference agrees at every
    call shown (``also``), else the reference's answer at the first it does not (``at``). A question of a plan's
    helper (``part_of``) is skipped: the person knows the task's answers, not a helper's."""
    if question.get("part_of") or question.get("selector") != task["selector"]:
        return {"skip": True}
    outcome, written = await reference_outcome(jail, task, question["call"])
    answer = person_answer(question, outcome, written)
    if question.get("kind") != "confirm" or answer.get("choose") != 0:
        return answer
    for at, shown in enumerate(question.get("also") or [], start=1):
        outcome, written = await reference_outcome(jail, task, shown["call"])
        told = person_answer({"choices": [shown]}, outcome, written)
        if told.get("choose") != 0:
            return {**told, "at": at}
    return answer


def send_as_person(kernel: KernelProcess, message: dict, task: dict, jail_loop: "JailThread | None",
                   timeout: float) -> tuple[dict, int]:
    """``send`` the learning request; with ``jail_loop`` (``--user``) answer every question the cycle asks with the
    task's reference, else say ``"ask": false``. The final reply and the questions answered."""
    if jail_loop is None:
        return kernel.request({**message, "ask": False}, timeout=timeout), 0
    client = kernel.client()
    asked = 0
    try:
        client.send({**message, "id": "learn", "events": True})
        while True:
            reply = client.recv(timeout)
            if reply.get("id") == "learn" and reply.get("status") != "event":
                return reply, asked
            event = reply.get("event") or {}
            if reply.get("status") == "event" and event.get("type") == "question" and event.get("waiting"):
                question = event["question"]
                answer = jail_loop.run(person_reply(jail_loop.jail, task, question))
                asked += 1
                client.send({"command": "answer", "id": f"answer{asked}", "cycle": question["cycle"],
                             "question": question["id"], **answer})
            elif str(reply.get("id", "")).startswith("answer") and reply.get("status") == "error":
                print(f"    the kernel refused an answer: {reply['error']}")
    finally:
        client.close()


class JailThread:
    """A jail on an event loop of its own thread, for the simulated person's runs of a reference."""

    def __init__(self) -> None:
        from bat_os.jail.runner import Jail

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.jail = Jail()
        self.run(self.jail.start())

    def run(self, work):
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(120)

    def close(self) -> None:
        self.run(self.jail.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def handover_example(kernel: KernelProcess, jail_loop: "JailThread | None", task: dict, reply: dict) -> dict | None:
    """The example the person gives at a failed cycle's hand-over (``draft_example``'s fields): the answer at the call
    they asked, where neither the request nor an answer of theirs gave it; else None (they drop the draft)."""
    cycle_id = (reply.get("error") or {}).get("cycle")
    if jail_loop is None or cycle_id is None:
        return None
    cycle = kernel.request({"command": "cycle", "cycle": cycle_id})["result"]
    said = [*cycle["brief"].get("examples", []), *(e for q in cycle["artifacts"].get("questions", []) for e in q.get("examples") or [])]
    if any(e.get("args") == task["args"] for e in said):
        return None
    outcome, written = jail_loop.run(reference_outcome(jail_loop.jail, task, {"args": task["args"], "slots": task["slots"]}))
    return {"args": task["args"], **({"given": task["slots"]} if task["slots"] else {}), **person_answer({"choices": []}, outcome, written)}


# --- the cycle: the product ---------------------------------------------------------------
def kernel_checks(kernel: KernelProcess, task: dict) -> list[str]:
    from bat_os.cognition.judge.cases import judge

    failed = []
    for check in task["checks"]:
        for slot, value in (check.get("given") or {}).items():
            kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": slot, "value": value})
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": task["selector"],
                                "args": check["args"], "learn": False}, timeout=60)
        if reply["status"] == "ok":
            outcome = {"value": reply["result"]}
        else:
            error = reply["error"]
            outcome = {"raised": error.get("error_type") or error["code"], "message": error["message"]}
        after = None
        if check.get("slots"):
            slots = kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]
            after = {name: slots[name] for name in check["slots"] if name in slots}
        why = judge({"kwargs": {}, **check}, outcome, after, task["selector"])
        if why:
            failed.append(why)
    return failed


def _cycle_record(cycle: dict) -> dict:
    """What a task's figures keep of its cycle: the cases, each candidate's code and verdict, the decision."""
    a = cycle["artifacts"]
    return {"state": cycle["state"], "history": [{k: h.get(k) for k in ("state", "at")} for h in cycle.get("history", [])],
            "cases": a.get("cases", []), "cases_dropped": len(a.get("cases_dropped", [])),
            "conditions": a.get("conditions", []), "plan": a.get("plan"), "reasons": cycle.get("reasons", [])[:6],
            "decision": a.get("decision"), "examples": cycle["brief"].get("examples", []),
            "questions": [{k: q.get(k) for k in ("kind", "call", "choices", "answer", "by", "condition", "also")}
                          for q in a.get("questions", [])],
            "candidates": [{k: c.get(k) for k in ("code", "eligible", "failed", "passes", "generated_failed", "signature",
                                                  "attempt", "author")}
                           for c in a.get("candidates", [])]}


def cycles(tasks: list[dict], models: str, directory: Path, record_to: Path | None = None,
           settings: dict[str, str] | None = None, found: dict | None = None, user: bool = False,
           progress: Path | None = None, handover: int = 0) -> dict[str, dict]:
    """Each task's cycle in a real kernel; ``found`` gets the kernel's memory and its engines' prompt counts.
    ``user``: a simulated person answers the cycle's questions with the task's reference (:func:`send_as_person`).
    ``progress``: each task's record is written there as a JSON line as soon as it ends (a run stopped midway keeps
    what it measured). ``handover``: examples the person gives at a failed cycle's hand-over, at most, each going on in
    a new cycle (:func:`handover_example`); ``seconds`` is the first cycle's, ``handover_seconds`` the rest's."""
    import psutil

    sys.path.insert(0, str(ROOT / "tests"))
    from gguf_support import model_env

    found = {} if found is None else found
    extra = {"BATOS_RECORD_TO": str(record_to.resolve())} if record_to else {}  # the kernel runs elsewhere
    extra.update(settings or {})
    kernel = KernelProcess(directory, env=model_env(BATOS_EMBEDDED_MODEL=models, **extra))
    kernel.start(timeout=120)
    results = {}
    person = JailThread() if user else None
    try:
        replaying = extra.get("BATOS_LLM_BACKEND") == "replay"  # --cassette: a recorded run's models, answered again
        if replaying:
            print(f"cycle: a real kernel; the models' replies from {extra['BATOS_CASSETTE']}")
        else:
            wait_for_embedded(kernel)
            personas = kernel.request({"command": "status"}, timeout=30)["result"]["models"]["personas"]
            print("cycle: a real kernel; " + ", ".join(f"{p}: {Path(e['model'] or '-').name} in {e['engine']}" for p, e in personas.items()))
        rss = lambda: psutil.Process(kernel.proc.pid).memory_info().rss  # noqa: E731
        for task in tasks:
            for slot, value in task["slots"].items():
                kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": slot, "value": value})
            started = time.perf_counter()
            reply, asked = send_as_person(kernel, {"command": "send", "target": "genesis_obj", "selector": task["selector"],
                                                   "args": task["args"], "intent": task["intent"]}, task, person, 1800)
            seconds = time.perf_counter() - started
            handed = 0
            while handed < handover and reply["status"] != "ok" and (example := handover_example(kernel, person, task, reply)):
                reply, more = send_as_person(kernel, {"command": "draft_example", "cycle": reply["error"]["cycle"], **example},
                                             task, person, 1800)
                asked, handed = asked + more, handed + 1
            record: dict = {"seconds": seconds, "questions": asked,
                            **({"handovers": handed, "handover_seconds": time.perf_counter() - started - seconds} if handover else {})}
            if reply["status"] == "ok":
                cycle = kernel.request({"command": "cycle", "cycle": reply["result"]["cycle"]})["result"]
                record["candidates"] = len(cycle["artifacts"].get("candidates", []))
                record["cases"] = len(cycle["artifacts"].get("cases", []))
                record["cycle"] = _cycle_record(cycle)
                failed = kernel_checks(kernel, task)
                record["outcome"] = "learned" if not failed else "false install"
                record["why"] = failed[:1]
            else:
                error = reply["error"]
                record["outcome"] = "failed"
                record["why"] = [f"{error['code']}: {(error.get('reasons') or [error['message']])[-1]}"[:300]]
                record["unanswered"] = "unanswered" in (error.get("reasons") or [])
                if error.get("cycle"):
                    cycle = kernel.request({"command": "cycle", "cycle": error["cycle"]})["result"]
                    record["candidates"] = len(cycle["artifacts"].get("candidates", []))
                    record["cases"] = len(cycle["artifacts"].get("cases", []))
                    record["cycle"] = _cycle_record(cycle)
                    draft = kernel.request({"command": "draft", "cycle": error["cycle"]}, timeout=60)  # the hand-over
                    record["draft"] = ({"failing": len(draft["result"]["failing"]), "calls": len(draft["result"]["calls"])}
                                       if draft["status"] == "ok" else None)
            results[task["id"]] = record
            if progress is not None:
                with progress.open("a") as written:
                    written.write(json.dumps({"task": task["id"], **record}, default=repr) + "\n")
            found.setdefault("rss_first", rss())
            print(f"  cycle {task['id']}: {record['outcome']} in {seconds:.0f}s"
                  + (f" ({record['why'][0][:100]})" if record.get("why") else ""))
        found["rss_end"] = rss()
        if not replaying:
            manager = kernel.request({"command": "status"}, timeout=30)["result"]["models"]["manager"]
            found["llama"] = [r.get("llama") for r in manager["resident"] if r.get("llama")]
    finally:
        kernel.stop()
        if person is not None:
            person.close()
    return results


def first_candidate(cycle: dict) -> tuple[float, float] | None:
    """Seconds from a cycle's start to its author's first candidate (research, cases), and writing that one."""
    at = [(h["state"], h["at"]) for h in cycle.get("history") or [] if isinstance(h.get("at"), (int, float))]
    writing = next((t for state, t in at if state == "SYNTHESIZING"), None)
    tried = next((t for state, t in at if state == "VALIDATING"), None)
    return (writing - at[0][1], tried - writing) if at and writing is not None and tried is not None else None


def same_prompts(cassette: Path, recorded: Path) -> str:
    """Whether a replayed run asked its models what the recorded one asked, call by call: "yes (N calls)", or where
    the two part ("no: call K ...")."""
    def calls(path: Path) -> list[tuple[str, str]]:
        lines = [json.loads(text) for text in path.read_text().splitlines() if text.strip()] if path.exists() else []
        return [(line["persona"], line.get("prompt_sha256", "")) for line in lines]

    then, now = calls(cassette), calls(recorded)
    for k, (a, b) in enumerate(zip(then, now), 1):
        if a != b:
            return f"no: call {k} was {a[0]}'s prompt {a[1][:12]}, now {b[0]}'s {b[1][:12]}"
    return f"yes ({len(now)} calls)" if len(then) == len(now) else f"no: {len(then)} calls recorded, {len(now)} now"


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=None, help="how many tasks, spread over the file (default: all)")
    p.add_argument("--tasks-file", type=Path, default=TASKS,
                   help="the tasks (default bench/tasks/learning_tasks.jsonl; bench/tasks/MANIFEST.json says which files are unseen)")
    p.add_argument("--models", default="auto",
                   help="the personas' embedded models, as models.embedded takes them (default auto: the profile's)")
    p.add_argument("--model", default=None, help="one embedded model for every persona (bat_os/models/embedded.py)")
    p.add_argument("--baseline-engine", default="llama", choices=("llama", "w8", "fp32", "auto"),
                   help="how the single shot runs each model: llama.cpp (default) or a transformers form")
    p.add_argument("--json", type=Path, default=None, help="write every task's figures here")
    p.add_argument("--skip-baseline", action="store_true", help="only the cycle (no ratio)")
    p.add_argument("--skip-cycle", action="store_true",
                   help="only the single shot of each model (greedy: the same for any kernel's code; a ratio for a recorded cycle run)")
    p.add_argument("--record", type=Path, default=None, help="record every prompt and reply of the kernel's models here")
    p.add_argument("--only", default="", help="comma-separated task ids (a look at a few; not the figures)")
    p.add_argument("--user", action="store_true",
                   help="a simulated person answers the cycle's questions with the task's reference (else: \"ask\": false)")
    p.add_argument("--handover", type=int, default=0, metavar="N",
                   help="with --user: at a failed cycle's hand-over the person gives the answer at the call asked as an "
                        "example (draft_example), at most N times a task")
    p.add_argument("--cassette", type=Path, default=None,
                   help="answer the cycle's model calls from this recorded cassette (a run's --record) instead of the "
                        "models: the run again through today's kernel; with --record, its prompts compared with the cassette's")
    p.add_argument("--set", action="append", default=[], metavar="BATOS_NAME=VALUE",
                   help="a kernel setting for the cycle's kernel (the README's settings table), e.g. BATOS_CYCLE_CANDIDATES=6")
    args = p.parse_args()
    if any("=" not in item or not item.startswith("BATOS_") for item in args.set):
        p.error("--set takes BATOS_NAME=VALUE")
    settings = dict(item.split("=", 1) for item in args.set)
    if args.skip_cycle and (args.skip_baseline or args.cassette):
        p.error("--skip-cycle runs only the single shot: not with --skip-baseline or --cassette")
    if args.handover and not args.user:
        p.error("--handover: the person gives the example, so it needs --user")
    if args.cassette:  # no model runs: the single shot would need one
        settings.update(BATOS_LLM_BACKEND="replay", BATOS_CASSETTE=str(args.cassette.resolve()))
        args.skip_baseline = True
    args.rounds = 1
    tasks = load_tasks(args.tasks or (6 if args.quick else None), args.tasks_file)
    if args.only:
        wanted = set(args.only.split(","))
        tasks = [t for t in load_tasks(None, args.tasks_file) if t["id"] in wanted]
    from bat_os import config
    from bat_os.models import embedded, engines

    spec = args.model or args.models
    chosen = embedded.wanted(config.build({"models.embedded": spec}, ROOT).models, cuda=engines.cuda_hint())
    author = chosen["ALFRED"].name
    header(f"learning with {', '.join(f'{p}={m.name}' for p, m in chosen.items())}: {len(tasks)} tasks, hidden checks", args)

    singles = {} if args.skip_baseline else {name: baseline(tasks, name, args.baseline_engine)
                                             for name in dict.fromkeys(m.name for m in chosen.values())}
    single = singles.get(author, {})
    if args.skip_cycle:
        summary = Summary()
        for name, results in singles.items():
            summary.info(f"SINGLE-SHOT passed, {name}", sum(1 for r in results.values() if r["passed"]), f" of {len(tasks)}", fmt=".0f")
        if args.json:
            args.json.write_text(json.dumps({"tasks": [t["id"] for t in tasks], "single": single, "singles": singles,
                                             "models": {p: m.name for p, m in chosen.items()}}, indent=1))
        return summary.finish(args.strict)
    found: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-learning-") as tmp:
        learned = cycles(tasks, spec, Path(tmp), args.record, settings, found, user=args.user,
                         progress=args.json.with_suffix(".progress.jsonl") if args.json else None, handover=args.handover)
    for task_id, count in judge_written(tasks, learned).items():
        learned[task_id]["written_right"] = count
    if settings:
        print("kernel settings: " + " ".join(f"{k}={v}" for k, v in sorted(settings.items())))

    print(f"\n{'task':32} {'kind':6} {'single':7} {'cycle':14} {'cand':>4} {'right':>5} {'cases':>5} {'q':>2} {'secs':>6}  why (cycle)")
    for task in tasks:
        s, c = single.get(task["id"]), learned[task["id"]]
        print(f"{task['id']:32} {task['kind']:6} {('pass' if s['passed'] else 'fail') if s else '-':7} {c['outcome']:14} "
              f"{c.get('candidates', 0):>4} {c['written_right']:>5} {c.get('cases', 0):>5} {c.get('questions', 0):>2} {c['seconds']:>6.0f}  "
              f"{(c.get('why') or [''])[0][:90]}")
    n = len(tasks)
    right = sum(1 for r in learned.values() if r["outcome"] == "learned")
    false = sum(1 for r in learned.values() if r["outcome"] == "false install")
    failed = sum(1 for r in learned.values() if r["outcome"] == "failed")
    summary = Summary()
    summary.info("LEARNED correctly", right, f" of {n}", fmt=".0f", note=f"{right / n:.0%}")
    summary.target("FALSE installs (share of tasks)", false / n, "<=", TARGET_FALSE_INSTALLS, "", fmt=".3f")
    summary.info("FAILED cycles", failed, f" of {n}", fmt=".0f",
                 note=f"{sum(1 for r in learned.values() if r.get('unanswered'))} "
                      "of them disputed (unanswered)")
    handed = [r for r in learned.values() if r.get("handovers")]
    if handed:
        summary.info("HAND-OVER examples given (the answer at the call asked)", len(handed), f" of {n} tasks", fmt=".0f",
                     note=f"{sum(r['outcome'] == 'learned' for r in handed)} learned after it, "
                          f"{sum(r['outcome'] == 'false install' for r in handed)} false installs")
    drafts = [r["draft"] for r in learned.values() if r["outcome"] == "failed" and "draft" in r]
    if drafts:
        summary.info("DRAFTS (a failed cycle ends with its best try kept)", sum(d is not None for d in drafts),
                     f" of {len(drafts)}", fmt=".0f", note=f"{sum(bool(d and d['failing']) for d in drafts)} with the "
                     "calls it fails and the answers wanted; the rest fail none the person answered")
    questions = [r.get("questions", 0) for r in learned.values()]
    summary.info("QUESTIONS per task (the simulated person's answers)", sum(questions) / n, "", fmt=".2f",
                 note=f"max {max(questions)}; " + ("--user" if args.user else "none asked: \"ask\": false"))
    written = sum(1 for r in learned.values() if r["written_right"])
    summary.info("WRITTEN right (a candidate of the cycle passed every hidden check)", written, f" of {n}", fmt=".0f",
                 note="what a perfect choosing among the same candidates would learn")
    summary.info("CYCLE time p50", statistics.median(r["seconds"] for r in learned.values()), " s", fmt=".0f")
    for outcome in ("learned", "failed", "false install"):
        times = sorted(r["seconds"] for r in learned.values() if r["outcome"] == outcome)
        if times:
            summary.info(f"CYCLE time {outcome} p50", percentile(times, 50), " s", fmt=".0f",
                         note=f"p90 {percentile(times, 90):.0f} s over {len(times)}")
    firsts = [phases for r in learned.values() if (phases := first_candidate(r.get("cycle") or {}))]
    if firsts:  # where a failing cycle's time goes: before its author writes anything, and its first candidate
        summary.info("CYCLE time before the first candidate p50", percentile(sorted(f[0] for f in firsts), 50), " s", fmt=".0f",
                     note=f"p90 {percentile(sorted(f[0] for f in firsts), 90):.0f} s (research and cases); writing it p50 "
                          f"{percentile(sorted(f[1] for f in firsts), 50):.0f} s, over {len(firsts)} cycles")
    for counts in found.get("llama", []):
        summary.info("PROMPT tokens evaluated / asked", counts["prompt_evaluated"] / max(counts["prompt_tokens"], 1), "",
                     note=f"{counts['prompt_evaluated']} of {counts['prompt_tokens']} over {counts['calls']} calls: the rest"
                          " came from the kept states of earlier prompts")
    if "rss_first" in found:
        summary.info("KERNEL resident memory after the first cycle", found["rss_first"] / 2**20, " MiB", fmt=".0f",
                     note=f"{found['rss_end'] / 2**20:.0f} MiB at the end")
    for name, results in singles.items():
        if name != author:
            passed = sum(1 for r in results.values() if r["passed"])
            summary.info(f"SINGLE-SHOT passed, {name}", passed, f" of {n}", fmt=".0f",
                         note=f"learned/it {right / max(passed, 1):.2f}x; right on {sum(1 for t in results if results[t]['passed'] and not single.get(t, {}).get('passed'))} the author's single shot missed")
    if single:
        passed = sum(1 for r in single.values() if r["passed"])
        summary.info(f"SINGLE-SHOT passed, {author} (the author's)", passed, f" of {n}", fmt=".0f", note=f"{passed / n:.0%}")
        summary.target("RATIO learned/single-shot", right / max(passed, 1), ">=", TARGET_GAIN, "x",
                       note=("" if passed * TARGET_GAIN <= n else
                             f"unreachable: {TARGET_GAIN}x the single shot's {passed} is {passed * TARGET_GAIN:.0f}, more than the {n} tasks"))
        summary.info("BOUND on the ratio (written right / single-shot)", written / max(passed, 1), "x", fmt=".2f",
                     note=("below the target: the candidates, not the choosing, are the limit" if written < passed * TARGET_GAIN
                           else "the target is within the candidates' reach"))
        summary.info("UNLEARNED against the single shot's failures", (n - right) / max(n - passed, 1), "x", fmt=".2f",
                     note=f"{n - right} tasks not learned (failed or wrong), {n - passed} failed by the single shot; lower is better")
    if args.cassette and args.record:
        summary.info("PROMPTS asked as the cassette's, in order", same_prompts(args.cassette, args.record), "", fmt="",
                     note="every model call's persona and prompt (system and user) hash, compared one by one")
    if args.json:
        args.json.write_text(json.dumps({"tasks": [t["id"] for t in tasks], "single": single, "singles": singles,
                                         "models": {p: m.name for p, m in chosen.items()}, "settings": settings,
                                         "cycle": learned, "kernel": found}, indent=1))
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

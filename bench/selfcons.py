"""Self-consistency on task files with hidden checks: the cycle's prompt in the two greedy voices, then K samples at
T (environment: K=3, T=0.7, THREADS=2), in the w8 form. Do the samples answer as the greedy candidate does (on the
trial and the hidden calls), and is the greedy candidate right? One JSON line a task; the figures in
bat_os.cognition.selection._unconfirmed came from it.

    python bench/selfcons.py bench/learning_tasks_novel.jsonl bench/learning_tasks_holdout.jsonl
"""
import asyncio, json, os, sys, threading
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent)); sys.path.insert(0, str(HERE))
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
from bench_learning import embedded_model, load_tasks, Slots
from bat_os.cognition import guardian, mending
from bat_os.cognition.casehost import CaseHost
from bat_os.cognition.cases import judge, output_key
from bat_os.cognition.prompts import synthesis_prompt, PLAIN_VOICE, sample_seed, shown_slots
from bat_os.image.primordial import PERSONAS
from bat_os.jail.contract import ALLOWED_MODULES
from bat_os.jail.runner import Jail
from bat_os.models.generation import generate_text
from bat_os.translate.examples import sentence_examples
from pathlib import Path
model, tok, _form = embedded_model("qwen2.5-coder-0.5b", "w8", int(os.environ.get("THREADS", "2")))
K = int(os.environ.get("K", "3")); T = float(os.environ.get("T", "0.7"))
tasks = [t for f in sys.argv[1:] for t in load_tasks(None, Path(f))]

async def behave(jail, code, task):
    calls = [{"args": task["args"], "kwargs": {}, "given": task["slots"]}] + [{"kwargs": {}, **c} for c in task["checks"]]
    calls = [{k: v for k, v in c.items() if k in ("args", "kwargs", "given", "result", "slots")} for c in calls]
    host = CaseHost(Slots(task["slots"]), calls, candidate=(task["selector"], code))
    try:
        outs = await jail.run_cases(code, task["selector"], calls, host)
    except Exception as e:
        return None, False
    keys = [output_key(o) for o in outs]
    right = all(judge(c, o, host.slots_after(i, list(c.get("slots") or {})) if c.get("slots") else None, task["selector"]) is None
                for i, (c, o) in enumerate(zip(calls, outs)) if i > 0)
    return keys, right

async def main():
    jail = Jail(); await jail.start()
    rows = []
    try:
        for task in tasks:
            ex = sentence_examples(task["intent"], task["selector"])
            brief = {"selector": task["selector"], "args": task["args"], "kwargs": {}, "intent": task["intent"], **({"examples": ex} if ex else {})}
            receiver = {"name": "genesis_obj", "slots": {k: repr(v)[:80] for k, v in task["slots"].items()}, "understands": []}
            prompt = synthesis_prompt(brief, receiver, [], [])
            got = []
            for attempt in range(2 + K):
                voice = PERSONAS["ALFRED"]["system_prompt"] if attempt % 2 == 0 else PLAIN_VOICE
                temp = 0 if attempt < 2 else T
                seed = sample_seed(prompt, attempt) if temp else None
                text, _ = generate_text(model, tok, voice, prompt, settings={"max_new_tokens": 512, "temperature": temp, "seed": seed, "top_p": 1.0, "stop_after_block": True},
                                        persona="ALFRED", adapters_off=False, emit=lambda p: None, stop=threading.Event(), timeout=600, device="cpu")
                code, _ = mending.candidate_code(text, task["selector"], len(task["args"]), ALLOWED_MODULES, set(task["slots"]))
                keys, right = (None, False)
                if guardian.audit(code, task["selector"]).accepted:
                    keys, right = await behave(jail, code, task)
                got.append({"keys": keys, "right": right, "code": code})
            g = got[0]
            agree = [s["keys"] == g["keys"] for s in got[1:]] if g["keys"] else []
            row = {"id": task["id"], "greedy_right": g["right"], "plain_right": got[1]["right"], "pair_agree": bool(agree and agree[0]),
                   "samples_agree": sum(agree[1:]), "samples_right": sum(s["right"] for s in got[2:])}
            rows.append(row); print(json.dumps(row), flush=True)
    finally:
        await jail.close()
    agreeing = [r for r in rows if r["pair_agree"]]
    for right in (True, False):
        counts = [sum(1 for r in agreeing if r["greedy_right"] is right and r["samples_agree"] == k) for k in range(K + 1)]
        print(f"greedy pair agreeing and {'right' if right else 'WRONG'}: samples agreeing 0..{K}: {counts}")
asyncio.run(main())

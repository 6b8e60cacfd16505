"""Prompt forms compared, greedily, on the pure tasks of task files with hidden checks (w8, 2 threads):

    .venv/bin/python bench/labs/prompt_forms.py bench/tasks/learning_tasks_novel6.jsonl ...     (VARIANTS=fn,plain,plainx,stub)

``fn``: the cycle's prompt for a pure request (``prompts.synthesis_prompt``, since the commit after ``eec6928``
``prompts.pure_prompt``), in ALFRED's voice and the plain one; ``plain``: the single shot's prompt
(``bench_learning.plain_prompt``), in the plain voice (both voices with BOTH=1); ``plainx``: the same with the
brief's examples listed, the clock line and the import rule; ``stub``: a HumanEval-style stub (signature, docstring,
the examples as doctests). One JSON line a task, then the totals, about 30 s a task here for four prompts. The
figures in docs/journal/learning.md ("The prompt, measured") came from it; the function prompt they compare with
(``prompts.function_prompt``, and the ``free`` variant without its signature) is at ``18104d9``."""
import asyncio, json, os, sys, threading
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1])); sys.path.insert(0, str(HERE.parent / "learning"))
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
from bench_learning import embedded_model, load_tasks, check_code, plain_prompt
from bat_os.cognition.author import mending
from bat_os.jail import guardian
from bat_os.cognition.author.prompts import _example_lines, synthesis_prompt, PLAIN_VOICE, parameter_names, brief_intent, CLOCK_WORDS  # noqa: E402
from bat_os.cognition.judge.cases import call_arguments
from bat_os.cognition.judge.cases import answer_of
from bat_os.image.primordial import PERSONAS
from bat_os.jail.contract import ALLOWED_MODULES
from bat_os.jail.runner import Jail
from bat_os.models.generation import generate_text
from bat_os.translate.examples import sentence_examples
model, tok, _form = embedded_model("qwen2.5-coder-0.5b", "w8", int(os.environ.get("THREADS", "2")))
tasks = [t for f in sys.argv[1:] for t in load_tasks(None, Path(f)) if not t["slots"]]
VARIANTS = os.environ.get("VARIANTS", "fn,stub").split(",")

def stub_prompt(brief):
    sel = brief["selector"]; args = brief.get("args", []); kwargs = brief.get("kwargs", {})
    intent = brief_intent(brief).rstrip(".")
    params = ", ".join(parameter_names(args, kwargs))
    doc = [intent[0].upper() + intent[1:] + "."]
    for e in (brief.get("examples") or [])[:5]:
        if "result" in e:
            doc += [f">>> {sel}({call_arguments(e.get('args', []), e.get('kwargs', {}))})", repr(e["result"])]
    if not brief.get("examples"):
        doc += [f"Called like: {sel}({call_arguments(args, kwargs)})"]
    body = "\n".join("    " + l for l in doc)
    lines = ["Complete this Python function:", "```python", f"def {sel}({params}):", f'    """', body, '    """', "```"]
    if CLOCK_WORDS.search(intent):
        lines.append("It must read the clock: import datetime inside the function and call datetime.datetime.now().")
    lines.append("Put any import inside the function. Answer with the whole function in one ```python block.")
    return "\n".join(lines)

async def main():
    jail = Jail(); await jail.start()
    tot = {}
    try:
        for task in tasks:
            ex = sentence_examples(task["intent"], task["selector"])
            brief = {"selector": task["selector"], "args": task["args"], "kwargs": {}, "intent": task["intent"], **({"examples": ex} if ex else {})}
            row = {"id": task["id"]}
            for variant in VARIANTS:
                if variant == "fn":
                    prompt = synthesis_prompt(brief, {"name": "", "slots": {}, "understands": []}, [], [])
                elif variant == "plain":
                    prompt = plain_prompt(task)
                elif variant == "plainx":  # the single shot's form with the cycle's example, clock and import lines
                    head = plain_prompt(task).splitlines()
                    extra = [*_example_lines(brief.get("examples") or [], task["selector"])]
                    if CLOCK_WORDS.search(task["intent"]):
                        extra.append("It must read the clock: import datetime inside the method and call datetime.datetime.now().")
                    extra.append("Put any import inside the method.")
                    prompt = "\n".join(head[:-1] + extra + head[-1:])
                else:
                    prompt = stub_prompt(brief)
                voices = (PLAIN_VOICE,) if variant == "plain" and not os.environ.get("BOTH") else (PERSONAS["ALFRED"]["system_prompt"], PLAIN_VOICE)
                for v, voice in enumerate(voices):
                    text, _ = generate_text(model, tok, voice, prompt, settings={"max_new_tokens": 512, "temperature": 0, "stop_after_block": True},
                                            persona="ALFRED", adapters_off=False, emit=lambda p: None, stop=threading.Event(), timeout=600, device="cpu")
                    code, _ = mending.candidate_code(text, task["selector"], len(task["args"]), ALLOWED_MODULES, set())
                    ok = guardian.audit(code, task["selector"]).accepted and not await check_code(jail, code, task)
                    row[f"{variant}{v}"] = ok
            print(json.dumps(row), flush=True)
            for k, val in row.items():
                if k != "id": tot[k] = tot.get(k, 0) + val
            for variant in VARIANTS:
                tot[variant + "_any"] = tot.get(variant + "_any", 0) + (row[variant + "0"] or row.get(variant + "1", False))
    finally:
        await jail.close()
    print("TOTAL", len(tasks), json.dumps(tot))
asyncio.run(main())

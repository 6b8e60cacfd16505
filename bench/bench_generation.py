#!/usr/bin/env python3
"""Tokens per second of the embedded model on this CPU, per weight form, and how much each form still gets right.

    .venv/bin/python bench/bench_generation.py [--quick] [--strict] [--rounds N] [--model NAME] [--tokens N] [--tasks N]

The embedded model (Qwen2.5-Coder-0.5B-Instruct by default: the GGUF set-up
fetches, converted once into the cache as an import does) is loaded in each
CPU form of bat_os.models.cpu_forms: fp32 (the baseline), bf16, int8 (dynamic)
and w8 (int8 weights, bfloat16 activations). Rounds alternate the forms; each
round generates the same ``--tokens`` new tokens (greedy, the end-of-text token
ignored) for the same chat prompt through bat_os.models.generation, the
kernel's own path. Figures are medians over rounds.

The floor: decoding reads every weight once per token, so no form can beat
(bytes of weights read per token) / (memory bandwidth). The bandwidth is
measured in the same run (numpy copying 256 MiB, counted as STREAM's Copy
counts it: the bytes read plus the bytes written, per second);
the bytes per form count every linear layer's weights (lm_head included) and
the norms, not the embedding table (one row per token).

Correctness: a form is worth its speed only if the model still writes what
fp32 writes. ``--tasks N`` learning tasks, spread over every task file of
bench/bench_learning.py, are asked once per form, greedily, with the
learning benchmark's plain prompt; each answer's code is run in the jail
against the task's hidden checks (bench_learning's single shot, per form).

Targets: w8 tokens/s >= 1.5x fp32's; w8 right on no fewer tasks than fp32, less
one in twenty (greedy decoding differs a little from form to form).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Summary, header, median, parser  # noqa: E402

sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

FORMS = ("fp32", "bf16", "int8", "w8")
TARGET_SPEEDUP = 1.5  # w8 against fp32
PROMPT = "Write a Python function that returns the first n Fibonacci numbers as a list."
def learning_tasks(count: int) -> list[dict]:
    """``count`` tasks spread over every learning task file (bench_learning's)."""
    from bench_learning import TASK_FILES, load_tasks

    every = [task for path in TASK_FILES for task in load_tasks(None, path)]
    step = max(len(every) / max(count, 1), 1)
    return [every[int(i * step)] for i in range(min(count, len(every)))]


def load(directory: Path, form: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from bat_os.models import cpu_forms

    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(directory), local_files_only=True)
    model = cpu_forms.apply(model, form, torch).eval()
    return model, tokenizer


def weight_bytes(model) -> int:
    """Bytes of weights one decoding step reads: linear layers (float or packed int8) and norms, not the embeddings."""
    import torch

    total = 0
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    packed = torch.ao.nn.quantized.dynamic.Linear
    for module in model.modules():
        if isinstance(module, packed):
            weight = module.weight()
            total += weight.numel() * weight.element_size()
        elif type(module).__name__ == "Int8WeightLinear":  # its weights are buffers: int8 rows and their scales
            total += sum(b.numel() * b.element_size() for b in module.buffers(recurse=False))
    for parameter in model.parameters():
        if id(parameter) not in embeddings:
            total += parameter.numel() * parameter.element_size()
    return total


def copy_bandwidth(mib: int = 256, tries: int = 5) -> float:
    """Bytes moved per second (read + written, as STREAM Copy) by numpy copying a large array (best of ``tries``)."""
    import numpy as np

    src = np.ones(mib * 2**20, dtype=np.uint8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - started)
    return 2 * src.nbytes / best


def generate(model, tokenizer, prompt: str, tokens: int, *, exact: bool,
             system: str = "You are ALFRED. Write small, clear Python.") -> tuple[str, int, float]:
    from bat_os.models.generation import generate_text

    settings = {"max_new_tokens": tokens, "temperature": 0, **({"min_new_tokens": tokens} if exact else {})}
    started = time.perf_counter()
    text, count = generate_text(model, tokenizer, system, prompt, settings=settings,
                                persona="ALFRED", adapters_off=False, emit=lambda piece: None, stop=threading.Event(),
                                timeout=600, device="cpu")
    return text, count, time.perf_counter() - started


def single_shot(model, tokenizer, tasks: list[dict]) -> tuple[int, list[str]]:
    """bench_learning's single shot in this form: how many tasks' hidden checks its answers pass, and the others."""
    import asyncio

    from bench_learning import check_code, plain_prompt

    from bat_os.cognition import guardian, mending
    from bat_os.jail.contract import ALLOWED_MODULES
    from bat_os.jail.runner import Jail

    async def run() -> tuple[int, list[str]]:
        jail = Jail()
        await jail.start()
        right, wrong = 0, []
        try:
            for task in tasks:
                text, _count, _seconds = generate(model, tokenizer, plain_prompt(task), 384, exact=False,
                                                  system="You are a helpful Python programmer.")
                code, _ = mending.candidate_code(text, task["selector"], len(task["args"]), ALLOWED_MODULES, set(task["slots"]))
                verdict = guardian.audit(code, task["selector"])
                if verdict.accepted and not await check_code(jail, code, task):
                    right += 1
                else:
                    wrong.append(task["id"])
        finally:
            await jail.close()
        return right, wrong

    return asyncio.run(run())


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--model", default="qwen2.5-coder-0.5b", help="an embedded model (bat_os/models/embedded.py)")
    p.add_argument("--tokens", type=int, default=None, help="new tokens per generation (default 64, --quick 24)")
    p.add_argument("--tasks", type=int, default=None, help="learning tasks asked in each form (default 24, --quick 6)")
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    tokens = args.tokens or (24 if args.quick else 64)
    header(f"generation on CPU: {args.model}, {tokens} tokens per round", args)

    import torch

    from bat_os.models import embedded, gguf

    torch.set_num_threads(os.cpu_count() or 1)
    entry = embedded.model(args.model)
    source = embedded.fetch(entry, embedded.cache_dir(), say=print)
    info = gguf.inspect(source)
    directory = gguf.convert(info, gguf.converted_dir(embedded.cache_dir(), info, "bfloat16"), "bfloat16")
    models = {}
    for form in FORMS:
        started = time.perf_counter()
        models[form] = load(directory, form)
        print(f"loaded {form} in {time.perf_counter() - started:.1f}s ({weight_bytes(models[form][0]) / 2**20:.0f} MiB read per token)")
    bandwidth = copy_bandwidth()
    print(f"copy bandwidth {bandwidth / 2**30:.1f} GiB/s")
    speeds = {form: [] for form in FORMS}
    for r in range(args.rounds):
        order = FORMS if r % 2 == 0 else tuple(reversed(FORMS))
        for form in order:
            model, tokenizer = models[form]
            _text, count, seconds = generate(model, tokenizer, PROMPT, tokens, exact=True)
            speeds[form].append(count / seconds)
        print(f"round {r + 1}: " + "  ".join(f"{form} {speeds[form][-1]:.1f} tok/s" for form in FORMS))
    tasks = learning_tasks(args.tasks or (6 if args.quick else 24))
    scores = {}
    for form in FORMS:
        started = time.perf_counter()
        right, wrong = single_shot(*models[form], tasks)
        scores[form] = right
        print(f"{form}: {right} of {len(tasks)} tasks right in {time.perf_counter() - started:.0f}s"
              + (f" (wrong: {', '.join(wrong)})" if wrong else ""))

    summary = Summary()
    fp32 = median(speeds["fp32"])
    for form in FORMS:
        rate = median(speeds[form])
        floor = bandwidth / weight_bytes(models[form][0])
        summary.info(f"TOKENS/s {form} p50", rate, " tok/s", fmt=".1f",
                     note=f"{rate / fp32:.2f}x fp32; the bandwidth floor allows {floor:.1f} tok/s ({rate / floor:.0%} of it)")
    summary.target("RATIO w8/fp32 tokens/s p50", median(speeds["w8"]) / fp32, ">=", TARGET_SPEEDUP, "x")
    summary.target("CORRECT w8 minus fp32 (tasks right)", scores["w8"] - scores["fp32"], ">=", -(len(tasks) // 20), "", fmt=".0f")
    for form in ("bf16", "int8"):
        summary.info(f"CORRECT {form} minus fp32 (tasks right)", scores[form] - scores["fp32"], "", fmt=".0f",
                     note=f"{scores[form]} of {len(tasks)}, fp32 {scores['fp32']}")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Tokens per second of the embedded model on this CPU, per weight form, against fp32 and the bandwidth floor.

    .venv/bin/python bench/bench_generation.py [--quick] [--strict] [--rounds N] [--model NAME] [--tokens N]

The embedded model (Qwen2.5-Coder-0.5B-Instruct by default: the GGUF set-up
fetches, converted once into the cache as an import does) is loaded three
times, in each CPU form of bat_os.models.cpu_forms: fp32 (the baseline),
bf16 and int8. Rounds alternate the forms; each round generates the same
``--tokens`` new tokens (greedy, the end-of-text token ignored) for the same
chat prompt through bat_os.models.generation, the kernel's own path. Figures
are medians over rounds.

The floor: decoding reads every weight once per token, so no form can beat
(bytes of weights read per token) / (memory bandwidth). The bandwidth is
measured in the same run (numpy copying 256 MiB, counted as STREAM's Copy
counts it: the bytes read plus the bytes written, per second);
the bytes per form count every linear layer's weights (lm_head included) and
the norms, not the embedding table (one row per token).

Correctness: the same small method-writing tasks (the cycle's synthesis
prompt, the code taken out of the reply as the cycle does) are generated in
each form and their code is run in a separate Python process against test
cases. A faster form that gets fewer right is not kept.

Targets: int8 tokens/s >= 2x fp32's; int8 correct on at least as many tasks as fp32.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Summary, header, median, parser  # noqa: E402

sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

FORMS = ("fp32", "bf16", "int8")
TARGET_SPEEDUP = 2.0
PROMPT = "Write a Python function that returns the first n Fibonacci numbers as a list."
#: (selector, args, intent, [(args, expected)]): the learning tasks every form writes.
TASKS = [
    ("count_vowels", ["banana"], "count the vowels in a word", [(["banana"], 3), (["sky"], 0), (["AEIOU"], 5)]),
    ("factorial", [5], "compute the factorial of a number", [([5], 120), ([0], 1), ([1], 1)]),
    ("is_palindrome", ["racecar"], "tell whether a word reads the same backwards", [(["racecar"], True), (["abc"], False)]),
    ("sum_of_squares", [[1, 2, 3]], "add up the squares of the numbers in a list", [([[1, 2, 3]], 14), ([[]], 0)]),
    ("word_count", ["the cat sat"], "count the words in a sentence", [(["the cat sat"], 3), (["one"], 1)]),
    ("celsius_to_fahrenheit", [100], "convert a temperature from Celsius to Fahrenheit", [([100], 212), ([0], 32)]),
    ("largest", [[3, 9, 2]], "return the largest number in a list", [([[3, 9, 2]], 9), ([[-1, -5]], -1)]),
    ("reverse_words", ["hello brave world"], "reverse the order of the words in a sentence",
     [(["hello brave world"], "world brave hello"), (["one"], "one")]),
]


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


def generate(model, tokenizer, prompt: str, tokens: int, *, exact: bool) -> tuple[str, int, float]:
    from bat_os.models.generation import generate_text

    settings = {"max_new_tokens": tokens, "temperature": 0, **({"min_new_tokens": tokens} if exact else {})}
    started = time.perf_counter()
    text, count = generate_text(model, tokenizer, "You are ALFRED. Write small, clear Python.", prompt, settings=settings,
                                persona="ALFRED", adapters_off=False, emit=lambda piece: None, stop=threading.Event(),
                                timeout=600, device="cpu")
    return text, count, time.perf_counter() - started


def correct(code: str, selector: str, cases: list) -> bool:
    """Run the method's code in a fresh, isolated Python against the cases (self is None)."""
    program = code + "\n\nimport json, sys\nresults = []\n"
    for args, expected in cases:
        program += f"results.append({selector}(None, *{args!r}) == {expected!r})\n"
    program += "print(json.dumps(all(results)))\n"
    try:
        done = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and done.stdout.strip().endswith("true")


def learning_score(model, tokenizer, tasks: list) -> tuple[int, list[str]]:
    from bat_os.cognition import mending, replies
    from bat_os.cognition.prompts import synthesis_prompt
    from bat_os.jail.contract import ALLOWED_MODULES

    right, wrong = 0, []
    receiver = {"name": "genesis", "slots": {}, "understands": ["describe", "echo", "slot_names", "understands"]}
    for selector, args, intent, cases in tasks:
        prompt = synthesis_prompt({"selector": selector, "args": args, "kwargs": {}, "intent": intent}, receiver, [], [])
        text, _count, _seconds = generate(model, tokenizer, prompt, 384, exact=False)
        code, _added = mending.add_missing_imports(replies.extract_code(text), selector, ALLOWED_MODULES)
        if correct(code, selector, cases):
            right += 1
        else:
            wrong.append(selector)
    return right, wrong


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--model", default="qwen2.5-coder-0.5b", help="an embedded model (bat_os/models/embedded.py)")
    p.add_argument("--tokens", type=int, default=None, help="new tokens per generation (default 64, --quick 24)")
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
    tasks = TASKS[:3] if args.quick else TASKS
    scores = {}
    for form in FORMS:
        right, wrong = learning_score(*models[form], tasks)
        scores[form] = right
        print(f"{form}: {right} of {len(tasks)} methods right" + (f" (wrong: {', '.join(wrong)})" if wrong else ""))

    summary = Summary()
    fp32 = median(speeds["fp32"])
    for form in FORMS:
        rate = median(speeds[form])
        floor = bandwidth / weight_bytes(models[form][0])
        summary.info(f"TOKENS/s {form} p50", rate, " tok/s", fmt=".1f",
                     note=f"{rate / fp32:.2f}x fp32; the bandwidth floor allows {floor:.1f} tok/s ({rate / floor:.0%} of it)")
    summary.target("RATIO int8/fp32 tokens/s p50", median(speeds["int8"]) / fp32, ">=", TARGET_SPEEDUP, "x")
    summary.target("CORRECT int8 minus fp32 (methods right)", scores["int8"] - scores["fp32"], ">=", 0, "", fmt=".0f")
    summary.info("CORRECT bf16 minus fp32 (methods right)", scores["bf16"] - scores["fp32"], "", fmt=".0f")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

"""Training a LoRA adapter on the curator's pairs, in a process of its own (never the kernel's).

::

    python -m bat_os.forge.trainer --base MODEL_DIR --data PAIRS.jsonl --out ADAPTER_DIR
                                   [--rank 8] [--minutes 30] [--max-steps N] [--lr 2e-4] [--seed 0]

``MODEL_DIR`` is a Hugging Face causal LM directory (the persona's base in its HF form). Each pair is one
example: the system and prompt as the chat template lays them out (or plain text where the tokenizer has
none), then the completion; the loss is on the completion's tokens only. peft's LoRA on every linear
projection of the attention and MLP (``all-linear``), rank ``--rank`` and alpha twice that, AdamW, one pair
at a time, epochs over the shuffled pairs until ``--max-steps`` or ``--minutes`` runs out (CUDA where there is
one, else the CPU).

It prints one JSON line per step on stdout: ``{"step", "loss", "tokens", "seconds", "tokens_per_second",
"left_seconds"}``, and at the end ``{"done": true, "out", "steps", "tokens", "seconds", "loss_first",
"loss_last"}`` (or ``{"done": false, "error"}`` and exit 1). The adapter is saved to a staging folder beside
``--out`` and renamed into place when whole: a kill (-9 included) leaves the old ``--out`` or none, never half
of one; a stale staging folder is removed at the next run. SIGTERM stops it between steps, saving nothing
(exit 130), and so does the death of ``--parent`` (the kernel that started it: no orphan trains on).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import random
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any, Callable

from bat_os.models.hf_loading import out_of_memory as torch_out_of_memory

STAGING_SUFFIX = ".training"
EXIT_OK, EXIT_FAILED, EXIT_STOPPED = 0, 1, 130
MAX_TOKENS = 1024  # a pair's tokens at most (the prompt's start is cut, never the completion)


def read_pairs(path: Path) -> list[dict]:
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        pair = json.loads(line)
        if not all(isinstance(pair.get(k), str) for k in ("system", "prompt", "completion")):
            raise ValueError(f"{path}:{number}: a pair needs system, prompt and completion as text")
        pairs.append(pair)
    return pairs


def chat_head(tokenizer: Any, system: str, prompt: str) -> str:
    """What the model reads before its answer: the chat template's turns, or plain text where it has none. The
    trainer and the gate's questions (:mod:`bat_os.forge.evaluate`) lay a prompt out the same way."""
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return f"{system}\n\n{prompt}\n\n"


def encode(tokenizer: Any, pair: dict, max_tokens: int = MAX_TOKENS) -> tuple[list[int], list[int]]:
    """(input ids, labels): the prompt's labels are -100 (no loss), the completion's are its ids."""
    head = chat_head(tokenizer, pair["system"], pair["prompt"])
    prompt_ids = tokenizer(head, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(pair["completion"], add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None:
        completion_ids = completion_ids + [tokenizer.eos_token_id]
    completion_ids = completion_ids[:max_tokens // 2]
    prompt_ids = prompt_ids[-(max_tokens - len(completion_ids)):]
    return prompt_ids + completion_ids, [-100] * len(prompt_ids) + completion_ids


def train(base: Path, data: Path, out: Path, *, rank: int = 8, minutes: float = 30.0, max_steps: int | None = None,
          lr: float = 2e-4, seed: int = 0, say: Callable[[dict], None] = lambda event: None,
          stopped: Callable[[], bool] = lambda: False, clock: Callable[[], float] = time.monotonic) -> dict:
    """Train and save the adapter to ``out``; the summary (``say`` hears every step)."""
    started = clock()
    pairs = read_pairs(data)
    if not pairs:
        raise ValueError(f"{data} holds no pairs")
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    staging = out.with_name(out.name + STAGING_SUFFIX)
    shutil.rmtree(staging, ignore_errors=True)  # a killed run's
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32).to(device)
    model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", r=rank, lora_alpha=2 * rank, lora_dropout=0.0,
                                             target_modules="all-linear"))
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    examples = [encode(tokenizer, pair) for pair in pairs]
    order = random.Random(seed)
    budget = minutes * 60.0
    step = tokens = 0
    losses: list[float] = []
    queue: list[int] = []
    while (max_steps is None or step < max_steps) and clock() - started < budget:
        if stopped():
            raise KeyboardInterrupt
        if not queue:
            queue = list(range(len(examples)))
            order.shuffle(queue)
        ids, labels = examples[queue.pop()]
        batch = torch.tensor([ids], device=device)
        loss = model(input_ids=batch, labels=torch.tensor([labels], device=device)).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        step += 1
        tokens += len(ids)
        losses.append(float(loss))
        seconds = clock() - started
        say({"step": step, "loss": round(losses[-1], 4), "tokens": tokens, "seconds": round(seconds, 2),
             "tokens_per_second": round(tokens / seconds, 1) if seconds else None,
             "left_seconds": round(max(0.0, budget - seconds), 1)})
    model.save_pretrained(staging)
    if out.exists():
        shutil.rmtree(out)
    os.replace(staging, out)
    return {"done": True, "out": str(out), "steps": step, "tokens": tokens, "seconds": round(clock() - started, 2),
            "loss_first": losses[0] if losses else None, "loss_last": losses[-1] if losses else None,
            "pairs": len(pairs), "rank": rank, "device": device}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bat_os.forge.trainer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parent", type=int, default=None, help="stop when this process (the kernel) is gone")
    args = parser.parse_args(argv)
    stop = {"asked": False}
    orphaned = (lambda: os.getppid() != args.parent) if args.parent else (lambda: False)
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("asked", True))

    def say(event: dict) -> None:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    try:
        return _run(args, say, stop, orphaned)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace, say: Callable[[dict], None], stop: dict, orphaned: Callable[[], bool]) -> int:
    try:
        say(train(args.base, args.data, args.out, rank=args.rank, minutes=args.minutes, max_steps=args.max_steps,
                  lr=args.lr, seed=args.seed, say=say, stopped=lambda: stop["asked"] or orphaned()))
        return EXIT_OK
    except KeyboardInterrupt:
        shutil.rmtree(args.out.with_name(args.out.name + STAGING_SUFFIX), ignore_errors=True)
        say({"done": False, "error": "stopped"})
        return EXIT_STOPPED
    except Exception as exc:  # noqa: BLE001 - the kernel reads why from the last line
        shutil.rmtree(args.out.with_name(args.out.name + STAGING_SUFFIX), ignore_errors=True)
        oom = "out of memory: " if out_of_memory(exc) else ""
        say({"done": False, "error": f"{oom}{type(exc).__name__}: {str(exc)[:500]}"})
        return EXIT_FAILED


def out_of_memory(exc: BaseException) -> bool:
    """The run ran out of memory, by the error's type, never its text: Python's ``MemoryError``, torch's
    ``OutOfMemoryError`` (CUDA's), the OS's ``ENOMEM`` (an mmap, a read), or, while the address space is capped
    (``forge_memory_mb``), an ImportError other than a missing module: a shared library (torch's) that the loader
    could not map into what was left. (torch's CPU allocator raises a plain RuntimeError: its text says so.)"""
    if torch_out_of_memory(exc) or (isinstance(exc, OSError) and exc.errno == errno.ENOMEM):
        return True
    return isinstance(exc, ImportError) and not isinstance(exc, ModuleNotFoundError) and _address_space_capped()


def _address_space_capped() -> bool:
    try:
        import resource
    except ImportError:  # not POSIX: no cap
        return False
    return resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY


if __name__ == "__main__":
    sys.exit(main())

"""The gate's questions asked of a base model, with or without an adapter, in a process of its own.

::

    python -m bat_os.forge.evaluate --base MODEL_DIR [--adapter ADAPTER_DIR] --prompts PROMPTS.jsonl
                                    [--max-new-tokens 256] [--batch 8]

``PROMPTS.jsonl`` holds ``{"id", "system", "prompt"}`` lines; each is asked greedily (the same prompt, the
same tokens, the chat template as :func:`bat_os.forge.trainer.encode` lays it out), and one line
``{"id", "text", "seconds"}`` is printed per prompt, then ``{"done": true, "answers": N}``. With ``--adapter``
the base is loaded the same way and the adapter put on it (peft): the only difference between the two runs is
the adapter. The checks are not run here: the caller tries each answer in the jail.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

from bat_os.forge.trainer import chat_head

BATCH = 8  # prompts generated together: on two CPU cores, 2.5x as fast as one at a time, the same answers (bench/forge/bench_gate_batch.py)


def answers(base: Path, prompts: list[dict], adapter: Path | None = None, max_new_tokens: int = 256,
            say: Callable[[dict], None] = lambda line: None, batch: int = BATCH) -> list[dict]:
    """Each prompt's greedy answer, ``batch`` prompts at a time (of like length, padded on the left by the
    tokenizer, with its eos for a pad where it has none); an answer's ``seconds`` is its batch's time shared out."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    tokenizer.padding_side = "left"  # generation goes on from each prompt's last token
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    heads = [chat_head(tokenizer, item["system"], item["prompt"]) for item in prompts]
    lengths = [len(ids) for ids in tokenizer(heads, add_special_tokens=False)["input_ids"]] if heads else []
    order = sorted(range(len(prompts)), key=lambda i: lengths[i])  # like lengths together: little padding
    texts: dict[int, tuple[str, float]] = {}
    for start in range(0, len(order), max(1, batch)):
        group = order[start:start + max(1, batch)]
        inputs = tokenizer([heads[i] for i in group], add_special_tokens=False, padding=True, return_tensors="pt")
        width = inputs["input_ids"].shape[1]
        started = time.perf_counter()
        with torch.no_grad():
            generated = model.generate(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                                       do_sample=False, max_new_tokens=max_new_tokens,
                                       pad_token_id=tokenizer.pad_token_id)
        seconds = round((time.perf_counter() - started) / len(group), 2)
        for row, i in enumerate(group):
            texts[i] = (tokenizer.decode(generated[row][width:], skip_special_tokens=True), seconds)
            line = {"id": prompts[i]["id"], "text": texts[i][0], "seconds": seconds}
            say(line)
    return [{"id": item["id"], "text": texts[i][0], "seconds": texts[i][1]} for i, item in enumerate(prompts)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bat_os.forge.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path)
    parser.add_argument("--adapter", type=Path, default=None)
    parser.add_argument("--prompts", required=True, type=Path)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--batch", type=int, default=BATCH, help="prompts generated together (default %(default)s)")
    args = parser.parse_args(argv)
    prompts = [json.loads(line) for line in args.prompts.read_text(encoding="utf-8").splitlines() if line.strip()]

    def say(line: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    try:
        done = answers(args.base, prompts, args.adapter, args.max_new_tokens, say, args.batch)
    except Exception as exc:  # noqa: BLE001 - the caller reads why from the last line
        say({"done": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    say({"done": True, "answers": len(done)})
    return 0


if __name__ == "__main__":
    sys.exit(main())

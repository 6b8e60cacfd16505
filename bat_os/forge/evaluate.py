"""The gate's questions asked of a base model, with or without an adapter, in a process of its own.

::

    python -m bat_os.forge.evaluate --base MODEL_DIR [--adapter ADAPTER_DIR] --prompts PROMPTS.jsonl
                                    [--max-new-tokens 256]

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


def answers(base: Path, prompts: list[dict], adapter: Path | None = None, max_new_tokens: int = 256,
            say: Callable[[dict], None] = lambda line: None) -> list[dict]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    out = []
    for item in prompts:
        started = time.perf_counter()
        ids = tokenizer(chat_head(tokenizer, item["system"], item["prompt"]), add_special_tokens=False,
                        return_tensors="pt")["input_ids"]
        with torch.no_grad():
            generated = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                       max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
        text = tokenizer.decode(generated[0][ids.shape[1]:], skip_special_tokens=True)
        line = {"id": item["id"], "text": text, "seconds": round(time.perf_counter() - started, 2)}
        say(line)
        out.append(line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bat_os.forge.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path)
    parser.add_argument("--adapter", type=Path, default=None)
    parser.add_argument("--prompts", required=True, type=Path)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    args = parser.parse_args(argv)
    prompts = [json.loads(line) for line in args.prompts.read_text(encoding="utf-8").splitlines() if line.strip()]

    def say(line: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    try:
        done = answers(args.base, prompts, args.adapter, args.max_new_tokens, say)
    except Exception as exc:  # noqa: BLE001 - the caller reads why from the last line
        say({"done": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    say({"done": True, "answers": len(done)})
    return 0


if __name__ == "__main__":
    sys.exit(main())

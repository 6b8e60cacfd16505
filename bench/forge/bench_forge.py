"""bench_forge: how fast the forge's trainer trains a LoRA on this machine (issue 41's measure).

For each model (tiny-qwen2; the embedded GGUF models in their Hugging Face form, converted once into the cache)
and each rank, ``python -m bat_os.forge.trainer`` runs ``--steps`` steps on pairs made of the learning
benchmark's pure tasks (the single shot's prompt in ALFRED's voice, the reference method as the completion) and
reports tokens per second and the wall time with the model's load. Baseline, in the same run and process kind:
the same model's forward pass alone over the same pairs (no gradients), tokens per second; the ratio says what
training costs beside inference.

    python bench/forge/bench_forge.py [--models tiny-qwen2,qwen2.5-coder-0.5b] [--ranks 8,16] [--steps 6]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CACHE = Path(os.environ.get("BATOS_CACHE_DIR", Path.home() / ".cache" / "batos"))


def pairs(limit: int = 24) -> list[dict]:
    from bat_os.cognition.author.prompts import pure_prompt
    from bat_os.image.primordial import PERSONAS

    system = PERSONAS["ALFRED"]["system_prompt"]
    tasks = [json.loads(line) for line in (ROOT / "bench" / "tasks" / "learning_tasks.jsonl").read_text().splitlines() if line.strip()]
    made = []
    for task in tasks:
        if task["kind"] != "pure":
            continue
        brief = {"selector": task["selector"], "args": task["args"], "kwargs": {}, "intent": task["intent"]}
        made.append({"system": system, "prompt": pure_prompt(brief, []), "completion": f"```python\n{task['reference']}\n```"})
    return made[:limit]


def model_dir(name: str, work: Path) -> Path:
    if name.startswith("tiny-"):
        from bat_os.models.tiny import make_tiny

        return make_tiny(work / "tiny", names=[name])[name]
    from bat_os.models import gguf

    info = gguf.inspect(CACHE / "gguf" / f"{name}.gguf")
    return gguf.convert(info, gguf.converted_dir(CACHE, info, "bfloat16"))


def forward_tokens_per_second(base: Path, data: list[dict]) -> float:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from bat_os.forge.trainer import encode

    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32).eval()
    examples = [encode(tokenizer, pair)[0] for pair in data]
    with torch.no_grad():
        model(input_ids=torch.tensor([examples[0]]))  # warm
        started, tokens = time.perf_counter(), 0
        for ids in examples[:8]:
            model(input_ids=torch.tensor([ids]))
            tokens += len(ids)
    return tokens / (time.perf_counter() - started)


def train(base: Path, data_file: Path, out: Path, rank: int, steps: int) -> dict:
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "bat_os.forge.trainer", "--base", str(base), "--data", str(data_file),
                          "--out", str(out), "--rank", str(rank), "--max-steps", str(steps)], cwd=ROOT,
                         capture_output=True, text=True, timeout=3600)
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    if run.returncode != 0 or not lines or not lines[-1].get("done"):
        raise SystemExit(f"training failed (exit {run.returncode}): {run.stderr[-1500:]} {lines[-1:] if lines else ''}")
    steps_seen = [line for line in lines if "step" in line]
    # tokens per second over the steps after the first (the first pays for warming up)
    later = steps_seen[1:] or steps_seen
    seconds = later[-1]["seconds"] - (steps_seen[0]["seconds"] if len(steps_seen) > 1 else 0.0)
    tokens = later[-1]["tokens"] - (steps_seen[0]["tokens"] if len(steps_seen) > 1 else 0)
    done = lines[-1]
    return {"wall": time.perf_counter() - started, "tokens_per_second": tokens / seconds if seconds else 0.0,
            "first_step_seconds": steps_seen[0]["seconds"], "loss_first": done["loss_first"],
            "loss_last": done["loss_last"], "steps": done["steps"], "device": done.get("device")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="tiny-qwen2,qwen2.5-coder-0.5b")
    parser.add_argument("--ranks", default="8,16")
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    data = pairs()
    print("== bench_forge: LoRA training throughput (bat_os.forge.trainer) ==")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {len(data)} pairs from bench/tasks/learning_tasks.jsonl, "
          f"{args.steps} steps a run")
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        data_file = work_dir / "pairs.jsonl"
        data_file.write_text("".join(json.dumps(p) + "\n" for p in data))
        for name in args.models.split(","):
            base = model_dir(name, work_dir)
            forward = forward_tokens_per_second(base, data)
            for rank in (int(r) for r in args.ranks.split(",")):
                result = train(base, data_file, work_dir / f"{name}-r{rank}", rank, args.steps)
                print(f"{name:22s} rank {rank:2d}: train {result['tokens_per_second']:8.1f} tok/s, wall {result['wall']:6.1f} s "
                      f"({result['steps']} steps, loss {result['loss_first']:.3f} -> {result['loss_last']:.3f}); "
                      f"forward alone {forward:8.1f} tok/s; RATIO train/forward = {result['tokens_per_second'] / forward:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

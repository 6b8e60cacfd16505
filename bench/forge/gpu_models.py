#!/usr/bin/env python3
"""On a CUDA GPU: 4-bit import of two real-size random-weight models, then 10 swaps between them.

    .venv/bin/python bench/forge/gpu_models.py [--config qwen2.5-1.5b|llama-1b] [--swaps 10] [--strict]

Builds, locally (no download), two random-weight causal LMs with a real 1-3B
configuration (different seeds, so they are two models) with tiny-llama's
tokenizer, imports each into a fresh temp image for its own persona with 4-bit
nf4 quantization (``models import``: bitsandbytes, double quant, bf16 compute),
then, with a model-memory budget that holds one of them, alternates personas
through the ModelManager (as the kernel does) ``--swaps`` times, generating 8
tokens each time. Reported per swap: load seconds, and
``torch.cuda.memory_allocated()`` / ``memory_reserved()`` before the swap, after
the old model is unloaded and after the new one is loaded.

Target: after every swap, allocated memory is back to its baseline within 2%:
the level measured when that same model was first resident (so nothing of the
unloaded model lingers), and between unload and load it returns to the empty
level within 2% of the model's size.

Needs CUDA and bitsandbytes; without them it says so and exits 2.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import ROOT, Summary, median  # noqa: E402

sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

CONFIGS = {
    "qwen2.5-1.5b": dict(arch="qwen2", hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                         num_attention_heads=12, num_key_value_heads=2),
    "llama-1b": dict(arch="llama", hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                     num_attention_heads=32, num_key_value_heads=8),
}
TARGET_PCT = 2.0


def build(out: Path, name: str, seed: int, tokenizer_from: Path) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    spec = dict(CONFIGS[name])
    arch = spec.pop("arch")
    vocab = 32_000
    config_cls, model_cls = (Qwen2Config, Qwen2ForCausalLM) if arch == "qwen2" else (LlamaConfig, LlamaForCausalLM)
    config = config_cls(vocab_size=vocab, max_position_embeddings=2048, torch_dtype="bfloat16", **spec)
    torch.manual_seed(seed)
    with torch.device("cuda"):
        model = model_cls(config).to(torch.bfloat16)
    model.save_pretrained(out)
    del model
    torch.cuda.empty_cache()
    for file in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (tokenizer_from / file).exists():
            shutil.copy(tokenizer_from / file, out / file)
    return out


async def swaps(image, personas: list[str], n: int, budget: int) -> list[dict]:
    import torch

    from bat_os.models.manager import ModelManager
    from bat_os.models.personas import spec_for

    specs = [image.read(lambda p=p: spec_for(image.connection.root(), p)) for p in personas]
    manager = ModelManager(budget_bytes=budget, device="cuda")
    rows = []
    try:
        empty = torch.cuda.memory_allocated()
        for i in range(n + 1):
            spec = specs[i % 2]
            before = torch.cuda.memory_allocated()
            started = time.perf_counter()
            out = await manager.generate(spec, "", "hello", timeout=120)
            seconds = time.perf_counter() - started
            status = manager.status()
            unload = status.get("last_unload", {})
            rows.append({
                "swap": i, "persona": spec.persona, "swapped": out.swapped, "seconds": seconds,
                "load_seconds": status["last_swap"]["seconds"], "before": before,
                "after_unload": unload.get("allocated_after") if i else empty, "after": torch.cuda.memory_allocated(),
                "reserved": torch.cuda.memory_reserved(), "empty": empty,
            })
    finally:
        await manager.close()
    return rows


def main() -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", choices=sorted(CONFIGS), default="qwen2.5-1.5b")
    p.add_argument("--swaps", type=int, default=10)
    p.add_argument("--strict", action="store_true")
    args = p.parse_args()
    import torch

    from bat_os.models.quantize import cuda_available

    if not torch.cuda.is_available() or not cuda_available():
        print("gpu_models: needs a CUDA GPU with bitsandbytes; none here")
        return 2
    from bat_os.image.image import Image
    from bat_os.models.store import import_model
    from bat_os.models.tiny import make_tiny

    print(f"== gpu_models: {args.config}, 4-bit nf4, {args.swaps} swaps on {torch.cuda.get_device_name(0)} ==")
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="batos-gpu-models-") as tmp:
        tmp = Path(tmp)
        tokenizer = make_tiny(tmp / "tiny", names=["tiny-llama"])["tiny-llama"]
        image = Image(tmp / "image" / "live.fs")
        image.awaken()
        sizes = {}
        for persona, seed in (("ALFRED", 1), ("ROBIN", 2)):
            started = time.perf_counter()
            source = build(tmp / f"src-{persona}", args.config, seed, tokenizer)
            built = time.perf_counter() - started
            started = time.perf_counter()
            result = import_model(image, persona, str(source), quantize="4bit")
            print(f"{persona}: built in {built:.1f}s; imported (quantized, stored) in {time.perf_counter() - started:.1f}s:"
                  f" {result.total_size / 2**20:.0f} MiB, {result.quantization}")
            sizes[persona] = result.total_size
            shutil.rmtree(source)
        budget = int(max(sizes.values()) * 1.6)  # room for one model, not two
        rows = asyncio.run(swaps(image, ["ALFRED", "ROBIN"], args.swaps, budget))
        image.close()

    first_level = {}
    worst = 0.0
    print(f"\n{'swap':>4} {'persona':<7} {'load s':>7} {'alloc before':>13} {'after unload':>13} {'after load':>11} {'reserved':>10}  drift")
    for row in rows:
        level = first_level.setdefault(row["persona"], row["after"])
        drift = 100.0 * abs(row["after"] - level) / max(level, 1)
        model_bytes = max(first_level.values()) - row["empty"]
        leak = 100.0 * abs((row["after_unload"] or row["empty"]) - row["empty"]) / max(model_bytes, 1) if row["swap"] else 0.0
        worst = max(worst, drift, leak)
        mib = lambda b: f"{(b or 0) / 2**20:.1f}M"  # noqa: E731
        print(f"{row['swap']:>4} {row['persona']:<7} {row['load_seconds']:>7.2f} {mib(row['before']):>13} {mib(row['after_unload']):>13}"
              f" {mib(row['after']):>11} {mib(row['reserved']):>10}  {drift:.2f}% / unload {leak:.2f}%")
    loads = [r["load_seconds"] for r in rows if r["swapped"]]
    summary.info("load (swap) time p50", median(loads), " s")
    summary.target("worst allocated drift after a swap", worst, "<=", TARGET_PCT, "%")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

"""bench_forge_gpu: the forge's trainer on a CUDA machine, with random weights in the real models' shapes.

bench_forge.py's measure (issue 41) where no model file can be brought: for Qwen2.5-Coder-0.5B and -1.5B
(``Qwen2ForCausalLM``, their exact shapes as their GGUF files give them: the untied ``output.weight`` the converter
keeps included) a Hugging Face directory with RANDOM weights is built on the spot, with Qwen2.5's tokenizer (one
for both). For each model and rank the real trainer (``python -m bat_os.forge.trainer``, fp32, one pair a step)
runs ``--steps`` steps on bench_forge.py's pairs: tokens per second over the steps after the first, the device it
reports (``cuda`` required, unless ``--small``). Baseline, in the same run: the same model's forward pass alone
(fp32, no gradients) over the same pairs. Last, one saved adapter is loaded back with peft on its random base and
its ``lora_B`` weights must be nonzero (peft starts them at zero: nonzero means the training changed them).

The tokenizer and the pairs travel in ``.gpu_carry/`` (ignored by git; made here by ``--prepare``, which needs
the converted 0.5B model in the cache and bat_os's own imports)::

    python bench/forge/bench_forge_gpu.py --prepare            # here: fill .gpu_carry/
    python3 bench/forge/bench_forge_gpu.py [--steps 12]        # on the CUDA machine (torch, transformers, peft)
    python bench/forge/bench_forge_gpu.py --small              # a tiny model in the same vocabulary, 2 steps, CPU ok
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CARRY = ROOT / ".gpu_carry"
CACHE = Path(os.environ.get("BATOS_CACHE_DIR", Path.home() / ".cache" / "batos"))
CONVERTED_05B = CACHE / "converted" / "1d9614638d18024d0fbb3657-bfloat16"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")

# the shapes of the GGUF files' metadata (qwen2.*): both carry an output.weight of their own (not tied)
SHAPES = {
    "qwen2.5-coder-0.5b": dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                               intermediate_size=4864, vocab_size=151936, tie_word_embeddings=False),
    "qwen2.5-coder-1.5b": dict(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2,
                               intermediate_size=8960, vocab_size=151936, tie_word_embeddings=False),
}
SMALL = {"tiny-qwen2-vocab": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                  intermediate_size=128, vocab_size=151936, tie_word_embeddings=False)}


def prepare() -> None:
    """Here: the tokenizer files and the pairs into .gpu_carry/."""
    sys.path.insert(0, str(ROOT / "bench" / "forge"))
    sys.path.insert(0, str(ROOT))
    from bench_forge import pairs

    (CARRY / "tokenizer").mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:
        if (CONVERTED_05B / name).exists():
            shutil.copy2(CONVERTED_05B / name, CARRY / "tokenizer" / name)
    data = pairs()
    (CARRY / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in data), encoding="utf-8")
    print(f"{CARRY}: tokenizer {sorted(p.name for p in (CARRY / 'tokenizer').iterdir())}, {len(data)} pairs")


def build(name: str, shape: dict, where: Path) -> Path:
    """A Hugging Face directory with random weights (bf16 on disk, as the converter writes; the trainer loads fp32)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    out = where / name
    config = Qwen2Config(**shape, max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1000000.0,
                         hidden_act="silu", bos_token_id=151643, eos_token_id=151645, pad_token_id=151643,
                         use_sliding_window=False)
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):
        model = Qwen2ForCausalLM(config)
    model = model.to(torch.bfloat16)
    model.save_pretrained(out)
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    for file in TOKENIZER_FILES:
        if (CARRY / "tokenizer" / file).exists():
            shutil.copy2(CARRY / "tokenizer" / file, out / file)
    return out


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def forward_tokens_per_second(base: Path, data: list[dict]) -> tuple[float, str]:
    """The forward pass alone over every pair (fp32, no grad), after two warming passes; (tokens/s, device)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    sys.path.insert(0, str(ROOT))
    from bat_os.forge.trainer import encode

    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32).to(device).eval()
    examples = [encode(tokenizer, pair)[0] for pair in data]
    with torch.no_grad():
        for ids in examples[:2]:  # warm
            model(input_ids=torch.tensor([ids], device=device))
        sync()
        started, tokens = time.perf_counter(), 0
        for ids in examples:
            model(input_ids=torch.tensor([ids], device=device))
            tokens += len(ids)
        sync()
        seconds = time.perf_counter() - started
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    return tokens / seconds, device


def train(base: Path, data_file: Path, out: Path, rank: int, steps: int) -> dict:
    """bench_forge.py's run of the real trainer (its bat_os imports are lazy: this machine needs none of them)."""
    sys.path.insert(0, str(ROOT / "bench" / "forge"))
    from bench_forge import train as run_trainer

    return run_trainer(base, data_file, out, rank, steps)


def check_adapter(base: Path, adapter: Path) -> tuple[bool, str]:
    """The adapter loads back with peft on its base and its lora_B weights are nonzero."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32)
    model = PeftModel.from_pretrained(model, adapter)
    lora_b = {name: p for name, p in model.named_parameters() if "lora_B" in name}
    nonzero = sum(1 for p in lora_b.values() if bool(p.detach().abs().max() > 0))
    largest = max((float(p.detach().abs().max()) for p in lora_b.values()), default=0.0)
    ok = bool(lora_b) and nonzero == len(lora_b)
    return ok, f"{len(lora_b)} lora_B tensors, {nonzero} nonzero, max |w| {largest:.3g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prepare", action="store_true", help="fill .gpu_carry/ here (tokenizer, pairs) and stop")
    parser.add_argument("--small", action="store_true", help="a tiny model in Qwen2.5's vocabulary, CPU ok")
    parser.add_argument("--ranks", default="8,16")
    parser.add_argument("--steps", type=int, default=None, help="12, or 2 with --small")
    args = parser.parse_args()
    if args.prepare:
        prepare()
        return 0
    steps = args.steps or (2 if args.small else 12)
    ranks = [int(r) for r in args.ranks.split(",")]
    import peft
    import torch
    import transformers

    data = [json.loads(line) for line in (CARRY / "pairs.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    if not args.small and not torch.cuda.is_available():
        raise SystemExit("no CUDA device (use --small for a CPU check)")
    print("== bench_forge_gpu: LoRA training throughput (bat_os.forge.trainer), RANDOM weights in the real shapes ==")
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}, transformers {transformers.__version__}, "
          f"peft {peft.__version__}, GPU {gpu}, {os.cpu_count()} CPUs; {len(data)} pairs from bench/tasks/learning_tasks.jsonl "
          f"(bench_forge.py's), {steps} steps a run, fp32, one pair a step")
    began = time.perf_counter()
    checked = None
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        data_file = work_dir / "pairs.jsonl"
        shutil.copy2(CARRY / "pairs.jsonl", data_file)
        for name, shape in (SMALL if args.small else SHAPES).items():
            started = time.perf_counter()
            base = build(name, shape, work_dir)
            built = time.perf_counter() - started
            forward, forward_device = forward_tokens_per_second(base, data)
            print(f"{name}: built in {built:.1f} s; forward alone {forward:.1f} tok/s on {forward_device}", flush=True)
            for rank in ranks:
                out = work_dir / f"{name}-r{rank}"
                result = train(base, data_file, out, rank, steps)
                if not args.small and result["device"] != "cuda":
                    raise SystemExit(f"the trainer ran on {result['device']!r}, not cuda")
                print(f"{name:22s} rank {rank:2d}: train {result['tokens_per_second']:8.1f} tok/s, wall {result['wall']:6.1f} s "
                      f"(first step at {result['first_step_seconds']:.1f} s; {result['steps']} steps, loss "
                      f"{result['loss_first']:.3f} -> {result['loss_last']:.3f}; device {result['device']}); "
                      f"forward alone {forward:8.1f} tok/s; RATIO train/forward = {result['tokens_per_second'] / forward:.2f}x",
                      flush=True)
                if checked is None:
                    ok, detail = check_adapter(base, out)
                    checked = ok
                    print(f"adapter check ({name} rank {rank}, peft load on the random base): "
                          f"{'PASS' if ok else 'FAIL'}: {detail}", flush=True)
            shutil.rmtree(base, ignore_errors=True)
    print(f"total wall {time.perf_counter() - began:.1f} s; adapter check {'PASS' if checked else 'FAIL'}")
    return 0 if checked else 1


if __name__ == "__main__":
    sys.exit(main())

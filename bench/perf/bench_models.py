#!/usr/bin/env python3
"""Loading a persona model from the image, and switching personas by adapter, against their baselines.

    .venv/bin/python bench/perf/bench_models.py [--quick] [--strict] [--rounds N] [--hidden 512 --layers 8] [--gguf NAME]

A random-weight Llama (hidden 512, 8 layers: ~100 MB of float32 safetensors,
the size ENVIRONMENT.md measured) with tiny-llama's tokenizer is built locally
and imported into a fresh temp image with ``models import`` (bat_os.models.store).
Three ways of getting a loaded model + tokenizer are timed, alternating each round:

- **image**: what the kernel does: resolve the persona's committed blob files on
  the loop thread (bat_os.models.personas.spec_for), symlink them under their names into
  a private directory, ``from_pretrained(dir, local_files_only=True)`` (sha256 checked
  on the first load only; the first load is reported apart).
- **plain** (the baseline): ``from_pretrained`` of a plain directory holding the same files.
- **tar**: the seed's way: the model directory stored as one tar blob, copied out,
  extracted into a temp dir, then ``from_pretrained``.

Target: image / plain p50 <= 1.1x. Context: tar / plain.

``--gguf NAME`` (an embedded model, e.g. qwen2.5-coder-0.5b): the model is that
real GGUF file instead, imported with ``models import`` for the transformers
engine (converted once into the cache); "plain" is the converted directory, and
loading straight from the GGUF file (``from_pretrained(..., gguf_file=...)``,
dequantizing every time, what the import spares every later load) is timed
once, for context.

**llama.cpp** (where it is built; ``--llama NAME``, default the 0.5B coder,
SmolLM2 with ``--quick``): the real GGUF file imported as it is, then loaded by
llama.cpp from the image (the persona resolved on each round, its committed
blob file mapped) against the same file from its plain path in the cache,
alternating rounds. Target: image / plain p50 <= 1.05x.

Adapters: two LoRA adapters (different seeds) on tiny-llama in a ModelManager;
switching persona by adapter (``set_adapter`` in the manager) against switching by
reloading the base (evict + load). Target: adapter switch p50 <= 5 ms.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import ROOT, Summary, header, median, parser  # noqa: E402

sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

TARGET_LOAD_RATIO = 1.1
TARGET_LLAMA_LOAD_RATIO = 1.05
TARGET_SWITCH_MS = 5.0


def build_model(out: Path, tokenizer_from: Path, hidden: int, layers: int) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    vocab = len(__import__("json").loads((tokenizer_from / "tokenizer.json").read_text())["model"]["vocab"]) + 64
    config = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
                         num_attention_heads=8, num_key_value_heads=8, max_position_embeddings=512)
    LlamaForCausalLM(config).save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (tokenizer_from / name).exists():
            shutil.copy(tokenizer_from / name, out / name)
    return out


def load(directory: Path) -> tuple:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(directory), local_files_only=True)
    return model, tokenizer


def _from_gguf(source: Path) -> tuple:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
    return AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name), tokenizer


def timed(fn) -> float:
    import gc

    gc.collect()
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    del result
    gc.collect()
    return seconds


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--switches", type=int, default=None, help="adapter switches measured (default 200, --quick 40)")
    p.add_argument("--gguf", default=None, help="an embedded model's GGUF file instead of a random model")
    p.add_argument("--llama", default=None, help="the embedded model llama.cpp loads (default: the 0.5B coder; --quick: SmolLM2)")
    args = p.parse_args()
    args.rounds = args.rounds or (3 if args.quick else 7)
    header("bench_models: loading from the image; switching by adapter", args)

    from bat_os.image.image import Image
    from bat_os.models.files import link_files, verify
    from bat_os.models.store import import_model
    from bat_os.models.personas import spec_for
    from bat_os.models.tiny import make_tiny

    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="batos-bench-models-") as tmp:
        tmp = Path(tmp)
        tiny = make_tiny(tmp / "tiny")
        image = Image(tmp / "image" / "live.fs")
        image.awaken()
        if args.gguf:
            from bat_os.models import embedded, gguf

            source = embedded.fetch(embedded.model(args.gguf), embedded.cache_dir(), say=print)
            import_model(image, "ROBIN", str(source), quantize=None, engine="transformers")
            info = gguf.inspect(source)
            plain = gguf.converted_dir(embedded.cache_dir(), info, "bfloat16")
            size = sum(f.stat().st_size for f in plain.iterdir())
            print(f"model: {info.name} ({info.architecture}, {info.quantization} GGUF), {size / 2**20:.1f} MiB converted")
            dequantizing = timed(lambda: _from_gguf(source))
            summary.info("load straight from the GGUF file, dequantizing (once)", dequantizing * 1e3, " ms", fmt=".0f")
        else:
            plain = build_model(tmp / "plain", tiny["tiny-llama"], args.hidden, args.layers)
            size = sum(f.stat().st_size for f in plain.iterdir())
            print(f"model: Llama hidden {args.hidden}, {args.layers} layers, {size / 2**20:.1f} MiB on disk")
            import_model(image, "ROBIN", str(plain), quantize=None)
        tar_blob = tmp / "model.tar"  # the seed's way: one archive
        with tarfile.open(tar_blob, "w") as tar:
            tar.add(plain, arcname="model")

        cache: dict = {}

        def from_image() -> tuple:
            spec = image.read(lambda: spec_for(image.connection.root(), "ROBIN"))
            verify(spec.files, cache)
            directory = Path(tempfile.mkdtemp(dir=tmp))
            try:
                return load(link_files(spec.files, directory))
            finally:
                shutil.rmtree(directory)

        def from_tar() -> tuple:
            work = Path(tempfile.mkdtemp(dir=tmp))
            try:
                copy = work / "model.tar"
                shutil.copy(tar_blob, copy)
                with tarfile.open(copy) as tar:
                    tar.extractall(work, filter="data")
                return load(work / "model")
            finally:
                shutil.rmtree(work)

        first = timed(from_image)  # includes the sha256 check of every file
        load(plain)  # warm the import caches for everyone
        rows = []
        print()
        print(f"{'round':>5} {'image ms':>9} {'plain ms':>9} {'tar ms':>8} {'image/plain':>12} {'tar/plain':>10}")
        for r in range(args.rounds):
            sides = {"image": from_image, "plain": lambda: load(plain), "tar": from_tar}
            order = list(sides) if r % 2 == 0 else list(reversed(sides))
            got = {name: timed(sides[name]) for name in order}
            rows.append(got)
            print(f"{r + 1:>5} {got['image'] * 1e3:>9.1f} {got['plain'] * 1e3:>9.1f} {got['tar'] * 1e3:>8.1f}"
                  f" {got['image'] / got['plain']:>11.2f}x {got['tar'] / got['plain']:>9.2f}x")
        image.close()
        ratio = median([g["image"] / g["plain"] for g in rows])
        tar_ratio = median([g["tar"] / g["plain"] for g in rows])
        print(f"first load from the image (sha256 of every file checked): {first * 1e3:.1f} ms")
        summary.target("RATIO load image/plain p50", ratio, "<=", TARGET_LOAD_RATIO, "x")
        summary.info("RATIO load tar-copy-extract/plain p50 (the seed's way)", tar_ratio, "x")
        summary.info("first load from the image incl. sha256 check", first * 1e3, " ms", fmt=".1f")

        # --- llama.cpp: the GGUF blob against the same file elsewhere ---------------------
        from bat_os.models import engines

        if engines.llama_installed():
            llama_ratio, llama_first = llama_loads(tmp, args)
            summary.target("RATIO llama.cpp load image/plain p50", llama_ratio, "<=", TARGET_LLAMA_LOAD_RATIO, "x")
            summary.info("llama.cpp: first load from the image incl. sha256 check", llama_first * 1e3, " ms", fmt=".0f")

        # --- adapters -------------------------------------------------------------------
        switch_ms, reload_ms = asyncio.run(adapter_switches(tmp, tiny["tiny-llama"], args))
        summary.target("adapter switch p50", switch_ms, "<=", TARGET_SWITCH_MS, " ms", fmt=".3f")
        summary.info("switch by reloading the base p50", reload_ms, " ms", fmt=".1f")
        summary.info("RATIO reload/adapter switch", reload_ms / switch_ms, "x", fmt=".0f")
    return summary.finish(args.strict)


def llama_loads(tmp: Path, args) -> tuple[float, float]:
    """llama.cpp loading the persona's GGUF blob (resolved from the image each round, as the kernel does) against
    the same file from its plain path: (p50 of image/plain, the first load from the image with its sha256 check)."""
    from bat_os.image.image import Image
    from bat_os.models import embedded
    from bat_os.models.files import verify
    from bat_os.models.llamacpp import LlamaModel
    from bat_os.models.personas import spec_for
    from bat_os.models.store import import_model

    name = args.llama or ("smollm2-135m" if args.quick else "qwen2.5-coder-0.5b")
    source = embedded.fetch(embedded.model(name), embedded.cache_dir(), say=print)
    image = Image(tmp / "llama-image" / "live.fs")
    image.awaken()
    import_model(image, "ALFRED", str(source))
    cache: dict = {}

    def from_image() -> LlamaModel:
        spec = image.read(lambda: spec_for(image.connection.root(), "ALFRED"))
        verify(spec.files, cache)
        return LlamaModel.load(spec.gguf_file.path)

    def closed(make) -> float:
        started = time.perf_counter()
        model = make()
        seconds = time.perf_counter() - started
        model.close()
        return seconds

    first = closed(from_image)
    closed(lambda: LlamaModel.load(source))  # both files in the page cache before the rounds
    rows = []
    print(f"\nllama.cpp, {name} ({source.stat().st_size / 2**20:.0f} MiB GGUF)")
    print(f"{'round':>5} {'image ms':>9} {'plain ms':>9} {'image/plain':>12}")
    for r in range(args.rounds):
        sides = {"image": from_image, "plain": lambda: LlamaModel.load(source)}
        got = {side: closed(sides[side]) for side in (sides if r % 2 == 0 else reversed(list(sides)))}
        rows.append(got["image"] / got["plain"])
        print(f"{r + 1:>5} {got['image'] * 1e3:>9.1f} {got['plain'] * 1e3:>9.1f} {rows[-1]:>11.2f}x")
    image.close()
    return median(rows), first


async def adapter_switches(tmp: Path, base: Path, args) -> tuple[float, float]:
    from bat_os.models.manager import AdapterSpec, LoadSpec, ModelManager
    from bat_os.models.files import CommittedFile, sha256_file
    from bat_os.models.tiny import make_tiny_adapter

    def refs(directory: Path) -> tuple:
        return tuple(CommittedFile(str(p.relative_to(directory)), str(p), sha256_file(p), p.stat().st_size)
                     for p in sorted(directory.rglob("*")) if p.is_file())

    adapters = {name: make_tiny_adapter(base, tmp / "adapters" / name, seed=seed) for name, seed in (("alfred", 1), ("brick", 2))}
    specs = [LoadSpec(name.upper(), "tiny-llama", "tiny-llama", refs(base), AdapterSpec(name, refs(path), name), {})
             for name, path in adapters.items()]
    n = args.switches or (40 if args.quick else 200)
    manager = ModelManager(device="cpu", budget_bytes=2**30)
    try:
        for spec in specs:
            await manager.ensure(spec)  # both adapters loaded once
        switches = []
        for i in range(n):
            spec = specs[i % 2]
            started = time.perf_counter()
            report = await manager.ensure(spec)
            switches.append(time.perf_counter() - started)
            assert report["adapter_switched"] and not report["swapped"], report
        reloads = []
        for i in range(max(5, n // 20)):
            started = time.perf_counter()
            await manager.unload_all()
            await manager.ensure(specs[i % 2])
            reloads.append(time.perf_counter() - started)
    finally:
        await manager.close()
    print(f"adapter switches: {n} (through the manager's worker thread, as the kernel does); base reloads: {len(reloads)}")
    return median(switches) * 1e3, median(reloads) * 1e3


if __name__ == "__main__":
    sys.exit(main())

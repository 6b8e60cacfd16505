"""The tiny transformers models and LoRA adapters (bat_os.models.tiny) and load specs for them, for the model tests."""

from __future__ import annotations

import os
from pathlib import Path

from bat_os.models.files import CommittedFile, sha256_file
from bat_os.models.loadspec import AdapterSpec, LoadSpec

GEN = {"max_new_tokens": 8, "temperature": 0}


def build_tiny(root: Path) -> dict:
    """tiny-llama and tiny-qwen2 under ``root``, with two adapters for tiny-llama and one for tiny-qwen2."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bat_os.models.tiny import make_tiny, make_tiny_adapter

    models = make_tiny(root / "models")
    llama = models["tiny-llama"]
    adapters = {
        "alfred": make_tiny_adapter(llama, root / "adapters" / "alfred", seed=1),
        "brick": make_tiny_adapter(llama, root / "adapters" / "brick", seed=2),
        "qwen": make_tiny_adapter(models["tiny-qwen2"], root / "adapters" / "qwen", seed=3),
    }
    return {"models": models, "names": sorted(models), "adapters": adapters}


def refs(directory: Path) -> tuple[CommittedFile, ...]:
    """The files under ``directory`` as committed files (these paths stand for the blobs)."""
    out = []
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
        out.append(CommittedFile(str(path.relative_to(directory)), str(path), sha256_file(path), path.stat().st_size))
    return tuple(out)


def adapter_spec(tiny: dict, adapter: str) -> AdapterSpec:
    files = refs(tiny["adapters"][adapter])
    return AdapterSpec(adapter, files, "-".join(f.sha256[:8] for f in files))


def spec(tiny: dict, name: str, persona: str = "ROBIN", adapter: str | None = None,
         generation: dict | None = None) -> LoadSpec:
    return LoadSpec(persona, name, name, refs(tiny["models"][name]), adapter_spec(tiny, adapter) if adapter else None,
                    generation or GEN)

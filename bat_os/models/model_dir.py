"""Reading a model directory: which files are imported, and what config.json and the weights declare.

Only safetensors weights are imported: pickled weights (``.bin``, ``.pt``...)
run code when loaded, so a directory holding only those is refused; other
runtimes' copies (``.gguf``, ``.onnx``...) and hidden files are skipped. A
model directory needs config.json, safetensors weights and a tokenizer.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from bat_os.errors import ModelError
from bat_os.models.files import Staged

logger = logging.getLogger(__name__)

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")  # never imported: loading them runs code
OTHER_WEIGHT_SUFFIXES = (".gguf", ".onnx", ".h5", ".msgpack", ".tflite", ".ot")  # other runtimes' copies: skipped


def is_weights(name: str) -> bool:
    return name.endswith(".safetensors") or name.endswith(".safetensors.index.json")


def collect(directory: Path) -> list[tuple[str, Path]]:
    """(relative posix name, path) of every regular file, hidden ones and non-safetensors weights left out."""
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            name = path.relative_to(directory).as_posix()
            if filename.startswith(".") or not path.is_file():
                continue
            if filename.endswith(PICKLE_SUFFIXES + OTHER_WEIGHT_SUFFIXES):
                logger.info("skipping %s: only safetensors weights are imported", name)
                continue
            found.append((name, path))
    return found


def inspect_model_dir(directory: Path) -> tuple[dict, list[str]]:
    """(config.json, the names to import); ModelError says what the directory lacks."""
    files = collect(directory)
    names = [name for name, _ in files]
    problems = []
    if "config.json" not in names:
        problems.append("config.json")
    if not any(name.endswith(".safetensors") for name in names):
        pickles = sorted(p.name for p in directory.rglob("*") if p.name.endswith(PICKLE_SUFFIXES))
        if pickles:
            raise ModelError(
                f"only safetensors weights are imported, and {directory} has {', '.join(pickles[:3])}"
                " (pickled weights run code when loaded); save the model with safe_serialization=True"
            )
        problems.append("weights (*.safetensors)")
    if not any(name in TOKENIZER_FILES for name in names):
        problems.append("a tokenizer (tokenizer.json or tokenizer.model)")
    if problems:
        raise ModelError(f"{directory} cannot be imported as a model: it has no {', no '.join(problems)}")
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{directory / 'config.json'} cannot be read: {exc}") from exc
    if not isinstance(config, dict):
        raise ModelError(f"{directory / 'config.json'} is not a JSON object")
    return config, names


def quantization_of(config: dict) -> dict | None:
    """The quantization a (pre-quantized) checkpoint declares in config.json, or None."""
    qc = config.get("quantization_config")
    if not isinstance(qc, dict):
        return None
    method = str(qc.get("quant_method", "unknown"))
    bits = qc.get("bits") or (4 if qc.get("load_in_4bit") else 8 if qc.get("load_in_8bit") else None)
    found: dict[str, Any] = {"method": method, "bits": bits}
    if method == "bitsandbytes" and bits == 4:
        found.update(
            quant_type=qc.get("bnb_4bit_quant_type"), double_quant=qc.get("bnb_4bit_use_double_quant"),
            compute_dtype=qc.get("bnb_4bit_compute_dtype"),
        )
    return found


def architecture_of(config: dict) -> str | None:
    architectures = config.get("architectures")
    if isinstance(architectures, list) and architectures:
        return str(architectures[0])
    return config.get("model_type")


_SAFETENSORS_DTYPES = {"BF16": "bfloat16", "F16": "float16", "F32": "float32", "F64": "float64", "U8": "uint8", "I8": "int8"}


def dtype_of(config: dict, staged: list[Staged]) -> str | None:
    dtype = config.get("dtype") or config.get("torch_dtype")
    if dtype:
        return str(dtype)
    counts: dict[str, int] = defaultdict(int)  # else: the dtype holding most tensors in the safetensors headers
    for item in staged:
        if item.name.endswith(".safetensors"):
            try:
                with open(item.path, "rb") as fh:
                    header = json.loads(fh.read(int.from_bytes(fh.read(8), "little")))
            except (OSError, ValueError):
                continue
            for name, tensor in header.items():
                if name != "__metadata__" and isinstance(tensor, dict):
                    counts[str(tensor.get("dtype"))] += 1
    if not counts:
        return None
    top = max(counts, key=counts.__getitem__)
    return _SAFETENSORS_DTYPES.get(top, top.lower())


__all__ = [
    "OTHER_WEIGHT_SUFFIXES", "PICKLE_SUFFIXES", "TOKENIZER_FILES", "architecture_of", "collect", "dtype_of",
    "inspect_model_dir", "is_weights", "quantization_of",
]

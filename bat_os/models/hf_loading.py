"""Loading a Hugging Face model for the transformers engine, on the model manager's worker thread.

:func:`load` reads a model directory (the committed blob files symlinked under
their names, or a GGUF record's conversion in the cache) with
``from_pretrained(dir, local_files_only=True)``: on CUDA it goes to the GPU
(bitsandbytes weights are placed as they load), on a CPU the weights take the
form :mod:`bat_os.models.cpu_forms` picks. :func:`converted_gguf` gives a GGUF
record's conversion for this engine (made once, kept in the cache: about a
minute for the 0.5B model here). torch and transformers are imported inside
the functions.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from bat_os.errors import ModelTooLarge, ModelUnavailable
from bat_os.models import cpu_forms

logger = logging.getLogger(__name__)


def load(directory: Path, *, device: str, cpu_form: str, adapter: bool) -> tuple[Any, Any, str, int]:
    """``(model, tokenizer, form, bytes)`` of the model in ``directory`` (``form``: "" on CUDA)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    before = allocated(torch, device)
    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(directory), local_files_only=True, **_load_kwargs(device, directory))
    form = ""
    if device == "cuda" and not is_quantized(model):
        model.to("cuda")
    elif device == "cpu" and not is_quantized(model):
        form = cpu_forms.choose(cpu_form, torch, adapter=adapter)
        model = cpu_forms.apply(model, form, torch)
    model.eval()
    used = allocated(torch, device) - before if device == "cuda" else cpu_forms.footprint(model, torch)
    return model, tokenizer, form, int(max(used, 0))


def converted_gguf(path: str, provenance: dict, cache: Path) -> Path:
    """The conversion of a stored GGUF file (``path``: its committed blob) for transformers, made once into
    ``cache`` (:func:`bat_os.models.gguf.convert`, keyed by the file's sha256)."""
    from bat_os.models import gguf

    info = gguf.GGUFInfo(path, int(provenance.get("size") or Path(path).stat().st_size), str(provenance["sha256"]),
                         str(provenance.get("architecture", "")), str(provenance.get("name", "")),
                         str(provenance.get("quantization", "")), int(provenance.get("tensors") or 0))
    out = gguf.converted_dir(cache, info, "bfloat16")
    if not gguf.is_converted(out, info):
        logger.info("converting %s once for the transformers engine (into %s)", info.name or path, out)
    return gguf.convert(info, out, "bfloat16")


def allocated(torch: Any, device: str | None) -> int:
    if device == "cuda":
        return int(torch.cuda.memory_allocated())
    return 0


def is_quantized(model: Any) -> bool:
    return bool(getattr(model, "is_loaded_in_4bit", False) or getattr(model, "is_loaded_in_8bit", False) or getattr(model, "hf_quantizer", None))


def _load_kwargs(device: str | None, directory: Path) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    if config.get("quantization_config") and device == "cuda":
        kwargs["device_map"] = {"": 0}  # bitsandbytes weights are placed as they load
    return kwargs


def load_error(persona: str, model: str, exc: Exception) -> Exception:
    text = f"{type(exc).__name__}: {str(exc)[:400]}"
    if out_of_memory(exc):
        return ModelTooLarge(f"{persona}'s model {model} ran out of memory while loading ({text})")
    return ModelUnavailable(f"{persona}'s model {model} could not be loaded: {text}")


def out_of_memory(exc: BaseException) -> bool:
    """torch ran out of memory (CUDA or CPU: ``torch.OutOfMemoryError``), or Python did. By type, not by message."""
    if isinstance(exc, MemoryError):
        return True
    torch = sys.modules.get("torch")  # only loaded models raise torch's errors: never import it here
    return torch is not None and isinstance(exc, getattr(torch, "OutOfMemoryError", ()))


__all__ = ["allocated", "converted_gguf", "is_quantized", "load", "load_error", "out_of_memory"]

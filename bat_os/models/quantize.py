"""GPU 4-bit quantization (the import's ``quantize`` step; needs CUDA, not exercised by the CPU test suite).

With CUDA and bitsandbytes an import quantizes a full-precision model to 4-bit
nf4 (double quant, bf16 compute) into ``<staging>/quantized``; a kill there
leaves a directory the next import rebuilds. torch, transformers and
bitsandbytes are imported only inside :func:`cuda_available` and
:func:`quantize_4bit`.
"""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

from bat_os.models.model_dir import collect, is_weights

NF4 = {"method": "bitsandbytes", "bits": 4, "quant_type": "nf4", "double_quant": True, "compute_dtype": "bfloat16"}


def cuda_available() -> bool:
    """True when torch sees a CUDA device and bitsandbytes is installed (imports torch: seconds)."""
    import importlib.util

    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("bitsandbytes") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def quantize_4bit(src_dir: Path, dst_dir: Path) -> dict:
    """Load ``src_dir`` on the GPU in 4-bit nf4 (double quant, bf16 compute), save it into ``dst_dir``
    with every non-weight file of ``src_dir`` (tokenizer, chat template...) copied alongside.
    Returns the quantization as recorded."""
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    config = BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
    if dst_dir.exists():
        shutil.rmtree(dst_dir)
    model = AutoModelForCausalLM.from_pretrained(
        str(src_dir), quantization_config=config, device_map={"": 0}, local_files_only=True
    )
    try:
        model.save_pretrained(str(dst_dir), safe_serialization=True)
    finally:
        del model
        gc.collect()
        torch.cuda.empty_cache()
    for name, path in collect(src_dir):
        target = dst_dir / name
        if name == "config.json" or is_weights(name) or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return dict(NF4)


__all__ = ["NF4", "cuda_available", "quantize_4bit"]

"""The form a model's weights take on a CPU: what makes generation there fast enough to be useful.

Decoding on a CPU reads every weight once per token, so fewer bytes per
weight (and kernels that use the CPU's integer units) make it faster. Forms::

    int8   torch.ao dynamic quantization of every nn.Linear (int8 weights, activations quantized
           on the fly; fbgemm/x86/onednn kernels with VNNI where the CPU has it). Measured here on the
           0.5B embedded model: ~2.5x the tokens/s of fp32 (bench/bench_generation.py). Cannot take a
           LoRA adapter: a load that wants one uses bf16 (or fp32) instead.
    bf16   bfloat16 weights (half of fp32's bytes); fast where the CPU has AVX512-BF16/AMX.
    fp32   float32: the reference; every other form is measured against it.
    auto   int8 where torch has a quantized engine, else fp32.

Stored weights stay as imported (a GGUF import stores bfloat16); the form is
applied after ``from_pretrained``, on the manager's worker thread.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

logger = logging.getLogger(__name__)

FORMS = ("auto", "int8", "bf16", "fp32")


def choose(requested: str, torch: Any, *, adapter: bool) -> str:
    """The form a load on CPU uses: ``requested``, or what ``auto`` means here; never int8 with an adapter."""
    if requested not in FORMS:
        raise ValueError(f"cpu form must be one of {', '.join(FORMS)}, not {requested!r}")
    form = requested
    if form == "auto":
        form = "int8" if int8_available(torch) else "fp32"
    if form == "int8" and adapter:
        form = "bf16" if requested == "bf16" else "fp32"
    if form == "int8" and not int8_available(torch):
        logger.warning("int8 was asked for, but torch has no quantized engine here: using fp32")
        form = "fp32"
    return form


def int8_available(torch: Any) -> bool:
    """torch has dynamic quantization here: its eager API, and a quantized engine for this CPU."""
    quantization = getattr(getattr(torch, "ao", None), "quantization", None)
    engines = [e for e in getattr(torch.backends.quantized, "supported_engines", []) if e != "none"]
    return hasattr(quantization, "quantize_dynamic") and bool(engines)


def apply(model: Any, form: str, torch: Any) -> Any:
    """``model`` in ``form`` (the same object, or its quantized copy for int8)."""
    if form == "fp32":
        return model.float()
    if form == "bf16":
        return model.to(torch.bfloat16)
    if form == "int8":
        model = model.float()
        with warnings.catch_warnings():
            # torch 2.13 marks torch.ao.quantization deprecated (in favour of torchao) but ships it; torch is
            # pinned, and int8_available() turns the form off where a later torch no longer has it
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    raise ValueError(f"unknown cpu form {form!r}")


def footprint(model: Any, torch: Any) -> int:
    """Bytes of weights held: parameters and buffers, plus the packed int8 weights quantization made."""
    total = int(model.get_memory_footprint()) if hasattr(model, "get_memory_footprint") else 0
    packed = getattr(torch.ao.nn.quantized.dynamic, "Linear", None)
    if packed is not None:
        for module in model.modules():
            if isinstance(module, packed):
                weight = module.weight()
                total += weight.numel() * weight.element_size()
    return total

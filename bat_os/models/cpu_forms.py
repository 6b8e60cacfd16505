"""The form a model's weights take on a CPU: what makes generation there fast enough to be useful.

Decoding on a CPU reads every weight once per token, so fewer bytes per
weight (and kernels that use the CPU's integer units) make it faster; but a
form is only worth its speed if the model still writes what fp32 writes.
Forms::

    w8     int8 weights, one scale per output channel, bfloat16 activations: every nn.Linear
           (lm_head too) becomes a :class:`bat_os.models.int8_weights.Int8WeightLinear`. Only the
           weights are rounded, so the model keeps fp32's answers
           (measured here on the 0.5B embedded model, greedy, the 127 learning tasks' single shot:
           97 right against int8's 70); fast where the CPU computes bfloat16 natively
           (AVX512-BF16 or AMX). Cannot take a LoRA adapter.
    int8   torch.ao dynamic quantization of every nn.Linear (int8 weights, one scale per tensor;
           activations quantized on the fly, one scale per tensor). ~3x fp32's tokens/s here, but
           Qwen2's activations have outlier channels that one scale per tensor rounds away: the
           0.5B model writes far worse code (above). Only where asked for. Cannot take an adapter.
    bf16   bfloat16 weights (half of fp32's bytes); fast where the CPU has AVX512-BF16/AMX.
    fp32   float32: the reference; every other form is measured against it.
    auto   w8 where torch has the kernel and the CPU computes bfloat16 natively, else fp32.

``bench/perf/bench_generation.py`` measures each form's speed against fp32 and how many of
the learning tasks it gets right against fp32, in the same run.

Stored weights stay as imported (a GGUF import stores bfloat16); the form is
applied after ``from_pretrained``, on the manager's worker thread.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

logger = logging.getLogger(__name__)

FORMS = ("auto", "w8", "int8", "bf16", "fp32")
#: Forms whose layers PEFT cannot wrap: a load that wants a LoRA adapter uses fp32 instead.
NO_ADAPTER = ("w8", "int8")


def choose(requested: str, torch: Any, *, adapter: bool) -> str:
    """The form a load on CPU uses: ``requested``, or what ``auto`` means here; never w8 or int8 with an adapter."""
    if requested not in FORMS:
        raise ValueError(f"cpu form must be one of {', '.join(FORMS)}, not {requested!r}")
    form = requested
    if form == "auto":
        form = "w8" if w8_available(torch) else "fp32"
    if form in NO_ADAPTER and adapter:
        return "fp32"
    if form == "int8" and not int8_available(torch):
        logger.warning("int8 was asked for, but torch has no quantized engine here: using fp32")
        form = "fp32"
    if form == "w8" and not w8_available(torch):
        logger.warning("w8 was asked for, but torch has no int8-weight kernel or the CPU no native bfloat16: using fp32")
        form = "fp32"
    return form


def w8_available(torch: Any) -> bool:
    """torch has the int8-weight kernel, and this CPU computes bfloat16 natively (without, the kernel's
    float32 path ran at 40% of fp32's speed here)."""
    cpu = getattr(torch, "cpu", None)
    native_bf16 = any(bool(getattr(cpu, probe, lambda: False)()) for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return hasattr(torch, "_weight_int8pack_mm") and native_bf16


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
    if form == "w8":
        from bat_os.models import int8_weights  # imports torch: only once a model is loaded

        return int8_weights.quantize(model.to(torch.bfloat16))
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


"""The w8 CPU form's layer: int8 weights, one scale per output channel, computed in the input's dtype.

Weight-only quantization: the activations stay as they are (bfloat16 in the w8
form), so a model whose activations have outlier channels (Qwen2's do) keeps
its answers, unlike dynamic int8 (:mod:`bat_os.models.cpu_forms`). Each row of
a weight matrix is scaled so that its largest weight is 127; torch's
``_weight_int8pack_mm`` multiplies by the int8 weights and the scales in one
kernel. Imports torch: import this module only once a model is loaded.
"""

from __future__ import annotations

from typing import Any

import torch


class Int8WeightLinear(torch.nn.Module):
    """``nn.Linear``'s computation with int8 weights (``weight_int8``, N x K) and per-row ``scales`` (N)."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scales = weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0
        dtype = linear.weight.dtype
        self.register_buffer("weight_int8", torch.round(weight / scales[:, None]).clamp(-127, 127).to(torch.int8).contiguous())
        self.register_buffer("scales", scales.to(dtype).contiguous())
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().to(dtype).clone())
        self.in_features, self.out_features = linear.in_features, linear.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        if dtype != self.scales.dtype:  # the kernel wants its input in the scales' dtype
            x = x.to(self.scales.dtype)
        shape = x.shape
        y = torch._weight_int8pack_mm(x.reshape(-1, shape[-1]).contiguous(), self.weight_int8, self.scales)
        y = y.reshape(*shape[:-1], self.out_features)
        if self.bias is not None:
            y = y + self.bias
        return y.to(dtype)

    def dequantized(self) -> torch.Tensor:
        """The float weights this layer computes with (N x K, in the scales' dtype)."""
        return self.weight_int8.to(self.scales.dtype) * self.scales[:, None]

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def quantize(model: Any) -> Any:
    """``model`` with every ``nn.Linear`` replaced by an :class:`Int8WeightLinear`, in place, one layer at a
    time (the float weights of each go as its int8 ones come). Tied weights are untied: the embedding keeps
    its float table, the output layer gets int8 rows."""
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, torch.nn.Linear):
                setattr(module, name, Int8WeightLinear(child))
    return model

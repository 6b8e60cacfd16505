"""The weights' form on a CPU: chosen, applied, and measured (a tiny real model; the speed is bench_generation's)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from bat_os.models import cpu_forms


def test_auto_is_int8_where_torch_can_and_never_with_an_adapter():
    assert cpu_forms.int8_available(torch)
    assert cpu_forms.choose("auto", torch, adapter=False) == "int8"
    assert cpu_forms.choose("auto", torch, adapter=True) == "fp32"
    assert cpu_forms.choose("int8", torch, adapter=True) == "fp32"
    assert cpu_forms.choose("bf16", torch, adapter=True) == "bf16"
    assert cpu_forms.choose("fp32", torch, adapter=False) == "fp32"
    with pytest.raises(ValueError):
        cpu_forms.choose("int4", torch, adapter=False)


def test_without_a_quantized_engine_or_the_api_int8_falls_back():
    no_engine = SimpleNamespace(backends=SimpleNamespace(quantized=SimpleNamespace(supported_engines=["none"])), ao=torch.ao)
    no_api = SimpleNamespace(backends=torch.backends, ao=SimpleNamespace(quantization=SimpleNamespace()))  # a later torch
    for without in (no_engine, no_api):
        assert not cpu_forms.int8_available(without)
        assert cpu_forms.choose("auto", without, adapter=False) == "fp32"
        assert cpu_forms.choose("int8", without, adapter=False) == "fp32"


def test_each_form_computes_nearly_what_fp32_computes(tmp_path):
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 8))
    x = torch.randn(4, 64)
    expected = reference(x)
    for form in ("fp32", "bf16", "int8"):
        model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 8))
        model.load_state_dict(reference.state_dict())
        model = cpu_forms.apply(model, form, torch)
        got = model(x.to(torch.bfloat16) if form == "bf16" else x).float()
        assert torch.allclose(got, expected, atol=0.1), form
    packed = cpu_forms.apply(torch.nn.Sequential(torch.nn.Linear(64, 64)), "int8", torch)
    assert cpu_forms.footprint(packed, torch) >= 64 * 64  # the int8 weights count, though they are no parameters

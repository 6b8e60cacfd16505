"""The weights' form on a CPU: chosen, applied, and measured (a tiny real model; the speed is bench_generation's)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from bat_os.models import cpu_forms


def _cpu(bf16: bool) -> SimpleNamespace:
    return SimpleNamespace(_is_avx512_bf16_supported=lambda: bf16, _is_amx_tile_supported=lambda: False)


def test_auto_is_w8_where_the_cpu_computes_bfloat16_and_never_a_quantized_form_with_an_adapter():
    with_bf16 = SimpleNamespace(cpu=_cpu(True), _weight_int8pack_mm=torch._weight_int8pack_mm, backends=torch.backends, ao=torch.ao)
    assert cpu_forms.w8_available(with_bf16)
    assert cpu_forms.choose("auto", with_bf16, adapter=False) == "w8"
    assert cpu_forms.choose("auto", with_bf16, adapter=True) == "fp32"
    assert cpu_forms.choose("w8", with_bf16, adapter=True) == "fp32"
    assert cpu_forms.choose("int8", torch, adapter=True) == "fp32"
    assert cpu_forms.choose("int8", torch, adapter=False) == "int8"  # only where asked for
    assert cpu_forms.choose("bf16", torch, adapter=True) == "bf16"
    assert cpu_forms.choose("fp32", torch, adapter=False) == "fp32"
    with pytest.raises(ValueError):
        cpu_forms.choose("int4", torch, adapter=False)


def test_without_native_bfloat16_or_the_kernel_auto_and_w8_are_fp32():
    no_bf16 = SimpleNamespace(cpu=_cpu(False), _weight_int8pack_mm=torch._weight_int8pack_mm)
    no_kernel = SimpleNamespace(cpu=_cpu(True))  # a torch before the int8-weight kernel
    for without in (no_bf16, no_kernel):
        assert not cpu_forms.w8_available(without)
        assert cpu_forms.choose("auto", without, adapter=False) == "fp32"
        assert cpu_forms.choose("w8", without, adapter=False) == "fp32"


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
    for form in ("fp32", "bf16", "int8", "w8"):
        model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 8))
        model.load_state_dict(reference.state_dict())
        model = cpu_forms.apply(model, form, torch)
        got = model(x.to(torch.bfloat16) if form in ("bf16", "w8") else x).float()
        assert torch.allclose(got, expected, atol=0.1), form
    packed = cpu_forms.apply(torch.nn.Sequential(torch.nn.Linear(64, 64)), "int8", torch)
    assert cpu_forms.footprint(packed, torch) >= 64 * 64  # the int8 weights count, though they are no parameters


def test_the_configuration_offers_every_form():
    from bat_os.config import CPU_FORMS

    assert CPU_FORMS == cpu_forms.FORMS

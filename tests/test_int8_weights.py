"""The w8 form's layer: int8 weights per output channel, activations left as they are."""

from __future__ import annotations

import pytest
import torch

from bat_os.models import cpu_forms, int8_weights
from bat_os.models.int8_weights import Int8WeightLinear


def test_each_weight_is_within_half_a_step_of_its_row_scale():
    torch.manual_seed(0)
    linear = torch.nn.Linear(96, 40)
    with torch.no_grad():
        linear.weight[3] *= 50  # a row of large weights: its own scale, the others keep theirs
    layer = Int8WeightLinear(linear)
    assert layer.weight_int8.dtype == torch.int8 and layer.scales.shape == (40,)
    error = (layer.dequantized() - linear.weight.detach()).abs()
    assert torch.all(error <= layer.scales[:, None] / 2 + 1e-6)
    assert layer.weight_int8.abs().amax(dim=1).eq(127).all()  # every row uses the whole range


def test_it_computes_what_the_linear_layer_computes_in_bfloat16_and_keeps_the_input_dtype():
    torch.manual_seed(1)
    linear = torch.nn.Linear(64, 32).to(torch.bfloat16)
    x = torch.randn(2, 5, 64, dtype=torch.bfloat16)
    layer = Int8WeightLinear(linear)
    got = layer(x)
    assert got.shape == (2, 5, 32) and got.dtype == torch.bfloat16
    assert torch.allclose(got.float(), linear(x).float(), atol=0.05, rtol=0.05)
    assert layer(x.float()).dtype == torch.float32  # computed in bfloat16, handed back as it came


def test_an_outlier_channel_leaves_the_other_channels_intact_as_dynamic_int8_does_not():
    # Qwen2's activations carry a few channels hundreds of times larger than the rest: one scale per tensor
    # (dynamic int8) rounds the rest away, weights-only int8 leaves them alone
    torch.manual_seed(2)
    reference = torch.nn.Linear(128, 64)
    x = torch.randn(8, 128) * 0.05
    x[:, 7] = 400.0
    with torch.no_grad():
        reference.weight[:, 7] = 0.0  # the outlier channel adds nothing: the answer is the small channels' own
    with torch.no_grad():
        expected = reference(x)
    w8 = Int8WeightLinear(reference)  # float32 weights here: it computes in float32, rounding only the weights
    dynamic = cpu_forms.apply(torch.nn.Sequential(reference), "int8", torch)

    def relative(got: torch.Tensor) -> float:
        return float((got.float() - expected.float()).norm() / expected.float().norm())

    with torch.no_grad():
        assert relative(w8(x)) < 0.05
        assert relative(dynamic(x)) > 4 * relative(w8(x))


def test_quantize_replaces_every_linear_layer_and_a_real_model_still_answers_as_in_fp32(tmp_path):
    from transformers import AutoModelForCausalLM

    from bat_os.models.tiny import make_tiny

    directory = make_tiny(tmp_path / "tiny", names=["tiny-llama"])["tiny-llama"]
    reference = AutoModelForCausalLM.from_pretrained(str(directory)).float().eval()
    model = cpu_forms.apply(AutoModelForCausalLM.from_pretrained(str(directory)), "w8", torch).eval()
    assert not any(isinstance(m, torch.nn.Linear) for m in model.modules())
    assert any(isinstance(m, Int8WeightLinear) for m in model.modules())
    ids = torch.tensor([[1, 5, 9, 13, 17, 21]])
    with torch.inference_mode():
        want, got = reference(ids).logits[0, -1], model(ids).logits[0, -1].float()
        assert torch.nn.functional.cosine_similarity(want, got, dim=0) > 0.99
        out = model.generate(ids, max_new_tokens=5, do_sample=False, pad_token_id=0)
    assert out.shape[1] == ids.shape[1] + 5
    assert cpu_forms.footprint(model, torch) < cpu_forms.footprint(reference, torch) / 2  # int8 + bf16, not fp32


def test_a_layer_without_bias_and_the_module_level_quantize():
    model = torch.nn.Sequential(torch.nn.Linear(16, 16, bias=False), torch.nn.ReLU(), torch.nn.Linear(16, 4)).to(torch.bfloat16)
    quantized = int8_weights.quantize(model)
    assert quantized[0].bias is None and quantized[2].bias is not None
    assert quantized(torch.randn(3, 16, dtype=torch.bfloat16)).shape == (3, 4)
    with pytest.raises(RuntimeError):  # the wrong width is refused, not computed
        quantized(torch.randn(3, 17, dtype=torch.bfloat16))

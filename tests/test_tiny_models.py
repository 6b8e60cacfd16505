"""Tiny local models: build, load offline, chat template, determinism, rebuild rules, LoRA adapters.

Everything here is real: the models are trained/initialised and saved by
bat_os.models.tiny and loaded back with transformers and peft. The models are
built once per module; tests that need a fresh build build one model only.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bat_os.models import tiny as tiny_models
from bat_os.models.tiny import TINY_MODELS, make_tiny, make_tiny_adapter, tokenizer_corpus

ROOT = Path(__file__).resolve().parent.parent

# peft 0.21 reads `model.is_gradient_checkpointing` while wrapping a model; transformers 5
# deprecated that property in favour of `is_activation_checkpointing`. Harmless for us
# (we never checkpoint), and not ours to fix.
PEFT_CHECKPOINTING_WARNING = "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"

MESSAGES = [
    {"role": "system", "content": "You are ALFRED, the steward."},
    {"role": "user", "content": "Who keeps the image coherent?"},
]
ASSISTANT_MARKER = {"tiny-llama": "<|assistant|>\n", "tiny-qwen2": "<|im_start|>assistant\n"}
TURN_TOKENS = {"tiny-llama": ("<|assistant|>", "<|end|>"), "tiny-qwen2": ("<|im_start|>", "<|im_end|>")}


def _refuse_remote(original):
    """A socket.connect that refuses anything but loopback and unix sockets."""

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host == "localhost"
            if not local:
                raise AssertionError("network use during a tiny-model test: %r" % (address,))
        return original(self, address)

    return connect


@pytest.fixture(scope="module", autouse=True)
def offline():
    """HF_HUB_OFFLINE=1, no progress bars, and any non-local connection fails the test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        mp.setattr(socket.socket, "connect", _refuse_remote(socket.socket.connect))
        import huggingface_hub.constants  # read HF_HUB_OFFLINE at import; it may be imported already

        mp.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
        yield


@pytest.fixture(scope="module")
def built(tmp_path_factory, offline) -> dict[str, Path]:
    messages: list[str] = []
    paths = make_tiny(tmp_path_factory.mktemp("tiny"), seed=0, progress=messages.append)
    assert len(messages) == 2 * len(TINY_MODELS)  # "building" and a summary per model
    return paths


@pytest.fixture(scope="module")
def loaded(built):
    """{name: (tokenizer, model)} loaded back offline."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return {
        name: (
            AutoTokenizer.from_pretrained(path, local_files_only=True),
            AutoModelForCausalLM.from_pretrained(path, local_files_only=True).eval(),
        )
        for name, path in built.items()
    }


def _tensor(path: Path, key: str = "model.embed_tokens.weight"):
    from safetensors.torch import load_file

    return load_file(path / "model.safetensors")[key]


def test_import_is_light():
    code = (
        "import sys, bat_os.models.tiny\n"
        "heavy = [m for m in ('torch', 'transformers', 'tokenizers', 'peft') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_builds_silently_even_with_progress_bars_on(capfd, monkeypatch, tmp_path):
    from transformers.utils import logging as hf_logging

    monkeypatch.setattr(hf_logging, "_tqdm_active", True)  # as without HF_HUB_DISABLE_PROGRESS_BARS
    base = make_tiny(tmp_path, names=["tiny-llama"])["tiny-llama"]
    make_tiny_adapter(base, tmp_path / "adapter", seed=0)
    assert capfd.readouterr() == ("", "")
    assert hf_logging.is_progress_bar_enabled()  # restored afterwards


def test_builds_every_model_with_its_files(built):
    assert list(built) == list(TINY_MODELS)
    for name, path in built.items():
        assert path == path.parent / name and path.is_dir()
        assert path.stat().st_mode & 0o055 == 0o055  # not left private like a mkdtemp directory
        files = {p.name for p in path.iterdir()}
        assert set(tiny_models.MODEL_FILES) | {tiny_models.MARKER} <= files
        assert not any(f.endswith((".bin", ".pt", ".pth")) for f in files)  # safetensors only
        marker = json.loads((path / tiny_models.MARKER).read_text())
        assert marker["name"] == name and marker["seed"] == 0
        generation = json.loads((path / "generation_config.json").read_text())
        assert generation["eos_token_id"] and generation["pad_token_id"] is not None
    # Nothing but the model directories is left behind (no temporary siblings).
    assert sorted(p.name for p in next(iter(built.values())).parent.iterdir()) == sorted(TINY_MODELS)


def test_models_differ_in_architecture_and_size(built, loaded):
    import torch
    from safetensors import safe_open

    types = {name: model.config.model_type for name, (_, model) in loaded.items()}
    assert types == {"tiny-llama": "llama", "tiny-qwen2": "qwen2"}
    counts = {name: model.num_parameters() for name, (_, model) in loaded.items()}
    assert counts["tiny-llama"] != counts["tiny-qwen2"]
    for name, path in built.items():
        _, model = loaded[name]
        assert json.loads((path / tiny_models.MARKER).read_text())["parameters"] == counts[name]
        assert model.dtype == torch.float32
        with safe_open(path / "model.safetensors", framework="pt") as weights:
            assert {weights.get_slice(key).get_dtype() for key in weights.keys()} == {"F32"}


@pytest.mark.parametrize("name", TINY_MODELS)
def test_tokenizer_matches_model_and_round_trips(name, built, loaded):
    from tokenizers import Tokenizer

    tokenizer, model = loaded[name]
    assert len(tokenizer) == model.config.vocab_size
    assert 800 <= len(tokenizer) <= 2000
    assert {tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token, tokenizer.unk_token} <= set(
        tokenizer.all_special_tokens
    )
    saved = Tokenizer.from_file(str(built[name] / "tokenizer.json"))
    corpus = tokenizer_corpus() + ["Unicode: Ünïcödé, ελληνικά, 漢字, emoji 🦇, digits 3.14159"]
    for text in corpus:
        ids = tokenizer.encode(text, add_special_tokens=False)
        assert tokenizer.decode(ids) == text
        # What AutoTokenizer gives back is the tokenizer we trained (transformers rebuilds
        # a qwen2 tokenizer's pipeline itself; it must agree with the saved one).
        assert ids == saved.encode(text, add_special_tokens=False).ids
    assert len(tokenizer.encode(corpus[0], add_special_tokens=False)) < len(corpus[0])  # it learned merges


@pytest.mark.parametrize("name", TINY_MODELS)
def test_chat_template_and_generation(name, loaded):
    import torch

    tokenizer, model = loaded[name]
    prompt = tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)
    assert MESSAGES[0]["content"] in prompt and MESSAGES[1]["content"] in prompt
    assert prompt.index(MESSAGES[0]["content"]) < prompt.index(MESSAGES[1]["content"])
    assert prompt.endswith(ASSISTANT_MARKER[name])
    without = tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=False, tokenize=False)
    assert prompt == without + ASSISTANT_MARKER[name]
    # The turn markers are single special tokens, not spelled out in pieces; the end of a turn is eos.
    inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    for token in TURN_TOKENS[name]:
        (token_id,) = tokenizer.encode(token, add_special_tokens=False)
        assert token_id in tokenizer.all_special_ids and token_id in inputs["input_ids"][0].tolist()
    assert tokenizer.eos_token == TURN_TOKENS[name][1]
    assert tokenizer.eos_token_id in model.generation_config.eos_token_id
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=5)
    new = output.shape[1] - inputs["input_ids"].shape[1]
    assert 1 <= new <= 5
    assert torch.equal(output[0, : inputs["input_ids"].shape[1]], inputs["input_ids"][0])
    assert isinstance(tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True), str)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_chat_template_refuses_unknown_roles(name, loaded):
    from jinja2 import TemplateError

    tokenizer, _ = loaded[name]
    with pytest.raises(TemplateError, match="roles"):
        tokenizer.apply_chat_template([{"role": "tool", "content": "x"}], tokenize=False)


def test_same_seed_same_weights_other_seed_different(built, tmp_path):
    import torch

    again = make_tiny(tmp_path / "same", names=["tiny-llama"], seed=0)
    other = make_tiny(tmp_path / "other", names=["tiny-llama"], seed=1)
    reference = _tensor(built["tiny-llama"])
    assert torch.equal(_tensor(again["tiny-llama"]), reference)
    assert (again["tiny-llama"] / "tokenizer.json").read_bytes() == (built["tiny-llama"] / "tokenizer.json").read_bytes()
    assert not torch.equal(_tensor(other["tiny-llama"]), reference)
    key = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(_tensor(other["tiny-llama"], key), _tensor(built["tiny-llama"], key))


def test_complete_build_is_kept_and_incomplete_one_rebuilt(tmp_path):
    target = make_tiny(tmp_path, names=["tiny-qwen2"])["tiny-qwen2"]
    weights = target / "model.safetensors"
    first = weights.stat().st_mtime_ns
    messages: list[str] = []
    assert make_tiny(tmp_path, names=["tiny-qwen2"], progress=messages.append) == {"tiny-qwen2": target}
    assert weights.stat().st_mtime_ns == first
    assert messages == ["tiny-qwen2: already built at %s" % target]

    # A killed run of some older tool: the files are there, but no marker.
    (target / tiny_models.MARKER).unlink()
    weights.write_bytes(b"half-written")
    make_tiny(tmp_path, names=["tiny-qwen2"])
    assert (target / tiny_models.MARKER).is_file()
    assert weights.stat().st_mtime_ns != first and weights.read_bytes() != b"half-written"

    # A complete build for another seed is not what was asked for.
    before = _tensor(target)
    make_tiny(tmp_path, names=["tiny-qwen2"], seed=7)
    assert json.loads((target / tiny_models.MARKER).read_text())["seed"] == 7
    assert not _tensor(target).equal(before)
    assert [p.name for p in tmp_path.iterdir()] == ["tiny-qwen2"]


def test_unknown_name_builds_nothing(tmp_path):
    with pytest.raises(ValueError, match="tiny-gpt9"):
        make_tiny(tmp_path / "out", names=["tiny-llama", "tiny-gpt9"])
    assert not (tmp_path / "out" / "tiny-llama").exists()


def test_corpus_includes_codex_and_works_without_it(monkeypatch, tmp_path):
    with_codex = tokenizer_corpus()
    first = json.loads((ROOT / "persona_codex.jsonl").read_text().splitlines()[0])
    assert first["response"] in with_codex
    monkeypatch.setattr(tiny_models, "CODEX_PATH", tmp_path / "missing.jsonl")
    builtin = tokenizer_corpus()
    assert builtin and set(builtin) < set(with_codex)
    assert sum(len(text) for text in builtin) > 2000


@pytest.mark.filterwarnings(PEFT_CHECKPOINTING_WARNING)
@pytest.mark.parametrize("name", TINY_MODELS)
def test_adapters_change_the_output(name, built, tmp_path):
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base_dir = built[name]
    a = make_tiny_adapter(base_dir, tmp_path / "a", seed=1)
    b = make_tiny_adapter(base_dir, tmp_path / "b", seed=2)
    a_again = make_tiny_adapter(base_dir, tmp_path / "a-again", seed=1)
    for adapter in (a, b):
        assert {"adapter_config.json", "adapter_model.safetensors"} <= {p.name for p in adapter.iterdir()}
        config = json.loads((adapter / "adapter_config.json").read_text())
        assert config["base_model_name_or_path"] == str(base_dir)
        assert config["r"] == 4 and set(config["target_modules"]) == {"q_proj", "v_proj"}
    weights_a = load_file(a / "adapter_model.safetensors")
    assert any("lora_B" in key for key in weights_a)
    assert all(tensor.abs().sum() > 0 for key, tensor in weights_a.items() if "lora_B" in key)
    assert all(torch.equal(tensor, load_file(a_again / "adapter_model.safetensors")[key]) for key, tensor in weights_a.items())

    tokenizer = AutoTokenizer.from_pretrained(base_dir, local_files_only=True)
    base = AutoModelForCausalLM.from_pretrained(base_dir, local_files_only=True)
    model = PeftModel.from_pretrained(base, a, adapter_name="a")
    model.load_adapter(b, adapter_name="b")
    model.eval()
    inputs = tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True, return_tensors="pt", return_dict=True)

    def logits():
        with torch.no_grad():
            return model(**inputs).logits

    model.set_adapter("a")
    logits_a = logits()
    model.set_adapter("b")
    logits_b = logits()
    with model.disable_adapter():
        logits_base = logits()
    model.set_adapter("a")
    assert torch.equal(logits(), logits_a)  # switching back gives a's output again
    for one, other in ((logits_a, logits_b), (logits_a, logits_base), (logits_b, logits_base)):
        assert (one - other).abs().max() > 1e-3


def test_adapter_refuses_to_overwrite_a_foreign_directory(built, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        make_tiny_adapter(built["tiny-llama"], tmp_path, seed=0)
    assert (tmp_path / "notes.txt").read_text() == "mine"

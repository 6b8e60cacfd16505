"""The model manager with real transformers models built locally (bat_os.models.tiny): loading from
linked files, the memory budget and LRU eviction, adapters on a shared base, streaming, timeouts, bad files."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import replace

import pytest

from bat_os.errors import LLMError, ModelTooLarge, ModelUnavailable
from bat_os.models.files import CommittedFile
from bat_os.models.manager import AdapterSpec, LoadSpec, ModelManager
from tiny_support import GEN, build_tiny, refs, spec


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny(tmp_path_factory.mktemp("tiny"))


def run(coro):
    return asyncio.run(coro)


async def with_manager(body, **kw):
    manager = ModelManager(device="cpu", **kw)
    try:
        return await body(manager)
    finally:
        await manager.close()


def test_loads_from_links_to_the_files_and_generates(tiny, tmp_path):
    work = tmp_path / "links"

    async def body(manager):
        out = await manager.generate(spec(tiny, "tiny-llama"), "You are ROBIN.", "hello there")
        linked = list(work.rglob("model.safetensors"))
        assert len(linked) == 1 and linked[0].is_symlink()  # linked, not copied
        assert os.path.realpath(linked[0]) == str(tiny["models"]["tiny-llama"] / "model.safetensors")
        return out, manager.status()

    out, status = run(with_manager(body, workdir=work))
    assert isinstance(out.text, str) and out.tokens > 0 and out.swapped
    assert [r["model"] for r in status["resident"]] == ["tiny-llama"]
    assert status["last_swap"]["model"] == "tiny-llama" and status["resident_bytes"] > 0
    assert not any(work.iterdir())  # closing removed the links (the files themselves stay)
    assert (tiny["models"]["tiny-llama"] / "model.safetensors").is_file()


def test_a_one_model_budget_keeps_exactly_one_resident(tiny):
    sizes = {n: sum(f.size for f in refs(tiny["models"][n]) if f.name.endswith(".safetensors")) for n in tiny["names"]}

    async def body(manager):
        first = await manager.generate(spec(tiny, "tiny-llama", "ALFRED"), "", "one")
        assert manager.is_resident("tiny-llama")
        second = await manager.generate(spec(tiny, "tiny-qwen2", "ROBIN"), "", "two")
        assert second.swapped and not manager.is_resident("tiny-llama") and manager.is_resident("tiny-qwen2")
        again = await manager.generate(spec(tiny, "tiny-qwen2", "ROBIN"), "", "three")
        assert not again.swapped  # still resident: no reload
        return first, manager.status()

    first, status = run(with_manager(body, budget_bytes=int(max(sizes.values()) * 1.5)))
    assert first.swapped
    assert status["counts"]["loads"] == 2 and status["counts"]["evictions"] == 1
    assert [r["model"] for r in status["resident"]] == ["tiny-qwen2"]


def test_a_larger_budget_keeps_several_and_evicts_the_least_recently_used(tiny):
    async def body(manager):
        await manager.generate(spec(tiny, "tiny-llama"), "", "a")
        await manager.generate(spec(tiny, "tiny-qwen2"), "", "b")
        return manager.status()

    status = run(with_manager(body, budget_bytes=2**30))
    assert {r["model"] for r in status["resident"]} == {"tiny-llama", "tiny-qwen2"}
    assert status["resident"][0]["model"] == "tiny-qwen2"  # most recently used first
    assert status["counts"].get("evictions", 0) == 0


def test_a_model_bigger_than_the_budget_is_refused_and_nothing_breaks(tiny):
    async def body(manager):
        with pytest.raises(ModelTooLarge, match="memory_mb"):
            await manager.generate(spec(tiny, "tiny-qwen2"), "", "x")
        return manager.status()

    status = run(with_manager(body, budget_bytes=1024))
    assert status["resident"] == []


def test_a_damaged_file_makes_the_persona_unavailable_not_the_kernel(tiny, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny["models"]["tiny-llama"], broken)
    good = spec(tiny, "tiny-llama")
    files = tuple(CommittedFile(f.name, str(broken / f.name), f.sha256, f.size) for f in good.files)
    with open(broken / "model.safetensors", "r+b") as fh:  # same size, one byte changed
        fh.seek(200)
        byte = fh.read(1)
        fh.seek(200)
        fh.write(bytes([byte[0] ^ 0xFF]))
    damaged = LoadSpec("BRICK", "broken", "broken", files, None, GEN)

    async def body(manager):
        with pytest.raises(ModelUnavailable, match="model.safetensors"):
            await manager.generate(damaged, "", "x")
        with pytest.raises(ModelUnavailable):  # the verdict is kept: no second load attempt
            await manager.generate(damaged, "", "x")
        ok = await manager.generate(spec(tiny, "tiny-qwen2"), "", "still works")
        return ok, manager.status()

    ok, status = run(with_manager(body))
    assert ok.tokens > 0
    assert "broken" in status["unavailable"]


def test_personas_on_one_base_switch_adapters_without_reloading(tiny):
    import torch

    async def body(manager):
        a = spec(tiny, "tiny-llama", "ALFRED", adapter="alfred")
        b = spec(tiny, "tiny-llama", "BRICK", adapter="brick")
        await manager.generate(a, "", "first")
        model = manager.resident_model("tiny-llama")
        base = model.get_base_model()
        ids = torch.tensor([[1, 2, 3, 4, 5]])

        def logits():
            with torch.no_grad():
                return model(input_ids=ids).logits.clone()

        report = await manager.ensure(a)
        assert report["adapter_switched"] is False
        with_a = await asyncio.get_running_loop().run_in_executor(manager._executor, logits)
        report = await manager.ensure(b)
        assert report == {"key": "tiny-llama", "swapped": False, "adapter_switched": True, "active_adapter": "brick"}
        with_b = await asyncio.get_running_loop().run_in_executor(manager._executor, logits)
        out_b = await manager.generate(b, "", "second")
        assert manager.resident_model("tiny-llama") is model and model.get_base_model() is base  # the same base object
        assert not torch.allclose(with_a, with_b)  # the adapters' weights differ, so do their outputs
        plain = spec(tiny, "tiny-llama", "ROBIN")  # no adapter on the same base: adapters disabled
        out_plain = await manager.generate(plain, "", "third")
        return out_b, out_plain, manager.status()

    out_b, out_plain, status = run(with_manager(body))
    assert not out_b.swapped and out_b.adapter_switched is False  # ensure() had already switched
    assert out_plain.adapter_switched and status["counts"]["loads"] == 1
    assert status["counts"]["adapter_loads"] == 2 and status["last_adapter_switch"]["adapter"] == "brick"
    assert status["resident"][0]["adapters"] == ["alfred", "brick"]


def test_an_adapter_for_another_base_is_refused_and_the_persona_keeps_its_base(tiny):
    async def body(manager):
        refused = await manager.generate(spec(tiny, "tiny-llama", "BABS", adapter="qwen"), "", "x")
        status = manager.status()
        return refused, status, await manager.generate(spec(tiny, "tiny-llama", "ROBIN"), "", "y")

    refused, status, other = run(with_manager(body))
    assert refused.tokens > 0 and other.tokens > 0
    assert status["adapters_refused"]["BABS"]["adapter"] == "qwen"
    assert "does not fit" in status["adapters_refused"]["BABS"]["why"]
    assert status["resident"][0]["active_adapter"] is None


def test_a_damaged_adapter_blob_is_refused_at_load_and_the_persona_keeps_its_base(tiny, tmp_path):
    damaged = tmp_path / "alfred"
    shutil.copytree(tiny["adapters"]["alfred"], damaged)
    files = refs(damaged)
    weights = damaged / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-64] + bytes(64))  # the blob changed under its stored sha256
    broken = AdapterSpec("alfred", files, "damaged")

    async def body(manager):
        base = await manager.generate(spec(tiny, "tiny-llama", "ALFRED"), "", "same words")
        with_damaged = await manager.generate(replace(spec(tiny, "tiny-llama", "ALFRED"), adapter=broken), "", "same words")
        status = manager.status()
        healthy = await manager.generate(spec(tiny, "tiny-llama", "ALFRED", adapter="alfred"), "", "same words")
        return base, with_damaged, status, manager.status()

    base, with_damaged, status, later = run(with_manager(body))
    assert with_damaged.text == base.text  # the base, unchanged
    assert "does not match its sha256" in status["adapters_refused"]["ALFRED"]["why"]
    assert "ALFRED" not in later["adapters_refused"] and later["resident"][0]["active_adapter"] == "alfred"


def test_tokens_stream_to_the_loop_as_they_come(tiny):
    async def body(manager):
        tokens = []
        out = await manager.generate(spec(tiny, "tiny-qwen2", generation={"max_new_tokens": 12}), "sys", "stream", on_token=tokens.append)
        return tokens, out

    tokens, out = run(with_manager(body))
    assert len(tokens) >= 2
    assert "".join(tokens).strip() == out.text.strip()


def test_a_generation_past_its_timeout_is_stopped(tiny):
    async def body(manager):
        long = spec(tiny, "tiny-llama", generation={"max_new_tokens": 100_000, "min_new_tokens": 100_000})
        await manager.generate(spec(tiny, "tiny-llama"), "", "warm up")
        with pytest.raises(LLMError, match="limit"):
            await manager.generate(long, "", "go on", timeout=0.5)
        return await manager.generate(spec(tiny, "tiny-llama"), "", "after")

    assert run(with_manager(body)).tokens > 0


def test_a_seeded_sample_is_the_same_each_time_and_another_seed_samples_apart(tiny, tmp_path):
    """A cycle's sampled candidates can be had again (issue 15): the seed fixes the sample."""
    def sampled(seed: int) -> dict:
        return {"max_new_tokens": 24, "min_new_tokens": 24, "temperature": 1.0, "top_p": 1.0, "seed": seed}

    async def body(manager):
        texts = []
        for seed in (7, 7, 8, 9):
            out = await manager.generate(spec(tiny, "tiny-llama", generation=sampled(seed)), "", "hello there")
            texts.append(out.text)
        return texts

    first, again, other, third = run(with_manager(body, workdir=tmp_path / "links"))
    assert first == again
    assert len({first, other, third}) > 1  # a random tiny model at temperature 1: other seeds, other text

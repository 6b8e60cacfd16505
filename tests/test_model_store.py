"""The model store: persona models and LoRA adapters as blobs in a real FileStorage image.

The store does not care what the weights mean, so the model directories here
are small hand-made ones (config.json, a random safetensors file, any
tokenizer.json, a chat template). Nothing touches the network except one
test that checks the real hub client fails fast when the hub cannot be reached.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from bat_os.errors import DownloadFailed, ModelError, ModelUnavailable, NoModel
from bat_os.image.image import Image
from bat_os.models.adapters import import_adapter, sync_adapters
from bat_os.models.files import committed_files, content_digest, link_files, sha256_file, verify
from bat_os.models.hub import HuggingFaceHub, _tqdm_class
from bat_os.models.quantize import cuda_available
from bat_os.models.records import ensure_store, persona_record, store_of
from bat_os.models.store import import_model, list_models, remove_model

ROOT = Path(__file__).resolve().parent.parent


# --- helpers --------------------------------------------------------------------------------


def make_model_dir(path: Path, seed: int = 0, *, tokenizer: bool = True, weights: str = "safetensors") -> Path:
    path.mkdir(parents=True)
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "dtype": "float32", "hidden_size": 64}
    (path / "config.json").write_text(json.dumps(config))
    rng = np.random.default_rng(seed)
    tensors = {"embed.weight": rng.standard_normal((256, 64)).astype(np.float32), "norm.weight": np.ones(64, np.float32)}
    if weights == "safetensors":
        save_file(tensors, str(path / "model.safetensors"))
    else:
        (path / "pytorch_model.bin").write_bytes(b"\x80\x04pickled" + rng.bytes(1000))
    if tokenizer:
        (path / "tokenizer.json").write_text(json.dumps({"version": "1.0", "model": {"type": "BPE", "seed": seed}}))
    (path / "chat_template.jinja").write_text("{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}")
    (path / "extra").mkdir()
    (path / "extra" / "notes.json").write_text(json.dumps({"seed": seed}))
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def root_of(image: Image):
    return image.connection.root()


def read_store(image: Image, fn):
    return image.read(lambda: fn(store_of(root_of(image), create=False)))


@pytest.fixture
def image_path(tmp_path):
    return tmp_path / "img" / "live_image.fs"


@pytest.fixture
def image(image_path):
    opened = Image(image_path)
    try:
        yield opened
    finally:
        opened.close()


def reopen(image: Image) -> Image:
    path = image.path
    image.close()
    return Image(path)


class CopyHub:
    """A hub that "downloads" by copying a local directory: the injection point for the hub path."""

    commit = "0123456789abcdef0123456789abcdef01234567"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.calls: list[tuple[str, str | None]] = []

    def download(self, repo_id, revision, dest, progress):
        self.calls.append((repo_id, revision))
        shutil.copytree(self.directory, dest, dirs_exist_ok=True)
        return dest, self.commit


class RecordingProgress:
    """A progress factory that keeps what it was told."""

    def __init__(self) -> None:
        self.bars: list[dict] = []

    def __call__(self, description, total):
        bar = {"description": description, "total": total, "done": 0, "closed": False}
        self.bars.append(bar)

        class Bar:
            def update(self, n):
                bar["done"] += n

            def close(self):
                bar["closed"] = True

        return Bar()


# --- importing --------------------------------------------------------------------------------


def test_import_from_a_local_dir_stores_blobs_and_lists_them(image, tmp_path):
    source = make_model_dir(tmp_path / "robin-model")
    before = snapshot(source)
    modes = {name: (source / name).stat().st_mode for name in before}
    progress = RecordingProgress()

    result = import_model(image, "robin", source, quantize=None, progress=progress, now=lambda: 1234.0)

    assert result.persona == "ROBIN" and not result.unchanged and result.replaced is None
    assert result.files == tuple(sorted(before)) and result.total_size == sum(len(b) for b in before.values())
    assert (result.dtype, result.quantization, result.revision) == ("float32", None, None)
    assert snapshot(source) == before  # the user's files: all there, same bytes
    assert {name: (source / name).exists() for name in before} == {name: True for name in before}
    assert not image.path.with_name("live_image.staging").exists()
    assert [(b["description"], b["total"], b["done"], b["closed"]) for b in progress.bars] == [
        ("hashing ROBIN", result.total_size, result.total_size, True),
        ("copying ROBIN", result.total_size, result.total_size, True),
    ]

    image = reopen(image)
    try:
        [entry] = list_models(image)
        assert entry["kind"] == "model" and entry["persona"] == "ROBIN" and entry["key"] == result.key
        assert entry["source"] == str(source.resolve()) and entry["architecture"] == "LlamaForCausalLM"
        assert entry["files"] == len(before) and entry["total_size"] == result.total_size
        assert entry["shared_with"] == [] and entry["imported_at"] == 1234.0
        assert {f["name"]: (f["size"], f["sha256"]) for f in entry["manifest"]} == {
            name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in before.items()
        }

        def blobs_and_links():
            record = persona_record(root_of(image), "ROBIN")
            files = committed_files(record)
            return files, link_files(record, tmp_path / "links" / "robin")

        files, links = image.read(blobs_and_links)
        blob_dir = os.path.realpath(image.blob_dir)
        for item in files:
            assert os.path.isfile(item.path) and not os.path.islink(item.path)
            assert os.path.realpath(item.path).startswith(blob_dir + os.sep)
            link = links / item.name
            assert link.is_symlink() and os.readlink(link) == item.path
            assert link.read_bytes() == before[item.name]
        assert stat.S_IMODE(links.stat().st_mode) == 0o700
        assert (links / "extra" / "notes.json").is_symlink()
        assert snapshot(links) == before
        inodes = {os.stat(item.path).st_ino for item in files}
    finally:
        image.close()
    assert {name: (source / name).stat().st_mode for name in before} == modes  # not even chmod-ed
    assert not inodes & {(source / name).stat().st_ino for name in before}  # the image owns its bytes


def test_link_source_hard_links_the_users_files_into_the_blobs(image, tmp_path):
    source = make_model_dir(tmp_path / "m")
    before = snapshot(source)
    result = import_model(image, "ROBIN", source, quantize=None, link_source=True)
    assert snapshot(source) == before
    files = image.read(lambda: committed_files(persona_record(root_of(image), "ROBIN")))
    assert {f.name: os.stat(f.path).st_ino for f in files} == {n: (source / n).stat().st_ino for n in before}
    assert import_model(image, "ROBIN", source, quantize=None).unchanged  # copied or linked: same content
    assert result.total_size == sum(len(b) for b in before.values())


def test_importing_the_same_directory_again_is_unchanged(image, tmp_path):
    source = make_model_dir(tmp_path / "m")
    first = import_model(image, "ROBIN", source, quantize=None)
    size = image.size_bytes()
    progress = RecordingProgress()
    again = import_model(image, "ROBIN", source, quantize=None, progress=progress)
    assert again.unchanged and again.key == first.key and again.replaced is None
    assert [b["description"] for b in progress.bars] == ["hashing ROBIN"]  # hashed, never copied
    assert image.size_bytes() == size  # nothing was written
    assert not image.path.with_name("live_image.staging").exists()


def test_two_personas_with_the_same_content_share_one_record(image, tmp_path):
    a = make_model_dir(tmp_path / "a", seed=3)
    b = tmp_path / "b"
    shutil.copytree(a, b)
    ra = import_model(image, "ROBIN", a, quantize=None)
    rb = import_model(image, "BABS", b, quantize=None)
    assert ra.key == rb.key and not rb.unchanged
    image = reopen(image)
    try:
        assert read_store(image, lambda s: (len(s.models), dict(s.personas))) == (1, {"BABS": ra.key, "ROBIN": ra.key})
        shared = {e["persona"]: e["shared_with"] for e in list_models(image)}
        assert shared == {"BABS": ["ROBIN"], "ROBIN": ["BABS"]}
        assert image.read(lambda: persona_record(root_of(image), "babs") is persona_record(root_of(image), "ROBIN"))
    finally:
        image.close()


def test_a_file_changed_between_hashing_and_copying_is_refused(image, tmp_path):
    source = make_model_dir(tmp_path / "m")

    def meddling(description, total):  # the user rewrites a file just after it was hashed
        bar = RecordingProgress()(description, total)
        if description.startswith("hashing"):
            inner_close = bar.close

            def close():
                inner_close()
                (source / "tokenizer.json").write_text(json.dumps({"changed": True}))

            bar.close = close
        return bar

    with pytest.raises(ModelError, match="tokenizer.json changed while it was being imported"):
        import_model(image, "ROBIN", source, quantize=None, progress=meddling)
    assert read_store(image, lambda s: s) is None
    assert not image.path.with_name("live_image.staging").exists()


def test_a_conflicting_commit_is_retried_and_the_files_are_consumed_again(image, tmp_path):
    image.run(lambda: ensure_store(root_of(image)))
    calls = []

    def now():  # called inside the transaction: the first time, another connection commits first
        calls.append(1)
        if len(calls) == 1:
            tm, conn = image.acquire()
            tm.begin()
            store_of(conn.root()).personas["ROBIN"] = "written-meanwhile"
            tm.commit()
            image.release((tm, conn))
        return 99.0

    source = make_model_dir(tmp_path / "m")
    result = import_model(image, "ROBIN", source, quantize=None, now=now)
    assert len(calls) == 2  # ConflictError, abort, retry
    assert result.replaced == "written-meanwhile" and not result.unchanged
    image = reopen(image)
    try:
        assert read_store(image, lambda s: (dict(s.personas), list(s.models))) == ({"ROBIN": result.key}, [result.key])
        image.read(lambda: verify(persona_record(root_of(image), "ROBIN")))
        assert os.listdir(image.storage.temporaryDirectory()) == []
    finally:
        image.close()


def test_new_content_replaces_the_record_and_drops_the_unreferenced_one(image, tmp_path):
    old = import_model(image, "ROBIN", make_model_dir(tmp_path / "old", seed=1), quantize=None)
    shared = import_model(image, "BABS", make_model_dir(tmp_path / "shared", seed=2), quantize=None)
    import_model(image, "BRICK", tmp_path / "shared", quantize=None)

    new = import_model(image, "ROBIN", make_model_dir(tmp_path / "new", seed=4), quantize=None)
    assert new.replaced == old.key and new.key != old.key
    moved = import_model(image, "BABS", tmp_path / "new", quantize=None)  # BRICK still uses "shared"
    assert moved.replaced == shared.key and moved.key == new.key

    image = reopen(image)
    try:
        models, personas = read_store(image, lambda s: (sorted(s.models), dict(s.personas)))
        assert models == sorted({new.key, shared.key}) and old.key not in models
        assert personas == {"ROBIN": new.key, "BABS": new.key, "BRICK": shared.key}
        record = image.read(lambda: persona_record(root_of(image), "ROBIN"))
        image.read(lambda: verify(persona_record(root_of(image), "ROBIN")))
        assert record.key == new.key
    finally:
        image.close()


def test_remove_model_forgets_the_persona_and_its_unreferenced_record(image, tmp_path):
    source = make_model_dir(tmp_path / "m")
    result = import_model(image, "ROBIN", source, quantize=None)
    import_model(image, "BABS", source, quantize=None)
    assert remove_model(image, "robin") is True
    assert read_store(image, lambda s: list(s.models)) == [result.key]  # BABS still uses it
    assert remove_model(image, "BABS") is True
    assert remove_model(image, "BABS") is False
    image = reopen(image)
    try:
        assert read_store(image, lambda s: (len(s.models), len(s.personas))) == (0, 0)
        with pytest.raises(NoModel, match="ROBIN has no model"):
            image.read(lambda: persona_record(root_of(image), "ROBIN"))
        assert list_models(image) == []
    finally:
        image.close()


@pytest.mark.parametrize(
    "case, match",
    [
        ("no_tokenizer", r"no a tokenizer \(tokenizer.json or tokenizer.model\)"),
        ("pickles_only", "only safetensors weights are imported.*pytorch_model.bin"),
        ("missing_path", "neither an existing directory nor a Hugging Face id"),
        ("file", "is a file"),
        ("unknown_persona", "persona must be one of"),
    ],
)
def test_refused_sources_leave_the_image_unchanged(image, tmp_path, case, match):
    persona = "ROBIN"
    if case == "no_tokenizer":
        source = make_model_dir(tmp_path / "m", tokenizer=False)
    elif case == "pickles_only":
        source = make_model_dir(tmp_path / "m", weights="bin")
    elif case == "missing_path":
        source = tmp_path / "does" / "not" / "exist"
    elif case == "file":
        source = tmp_path / "model.safetensors"
        source.write_bytes(b"x")
    else:
        source, persona = make_model_dir(tmp_path / "m"), "JOKER"
    before = snapshot(source) if source.is_dir() else None
    size = image.size_bytes()
    with pytest.raises(ModelError, match=match):
        import_model(image, persona, source, quantize=None)
    assert image.size_bytes() == size
    assert read_store(image, lambda s: s) is None
    assert not image.path.with_name("live_image.staging").exists()
    if before is not None:
        assert snapshot(source) == before


def test_a_hub_id_with_hf_hub_offline_fails_fast(image, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    size = image.size_bytes()
    started = time.monotonic()
    with pytest.raises(DownloadFailed) as raised:
        import_model(image, "BRICK", "batos-test/no-such-model", quantize=None)
    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert "batos-test/no-such-model" in message and "HF_HUB_OFFLINE" in message
    assert "import from a local directory: python batos.py models import BRICK DIR" in message
    assert "\n" not in message
    assert image.size_bytes() == size and read_store(image, lambda s: s) is None
    assert not image.path.with_name("live_image.staging").exists()


def test_an_unreachable_hub_fails_fast_through_the_real_client(image, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    started = time.monotonic()
    with pytest.raises(DownloadFailed, match="batos-test/no-such-model.*python batos.py models import ALFRED DIR"):
        import_model(image, "ALFRED", "batos-test/no-such-model", quantize=None, hub=HuggingFaceHub(timeout=3.0))
    assert time.monotonic() - started < 15  # no network here: a DNS failure; with one: 401/404
    assert read_store(image, lambda s: s) is None


def test_a_hub_import_records_the_commit(image, tmp_path):
    hub = CopyHub(make_model_dir(tmp_path / "published", seed=7))
    (hub.directory / ".gitattributes").write_text("*.safetensors filter=lfs")  # hidden: not stored
    result = import_model(image, "alfred", "acme/tiny-chat", revision="main", quantize=None, hub=hub)
    assert hub.calls == [("acme/tiny-chat", "main")]
    assert (result.source, result.revision) == ("acme/tiny-chat", CopyHub.commit)
    assert ".gitattributes" not in result.files
    assert not image.path.with_name("live_image.staging").exists()  # the download too, once stored
    image = reopen(image)
    try:
        [entry] = list_models(image)
        assert (entry["persona"], entry["source"], entry["revision"]) == ("ALFRED", "acme/tiny-chat", CopyHub.commit)
        again = import_model(image, "ALFRED", "acme/tiny-chat", quantize=None, hub=hub)
        assert again.unchanged
    finally:
        image.close()


def test_a_failed_download_is_kept_for_the_next_run(image, tmp_path):
    class Interrupted:
        def download(self, repo_id, revision, dest, progress):
            (dest / "model-00001-of-00002.safetensors").write_bytes(b"partial")
            raise TimeoutError("read timed out\nsecond line")

    with pytest.raises(DownloadFailed, match=r"acme/big-model .*: TimeoutError: read timed out; import from"):
        import_model(image, "ROBIN", "acme/big-model", quantize=None, hub=Interrupted())
    download = image.path.with_name("live_image.staging") / "ROBIN" / "download"
    assert (download / "model-00001-of-00002.safetensors").read_bytes() == b"partial"
    hub = CopyHub(make_model_dir(tmp_path / "published"))
    import_model(image, "ROBIN", "acme/big-model", quantize=None, hub=hub)
    assert not download.exists()


def test_quantize_auto_keeps_the_weights_without_cuda_and_4bit_needs_it(image, tmp_path):
    if cuda_available():
        pytest.skip("this machine has CUDA: quantization would run")
    source = make_model_dir(tmp_path / "m")
    with pytest.raises(ModelError, match="4-bit quantization needs a CUDA GPU"):
        import_model(image, "ROBIN", source, quantize="4bit")
    result = import_model(image, "ROBIN", source)  # quantize="auto"
    assert result.quantization is None and result.dtype == "float32"
    with pytest.raises(ModelError, match="quantize must be"):
        import_model(image, "ROBIN", source, quantize="8bit")


def test_dtype_comes_from_the_safetensors_header_when_config_has_none(image, tmp_path):
    source = make_model_dir(tmp_path / "m")
    config = json.loads((source / "config.json").read_text())
    del config["dtype"], config["architectures"]
    config["quantization_config"] = {"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4"}
    (source / "config.json").write_text(json.dumps(config))
    result = import_model(image, "ROBIN", source, quantize=None)
    assert result.dtype == "float32"
    assert result.quantization["method"] == "bitsandbytes" and result.quantization["bits"] == 4
    assert list_models(image)[0]["architecture"] == "llama"


# --- verification and links ------------------------------------------------------------------


def test_verify_passes_then_names_a_corrupted_blob_and_the_cache_skips_unchanged_files(image, tmp_path):
    import_model(image, "ROBIN", make_model_dir(tmp_path / "m"), quantize=None)
    image = reopen(image)
    try:
        hashed: list[str] = []

        def counting_hasher(path):
            hashed.append(path)
            return sha256_file(path)

        record = image.read(lambda: persona_record(root_of(image), "ROBIN"))
        files = image.read(lambda: committed_files(record))
        cache: dict = {}
        image.read(lambda: verify(record, cache, hasher=counting_hasher))
        assert len(hashed) == len(files) == len(cache)
        assert sorted(cache.values()) == sorted(f.sha256 for f in files)
        hashed.clear()
        verify(files, cache, hasher=counting_hasher)  # plain data: works off the connection's thread
        assert hashed == []

        weights = next(f for f in files if f.name == "model.safetensors")
        os.chmod(weights.path, stat.S_IMODE(os.stat(weights.path).st_mode) | stat.S_IWUSR)
        with open(weights.path, "r+b") as fh:
            fh.seek(200)
            byte = fh.read(1)
            fh.seek(200)
            fh.write(bytes([byte[0] ^ 0xFF]))
        with pytest.raises(ModelUnavailable, match="model.safetensors does not match its sha256"):
            image.read(lambda: verify(record))
        with pytest.raises(ModelUnavailable, match="model.safetensors"):
            verify(files, cache, hasher=counting_hasher)
        assert hashed == [weights.path]  # only the changed file was hashed again

        os.remove(weights.path)
        with pytest.raises(ModelUnavailable, match="model.safetensors is missing"):
            image.read(lambda: verify(record))
    finally:
        image.close()


def test_link_files_wants_a_new_or_empty_directory(image, tmp_path):
    import_model(image, "ROBIN", make_model_dir(tmp_path / "m"), quantize=None)
    empty = tmp_path / "empty"
    empty.mkdir()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")

    def link(into):
        return image.read(lambda: link_files(persona_record(root_of(image), "ROBIN"), into))

    assert (link(empty) / "config.json").is_symlink()
    with pytest.raises(ModelError, match="new or empty directory"):
        link(busy)


def test_ensure_store_is_a_migration_apply_function(image):
    assert read_store(image, lambda s: s) is None
    image.run(lambda: ensure_store(root_of(image), None))
    store = image.run(lambda: ensure_store(root_of(image)))
    assert store is not None and read_store(image, lambda s: (len(s.models), len(s.adapters))) == (0, 0)


def test_the_hub_progress_adapter_forwards_to_the_factory():
    progress = RecordingProgress()
    bar = _tqdm_class(progress)(total=10, desc="Downloading bytes", unit="B", name="huggingface_hub.x")
    bar.update(4)
    bar.update(6)
    bar.close()
    assert progress.bars == [{"description": "Downloading bytes", "total": 10, "done": 10, "closed": True}]


# --- adapters ---------------------------------------------------------------------------------


def make_adapter(path: Path, seed: int, *, weights: bool = True) -> Path:
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "Qwen/Qwen2.5-3B-Instruct", "r": 8}))
    if weights:
        rng = np.random.default_rng(seed)
        save_file({"lora_A": rng.standard_normal((8, 64)).astype(np.float32)}, str(path / "adapter_model.safetensors"))
    return path


def test_sync_adapters_stores_reports_replaces_and_refuses(image, tmp_path):
    folder = tmp_path / "lora_adapters"
    alfred = make_adapter(folder / "Alfred", seed=1)
    make_adapter(folder / "brick", seed=2, weights=False)
    (folder / "docs").mkdir()
    (folder / "docs" / "notes.txt").write_text("not an adapter")
    (folder / "README.md").write_text("# adapters")
    before = snapshot(alfred)
    modes = {p.name: p.stat().st_mode for p in alfred.iterdir()}

    first = sync_adapters(image, folder)
    assert set(first) == {"alfred", "brick"} and first["alfred"] == "stored"
    assert "no adapter_model.safetensors" in first["brick"] and "brick" in first["brick"]
    assert sync_adapters(image, folder) == {"alfred": "unchanged", "brick": first["brick"]}
    assert snapshot(alfred) == before and {p.name: p.stat().st_mode for p in alfred.iterdir()} == modes
    digest = read_store(image, lambda s: s.adapters["alfred"].sha256)

    save_file({"lora_A": np.zeros((8, 64), np.float32)}, str(alfred / "adapter_model.safetensors"))
    assert sync_adapters(image, folder)["alfred"] == "stored"
    assert import_adapter(image, "ALFRED", alfred) is False

    image = reopen(image)
    try:
        names, new_digest, base = read_store(
            image, lambda s: (list(s.adapters), s.adapters["alfred"].sha256, s.adapters["alfred"].base)
        )
        assert names == ["alfred"] and new_digest != digest and base == "Qwen/Qwen2.5-3B-Instruct"
        [entry] = [e for e in list_models(image) if e["kind"] == "adapter"]
        assert entry["name"] == "alfred" and entry["size"] == sum(p.stat().st_size for p in alfred.iterdir())
        links = image.read(lambda: link_files(store_of(root_of(image)).adapters["alfred"], tmp_path / "a"))
        assert snapshot(links) == snapshot(alfred)
        image.read(lambda: verify(store_of(root_of(image)).adapters["alfred"]))
        assert sync_adapters(image, tmp_path / "nowhere") == {}
    finally:
        image.close()


def gguf_adapter(path: Path, kind: str = "adapter") -> Path:
    """A small GGUF file: a LoRA adapter as llama.cpp's converter writes one (or, ``kind="model"``, not one)."""
    import gguf

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_type(kind)
    if kind == "adapter":
        writer.add_string("adapter.type", "lora")
        writer.add_float32("adapter.lora.alpha", 16.0)
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.ones((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_gguf_adapters_are_stored_alone_or_beside_their_peft_form_and_other_gguf_files_refused(image, tmp_path):
    alone = gguf_adapter(tmp_path / "alone.gguf")
    assert import_adapter(image, "alone", alone) is True
    peft = make_adapter(tmp_path / "lora_adapters" / "robin", seed=3)
    gguf_adapter(peft / "adapter.gguf")
    assert sync_adapters(image, tmp_path / "lora_adapters") == {"robin": "stored"}
    forms = {e["name"]: e["forms"] for e in list_models(image) if e["kind"] == "adapter"}
    assert forms == {"alone": ["gguf"], "robin": ["peft", "gguf"]}
    assert read_store(image, lambda s: sorted(s.adapters["alone"].files)) == ["adapter.gguf"]
    with pytest.raises(ModelError, match="not a LoRA adapter"):
        import_adapter(image, "model", gguf_adapter(tmp_path / "model.gguf", kind="model"))
    (tmp_path / "junk.gguf").write_bytes(b"GGUF but not really")
    with pytest.raises(ModelError, match="not a GGUF file"):
        import_adapter(image, "junk", tmp_path / "junk.gguf")
    with pytest.raises(ModelError, match="neither a PEFT adapter directory nor a GGUF adapter file"):
        import_adapter(image, "text", tmp_path / "lora_adapters" / "robin" / "adapter_config.json")
    assert sorted(read_store(image, lambda s: list(s.adapters))) == ["alone", "robin"]  # the refused: nothing stored


# --- kill -9 ---------------------------------------------------------------------------------

IMPORT_SCRIPT = """
import sys
from pathlib import Path
from bat_os.image.image import Image
from bat_os.models.store import import_model
image = Image(Path(sys.argv[1]))
try:
    import_model(image, "ROBIN", sys.argv[2], quantize=None)
finally:
    image.close()
"""

BIG = 160 << 20  # bytes: hashing it takes about a second here


def make_big_model_dir(path: Path) -> Path:
    make_model_dir(path, seed=9)
    with open(path / "big.dat", "wb") as fh:  # first in name order: staged and hashed first
        fh.write(os.urandom(1 << 20))
        fh.truncate(BIG)  # the rest is a sparse hole: quick to write, still read when hashed
    return path


def content_digest_of(directory: Path) -> str:
    files = [p for p in directory.rglob("*") if p.is_file()]
    return content_digest((p.relative_to(directory).as_posix(), sha256_file(p)) for p in files)


def spawn_import(image_path: Path, source: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    with open(log, "wb") as err:
        return subprocess.Popen(
            [sys.executable, "-c", IMPORT_SCRIPT, str(image_path), str(source)],
            env=env, stdout=subprocess.DEVNULL, stderr=err,
        )


def kill_when(proc: subprocess.Popen, path: Path, deadline: float = 30.0) -> bool:
    """SIGKILL ``proc`` as soon as ``path`` exists; False when it exited first."""
    end = time.monotonic() + deadline
    try:
        while not path.exists():
            if proc.poll() is not None:
                return False
            assert time.monotonic() < end, "the import never reached the point to kill it at"
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        return True
    finally:
        if proc.poll() is None and time.monotonic() >= end:
            proc.kill()
        proc.wait(timeout=10)


@pytest.mark.parametrize("point", ["", "staged", "consume"])
def test_kill_9_during_an_import_leaves_the_previous_model_and_a_rerun_completes(tmp_path, image_path, point):
    """Killed once the staging directory appears (while hashing the big file, about a second: the
    previous model must remain), once ``staged`` appears (while copying it) and once ``consume``
    appears (inside the transaction; a slow poll may land just after the commit). Whatever the
    moment, the image holds one whole model, the previous or the new one, never a mix."""
    image = Image(image_path)
    previous = import_model(image, "ROBIN", make_model_dir(tmp_path / "previous", seed=1), quantize=None)
    image.close()
    big = make_big_model_dir(tmp_path / "big")
    staging = image_path.with_name("live_image.staging") / "ROBIN"

    log = tmp_path / "import.log"
    proc = spawn_import(image_path, big, log)
    killed = kill_when(proc, staging / point)
    if point == "":
        assert killed and proc.returncode == -signal.SIGKILL, log.read_text()
        assert staging.exists()  # left behind by the killed run
    elif not killed:
        assert proc.returncode == 0, log.read_text()

    image = Image(image_path)  # opens cleanly after the kill
    try:
        key = image.read(lambda: persona_record(root_of(image), "ROBIN").key)
        if point == "":
            assert key == previous.key
        assert key == previous.key or key == content_digest_of(big)
        image.read(lambda: verify(persona_record(root_of(image), "ROBIN")))  # whole: every file matches
        assert read_store(image, lambda s: len(s.models)) == 1

        again = import_model(image, "ROBIN", big, quantize=None)  # the rerun completes (or finds it done)
        assert again.unchanged == (key == again.key)
        assert "big.dat" in again.files and again.total_size > BIG
        assert not staging.exists()
        assert os.listdir(image.storage.temporaryDirectory()) == []  # what the kill left there is gone
    finally:
        image.close()

    image = Image(image_path)
    try:
        record = image.read(lambda: persona_record(root_of(image), "ROBIN"))
        assert record.key == again.key and read_store(image, lambda s: sorted(s.models)) == [again.key]
        big_sha = image.read(lambda: record.files["big.dat"].sha256)
        assert big_sha == sha256_file(big / "big.dat")
    finally:
        image.close()
        shutil.rmtree(image_path.parent)  # the big file's copy: pytest keeps tmp dirs of recent runs
        shutil.rmtree(big)

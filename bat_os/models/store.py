"""Persona models in the image: importing one, sharing it between personas, removing and listing them.

The store's layout is :mod:`bat_os.models.records`'s; LoRA adapters are
:mod:`bat_os.models.adapters`'s. Importing a model (:func:`import_model`), step
by step, and what a kill -9 at that step leaves behind (``<staging>`` is
``<image dir>/<image stem>.staging/<PERSONA>``)::

    resolve   a local directory is read in place; a hub id is
              downloaded into <staging>/download       kill: the hub client resumes it next time;
              a GGUF file (a path, a directory holding
              one, or ollama:NAME[:TAG]) is checked and
              converted once into the cache's
              converted/ (bat_os.models.gguf)          kill: converted again next time
    quantize  only with CUDA + bitsandbytes: 4-bit nf4
              into <staging>/quantized                 kill: rebuilt next time
    hash      a user's files where they are (sha256, 1 MiB chunks); the
              persona already has them, or another persona does: no copy, go to commit
    stage     a user's files copied into <staging>/staged (a reflink
              where the file system has them); downloaded or quantized
              files hard-linked there instead         kill: rebuilt next time
    commit    ONE transaction: each blob consumes a second link from
              <staging>/consume (a rename: no copy), the persona points
              at the record, an unreferenced old record is dropped
                                                       kill: FileStorage keeps the previous state; the
                                                       next import removes the uncommitted blob files
    clean     <staging> removed                        kill: removed by the next import

So the image holds the persona's previous model (or none) until the commit,
and the new one after it; never a mix. The steps' helpers live by concern:
``hub`` (resolve: the download), ``quantize``, ``model_dir`` (what a model
directory holds and declares), ``files`` (hash, stage; and linking committed
blobs for loading), ``staging`` (the staging directory), ``gguf`` and
``gguf_probe`` (a GGUF file checked; converted, or stored as it is for
llama.cpp: :mod:`bat_os.models.engines` says which).

Why a user's files are copied, not hard-linked, by default: a hard link
shares the inode with the blob, and ZODB marks committed blobs read-only by
chmod, which would change the user's file (a 0o600 file becomes 0o444:
world-readable); and a later in-place rewrite of that file (``open(p, "wb")``,
``safetensors.save_file``) would rewrite the stored model. ``link_source=True``
accepts both for speed and disk space.

Replaced models' blob files stay on disk until the image is packed.

An import loads torch, transformers and bitsandbytes only inside
:mod:`bat_os.models.quantize`'s functions, and huggingface_hub only when
something is downloaded.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from persistent.mapping import PersistentMapping
from ZODB.blob import Blob

from bat_os.errors import ModelError
from bat_os.image.primordial import PERSONAS
from bat_os.models import engines, gguf, gguf_probe
from bat_os.models import staging as staging_dir
from bat_os.models.embedded import cache_dir
from bat_os.models.files import Staged, content_digest, copy_staged, hash_in_place, link_or_copy, link_staged, signature
from bat_os.models.hub import Hub, HuggingFaceHub, download_model, one_line
from bat_os.models.model_dir import architecture_of, dtype_of, inspect_model_dir, quantization_of
from bat_os.models.progress import ProgressFactory, open_bar
from bat_os.models.quantize import cuda_available, quantize_4bit
from bat_os.models.records import ModelRecord, StoredFile, store_of

logger = logging.getLogger(__name__)

QUANTIZE_CHOICES = ("auto", "4bit", None)
GGUF_NAME = "model.gguf"  # the one file of a stored GGUF model
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


# --- importing a model ----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    persona: str
    key: str
    source: str
    revision: str | None
    files: tuple[str, ...]  # the stored file names
    total_size: int
    dtype: str | None
    quantization: dict | None
    replaced: str | None  # the key the persona had before, when it changed
    unchanged: bool  # the persona already had exactly these files: nothing was written


def import_model(
    image: Any, persona: str, source: str | os.PathLike, *, revision: str | None = None,
    quantize: str | None = "auto", progress: ProgressFactory | None = None, staging: Path | None = None,
    hub: Hub | None = None, now: Callable[[], float] = time.time, link_source: bool = False,
    dtype: str = "bfloat16", cache: Path | None = None, engine: str = "auto",
) -> ImportResult:
    """Store SOURCE (a local model directory, a hub repo id, or a GGUF file) as PERSONA's model. See the module docstring.

    ``link_source``: hard-link a local directory's (or a GGUF) file instead of copying it (see above).
    ``engine`` (``models.engine``): a GGUF file that llama.cpp will run is stored as it is
    (:func:`bat_os.models.engines.stores_gguf`); else it is converted to ``dtype``, kept in ``cache``
    (default :func:`bat_os.models.embedded.cache_dir`)."""
    persona = _persona(persona)
    if quantize not in QUANTIZE_CHOICES:
        raise ModelError(f"quantize must be 'auto', '4bit' or None, not {quantize!r}")
    gguf_file = gguf.source_file(source)
    if gguf_file is not None:
        if revision is not None:
            raise ModelError("a revision applies to a Hugging Face id, not to a GGUF file")
        if engines.stores_gguf(engine, cuda=engines.cuda_hint(), llama=engines.llama_installed()):
            return _store_gguf(image, persona, os.fspath(source), gguf_file, progress=progress, staging=staging,
                               now=now, owned=link_source)
        return _import_gguf(image, persona, os.fspath(source), gguf_file, quantize=quantize, progress=progress,
                            staging=staging, now=now, dtype=dtype, cache=cache)
    staging = Path(staging) if staging is not None else staging_dir.default_staging(image, persona)
    local, repo_id = _resolve_source(source)
    if local is not None and revision is not None:
        raise ModelError("a revision applies to a Hugging Face id, not to a local directory")
    if local is not None:
        staging_dir.refuse_overlap(staging, local)
    if quantize == "4bit" and not cuda_available():
        raise ModelError("4-bit quantization needs a CUDA GPU with bitsandbytes; import with quantize=None to keep the weights as they are")
    staging_dir.drop_orphans(staging / "staged", image)
    for stale in ("staged", "consume", "quantized"):  # left by a killed run: rebuilt
        shutil.rmtree(staging / stale, ignore_errors=True)
    staging.mkdir(parents=True, exist_ok=True)
    keep_download = True  # a failed or interrupted download is resumed by the next run...
    try:
        if repo_id is not None:
            origin, revision = download_model(hub or HuggingFaceHub(), persona, repo_id, revision, staging / "download", progress)
            source_name = repo_id
        else:
            assert local is not None
            origin, source_name = local, str(local)
        try:
            config, names = inspect_model_dir(origin)
        except ModelError:
            keep_download = False  # ...but what was refused is not worth keeping
            raise
        # files that may share their inode with the blobs: what BAT OS downloaded, or what the user allows
        owned = link_source or staging_dir.is_within(origin, staging)
        result = _import_from(
            image, persona, origin, owned, source_name, revision, config, names, quantize, progress, staging, now
        )
        keep_download = False
    finally:
        staging_dir.clean(staging, keep_download)
    return result


def _import_gguf(
    image: Any, persona: str, source: str, path: Path, *, quantize: str | None, progress: ProgressFactory | None,
    staging: Path | None, now: Callable[[], float], dtype: str, cache: Path | None,
) -> ImportResult:
    """A GGUF file: checked, converted once into the cache (or found converted), then imported like a directory."""
    info = gguf.inspect(path, progress=progress)
    known = image.read(lambda: _converted_from(image.connection.root(), info.sha256, dtype))
    if known is not None:  # this file was imported before in this dtype: the persona shares that record
        return _commit(image, persona, known, [], None, now)
    converted = gguf.convert(info, gguf.converted_dir(cache or cache_dir(), info, dtype), dtype, progress=progress)
    staging = Path(staging) if staging is not None else staging_dir.default_staging(image, persona)
    staging_dir.drop_orphans(staging / "staged", image)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True, exist_ok=True)
    try:
        config, names = inspect_model_dir(converted)
        # the conversion is BAT OS's own file: linked, not copied
        return _import_from(image, persona, converted, True, source, None, config, names, quantize, progress, staging,
                            now, provenance=info.provenance(source))
    finally:
        staging_dir.clean(staging, keep_download=False)


def _store_gguf(
    image: Any, persona: str, source: str, path: Path, *, progress: ProgressFactory | None, staging: Path | None,
    now: Callable[[], float], owned: bool,
) -> ImportResult:
    """A GGUF file for llama.cpp: checked (its header here, a load in a child process), then stored as it is,
    one blob (``model.gguf``); the same file stored before, for any persona, is shared."""
    before = signature(path)
    info = gguf.inspect(path, progress=progress, for_transformers=False)
    key = content_digest([(GGUF_NAME, info.sha256)])
    if image.read(lambda: _has_model(image.connection.root(), key)):
        return _commit(image, persona, key, [], None, now)
    gguf_probe.probe(path)
    staging = Path(staging) if staging is not None else staging_dir.default_staging(image, persona)
    staging_dir.drop_orphans(staging / "staged", image)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True, exist_ok=True)
    try:
        hashed = [Staged(GGUF_NAME, path, info.size, info.sha256, before)]
        if owned:  # BAT OS's own file (the embedded model in the cache): a hard link, no copy
            (staging / "staged").mkdir()
            link_or_copy(path, staging / "staged" / GGUF_NAME)
            if signature(path) != before:
                raise ModelError(f"{path} changed while it was being imported; run the import again")
            staged = [Staged(GGUF_NAME, staging / "staged" / GGUF_NAME, info.size, info.sha256)]
        else:
            staged = copy_staged(hashed, staging / "staged", progress, f"copying {persona}")
        fields = {
            "source": source, "revision": None, "dtype": None, "quantization": {"method": "gguf", "type": info.quantization},
            "architecture": info.architecture, "source_digest": key, "provenance": info.provenance(source),
            "format": engines.GGUF,
        }
        return _commit(image, persona, key, staged, fields, now, staging / "consume")
    finally:
        staging_dir.clean(staging, keep_download=False)


def _converted_from(root: Any, sha256: str, dtype: str) -> str | None:
    store = store_of(root, create=False)
    if store is None:
        return None
    for key, record in store.models.items():
        provenance = record.provenance or {}
        if record.format == engines.HF and provenance.get("sha256") == sha256 and provenance.get("dtype", record.dtype) == dtype:
            return key
    return None


def _import_from(
    image: Any, persona: str, origin: Path, owned: bool, source: str, revision: str | None, config: dict,
    names: list[str], quantize: str | None, progress: ProgressFactory | None, staging: Path, now: Callable[[], float],
    *, provenance: dict | None = None,
) -> ImportResult:
    quantization = quantization_of(config)
    quantized_here = quantize is not None and quantization is None and (quantize == "4bit" or cuda_available())
    source_digest = None
    if quantized_here:
        hashed = hash_in_place(origin, names, progress, f"hashing {persona}'s source")
        source_digest = content_digest((h.name, h.sha256) for h in hashed)
        known = image.read(lambda: _quantized_from(image.connection.root(), source_digest))
        if known is not None:  # this source was quantized before: reuse that record, no GPU work
            return _commit(image, persona, known, [], None, now)
        bar = open_bar(progress, f"quantizing {persona} to 4-bit nf4", None)
        try:
            quantization = quantize_4bit(origin, staging / "quantized")
        except Exception as exc:  # CUDA out of memory, an architecture bitsandbytes cannot take...
            raise ModelError(f"4-bit quantization of {source} failed: {one_line(exc)}; import with quantize=None") from exc
        finally:
            bar.close()
        origin, owned = staging / "quantized", True
        config, names = inspect_model_dir(origin)
    if owned:  # link, then hash the links: what is hashed is what will be stored
        staged = link_staged(origin, names, staging / "staged", progress, f"hashing {persona}")
    else:  # hash in place first: an unchanged or shared model is never copied
        staged = hash_in_place(origin, names, progress, f"hashing {persona}")
    key = content_digest((s.name, s.sha256) for s in staged)
    if image.read(lambda: _has_model(image.connection.root(), key)):
        return _commit(image, persona, key, [], None, now)
    if not owned:
        staged = copy_staged(staged, staging / "staged", progress, f"copying {persona}")
    fields = {
        "source": source, "revision": revision, "dtype": dtype_of(config, staged), "quantization": quantization,
        "architecture": architecture_of(config), "source_digest": source_digest or key,
    }
    if provenance is not None:
        fields["provenance"] = {**provenance, "dtype": fields["dtype"]}
    return _commit(image, persona, key, staged, fields, now, staging / "consume")


def _has_model(root: Any, key: str) -> bool:
    store = store_of(root, create=False)
    return store is not None and key in store.models


def _quantized_from(root: Any, source_digest: str) -> str | None:
    store = store_of(root, create=False)
    if store is None:
        return None
    for key, record in store.models.items():
        if record.source_digest == source_digest and key != source_digest:
            return key
    return None


def _commit(
    image: Any, persona: str, key: str, staged: list[Staged], fields: dict | None, now: Callable[[], float],
    consume_dir: Path | None = None,
) -> ImportResult:
    """The one transaction: point ``persona`` at ``key``, creating its record from ``staged`` if new."""

    def work() -> ImportResult:
        root = image.connection.root()
        store = store_of(root)
        assert store is not None
        previous = store.personas.get(persona)
        record = store.models.get(key)
        unchanged = previous == key and record is not None
        if record is None:
            if fields is None or consume_dir is None:
                raise ModelError(f"the stored model {key[:12]} vanished during the import; run it again")
            record = _new_record(image.connection, key, staged, fields, now(), consume_dir)
            store.models[key] = record
        if not unchanged:
            store.personas[persona] = key
            if previous is not None and previous not in set(store.personas.values()):
                store.models.pop(previous, None)  # no persona uses it any more
        return ImportResult(
            persona, key, record.source, record.revision, tuple(sorted(record.files)), record.total_size,
            record.dtype, dict(record.quantization) if record.quantization else None,
            None if unchanged or previous == key else previous, unchanged,
        )

    result = image.run(work, note=f"models: {persona} -> {key[:12]}")
    if result.unchanged:
        logger.info("%s already has %s (%s): nothing changed", persona, result.source, key[:12])
    else:
        logger.info(
            "%s now has %s (%s, %d files, %.1f MiB)%s", persona, result.source, key[:12], len(result.files),
            result.total_size / 2**20, f"; it replaced {result.replaced[:12]}" if result.replaced else "",
        )
    return result


def _new_record(connection: Any, key: str, staged: list[Staged], fields: dict, imported_at: float, consume_dir: Path) -> ModelRecord:
    files = PersistentMapping()
    for item in staged:
        # consumeFile renames its file away and an abort deletes it; consuming a second link
        # keeps <staging>/staged intact, so a retried transaction just links again.
        consumed = consume_dir / item.name
        consumed.parent.mkdir(parents=True, exist_ok=True)
        if consumed.exists():
            consumed.unlink()
        if not item.path.is_file() or item.path.stat().st_size != item.size:
            raise ModelError(f"staged file {item.path} disappeared or changed during the import; run it again")
        link_or_copy(item.path, consumed)
        blob = Blob()
        connection.add(blob)  # so its temporary file is in the blob directory: consumeFile is a rename
        blob.consumeFile(str(consumed))
        files[item.name] = StoredFile(item.name, blob, item.size, item.sha256)
    return ModelRecord(key=key, files=files, imported_at=imported_at, **fields)


def _persona(persona: str) -> str:
    if not isinstance(persona, str) or persona.upper() not in PERSONAS:
        raise ModelError(f"persona must be one of {', '.join(PERSONAS)}, not {persona!r}")
    return persona.upper()


def _resolve_source(source: str | os.PathLike) -> tuple[Path | None, str | None]:
    text = os.fspath(source)
    path = Path(text).expanduser()
    if path.is_dir():
        return path.resolve(), None
    if path.exists():
        raise ModelError(f"{text} is a file that is not a GGUF model; give a model directory, a .gguf file or a Hugging Face id")
    if _REPO_ID.match(text) and "--" not in text and ".." not in text:
        return None, text
    raise ModelError(f"{text} is neither an existing directory nor a Hugging Face id (like Qwen/Qwen2.5-3B-Instruct)")


# --- sharing, removing and listing ------------------------------------------------------------


def share_model(image: Any, persona: str, source: str, now: Callable[[], float] = time.time) -> ImportResult | None:
    """Point ``persona`` at a stored model imported from ``source`` (by another persona); None if there is none."""
    persona = _persona(persona)

    def find() -> str | None:
        store = store_of(image.connection.root(), create=False)
        if store is None:
            return None
        return next((key for key, record in store.models.items() if record.source == source), None)

    key = image.read(find)
    return None if key is None else _commit(image, persona, key, [], None, now)


def remove_model(image: Any, persona: str) -> bool:
    """Forget ``persona``'s model in one transaction (the record too when no persona uses it). False: it had none."""
    persona = _persona(persona)

    def work() -> bool:
        store = store_of(image.connection.root(), create=False)
        if store is None or persona not in store.personas:
            return False
        key = store.personas.pop(persona)
        if key not in set(store.personas.values()):
            store.models.pop(key, None)
        return True

    removed = image.run(work, note=f"models: remove {persona}")
    logger.info("%s: model %s", persona, "removed" if removed else "was not there")
    return removed


def list_models(image: Any, engine_of: Callable[[str, bool], str] | None = None) -> list[dict]:
    """One ``kind: "model"`` entry per persona with a model, then one ``kind: "adapter"`` entry per adapter.
    ``engine_of(format, adapter)`` names the engine that runs each persona's model (``engine``)."""
    def read() -> list[dict]:
        store = store_of(image.connection.root(), create=False)
        if store is None:
            return []
        users: dict[str, list[str]] = defaultdict(list)
        for persona, key in store.personas.items():
            users[key].append(persona)
        entries: list[dict] = []
        for persona, key in store.personas.items():
            record = store.models.get(key)
            if record is None:
                continue
            codex = root_obj.slots.get("codex") if (root_obj := image.connection.root().get(PERSONAS[persona]["root"])) else None
            adapter = bool(codex and codex.get("lora_adapter") in store.adapters
                           and "gguf" not in store.adapters[codex["lora_adapter"]].forms())  # PEFT only: transformers
            entries.append({
                "kind": "model", "persona": persona, "key": key, "source": record.source, "revision": record.revision,
                "format": record.format, "engine": engine_of(record.format, adapter) if engine_of else None,
                "dtype": record.dtype, "quantization": dict(record.quantization) if record.quantization else None,
                "architecture": record.architecture, "total_size": record.total_size, "files": len(record.files),
                "manifest": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in record.files.values()],
                "shared_with": [p for p in users[key] if p != persona], "imported_at": record.imported_at,
                "provenance": dict(record.provenance) if record.provenance else None,
            })
        for name, adapter in store.adapters.items():
            entries.append({
                "kind": "adapter", "name": name, "base": adapter.base, "size": adapter.total_size,
                "files": len(adapter.files), "sha256": adapter.sha256, "imported_at": adapter.imported_at,
                "forms": adapter.forms(),
            })
        return entries

    return image.read(read)



__all__ = ["ImportResult", "import_model", "list_models", "remove_model", "share_model"]

"""LoRA adapters in the image: importing one (a PEFT adapter directory, a GGUF adapter file), syncing a folder of them.

An adapter is stored under a lower-case name in ``ModelStore.adapters`` as an
:class:`~bat_os.models.records.AdapterRecord` whose ``sha256`` is the content
digest of its files. Adapters are small: their files are copied into new blobs
inside ONE transaction (each copy checked against the sha256 taken before it),
so a kill leaves the previous adapter, or none, and never a mix.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any, Callable

from persistent.mapping import PersistentMapping
from ZODB.blob import Blob

from bat_os.errors import ModelError
from bat_os.models.files import CHUNK, content_digest, sha256_file
from bat_os.models.lora_gguf import GGUF_FILE
from bat_os.models.lora_gguf import check as check_gguf
from bat_os.models.model_dir import collect
from bat_os.models.records import AdapterRecord, StoredFile, store_of

logger = logging.getLogger(__name__)

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
_ADAPTER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def import_adapter(image: Any, name: str, source: str | os.PathLike, *, now: Callable[[], float] = time.time) -> bool:
    """Store the adapter at ``source`` as ``name``; True when stored or changed, False when unchanged.

    ``source`` is a PEFT adapter directory (``adapter_config.json`` and ``adapter_model.safetensors``, with its
    llama.cpp form ``adapter.gguf`` beside them where one was made), or a GGUF adapter file alone (llama.cpp's
    form only). Adapters are small: their files are copied into the blobs (the user's files are not linked)."""
    name = name.lower()
    if not _ADAPTER_NAME.match(name):
        raise ModelError(f"adapter name {name!r} must be letters, digits, '.', '_' or '-'")
    files, base = _adapter_files(name, Path(source))
    hashed = [(n, path.stat().st_size, sha256_file(path)) for n, path in files]
    digest = content_digest((n, sha) for n, _, sha in hashed)

    def work() -> bool:
        store = store_of(image.connection.root())
        assert store is not None
        current = store.adapters.get(name)
        if current is not None and current.sha256 == digest:
            return False
        stored = PersistentMapping()
        for n, size, sha in hashed:
            blob = Blob()
            image.connection.add(blob)
            copied = hashlib.sha256()
            with open(dict(files)[n], "rb") as src, blob.open("w") as dst:
                while block := src.read(CHUNK):
                    copied.update(block)
                    dst.write(block)
            if copied.hexdigest() != sha:
                raise ModelError(f"adapter {name}: {n} changed while it was being stored; run the import again")
            stored[n] = StoredFile(n, blob, size, sha)
        store.adapters[name] = AdapterRecord(name, base, stored, digest, now())
        return True

    changed = image.run(work, note=f"models: adapter {name}")
    logger.info("adapter %s %s (%s)", name, "stored" if changed else "unchanged", digest[:12])
    return changed


def _adapter_files(name: str, source: Path) -> tuple[list[tuple[str, Path]], str | None]:
    """(the files to store as (name in the record, path), the base model the PEFT config names)."""
    if source.is_file() and source.suffix == ".gguf":
        check_gguf(source)
        return [(GGUF_FILE, source)], None
    if not source.is_dir():
        raise ModelError(f"adapter {name}: {source} is neither a PEFT adapter directory nor a GGUF adapter file")
    files = collect(source)  # (weights other than safetensors are left out: the adapter's GGUF form is taken here)
    if (source / GGUF_FILE).is_file():
        check_gguf(source / GGUF_FILE)
        files.append((GGUF_FILE, source / GGUF_FILE))
    names = [n for n, _ in files]
    missing = [required for required in ADAPTER_FILES if required not in names]
    if missing and GGUF_FILE in names and len(missing) == len(ADAPTER_FILES):
        return files, None  # llama.cpp's form alone
    if missing:
        pickled = " (only safetensors weights are imported)" if (source / "adapter_model.bin").exists() else ""
        raise ModelError(
            f"adapter {name}: {source} has no {' and no '.join(missing)}{pickled};"
            f" a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors (or a {GGUF_FILE})"
        )
    try:
        config = json.loads((source / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"adapter {name}: adapter_config.json cannot be read: {exc}") from exc
    return files, config.get("base_model_name_or_path") if isinstance(config, dict) else None


def sync_adapters(image: Any, folder: str | os.PathLike) -> dict[str, str]:
    """Import every adapter subfolder of ``folder``: name -> "stored" | "unchanged" | why it was refused.

    A subfolder holding adapter_config.json, adapter_model.safetensors or adapter.gguf is an adapter named
    after it (lower-case); other subfolders and plain files (README.md) are ignored."""
    folder = Path(folder)
    results: dict[str, str] = {}
    if not folder.is_dir():
        logger.info("no adapter folder at %s", folder)
        return results
    for sub in sorted(folder.iterdir()):
        if sub.name.startswith(".") or not sub.is_dir() or not any((sub / f).exists() for f in (*ADAPTER_FILES, GGUF_FILE)):
            continue
        name = sub.name.lower()
        try:
            results[name] = "stored" if import_adapter(image, name, sub) else "unchanged"
        except ModelError as exc:
            logger.warning("adapter %s refused: %s", name, exc)
            results[name] = str(exc)
    return results


__all__ = ["ADAPTER_FILES", "import_adapter", "sync_adapters"]

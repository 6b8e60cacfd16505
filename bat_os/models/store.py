"""Persona models and LoRA adapters, stored in the image as ZODB blobs.

In the image, ``root["batos_models"]`` is a :class:`ModelStore`::

    models    OOBTree  key -> ModelRecord      key: sha256 over the sorted (file name, file sha256) pairs
    personas  OOBTree  "ALFRED" -> key         personas whose files are identical share ONE record
    adapters  OOBTree  "alfred" -> AdapterRecord

Importing a model (:func:`import_model`), step by step, and what a kill -9 at
that step leaves behind (``<staging>`` is ``<image dir>/<image stem>.staging/<PERSONA>``)::

    resolve   a local directory is read in place; a hub id is
              downloaded into <staging>/download       kill: the hub client resumes it next time
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
and the new one after it; never a mix.

Why a user's files are copied, not hard-linked, by default: a hard link
shares the inode with the blob, and ZODB marks committed blobs read-only by
chmod, which would change the user's file (a 0o600 file becomes 0o444:
world-readable); and a later in-place rewrite of that file (``open(p, "wb")``,
``safetensors.save_file``) would rewrite the stored model. ``link_source=True``
accepts both for speed and disk space.

Replaced models' blob files stay on disk until the image is packed.

Loading (the model manager, on the event-loop thread) reads no weights:
:func:`link_files` symlinks the committed blob files under their original
names into a private directory for ``from_pretrained`` (hard links where
symlinks need a privilege, as on Windows); :func:`verify` checks
their sha256 (cached by path, size and mtime), and :func:`committed_files`
gives the plain data to run that check on another thread.

torch, transformers and bitsandbytes are imported only inside
:func:`cuda_available` and :func:`quantize_4bit`; huggingface_hub only when
something is downloaded.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Mapping, Protocol

from persistent.mapping import PersistentMapping
from ZODB.blob import Blob
from ZODB.POSException import POSError

from bat_os.errors import DownloadFailed, ModelError, ModelUnavailable
from bat_os.models.records import AdapterRecord, ModelRecord, ModelStore, StoredFile, ensure_store, persona_record, store_of
from bat_os.image.primordial import PERSONAS

logger = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes read at a time when hashing
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")  # never imported: loading them runs code
OTHER_WEIGHT_SUFFIXES = (".gguf", ".onnx", ".h5", ".msgpack", ".tflite", ".ot")  # other runtimes' copies: skipped
HUB_IGNORE = [f"*{suffix}" for suffix in PICKLE_SUFFIXES + OTHER_WEIGHT_SUFFIXES] + ["original/*"]
QUANTIZE_CHOICES = ("auto", "4bit", None)
NF4 = {"method": "bitsandbytes", "bits": 4, "quant_type": "nf4", "double_quant": True, "compute_dtype": "bfloat16"}
LOCAL_HINT = "import from a local directory: python batos.py models import {persona} DIR"
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_ADAPTER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def content_digest(pairs: Any) -> str:
    """sha256 over the sorted (name, sha256) pairs: equal for identical files under identical names."""
    digest = hashlib.sha256()
    for name, sha in sorted(pairs):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()


# --- progress bars ------------------------------------------------------------------------


class ProgressBar(Protocol):
    def update(self, n: int) -> Any: ...

    def close(self) -> Any: ...


ProgressFactory = Callable[[str, "int | None"], ProgressBar]


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(progress: ProgressFactory | None, description: str, total: int | None) -> ProgressBar:
    return progress(description, total) if progress is not None else _NoBar()


def tqdm_progress(stream: Any = None) -> ProgressFactory:
    """The CLI's progress factory: one tqdm byte bar per step, on ``stream`` (stderr by default)."""

    def factory(description: str, total: int | None) -> ProgressBar:
        from tqdm import tqdm

        return tqdm(total=total, desc=description, unit="B", unit_scale=True, unit_divisor=1024, file=stream or sys.stderr)

    return factory


def _tqdm_class(progress: ProgressFactory | None) -> type:
    """A tqdm class for huggingface_hub that draws nothing itself and forwards to ``progress``."""
    from tqdm import tqdm

    class Forwarding(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self._forward = _bar(progress, str(kwargs.get("desc") or "downloading"), kwargs.get("total") or None)

        def update(self, n: Any = 1) -> None:
            self._forward.update(int(n or 0))

        def close(self) -> None:
            forward, self._forward = getattr(self, "_forward", None), _NoBar()
            if forward is not None:
                forward.close()
            super().close()

    return Forwarding


# --- hashing ------------------------------------------------------------------------------


def sha256_file(path: str | os.PathLike, on_bytes: Callable[[int], Any] | None = None) -> str:
    """The file's sha256, read in 1 MiB chunks; ``on_bytes(n)`` after each chunk (a progress bar)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            if on_bytes is not None:
                on_bytes(len(block))
    return digest.hexdigest()


# --- the hub ------------------------------------------------------------------------------


class Hub(Protocol):
    """Downloads a model repository; returns (directory, commit sha). Any exception means it failed."""

    def download(self, repo_id: str, revision: str | None, dest: Path, progress: ProgressFactory | None) -> tuple[Path, str]: ...


@dataclass(frozen=True)
class HuggingFaceHub:
    """The Hugging Face hub through ``huggingface_hub`` (imported on first use)."""

    timeout: float = 10.0  # seconds for each metadata request (and each file's etag check)
    environ: Mapping[str, str] | None = None  # None: os.environ, read at each call

    def download(self, repo_id: str, revision: str | None, dest: Path, progress: ProgressFactory | None) -> tuple[Path, str]:
        environ = os.environ if self.environ is None else self.environ
        if environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
            raise ConnectionError("HF_HUB_OFFLINE is set, so the hub is not contacted")
        from huggingface_hub import HfApi, snapshot_download

        commit = HfApi().repo_info(repo_id, revision=revision, timeout=self.timeout).sha
        if not commit:
            raise ConnectionError(f"the hub named no commit for revision {revision or 'main'}")
        # Pinned to the commit: a resumed download cannot mix two revisions. Files already in
        # ``dest`` (a killed earlier run) are checked and kept, partial ones continued.
        path = snapshot_download(
            repo_id, revision=commit, local_dir=dest, etag_timeout=self.timeout,
            ignore_patterns=HUB_IGNORE, tqdm_class=_tqdm_class(progress),
        )
        return Path(path), commit


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= 240 else text[:237] + "..."


# --- GPU quantization (needs CUDA; not exercised by the CPU test suite) ----------------------


def cuda_available() -> bool:
    """True when torch sees a CUDA device and bitsandbytes is installed (imports torch: seconds)."""
    import importlib.util

    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("bitsandbytes") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def quantize_4bit(src_dir: Path, dst_dir: Path) -> dict:
    """Load ``src_dir`` on the GPU in 4-bit nf4 (double quant, bf16 compute), save it into ``dst_dir``
    with every non-weight file of ``src_dir`` (tokenizer, chat template...) copied alongside.
    Returns the quantization as recorded."""
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    config = BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
    if dst_dir.exists():
        shutil.rmtree(dst_dir)
    model = AutoModelForCausalLM.from_pretrained(
        str(src_dir), quantization_config=config, device_map={"": 0}, local_files_only=True
    )
    try:
        model.save_pretrained(str(dst_dir), safe_serialization=True)
    finally:
        del model
        gc.collect()
        torch.cuda.empty_cache()
    for name, path in _collect(src_dir):
        target = dst_dir / name
        if name == "config.json" or _is_weights(name) or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return dict(NF4)


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


@dataclass(frozen=True)
class _Staged:
    name: str
    path: Path  # the file to store: under <staging>/staged once staged (a copy or a hard link)
    size: int
    sha256: str
    signature: tuple = ()  # (size, mtime_ns, device, inode) of a user's file when it was hashed


def default_staging(image: Any, persona: str) -> Path:
    return image.path.with_name(image.path.stem + ".staging") / persona


def import_model(
    image: Any, persona: str, source: str | os.PathLike, *, revision: str | None = None,
    quantize: str | None = "auto", progress: ProgressFactory | None = None, staging: Path | None = None,
    hub: Hub | None = None, now: Callable[[], float] = time.time, link_source: bool = False,
) -> ImportResult:
    """Store SOURCE (a local model directory or a hub repo id) as PERSONA's model. See the module docstring.

    ``link_source``: hard-link a local directory's files instead of copying them (see above)."""
    persona = _persona(persona)
    if quantize not in QUANTIZE_CHOICES:
        raise ModelError(f"quantize must be 'auto', '4bit' or None, not {quantize!r}")
    staging = Path(staging) if staging is not None else default_staging(image, persona)
    local, repo_id = _resolve_source(source)
    if local is not None and revision is not None:
        raise ModelError("a revision applies to a Hugging Face id, not to a local directory")
    if local is not None:
        _refuse_overlap(staging, local)
    if quantize == "4bit" and not cuda_available():
        raise ModelError("4-bit quantization needs a CUDA GPU with bitsandbytes; import with quantize=None to keep the weights as they are")
    _drop_orphans(staging / "staged", image)
    for stale in ("staged", "consume", "quantized"):  # left by a killed run: rebuilt
        shutil.rmtree(staging / stale, ignore_errors=True)
    staging.mkdir(parents=True, exist_ok=True)
    keep_download = True  # a failed or interrupted download is resumed by the next run...
    try:
        if repo_id is not None:
            origin, revision = _download(hub or HuggingFaceHub(), persona, repo_id, revision, staging / "download", progress)
            source_name = repo_id
        else:
            assert local is not None
            origin, source_name = local, str(local)
        try:
            config, names = _inspect_model_dir(origin)
        except ModelError:
            keep_download = False  # ...but what was refused is not worth keeping
            raise
        # files that may share their inode with the blobs: what BAT OS downloaded, or what the user allows
        owned = link_source or _is_within(origin, staging)
        result = _import_from(
            image, persona, origin, owned, source_name, revision, config, names, quantize, progress, staging, now
        )
        keep_download = False
    finally:
        _clean(staging, keep_download)
    return result


def _import_from(
    image: Any, persona: str, origin: Path, owned: bool, source: str, revision: str | None, config: dict,
    names: list[str], quantize: str | None, progress: ProgressFactory | None, staging: Path, now: Callable[[], float],
) -> ImportResult:
    quantization = _quantization_of(config)
    quantized_here = quantize is not None and quantization is None and (quantize == "4bit" or cuda_available())
    source_digest = None
    if quantized_here:
        hashed = _hash(origin, names, progress, f"hashing {persona}'s source")
        source_digest = content_digest((h.name, h.sha256) for h in hashed)
        known = image.read(lambda: _quantized_from(image.connection.root(), source_digest))
        if known is not None:  # this source was quantized before: reuse that record, no GPU work
            return _commit(image, persona, known, [], None, now)
        bar = _bar(progress, f"quantizing {persona} to 4-bit nf4", None)
        try:
            quantization = quantize_4bit(origin, staging / "quantized")
        except Exception as exc:  # CUDA out of memory, an architecture bitsandbytes cannot take...
            raise ModelError(f"4-bit quantization of {source} failed: {_one_line(exc)}; import with quantize=None") from exc
        finally:
            bar.close()
        origin, owned = staging / "quantized", True
        config, names = _inspect_model_dir(origin)
    if owned:  # link, then hash the links: what is hashed is what will be stored
        staged = _link_staged(origin, names, staging / "staged", progress, f"hashing {persona}")
    else:  # hash in place first: an unchanged or shared model is never copied
        staged = _hash(origin, names, progress, f"hashing {persona}")
    key = content_digest((s.name, s.sha256) for s in staged)
    if image.read(lambda: _has_model(image.connection.root(), key)):
        return _commit(image, persona, key, [], None, now)
    if not owned:
        staged = _copy_staged(staged, staging / "staged", progress, f"copying {persona}")
    fields = {
        "source": source, "revision": revision, "dtype": _dtype_of(config, staged), "quantization": quantization,
        "architecture": _architecture_of(config), "source_digest": source_digest or key,
    }
    return _commit(image, persona, key, staged, fields, now, staging / "consume")


def _has_model(root: Any, key: str) -> bool:
    store = store_of(root, create=False)
    return store is not None and key in store.models


def _commit(
    image: Any, persona: str, key: str, staged: list[_Staged], fields: dict | None, now: Callable[[], float],
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


def _new_record(connection: Any, key: str, staged: list[_Staged], fields: dict, imported_at: float, consume_dir: Path) -> ModelRecord:
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
        _link_or_copy(item.path, consumed)
        blob = Blob()
        connection.add(blob)  # so its temporary file is in the blob directory: consumeFile is a rename
        blob.consumeFile(str(consumed))
        files[item.name] = StoredFile(item.name, blob, item.size, item.sha256)
    return ModelRecord(key=key, files=files, imported_at=imported_at, **fields)


def _download(
    hub: Hub, persona: str, repo_id: str, revision: str | None, dest: Path, progress: ProgressFactory | None,
) -> tuple[Path, str | None]:
    dest.mkdir(parents=True, exist_ok=True)
    try:
        path, commit = hub.download(repo_id, revision, dest, progress)
    except Exception as exc:  # translated once, here: whatever the hub client raised
        reason = _one_line(exc)
        first = repo_id.split("/")[0]
        if "/" in repo_id and Path(first).is_dir():  # "models/qwen" with a models/ here: a mistyped path?
            reason += f" (and there is no local directory {repo_id})"
        raise DownloadFailed(
            f"cannot download {repo_id} from the Hugging Face hub: {reason}; {LOCAL_HINT.format(persona=persona)}"
        ) from exc
    logger.info("downloaded %s at %s into %s", repo_id, commit, path)
    return Path(path), commit


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
        raise ModelError(f"{text} is a file; give a model directory or a Hugging Face id")
    if _REPO_ID.match(text) and "--" not in text and ".." not in text:
        return None, text
    raise ModelError(f"{text} is neither an existing directory nor a Hugging Face id (like Qwen/Qwen2.5-3B-Instruct)")


def _refuse_overlap(staging: Path, source: Path) -> None:
    if _is_within(staging, source) or _is_within(source, staging):
        raise ModelError(f"the staging directory {staging} must not overlap the model directory {source}")


def _drop_orphans(staged: Path, image: Any) -> None:
    """Remove the uncommitted blob files a run killed inside its transaction left in the storage's
    temporary directory: those sharing an inode with that run's staged files, and any file there older
    than this process's hold on the image (its ``.lock`` is rewritten when a storage opens it), such
    as the empty file ZODB creates just before it renames a consumed file in."""
    temporary = getattr(image.storage, "temporaryDirectory", None)
    if temporary is None or not os.path.isdir(temporary()):
        return
    inodes = set()
    if staged.is_dir():
        inodes = {(st.st_dev, st.st_ino) for st in (p.stat() for p in staged.rglob("*") if p.is_file())}
    try:
        opened = os.stat(f"{image.path}.lock").st_mtime_ns
    except OSError:
        opened = 0
    dropped = 0
    for entry in os.scandir(temporary()):
        if not entry.is_file(follow_symlinks=False):
            continue
        st = entry.stat(follow_symlinks=False)
        if (st.st_dev, st.st_ino) in inodes or st.st_mtime_ns <= opened:  # (a coarse clock may tie)
            os.unlink(entry.path)
            dropped += 1
    if dropped:
        logger.info("removed %d uncommitted blob files left by an interrupted import", dropped)


def _is_within(path: Path, directory: Path) -> bool:
    path, directory = path.resolve(), directory.resolve()
    return path == directory or directory in path.parents


def _clean(staging: Path, keep_download: bool) -> None:
    download = staging / "download"
    if keep_download and download.is_dir() and any(download.iterdir()):
        for child in staging.iterdir():
            if child.name == "download":
                continue
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink()
        return
    shutil.rmtree(staging, ignore_errors=True)
    if staging.parent.name.endswith(".staging"):
        try:
            staging.parent.rmdir()  # the shared <stem>.staging, once no persona is staging
        except OSError:
            pass


# --- reading a model directory -----------------------------------------------------------------


def _is_weights(name: str) -> bool:
    return name.endswith(".safetensors") or name.endswith(".safetensors.index.json")


def _collect(directory: Path) -> list[tuple[str, Path]]:
    """(relative posix name, path) of every regular file, hidden ones and non-safetensors weights left out."""
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            name = path.relative_to(directory).as_posix()
            if filename.startswith(".") or not path.is_file():
                continue
            if filename.endswith(PICKLE_SUFFIXES + OTHER_WEIGHT_SUFFIXES):
                logger.info("skipping %s: only safetensors weights are imported", name)
                continue
            found.append((name, path))
    return found


def _inspect_model_dir(directory: Path) -> tuple[dict, list[str]]:
    files = _collect(directory)
    names = [name for name, _ in files]
    problems = []
    if "config.json" not in names:
        problems.append("config.json")
    if not any(name.endswith(".safetensors") for name in names):
        pickles = sorted(p.name for p in directory.rglob("*") if p.name.endswith(PICKLE_SUFFIXES))
        if pickles:
            raise ModelError(
                f"only safetensors weights are imported, and {directory} has {', '.join(pickles[:3])}"
                " (pickled weights run code when loaded); save the model with safe_serialization=True"
            )
        problems.append("weights (*.safetensors)")
    if not any(name in TOKENIZER_FILES for name in names):
        problems.append("a tokenizer (tokenizer.json or tokenizer.model)")
    if problems:
        raise ModelError(f"{directory} cannot be imported as a model: it has no {', no '.join(problems)}")
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{directory / 'config.json'} cannot be read: {exc}") from exc
    if not isinstance(config, dict):
        raise ModelError(f"{directory / 'config.json'} is not a JSON object")
    return config, names


def _quantization_of(config: dict) -> dict | None:
    """The quantization a (pre-quantized) checkpoint declares in config.json, or None."""
    qc = config.get("quantization_config")
    if not isinstance(qc, dict):
        return None
    method = str(qc.get("quant_method", "unknown"))
    bits = qc.get("bits") or (4 if qc.get("load_in_4bit") else 8 if qc.get("load_in_8bit") else None)
    found: dict[str, Any] = {"method": method, "bits": bits}
    if method == "bitsandbytes" and bits == 4:
        found.update(
            quant_type=qc.get("bnb_4bit_quant_type"), double_quant=qc.get("bnb_4bit_use_double_quant"),
            compute_dtype=qc.get("bnb_4bit_compute_dtype"),
        )
    return found


def _architecture_of(config: dict) -> str | None:
    architectures = config.get("architectures")
    if isinstance(architectures, list) and architectures:
        return str(architectures[0])
    return config.get("model_type")


_SAFETENSORS_DTYPES = {"BF16": "bfloat16", "F16": "float16", "F32": "float32", "F64": "float64", "U8": "uint8", "I8": "int8"}


def _dtype_of(config: dict, staged: list[_Staged]) -> str | None:
    dtype = config.get("dtype") or config.get("torch_dtype")
    if dtype:
        return str(dtype)
    counts: dict[str, int] = defaultdict(int)  # else: the dtype holding most tensors in the safetensors headers
    for item in staged:
        if item.name.endswith(".safetensors"):
            try:
                with open(item.path, "rb") as fh:
                    header = json.loads(fh.read(int.from_bytes(fh.read(8), "little")))
            except (OSError, ValueError):
                continue
            for name, tensor in header.items():
                if name != "__metadata__" and isinstance(tensor, dict):
                    counts[str(tensor.get("dtype"))] += 1
    if not counts:
        return None
    top = max(counts, key=counts.__getitem__)
    return _SAFETENSORS_DTYPES.get(top, top.lower())


# --- staging ---------------------------------------------------------------------------------


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP):
            raise
        logger.info("cannot hard-link %s into %s (%s): copying it", src, dst.parent, exc.strerror)
        shutil.copyfile(src, dst)


def _signature(path: Path) -> tuple:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino)


def _hash(directory: Path, names: list[str], progress: ProgressFactory | None, label: str) -> list[_Staged]:
    """Hash each file where it is (one progress bar over all bytes)."""
    signatures = {name: _signature(directory / name) for name in names}
    bar = _bar(progress, label, sum(sig[0] for sig in signatures.values()))
    try:
        return [
            _Staged(name, directory / name, signatures[name][0], sha256_file(directory / name, bar.update), signatures[name])
            for name in names
        ]
    finally:
        bar.close()


def _link_staged(origin: Path, names: list[str], dest: Path, progress: ProgressFactory | None, label: str) -> list[_Staged]:
    """Hard-link BAT OS's own files (a download, a quantization) into ``dest`` and hash the links."""
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(origin / name, dest / name)
    return _hash(dest, names, progress, label)


def _copy_staged(hashed: list[_Staged], dest: Path, progress: ProgressFactory | None, label: str) -> list[_Staged]:
    """Copy a user's hashed files into ``dest`` (a reflink where the file system has them); a file whose
    size, mtime or inode moved since it was hashed is refused: it changed during the import."""
    bar = _bar(progress, label, sum(item.size for item in hashed))
    staged = []
    try:
        for item in hashed:
            target = dest / item.name
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy(item.path, target)
            if _signature(item.path) != item.signature or target.stat().st_size != item.size:
                raise ModelError(f"{item.path} changed while it was being imported; run the import again")
            staged.append(_Staged(item.name, target, item.size, item.sha256))
            bar.update(item.size)
    finally:
        bar.close()
    return staged


def _copy(src: Path, dst: Path) -> None:
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        if _reflink(fin.fileno(), fout.fileno()):
            return
    shutil.copyfile(src, dst)  # sendfile: the bytes stay in the kernel


def _reflink(src_fd: int, dst_fd: int) -> bool:
    """A copy-on-write clone (btrfs, xfs, bcachefs...): instant and no extra space; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    import fcntl

    try:
        fcntl.ioctl(dst_fd, 0x40049409, src_fd)  # FICLONE
    except OSError:
        return False
    return True


def _quantized_from(root: Any, source_digest: str) -> str | None:
    store = store_of(root, create=False)
    if store is None:
        return None
    for key, record in store.models.items():
        if record.source_digest == source_digest and key != source_digest:
            return key
    return None


# --- removing and listing ---------------------------------------------------------------------


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


def list_models(image: Any) -> list[dict]:
    """One ``kind: "model"`` entry per persona with a model, then one ``kind: "adapter"`` entry per adapter."""

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
            entries.append({
                "kind": "model", "persona": persona, "key": key, "source": record.source, "revision": record.revision,
                "dtype": record.dtype, "quantization": dict(record.quantization) if record.quantization else None,
                "architecture": record.architecture, "total_size": record.total_size, "files": len(record.files),
                "manifest": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in record.files.values()],
                "shared_with": [p for p in users[key] if p != persona], "imported_at": record.imported_at,
            })
        for name, adapter in store.adapters.items():
            entries.append({
                "kind": "adapter", "name": name, "base": adapter.base, "size": adapter.total_size,
                "files": len(adapter.files), "sha256": adapter.sha256, "imported_at": adapter.imported_at,
            })
        return entries

    return image.read(read)


# --- adapters ---------------------------------------------------------------------------------

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def import_adapter(image: Any, name: str, directory: str | os.PathLike, *, now: Callable[[], float] = time.time) -> bool:
    """Store the PEFT adapter in ``directory`` as ``name``; True when stored or changed, False when unchanged.

    Adapters are small: their files are copied into the blobs (the user's files are not linked)."""
    name = name.lower()
    if not _ADAPTER_NAME.match(name):
        raise ModelError(f"adapter name {name!r} must be letters, digits, '.', '_' or '-'")
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(f"adapter {name}: {directory} is not a directory")
    files = _collect(directory)
    names = [n for n, _ in files]
    missing = [required for required in ADAPTER_FILES if required not in names]
    if missing:
        pickled = " (only safetensors weights are imported)" if (directory / "adapter_model.bin").exists() else ""
        raise ModelError(
            f"adapter {name}: {directory} has no {' and no '.join(missing)}{pickled};"
            " a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors"
        )
    try:
        config = json.loads((directory / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"adapter {name}: adapter_config.json cannot be read: {exc}") from exc
    base = config.get("base_model_name_or_path") if isinstance(config, dict) else None
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
            with open(directory / n, "rb") as src, blob.open("w") as dst:
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


def sync_adapters(image: Any, folder: str | os.PathLike) -> dict[str, str]:
    """Import every adapter subfolder of ``folder``: name -> "stored" | "unchanged" | why it was refused.

    A subfolder holding adapter_config.json or adapter_model.safetensors is an adapter named after
    it (lower-case); other subfolders and plain files (README.md) are ignored."""
    folder = Path(folder)
    results: dict[str, str] = {}
    if not folder.is_dir():
        logger.info("no adapter folder at %s", folder)
        return results
    for sub in sorted(folder.iterdir()):
        if sub.name.startswith(".") or not sub.is_dir() or not any((sub / f).exists() for f in ADAPTER_FILES):
            continue
        name = sub.name.lower()
        try:
            results[name] = "stored" if import_adapter(image, name, sub) else "unchanged"
        except ModelError as exc:
            logger.warning("adapter %s refused: %s", name, exc)
            results[name] = str(exc)
    return results


# --- loading support: committed blob files, links and verification ---------------------------


@dataclass(frozen=True)
class CommittedFile:
    """Plain data about one stored file, safe to hand to another thread."""

    name: str
    path: str  # the committed blob file (read-only)
    sha256: str
    size: int


def committed_files(record: ModelRecord | AdapterRecord) -> list[CommittedFile]:
    """The committed blob file of each stored file (ZODB access: the connection's thread only)."""
    found = []
    for name, stored in sorted(record.files.items()):
        try:
            path = stored.blob.committed()
        except POSError as exc:  # POSKeyError "No blob file", BlobError
            raise ModelUnavailable(f"{record.describe_short()}: stored file {name} is missing from the image's blobs ({exc})") from exc
        found.append(CommittedFile(name, path, stored.sha256, stored.size))
    return found


def link_files(
    record: ModelRecord | AdapterRecord | list[CommittedFile] | tuple[CommittedFile, ...], into: Path, *,
    symlink: Callable[[str, Path], None] = os.symlink,
) -> Path:
    """Symlink each committed blob file under its original name into ``into`` (created, or an empty
    directory; mode 0o700) and return it. Nothing is copied or read. Given ``committed_files(record)``
    (plain data) it touches no ZODB object, so it may run on another thread.

    Where a symlink cannot be made (Windows without Developer Mode or admin rights: WinError 1314;
    a file system without symlinks) the file is hard-linked instead, or copied as a last resort."""
    into = Path(into)
    items = record if isinstance(record, (list, tuple)) else committed_files(record)
    if into.exists():
        if not into.is_dir() or any(into.iterdir()):
            what = "the files" if isinstance(record, (list, tuple)) else record.describe_short()
            raise ModelError(f"{into} must be a new or empty directory to link {what} into")
    else:
        into.mkdir(parents=True)
    into.chmod(0o700)
    for item in items:
        relative = PurePosixPath(item.name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ModelUnavailable(f"refusing a stored file name that leaves the model directory: {item.name!r}")
        target = into.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            symlink(item.path, target)
        except FileExistsError:
            raise
        except OSError as exc:
            logger.info("cannot symlink %s (%s): linking or copying it instead", item.name, exc)
            _link_or_copy(Path(item.path), target)
    return into


def verify(
    record: ModelRecord | AdapterRecord | list[CommittedFile] | tuple[CommittedFile, ...], cache: dict | None = None, *,
    hasher: Callable[[str], str] = sha256_file,
) -> None:
    """Compare every committed blob file's size and sha256 to the stored ones; ModelUnavailable names the
    first that differs or is missing. ``cache`` (kept by the caller) maps (path, size, mtime_ns) to the
    digest found, so an unchanged file is hashed once. Give it ``committed_files(record)`` to run it
    away from the connection's thread."""
    items = record if isinstance(record, (list, tuple)) else committed_files(record)
    for item in items:
        try:
            stat = os.stat(item.path)
        except OSError as exc:
            raise ModelUnavailable(f"stored file {item.name} is missing from the image's blobs ({exc.strerror})") from exc
        key = (item.path, stat.st_size, stat.st_mtime_ns)
        found = cache.get(key) if cache is not None else None
        if found is None:
            found = hasher(item.path)
            if cache is not None:
                cache[key] = found
        if stat.st_size != item.size or found != item.sha256:
            raise ModelUnavailable(
                f"stored file {item.name} does not match its sha256 (its blob {item.path} is damaged);"
                " import the model again"
            )


__all__ = [
    "AdapterRecord", "CommittedFile", "Hub", "HuggingFaceHub", "ImportResult", "ModelRecord", "ModelStore",
    "ProgressBar", "ProgressFactory", "StoredFile", "committed_files", "content_digest", "cuda_available",
    "default_staging", "ensure_store", "import_adapter", "import_model", "link_files", "list_models",
    "persona_record", "quantize_4bit", "remove_model", "share_model", "sha256_file", "store_of", "sync_adapters",
    "tqdm_progress", "verify",
]

"""GGUF files: what one declares, what cannot be imported, and converting one once into a plain model directory.

A GGUF file (llama.cpp's format) holds a model's quantized weights, its
tokenizer and its chat template in one file. The image stores models as plain
Hugging Face directories (safetensors, config, tokenizer), so an import
converts the file once (:func:`convert`): transformers reads it
(``from_pretrained(dir, gguf_file=...)``, dequantizing the weights), the model
is rebuilt from its config (``save_pretrained`` refuses a GGUF-loaded model)
and saved as safetensors in the dtype asked for, beside the tokenizer and its
chat template. Later loads read that directory and never dequantize again.

:func:`inspect` refuses, before anything is converted: a file that is not
GGUF (its magic), one that is truncated or damaged (its tensors run past its
end, or its header does not parse), and an architecture transformers cannot
load (:func:`supported_architectures`). Every refusal is a
:class:`~bat_os.errors.ModelError` naming the file, and changes nothing.

The ``gguf`` package reads the header; torch and transformers are imported
only inside :func:`convert` and :func:`supported_architectures`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bat_os.errors import ModelError
from bat_os.models.files import link_or_copy, sha256_file
from bat_os.models.progress import ProgressFactory, open_bar

logger = logging.getLogger(__name__)

MAGIC = b"GGUF"
SUFFIX = ".gguf"
DTYPES = ("bfloat16", "float16", "float32")
#: Beside a converted directory (``<dir>.json``), written last: its absence means the conversion did not finish.
DONE_SUFFIX = ".json"


@dataclass(frozen=True)
class GGUFInfo:
    path: str
    size: int
    sha256: str
    architecture: str  # e.g. "qwen2", "llama"
    name: str  # general.name, or the file's name
    quantization: str  # the file type, e.g. "Q4_K_M"
    tensors: int

    def provenance(self, source: str) -> dict:
        """What the image keeps about where a converted model came from."""
        return {"format": "gguf", "source": source, **asdict(self)}


def source_file(source: Any) -> Path | None:
    """The GGUF file an import source names: ``ollama:NAME[:TAG]``, a ``.gguf`` file (or any file starting
    with the GGUF magic), or a directory holding one; None for anything else (a model directory, a hub id)."""
    from bat_os.models import ollama

    text = os.fspath(source)
    if ollama.is_ollama(text):
        return ollama.resolve(text)
    path = Path(text).expanduser()
    if path.is_dir():
        return find_gguf(path)
    if path.is_file() and (path.suffix.lower() == SUFFIX or _starts_with_magic(path)):
        return path
    return None


def _starts_with_magic(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == MAGIC
    except OSError:
        return False


def find_gguf(directory: Path) -> Path | None:
    """The one GGUF file in ``directory`` when it holds one and is not a plain model directory; else None.

    Several GGUF files (different quantizations, say) are ambiguous: ModelError naming them.
    """
    if (directory / "config.json").is_file():
        return None
    found = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() == SUFFIX)
    if len(found) > 1:
        raise ModelError(f"{directory} holds {len(found)} GGUF files ({', '.join(p.name for p in found)}); give one of them")
    return found[0] if found else None


def inspect(path: Path, *, progress: ProgressFactory | None = None, for_transformers: bool = True) -> GGUFInfo:
    """Read ``path``'s header and hash it; ModelError if it is not GGUF, is damaged, or (``for_transformers``)
    holds an architecture transformers cannot load. (Whether llama.cpp can run it is
    :func:`bat_os.models.gguf_probe.probe`'s to say.)"""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    if magic != MAGIC:
        raise ModelError(f"{path} is not a GGUF file (it does not start with {MAGIC!r})")
    fields = _read_header(path, size)
    architecture = fields["architecture"]
    supported = supported_architectures() if for_transformers else frozenset([architecture])
    if architecture not in supported:
        raise ModelError(
            f"{path} holds a {architecture!r} model, which cannot be imported (supported: {', '.join(sorted(supported))})"
        )
    bar = open_bar(progress, f"hashing {path.name}", size)
    try:
        digest = sha256_file(path, bar.update)
    finally:
        bar.close()
    return GGUFInfo(str(path.resolve()), size, digest, architecture, fields["name"] or path.stem, fields["quantization"], fields["tensors"])


def _read_header(path: Path, size: int) -> dict:
    from gguf import GGUFReader, LlamaFileType

    try:
        reader = GGUFReader(str(path))
        tensors = list(reader.tensors)
        end = max((t.data_offset + int(t.n_bytes) for t in tensors), default=0)
        architecture = _field(reader, "general.architecture")
        name = _field(reader, "general.name")
        file_type = _field(reader, "general.file_type")
    except (ValueError, IndexError, KeyError, OSError, TypeError) as exc:
        raise ModelError(f"{path} is truncated or damaged: its header or tensor table does not read ({exc})") from exc
    if end > size or not tensors:
        raise ModelError(f"{path} is truncated: its tensors need {end} bytes and the file has {size}")
    if not isinstance(architecture, str):
        raise ModelError(f"{path} does not say which architecture it holds (no general.architecture)")
    try:
        quantization = LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_") if file_type is not None else "unknown"
    except ValueError:
        quantization = f"file type {file_type}"
    return {"architecture": architecture, "name": name if isinstance(name, str) else None, "quantization": quantization,
            "tensors": len(tensors)}


def _field(reader: Any, key: str) -> Any:
    field = reader.fields.get(key)
    return field.contents() if field is not None else None


def supported_architectures() -> frozenset[str]:
    """The GGUF architectures transformers can load (its GGUF config mapping, less the non-model sections)."""
    from transformers.integrations.ggml import GGUF_CONFIG_MAPPING

    return frozenset(GGUF_CONFIG_MAPPING) - {"general", "tokenizer"}


def converted_dir(cache: Path, info: GGUFInfo, dtype: str) -> Path:
    """Where :func:`convert` puts ``info``'s model in ``dtype`` inside a cache (keyed by the file's sha256)."""
    return Path(cache) / "converted" / f"{info.sha256[:24]}-{dtype}"


def _done_file(directory: Path) -> Path:
    return directory.with_name(directory.name + DONE_SUFFIX)


def is_converted(directory: Path, info: GGUFInfo) -> bool:
    try:
        done = json.loads(_done_file(directory).read_text())
    except (OSError, ValueError):
        return False
    return done.get("sha256") == info.sha256 and directory.is_dir()


def convert(info: GGUFInfo, out: Path, dtype: str = "bfloat16", *, progress: ProgressFactory | None = None) -> Path:
    """Convert ``info``'s file into a plain model directory at ``out`` (reused if already converted).

    Written into a temporary sibling and renamed at the end, so ``out`` is
    either complete or absent; a conversion that fails is ModelError and
    leaves nothing behind.
    """
    out = Path(out)
    if dtype not in DTYPES:
        raise ModelError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    if is_converted(out, info):
        logger.info("%s was converted before: %s", info.name, out)
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(out.name + f".part-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    bar = open_bar(progress, f"converting {Path(info.path).name} to {dtype}", None)
    started = time.perf_counter()
    try:
        _convert_into(info, work, dtype)
        _done_file(out).unlink(missing_ok=True)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(work, out)
        _done_file(out).write_text(json.dumps({**asdict(info), "dtype": dtype, "seconds": round(time.perf_counter() - started, 1)}))
    except ModelError:
        shutil.rmtree(work, ignore_errors=True)
        raise
    except Exception as exc:  # transformers' own failure to read or rebuild it: one line says why
        shutil.rmtree(work, ignore_errors=True)
        raise ModelError(f"{info.path} could not be converted: {type(exc).__name__}: {str(exc)[:300]}") from exc
    finally:
        bar.close()
    logger.info("converted %s (%s, %s) to %s in %.1fs", info.name, info.architecture, info.quantization, dtype, time.perf_counter() - started)
    return out


def _convert_into(info: GGUFInfo, work: Path, dtype: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch_dtype = getattr(torch, dtype)
    # transformers reads a GGUF file from a directory by name: give it one holding only the file
    # (an Ollama blob has no suffix and sits among other blobs)
    shelf = work.with_name(work.name + ".src")
    shutil.rmtree(shelf, ignore_errors=True)
    shelf.mkdir(parents=True)
    try:
        try:
            os.symlink(info.path, shelf / "model.gguf")
        except OSError:  # no symlinks here (Windows without the privilege): a hard link, else a copy
            link_or_copy(Path(info.path), shelf / "model.gguf")
        tokenizer = AutoTokenizer.from_pretrained(str(shelf), gguf_file="model.gguf")
        # float32 while dequantizing (transformers computes GGUF kernels in float32); the dtype at the end
        loaded = AutoModelForCausalLM.from_pretrained(str(shelf), gguf_file="model.gguf", dtype=torch.float32)
    finally:
        shutil.rmtree(shelf, ignore_errors=True)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch_dtype)
    result = model.load_state_dict(loaded.state_dict(), strict=False)
    missing = [k for k in result.missing_keys if not (k == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or result.unexpected_keys:
        raise ModelError(f"{info.path}: the converted weights do not match the architecture "
                         f"(missing {missing[:5]}, unexpected {list(result.unexpected_keys)[:5]})")
    del loaded
    model.config.dtype = torch_dtype
    work.mkdir(parents=True)
    model.save_pretrained(str(work), safe_serialization=True)
    tokenizer.save_pretrained(str(work))
    if not getattr(tokenizer, "chat_template", None):
        logger.warning("%s has no chat template: prompts will be plain text", info.path)

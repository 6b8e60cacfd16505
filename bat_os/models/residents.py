"""A resident model, and loading one per engine, on the model manager's worker thread.

:class:`Resident` is what the :class:`~bat_os.models.manager.ModelManager`
keeps of a loaded model: the engine's object, its size against the budget,
its adapters and which is active. The manager decides what to load and what
to evict; loading itself is here:

- :func:`load_llama`: a GGUF model in llama.cpp
  (:class:`~bat_os.models.llamacpp.LlamaModel`), mapped from its committed
  blob file where the image keeps it; a LoRA adapter's GGUF form is applied at
  load.
- :func:`load_transformers`: a Hugging Face model through
  :mod:`bat_os.models.hf_loading`, from a private directory of symlinks to
  its committed blob files (named as they were imported), or, for a GGUF
  record, from a link to its conversion in the cache.

:class:`LinkDirs` keeps those directories, one per transformers resident (and
its adapters' beside it), under the manager's work directory or a temporary
one of its own. Releasing one removes the links; the blobs and the cache's
conversions stay.

torch, transformers and llama_cpp are imported inside the functions.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bat_os.errors import ModelTooLarge, ModelUnavailable
from bat_os.models import engines, hf_loading
from bat_os.models.files import link_files
from bat_os.models.loadspec import AdapterSpec, LoadSpec


@dataclass
class Resident:
    key: str
    model: Any  # a transformers model, or a PeftModel around it once an adapter is loaded
    tokenizer: Any
    directory: Path | None  # the linked model directory (transformers); None in llama.cpp
    bytes: int
    model_name: str
    loaded_at: float = 0.0  # the manager's clock when it was loaded (the manager sets both)
    load_seconds: float = 0.0
    adapters: dict[str, str] = field(default_factory=dict)  # name -> digest loaded
    active: str | None = None
    generations: int = 0
    form: str = ""  # on CPU, the weights' form (bat_os.models.cpu_forms); "" on CUDA and in llama.cpp
    engine: str = engines.TRANSFORMERS  # or engines.LLAMA: ``model`` is then a LlamaModel (no tokenizer, no directory)


class LinkDirs:
    """The private directories transformers residents load from: under ``workdir`` (made, 0700, when first
    needed; it stays), or under a temporary directory of this object's own, removed by :meth:`close`."""

    def __init__(self, workdir: Path | None = None) -> None:
        self.workdir = Path(workdir) if workdir else None
        self._own: Path | None = None

    def root(self) -> Path:
        if self.workdir is not None:
            self.workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
            return self.workdir
        if self._own is None:
            self._own = Path(tempfile.mkdtemp(prefix="batos-models-"))
        return self._own

    def make(self, key: str) -> Path:
        """A new, empty directory for the model ``key``."""
        return Path(tempfile.mkdtemp(prefix=f"model-{_safe(key)}-", dir=self.root()))

    @staticmethod
    def adapter_dir(directory: Path, adapter: AdapterSpec) -> Path:
        """Where ``adapter``'s files are linked for the model in ``directory``: beside it, not inside (the model's
        directory may be a link to the cache's conversion)."""
        return directory.with_name(directory.name + "-adapters") / f"{adapter.name}-{adapter.digest[:12]}"

    @staticmethod
    def release(directory: Path) -> None:
        """Remove a model's directory and its adapters' (links only: the blobs stay)."""
        if directory.is_symlink():  # a GGUF model's conversion in the cache: the link goes, the conversion stays
            directory.unlink()
        else:
            shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(directory.with_name(directory.name + "-adapters"), ignore_errors=True)

    def close(self) -> None:
        if self._own is not None:
            shutil.rmtree(self._own, ignore_errors=True)
            self._own = None


def load_llama(spec: LoadSpec, key: str, *, context: int, threads: int, unavailable: dict[str, str]) -> Resident:
    """``spec``'s GGUF file where the image keeps it: llama.cpp maps the committed blob file itself, with the
    adapter's GGUF form applied. A file llama.cpp refuses is remembered in ``unavailable`` (key -> reason)."""
    from bat_os.models.llamacpp import LlamaModel

    stored = spec.gguf_file
    if stored is None:
        raise ModelUnavailable(f"{spec.persona}'s model {spec.model} holds no GGUF file for llama.cpp")
    lora = spec.adapter.gguf_file.path if spec.adapter is not None and spec.adapter.gguf_file is not None else None
    try:
        model = LlamaModel.load(stored.path, context=context, threads=threads, lora=lora)
    except MemoryError as exc:
        raise ModelTooLarge(f"{spec.persona}'s model {spec.model} ran out of memory while loading") from exc
    except ModelUnavailable as exc:
        unavailable[spec.key] = str(exc)
        raise ModelUnavailable(f"{spec.persona}'s model is unavailable: {exc}") from None
    adapter = {spec.adapter.name: spec.adapter.digest} if spec.adapter is not None else {}  # applied at load
    return Resident(key, model, None, None, model.bytes, spec.model, adapters=adapter, active=next(iter(adapter), None),
                    engine=engines.LLAMA)


def load_transformers(spec: LoadSpec, key: str, *, links: LinkDirs, device: str, cpu_form: str,
                      cache: Path | None) -> Resident:
    """``spec``'s model in transformers, from a new directory of ``links`` (released again if loading fails);
    a GGUF record from its conversion, made once into ``cache`` (None: the default cache)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no weight-loading bars in the kernel's log
    # peft 0.21 calls transformers 5's deprecated is_gradient_checkpointing on every adapter load
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
    directory = links.make(spec.key)
    try:
        if spec.gguf_file is not None:  # a GGUF model this engine runs: its conversion, made once into the cache
            shutil.rmtree(directory)
            directory.symlink_to(hf_loading.converted_gguf(spec.gguf_file.path, spec.provenance or {},
                                                           cache or _default_cache()), target_is_directory=True)
        else:
            link_files(spec.files, directory)
        model, tokenizer, form, used = hf_loading.load(directory, device=device, cpu_form=cpu_form,
                                                       adapter=spec.adapter is not None)
    except Exception as exc:
        links.release(directory)
        raise hf_loading.load_error(spec.persona, spec.model, exc) from exc
    return Resident(key, model, tokenizer, directory, used, spec.model, form=form)


def _default_cache() -> Path:
    from bat_os.models.embedded import cache_dir

    return cache_dir()


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in key)[:40]


__all__ = ["LinkDirs", "Resident", "load_llama", "load_transformers"]

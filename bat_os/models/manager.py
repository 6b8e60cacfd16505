"""Which persona models are in memory: the budget, LRU eviction, swapping, and generating with them.

The kernel resolves a persona to a :class:`LoadSpec` on the event-loop thread
(the only thread that touches ZODB): the committed blob files of its base
model (and of its LoRA adapter), their sizes and sha256, and its generation
settings. Everything else happens here, on ONE worker thread of its own, so
loading, evicting, switching adapters and generating never overlap and the
event loop keeps answering ``ping``:

- **Loading without copying.** The blob files are symlinked under their
  original names into a private directory and loaded with
  ``from_pretrained(dir, local_files_only=True)``. The first load of a file
  checks its sha256 (the verdict is cached by path, size and mtime); a
  mismatch makes the persona unavailable with the reason, nothing else.
- **A memory budget** (bytes of VRAM on CUDA, of RAM on CPU). Before a load
  the least recently used residents are unloaded until the new model fits;
  a model larger than the whole budget is refused (:class:`ModelTooLarge`).
  With a budget for one model exactly one is resident.
- **Unloading frees memory**: references dropped, ``gc.collect()``, and on
  CUDA ``torch.cuda.empty_cache()``; ``memory_allocated`` is reported.
- **Adapters.** Personas whose specs name the same base share one resident
  model; each persona's LoRA adapter is loaded into it once (PEFT
  ``load_adapter``) and switched with ``set_adapter``. A persona without an
  adapter on such a base generates with the adapters disabled. llama.cpp
  applies an adapter's GGUF form at load (a resident of its own). An adapter
  damaged or not for the engine (:func:`~bat_os.models.loadspec.not_applied`)
  is refused: its persona runs the base model; ``status`` says why.
- **Two engines** (:mod:`bat_os.models.engines` decides, per spec, from
  ``models.engine``): a GGUF model runs in llama.cpp
  (:class:`~bat_os.models.llamacpp.LlamaModel`) straight from its committed
  blob file; a Hugging Face model (and a GGUF one where transformers runs it,
  converted once into the cache) in transformers
  (:mod:`bat_os.models.hf_loading`, :mod:`bat_os.models.generation`). Both
  stream, stop, time out and count tokens alike.

Here: what is resident, the budget and eviction, the counts ``status``
shows, and the async API the kernel calls. Loading a model per engine and
its directory of links are in :mod:`bat_os.models.residents`; refusing and
switching adapters in :mod:`bat_os.models.adapter_choice`; the device and
the default budget in :mod:`bat_os.models.devices`. torch, transformers, peft
and llama_cpp are imported on the worker thread, on first use.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import gc
import itertools
import logging
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from bat_os.errors import LLMError, ModelTooLarge, ModelUnavailable
from bat_os.models import cpu_forms, devices, engines, hf_loading
from bat_os.models.adapter_choice import UNCHANGED, Refusals, Switch, select_adapter
from bat_os.models.backends import TokenCallback
from bat_os.models.cores import CoreBudget
from bat_os.models.files import verify
from bat_os.models.generation import generate_text
from bat_os.models.hf_loading import out_of_memory
from bat_os.models.llamacpp import DEFAULT_CONTEXT
from bat_os.models.loadspec import AdapterSpec, LoadSpec
from bat_os.models.residents import LinkDirs, Resident, load_llama, load_transformers

logger = logging.getLogger(__name__)

LLAMA_SUFFIX = "@" + engines.LLAMA  # a resident's key in llama.cpp: a GGUF record may also be resident in transformers


@dataclass
class Generated:
    text: str
    tokens: int
    seconds: float
    swapped: bool  # a base model had to be loaded for this call
    adapter_switched: bool


class ModelManager:
    """Resident models under a memory budget, on one worker thread. See the module docstring."""

    def __init__(
        self, *, budget_bytes: int | None = None, device: str = "auto", workdir: Path | None = None,
        clock: Callable[[], float] = time.monotonic, cpu_form: str = "fp32", engine: str = "auto",
        context: int = DEFAULT_CONTEXT, threads: int = 0, cache: Path | None = None, cores: CoreBudget | None = None,
    ) -> None:
        if cpu_form not in cpu_forms.FORMS:
            raise ValueError(f"cpu_form must be one of {', '.join(cpu_forms.FORMS)}, not {cpu_form!r}")
        if engine not in engines.SETTINGS:
            raise ValueError(f"engine must be one of {', '.join(engines.SETTINGS)}, not {engine!r}")
        self.requested_device = device
        self.cpu_form = cpu_form  # the weights' form on CPU (the kernel passes models.cpu_form: "auto")
        self.engine = engine  # models.engine: which engine runs a GGUF model (bat_os.models.engines)
        self.context = context  # llama.cpp's context, in tokens (models.context)
        self.threads = threads  # llama.cpp's threads (models.threads; 0: every core)
        self.cores = cores or CoreBudget(threads=threads)  # a generation's threads, token by token (bat_os.models.cores)
        self.cache = cache  # where a GGUF model's conversion for transformers is kept (None: the default cache)
        self.budget_bytes = budget_bytes  # None: decided at the first load (bat_os.models.devices)
        self.clock = clock
        self._links = LinkDirs(workdir)  # the transformers residents' directories of links to their blobs
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="batos-models")
        self._residents: collections.OrderedDict[str, Resident] = collections.OrderedDict()  # LRU first
        self._verified: dict = {}
        self._unavailable: dict[str, str] = {}  # key -> reason (until its files change)
        self._refusals = Refusals()  # adapters not applied: their personas run their base models
        self._lock = threading.Lock()  # guards what status() reads from the loop thread
        self._device: str | None = None
        self._counts: collections.Counter[str] = collections.Counter()
        self._last: dict[str, Any] = {}
        self._closed = False
        self._queue: dict[int, dict[str, Any]] = {}  # the model work submitted and not yet done, oldest first
        self._numbers = itertools.count(1)

    # --- the loop side ------------------------------------------------------------------
    async def generate(
        self, spec: LoadSpec, system: str, prompt: str, *, on_token: TokenCallback | None = None,
        timeout: float = 300.0,
    ) -> Generated:
        """Make ``spec`` resident (evicting, switching adapters) and generate; tokens go to ``on_token``
        on the event loop as they come. Past ``timeout`` the generation stops and LLMError is raised."""
        if self._closed:
            raise LLMError("the model manager is closed")
        loop = asyncio.get_running_loop()
        stop = threading.Event()

        def emit(text: str) -> None:
            if on_token is not None and text:
                loop.call_soon_threadsafe(on_token, text)

        number = self._enqueue(spec.persona)
        future = loop.run_in_executor(self._executor, self._generate, spec, system, prompt, emit, stop, timeout, number)
        try:
            return await future
        except asyncio.CancelledError:
            stop.set()  # the worker stops at the next token
            raise
        finally:
            with self._lock:
                self._queue.pop(number, None)

    def _enqueue(self, persona: str) -> int:
        number = next(self._numbers)
        with self._lock:
            self._queue[number] = {"persona": persona, "state": "waiting", "since": time.time()}
        return number

    def queue(self) -> dict[str, Any]:
        """The generations submitted and not done: the one running (or None) and those waiting, oldest first."""
        with self._lock:
            entries = [dict(e, seconds=round(time.time() - e["since"], 1)) for e in self._queue.values()]
        running = next((e for e in entries if e["state"] == "running"), None)
        return {"running": running, "waiting": [e for e in entries if e["state"] == "waiting"]}

    async def ensure(self, spec: LoadSpec) -> dict[str, Any]:
        """Make ``spec`` resident with its adapter active, without generating; returns what it did."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._ensure_report, spec)

    async def unload_all(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._unload_all)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._unload_all)
        self._executor.shutdown(wait=True)
        self._links.close()

    def engine_of(self, format: str, adapter: bool = False) -> str:
        """The engine that runs (or will run) a model of ``format``: ``"llama.cpp"`` or ``"transformers"``."""
        cuda = self._device == "cuda" if self._device is not None else (
            self.requested_device == "cuda" or (self.requested_device == "auto" and engines.cuda_hint()))
        return engines.engine_for(format, self.engine, cuda=cuda, llama=engines.llama_installed(), adapter=adapter)

    def status(self) -> dict[str, Any]:
        """Resident models, memory, the budget, and the last swap and adapter switch (safe from the loop)."""
        with self._lock:
            residents = [
                {
                    "model": r.model_name, "key": r.key, "engine": r.engine, "bytes": r.bytes, "adapters": sorted(r.adapters),
                    "active_adapter": r.active, "load_seconds": round(r.load_seconds, 4), "generations": r.generations,
                    "form": r.form or None, **({"llama": r.model.status()} if r.engine == engines.LLAMA and r.model else {}),
                }
                for r in reversed(self._residents.values())  # most recently used first
            ]
            found = {
                "device": self._device or self.requested_device,
                "engine": self.engine,
                "cpu_form": self.cpu_form,
                "budget_bytes": self.budget_bytes,
                "resident": residents,
                "resident_bytes": sum(r["bytes"] for r in residents),
                "unavailable": dict(self._unavailable),
                "adapters_refused": self._refusals.status(),
                "counts": dict(self._counts),
                **{k: v for k, v in self._last.items()},
            }
        return {**found, "queue": self.queue(), "cores": self.cores.status()}

    def is_resident(self, key: str) -> bool:
        with self._lock:
            return key in self._residents or key + LLAMA_SUFFIX in self._residents

    def resident_model(self, key: str) -> Any:
        """The resident object for ``key`` (tests compare identities across adapter switches)."""
        with self._lock:
            resident = self._residents.get(key) or self._residents.get(key + LLAMA_SUFFIX)
        return None if resident is None else resident.model

    # --- the worker side ----------------------------------------------------------------
    def _generate(self, spec: LoadSpec, system: str, prompt: str, emit: Callable[[str], None], stop: threading.Event,
                  timeout: float, number: int = 0) -> Generated:
        started = time.perf_counter()
        with self._lock:
            if number in self._queue:
                self._queue[number].update(state="running", started=time.time())
        resident, swapped, switched = self._ensure(spec)
        try:
            if resident.engine == engines.LLAMA:
                text, count = resident.model.generate(system, prompt, settings=spec.generation, persona=spec.persona,
                                                      emit=emit, stop=stop, timeout=timeout, threads=self.cores.threads)
            else:
                text, count = generate_text(
                    resident.model, resident.tokenizer, system, prompt, settings=spec.generation, persona=spec.persona,
                    adapters_off=resident.active is None and bool(resident.adapters), emit=emit, stop=stop,
                    timeout=timeout, device=self._device or "cpu",
                )
        except LLMError:
            raise
        except Exception as exc:  # out of memory, a broken tokenizer, ...: the model stays usable or is freed
            if out_of_memory(exc):
                self._evict_key(resident.key)
                raise ModelTooLarge(f"{spec.persona}'s model ran out of memory while generating; it was unloaded") from exc
            raise LLMError(f"generation for {spec.persona} failed: {type(exc).__name__}: {str(exc)[:300]}") from exc
        with self._lock:
            resident.generations += 1
        self._counts["generations"] += 1
        return Generated(text, count, time.perf_counter() - started, swapped, switched)

    def _ensure_report(self, spec: LoadSpec) -> dict[str, Any]:
        resident, swapped, switched = self._ensure(spec)
        return {"key": resident.key, "swapped": swapped, "adapter_switched": switched, "active_adapter": resident.active}

    def _setup(self) -> None:
        """The device and the budget, decided at the first use (torch tells whether CUDA is here)."""
        if self._device is not None:
            return
        self._device, self.budget_bytes = devices.decide(self.requested_device, self.budget_bytes)
        logger.info("models run on %s with a budget of %.0f MiB", self._device, self.budget_bytes / 2**20)

    def _ensure(self, spec: LoadSpec) -> tuple[Resident, bool, bool]:
        self._setup()
        engine = self.engine_of(spec.format, adapter=spec.adapter is not None and spec.adapter.gguf_file is None)
        spec = self._refusals.usable(spec, engine, self.engine, self._verified)
        key = spec.key + LLAMA_SUFFIX if engine == engines.LLAMA else spec.key
        key += "+" + spec.adapter.digest[:12] if engine == engines.LLAMA and spec.adapter else ""  # applied at load
        swapped = False
        with self._lock:
            resident = self._residents.get(key)
            if resident is not None:
                self._residents.move_to_end(key)
        if resident is not None and resident.form in cpu_forms.NO_ADAPTER and spec.adapter is not None:
            logger.info("%s needs its adapter: reloading %s in a form that takes one", spec.persona, spec.model)
            self._evict_key(key)
            resident = None
        if resident is None:
            resident = self._load(spec, engine, key)
            swapped = True
        try:
            switch = self._select_adapter(resident, spec) if engine == engines.TRANSFORMERS else UNCHANGED
        except ModelUnavailable as exc:  # refused at load: the persona keeps its base
            self._refusals.refuse(spec, str(exc))
            switch = self._select_adapter(resident, replace(spec, adapter=None))
        return resident, swapped, switch.changed

    def _select_adapter(self, resident: Resident, spec: LoadSpec) -> Switch:
        switch = select_adapter(resident, spec, verified=self._verified, lock=self._lock)
        self._counts["adapter_loads"] += switch.loaded
        if switch.adapter is not None:
            self._counts["adapter_switches"] += 1
            self._last.update(last_adapter_switch={"adapter": switch.adapter, "persona": spec.persona,
                                                   "seconds": round(switch.seconds, 6), "at": time.time()})
        return switch

    def _load(self, spec: LoadSpec, engine: str, key: str) -> Resident:
        if spec.key in self._unavailable:
            raise ModelUnavailable(f"{spec.persona}'s model is unavailable: {self._unavailable[spec.key]}")
        assert self.budget_bytes is not None
        if spec.size > self.budget_bytes:
            raise ModelTooLarge(
                f"{spec.persona}'s model ({spec.size / 2**20:.0f} MiB of weights) does not fit the model memory budget"
                f" of {self.budget_bytes / 2**20:.0f} MiB (set [models] memory_mb)"
            )
        try:
            verify(spec.files, self._verified)
        except ModelUnavailable as exc:
            self._unavailable[spec.key] = str(exc)
            logger.error("model %s for %s is unavailable: %s", spec.model, spec.persona, exc)
            raise ModelUnavailable(f"{spec.persona}'s model is unavailable: {exc}") from None
        while self._residents and self._resident_bytes() + spec.size > self.budget_bytes:
            self._evict_oldest()
        started = time.perf_counter()
        if engine == engines.LLAMA:
            resident = load_llama(spec, key, context=self.context, threads=self.threads, unavailable=self._unavailable)
            self._counts["adapter_loads"] += bool(resident.adapters)  # applied at load
        else:
            resident = load_transformers(spec, key, links=self._links, device=self._device or "cpu", cpu_form=self.cpu_form,
                                         cache=self.cache)
        resident.load_seconds = seconds = time.perf_counter() - started
        resident.loaded_at = self.clock()
        with self._lock:
            self._residents[key] = resident
        self._counts["loads"] += 1
        self._last.update(last_swap={"model": spec.model, "persona": spec.persona, "engine": engine,
                                     "seconds": round(seconds, 4), "at": time.time()})
        logger.info("loaded %s for %s in %s in %.3fs (%.1f MiB%s)", spec.model, spec.persona, engine, seconds,
                    resident.bytes / 2**20, f", {resident.form}" if resident.form else "")
        return resident

    def _evict_oldest(self) -> None:
        with self._lock:
            key, resident = self._residents.popitem(last=False)
        self._counts["evictions"] += 1
        logger.info("unloading %s to make room", resident.model_name)
        self._free(resident)

    def _evict_key(self, key: str) -> None:
        with self._lock:
            resident = self._residents.pop(key, None)
        if resident is not None:
            self._counts["evictions"] += 1
            self._free(resident)

    def _free(self, resident: Resident) -> None:
        torch = sys.modules.get("torch")
        before = hf_loading.allocated(torch, self._device)
        if resident.engine == engines.LLAMA and resident.model is not None:
            resident.model.close()  # the mapping and the context go now, not at the next collection
        resident.model = None
        resident.tokenizer = None
        if resident.directory is not None:
            self._links.release(resident.directory)
        gc.collect()
        if self._device == "cuda" and torch is not None:
            torch.cuda.empty_cache()
        self._last.update(last_unload={"model": resident.model_name, "allocated_before": before,
                                       "allocated_after": hf_loading.allocated(torch, self._device), "at": time.time()})

    def _unload_all(self) -> None:
        while self._residents:
            self._evict_oldest()

    def _resident_bytes(self) -> int:
        return sum(r.bytes for r in self._residents.values())


__all__ = ["AdapterSpec", "Generated", "LoadSpec", "ModelManager"]

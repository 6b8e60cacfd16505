"""Persona models in the kernel: from the image's model store to the model manager.

:class:`PersonaModels` reads, on the event-loop thread, what a persona needs
(its base model's committed blob files, its LoRA adapter's, its generation
settings from the codex) into a :class:`~bat_os.models.manager.LoadSpec` for
the :class:`~bat_os.models.manager.ModelManager`, and reports both in
``status``.

The ``ask`` command (:mod:`bat_os.kernel.commands.ask`) talks to the models through
the backend this resolves for.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any, Callable

from bat_os.errors import BadRequest, DownloadFailed, ModelError, NoModel
from bat_os.image.image import Image
from bat_os.image.primordial import PERSONAS
from bat_os.models.manager import AdapterSpec, LoadSpec, ModelManager

logger = logging.getLogger(__name__)


class PersonaModels:
    """Resolves personas to load specs from the image; owns the model manager."""

    def __init__(self, image: Image, manager: ModelManager, *, defaults: dict[str, str] | None = None) -> None:
        self.image = image
        self.manager = manager
        self.defaults = dict(defaults or {})
        self.pull: dict[str, Any] = {"state": "idle"}  # background download of the default models (see pull_defaults)

    def resolve(self, persona: str) -> LoadSpec:
        """``persona``'s LoadSpec (event-loop thread only). NoModel when it has none in the image."""
        return self.image.read(lambda: spec_for(self.image.connection.root(), persona))

    # --- pulling the default models on first awakening --------------------------------------
    def start_pull(self) -> asyncio.Task | None:
        """Import, in the background, the default model of every persona that has none and never had
        its default pulled. Downloads and hashing run on a thread of their own; every image access
        is handed to the event loop. Without a network the hub fails at once: the pull stops, says
        so in ``status`` and the log, and is tried again at the next start."""
        wanted = self.image.read(lambda: _never_pulled(self.image.connection.root(), self.defaults))
        if not wanted:
            return None
        self.pull = {"state": "running", "personas": list(wanted), "done": [], "current": None, "progress": {}}
        logger.info("pulling the default models in the background: %s",
                    ", ".join(f"{p}={m}" for p, m in wanted.items()))
        self._task = asyncio.get_running_loop().create_task(self._pull(wanted))
        return self._task

    async def close(self) -> None:
        task = getattr(self, "_task", None)
        if task is not None and not task.done():
            task.cancel()  # its thread is a daemon: a download in progress resumes at the next start
            await asyncio.gather(task, return_exceptions=True)

    async def _pull(self, wanted: dict[str, str]) -> None:
        from bat_os.models.store import import_model, share_model

        loop = asyncio.get_running_loop()
        image = _OnLoop(self.image, loop)
        for persona, source in wanted.items():
            self.pull.update(current=persona, progress={})
            try:
                def work(persona: str = persona, source: str = source) -> Any:
                    return share_model(image, persona, source) or import_model(image, persona, source, progress=self._progress)

                result = await _in_thread(work)
            except DownloadFailed as exc:
                self.pull.update(state="offline", current=None, reason=str(exc))
                logger.warning("could not pull the default models (%s); %s", exc, _IMPORT_HINT)
                return
            except (ModelError, OSError) as exc:
                self.pull.setdefault("failed", {})[persona] = str(exc)
                logger.error("pulling %s for %s failed: %s", source, persona, exc)
                continue
            self.image.run(lambda persona=persona, source=source: _mark_pulled(self.image.connection.root(), persona, source))
            self.pull["done"].append(persona)
            logger.info("%s now has its default model %s (%.1f MiB)", persona, result.source, result.total_size / 2**20)
        self.pull.update(state="done", current=None, progress={})

    def _progress(self, description: str, total: int | None) -> "_PullBar":
        return _PullBar(self.pull, description, total)

    def status(self) -> dict[str, Any]:
        """For the ``status`` command, inside its (read) transaction."""
        table = persona_table(self.image.connection.root())
        missing = [p for p, entry in table.items() if entry["model"] is None]
        report: dict[str, Any] = {"personas": table, "manager": self.manager.status(), "pull": dict(self.pull)}
        if missing:
            report["hint"] = (
                f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no model: stop the kernel and run"
                " python batos.py models import PERSONA <directory or Hugging Face id>"
                " (or python batos.py models make-tiny --out DIR for small offline test models)"
            )
        return report


_IMPORT_HINT = "import models with: python batos.py models import PERSONA <directory or Hugging Face id> (kernel stopped)"


def _never_pulled(root: Any, defaults: dict[str, str]) -> dict[str, str]:
    from bat_os.models.records import store_of

    store = store_of(root, create=False)
    if store is None:
        return {}
    pulled = getattr(store, "pulled", {})
    return {p: m for p, m in defaults.items() if p not in store.personas and p not in pulled}


def _mark_pulled(root: Any, persona: str, source: str) -> None:
    from persistent.mapping import PersistentMapping

    from bat_os.models.records import store_of

    store = store_of(root)
    if getattr(store, "pulled", None) is None:
        store.pulled = PersistentMapping()
    store.pulled[persona] = source


def _settle(future: concurrent.futures.Future, work: Callable[[], Any]) -> None:
    """Run ``work`` and put its outcome, result or exception, into ``future`` (for another thread)."""
    try:
        future.set_result(work())
    except BaseException as exc:  # noqa: BLE001 - raised where the future is awaited
        future.set_exception(exc)


async def _in_thread(work: Callable[[], Any]) -> Any:
    """Run ``work`` on a daemon thread (a long download must not hold up the kernel's exit)."""
    future: concurrent.futures.Future = concurrent.futures.Future()
    threading.Thread(target=_settle, args=(future, work), name="batos-pull", daemon=True).start()
    return await asyncio.wrap_future(future)


class _OnLoop:
    """The image as a worker thread sees it: ``read`` and ``run`` execute on the event loop
    (the only thread that touches ZODB) while the thread waits; plain attributes pass through."""

    def __init__(self, image: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._image = image
        self._loop = loop

    def read(self, work: Callable[[], Any]) -> Any:
        return self._call(lambda: self._image.read(work))

    def run(self, work: Callable[[], Any], **kwargs: Any) -> Any:
        return self._call(lambda: self._image.run(work, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._image, name)

    def _call(self, fn: Callable[[], Any]) -> Any:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(_settle, future, fn)
        return future.result()


class _PullBar:
    """A progress bar that writes into ``status`` (and logs every 10%)."""

    def __init__(self, report: dict, description: str, total: int | None) -> None:
        self.report, self.description, self.total, self.done, self._logged = report, description, total, 0, -1
        report.setdefault("progress", {})[description] = {"done": 0, "total": total}

    def update(self, n: int) -> None:
        self.done += n
        self.report.setdefault("progress", {})[self.description] = {"done": self.done, "total": self.total}
        if self.total:
            tenth = int(10 * self.done / self.total)
            if tenth > self._logged:
                self._logged = tenth
                logger.info("%s: %d%%", self.description, 10 * tenth)

    def close(self) -> None:
        return None


def canonical_persona(name: Any) -> str:
    if not isinstance(name, str) or name.upper() not in PERSONAS:
        raise BadRequest(f"persona must be one of {', '.join(PERSONAS)}, not {name!r}")
    return name.upper()


def codex_of(root: Any, persona: str) -> dict:
    obj = root.get(PERSONAS[persona]["root"])
    codex = obj.slots.get("codex") if obj is not None else None
    return dict(codex) if codex is not None else {}


def spec_for(root: Any, persona: str) -> LoadSpec:
    from bat_os.models.files import committed_files
    from bat_os.models.records import store_of

    persona = canonical_persona(persona)
    store = store_of(root, create=False)
    key = store.personas.get(persona) if store is not None else None
    record = store.models.get(key) if key is not None else None
    if record is None:
        raise NoModel(persona)
    codex = codex_of(root, persona)
    adapter = None
    adapter_name = codex.get("lora_adapter")
    if adapter_name and store.adapters.get(adapter_name) is not None:
        stored = store.adapters[adapter_name]
        adapter = AdapterSpec(stored.name, tuple(committed_files(stored)), stored.sha256)
    generation = dict(codex.get("generation") or {})
    return LoadSpec(persona, record.key, record.source, tuple(committed_files(record)), adapter, generation)


def persona_table(root: Any) -> dict[str, Any]:
    from bat_os.models.records import store_of

    store = store_of(root, create=False)
    table = {}
    for persona in PERSONAS:
        key = store.personas.get(persona) if store is not None else None
        record = store.models.get(key) if key is not None else None
        adapter_name = codex_of(root, persona).get("lora_adapter")
        table[persona] = {
            "model": record.source if record is not None else None,
            "key": key,
            "bytes": record.total_size if record is not None else 0,
            "quantization": dict(record.quantization) if record is not None and record.quantization else None,
            "adapter": adapter_name if store is not None and adapter_name in store.adapters else None,
        }
    return table

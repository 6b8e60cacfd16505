"""A new image's first persona models, in the background while the kernel already answers.

At a kernel's start (with the transformers backend), two steps run on a
thread of their own, every image access handed to the event loop (the only
thread that touches ZODB), and ``status`` shows each one's progress:

1. **The embedded models** (``models.embedded``: by default the profile's,
   fetched into the cache by set-up: :mod:`bat_os.models.embedded`). Every
   persona that has no model and never had one gets its own: stored once per
   file and shared (:func:`bat_os.models.store.import_model`: as it is, for
   llama.cpp, or converted once). A persona whose model is still the one the
   image gave it, but an older choice or another form (an image from before
   llama.cpp, or before the 1.5B model), gets today's: the image keeps up with
   the release, and a model the user chose stays. Offline, this is what makes
   a fresh image learn methods for real. ``status``: ``models.embedded``.
2. **The profile's defaults from the hub** (``models.pull_defaults = "auto"``):
   ``models.profile`` picks them (``auto``: ``gpu`` where torch sees CUDA,
   else ``cpu``; the table is :data:`bat_os.config.PROFILE_MODELS`). A persona
   with no model, or with only the embedded one, that never had its default
   pulled gets it; the import replaces its model in one transaction. Without
   a network the hub fails at once: the step stops, says so in ``status``
   (``models.pull``) and the log, and is tried again at the next start.

Each step marks what it did in the image's model store (``embedded``,
``pulled``), so neither repeats: a model the user removed stays removed.

**A request waits for a model on its way** (:meth:`Provisioner.arrival`): a
cycle or ``ask`` that needs a persona with no model yet, while one of the
steps is bringing it one, waits until it is stored, with progress events
("BRICK's model: 60% stored") to its client
(:data:`bat_os.models.backends.PROGRESS`, set by the kernel for each awaited
request). It fails only if that import fails, and
then with the import's reason.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from pathlib import Path
from typing import Any, Callable

from persistent.mapping import PersistentMapping

from bat_os.config import ModelsConfig
from bat_os.errors import DownloadFailed, ModelError, NoModel
from bat_os.image.image import Image
from bat_os.image.primordial import PERSONAS
from bat_os.models import engines
from bat_os.models.backends import PROGRESS
from bat_os.models.embedded import resolve_profile
from bat_os.models.records import store_of

logger = logging.getLogger(__name__)

REPORT_EVERY = 1.0  # seconds between a waiting request's progress events

IMPORT_HINT = "import models with: python batos.py models import PERSONA <directory, .gguf file or Hugging Face id> (kernel stopped)"


class Provisioner:
    """The two background steps; their progress in :attr:`embedded` and :attr:`pull` (see the module docstring)."""

    def __init__(
        self, image: Image, settings: ModelsConfig, *, embedded: dict[str, tuple[Path, str]] | None = None,
        cache: Path | None = None, pull: bool = True, cuda: Callable[[], bool] | None = None,
    ) -> None:
        self.image = image
        self.settings = settings
        # persona -> (its fetched GGUF file, the file's sha256); a persona whose file set-up did not fetch is absent
        self.embedded_files = dict(embedded or {})
        self.cache = cache
        self.pulls = pull
        self.cuda = cuda or _cuda_available
        self.embedded: dict[str, Any] = {"state": "idle"}
        self.pull: dict[str, Any] = {"state": "idle"}
        self._task: asyncio.Task | None = None
        self._arrivals: dict[str, asyncio.Future] = {}  # persona -> None once stored, or the reason its import failed

    def start(self) -> asyncio.Task | None:
        """Start both steps in the background when either has work; None when neither has.

        Who needs what is read here, so ``status`` says ``running`` from the first moment; which
        default each gets waits for the profile (``auto`` asks torch about CUDA, on the thread)."""
        root = lambda: self.image.connection.root()  # noqa: E731
        form = engines.GGUF if engines.stores_gguf(self.settings.engine, cuda=engines.cuda_hint(),
                                                   llama=engines.llama_installed()) else engines.HF
        wanted = {p: (sha, form) for p, (_path, sha) in self.embedded_files.items()}
        embedded = self.image.read(lambda: _wanting_embedded(root(), wanted)) if wanted else []
        pulls = self.image.read(lambda: list(_never_pulled(root(), dict.fromkeys(PERSONAS, "")))) if self.pulls else []
        if not embedded and not pulls:
            return None
        if embedded:
            files = sorted({str(self.embedded_files[p][0]) for p in embedded})
            self.embedded = {"state": "running", "model": ", ".join(files), "form": form, "personas": embedded, "done": [],
                             "models": {p: self.embedded_files[p][0].name for p in embedded}, "current": None, "progress": {}}
        if pulls:
            self.pull = {"state": "running", "profile": None, "personas": pulls, "done": [], "current": None, "progress": {}}
        loop = asyncio.get_running_loop()
        self._arrivals = {p: loop.create_future() for p in [*embedded, *pulls] if self._modelless(p)}
        self._task = loop.create_task(self._run(embedded, bool(pulls)))
        self._task.add_done_callback(lambda _task: self._settle_all("the models' provisioning stopped"))
        return self._task

    def _modelless(self, persona: str) -> bool:
        from bat_os.models.records import store_of

        def has_none() -> bool:
            store = store_of(self.image.connection.root(), create=False)
            return store is None or store.personas.get(persona) is None

        return self.image.read(has_none)

    async def arrival(self, persona: str) -> bool:
        """Wait while ``persona``'s first model is on its way: True once it is stored, False if none is coming;
        NoModel with the import's reason if it fails. Progress events go to ``PROGRESS`` (bat_os.models.backends)."""
        future = self._arrivals.get(persona)
        if future is None:
            return False
        report, last = PROGRESS.get(), None
        logger.info("a request waits for %s's model, on its way into the image", persona)
        while not future.done():
            line = self._progress_of(persona)
            if report is not None and line != last:
                report({"type": "model", "persona": persona, "state": "arriving", **line})
                last = line
            await asyncio.wait([future], timeout=REPORT_EVERY)
        reason = future.result()
        if reason is not None:
            raise NoModel(persona, f"persona {persona} has no model in the image: the one on its way could not be"
                                   f" stored ({reason}); import one with: python batos.py models import {persona}"
                                   " <directory, .gguf file or Hugging Face id> (kernel stopped)")
        if report is not None:
            report({"type": "model", "persona": persona, "state": "stored", "text": f"{persona}'s model: stored"})
        return True

    def _progress_of(self, persona: str) -> dict:
        """Where ``persona``'s import stands: the fraction of its files stored, when its import is the current one."""
        for step in (self.embedded, self.pull):
            if step.get("state") == "running" and step.get("current") == persona:
                parts = [p for p in (step.get("progress") or {}).values() if p.get("total")]
                done = sum(min(p["done"], p["total"]) for p in parts)
                total = sum(p["total"] for p in parts)
                if total:
                    share = done / total
                    return {"stored": round(share, 3), "text": f"{persona}'s model: {share:.0%} stored"}
                return {"stored": 0.0, "text": f"{persona}'s model: being stored"}
        return {"stored": 0.0, "text": f"{persona}'s model: waiting its turn"}

    def _arrived(self, persona: str, reason: str | None = None) -> None:
        future = self._arrivals.get(persona)
        if future is not None and not future.done():
            future.set_result(reason)

    def _settle_all(self, reason: str) -> None:
        """Whatever is still awaited will not come (a step failed, went offline or was cancelled)."""
        for persona in list(self._arrivals):
            self._arrived(persona, reason)

    @property
    def busy(self) -> bool:
        return self.embedded.get("state") == "running" or self.pull.get("state") == "running"

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()  # its thread is a daemon: an interrupted step runs again at the next start
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, embedded: list[str], pulls: bool) -> None:
        image = _OnLoop(self.image, asyncio.get_running_loop())
        if embedded:
            await self._import_embedded(image, embedded)
        if pulls:
            await self._pull_defaults(image)

    async def _import_embedded(self, image: "_OnLoop", personas: list[str]) -> None:
        from bat_os.models.store import import_model

        logger.info("giving %s their embedded models in the background: %s", ", ".join(personas),
                    ", ".join(f"{p}={self.embedded_files[p][0].name}" for p in personas))
        for persona in personas:
            self.embedded.update(current=persona)
            source = str(self.embedded_files[persona][0])
            try:
                result = await _in_thread(lambda p=persona, s=source: import_model(  # the cache's file: linked, not copied
                    image, p, s, progress=self._bar(self.embedded), cache=self.cache, engine=self.settings.engine,
                    link_source=True))
            except (ModelError, OSError) as exc:
                self.embedded.update(state="failed", current=None, reason=str(exc))
                logger.error("importing the embedded model %s failed: %s; %s", source, exc, IMPORT_HINT)
                if not self.pull.get("personas") or persona not in self.pull["personas"]:
                    self._arrived(persona, str(exc))
                return
            self.image.run(lambda p=persona, key=result.key: _mark(self.image.connection.root(), "embedded", p, key))
            self.embedded["done"].append(persona)
            self._arrived(persona)
        self.embedded.update(state="done", current=None, progress={})
        logger.info("%s now have their embedded models", ", ".join(personas))

    async def _pull_defaults(self, image: "_OnLoop") -> None:
        from bat_os.models.store import import_model, share_model

        profile = self.settings.profile
        if profile == "auto":
            cuda = await _in_thread(self.cuda)
            profile = resolve_profile("auto", cuda=cuda)
        defaults = {p: self.settings.default_for(p, profile) for p in PERSONAS}
        wanted = self.image.read(lambda: _never_pulled(self.image.connection.root(), defaults))
        if not wanted:  # nothing left to pull
            self.pull = {"state": "idle"}
            self._settle_all("no default model is to be pulled")
            return
        self.pull.update(profile=profile, personas=list(wanted))
        logger.info("pulling the %s profile's default models in the background: %s", profile,
                    ", ".join(f"{p}={m}" for p, m in wanted.items()))
        for persona, source in wanted.items():
            self.pull.update(current=persona, progress={})
            try:
                result = await _in_thread(lambda p=persona, s=source: share_model(image, p, s) or import_model(
                    image, p, s, progress=self._bar(self.pull), cache=self.cache))
            except DownloadFailed as exc:
                self.pull.update(state="offline", current=None, reason=str(exc))
                logger.warning("could not pull the default models (%s); %s", exc, IMPORT_HINT)
                self._settle_all(f"the hub could not be reached ({exc})")
                return
            except (ModelError, OSError) as exc:
                self.pull.setdefault("failed", {})[persona] = str(exc)
                logger.error("pulling %s for %s failed: %s", source, persona, exc)
                self._arrived(persona, str(exc))
                continue
            self.image.run(lambda p=persona, s=source: _mark(self.image.connection.root(), "pulled", p, s))
            self.pull["done"].append(persona)
            self._arrived(persona)
            logger.info("%s now has its default model %s (%.1f MiB)", persona, result.source, result.total_size / 2**20)
        self.pull.update(state="done", current=None, progress={})

    @staticmethod
    def _bar(report: dict) -> Callable[[str, int | None], "_StatusBar"]:
        return lambda description, total: _StatusBar(report, description, total)


def _wanting_embedded(root: Any, wanted: dict[str, tuple[str, str]]) -> list[str]:
    """Personas due their embedded model (``wanted``: persona -> (the file's sha256, the form to store)): those
    with no model that never had one, and those whose model is still the one the image gave them but not this
    file in this form (an older choice, or converted before llama.cpp could run it)."""
    store = store_of(root, create=False)
    if store is None:
        return []
    had = store.embedded or {}
    due = []
    for persona in PERSONAS:
        if persona not in wanted:
            continue
        key = store.personas.get(persona)
        if key is None:
            if persona not in had:  # a model the user removed is not put back
                due.append(persona)
            continue
        record = store.models.get(key)
        sha, form = wanted[persona]
        if had.get(persona) == key and record is not None and (
                (record.provenance or {}).get("sha256") != sha or record.format != form):
            due.append(persona)
    return due


def _never_pulled(root: Any, defaults: dict[str, str]) -> dict[str, str]:
    """Personas whose default was never pulled and who have no model, or only the embedded one."""
    store = store_of(root, create=False)
    if store is None:
        return {}
    pulled = store.pulled or {}
    embedded = store.embedded or {}
    return {p: m for p, m in defaults.items() if p not in pulled and store.personas.get(p) in (None, embedded.get(p))}


def _mark(root: Any, which: str, persona: str, value: str) -> None:
    store = store_of(root)
    if getattr(store, which, None) is None:
        setattr(store, which, PersistentMapping())
    getattr(store, which)[persona] = value


def _cuda_available() -> bool:
    """torch's answer (seconds of import), asked only where an NVIDIA driver is: without one there is no CUDA, and a
    kernel that starts offline on a machine without a GPU (every start, until the defaults are pulled) does not
    import torch beside the requests it serves (bench/perf/bench_send.py saw the import slow every send ~2x while it ran)."""
    if not engines.cuda_hint():
        return False
    from bat_os.models.quantize import cuda_available

    return cuda_available()


# --- threads, and the image seen from one ------------------------------------------------------


def _settle(future: concurrent.futures.Future, work: Callable[[], Any]) -> None:
    """Run ``work`` and put its outcome, result or exception, into ``future`` (for another thread)."""
    try:
        future.set_result(work())
    except BaseException as exc:  # noqa: BLE001 - raised where the future is awaited
        future.set_exception(exc)


async def _in_thread(work: Callable[[], Any]) -> Any:
    """Run ``work`` on a daemon thread (a long download must not hold up the kernel's exit)."""
    future: concurrent.futures.Future = concurrent.futures.Future()
    threading.Thread(target=_settle, args=(future, work), name="batos-provision", daemon=True).start()
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


class _StatusBar:
    """A progress bar that writes into a ``status`` report (and logs every 10%)."""

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

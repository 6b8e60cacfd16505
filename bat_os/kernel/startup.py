"""Starting the kernel: the services it runs with, then the loop until it is told to stop.

:func:`run_kernel` is what ``batos.py`` runs once the image is open and
awakened (:mod:`bat_os.cli.main`). :func:`start_cognition` builds, inside the
running loop, what the commands reach through ``ctx.cognition``: the jail
(or a stand-in that refuses every run where it cannot start), the model
backend (a cassette, or the personas' own models through the model manager),
semantic memory and the orchestrator of cycles.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from bat_os import oscompat
from bat_os.cognition.cycle.driver import Orchestrator, cycle_settings
from bat_os.cognition.methods.capabilities import CapabilitySettings
from bat_os.cognition.methods.service import Cognition
from bat_os.config import Config
from bat_os.errors import JailError
from bat_os.image.image import Image
from bat_os.jail.runner import Jail, JailLimits, JailRunner, UnavailableJail
from bat_os.kernel.audit import AuditSink
from bat_os.kernel.door import Door
from bat_os.kernel.loop import Kernel
from bat_os.memory.service import Memory, MemorySettings
from bat_os.models import embedded
from bat_os.models.backends import AuditedBackend, make_backend
from bat_os.models.provision import Provisioner

logger = logging.getLogger(__name__)


async def start_cognition(config: Config, image: Image) -> Cognition:
    """The jail (warm workers), the model backend, persona models, memory and the orchestrator."""
    limits = JailLimits(
        cpu_seconds=config.jail_cpu_seconds,
        wall_seconds=config.jail_wall_seconds,
        memory_bytes=config.jail_memory_mb * 2**20,
    )
    jail: JailRunner = Jail(limits, workers=config.jail_workers)
    try:
        await jail.start()
    except JailError as exc:  # e.g. Windows: no fork; the kernel serves on, generated methods answer jail_unavailable
        logger.error("the jail cannot start here (%s): generated methods and cognitive cycles are disabled;"
                     " everything else (objects, memory, persona models) works", exc)
        jail = UnavailableJail(str(exc), limits)
    protections = jail.protections()
    if jail.available:
        logger.info("jail protections: %s", ", ".join(f"{k}={v}" for k, v in protections.items()))
    models = None
    if config.llm.backend == "transformers":
        from bat_os.models.manager import ModelManager
        from bat_os.models.personas import PersonaModels

        budget = config.models.memory_mb * 2**20 if config.models.memory_mb else None
        manager = ModelManager(budget_bytes=budget, device=config.llm.device, cpu_form=config.models.cpu_form,
                               workdir=config.image.with_name(config.image.stem + ".loaded"), engine=config.models.engine,
                               context=config.models.context, threads=config.models.threads,
                               cache=config.models.cache_dir or embedded.cache_dir())
        manager.cores.count("jail", lambda: jail.running)  # each run in flight: a child busy on a core
        models = PersonaModels(image, manager, provision=_provisioner(config, image))
        backend = make_backend(config.llm, record_to=config.llm.record_to, manager=manager, resolve=models.resolve,
                               timeout=config.models.generation_timeout, arrive=models.arrival)
        models.start()
        missing = [p for p, entry in image.read(lambda: models.status()["personas"]).items() if entry["model"] is None]
        if missing and not (models.provision and models.provision.busy):
            logger.warning("%s %s no model: %s", ", ".join(missing), "has" if len(missing) == 1 else "have",
                           "import one with: python batos.py models import PERSONA <directory, .gguf file or"
                           " Hugging Face id> (kernel stopped), or set [models] pull_defaults = \"auto\"")
    else:
        backend = make_backend(config.llm, record_to=config.llm.record_to)
    backend = AuditedBackend(backend)  # every model call a line of the audit trail, once the kernel has one
    memory = Memory(image, MemorySettings(max_bytes=config.memory_max_bytes, model_path=config.embedding_model))
    if models is not None:
        models.manager.cores.count("memory", memory.cores_held)  # the embedder's thread while it works
    if config.memory_warmup:
        memory.start()  # the embedder loads and the pending chunks are embedded in the background
    orchestrator = Orchestrator(image, backend, jail, cycle_settings(config), memory=memory)
    cognition = Cognition(image, jail, orchestrator, backend=backend, protections=protections, models=models, memory=memory,
                          translator=config.translator, retries=config.conflict_retries,
                          capability_settings=CapabilitySettings(tokens=config.capability_tokens, calls=config.capability_calls,
                                                                 seconds=config.capability_seconds))
    orchestrator.trials.capabilities = cognition.capabilities_for  # candidates on trial may use what they name
    return cognition


def run_kernel(config: Config, image: Image, audit_factory: Callable[[], AuditSink], door: Door | None = None) -> int:
    """Run the kernel until it is told to stop (``door``: its socket, bound while it started). Returns the exit code."""

    async def main() -> int:
        audit = audit_factory()
        kernel = Kernel(config, image, audit, cognition_factory=lambda: start_cognition(config, image), door=door)
        try:
            return await kernel.serve()
        finally:
            await audit.close()

    # A selector loop on Windows: add_reader on the ZeroMQ FD needs it (see bat_os.oscompat).
    with asyncio.Runner(loop_factory=oscompat.loop_factory()) as runner:
        return runner.run(main())


def _provisioner(config: Config, image: Image) -> Provisioner:
    """The first models' provisioning: the embedded models set-up fetched, the profile's defaults if asked. A
    persona whose own embedded model is not in the cache gets the fallback (the 0.5B model) if that one is."""
    from bat_os.models import engines

    cache = config.models.cache_dir or embedded.cache_dir()
    files: dict[str, tuple] = {}
    for persona, entry in embedded.wanted(config.models, cuda=engines.cuda_hint()).items():
        for candidate in (entry, embedded.MODELS[embedded.DEFAULT]):
            if (path := embedded.present(candidate, cache)) is not None:
                files[persona] = (path, candidate.sha256)
                break
            logger.info("the embedded model %s is not in %s (./run.sh setup fetches it; BATOS_EMBEDDED_MODEL=0 skips it)",
                        candidate.name, cache)
    return Provisioner(image, config.models, embedded=files, cache=cache, pull=config.models.pull_defaults == "auto")

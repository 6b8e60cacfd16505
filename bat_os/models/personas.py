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
import logging
from typing import Any, Callable

from bat_os.errors import BadRequest, NoModel
from bat_os.image.image import Image
from bat_os.image.primordial import PERSONAS
from bat_os.models.manager import AdapterSpec, LoadSpec, ModelManager
from bat_os.models.provision import Provisioner

logger = logging.getLogger(__name__)


class PersonaModels:
    """Resolves personas to load specs from the image; owns the model manager and the first models' provisioning."""

    def __init__(self, image: Image, manager: ModelManager, *, provision: Provisioner | None = None) -> None:
        self.image = image
        self.manager = manager
        self.provision = provision  # the embedded model and the profile's defaults (bat_os.models.provision)

    def resolve(self, persona: str) -> LoadSpec:
        """``persona``'s LoadSpec (event-loop thread only). NoModel when it has none in the image."""
        return self.image.read(lambda: spec_for(self.image.connection.root(), persona))

    async def arrival(self, persona: str) -> bool:
        """Wait for ``persona``'s first model while provisioning brings it (:meth:`Provisioner.arrival`): True once
        stored, False when none is on its way."""
        return await self.provision.arrival(persona) if self.provision is not None else False

    def start(self) -> asyncio.Task | None:
        """Give the personas their first models in the background (see :mod:`bat_os.models.provision`)."""
        return self.provision.start() if self.provision is not None else None

    async def close(self) -> None:
        if self.provision is not None:
            await self.provision.close()

    def status(self) -> dict[str, Any]:
        """For the ``status`` command, inside its (read) transaction."""
        table = persona_table(self.image.connection.root(), self.manager.engine_of)
        missing = [p for p, entry in table.items() if entry["model"] is None]
        report: dict[str, Any] = {"personas": table, "engines": engines_in_use(table), "manager": self.manager.status()}
        if self.provision is not None:
            report.update(embedded=dict(self.provision.embedded), pull=dict(self.provision.pull))
        if missing:
            report["hint"] = (
                f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no model: stop the kernel and run"
                " python batos.py models import PERSONA <directory, .gguf file or Hugging Face id>"
                " (or python batos.py models make-tiny --out DIR for small offline test models)"
            )
        return report


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
    return LoadSpec(persona, record.key, record.source, tuple(committed_files(record)), adapter, generation,
                    format=record.format, provenance=dict(record.provenance) if record.provenance else None)


def persona_table(root: Any, engine_of: Callable[[str, bool], str] | None = None) -> dict[str, Any]:
    """Each persona's model, its format and (``engine_of(format, peft_only)``: the manager's) the engine that runs
    it: an adapter with no llama.cpp form (``adapter.gguf``) is run by transformers."""
    from bat_os.models.records import store_of

    store = store_of(root, create=False)
    table = {}
    for persona in PERSONAS:
        key = store.personas.get(persona) if store is not None else None
        record = store.models.get(key) if key is not None else None
        adapter_name = codex_of(root, persona).get("lora_adapter")
        adapter = adapter_name if store is not None and adapter_name in store.adapters else None
        table[persona] = {
            "model": record.source if record is not None else None,
            "key": key,
            "format": record.format if record is not None else None,
            "engine": engine_of(record.format, adapter is not None and "gguf" not in store.adapters[adapter].forms())
            if record is not None and engine_of else None,
            "bytes": record.total_size if record is not None else 0,
            "quantization": dict(record.quantization) if record is not None and record.quantization else None,
            "adapter": adapter,
        }
    return table


def engines_in_use(table: dict[str, Any]) -> dict[str, list[str]]:
    """engine -> the personas whose models it runs, from a :func:`persona_table` (``{}`` where no engine is known:
    no persona has a model, or the replay backend answers)."""
    used: dict[str, list[str]] = {}
    for persona, entry in table.items():
        if entry["model"] is not None and entry["engine"] is not None:
            used.setdefault(entry["engine"], []).append(persona)
    return used

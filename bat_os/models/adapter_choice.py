"""Which LoRA adapter a persona's model runs with: refused adapters set aside, PEFT adapters loaded and switched.

Two parts, both used by the :class:`~bat_os.models.manager.ModelManager` on
its worker thread:

- :class:`Refusals`: an adapter the engine cannot apply
  (:func:`~bat_os.models.loadspec.not_applied`: a PEFT adapter with no GGUF
  form in llama.cpp, a GGUF form alone in transformers, a damaged blob) or
  that failed to load is refused. Its persona runs its base model, and
  ``status`` shows why under ``adapters_refused``; the verdict is kept by the
  adapter's digest, so a changed adapter is tried again.
- :func:`select_adapter`: personas whose specs name the same base share one
  transformers resident; each persona's adapter is loaded into it once (PEFT
  ``load_adapter``, or ``PeftModel.from_pretrained`` for the first) and
  switched to with ``set_adapter``. A persona without an adapter on such a
  base generates with the adapters disabled (``active`` None). llama.cpp
  applies an adapter at load instead (:func:`bat_os.models.residents.load_llama`).

peft is imported inside :func:`load_adapter`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace

from bat_os.errors import ModelUnavailable
from bat_os.models.files import link_files, verify
from bat_os.models.loadspec import LoadSpec, not_applied
from bat_os.models.residents import LinkDirs, Resident

logger = logging.getLogger(__name__)


class Refusals:
    """The adapters refused: by digest (why), and by persona (what ``status`` shows). Safe to read from the loop."""

    def __init__(self) -> None:
        self._by_digest: dict[str, str] = {}  # an adapter's digest -> why it is not applied
        self._by_persona: dict[str, dict] = {}  # persona -> {"adapter", "why"}
        self._lock = threading.Lock()

    def usable(self, spec: LoadSpec, engine: str, setting: str, verified: dict) -> LoadSpec:
        """``spec``, or ``spec`` without its adapter where ``engine`` cannot apply it (``setting``: the
        ``models.engine`` setting, for the reason) or it was refused before. ``verified``: the files hashed."""
        with self._lock:
            self._by_persona.pop(spec.persona, None)
        why = spec.adapter and (self._by_digest.get(spec.adapter.digest) or not_applied(spec, engine, setting, verified))
        if not why:
            return spec
        self.refuse(spec, why)
        return replace(spec, adapter=None)

    def refuse(self, spec: LoadSpec, why: str) -> None:
        """Refuse ``spec``'s adapter (logged once per digest)."""
        adapter = spec.adapter
        assert adapter is not None  # only specs with an adapter are refused
        if adapter.digest not in self._by_digest:
            logger.error("%s's adapter %s is refused, the persona runs its base model: %s", spec.persona, adapter.name, why)
        with self._lock:
            self._by_digest[adapter.digest] = why
            self._by_persona[spec.persona] = {"adapter": adapter.name, "why": why}

    def status(self) -> dict[str, dict]:
        """persona -> {"adapter", "why"}: a copy."""
        with self._lock:
            return {persona: dict(refused) for persona, refused in self._by_persona.items()}


@dataclass(frozen=True)
class Switch:
    """What :func:`select_adapter` did to a resident."""

    changed: bool  # its active adapter is another now (or none: the adapters disabled)
    loaded: bool = False  # the adapter was loaded into it first
    adapter: str | None = None  # the adapter switched to (None: none, or nothing changed)
    seconds: float = 0.0  # loading and switching to ``adapter``


UNCHANGED = Switch(False)


def select_adapter(resident: Resident, spec: LoadSpec, *, verified: dict, lock: threading.Lock) -> Switch:
    """Make ``spec``'s adapter the active one on a transformers ``resident`` (loading it first where it is not
    there, or changed), or disable the adapters when ``spec`` has none. ``lock`` guards what ``status`` reads of
    the resident. Raises ModelUnavailable when the adapter is damaged or does not fit the base model."""
    wanted = spec.adapter
    if wanted is None:
        if resident.active is None:
            return UNCHANGED
        with lock:
            resident.active = None  # generation runs with the adapters disabled
        return Switch(True)
    started = time.perf_counter()
    loaded = resident.adapters.get(wanted.name) != wanted.digest
    if loaded:
        load_adapter(resident, spec, verified=verified, lock=lock)
    elif resident.active == wanted.name:
        return UNCHANGED
    resident.model.set_adapter(wanted.name)
    with lock:
        resident.active = wanted.name
    return Switch(True, loaded, wanted.name, time.perf_counter() - started)


def load_adapter(resident: Resident, spec: LoadSpec, *, verified: dict, lock: threading.Lock) -> None:
    """Load ``spec``'s adapter into ``resident`` under its name (replacing an older one of that name), from links
    to its committed files beside the resident's directory; its files' sha256 are checked first."""
    adapter = spec.adapter
    assert adapter is not None and resident.directory is not None
    try:
        verify(adapter.files, verified)
    except ModelUnavailable as exc:
        raise ModelUnavailable(f"{spec.persona}'s adapter {adapter.name} is unavailable: {exc}") from None
    directory = LinkDirs.adapter_dir(resident.directory, adapter)
    link_files(adapter.files, directory)
    try:
        from peft import PeftModel

        if adapter.name in resident.adapters:  # changed since it was loaded: replace it
            resident.model.delete_adapter(adapter.name)
        if isinstance(resident.model, PeftModel):
            resident.model.load_adapter(str(directory), adapter_name=adapter.name)
        else:
            resident.model = PeftModel.from_pretrained(resident.model, str(directory), adapter_name=adapter.name)
    except Exception as exc:
        raise ModelUnavailable(
            f"adapter {adapter.name} does not fit {spec.persona}'s base model {spec.model}: {type(exc).__name__}: {str(exc)[:300]}"
        ) from exc
    with lock:
        resident.adapters[adapter.name] = adapter.digest


__all__ = ["UNCHANGED", "Refusals", "Switch", "load_adapter", "select_adapter"]

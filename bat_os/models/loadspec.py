"""What the model manager is asked to run, read from the image on the loop thread: a persona's base model and
its adapter (plain data, no ZODB objects), and whether an engine can apply that adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bat_os.errors import ModelUnavailable
from bat_os.models import engines
from bat_os.models.files import CommittedFile, verify
from bat_os.models.lora_gguf import GGUF_FILE


@dataclass(frozen=True)
class AdapterSpec:
    name: str
    files: tuple[CommittedFile, ...]
    digest: str  # changes when the adapter's files change

    @property
    def gguf_file(self) -> CommittedFile | None:
        """Its llama.cpp form (bat_os.models.lora_gguf), where one was stored."""
        return next((f for f in self.files if f.name == GGUF_FILE), None)

    @property
    def peft(self) -> bool:
        """It holds PEFT weights (what the transformers engine applies)."""
        return any(f.name == "adapter_model.safetensors" for f in self.files)


@dataclass(frozen=True)
class LoadSpec:
    """What a persona needs, read from the image on the loop thread; no ZODB objects inside."""

    persona: str
    key: str  # the base model's record key: personas with the same key share one resident model
    model: str  # its source (Hugging Face id or directory), reported as Completion.model
    files: tuple[CommittedFile, ...]
    adapter: AdapterSpec | None = None
    generation: dict[str, Any] = field(default_factory=dict)  # max_new_tokens, temperature, top_p, stop
    format: str = engines.HF  # the record's: "hf" (a model directory) or "gguf" (one GGUF file)
    provenance: dict | None = None  # the record's (a GGUF file's sha256, name...), for a conversion

    @property
    def size(self) -> int:
        """Bytes of weights on disk: the estimate of what loading will take."""
        return sum(f.size for f in self.files if f.name.endswith((".safetensors", ".gguf")))

    @property
    def gguf_file(self) -> CommittedFile | None:
        return next((f for f in self.files if f.name.endswith(".gguf")), None) if self.format == engines.GGUF else None


def not_applied(spec: LoadSpec, engine: str, setting: str, verified: dict) -> str | None:
    """Why ``engine`` cannot apply ``spec``'s adapter (None: it can): a PEFT adapter with no GGUF form in
    llama.cpp, a GGUF form alone in transformers, or a GGUF form whose blob is damaged (``verified``: the
    manager's cache of files already hashed)."""
    adapter = spec.adapter
    assert adapter is not None
    if engine == engines.LLAMA and adapter.gguf_file is None:
        return (f"{adapter.name} is a PEFT adapter with no llama.cpp form ({GGUF_FILE}), and llama.cpp runs "
                f"{spec.persona}'s model (models.engine = \"{setting}\")")
    if engine == engines.TRANSFORMERS and not adapter.peft:
        return f"{adapter.name} holds only llama.cpp's form ({GGUF_FILE}), and transformers runs {spec.persona}'s model"
    if engine == engines.LLAMA:
        try:
            verify([adapter.gguf_file], verified)
        except ModelUnavailable as exc:
            return f"adapter {adapter.name} is unavailable: {exc}"
    return None


__all__ = ["AdapterSpec", "LoadSpec", "not_applied"]

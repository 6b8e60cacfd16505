"""What the image holds of persona models and LoRA adapters: the store and its records (persistent).

``root["batos_models"]`` is a :class:`ModelStore`::

    models    OOBTree  key -> ModelRecord      key: sha256 over the sorted (file name, file sha256) pairs
    personas  OOBTree  "ALFRED" -> key         personas whose files are identical share ONE record
    adapters  OOBTree  "alfred" -> AdapterRecord
    pulled    mapping  "ALFRED" -> the default model id pulled on first awakening (never again)

Each record's files are :class:`StoredFile` entries holding a ZODB blob.
Migration 3 creates the store (:func:`ensure_store`). How files get in is
:mod:`bat_os.models.store`'s and :mod:`bat_os.models.adapters`'s business; how
they get out, :mod:`bat_os.models.files`'s.
"""

from __future__ import annotations

from typing import Any

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.mapping import PersistentMapping
from ZODB.blob import Blob

from bat_os.errors import NoModel

STORE_KEY = "batos_models"


class StoredFile(Persistent):
    """One file of a model or adapter: its relative name, its blob, size and sha256."""

    def __init__(self, name: str, blob: Blob, size: int, sha256: str) -> None:
        self.name = name
        self.blob = blob
        self.size = size
        self.sha256 = sha256


class ModelRecord(Persistent):
    """A base model's files. ``source_digest`` differs from ``key`` only when BAT OS quantized it.

    ``provenance`` (a plain dict, or None) says where a converted model came from: for a GGUF
    file its ``format``, ``source``, ``path``, ``size``, ``sha256``, ``architecture``, ``name``,
    ``quantization`` (the file's, e.g. Q4_K_M) and the ``dtype`` it was converted to. Records
    stored before it existed read the class default, None.

    ``format``: ``"hf"``, a Hugging Face model directory (every record stored before formats
    existed reads this class default), or ``"gguf"``, one GGUF file stored as it is
    (:data:`bat_os.models.engines.GGUF`), which llama.cpp runs from its blob.
    """

    provenance: dict | None = None
    format: str = "hf"

    def __init__(
        self, key: str, source: str, revision: str | None, dtype: str | None, quantization: dict | None,
        architecture: str | None, files: PersistentMapping, imported_at: float, source_digest: str,
        provenance: dict | None = None, format: str = "hf",
    ) -> None:
        self.key = key
        self.source = source
        self.revision = revision
        self.dtype = dtype
        self.quantization = quantization  # a plain dict, never mutated after the import
        self.architecture = architecture
        self.files = files  # name -> StoredFile
        self.imported_at = imported_at
        self.source_digest = source_digest
        self.provenance = provenance
        if format != "hf":
            self.format = format

    @property
    def total_size(self) -> int:
        return sum(stored.size for stored in self.files.values())

    def describe_short(self) -> str:
        return f"model {self.source} ({self.key[:12]})"


class AdapterRecord(Persistent):
    """A LoRA adapter's files; ``sha256`` is the digest over its sorted (name, sha256) pairs."""

    def __init__(self, name: str, base: str | None, files: PersistentMapping, sha256: str, imported_at: float) -> None:
        self.name = name
        self.base = base
        self.files = files
        self.sha256 = sha256
        self.imported_at = imported_at

    @property
    def total_size(self) -> int:
        return sum(stored.size for stored in self.files.values())

    def describe_short(self) -> str:
        return f"adapter {self.name}"

    def forms(self) -> list[str]:
        """Which forms it holds: ``peft`` (what transformers applies), ``gguf`` (llama.cpp's ``adapter.gguf``)."""
        return [form for form, file in (("peft", "adapter_model.safetensors"), ("gguf", "adapter.gguf")) if file in self.files]


class ModelStore(Persistent):
    pulled: Any = None  # stores made before pulls were recorded read these class defaults
    embedded: Any = None  # PERSONA -> key of the embedded model it was given (a PersistentMapping once any)

    def __init__(self) -> None:
        self.models = OOBTree()  # key -> ModelRecord
        self.personas = OOBTree()  # PERSONA -> key
        self.adapters = OOBTree()  # name -> AdapterRecord
        self.pulled = PersistentMapping()  # PERSONA -> default model id pulled on first awakening (never again)


def store_of(root: Any, create: bool = True) -> ModelStore | None:
    """``root["batos_models"]``, created when missing (``create=False``: None instead)."""
    store = root.get(STORE_KEY)
    if store is None and create:
        store = root[STORE_KEY] = ModelStore()
    return store


def ensure_store(root: Any, context: Any = None) -> ModelStore:
    """A migration's apply function: the model store exists afterwards."""
    store = store_of(root)
    assert store is not None
    return store


def persona_record(conn_root: Any, persona: str) -> ModelRecord:
    """``persona``'s ModelRecord; NoModel when it has none."""
    persona = persona.upper()
    store = store_of(conn_root, create=False)
    key = store.personas.get(persona) if store is not None else None
    record = store.models.get(key) if key is not None else None
    if record is None:
        raise NoModel(persona)
    return record

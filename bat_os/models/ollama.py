"""``ollama:NAME[:TAG]``: a model from a local Ollama store, found through its manifests.

An Ollama store (``~/.ollama/models``, or ``$OLLAMA_MODELS``) keeps each
model's manifest at ``manifests/<registry>/<namespace>/<name>/<tag>`` (the
default registry is ``registry.ollama.ai`` and the default namespace
``library``) and its layers as content-addressed blobs at
``blobs/sha256-<hex>``. The layer whose ``mediaType`` is
``application/vnd.ollama.image.model`` is the GGUF file. Nothing is
downloaded: only what the store already holds can be imported. The blob's
name is its sha256, which :func:`resolve` checks against the manifest's digest
only by name (the import hashes the file anyway).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Mapping

from bat_os.errors import ModelError

PREFIX = "ollama:"
MODEL_LAYER = "application/vnd.ollama.image.model"
DEFAULT_REGISTRY = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def is_ollama(source: str) -> bool:
    return source.startswith(PREFIX)


def store_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The Ollama store: ``$OLLAMA_MODELS``, else ``~/.ollama/models``."""
    environ = os.environ if environ is None else environ
    configured = environ.get("OLLAMA_MODELS")
    return Path(configured).expanduser() if configured else Path.home() / ".ollama" / "models"


def resolve(source: str, environ: Mapping[str, str] | None = None) -> Path:
    """``ollama:NAME[:TAG]`` (NAME may be ``namespace/name`` or ``registry/namespace/name``) -> the GGUF blob."""
    reference = source[len(PREFIX):] if is_ollama(source) else source
    name, _, tag = reference.partition(":")
    tag = tag or "latest"
    parts = name.split("/")
    if len(parts) == 1:
        parts = [DEFAULT_REGISTRY, DEFAULT_NAMESPACE, *parts]
    elif len(parts) == 2:
        parts = [DEFAULT_REGISTRY, *parts]
    if len(parts) != 3 or not all(_PART.match(p) for p in [*parts, tag]):
        raise ModelError(f"{source!r} is not an Ollama model name: use ollama:NAME[:TAG], e.g. ollama:smollm2:135m")
    store = store_dir(environ)
    manifest = store.joinpath("manifests", *parts, tag)
    if not manifest.is_file():
        raise ModelError(f"no Ollama model {name}:{tag} in {store} (no manifest at {manifest}); pull it with ollama first")
    try:
        layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers", [])
        digest = next(layer["digest"] for layer in layers if layer.get("mediaType") == MODEL_LAYER)
    except (OSError, ValueError, AttributeError, KeyError, StopIteration, TypeError) as exc:
        raise ModelError(f"the Ollama manifest {manifest} names no model layer ({type(exc).__name__})") from exc
    algorithm, _, hexdigest = str(digest).partition(":")
    if algorithm != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", hexdigest):
        raise ModelError(f"the Ollama manifest {manifest} has a malformed model digest {digest!r}")
    blob = store / "blobs" / f"sha256-{hexdigest}"
    if not blob.is_file():
        raise ModelError(f"the Ollama store {store} lacks the blob of {name}:{tag} ({blob.name})")
    return blob

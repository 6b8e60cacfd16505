"""The knowledge catalog: chunks in BTrees, found by words (TextIndex, Okapi BM25) and by meaning.

Persistent state (all in the image)::

    chunks       IOBTree  chunk id -> Chunk (doc id, index, text, metadata, embedding)
    documents    OOBTree  doc id -> tuple of chunk ids
    doc_hashes   OOBTree  doc id -> content hash (identical content is not re-embedded)
    text_index   TextIndex over chunk texts
    meta_index   OOBTree  key -> OOBTree value -> IITreeSet of chunk ids (filters)
    pending      IITreeSet chunk ids without an embedding yet (embedded in the background)
    generation   Length, bumped by every change
    changes      IOBTree  generation -> (added chunk ids, removed chunk ids): how an in-memory
                 vector index catches up with commits (its own or other connections')

An embedding is the chunk's L2-normalised float32 vector stored as bytes
(``Chunk.embedding``), with the embedder's name in ``Chunk.model``. The
in-memory vector index lives outside the image (:mod:`bat_os.memory.service`).
Re-indexing a document replaces its chunks in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

import persistent
from BTrees.IIBTree import IITreeSet
from BTrees.IOBTree import IOBTree
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent.mapping import PersistentMapping
from zope.index.text import TextIndex
from zope.index.text.parsetree import ParseError

from bat_os.image.objects import covenant

logger = logging.getLogger(__name__)

CODEX_SOURCE = "persona_codex"
CHANGE_LOG_KEEP = 5000  # generations of changes kept; an index further behind is rebuilt
_WORD = re.compile(r"\w+", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT"}
TIME_KEY = "ingested_at"  # kept in its own index: filters "ingested_after" / "ingested_before" (epoch seconds)
TIME_FILTERS = ("ingested_after", "ingested_before")


def content_hash(text: str, metadata: dict | None = None, salt: str = "") -> str:
    digest = hashlib.sha256()
    digest.update(salt.encode("utf-8"))
    digest.update(b"\0")
    digest.update(json.dumps(metadata or {}, sort_keys=True, default=str).encode("utf-8"))
    digest.update(b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class Chunk(persistent.Persistent):
    def __init__(
        self, doc_id: str, index: int, text: str, metadata: dict | None = None, embedding: bytes | None = None,
        model: str | None = None,
    ) -> None:
        self.doc_id = doc_id
        self.index = index
        self.text = text
        self.metadata = covenant(dict(metadata or {}))
        self.embedding = embedding
        self.model = model


class KnowledgeCatalog(persistent.Persistent):
    """Documents split into chunks, searchable by words; embeddings kept for the vector index."""

    def __init__(self) -> None:
        self.text_index = TextIndex()
        self.chunks = IOBTree()  # chunk id -> Chunk
        self.documents = OOBTree()  # doc id -> tuple of chunk ids
        self.next_chunk_id = Length(1)
        self.upgrade()

    def upgrade(self) -> None:
        """Add what catalogs made before semantic memory lack (migration 4); existing chunks become pending."""
        if getattr(self, "meta_index", None) is not None:
            return
        self.doc_hashes = OOBTree()
        self.meta_index = OOBTree()
        self.times = OOBTree()  # ingested_at -> IITreeSet of chunk ids
        self.pending = IITreeSet()
        self.generation = Length(0)
        self.changes = IOBTree()
        for chunk_id, chunk in self.chunks.items():
            self._index_metadata(chunk_id, chunk)
            if getattr(chunk, "embedding", None) is None:
                self.pending.insert(chunk_id)
        if len(self.chunks):
            self._changed(list(self.chunks.keys()), [])

    # --- writing -------------------------------------------------------------------------
    def index_document(
        self, doc_id: str, chunks: Sequence[str], metadata: dict | None = None, *,
        embeddings: Sequence[bytes] | None = None, model: str | None = None, digest: str | None = None,
        now: float | None = None,
    ) -> list[int]:
        """Store ``chunks`` as the content of ``doc_id``, replacing what it had (one transaction: the caller's)."""
        if embeddings is not None and len(embeddings) != len(chunks):
            raise ValueError("one embedding per chunk")
        removed = list(self.documents.get(doc_id, ()))
        self._drop(doc_id)
        meta = dict(metadata or {})
        meta.setdefault("ingested_at", round(now if now is not None else time.time(), 3))
        ids: list[int] = []
        for i, text in enumerate(chunks):
            chunk_id = self.next_chunk_id()
            self.next_chunk_id.change(1)
            embedding = embeddings[i] if embeddings is not None else None
            chunk = Chunk(doc_id, i, text, meta, embedding, model if embedding is not None else None)
            self.chunks[chunk_id] = chunk
            self.text_index.index_doc(chunk_id, text)
            self._index_metadata(chunk_id, chunk)
            if embedding is None:
                self.pending.insert(chunk_id)
            ids.append(chunk_id)
        self.documents[doc_id] = tuple(ids)
        if digest is not None:
            self.doc_hashes[doc_id] = digest
        self._changed(ids, removed)
        return ids

    def set_embeddings(self, embeddings: dict[int, bytes], model: str) -> int:
        """Give pending chunks their embeddings (chunks forgotten meanwhile are skipped)."""
        done = []
        for chunk_id, vector in embeddings.items():
            chunk = self.chunks.get(chunk_id)
            if chunk is None:
                continue
            chunk.embedding = vector
            chunk.model = model
            if chunk_id in self.pending:
                self.pending.remove(chunk_id)
            done.append(chunk_id)
        if done:
            self._changed(done, [])
        return len(done)

    def forget(self, doc_id: str) -> bool:
        removed = list(self.documents.get(doc_id, ()))
        if not self._drop(doc_id):
            return False
        self._changed([], removed)
        return True

    def _drop(self, doc_id: str) -> bool:
        ids = self.documents.get(doc_id)
        if ids is None:
            return False
        for chunk_id in ids:
            self.text_index.unindex_doc(chunk_id)
            chunk = self.chunks.pop(chunk_id)
            self._unindex_metadata(chunk_id, chunk)
            if chunk_id in self.pending:
                self.pending.remove(chunk_id)
        del self.documents[doc_id]
        self.doc_hashes.pop(doc_id, None)
        return True

    def _changed(self, added: Iterable[int], removed: Iterable[int]) -> None:
        self.generation.change(1)
        generation = self.generation()
        self.changes[generation] = (tuple(added), tuple(removed))
        oldest = generation - CHANGE_LOG_KEEP
        if oldest > 0 and len(self.changes) > CHANGE_LOG_KEEP:
            for old in list(self.changes.keys(max=oldest)):
                del self.changes[old]

    # --- metadata ------------------------------------------------------------------------
    @staticmethod
    def _values(value: Any) -> list:
        values = value if isinstance(value, (list, tuple)) or (hasattr(value, "__iter__") and not isinstance(value, (str, bytes, dict)) and not hasattr(value, "keys")) else [value]
        return [v for v in values if isinstance(v, (str, int, float, bool))]

    def _index_metadata(self, chunk_id: int, chunk: Chunk) -> None:
        at = chunk.metadata.get(TIME_KEY)
        if isinstance(at, (int, float)):
            ids = self.times.get(float(at))
            if ids is None:
                ids = self.times[float(at)] = IITreeSet()
            ids.insert(chunk_id)
        for key, value in list(chunk.metadata.items()) + [("doc_id", chunk.doc_id)]:
            if key == TIME_KEY:
                continue
            by_value = self.meta_index.get(key)
            if by_value is None:
                by_value = self.meta_index[key] = OOBTree()
            for v in self._values(value):
                ids = by_value.get(v)
                if ids is None:
                    ids = by_value[v] = IITreeSet()
                ids.insert(chunk_id)

    def _unindex_metadata(self, chunk_id: int, chunk: Chunk) -> None:
        at = chunk.metadata.get(TIME_KEY)
        if isinstance(at, (int, float)):
            ids = self.times.get(float(at))
            if ids is not None and chunk_id in ids:
                ids.remove(chunk_id)
                if not len(ids):
                    del self.times[float(at)]
        for key, value in list(chunk.metadata.items()) + [("doc_id", chunk.doc_id)]:
            by_value = self.meta_index.get(key)
            if by_value is None:
                continue
            for v in self._values(value):
                ids = by_value.get(v)
                if ids is not None and chunk_id in ids:
                    ids.remove(chunk_id)
                    if not len(ids):
                        del by_value[v]

    def filter_keys(self) -> list[str]:
        return sorted(list(self.meta_index.keys()) + list(TIME_FILTERS))

    def matching(self, filters: dict[str, Any]) -> set[int]:
        """Chunk ids whose metadata matches every filter (a list value: any of them). KeyError: unknown key."""
        result: set[int] | None = None
        for key, wanted in filters.items():
            if key in TIME_FILTERS:
                if isinstance(wanted, bool) or not isinstance(wanted, (int, float)):
                    raise ValueError(f"{key} must be a number of epoch seconds")
                bounds = {"min": float(wanted)} if key == "ingested_after" else {"max": float(wanted)}
                ids = set()
                for found in self.times.values(**bounds):
                    ids.update(found)
                result = ids if result is None else result & ids
                continue
            by_value = self.meta_index.get(key)
            if by_value is None:
                raise KeyError(key)
            ids: set[int] = set()
            for v in (wanted if isinstance(wanted, list) else [wanted]):
                found = by_value.get(v)
                if found is not None:
                    ids.update(found)
            result = ids if result is None else result & ids
        return result if result is not None else set()

    # --- reading -------------------------------------------------------------------------
    def text_search(self, query: str, top_k: int | None, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score), best first, the ``top_k`` best (None: all that match); a query of only
        stopwords (or nothing) finds nothing."""
        words = [w for w in _WORD.findall(query or "") if w.upper() not in _OPERATORS]
        if not words:
            return []
        try:  # any of the words (the parser's default is all of them), ranked by BM25
            scores = self.text_index.apply(" OR ".join(words))
        except ParseError:  # only stopwords
            return []
        items = scores.items() if allowed is None else ((k, v) for k, v in scores.items() if k in allowed)
        return sorted(items, key=lambda item: item[1], reverse=True)[:top_k]

    def hit(self, chunk_id: int, score: float) -> dict[str, Any]:
        chunk = self.chunks[chunk_id]
        return {"doc_id": chunk.doc_id, "chunk": chunk.index, "score": float(score), "text": chunk.text, "metadata": _plain(chunk.metadata)}

    def search(self, query: str, top_k: int = 5) -> list[dict[str, Any]]:
        """Best chunks for ``query`` by BM25 (the word-only search)."""
        return [self.hit(chunk_id, score) for chunk_id, score in self.text_search(query, top_k)]

    def document_count(self) -> int:
        return len(self.documents)

    def chunk_count(self) -> int:
        return len(self.chunks)

    def summary(self) -> dict[str, Any]:
        pending = getattr(self, "pending", None)
        return {"documents": self.document_count(), "chunks": self.chunk_count(), "pending_embeddings": len(pending) if pending is not None else self.chunk_count()}


def _plain(value: Any) -> Any:
    """Metadata as plain data (covenant lists and mappings become lists and dicts)."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ in ("CovenantList", "PersistentList"):
        return [_plain(v) for v in value]
    return value


def read_codex(path: Path) -> list[dict[str, Any]]:
    """Read ``persona_codex.jsonl``: one JSON object per line with prompt and response."""
    entries = []
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc}") from exc
            if not isinstance(entry, dict) or not {"prompt", "response"} <= entry.keys():
                raise ValueError(f"{path}:{number}: needs 'prompt' and 'response'")
            entries.append(entry)
    return entries


def ingest_codex(catalog: KnowledgeCatalog, path: Path) -> int:
    """Index each codex line (its prompt and response together) as one document (embedded later, in the background)."""
    entries = read_codex(path)
    for number, entry in enumerate(entries, 1):
        doc_id = entry.get("id") or f"{CODEX_SOURCE}:{number}"
        metadata = PersistentMapping(
            {"source": CODEX_SOURCE, "persona": entry.get("persona", ""), "tags": list(entry.get("tags", []))}
        )
        text = f"{entry['prompt']}\n{entry['response']}"
        catalog.index_document(doc_id, [text], dict(metadata), digest=content_hash(text, dict(metadata)))
    logger.info("ingested %d codex entries from %s", len(entries), path)
    return len(entries)


def upgrade_catalog(root: Any, context: Any = None) -> None:
    """Migration 4: semantic memory (metadata index, embeddings pending, change log)."""
    catalog = root.get("knowledge_catalog_obj")
    if isinstance(catalog, KnowledgeCatalog):
        catalog.upgrade()

"""The knowledge catalog: chunks in BTrees, indexed by a zope.index TextIndex (Okapi BM25).

A first, word-only catalog. Each document is kept as one or more chunks;
``documents`` maps a document id to its chunk ids, ``chunks`` maps a chunk
id to a :class:`Chunk`. Re-indexing a document replaces its chunks.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import persistent
from BTrees.IOBTree import IOBTree
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent.mapping import PersistentMapping
from zope.index.text import TextIndex
from zope.index.text.parsetree import ParseError

from .objects import covenant

logger = logging.getLogger(__name__)

CODEX_SOURCE = "persona_codex"


class Chunk(persistent.Persistent):
    def __init__(self, doc_id: str, index: int, text: str, metadata: dict | None = None) -> None:
        self.doc_id = doc_id
        self.index = index
        self.text = text
        self.metadata = covenant(dict(metadata or {}))


class KnowledgeCatalog(persistent.Persistent):
    """Documents split into chunks, searchable by words."""

    def __init__(self) -> None:
        self.text_index = TextIndex()
        self.chunks = IOBTree()  # chunk id -> Chunk
        self.documents = OOBTree()  # doc id -> tuple of chunk ids
        self.next_chunk_id = Length(1)

    def index_document(self, doc_id: str, chunks: list[str], metadata: dict | None = None) -> list[int]:
        """Store ``chunks`` as the content of ``doc_id``, replacing what it had."""
        self.forget(doc_id)
        ids: list[int] = []
        for i, text in enumerate(chunks):
            chunk_id = self.next_chunk_id()
            self.next_chunk_id.change(1)
            self.chunks[chunk_id] = Chunk(doc_id, i, text, metadata)
            self.text_index.index_doc(chunk_id, text)
            ids.append(chunk_id)
        self.documents[doc_id] = tuple(ids)
        return ids

    def forget(self, doc_id: str) -> bool:
        ids = self.documents.get(doc_id)
        if ids is None:
            return False
        for chunk_id in ids:
            self.text_index.unindex_doc(chunk_id)
            del self.chunks[chunk_id]
        del self.documents[doc_id]
        return True

    def search(self, query: str, top_k: int = 5) -> list[dict[str, Any]]:
        """Best chunks for ``query`` by BM25; a query of only stopwords finds nothing."""
        if not query or not query.strip():
            return []
        try:
            scores = self.text_index.apply(query)
        except ParseError:
            return []
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:top_k]
        hits = []
        for chunk_id, score in ranked:
            chunk = self.chunks[chunk_id]
            hits.append(
                {
                    "doc_id": chunk.doc_id,
                    "chunk": chunk.index,
                    "score": float(score),
                    "text": chunk.text,
                    "metadata": dict(chunk.metadata),
                }
            )
        return hits

    def document_count(self) -> int:
        return len(self.documents)

    def chunk_count(self) -> int:
        return len(self.chunks)

    def summary(self) -> dict[str, Any]:
        return {"documents": self.document_count(), "chunks": self.chunk_count()}


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
    """Index each codex line (its prompt and response together) as one document."""
    entries = read_codex(path)
    for number, entry in enumerate(entries, 1):
        doc_id = entry.get("id") or f"{CODEX_SOURCE}:{number}"
        metadata = PersistentMapping(
            {"source": CODEX_SOURCE, "persona": entry.get("persona", ""), "tags": list(entry.get("tags", []))}
        )
        text = f"{entry['prompt']}\n{entry['response']}"
        catalog.index_document(doc_id, [text], dict(metadata))
    logger.info("ingested %d codex entries from %s", len(entries), path)
    return len(entries)

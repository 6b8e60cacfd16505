"""Semantic memory in the kernel: the service behind ingest, search and forget.

The commands are in :mod:`bat_os.kernel.commands.memory`; the cycle's
DELEGATING step searches through :class:`MemoryService`.

:class:`Memory` owns the embedder (all-MiniLM-L6-v2, loaded on first use on a
worker thread of its own: importing sentence-transformers costs 15-20 s here,
so the kernel starts without it and warms it up in the background) and the
in-memory :class:`~bat_os.memory.vector_index.VectorIndex`, one contiguous float32
matrix kept in step with the catalog through its change log (so commits by
any connection are seen). Chunking and embedding run on the worker thread;
the catalog is written on the event-loop thread in ONE transaction per
document (a large document: progress events per batch of sentences, then one
commit). A chunk's embedding is the normalised mean of its sentences'
embeddings, so every sentence is encoded once.

Hybrid search fuses the BM25 ranking (any of the query's words) and the
cosine ranking with weighted reciprocal rank fusion (k = 60): the word
ranking's votes weigh 0.7 and only its strong matches (>= 0.6 of its best
score) vote at all, since an any-word BM25 ranking has a long weak tail.
These two numbers were chosen on tests/data/retrieval (recall@5: text 0.66,
vector 0.95, plain RRF 0.90, this 0.95).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import queue
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from bat_os.errors import BadRequest, Internal
from bat_os.image.image import Image
from bat_os.memory.catalog import KnowledgeCatalog

logger = logging.getLogger(__name__)

MODES = ("hybrid", "text", "vector")
RRF_K = 60
TEXT_WEIGHT = 0.7  # a word-ranking vote counts 0.7 of a meaning-ranking vote ...
TEXT_GATE = 0.6  # ... and only words matches scoring >= 0.6 of the best vote (tests/test_retrieval_eval.py)
BATCH_SENTENCES = 256  # a large document is chunked and embedded this many sentences at a time
PENDING_BATCH = 128  # chunks embedded per background commit


@dataclass(frozen=True)
class MemorySettings:
    max_bytes: int = 10 * 2**20  # larger documents: too_large
    model_path: Path | None = None  # None: the bundled all-MiniLM-L6-v2
    percentile: float = 25.0
    # torch intra-op threads (process-wide). 1: a query embeds in ~13 ms without spinning threads
    # fighting the event loop for the CPU (2 threads here: hybrid search at 30k chunks 105 ms -> 51 ms)
    torch_threads: int | None = 1


class MemoryService(Protocol):
    """The seam the cycle searches through (:class:`Memory`, or a test's fake)."""

    state: str  # "cold" -> "loading" -> "ready": the embedder

    async def search(self, query: str, top_k: int = 5, mode: str = "hybrid", filters: dict | None = None,
                     allowed: set[int] | None = None) -> list[dict]: ...

    async def close(self) -> None: ...


def catalog_of(image: Any) -> KnowledgeCatalog:
    """The image's knowledge catalog (inside a transaction, loop thread); Internal if it has none."""
    catalog = image.connection.root().get("knowledge_catalog_obj")
    if not isinstance(catalog, KnowledgeCatalog):
        raise Internal("this image has no knowledge catalog")
    return catalog


class Memory:
    """The kernel's semantic memory service (event-loop side; embedding on one worker thread)."""

    def __init__(self, image: Image, settings: MemorySettings = MemorySettings(), *, embedder: Any = None) -> None:
        self.image = image
        self.settings = settings
        self._embedder = embedder
        self._worker = _Worker("batos-memory")
        self._index: Any = None
        self._task: asyncio.Task | None = None
        self.state = "cold"  # cold -> loading -> ready (the embedder)
        self._submitted = 0  # work handed to the worker thread and not yet done
        self.stats: dict[str, Any] = {}

    # --- the worker thread ---------------------------------------------------------------
    def _embedder_now(self) -> Any:
        if self._embedder is None:
            from bat_os.memory.embedder import MiniLMEmbedder

            started = time.perf_counter()
            embedder = MiniLMEmbedder(self.settings.model_path, threads=self.settings.torch_threads)
            embedder.encode(["warm up"])
            self._embedder = embedder
            self.stats["embedder_load_seconds"] = round(time.perf_counter() - started, 3)
            logger.info("embedder %s ready in %.1fs", embedder.name, time.perf_counter() - started)
        return self._embedder

    async def _in_worker(self, fn: Callable, *args: Any) -> Any:
        self._submitted += 1
        try:
            return await asyncio.wrap_future(self._worker.submit(fn, *args))
        finally:
            self._submitted -= 1

    def cores_held(self) -> int:
        """The cores the embedding worker holds now: its torch threads while it has work (bat_os.models.cores)."""
        return (self.settings.torch_threads or os.cpu_count() or 1) if self._submitted else 0

    async def embed(self, texts: list[str]) -> Any:
        self.state = "ready" if self._embedder is not None else "loading"
        vectors = await self._in_worker(lambda: self._embedder_now().encode(texts))
        self.state = "ready"
        return vectors

    @property
    def model(self) -> str:
        return getattr(self._embedder, "name", "all-MiniLM-L6-v2")

    # --- background ----------------------------------------------------------------------
    def start(self) -> asyncio.Task:
        """Load the embedder and embed what is pending (the codex on first awakening), in the background."""
        self._task = asyncio.get_running_loop().create_task(self._embed_pending())
        return self._task

    async def ensure_embedded(self) -> None:
        """Embed whatever is pending now (a search waits for it: pending chunks are not in the vector index)."""
        if self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        if self.image.read(lambda: len(catalog_of(self.image).pending)):
            await self._embed_pending()

    async def _embed_pending(self) -> None:
        import numpy as np

        try:
            await self.embed(["warm up"])
            while True:
                batch = self.image.read(lambda: [(cid, catalog_of(self.image).chunks[cid].text) for cid in list(catalog_of(self.image).pending)[:PENDING_BATCH]])
                if not batch:
                    break
                vectors = await self.embed([text for _cid, text in batch])
                payload = {cid: np.ascontiguousarray(vectors[i], dtype=np.float32).tobytes() for i, (cid, _text) in enumerate(batch)}
                model = self.model
                self.image.run(lambda: catalog_of(self.image).set_embeddings(payload, model), note="memory: embeddings")
                self.stats["embedded_in_background"] = self.stats.get("embedded_in_background", 0) + len(payload)
            self.image.read(lambda: self._sync(catalog_of(self.image)))
        except asyncio.CancelledError:
            raise
        except Exception:  # the kernel serves on; searches will try again
            logger.exception("embedding the pending chunks failed")

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._worker.stop()  # a daemon thread: an import or encode in progress does not hold up the exit

    # --- the vector index ----------------------------------------------------------------
    def _sync(self, catalog: KnowledgeCatalog) -> Any:
        """Bring the in-memory index up to the catalog's generation (inside a transaction, loop thread)."""
        import numpy as np

        from bat_os.memory.vector_index import VectorIndex

        generation = catalog.generation()
        index = self._index
        if index is not None and index.generation == generation:
            return index
        oldest = catalog.changes.minKey() if len(catalog.changes) else generation + 1
        if index is None or index.generation < oldest - 1:
            ids, rows = [], []
            for chunk_id, chunk in catalog.chunks.items():
                if chunk.embedding is not None:
                    ids.append(chunk_id)
                    rows.append(np.frombuffer(chunk.embedding, dtype=np.float32))
            index = VectorIndex(rows[0].shape[0] if rows else getattr(self._embedder, "dimension", 384))
            if ids:
                index.add(ids, np.vstack(rows))
        else:
            for g in range(index.generation + 1, generation + 1):
                added, removed = catalog.changes.get(g, ((), ()))
                if removed:
                    index.remove(removed)
                adds = [(cid, catalog.chunks.get(cid)) for cid in added]
                adds = [(cid, c) for cid, c in adds if c is not None and c.embedding is not None]
                if adds:
                    index.add([cid for cid, _c in adds], np.vstack([np.frombuffer(c.embedding, dtype=np.float32) for _cid, c in adds]))
        index.generation = generation
        self._index = index
        return index

    def index_bytes(self) -> int:
        return self._index.nbytes() if self._index is not None else 0

    # --- search ----------------------------------------------------------------------------
    @staticmethod
    def text_ranking(catalog: KnowledgeCatalog, query: str, top_k: int, allowed: set[int] | None) -> list[tuple[int, float]]:
        """The word ranking hybrid search fuses: only strong matches (an any-word BM25 ranking has a long weak tail)."""
        by_text = catalog.text_search(query, max(top_k * 4, 20), allowed)
        if by_text:
            best = by_text[0][1]
            by_text = [(cid, score) for cid, score in by_text if score >= TEXT_GATE * best]
        return by_text

    def ranked(
        self, catalog: KnowledgeCatalog, query: str, vector: Any, top_k: int, mode: str, allowed: set[int] | None,
        by_text: list[tuple[int, float]] | None = None,
    ) -> list[dict]:
        """Vector or hybrid hits (inside a transaction, loop thread); ``by_text`` if already ranked."""
        index = self._sync(catalog)
        by_vector = index.search(vector, max(top_k * 4, 20) if mode == "hybrid" else top_k, allowed)
        if mode == "vector":
            return [catalog.hit(cid, score) for cid, score in by_vector]
        if by_text is None:
            by_text = self.text_ranking(catalog, query, top_k, allowed)
        fused: dict[int, float] = {}
        for ranking, weight in ((by_text, TEXT_WEIGHT), (by_vector, 1.0)):
            for rank, (cid, _score) in enumerate(ranking):
                fused[cid] = fused.get(cid, 0.0) + weight / (RRF_K + rank + 1)
        best = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:top_k]
        return [catalog.hit(cid, score) for cid, score in best]

    async def hybrid(self, query: str, top_k: int, mode: str, filters: dict | None, allowed: set[int] | None = None) -> list[dict]:
        """Embed the query on the worker while the word ranking runs here, then fuse. ``allowed``: the chunk ids
        a caller restricts the search to, beside the filters (None: all)."""
        await self.ensure_embedded()
        embedding = asyncio.ensure_future(self.embed([query]))
        by_text = None
        if mode == "hybrid":
            try:
                by_text = self.image.read(lambda: self.text_ranking(catalog_of(self.image), query, top_k, _within(catalog_of(self.image), filters, allowed)))
            except BaseException:
                embedding.cancel()
                raise
        vector = (await embedding)[0]
        return self.image.read(lambda: self.ranked(catalog_of(self.image), query, vector, top_k, mode, _within(catalog_of(self.image), filters, allowed), by_text))

    async def search(self, query: str, top_k: int = 5, mode: str = "hybrid", filters: dict | None = None,
                     allowed: set[int] | None = None) -> list[dict]:
        """For callers outside a request (the cycle's DELEGATING step)."""
        if mode == "text":
            return self.image.read(lambda: [catalog_of(self.image).hit(cid, score) for cid, score in catalog_of(self.image).text_search(query, top_k, _within(catalog_of(self.image), filters, allowed))])
        return await self.hybrid(query, top_k, mode, filters, allowed)

    # --- ingest ----------------------------------------------------------------------------
    async def embed_document(self, text: str, report: Callable[[dict], None]) -> tuple[list[str], list[bytes], int]:
        """Chunk and embed a document on the worker thread: (chunk texts, chunk vectors, sentences).

        ``report`` is called on the worker thread with progress events.
        """
        self.state = "ready" if self._embedder is not None else "loading"
        return await self._in_worker(self._chunk, text, report)

    def _chunk(self, text: str, report: Callable[[dict], None]) -> tuple[list[str], list[bytes], int]:
        """Worker thread: sentences -> semantic chunks -> one vector per chunk (mean of its sentences)."""
        import numpy as np

        from bat_os.memory.chunking import ChunkingSettings, semantic_chunks, sentence_splitter

        embedder = self._embedder_now()
        split = sentence_splitter()
        settings = ChunkingSettings(percentile=self.settings.percentile)
        batches = _batches(text, split)
        total = sum(count for _part, count in batches)
        chunks: list[str] = []
        vectors: list[bytes] = []
        done = 0
        for part, count in batches:
            chunked = semantic_chunks(part, embedder, settings, split=split)
            found = chunked.vectors if chunked.vectors is not None else embedder.encode(chunked.chunks)
            for chunk, vector in zip(chunked.chunks, np.asarray(found, dtype=np.float32)):
                norm = float(np.linalg.norm(vector))
                vectors.append((vector / norm if norm else vector).astype(np.float32).tobytes())
                chunks.append(chunk)
            done += count
            report({"type": "progress", "sentences_done": done, "sentences_total": total, "chunks": len(chunks)})
        return chunks, vectors, total


def _batches(text: str, split: Callable[[str], list[str]]) -> list[tuple[str, int]]:
    """The document in parts of about BATCH_SENTENCES sentences, cut between paragraphs so the chunker
    still sees blank lines and headings; only a paragraph longer than a batch is cut between sentences."""
    parts: list[tuple[str, int]] = []
    current: list[str] = []
    count = 0
    for paragraph in re.split(r"\n[ \t]*\n", text):
        if not paragraph.strip():
            continue
        sentences = split(paragraph)
        if len(sentences) > BATCH_SENTENCES:
            if current:
                parts.append(("\n\n".join(current), count))
                current, count = [], 0
            for start in range(0, len(sentences), BATCH_SENTENCES):
                piece = sentences[start:start + BATCH_SENTENCES]
                parts.append((" ".join(piece), len(piece)))
            continue
        if current and count + len(sentences) > BATCH_SENTENCES:
            parts.append(("\n\n".join(current), count))
            current, count = [], 0
        current.append(paragraph)
        count += len(sentences)
    if current:
        parts.append(("\n\n".join(current), count))
    return parts


class _Worker:
    """One daemon thread running submitted calls in order (a daemon: the kernel's exit never waits on it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, fn: Callable, *args: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._queue.put((future, fn, args))
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return future

    def stop(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            future, fn, args = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # noqa: BLE001 - raised where the future is awaited
                    future.set_exception(exc)


def _within(catalog: KnowledgeCatalog, filters: dict | None, allowed: set[int] | None) -> set[int] | None:
    by_filters = allowed_chunks(catalog, filters)
    if allowed is None:
        return by_filters
    return set(allowed) if by_filters is None else by_filters & set(allowed)


def allowed_chunks(catalog: KnowledgeCatalog, filters: dict | None) -> set[int] | None:
    """The chunk ids a search's ``filter`` allows (None: all); BadRequest for an unknown key or bad value."""
    if not filters:
        return None
    try:
        return catalog.matching(filters)
    except KeyError as exc:
        raise BadRequest(f"unknown filter key {exc.args[0]!r}; known: {', '.join(catalog.filter_keys())}") from None
    except ValueError as exc:
        raise BadRequest(str(exc)) from None

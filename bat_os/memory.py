"""Semantic memory in the kernel: ingest, search and forget over the knowledge catalog.

Commands added here::

    {"command": "ingest", "text": "...", "doc_id"?: "d1", "metadata"?: {...}}  or  {"path": FILE, ...}
        -> {"doc_id", "chunks", "unchanged"}      (progress events with "events": true)
    {"command": "search", "query": "...", "top_k"?: 5, "mode"?: "hybrid"|"text"|"vector", "filter"?: {...}}
        -> {"hits": [{"doc_id", "chunk", "score", "text", "metadata"}], "mode"}
    {"command": "forget", "doc_id": "d1"} -> {"doc_id", "chunks"}

:class:`Memory` owns the embedder (all-MiniLM-L6-v2, loaded on first use on a
worker thread of its own: importing sentence-transformers costs 15-20 s here,
so the kernel starts without it and warms it up in the background) and the
in-memory :class:`~bat_os.vector_index.VectorIndex`, one contiguous float32
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
import hashlib
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .catalog import TIME_FILTERS, KnowledgeCatalog, content_hash
from .commands import Call, Command, Context, Deferred, _field, register
from .errors import BadEncoding, BadRequest, Internal, NotFound, TooLarge

logger = logging.getLogger(__name__)

MODES = ("hybrid", "text", "vector")
MAX_TOP_K = 100
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


def _catalog(image: Any) -> KnowledgeCatalog:
    catalog = image.connection.root().get("knowledge_catalog_obj")
    if not isinstance(catalog, KnowledgeCatalog):
        raise Internal("this image has no knowledge catalog")
    return catalog


class Memory:
    """The kernel's semantic memory service (event-loop side; embedding on one worker thread)."""

    def __init__(self, image: Any, settings: MemorySettings = MemorySettings(), *, embedder: Any = None) -> None:
        self.image = image
        self.settings = settings
        self._embedder = embedder
        self._worker = _Worker("batos-memory")
        self._index: Any = None
        self._task: asyncio.Task | None = None
        self.state = "cold"  # cold -> loading -> ready (the embedder)
        self.stats: dict[str, Any] = {}

    # --- the worker thread ---------------------------------------------------------------
    def _embedder_now(self) -> Any:
        if self._embedder is None:
            from .embedder import MiniLMEmbedder

            started = time.perf_counter()
            embedder = MiniLMEmbedder(self.settings.model_path, threads=self.settings.torch_threads)
            embedder.encode(["warm up"])
            self._embedder = embedder
            self.stats["embedder_load_seconds"] = round(time.perf_counter() - started, 3)
            logger.info("embedder %s ready in %.1fs", embedder.name, time.perf_counter() - started)
        return self._embedder

    async def _in_worker(self, fn: Callable, *args: Any) -> Any:
        return await asyncio.wrap_future(self._worker.submit(fn, *args))

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
        if self.image.read(lambda: len(_catalog(self.image).pending)):
            await self._embed_pending()

    async def _embed_pending(self) -> None:
        import numpy as np

        try:
            await self.embed(["warm up"])
            while True:
                batch = self.image.read(lambda: [(cid, _catalog(self.image).chunks[cid].text) for cid in list(_catalog(self.image).pending)[:PENDING_BATCH]])
                if not batch:
                    break
                vectors = await self.embed([text for _cid, text in batch])
                payload = {cid: np.ascontiguousarray(vectors[i], dtype=np.float32).tobytes() for i, (cid, _text) in enumerate(batch)}
                model = self.model
                self.image.run(lambda: _catalog(self.image).set_embeddings(payload, model), note="memory: embeddings")
                self.stats["embedded_in_background"] = self.stats.get("embedded_in_background", 0) + len(payload)
            self.image.read(lambda: self._sync(_catalog(self.image)))
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

        from .vector_index import VectorIndex

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

    async def hybrid(self, query: str, top_k: int, mode: str, filters: dict | None) -> list[dict]:
        """Embed the query on the worker while the word ranking runs here, then fuse."""
        await self.ensure_embedded()
        embedding = asyncio.ensure_future(self.embed([query]))
        by_text = None
        if mode == "hybrid":
            try:
                by_text = self.image.read(lambda: self.text_ranking(_catalog(self.image), query, top_k, _allowed(_catalog(self.image), filters)))
            except BaseException:
                embedding.cancel()
                raise
        vector = (await embedding)[0]
        return self.image.read(lambda: self.ranked(_catalog(self.image), query, vector, top_k, mode, _allowed(_catalog(self.image), filters), by_text))

    async def search(self, query: str, top_k: int = 5, mode: str = "hybrid", filters: dict | None = None) -> list[dict]:
        """For callers outside a request (the cycle's DELEGATING step)."""
        if mode == "text":
            return self.image.read(lambda: [_catalog(self.image).hit(cid, score) for cid, score in _catalog(self.image).text_search(query, top_k, _allowed(_catalog(self.image), filters))])
        return await self.hybrid(query, top_k, mode, filters)

    # --- ingest ----------------------------------------------------------------------------
    def _chunk(self, text: str, report: Callable[[dict], None]) -> tuple[list[str], list[bytes], int]:
        """Worker thread: sentences -> semantic chunks -> one vector per chunk (mean of its sentences)."""
        import numpy as np

        from .chunking import ChunkingSettings, semantic_chunks, sentence_splitter

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


def _allowed(catalog: KnowledgeCatalog, filters: dict | None) -> set[int] | None:
    if not filters:
        return None
    try:
        return catalog.matching(filters)
    except KeyError as exc:
        raise BadRequest(f"unknown filter key {exc.args[0]!r}; known: {', '.join(catalog.filter_keys())}") from None
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def _memory(ctx: Context) -> Memory:
    memory = getattr(ctx.cognition, "memory", None)
    if memory is None:
        raise Internal("this process runs no semantic memory")
    return memory


# --- commands -------------------------------------------------------------------------------


def _document_text(ctx: Context, request: dict, limit: int) -> str:
    if ("text" in request) == ("path" in request):
        raise BadRequest("give exactly one of 'text' or 'path'")
    if "path" in request:
        path = Path(_field(request, "path", str)).expanduser()
        if not path.is_file():
            raise NotFound(f"no file {path}")
        size = path.stat().st_size
        if size > limit:
            raise TooLarge(f"{path} is {size} bytes; documents may be at most {limit} bytes")
        raw = path.read_bytes()
        if b"\x00" in raw:
            raise BadEncoding(f"{path} looks binary (it contains NUL bytes); ingest UTF-8 text or Markdown")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadEncoding(f"{path} is not UTF-8 ({exc.reason} at byte {exc.start}); convert it to UTF-8 first") from None
    else:
        text = _field(request, "text", str)
        if len(text.encode("utf-8", "surrogatepass")) > limit:
            raise TooLarge(f"the text is over {limit} bytes")
        if "\x00" in text:
            raise BadEncoding("the text contains NUL characters; ingest text, not binary data")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadEncoding("the text is not valid Unicode (lone surrogates)") from None
    if not text.strip():
        raise BadRequest("the document is empty (only whitespace)")
    return text


def ingest(ctx: Context, request: dict) -> Any:
    memory = _memory(ctx)
    text = _document_text(ctx, request, memory.settings.max_bytes)
    metadata = _field(request, "metadata", dict, default={})
    if not all(isinstance(k, str) and k and not k.startswith("_") for k in metadata):
        raise BadRequest("metadata keys must be non-empty strings not starting with '_'")
    if any(k in metadata for k in ("doc_id", "ingested_at") + TIME_FILTERS):
        raise BadRequest("metadata may not set doc_id, ingested_at, ingested_after or ingested_before")
    if "path" in request:
        metadata.setdefault("path", str(Path(request["path"]).expanduser().resolve()))
    doc_id = _field(request, "doc_id", str, default=None) or "doc:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    if not doc_id.strip() or len(doc_id) > 200:
        raise BadRequest("doc_id must be 1 to 200 characters")
    digest = content_hash(text, metadata, salt=f"{memory.model}|{memory.settings.percentile}")
    catalog = _catalog(ctx.image)
    if catalog.doc_hashes.get(doc_id) == digest:
        return {"doc_id": doc_id, "chunks": len(catalog.documents[doc_id]), "unchanged": True}
    image = ctx.image

    async def run(call: Call) -> dict:
        loop = asyncio.get_running_loop()

        def report(event: dict) -> None:
            loop.call_soon_threadsafe(call.on_event, {**event, "doc_id": doc_id})

        memory.state = "ready" if memory._embedder is not None else "loading"
        chunks, vectors, sentences = await memory._in_worker(memory._chunk, text, report)
        model = memory.model

        def write() -> list[int]:
            return _catalog(image).index_document(doc_id, chunks, metadata, embeddings=vectors, model=model, digest=digest)

        ids = image.run(write, note=f"ingest {doc_id}")
        return {"doc_id": doc_id, "chunks": len(ids), "sentences": sentences, "unchanged": False}

    raise Deferred(run)


def search(ctx: Context, request: dict) -> Any:
    query = _field(request, "query", str)
    if not query.strip():
        raise BadRequest("'query' must not be empty")
    top_k = _field(request, "top_k", int, default=5)
    if not 1 <= top_k <= MAX_TOP_K:
        raise BadRequest(f"'top_k' must be between 1 and {MAX_TOP_K}, not {top_k}")
    mode = _field(request, "mode", str, default="hybrid")
    if mode not in MODES:
        raise BadRequest(f"'mode' must be one of {', '.join(MODES)}, not {mode!r}")
    filters = _field(request, "filter", dict, default={})
    catalog = _catalog(ctx.image)
    allowed = _allowed(catalog, filters)
    if mode == "text":
        return {"hits": [catalog.hit(cid, score) for cid, score in catalog.text_search(query, top_k, allowed)], "mode": mode}
    memory = _memory(ctx)

    async def run(call: Call) -> dict:
        return {"hits": await memory.hybrid(query, top_k, mode, filters), "mode": mode}

    raise Deferred(run)


def forget(ctx: Context, request: dict) -> dict:
    doc_id = _field(request, "doc_id", str)
    catalog = _catalog(ctx.image)
    count = len(catalog.documents.get(doc_id, ()))
    if not catalog.forget(doc_id):
        raise NotFound(f"no document {doc_id!r}")
    return {"doc_id": doc_id, "chunks": count}


register(Command("ingest", ingest, writes=False))
register(Command("search", search, writes=False))
register(Command("forget", forget, writes=True))

__all__ = ["Memory", "MemorySettings"]

"""Semantic memory on the wire: ``ingest``, ``search``, ``forget``.

::

    {"command": "ingest", "text": "...", "doc_id"?: "d1", "metadata"?: {...}}  or  {"path": FILE, ...}
        -> {"doc_id", "chunks", "sentences", "unchanged"}      (progress events with "events": true)
    {"command": "search", "query": "...", "offset"?: 0, "limit"?: 5, "mode"?: "hybrid"|"text"|"vector", "filter"?: {...}}
        -> {"hits": [{"doc_id", "chunk", "score", "text", "metadata"}], "mode", "offset", "limit", "total"}
    {"command": "forget", "doc_id": "d1"} -> {"doc_id", "chunks"}

``search`` answers its hits best first, a page at a time (:mod:`bat_os.kernel.commands.paging`;
``top_k`` is the older name of ``limit``). ``total`` counts the chunks that match a ``text`` search's
words; a ``vector`` or ``hybrid`` search ranks every chunk the filter allows, and counts them.

Errors: ``bad_request``, ``not_found`` (a path or document), ``too_large``,
``bad_encoding`` (binary or not UTF-8). The service is
:class:`bat_os.memory.service.Memory`.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from bat_os.errors import BadEncoding, BadRequest, Internal, NotFound, TooLarge
from bat_os.kernel.commands.base import Call, Command, Context, Later, field
from bat_os.kernel.commands.paging import page_of
from bat_os.memory.catalog import TIME_FILTERS, content_hash
from bat_os.memory.service import MODES, Memory, allowed_chunks, catalog_of


def _memory(ctx: Context) -> Memory:
    memory = ctx.cognition.memory if ctx.cognition is not None else None
    if memory is None:
        raise Internal("this process runs no semantic memory")
    return memory


def _document_text(ctx: Context, request: dict, limit: int) -> str:
    if ("text" in request) == ("path" in request):
        raise BadRequest("give exactly one of 'text' or 'path'")
    if "path" in request:
        path = Path(field(request, "path", str)).expanduser()
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
        text = field(request, "text", str)
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
    metadata = field(request, "metadata", dict, default={})
    if not all(isinstance(k, str) and k and not k.startswith("_") for k in metadata):
        raise BadRequest("metadata keys must be non-empty strings not starting with '_'")
    if any(k in metadata for k in ("doc_id", "ingested_at") + TIME_FILTERS):
        raise BadRequest("metadata may not set doc_id, ingested_at, ingested_after or ingested_before")
    if "path" in request:
        metadata.setdefault("path", str(Path(request["path"]).expanduser().resolve()))
    doc_id = field(request, "doc_id", str, default=None) or "doc:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    if not doc_id.strip() or len(doc_id) > 200:
        raise BadRequest("doc_id must be 1 to 200 characters")
    digest = content_hash(text, metadata, salt=f"{memory.model}|{memory.settings.percentile}")
    catalog = catalog_of(ctx.image)
    if catalog.doc_hashes.get(doc_id) == digest:
        return {"doc_id": doc_id, "chunks": len(catalog.documents[doc_id]), "unchanged": True}
    image = ctx.image

    async def run(call: Call) -> dict:
        loop = asyncio.get_running_loop()

        def report(event: dict) -> None:
            loop.call_soon_threadsafe(call.on_event, {**event, "doc_id": doc_id})

        chunks, vectors, sentences = await memory.embed_document(text, report)
        model = memory.model

        def write() -> list[int]:
            return catalog_of(image).index_document(doc_id, chunks, metadata, embeddings=vectors, model=model, digest=digest)

        ids = image.run(write, note=f"ingest {doc_id}")
        return {"doc_id": doc_id, "chunks": len(ids), "sentences": sentences, "unchanged": False}

    return Later(run)


def search(ctx: Context, request: dict) -> Any:
    query = field(request, "query", str)
    if not query.strip():
        raise BadRequest("'query' must not be empty")
    page = page_of(request, default=field(request, "top_k", int, default=5))
    mode = field(request, "mode", str, default="hybrid")
    if mode not in MODES:
        raise BadRequest(f"'mode' must be one of {', '.join(MODES)}, not {mode!r}")
    filters = field(request, "filter", dict, default={})
    catalog = catalog_of(ctx.image)
    allowed = allowed_chunks(catalog, filters)
    if mode == "text":
        ranked = catalog.text_search(query, None, allowed)
        return {"hits": [catalog.hit(cid, score) for cid, score in page.take(ranked)], "mode": mode,
                **page.fields(len(ranked))}
    memory = _memory(ctx)
    total = len(allowed) if allowed is not None else catalog.chunk_count()

    async def run(call: Call) -> dict:
        best = await memory.hybrid(query, page.offset + page.limit, mode, filters)
        return {"hits": page.take(best), "mode": mode, **page.fields(total)}

    return Later(run)


def forget(ctx: Context, request: dict) -> dict:
    doc_id = field(request, "doc_id", str)
    catalog = catalog_of(ctx.image)
    count = len(catalog.documents.get(doc_id, ()))
    if not catalog.forget(doc_id):
        raise NotFound(f"no document {doc_id!r}")
    return {"doc_id": doc_id, "chunks": count}


COMMANDS = (
    Command("ingest", ingest, writes=False),
    Command("search", search, writes=False),
    Command("forget", forget, writes=True),
)

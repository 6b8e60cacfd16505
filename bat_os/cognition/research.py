"""DELEGATING: the knowledge catalog searched with BRICK's queries, and the episodes of similar missions recalled.

Hybrid search (words and meaning) once the kernel's embedder is loaded; until
then (its import takes 15-20 s after a start) a cycle does not wait for it: it
searches by words, and its artifacts say so. Episodes are left out of this
search (:func:`bat_os.cognition.episodes.research_exclusion`) and recalled on
their own (:func:`bat_os.cognition.episodes.recall`). A hit from a document the
user ingested (neither the codex nor an episode) is marked ``"user": true``:
the author's prompt may show it (:func:`bat_os.cognition.episodes.notes`).
"""

from __future__ import annotations

from typing import Any, Callable

from bat_os.cognition import episodes
from bat_os.memory.catalog import CODEX_SOURCE
from bat_os.memory.service import MemoryService

CONTEXT_HITS = 3  # catalog hits kept per research query


async def research(memory: MemoryService | None, read: Callable[[Callable[[Any], Any]], Any], queries: list,
                   brief: dict, receiver_hex: str, cycle_id: str) -> dict:
    """DELEGATING's artifacts: ``context`` (the hits, each once), ``search`` ("hybrid" or "text"), ``episodes``
    (those cited). ``read(work)`` runs ``work(root)`` in a read transaction."""
    seen: dict[str, dict] = {}
    hybrid = memory is not None and memory.state == "ready"
    allowed = read(lambda root: episodes.research_exclusion(root["knowledge_catalog_obj"]))
    for query in queries:
        if hybrid:
            extra = {"allowed": allowed} if allowed is not None else {}  # only where episodes exist: older fakes
            hits = await memory.search(str(query), CONTEXT_HITS, "hybrid", **extra)
        else:
            hits = read(lambda root, query=query: _text_hits(root["knowledge_catalog_obj"], str(query), allowed))
        for hit in hits:
            key = f"{hit['doc_id']}#{hit['chunk']}"
            if key not in seen:
                seen[key] = {"id": key, "text": hit["text"], "score": hit["score"]}
                meta = hit.get("metadata") or {}
                if meta.get("source") != CODEX_SOURCE and meta.get("kind") not in (episodes.KIND, episodes.DIGEST):
                    seen[key]["user"] = True
    cited = read(lambda root: episodes.recall(root["knowledge_catalog_obj"], brief, receiver_hex, cycle_id))
    return {"context": list(seen.values()), "search": "hybrid" if hybrid else "text", "episodes": cited}


def _text_hits(catalog: Any, query: str, allowed: set[int] | None) -> list[dict]:
    return [catalog.hit(chunk_id, score) for chunk_id, score in catalog.text_search(query, CONTEXT_HITS, allowed)]

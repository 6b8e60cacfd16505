"""What a cycle reads from the knowledge catalog and what it leaves there: DELEGATING's research, and its episode.

:func:`research` searches the catalog with BRICK's queries, by words and meaning once the embedder is loaded (until
then by words, which the artifacts say), leaving the image's own memory out (``conversations.research_exclusion``:
knowledge hits are what they were before episodes). A hit from a document the user ingested is marked
``"user"``: the author may be shown it (:func:`notes`). :func:`recall` cites up to :data:`CITED` episodes of similar
missions: the same selector, or words overlapping the mission's by :data:`SIMILAR` (an unrelated method shown to a
small model is what it copies).

When a cycle ends, :func:`remember` indexes its episode in the same transaction: ``episode:cycle:<id>``, saying what
was asked, how it was called, and the method learned or why it failed, with the metadata ``{"kind": "episode",
"event": "cycle", "outcome": "learned" | "failed", "selector", "cycle", "persona", "receiver", "brief_sha256",
"origin"}`` (an ``ask`` exchange is an episode too). ``search`` finds episodes, ``forget`` drops them.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from bat_os.cognition.author.prompts import brief_intent
from bat_os.cognition.judge.cases import call_arguments
from bat_os.image.objects import oid_to_hex
from bat_os.memory import conversations
from bat_os.memory.catalog import CODEX_SOURCE
from bat_os.memory.service import MemoryService

KIND = conversations.KIND  # one kind for every episode: a cycle's and an ask's
SIMILAR = 0.5  # the least word overlap (Jaccard) of an episode cited for a mission with another selector
CITED = 2  # episodes cited at most
SEARCHED = 20  # episodes looked at
CODE_CHARS = 1500
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
_STOP = frozenset(
    "a an and are as at be by for from given how in into is it its of on or that the their them then this to "
    "was were what when which with without each every return returns method object self".split())


def doc_id(cycle_id: str) -> str:
    return f"{KIND}:cycle:{cycle_id}"


def words(text: str) -> set[str]:
    """Content words, lower case: a selector's parts (``count_letters`` -> count, letters) and a sentence's."""
    return {w.lower() for w in _WORD.findall(text.replace("_", " ")) if w.lower() not in _STOP and len(w) > 2}


def cycle_text(cycle: Any, code: str | None = None, author: str | None = None) -> str:
    """An ended cycle as its episode's text (``code``, ``author``: the method installed and who wrote it)."""
    brief = cycle.brief
    selector = cycle.selector
    intent = brief_intent(brief) or "(no sentence)"
    call = f"obj.{selector}({call_arguments(list(brief.get('args', [])), dict(brief.get('kwargs', {})))})"
    if cycle.outcome == "complete":
        code = str(code if code is not None else cycle.artifacts.get("code", ""))
        return "\n".join([f"Episode: the image learned {selector} (cycle {cycle.id}), written by "
                          f"{author or cycle.artifacts.get('author', 'ALFRED')}.", f"Asked: {intent}",
                          f"Called as {call}, it answered {_short(cycle.result, 200)}.", "The method:", code[:CODE_CHARS]])
    return "\n".join([f"Episode: the image failed to learn {selector} (cycle {cycle.id}) in {cycle.failed_state}.",
                      f"Asked: {intent}", f"Called as {call}.", "Why: " + "; ".join(str(r)[:200] for r in list(cycle.reasons)[:5])])


def remember(root: Any, cycle: Any, now: float, code: str | None = None, author: str | None = None) -> str | None:
    """Index an ended cycle's episode in the catalog, in the caller's transaction; its doc id (None: no catalog)."""
    catalog = root.get("knowledge_catalog_obj")
    if not hasattr(catalog, "index_document"):
        return None
    metadata = {
        "kind": KIND, "event": "cycle", "outcome": "learned" if cycle.outcome == "complete" else "failed",
        "selector": cycle.selector, "cycle": cycle.id, "persona": str(author or cycle.artifacts.get("author", "")),
        "receiver": oid_to_hex(cycle.receiver._p_oid) if cycle.receiver._p_oid else "",
        "brief_sha256": cycle.brief_sha256, "origin": cycle.origin,
    }
    found = doc_id(cycle.id)
    catalog.index_document(found, [cycle_text(cycle, code, author)], metadata, now=now)
    return found


def mission_words(brief: dict) -> set[str]:
    return words(brief["selector"]) | words(brief_intent(brief))


def similar(brief: dict, hit: dict) -> bool:
    """Whether an episode (a search hit) is about the mission: the same selector, or words that overlap."""
    meta = hit.get("metadata") or {}
    if meta.get("selector") == brief["selector"]:
        return True
    mine, theirs = mission_words(brief), words(str(meta.get("selector", ""))) | words(_asked(hit.get("text", "")))
    return bool(mine and theirs) and len(mine & theirs) / len(mine | theirs) >= SIMILAR


def recall(catalog: Any, brief: dict, receiver_hex: str, cycle_id: str) -> list[dict]:
    """The episodes a mission cites (newest first, at most :data:`CITED`): ``{"id", "outcome", "selector", "text"}``.

    A relearn does not cite the learned episodes of the method it replaces (its prompt shows that version
    already, as the wrong one)."""
    allowed = conversations.episode_chunks(catalog)
    if not allowed:
        return []
    query = " ".join(sorted(mission_words(brief))) or brief["selector"]
    found = []
    for chunk_id, _score in catalog.text_search(query, SEARCHED, allowed):
        hit = catalog.hit(chunk_id, 0.0)
        meta = hit["metadata"]
        if meta.get("cycle") == cycle_id or not similar(brief, hit):
            continue
        if brief.get("relearn") and meta.get("outcome") == "learned" and meta.get("selector") == brief["selector"] \
                and meta.get("receiver") == receiver_hex:
            continue
        found.append({"id": hit["doc_id"], "outcome": meta.get("outcome", ""), "selector": meta.get("selector", ""),
                      "text": hit["text"], "at": meta.get("ingested_at", 0)})
    found.sort(key=lambda e: e["at"], reverse=True)
    return [{k: v for k, v in e.items() if k != "at"} for e in found[:CITED]]


def notes(context: list[dict], brief: dict) -> list[str]:
    """Of DELEGATING's hits, the texts the author is shown: documents the user ingested (``"user"``: not the codex,
    not episodes) that name the selector or share two of the mission's words. At most two, 400 characters each."""
    return [str(hit.get("text", ""))[:400] for hit in context if hit.get("user") and is_about(str(hit.get("text", "")), brief)][:2]


def is_about(text: str, brief: dict) -> bool:
    """Whether a document's text is about the mission: it names the selector, or shares two of its words."""
    return brief["selector"] in text or len(mission_words(brief) & words(text)) >= 2


def _asked(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("Asked: "):
            return line[len("Asked: "):]
    return ""


def _short(value: Any, limit: int) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


CONTEXT_HITS = 3  # catalog hits kept per research query: a small model copies what it is shown, so few


async def research(memory: MemoryService | None, read: Callable[[Callable[[Any], Any]], Any], queries: list,
                   brief: dict, receiver_hex: str, cycle_id: str) -> dict:
    """DELEGATING's artifacts: ``context`` (the hits, each once), ``search`` ("hybrid" or "text"), ``episodes``
    (those cited). ``read(work)`` runs ``work(root)`` in a read transaction."""
    seen: dict[str, dict] = {}
    hybrid = memory is not None and memory.state == "ready"
    allowed = read(lambda root: conversations.research_exclusion(root["knowledge_catalog_obj"]))
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
                if meta.get("source") != CODEX_SOURCE and meta.get("kind") not in (KIND, conversations.DIGEST):
                    seen[key]["user"] = True
    cited = read(lambda root: recall(root["knowledge_catalog_obj"], brief, receiver_hex, cycle_id))
    return {"context": list(seen.values()), "search": "hybrid" if hybrid else "text", "episodes": cited}


def _text_hits(catalog: Any, query: str, allowed: set[int] | None) -> list[dict]:
    return [catalog.hit(chunk_id, score) for chunk_id, score in catalog.text_search(query, CONTEXT_HITS, allowed)]

"""Episodes of ``ask``: every exchange remembered in the knowledge catalog, and a conversation read back from it.

One ``ask`` request (one persona, or every persona of a Contrapunto) is ONE document::

    doc_id    "episode:ask:<conversation>:<turn>"        in a conversation
              "episode:ask:<sha256(prompt + time)[:16]>"   otherwise
    chunks    one per answer, in speaking order:
              "<P> was asked: <prompt, clipped to 1000 chars>\\n<P> answered: <answer, clipped to 2000 chars>"
    metadata  {"kind": "episode", "event": "ask", "persona": P, "conversation": ID or "",
               "turn": N (0 outside a conversation), "model": M}
              (and "ingested_at", which the catalog adds); in a Contrapunto "persona" and "model"
              are lists in speaking order, so a filter {"persona": "BRICK"} finds the ones BRICK spoke in.

The chunks are stored without embeddings ("pending"): the memory service embeds
them in the background or before the next vector or hybrid search.

A conversation is nothing but its episode documents (metadata ``kind: episode``,
``event: ask``, ``conversation: ID``), ordered by ``turn``: :func:`turns` reads them,
:func:`context_prompt` puts the last ones before a new prompt, :func:`remember`
numbers the new turn one past the highest left. Forgetting a turn's document
(``forget``) takes it out of every later context; forgetting the last turn
frees its number for the next exchange.

Every episode (an ask's, a cycle's: :mod:`bat_os.cognition.cycle.memory`) and the heartbeat's digests are the
image's own memory: :func:`memory_chunks` finds them, :func:`research_exclusion` leaves them out of research.

Pure functions over a :class:`~bat_os.memory.catalog.KnowledgeCatalog`: the caller
runs them on the event-loop thread, inside its transaction.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Sequence

from bat_os.errors import BadRequest
from bat_os.memory.catalog import KnowledgeCatalog

KIND = "episode"
EVENT = "ask"
DIGEST = "digest"  # the kind of the heartbeat's summary of a day's episodes (bat_os.kernel.heartbeat)
PROMPT_KEPT = 1000  # characters of a prompt an episode keeps
ANSWER_KEPT = 2000  # characters of an answer an episode keeps
CONTEXT_TURNS = 6  # at most this many earlier exchanges go before a prompt ...
CONTEXT_CHARS = 4000  # ... and at most this many characters of them (the oldest are dropped first)
CONTEXT_HEADER = "Earlier in this conversation:"
MAX_CONVERSATION_CHARS = 100
_CONVERSATION = re.compile(r"[A-Za-z0-9_.:-]+")


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, as its episode document holds it."""

    turn: int
    doc_id: str
    prompt: str  # as kept (clipped)
    answers: tuple[tuple[str, str], ...]  # (persona, answer as kept), in speaking order


def check_conversation(value: Any) -> str:
    """A conversation id: 1 to 100 characters of ``[A-Za-z0-9_.:-]``; BadRequest otherwise."""
    if not isinstance(value, str) or not value:
        raise BadRequest(f"'conversation' must be a non-empty string, not {value!r}")
    if len(value) > MAX_CONVERSATION_CHARS or not _CONVERSATION.fullmatch(value):
        raise BadRequest(
            f"'conversation' must be at most {MAX_CONVERSATION_CHARS} characters of letters, digits and _ . : -"
        )
    return value


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _asked(persona: str) -> str:
    return f"{persona} was asked: "


def _answered(persona: str) -> str:
    return f"\n{persona} answered: "


def episode_text(persona: str, prompt: str, answer: str) -> str:
    """``"<P> was asked: <prompt>\\n<P> answered: <answer>"``, each clipped. The kept prompt never holds the
    separator ``"\\n<P> answered: "`` (a colon gets a space before it), so the first one splits the text again."""
    asked = _clip(prompt, PROMPT_KEPT).replace(_answered(persona), f"\n{persona} answered : ")
    return f"{_asked(persona)}{asked}{_answered(persona)}{_clip(answer, ANSWER_KEPT)}"


def parse_episode(persona: str, text: str) -> tuple[str, str] | None:
    """(prompt, answer) of an :func:`episode_text`; None for a text of another shape."""
    if not text.startswith(_asked(persona)):
        return None
    asked, sep, answer = text[len(_asked(persona)):].partition(_answered(persona))
    return (asked, answer) if sep else None


def episode_id(conversation: str, turn: int, prompt: str, now: float) -> str:
    if conversation:
        return f"episode:ask:{conversation}:{turn}"
    return "episode:ask:" + hashlib.sha256(f"{prompt}{now!r}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


def episode_metadata(answers: Sequence[dict], conversation: str, turn: int) -> dict[str, Any]:
    """The episode's metadata; ``answers`` are the ask's ``{"persona", "model", ...}`` in speaking order."""
    personas = [a["persona"] for a in answers]
    models = [a["model"] for a in answers]
    return {
        "kind": KIND, "event": EVENT,
        "persona": personas[0] if len(personas) == 1 else personas,
        "conversation": conversation, "turn": turn,
        "model": models[0] if len(models) == 1 else models,
    }


def _personas_of(metadata: Any) -> list[str]:
    value = metadata.get("persona")
    return [value] if isinstance(value, str) else [p for p in (value or ()) if isinstance(p, str)]


def _turn_of(metadata: Any) -> int | None:
    turn = metadata.get("turn")
    return turn if isinstance(turn, int) and not isinstance(turn, bool) else None


def _documents(catalog: KnowledgeCatalog, conversation: str) -> dict[str, int]:
    """doc id -> turn of the conversation's ask episodes."""
    try:
        ids = catalog.matching({"kind": KIND, "event": EVENT, "conversation": conversation})
    except KeyError:  # no document has one of these keys yet
        return {}
    found: dict[str, int] = {}
    for chunk_id in ids:
        chunk = catalog.chunks[chunk_id]
        turn = _turn_of(chunk.metadata)
        if turn is not None:
            found[chunk.doc_id] = turn
    return found


def last_turn(catalog: KnowledgeCatalog, conversation: str) -> int:
    return max(_documents(catalog, conversation).values(), default=0)


def turns(catalog: KnowledgeCatalog, conversation: str, last: int | None = CONTEXT_TURNS) -> list[Turn]:
    """The conversation's ``last`` exchanges still in the catalog (None: all), oldest first; chunks of
    another shape are skipped."""
    found = []
    documents = sorted(_documents(catalog, conversation).items(), key=lambda item: (item[1], item[0]))
    for doc_id, turn in documents[max(len(documents) - last, 0):] if last is not None else documents:
        prompt = ""
        answers = []
        for chunk_id in catalog.documents.get(doc_id, ()):
            chunk = catalog.chunks[chunk_id]
            personas = _personas_of(chunk.metadata)
            persona = personas[chunk.index] if chunk.index < len(personas) else ""
            parsed = parse_episode(persona, chunk.text) if persona else None
            if parsed is None:
                continue
            prompt = prompt or parsed[0]
            answers.append((persona, parsed[1]))
        if answers:
            found.append(Turn(turn, doc_id, prompt, tuple(answers)))
    return found


def _block(turn: Turn) -> str:
    return "\n".join([f"[you] {turn.prompt}"] + [f"[{persona}] {answer}" for persona, answer in turn.answers])


def context_prompt(prompt: str, earlier: Sequence[Turn]) -> str:
    """``prompt`` after the last of the ``earlier`` turns (at most CONTEXT_TURNS, CONTEXT_CHARS characters,
    the oldest dropped first; a newest turn longer than that alone is clipped); ``prompt`` itself, unchanged,
    when there are none."""
    blocks: list[str] = []
    size = 0
    for turn in reversed(earlier[-CONTEXT_TURNS:]):
        block = _block(turn)
        if size + len(block) > CONTEXT_CHARS:
            if not blocks:
                blocks.append(_clip(block, CONTEXT_CHARS))
            break
        blocks.append(block)
        size += len(block) + 1
    if not blocks:
        return prompt
    return "\n".join([CONTEXT_HEADER, *reversed(blocks)]) + "\n\n" + prompt


def remember(
    catalog: KnowledgeCatalog, prompt: str, answers: Sequence[dict], conversation: str, now: float,
) -> tuple[str, int]:
    """Index one exchange as an episode document (in the caller's transaction): (doc id, turn).

    The turn is one past the conversation's highest, counted here, in the writing transaction
    (0 outside a conversation).
    """
    turn = last_turn(catalog, conversation) + 1 if conversation else 0
    doc_id = episode_id(conversation, turn, prompt, now)
    chunks = [episode_text(a["persona"], prompt, a["text"]) for a in answers]
    catalog.index_document(doc_id, chunks, episode_metadata(answers, conversation, turn), now=now)
    return doc_id, turn


def episode_chunks(catalog: Any, kinds: tuple[str, ...] = (KIND,)) -> set[int]:
    """The catalog's chunks of episodes (or of the ``kinds`` given); empty when it holds none."""
    by_value = getattr(catalog, "meta_index", {}).get("kind")
    found: set[int] = set()
    for kind in kinds:
        chunks = by_value.get(kind) if by_value is not None else None
        found.update(chunks if chunks is not None else ())
    return found


def memory_chunks(catalog: Any) -> set[int]:
    """The chunks of the image's own memory: episodes and digests."""
    return episode_chunks(catalog, (KIND, DIGEST))


def research_exclusion(catalog: Any) -> set[int] | None:
    """The chunks ordinary research may find: all but the image's own memory (episodes, digests); None (all) when
    there is none."""
    own = memory_chunks(catalog)
    if not own:
        return None
    return set(catalog.chunks.keys()) - own

"""Retrieval quality on the labelled set in tests/data/retrieval (225 passages, 97 questions):
recall@5 of hybrid search is at least that of words alone and of meaning alone.

Real parts: a FileStorage image, the knowledge catalog's TextIndex, the real all-MiniLM-L6-v2
embedder and the in-memory vector index, through bat_os.memory.service.Memory (as the kernel uses them).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bat_os.image.image import Image
from bat_os.memory.service import Memory

DATA = Path(__file__).parent / "data" / "retrieval"
K = 5


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def recalls(tmp_path_factory):
    corpus, questions = load("corpus.jsonl"), load("questions.jsonl")
    image = Image(tmp_path_factory.mktemp("retrieval") / "live.fs")
    image.awaken()
    memory = Memory(image)

    async def evaluate() -> dict[str, dict[str, float]]:
        import numpy as np

        vectors = await memory.embed([p["text"] for p in corpus])
        catalog = lambda: image.connection.root()["knowledge_catalog_obj"]  # noqa: E731

        def write() -> None:
            for passage, vector in zip(corpus, vectors):
                catalog().index_document(passage["id"], [passage["text"]], {"source": "retrieval", "topic": passage["topic"]},
                                         embeddings=[np.asarray(vector, dtype=np.float32).tobytes()], model=memory.model)

        image.run(write)
        query_vectors = await memory.embed([q["question"] for q in questions])
        found: dict[str, list[tuple[str, bool]]] = {"text": [], "vector": [], "hybrid": []}

        def rank() -> None:
            allowed = catalog().matching({"source": "retrieval"})
            for q, vector in zip(questions, query_vectors):
                relevant = set(q["relevant"])
                text = [catalog().chunks[cid].doc_id for cid, _s in catalog().text_search(q["question"], K, allowed)]
                found["text"].append((q["style"], bool(relevant & set(text))))
                for mode in ("vector", "hybrid"):
                    hits = memory.ranked(catalog(), q["question"], vector, K, mode, allowed)
                    found[mode].append((q["style"], bool(relevant & {h["doc_id"] for h in hits})))

        image.read(rank)
        await memory.close()
        table = {}
        for mode, outcomes in found.items():
            table[mode] = {"all": sum(ok for _s, ok in outcomes) / len(outcomes)}
            for style in ("lexical", "paraphrase", "mixed"):
                picked = [ok for s, ok in outcomes if s == style]
                table[mode][style] = sum(picked) / len(picked)
        return table

    try:
        yield asyncio.run(evaluate())
    finally:
        image.close()


def test_the_set_is_big_enough():
    assert len(load("corpus.jsonl")) >= 200 and len(load("questions.jsonl")) >= 50


def test_hybrid_recall_at_5_is_at_least_each_single_mode(recalls):
    summary = {mode: round(r["all"], 3) for mode, r in recalls.items()}
    assert recalls["hybrid"]["all"] >= recalls["text"]["all"], summary
    assert recalls["hybrid"]["all"] >= recalls["vector"]["all"], summary
    assert recalls["hybrid"]["all"] >= 0.8, summary
    assert recalls["hybrid"]["lexical"] >= recalls["text"]["lexical"], recalls


def test_each_mode_is_good_at_what_it_is_for(recalls):
    assert recalls["text"]["lexical"] >= 0.9  # rare names and numbers: words find them
    assert recalls["vector"]["paraphrase"] > recalls["text"]["paraphrase"] + 0.3  # no shared words: meaning finds them

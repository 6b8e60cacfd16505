"""Semantic memory end to end: ingest / search / forget over ZeroMQ against a real kernel, with the
real all-MiniLM-L6-v2 embedder and real nltk sentence splitting. One kernel per scenario (each
loads the embedder once: importing sentence-transformers takes 15-20 s here)."""

from __future__ import annotations

import threading
import time

import pytest

from support import KernelProcess

ASTRO = (
    "The Kessler cascade is a runaway chain of collisions among satellites in low Earth orbit. "
    "Each collision creates debris fragments that raise the odds of further collisions. "
    "Engineers track fragments larger than ten centimetres with ground radar."
)
PARAPHRASE_OF_ROBIN = "flowing holistic wisdom that dissolves paradoxes"


def memory_kernel(workdir) -> KernelProcess:
    return KernelProcess(workdir, env={"BATOS_MEMORY_WARMUP": "1", "BATOS_LLM_BACKEND": "replay",
                                      "BATOS_CASSETTE": str(workdir / "empty.jsonl")})


def request(k: KernelProcess, timeout: float = 120, **fields) -> dict:
    return k.request(fields, timeout=timeout)


def search(k: KernelProcess, query: str, **fields) -> dict:
    return request(k, command="search", query=query, **fields)


@pytest.fixture
def kernel(tmp_path):
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    k = memory_kernel(tmp_path)
    k.start(timeout=60)
    yield k
    k.stop()


def test_ingest_restart_search_in_every_mode_then_forget(kernel):
    reply = request(kernel, command="ingest", text=ASTRO, doc_id="astro", metadata={"source": "notes", "tags": ["space"]})
    assert reply["status"] == "ok", reply
    assert reply["result"]["doc_id"] == "astro" and reply["result"]["chunks"] == 1
    again = request(kernel, command="ingest", text=ASTRO, doc_id="astro", metadata={"source": "notes", "tags": ["space"]})
    assert again["result"]["unchanged"] is True  # same content: not re-embedded
    kernel.stop()
    kernel.start(timeout=60)
    for mode, query in (("text", "Kessler cascade"), ("vector", "orbital junk smashing into more junk"), ("hybrid", "Kessler debris")):
        hits = search(kernel, query, mode=mode)["result"]["hits"]
        assert hits and hits[0]["doc_id"] == "astro", (mode, hits)
        assert hits[0]["metadata"]["source"] == "notes"
    filtered = search(kernel, "Kessler cascade", filter={"source": "persona_codex"})["result"]["hits"]
    assert all(h["doc_id"] != "astro" for h in filtered)
    gone = request(kernel, command="forget", doc_id="astro")
    assert gone["status"] == "ok" and gone["result"]["chunks"] == 1
    for mode, query in (("text", "Kessler cascade"), ("vector", "orbital junk smashing into more junk"), ("hybrid", "Kessler debris")):
        assert all(h["doc_id"] != "astro" for h in search(kernel, query, mode=mode)["result"]["hits"]), mode
    assert request(kernel, command="forget", doc_id="astro")["error"]["code"] == "not_found"


def test_the_codex_is_seeded_and_found_by_words_and_by_meaning(kernel):
    first = search(kernel, "Watercourse Way")["result"]["hits"][0]
    assert first["metadata"]["source"] == "persona_codex" and first["metadata"]["persona"] == "ROBIN"
    for mode in ("vector", "hybrid"):
        hits = search(kernel, PARAPHRASE_OF_ROBIN, mode=mode, top_k=5)["result"]["hits"]
        assert any(h["metadata"].get("persona") == "ROBIN" and "Watercourse" in h["text"] for h in hits), (mode, hits)
    status = request(kernel, command="status")["result"]["knowledge"]
    assert status["documents"] >= 24 and status["pending_embeddings"] == 0 and status["index_bytes"] > 0


def test_bad_input_gets_clear_replies_and_changes_nothing(kernel, tmp_path):
    before = request(kernel, command="status")["result"]["knowledge"]["chunks"]
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02binary")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café crème".encode("latin-1"))
    cases = [
        ({"command": "ingest", "text": ""}, "bad_request"),
        ({"command": "ingest", "text": "   \n\t "}, "bad_request"),
        ({"command": "ingest", "path": str(binary)}, "bad_encoding"),
        ({"command": "ingest", "path": str(latin)}, "bad_encoding"),
        ({"command": "ingest", "text": "x" * (11 * 2**20)}, "too_large"),
        ({"command": "ingest", "text": "a", "path": str(latin)}, "bad_request"),
        ({"command": "search", "query": ""}, "bad_request"),
        ({"command": "search", "query": "x", "top_k": 0}, "bad_request"),
        ({"command": "search", "query": "x", "top_k": 10_001}, "bad_request"),
        ({"command": "search", "query": "x", "offset": -1}, "bad_request"),
        ({"command": "search", "query": "x", "limit": 10**9}, "bad_request"),
        ({"command": "search", "query": "x", "mode": "psychic"}, "bad_request"),
        ({"command": "search", "query": "x", "filter": {"colour": "red"}}, "bad_request"),
        ({"command": "forget", "doc_id": "never-ingested"}, "not_found"),
    ]
    for message, code in cases:
        reply = kernel.request(message, timeout=120)
        assert reply["status"] == "error" and reply["error"]["code"] == code, (message if len(str(message)) < 200 else message["command"], reply)
    stopwords = search(kernel, "the of and", mode="text")
    assert stopwords["status"] == "ok" and stopwords["result"]["hits"] == []
    assert request(kernel, command="status")["result"]["knowledge"]["chunks"] == before


def test_ingesting_while_ten_clients_ping(kernel):
    text = " ".join(f"Sentence number {i} is about topic {i % 7} and the weather in town {i % 13}." for i in range(1500))
    done: dict = {}

    def ingest() -> None:
        done["reply"] = kernel.request({"command": "ingest", "text": text, "doc_id": "big", "events": True}, timeout=300)

    worker = threading.Thread(target=ingest)
    worker.start()
    answered = []
    errors = []

    def pinger() -> None:
        with kernel.client() as client:
            while worker.is_alive():
                started = time.monotonic()
                reply = client.request({"command": "ping"}, timeout=10)
                (answered if reply["status"] == "ok" else errors).append(time.monotonic() - started)
                time.sleep(0.02)

    pingers = [threading.Thread(target=pinger) for _ in range(10)]
    for t in pingers:
        t.start()
    worker.join(300)
    for t in pingers:
        t.join(30)
    assert done["reply"]["status"] == "ok", done
    assert done["reply"]["result"]["chunks"] > 1
    assert not errors and len(answered) >= 10
    hits = search(kernel, "weather in town 7", filter={"doc_id": "big"})["result"]["hits"]
    assert hits and all(h["doc_id"] == "big" for h in hits)

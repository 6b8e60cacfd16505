#!/usr/bin/env python3
"""Semantic memory: ingestion throughput against encoding alone; hybrid search latency at 10k and 100k chunks.

    .venv/bin/python bench/perf/bench_memory.py [--quick] [--strict] [--rounds N] [--sizes 10000,100000]

Ingestion: a long document (sentences drawn from tests/data/retrieval) goes
through what ``ingest`` does (sentence splitting, embedding, semantic chunking,
one vector per chunk, indexing and one commit into a temp FileStorage image),
in sentences per second, against encoding the same sentences with the same
model alone (the floor). Rounds alternate. Target: ingest / encode >= 0.7x.

Search: a catalog filled with N chunks (synthetic Zipf-distributed text for
BM25 and random unit vectors, inserted directly: embedding 100k real chunks
would take ~20 min here; the latency does not depend on what the vectors
mean), then hybrid queries through Memory (query embedding + BM25 + vector
top-k + fusion), p50 per size, and the vector index's memory. Half the
queries carry two synthetic words BM25 finds (outside the 1,000 most frequent,
which stand for the stopwords the lexicon drops from real text). Target: p50 <=
30 ms at 100k.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import ROOT, Summary, header, median, parser, percentile  # noqa: E402

sys.path.insert(0, str(ROOT))

TARGET_INGEST = 0.7
TARGET_SEARCH_MS = 30.0


def sentences_from_corpus(n: int) -> list[str]:
    from bat_os.memory.chunking import sentence_splitter

    split = sentence_splitter()
    pool = []
    for line in (ROOT / "tests" / "data" / "retrieval" / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            pool.extend(split(json.loads(line)["text"]))
    rng = random.Random(7)
    return [pool[rng.randrange(len(pool))] for _ in range(n)]


async def ingest_rounds(args, summary: Summary) -> None:
    from bat_os.image.image import Image
    from bat_os.memory.service import Memory

    n = 400 if args.quick else 1500
    sentences = sentences_from_corpus(n)
    text = " ".join(sentences)
    with tempfile.TemporaryDirectory(prefix="batos-bench-memory-") as tmp:
        image = Image(Path(tmp) / "live.fs")
        image.awaken()
        memory = Memory(image)
        await memory.embed(["warm up"])
        embedder = memory._embedder
        rows = []
        print(f"ingestion: a document of {n} sentences ({len(text) / 1024:.0f} KiB)")
        print(f"{'round':>5} {'ingest s/s':>11} {'encode s/s':>11} {'ratio':>7}")
        for r in range(args.rounds):
            got = {}
            for side in (["ingest", "encode"] if r % 2 == 0 else ["encode", "ingest"]):
                started = time.perf_counter()
                if side == "encode":
                    embedder.encode(sentences)
                else:
                    chunks, vectors, _count = await memory._in_worker(memory._chunk, text, lambda event: None)
                    image.run(lambda: image.connection.root()["knowledge_catalog_obj"].index_document(
                        f"bench-{r}", chunks, {"source": "bench"}, embeddings=vectors, model=memory.model))
                got[side] = n / (time.perf_counter() - started)
            rows.append(got)
            print(f"{r + 1:>5} {got['ingest']:>11.0f} {got['encode']:>11.0f} {got['ingest'] / got['encode']:>6.2f}x")
        await memory.close()
        image.close()
    summary.target("RATIO ingest/encode sentences per second", median([g["ingest"] / g["encode"] for g in rows]), ">=", TARGET_INGEST, "x")


async def search_at(size: int, args, summary: Summary) -> None:
    import numpy as np

    from bat_os.image.image import Image
    from bat_os.memory.service import Memory

    rng = random.Random(size)
    vocabulary = [f"w{i}" for i in range(20_000)]
    weights = [1.0 / (i + 1) for i in range(len(vocabulary))]
    queries = ["How do bees tell each other where the flowers are?", "Kessler cascade of orbital debris",
               "the ledger of 1412 in the harbour town", "why does a compass needle not point to true north",
               "sourdough starter feeding schedule", "tidal barrage power output at neap tides"]
    with tempfile.TemporaryDirectory(prefix="batos-bench-memory-") as tmp:
        image = Image(Path(tmp) / "live.fs")
        image.awaken()
        memory = Memory(image)
        await memory.embed(["warm up"])
        started = time.perf_counter()
        batch = 5000
        np_rng = np.random.default_rng(size)
        for start in range(0, size, batch):
            count = min(batch, size - start)
            vectors = np_rng.standard_normal((count, 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            texts = [" ".join(rng.choices(vocabulary, weights, k=40)) for _ in range(count)]

            def write(start=start, texts=texts, vectors=vectors) -> None:
                catalog = image.connection.root()["knowledge_catalog_obj"]
                for i, (t, v) in enumerate(zip(texts, vectors)):
                    catalog.index_document(f"syn-{start + i}", [t], {"source": "synthetic"}, embeddings=[v.tobytes()], model="random")

            image.run(write)
        filled = time.perf_counter() - started
        image.read(lambda: memory._sync(image.connection.root()["knowledge_catalog_obj"]))  # the index, built once
        samples = []
        n = 30 if args.quick else 120
        for i in range(n):
            # synthetic words for BM25 to find: not the 1,000 most frequent, which stand for the
            # stopwords the lexicon removes from real text (every query would hit half the corpus)
            query = queries[i % len(queries)] + (f" w{rng.randrange(1000, 20000)} w{rng.randrange(1000, 20000)}" if i % 2 else "")
            t0 = time.perf_counter()
            hits = await memory.search(query, 5, "hybrid")
            samples.append(time.perf_counter() - t0)
            assert len(hits) == 5
        await memory.close()
        index_mib = memory.index_bytes() / 2**20
        image.close()
    samples.sort()
    p50, p90 = percentile(samples, 50) * 1e3, percentile(samples, 90) * 1e3
    print(f"search at {size} chunks (filled in {filled:.0f}s): hybrid p50 {p50:.1f} ms, p90 {p90:.1f} ms; vector index {index_mib:.0f} MiB")
    if size >= 100_000:
        summary.target(f"search hybrid p50 at {size} chunks", p50, "<=", TARGET_SEARCH_MS, " ms", fmt=".1f")
    else:
        summary.info(f"search hybrid p50 at {size} chunks", p50, " ms", fmt=".1f")
    summary.info(f"vector index memory at {size} chunks", index_mib, " MiB", fmt=".0f")


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default=None, help="chunk counts for the search figures (default 10000,100000; --quick 10000)")
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    header("bench_memory: ingestion and hybrid search", args)
    summary = Summary()
    asyncio.run(ingest_rounds(args, summary))
    sizes = [int(s) for s in (args.sizes or ("10000" if args.quick else "10000,100000")).split(",")]
    for size in sizes:
        asyncio.run(search_at(size, args, summary))
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

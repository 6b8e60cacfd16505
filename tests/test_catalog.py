"""The knowledge catalog: codex ingestion and word search, in a real FileStorage."""

import json

import pytest
import transaction
import ZODB
import ZODB.FileStorage

from bat_os.memory.catalog import KnowledgeCatalog, ingest_codex, read_codex
from bat_os.image.primordial import BUNDLED_CODEX


@pytest.fixture
def catalog(tmp_path):
    db = ZODB.DB(ZODB.FileStorage.FileStorage(str(tmp_path / "cat.fs")))
    conn = db.open()
    conn.root()["catalog"] = KnowledgeCatalog()
    transaction.commit()
    yield conn.root()["catalog"]
    transaction.abort()
    db.close()


def test_bundled_codex_is_valid():
    entries = read_codex(BUNDLED_CODEX)
    assert len(entries) >= 20
    assert {e["persona"] for e in entries} == {"ALFRED", "BRICK", "ROBIN", "BABS"}


def test_ingest_and_search(catalog):
    count = ingest_codex(catalog, BUNDLED_CODEX)
    transaction.commit()
    assert catalog.document_count() == count == catalog.chunk_count()
    hits = catalog.search("Watercourse Way", top_k=3)
    assert hits and "Watercourse" in hits[0]["text"]
    assert hits[0]["metadata"]["source"] == "persona_codex"
    assert hits == sorted(hits, key=lambda h: h["score"], reverse=True)
    assert len(catalog.search("the method", top_k=2)) <= 2


@pytest.mark.parametrize("query", ["", "   ", "the", "and or not", "(", "zzzqqq"])
def test_queries_that_find_nothing(catalog, query):
    ingest_codex(catalog, BUNDLED_CODEX)
    assert catalog.search(query) == []


def test_reindex_replaces_and_forget_removes(catalog):
    catalog.index_document("d", ["alpha bravo", "charlie"])
    catalog.index_document("d", ["delta echo"])
    transaction.commit()
    assert catalog.chunk_count() == 1
    assert catalog.search("alpha") == [] and catalog.search("delta")[0]["doc_id"] == "d"
    assert catalog.forget("d") is True and catalog.forget("d") is False
    assert catalog.search("delta") == [] and catalog.document_count() == 0


def test_bad_codex_lines_are_reported(tmp_path):
    path = tmp_path / "codex.jsonl"
    path.write_text(json.dumps({"prompt": "p"}) + "\n")
    with pytest.raises(ValueError, match="codex.jsonl:1"):
        read_codex(path)
    path.write_text("{not json\n")
    with pytest.raises(ValueError, match="not JSON"):
        read_codex(path)


def vec(*values):
    import numpy as np

    v = np.array(values, dtype=np.float32)
    return (v / np.linalg.norm(v)).tobytes()


def test_metadata_filters_by_value_any_of_a_list_and_time(catalog):
    catalog.index_document("a", ["alpha text"], {"source": "notes", "tags": ["x", "y"]}, now=100.0)
    catalog.index_document("b", ["beta text"], {"source": "web", "tags": ["y"]}, now=200.0)
    ids = {cid: catalog.chunks[cid].doc_id for cid in catalog.chunks}
    docs = lambda found: sorted(ids[c] for c in found)  # noqa: E731
    assert docs(catalog.matching({"source": "notes"})) == ["a"]
    assert docs(catalog.matching({"tags": "y"})) == ["a", "b"]
    assert docs(catalog.matching({"tags": ["x", "nope"]})) == ["a"]
    assert docs(catalog.matching({"tags": "y", "source": "web"})) == ["b"]
    assert docs(catalog.matching({"doc_id": "b"})) == ["b"]
    assert docs(catalog.matching({"ingested_after": 150})) == ["b"]
    assert docs(catalog.matching({"ingested_before": 150})) == ["a"]
    with pytest.raises(KeyError):
        catalog.matching({"colour": "red"})
    with pytest.raises(ValueError):
        catalog.matching({"ingested_after": "yesterday"})
    catalog.forget("a")
    assert docs(catalog.matching({"tags": "y"})) == ["b"] and "x" not in catalog.meta_index["tags"]
    assert docs(catalog.matching({"ingested_before": 150})) == []


def test_every_change_is_logged_for_the_vector_index(catalog):
    start = catalog.generation()
    first = catalog.index_document("d", ["one", "two"], embeddings=[vec(1, 0), vec(0, 1)], model="m")
    assert catalog.changes[start + 1] == (tuple(first), ())
    assert not len(catalog.pending)
    second = catalog.index_document("d", ["three"])  # replaced: the old chunks are removed
    assert catalog.changes[start + 2] == (tuple(second), tuple(first))
    assert list(catalog.pending) == second  # no embedding yet
    assert catalog.set_embeddings({second[0]: vec(1, 1), 99999: vec(1, 0)}, "m") == 1
    assert catalog.changes[start + 3] == (tuple(second), ()) and not len(catalog.pending)
    catalog.forget("d")
    assert catalog.changes[start + 4] == ((), tuple(second))


def test_an_old_catalog_is_upgraded_with_its_chunks_pending(catalog):
    for attribute in ("doc_hashes", "meta_index", "times", "pending", "generation", "changes"):
        delattr(catalog, attribute)
    catalog.chunks[1] = __import__("bat_os.memory.catalog", fromlist=["Chunk"]).Chunk("old", 0, "old text", {"source": "s"})
    catalog.documents["old"] = (1,)
    catalog.upgrade()
    assert list(catalog.pending) == [1] and catalog.matching({"source": "s"}) == {1}
    assert catalog.changes[catalog.generation()] == ((1,), ())

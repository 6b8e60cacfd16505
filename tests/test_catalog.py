"""The knowledge catalog: codex ingestion and word search, in a real FileStorage."""

import json

import pytest
import transaction
import ZODB
import ZODB.FileStorage

from bat_os.catalog import KnowledgeCatalog, ingest_codex, read_codex
from bat_os.primordial import BUNDLED_CODEX


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

"""How ingest cuts a large document into batches for the chunker (bat_os.memory.service._batches)."""

from bat_os.memory import service as memory
from bat_os.memory.chunking import sentence_splitter


def test_batches_keep_paragraphs_and_headings_and_cut_only_long_paragraphs(monkeypatch):
    monkeypatch.setattr(memory, "BATCH_SENTENCES", 4)
    split = sentence_splitter()
    text = "# Title\n\nOne. Two.\n\nThree. Four. Five.\n\n\n" + " ".join(f"Long {i}." for i in range(10)) + "\n\nTail."
    parts = memory._batches(text, split)
    assert parts[0] == ("# Title\n\nOne. Two.", 3)  # whole paragraphs, blank lines kept
    assert parts[1] == ("Three. Four. Five.", 3)
    assert [count for _p, count in parts[2:5]] == [4, 4, 2]  # a paragraph over a batch: cut between sentences
    assert parts[-1] == ("Tail.", 1)
    assert sum(count for _p, count in parts) == 3 + 3 + 10 + 1


def test_a_small_document_is_one_batch_as_written():
    text = "# Notes\n\nFirst point. Second point.\n\nThird point."
    assert memory._batches(text, sentence_splitter()) == [(text, 4)]

"""Semantic chunking with the real MiniLM and nltk's Punkt (no mocks).

The embedder is loaded once for the module; ``CountingEmbedder`` wraps it only
to count ``encode`` calls and sentences.
"""

import random
import subprocess
import sys

import pytest

from bat_os.memory.chunking import ChunkingSettings, semantic_chunks, sentence_splitter
from bat_os.memory.embedder import MiniLMEmbedder
from support import ROOT, kernel_env

BREAD = [
    "Baking bread at home starts with flour, water, salt and a little yeast.",
    "The dough is kneaded for about ten minutes until it feels smooth and elastic.",
    "Gluten strands develop during kneading and trap the gas that the yeast produces.",
    "After a first rise the baker shapes the loaf and leaves it to proof in a floured basket.",
    "A very hot oven with steam gives the crust its crackle and deep brown colour.",
    "Once baked, the loaf should cool on a rack before anyone cuts the first slice.",
]
ORBITS = [
    "A satellite in orbit is constantly falling toward the Earth while moving sideways fast enough to miss it.",
    "Kepler's laws describe planetary orbits as ellipses with the Sun at one focus.",
    "Raising an orbit requires a prograde burn that increases the spacecraft's velocity at one point.",
    "A Hohmann transfer moves a probe between two circular orbits using two engine burns.",
    "Geostationary satellites circle the planet once per day at an altitude of about 36,000 kilometres.",
    "Orbital period grows with the semi-major axis, so higher orbits take longer to complete.",
]
TRADE = [
    "Medieval merchants carried wool, wine and spices along trade routes across Europe.",
    "The Hanseatic League linked port towns on the Baltic and North Sea into a powerful commercial network.",
    "Great fairs in Champagne drew traders from Italy and Flanders to exchange cloth and silver.",
    "Venetian galleys brought pepper and silk from the eastern Mediterranean to Western markets.",
    "Guilds regulated prices, quality and apprenticeships in the towns where goods were made.",
    "Letters of credit let a merchant travel without carrying chests of coins that bandits might steal.",
]
TOPICS = [BREAD, ORBITS, TRADE]


class CountingEmbedder:
    """The real embedder, counting calls and sentences."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.calls = 0
        self.sentences = 0

    def encode(self, texts, batch_size=64):
        self.calls += 1
        self.sentences += len(texts)
        return self.inner.encode(texts, batch_size=batch_size)


@pytest.fixture(scope="module")
def minilm():
    return MiniLMEmbedder()


@pytest.fixture
def embedder(minilm):
    return CountingEmbedder(minilm)


@pytest.fixture(scope="module")
def split():
    return sentence_splitter()


def long_text(sentences: int = 100, seed: int = 7) -> str:
    """A deterministic text hopping between the three topics, a few sentences at a time, with one long sentence."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < sentences:
        topic = rng.choice(TOPICS)
        out.extend(rng.sample(topic, rng.randint(2, 6)))
        if len(out) > sentences // 2 and not any(len(s) > 1500 for s in out):
            out.append("It was a very long sentence " + " ".join(["and it went on"] * 150) + ".")
    return " ".join(out)


def boundaries(chunks: list[str], sentences: list[str]) -> list[int]:
    """Where each chunk starts, in sentence indices; asserts the chunks are the sentences, each once, in order."""
    starts, at = [], 0
    for chunk in chunks:
        starts.append(at)
        joined = ""
        while joined != chunk:
            assert at < len(sentences) and len(joined) < len(chunk), f"chunk is not whole sentences: {chunk[:80]!r}"
            joined = sentences[at] if not joined else joined + " " + sentences[at]
            at += 1
    assert at == len(sentences), "some sentences are in no chunk"
    return starts


# --- sentences ---------------------------------------------------------------------------------------


def test_importing_chunking_is_light():
    code = "import sys, bat_os.memory.chunking; print(sorted(m for m in ('nltk', 'torch', 'sentence_transformers') if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], cwd=ROOT, env=kernel_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_abbreviations_do_not_split(split):
    text = "Dr. Smith met Mr. Jones at 5 p.m. in the U.S. on Jan. 3. They talked."
    assert split(text) == ["Dr. Smith met Mr. Jones at 5 p.m. in the U.S. on Jan. 3.", "They talked."]
    assert split("We compared e.g. apples vs. pears, i.e. fruit. Prof. Ng agreed.") == [
        "We compared e.g. apples vs. pears, i.e. fruit.",
        "Prof. Ng agreed.",
    ]


def test_sentences_are_stripped_and_non_empty(split):
    assert split("  One.   Two!\n\n  Three?  ") == ["One.", "Two!", "Three?"]
    assert split("   ") == []
    assert sentence_splitter()("A. B.") == split("A. B.")


def test_punkt_tab_data_in_nltk_data_is_used(tmp_path, monkeypatch):
    """A (tiny) punkt_tab model under ``nltk_data`` wins over the built-in list: it knows only "dr"."""
    import nltk.data

    monkeypatch.setattr(nltk.data, "path", list(nltk.data.path))  # sentence_splitter appends tmp_path to it
    model = tmp_path / "tokenizers" / "punkt_tab" / "english"
    model.mkdir(parents=True)
    (model / "abbrev_types.txt").write_text("dr\n")
    for name in ("collocations.tab", "sent_starters.txt", "ortho_context.tab"):
        (model / name).write_text("")
    split = sentence_splitter(tmp_path)
    assert split("Dr. Smith met Mr. Jones. They talked.") == ["Dr. Smith met Mr.", "Jones.", "They talked."]


# --- chunking ----------------------------------------------------------------------------------------


def test_empty_text_is_refused(embedder):
    for text in ("", "   \n\t  \n"):
        with pytest.raises(ValueError, match="empty text"):
            semantic_chunks(text, embedder)
    assert embedder.calls == 0


def test_short_document_is_one_chunk_and_embeds_nothing(embedder, split):
    text = "Bread needs flour.\nIt also needs water. And time!"
    result = semantic_chunks(text, embedder, split=split)
    assert result.chunks == ["Bread needs flour. It also needs water. And time!"]  # sentences joined by one space
    assert result.sentences == 3 and result.embedded == 0
    # Two long sentences (more than short_document_chars) still make one chunk, unembedded.
    two = " ".join([BREAD[0] * 4, ORBITS[0] * 4])
    assert len(two) > ChunkingSettings().short_document_chars
    result = semantic_chunks(two, embedder, split=split)
    assert len(result.chunks) == 1 and result.embedded == 0
    assert embedder.calls == 0


def test_three_topics_split_at_the_topic_changes(embedder, split):
    sentences = BREAD + ORBITS + TRADE
    text = " ".join(sentences)
    result = semantic_chunks(text, embedder, split=split)
    assert split(text) == sentences
    assert embedder.calls == 1 and embedder.sentences == result.embedded == result.sentences == 18
    starts = boundaries(result.chunks, sentences)
    for change in (6, 12):
        assert any(abs(start - change) <= 1 for start in starts), (change, starts)
    assert len(result.chunks) <= 5, starts


def test_bounds_hold_on_a_long_text(embedder, split):
    text = long_text()
    for settings in (ChunkingSettings(), ChunkingSettings(min_chars=100, max_chars=400, percentile=40.0)):
        result = semantic_chunks(text, embedder, settings, split=split)
        sizes = [len(c) for c in result.chunks]
        assert max(sizes) <= settings.max_chars, sizes
        assert min(sizes) >= settings.min_chars, sizes
        assert result.embedded == result.sentences > len(split(text))  # the long sentence was cut into pieces
    assert embedder.calls == 2


def test_every_sentence_is_in_exactly_one_chunk_in_order(embedder, split):
    sentences = split(long_text(sentences=80, seed=3))
    assert all(len(s) <= 1500 for s in sentences[:40])
    sentences = sentences[:40]  # without the over-long sentence, so every sentence stays whole
    result = semantic_chunks(" ".join(sentences), embedder, split=split)
    starts = boundaries(result.chunks, sentences)
    assert starts[0] == 0 and len(starts) == len(result.chunks) > 1


def test_one_enormous_sentence_is_cut_at_whitespace(embedder):
    rng = random.Random(1)
    words = ["flour", "orbit", "merchant", "yeast", "ellipse", "caravan", "crust", "gravity"]
    text = " ".join(rng.choice(words) for _ in range(1500))
    assert len(text) > 10_000 and "." not in text
    result = semantic_chunks(text, embedder)
    assert all(len(c) <= 1500 for c in result.chunks)
    assert " ".join(result.chunks) == text  # cut only at spaces: no word is broken
    assert all(c.split() and set(c.split()) <= set(words) for c in result.chunks)
    assert embedder.calls == 0  # one sentence: nothing to compare
    # With no whitespace at all, the sentence is hard-cut.
    blob = "x" * 5000
    chunks = semantic_chunks(blob, embedder).chunks
    assert all(len(c) <= 1500 for c in chunks) and "".join(chunks) == blob


def test_chunking_is_deterministic(minilm, split):
    text = long_text(sentences=60, seed=11)
    first = semantic_chunks(text, CountingEmbedder(minilm), split=split)
    second = semantic_chunks(text, CountingEmbedder(minilm), split=split)
    assert first == second and len(first.chunks) > 1


def test_markdown_headings_start_chunks_and_paragraphs_are_not_joined_mid_sentence(embedder, split):
    text = "\n\n".join(
        [
            "# Bread",
            " ".join(BREAD[:3]),
            " ".join(BREAD[3:]),
            "## Orbits",
            " ".join(ORBITS),
            "```python\n# a comment in a code block is no heading\nperiod = 2 * pi * sqrt(a**3 / mu)\n```",
            "## Trade",
            "A paragraph without a final stop",  # a blank line ends it all the same
            " ".join(TRADE),
        ]
    )
    result = semantic_chunks(text, embedder, split=split)
    headed = [c for c in result.chunks if c.startswith("#")]
    assert [c.split(" ")[1] for c in headed] == ["Bread", "Orbits", "Trade"]  # each heading starts a chunk
    assert all(sum(h in c for h in ("# Bread", "## Orbits", "## Trade")) <= 1 for c in result.chunks)  # one section each
    assert len(result.chunks) <= 6
    assert any(c.startswith("## Trade A paragraph without a final stop Medieval merchants") for c in result.chunks)
    assert result.sentences == 3 + 18 + 1 + 1  # headings, sentences, the unfinished paragraph, the code block
    assert not any(c.rstrip().endswith(("Bread", "Orbits", "Trade")) for c in result.chunks)


def test_custom_splitter_is_used(embedder):
    text = "one line\nanother line\na third line"
    result = semantic_chunks(text, embedder, split=lambda block: block.split("\n"))
    assert result.chunks == ["one line another line a third line"] and result.sentences == 3


@pytest.mark.parametrize(
    "kwargs",
    [{"percentile": -1}, {"percentile": 101}, {"max_chars": 0}, {"min_chars": 2000}, {"short_document_chars": -1}],
)
def test_settings_are_checked(kwargs):
    with pytest.raises(ValueError):
        ChunkingSettings(**kwargs)



def test_chunk_vectors_are_the_normalised_mean_of_their_sentences(embedder):
    import numpy as np

    text = " ".join(
        f"Sentence {i} tells about {'baking bread with yeast and flour' if i < 6 else 'satellites orbiting the planet'}."
        for i in range(12)
    )
    chunked = semantic_chunks(text, embedder, ChunkingSettings(min_chars=50, max_chars=400, short_document_chars=100))
    assert chunked.vectors is not None and chunked.vectors.shape == (len(chunked.chunks), embedder.dimension)
    assert np.allclose(np.linalg.norm(chunked.vectors, axis=1), 1.0, atol=1e-5)
    direct = embedder.encode(chunked.chunks)  # embedding each chunk's text itself
    similarity = direct @ chunked.vectors.T
    assert len(chunked.chunks) >= 2
    assert all(similarity[i].argmax() == i for i in range(len(chunked.chunks)))  # each mean is nearest its own chunk
    assert semantic_chunks("Short. Text.", embedder).vectors is None  # nothing embedded

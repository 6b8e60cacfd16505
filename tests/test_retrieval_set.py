"""The labelled retrieval set in tests/data/retrieval is well formed (see its README)."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "retrieval"
STYLES = {"lexical", "paraphrase", "mixed"}

# Function words only: a word outside this list counts as content.
STOPWORDS = frozenset(
    """
    a an the and or but nor so yet of to in on at by for with from into onto upon about above
    below over under between through during before after since until while as than then that
    this these those there here what which who whom whose when where why how is are was were
    be been being am do does did done doing have has had having can could shall should will
    would may might must it its they them their theirs he him his she her hers we us our you
    your i me my not no all any some each every both either neither one other another such
    same very too also just only more most much many few if whether because though although
    out up down off again once without within
    """.split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased words, stopwords dropped, one trailing 's' stripped ("locks" -> "lock")."""
    words = set()
    for word in re.findall(r"[^\W_]+", text.lower()):
        if len(word) < 2 or word in STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s"):
            word = word[:-1]
        words.add(word)
    return words


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def corpus():
    return read_jsonl(DATA / "corpus.jsonl")


@pytest.fixture(scope="module")
def questions():
    return read_jsonl(DATA / "questions.jsonl")


def test_content_words():
    assert content_words("The locks of the Kessock flight, in 1806!") == {"lock", "kessock", "flight", "1806"}
    assert content_words("It is what it was") == set()


def test_corpus_is_well_formed(corpus):
    assert len(corpus) >= 220
    ids = [p["id"] for p in corpus]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"p\d{3}", i) for i in ids)
    assert all(set(p) == {"id", "topic", "text"} for p in corpus)
    texts = [p["text"] for p in corpus]
    assert len(set(texts)) == len(texts)
    for p in corpus:
        words = len(p["text"].split())
        assert 38 <= words <= 120, (p["id"], words)
        sentences = len(re.findall(r"[A-Za-z0-9)][.!?](?:\s|$)", p["text"]))
        assert 2 <= sentences <= 5, (p["id"], sentences)


def test_topics_are_many_and_balanced(corpus):
    per_topic = Counter(p["topic"] for p in corpus)
    assert len(per_topic) >= 25
    assert all(8 <= n <= 10 for n in per_topic.values()), per_topic


def test_questions_are_well_formed(corpus, questions):
    passage_ids = {p["id"] for p in corpus}
    assert len(questions) >= 60
    ids = [q["id"] for q in questions]
    assert len(set(ids)) == len(ids)
    assert len({q["question"] for q in questions}) == len(questions)
    for q in questions:
        assert set(q) == {"id", "question", "relevant", "style"}, q["id"]
        assert q["style"] in STYLES, q["id"]
        assert q["question"].strip().endswith("?"), q["id"]
        assert 1 <= len(q["relevant"]) <= 3, q["id"]
        assert set(q["relevant"]) <= passage_ids, q["id"]
    styles = Counter(q["style"] for q in questions)
    assert all(styles[s] >= 15 for s in STYLES), styles


def test_questions_spread_over_topics(corpus, questions):
    topic_of = {p["id"]: p["topic"] for p in corpus}
    topics = {topic_of[r] for q in questions for r in q["relevant"]}
    assert len(topics) == len({p["topic"] for p in corpus})


def test_paraphrase_questions_share_no_content_word(corpus, questions):
    text_of = {p["id"]: p["text"] for p in corpus}
    for q in questions:
        if q["style"] != "paraphrase":
            continue
        asked = content_words(q["question"])
        for rel in q["relevant"]:
            assert not asked & content_words(text_of[rel]), (q["id"], rel, asked & content_words(text_of[rel]))


def test_lexical_and_mixed_questions_share_some_words(corpus, questions):
    text_of = {p["id"]: p["text"] for p in corpus}
    for q in questions:
        if q["style"] == "paraphrase":
            continue
        shared = content_words(q["question"]) & content_words(text_of[q["relevant"][0]])
        assert shared, q["id"]

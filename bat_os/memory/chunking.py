"""Semantic chunking: sentences, neighbour similarity, breaks where the topic moves.

The flow of :func:`semantic_chunks`, top to bottom:

1. Cut the text into blocks: blank lines end a block, and a Markdown ATX
   heading line (``# Title``, up to 200 characters, outside ``` fences) is a
   block of its own. Each block is split into sentences, so no sentence
   crosses a paragraph or heading. A sentence longer than ``max_chars`` is cut
   into near-equal pieces at whitespace (hard-cut if it has none); each piece
   counts as a sentence from then on.
2. A short document (``short_document_chars`` or fewer, or fewer than three
   sentences) is one chunk, or as few as ``max_chars`` allows, and nothing is
   embedded.
3. Otherwise all sentences are embedded in one ``encode`` call. The similarity
   of neighbours is their dot product (rows are normalised); there is a break
   wherever it falls below the ``percentile`` of the document's similarities,
   always before a heading, and never right after one.
4. Chunks under ``min_chars`` merge with the more similar neighbour (across
   a heading only when there is no other); chunks over ``max_chars`` are
   split at their least similar gap, before a heading first (preferring gaps
   that leave both sides at least ``min_chars``); a last pass merges what is
   still under ``min_chars`` where the result stays within ``max_chars``.
   ``max_chars`` always holds; ``min_chars`` can fail only for a document
   shorter than it or around sentences close to ``max_chars``.

A chunk is its sentences joined with one space. The same text, settings and
model give the same chunks.

Importing this module does not import nltk (about 1.5 s): :func:`sentence_splitter`
does, once.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bat_os.memory.embedder import Embedder

logger = logging.getLogger(__name__)

Splitter = Callable[[str], list[str]]

# Punkt's abbreviation types: lower case, without the final period ("u.s" matches "U.S.").
ENGLISH_ABBREVIATIONS = frozenset(
    """
    mr mrs ms mssrs messrs dr prof rev fr sr jr st mt ft hon gen col lt sgt capt cmdr adm gov sen rep pres
    e.g i.e etc vs cf al approx ca esp viz resp fig figs eq eqs no nos vol vols ch sec pp p ed eds repr trans
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    inc ltd co corp bros llc plc dept univ assn est
    a.m p.m u.s u.k u.n e.u u.s.a d.c n.y l.a ph.d m.d b.a m.a b.sc m.sc
    ave blvd rd hwy
    """.split()
)

_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HEADING_MAX_CHARS = 200  # a longer line that starts with "#" is treated as text


@dataclass(frozen=True)
class ChunkingSettings:
    percentile: float = 25.0  # break where neighbour similarity is below this percentile of the document's similarities
    min_chars: int = 200  # chunks shorter than this are merged with a neighbour
    max_chars: int = 1500  # chunks longer than this are split (at sentences; an over-long sentence is cut at whitespace)
    short_document_chars: int = 600  # a document this short (or with < 3 sentences) stays one chunk, nothing embedded

    def __post_init__(self) -> None:
        if not 0.0 <= self.percentile <= 100.0:
            raise ValueError(f"percentile must be within [0, 100], got {self.percentile}")
        if self.max_chars < 1:
            raise ValueError(f"max_chars must be >= 1, got {self.max_chars}")
        if not 0 <= self.min_chars <= self.max_chars:
            raise ValueError(f"min_chars must be within [0, max_chars={self.max_chars}], got {self.min_chars}")
        if self.short_document_chars < 0:
            raise ValueError(f"short_document_chars must be >= 0, got {self.short_document_chars}")


@dataclass(frozen=True)
class Chunked:
    chunks: list[str]
    sentences: int  # sentences found, after cutting over-long ones into pieces
    embedded: int  # sentences embedded (0 for a short document)
    vectors: "np.ndarray | None" = field(default=None, compare=False)  # one L2-normalised float32 row per chunk (mean of its sentences); None when nothing was embedded


# --- sentences ---------------------------------------------------------------------------------------


def sentence_splitter(nltk_data: Path | None = None) -> Splitter:
    """A function text -> sentences (stripped, non-empty), by nltk's Punkt.

    It uses the real ``punkt_tab`` English model when nltk finds it (in
    ``nltk_data`` first when given, then on nltk's usual path); otherwise a
    Punkt tokenizer whose only knowledge is :data:`ENGLISH_ABBREVIATIONS`.
    The tokenizer is built once per ``nltk_data``. A given ``nltk_data`` is
    appended to ``nltk.data.path``: nltk 3.10 refuses to read data files
    anywhere else (and from directories other accounts can write to).
    """
    tokenizer = _punkt(str(nltk_data) if nltk_data is not None else None)

    def split(text: str) -> list[str]:
        return [s.strip() for s in tokenizer.tokenize(text) if s.strip()]

    return split


@functools.lru_cache(maxsize=8)
def _punkt(nltk_data: str | None):  # -> nltk PunktSentenceTokenizer, imported lazily
    import nltk.data
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, load_punkt_params

    searches: list[list[str] | None] = [None]
    if nltk_data is not None:
        if nltk_data not in nltk.data.path:
            nltk.data.path.append(nltk_data)  # nltk reads data files only from its data path
        searches.insert(0, [nltk_data])
    for paths in searches:
        try:
            found = nltk.data.find("tokenizers/punkt_tab/english/", paths=paths)
        except LookupError:
            continue
        logger.debug("sentence splitting with the punkt_tab model at %s", found)
        return PunktSentenceTokenizer(load_punkt_params(found))
    logger.info("nltk's punkt_tab data is not installed: splitting sentences with a built-in abbreviation list")
    params = PunktParameters()
    params.abbrev_types = set(ENGLISH_ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def _blocks(text: str) -> list[tuple[str, bool]]:
    """(block, is_heading) pairs: paragraphs separated by blank lines, and heading lines on their own."""
    blocks: list[tuple[str, bool]] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            block = "\n".join(lines).strip()
            if block:
                blocks.append((block, False))
            lines.clear()

    fenced = False  # inside a ``` code block, "# ..." is a comment, not a heading
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        if not line.strip():
            flush()
        elif not fenced and len(line) <= _HEADING_MAX_CHARS and _HEADING.match(line):
            flush()
            blocks.append((line.strip(), True))
        else:
            lines.append(line)
    flush()
    return blocks


def _cut(sentence: str, max_chars: int) -> list[str]:
    """``sentence`` in pieces of at most ``max_chars``, of about equal length, cut at whitespace.

    Each cut aims at an equal share of what is left, at the last whitespace
    before that point (or before ``max_chars`` if there is none), and cuts a
    word only when no whitespace fits at all.
    """
    pieces: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        share = -(-len(rest) // -(-len(rest) // max_chars))  # ceil(len / ceil(len / max_chars))
        at = _last_space(rest, share)
        if at <= 0:
            at = _last_space(rest, max_chars)
        if at <= 0:
            at = max_chars
        piece, rest = rest[:at].strip(), rest[at:].strip()
        if piece:
            pieces.append(piece)
    if rest:
        pieces.append(rest)
    return pieces


def _last_space(text: str, limit: int) -> int:
    """The index of the last whitespace character in ``text[:limit + 1]``, or -1."""
    for at in range(min(limit, len(text) - 1), -1, -1):
        if text[at].isspace():
            return at
    return -1


def _units(text: str, split: Splitter, max_chars: int) -> tuple[list[str], list[bool], int]:
    """The document's sentences (over-long ones cut), which of them are headings, and the count before cutting."""
    units: list[str] = []
    headings: list[bool] = []
    found = 0
    for block, is_heading in _blocks(text):
        sentences = [block] if is_heading else [s.strip() for s in split(block) if s.strip()]
        found += len(sentences)
        for sentence in sentences:
            for piece in _cut(sentence, max_chars):
                units.append(piece)
                headings.append(is_heading)
    return units, headings, found


# --- chunking ----------------------------------------------------------------------------------------


def semantic_chunks(
    text: str,
    embedder: Embedder,
    settings: ChunkingSettings = ChunkingSettings(),
    split: Splitter | None = None,
) -> Chunked:
    """``text`` cut into chunks of related sentences (see the module docstring for the rules)."""
    if not text or not text.strip():
        raise ValueError("empty text")
    split = split if split is not None else sentence_splitter()
    units, headings, found = _units(text, split, settings.max_chars)
    if not units:  # a splitter that found nothing in non-blank text
        units = _cut(text.strip(), settings.max_chars)
        headings, found = [False] * len(units), 1
    lengths = _Lengths(units)

    if len(text.strip()) <= settings.short_document_chars or found < 3:
        groups = _pack(lengths, settings.max_chars)
        return Chunked([_join(units, g) for g in groups], len(units), 0)

    vectors = np.asarray(embedder.encode(units, batch_size=64), dtype=np.float32)
    if vectors.shape[0] != len(units):
        raise ValueError(f"the embedder returned {vectors.shape[0]} rows for {len(units)} sentences")
    sims = np.einsum("ij,ij->i", vectors[:-1], vectors[1:]).astype(np.float64)  # sims[i]: units i and i+1
    # Headings: always a break before one, never right after one.
    before_heading = np.array([headings[i + 1] and not headings[i] for i in range(len(sims))], dtype=bool)
    after_heading = np.array(headings[:-1], dtype=bool)
    threshold = float(np.percentile(sims, settings.percentile))
    breaks = ((sims < threshold) | before_heading) & ~after_heading
    # How willing we are to keep a gap together (merge across it rather than split at it): a gap after a heading
    # most, one before a heading least, the others by similarity.
    score = np.where(after_heading, np.inf, np.where(before_heading, -np.inf, sims))

    groups = _segments(len(units), breaks)
    groups = _merge_small(groups, lengths, score, settings.min_chars, None)
    groups = [part for g in groups for part in _split_large(g, lengths, score, settings)]
    groups = _merge_small(groups, lengths, score, settings.min_chars, settings.max_chars)
    means = np.vstack([vectors[start:stop].mean(axis=0) for start, stop in groups]).astype(np.float32)
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    means = np.divide(means, norms, out=np.zeros_like(means), where=norms > 0)
    return Chunked([_join(units, g) for g in groups], len(units), len(units), means)


# A group is a half-open range of unit indices [start, stop); gap i sits between units i and i+1.
Group = tuple[int, int]


def _join(units: Sequence[str], group: Group) -> str:
    return " ".join(units[group[0] : group[1]])


class _Lengths:
    """The length of a group's joined text in O(1), from prefix sums."""

    def __init__(self, units: Sequence[str]) -> None:
        self.count = len(units)
        self._prefix = [0]
        for unit in units:
            self._prefix.append(self._prefix[-1] + len(unit))

    def size(self, group: Group) -> int:
        start, stop = group
        return self._prefix[stop] - self._prefix[start] + (stop - start - 1)  # with the joining spaces


def _pack(lengths: _Lengths, max_chars: int) -> list[Group]:
    """Consecutive units, greedily, as few groups as ``max_chars`` allows."""
    groups: list[Group] = []
    start = 0
    for i in range(1, lengths.count + 1):
        if i == lengths.count or lengths.size((start, i + 1)) > max_chars:
            groups.append((start, i))
            start = i
    return groups


def _segments(count: int, breaks: np.ndarray) -> list[Group]:
    cuts = [i + 1 for i in np.flatnonzero(breaks)]
    edges = [0, *cuts, count]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def _merge_small(groups: list[Group], lengths: _Lengths, score: np.ndarray, min_chars: int, max_chars: int | None) -> list[Group]:
    """Merge each group under ``min_chars`` into its more similar neighbour, smallest first.

    With ``max_chars`` a merge that would exceed it is not made (the other
    neighbour is tried); a group that fits nowhere stays as it is.
    """
    groups = list(groups)
    stuck: set[Group] = set()
    while len(groups) > 1:
        small = [i for i, g in enumerate(groups) if lengths.size(g) < min_chars and g not in stuck]
        if not small:
            break
        i = min(small, key=lambda k: (lengths.size(groups[k]), k))
        start, stop = groups[i]
        options = []  # (similarity across the boundary, neighbour index)
        if i > 0:
            options.append((score[start - 1], i - 1))
        if i + 1 < len(groups):
            options.append((score[stop - 1], i + 1))
        options.sort(key=lambda o: (-o[0], o[1]))  # the more similar neighbour first, across a heading last
        for _, j in options:
            a, b = min(i, j), max(i, j)
            merged = (groups[a][0], groups[b][1])
            if max_chars is None or lengths.size(merged) <= max_chars:
                groups[a : b + 1] = [merged]
                break
        else:
            stuck.add(groups[i])
    return groups


def _split_large(group: Group, lengths: _Lengths, score: np.ndarray, settings: ChunkingSettings) -> list[Group]:
    """``group`` split recursively at its least similar gap until every part fits ``max_chars``."""
    if lengths.size(group) <= settings.max_chars or group[1] - group[0] < 2:
        return [group]
    start, stop = group
    gaps = range(start, stop - 1)  # gap g cuts into [start, g+1) and [g+1, stop)
    balanced = [
        g
        for g in gaps
        if lengths.size((start, g + 1)) >= settings.min_chars and lengths.size((g + 1, stop)) >= settings.min_chars
    ]
    candidates = balanced or list(gaps)
    cut = min(candidates, key=lambda g: (score[g], g)) + 1
    return _split_large((start, cut), lengths, score, settings) + _split_large((cut, stop), lengths, score, settings)

"""A sentence made ready for the rules: whitespace, politeness, contractions, and its arguments pulled out.

:func:`normalise` collapses whitespace, pulls quoted strings, numbers and
JSON lists out as arguments (each replaced in the working text by a slot,
``"\\x00<index>\\x01"``), drops trailing punctuation, expands contractions and
strips politeness at either end ("please", "can you", "thanks"). The rules
read :attr:`Normalised.text` and put the arguments back with
:meth:`Normalised.restore`.

Stdlib only: the chat client imports this module.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bat_os.translate.vocabulary import CONTRACTIONS, POLITE_HEAD, POLITE_TAIL

_QUOTES = re.compile(
    r'"(?P<d>[^"]*)"'  # "double"
    r"|“(?P<c>[^”]*)”"  # “curly”
    r"|‘(?P<s>[^’]*)’"  # ‘single curly’
    r"|«\s*(?P<g>[^»]*?)\s*»"  # «guillemets»
    r"|`(?P<b>[^`]*)`"  # `backticks`
    r"|(?<![\w'])'(?P<a>[^']+)'(?![\w'])",  # 'single', not an apostrophe in don't or users'
)
_NUMBER = re.compile(r"(?<![\w.])(?P<n>-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?!\w|\.\d)")
_ARGUMENT = re.compile(f"{_QUOTES.pattern}|(?P<j>\\[[^\\[\\]]*\\])|{_NUMBER.pattern}")
SLOT = "\x00"  # marks where a pulled-out argument stood in the working text: "\x00<index>\x01"
SLOT_REF = re.compile("\x00(\\d+)\x01")


@dataclass
class Normalised:
    """A normalised sentence: the working text with arguments pulled out, and the arguments."""

    original: str  # whitespace collapsed; what kwargs.intent keeps
    text: str  # politeness and trailing punctuation gone, contractions expanded, arguments replaced by slots
    args: list[Any]  # quoted strings and numbers, in order
    question: bool  # ended with "?"

    def restore(self, fragment: str, quote: bool = True) -> str:
        """``fragment`` of :attr:`text` with its pulled-out arguments put back (strings quoted)."""

        def put_back(match: re.Match) -> str:
            value = self.args[int(match.group(1))]
            if isinstance(value, str):
                return f'"{value}"' if quote else value
            return json.dumps(value) if isinstance(value, list) else str(value)

        return SLOT_REF.sub(put_back, fragment)

    def args_in(self, fragment: str) -> list[Any]:
        """The arguments whose slots ``fragment`` holds, in order."""
        return [self.args[int(i)] for i in SLOT_REF.findall(fragment)]


def normalise(sentence: str) -> Normalised:
    original = " ".join(sentence.split())
    text = unicodedata.normalize("NFC", original)
    args: list[Any] = []

    # One pass, left to right: a number inside a quoted string stays part of the string.
    def pull(match: re.Match) -> str:
        if match.group("j") is not None:  # a JSON list written in the sentence: [3, 1, 2]
            try:
                args.append(json.loads(match.group("j")))
            except ValueError:
                return match.group(0)
        elif match.group("n") is not None:
            raw = match.group("n").replace(",", "")
            args.append(float(raw) if "." in raw else int(raw))
        else:
            args.append(next(v for k, v in match.groupdict().items() if k not in ("n", "j") and v is not None))
        return f" {SLOT}{len(args) - 1}\x01 "

    text = _ARGUMENT.sub(pull, text)
    question = text.rstrip().endswith("?")
    text = re.sub(r"[\s.!?;:,…]+$", "", text.strip())
    text = _expand_contractions(text)
    for _ in range(3):  # "ok so please can you ..."
        stripped = POLITE_TAIL.sub("", POLITE_HEAD.sub("", text)).strip(" ,")
        if stripped == text:
            break
        text = stripped
    text = re.sub(r"\s+", " ", text).strip()
    return Normalised(original, text, args, question)


def _expand_contractions(text: str) -> str:
    def expand(match: re.Match) -> str:
        word = match.group(0)
        full = CONTRACTIONS.get(word.lower().replace("’", "'"))
        if full is None:
            return word
        return full if word[0].islower() else full[0].upper() + full[1:]

    return re.sub(r"\b[A-Za-z]+['’][a-z]+\b", expand, text)


def ascii_word(word: str) -> str:
    """A word as lower-case ASCII letters and digits ("créer" -> "creer"; "世界" -> "")."""
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]", "", folded)

"""Method names from English: an action phrase or an explicit name -> a snake_case selector.

A mission brief's selector is the action phrase in snake_case: articles
"a"/"an" go, so do the arguments and the words that only announce them
("of a number", "the number 21", "to 'Ada'"); "the" stays in a longer noun
phrase unless such a parameter phrase was cut ("calculate the factorial of a
number" -> ``calculate_factorial``; "greet the guest" -> ``greet_guest``;
"report the current system time" -> ``report_the_current_system_time``).
A selector is at most :data:`~bat_os.translate.briefs.MAX_SELECTOR_CHARS`,
cut at a word boundary. :func:`base_verb` turns "that calculates" / "for
calculating" into the "calculate" an action phrase starts with.

Stdlib only: the chat client imports this module.
"""

from __future__ import annotations

import re

from bat_os.translate import briefs
from bat_os.translate.briefs import MAX_SELECTOR_CHARS
from bat_os.translate.normalise import SLOT, ascii_word
from bat_os.translate.vocabulary import ARTICLES, DETERMINERS, IRREGULAR_VERBS, PLACEHOLDERS, PREPOSITIONS


def selector_from(phrase: str) -> tuple[str, bool]:
    """(snake_case selector, whether a parameter phrase was cut) for an action phrase.

    ``phrase`` is working text: arguments already replaced by :data:`~bat_os.translate.normalise.SLOT`.
    """
    words = [w for w in re.split(r"[\s,;:/()\[\]{}]+", phrase) if w]
    cut = False
    kept: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        lower = ascii_word(word)
        if SLOT in word:
            cut = True
            i += 1
            continue
        # "of a number", "for the given name", "to 'Ada'": the preposition announces an argument.
        if lower in PREPOSITIONS and kept:
            j = i + 1
            while j < len(words) and ascii_word(words[j]) in DETERMINERS:
                j += 1
            rest = words[j:]
            if rest and (SLOT in rest[0] or (ascii_word(rest[0]) in PLACEHOLDERS and (len(rest) == 1 or SLOT in rest[1] or ascii_word(rest[1]) in PREPOSITIONS | {"and", "or"}))):
                # skip the preposition, determiners and the placeholder noun (a following slot is skipped above)
                i = j + (0 if SLOT in rest[0] else 1)
                cut = True
                continue
        # "the number 21": the noun stays (double_number), its determiners go with the value.
        if lower in PLACEHOLDERS and i + 1 < len(words) and SLOT in words[i + 1]:
            while kept and ascii_word(kept[-1]) in DETERMINERS:
                kept.pop()
            kept.append(word)
            cut = True
            i += 2
            continue
        kept.append(word)
        i += 1
    # Dangling connectives left by the cuts ("add 2 and 3" -> "add and").
    while kept and ascii_word(kept[-1]) in PREPOSITIONS | DETERMINERS | {"and", "or", "then"}:
        kept.pop()
    # "the" names the object only in a longer phrase ("report the current system time");
    # before a lone last noun ("greet the user") or once a parameter was cut it is grammar.
    lone_noun = len(kept) >= 3 and ascii_word(kept[-2]) == "the"
    drop = ARTICLES | ({"the"} if cut or lone_noun else set())
    names = [ascii_word(w) for w in kept]
    names = [n for n in names if n and n not in drop]
    return _join_selector(names), cut


def _join_selector(names: list[str]) -> str:
    """Join words with underscores, at most MAX_SELECTOR_CHARS, cut at a word boundary."""
    selector = ""
    for name in names:
        candidate = f"{selector}_{name}" if selector else name
        if len(candidate) > MAX_SELECTOR_CHARS:
            break
        selector = candidate
    if selector and selector[0].isdigit():
        selector = "do_" + selector
    if selector and not briefs.is_selector(selector):  # a keyword such as "pass" or "return"
        selector = selector + "_"
        selector = selector.rstrip("_") + "_it" if not briefs.is_selector(selector) else selector
    return selector


def snake_name(text: str) -> str:
    """An explicit name ("greetUser", "greet-user", "Greet User") in snake_case."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    return _join_selector([n for n in (ascii_word(w) for w in re.split(r"[\s_\-.]+", spaced)) if n])


def base_verb(word: str) -> str:
    """A third-person or -ing verb in its base form: reports -> report, calculating -> calculate."""
    lower = word.lower()
    if lower in IRREGULAR_VERBS:
        return IRREGULAR_VERBS[lower]
    if lower.endswith("ing") and len(lower) > 5:
        stem = lower[:-3]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            return stem[:-1]  # running -> run
        if re.search(r"(?:[^aeiou][aeiou][bcdgkmnptvz]|[aeiou]{2}[cgsvz]|[^aeiou][csgvz]|ur[sv]|at|it)$", stem) and not re.search(r"(?:en|er|on|el|et|ain|oot|ook|eat|eet)$", stem):
            return stem + "e"  # calculating -> calculate, writing -> write, using -> use
        return stem
    if lower.endswith("ies") and len(lower) > 4:
        return lower[:-3] + "y"
    if re.search(r"(?:sh|ch|x|ss|zz|o)es$", lower):
        return lower[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(lower) > 3:
        return lower[:-1]
    return lower

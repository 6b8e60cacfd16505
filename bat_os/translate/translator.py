"""The local translator: plain English -> one request, with no model and no kernel.

It is what runs when no model is loaded (and what the kernel's ``translate``
falls back to when ALFRED's answer is not a valid request), so it is a real
parser: a sentence is normalised (whitespace, politeness, contractions), its
quoted strings and numbers are pulled out as arguments
(:mod:`~bat_os.translate.normalise`), and the first rule that recognises the
phrasing builds the request (:data:`~bat_os.translate.rules.RULES`; the
module's docstring has the table of rules and their phrasings). A mission
brief's selector is the action phrase in snake_case
(:mod:`~bat_os.translate.selectors`); the word tables all of them read are
in :mod:`~bat_os.translate.vocabulary`.

This module is the one others import: :func:`translate`, and the names the
console, the kernel and the tests use (:class:`Untranslatable`,
:class:`Translation`, :func:`selector_from`, :func:`snake_name`,
:func:`base_verb`).

Stdlib only: the chat client imports this module.
"""

from __future__ import annotations

import re

from bat_os.translate import briefs
from bat_os.translate.briefs import DEFAULT_TARGET
from bat_os.translate.normalise import SLOT_REF, normalise
from bat_os.translate.rules import PERSONA_ROOTS, RULES, Rule, Translation, Untranslatable
from bat_os.translate.selectors import base_verb, selector_from, snake_name


def translate(sentence: str, *, target: str = DEFAULT_TARGET) -> Translation:
    """The request ``sentence`` asks for; :class:`Untranslatable` when it asks for nothing."""
    if not isinstance(sentence, str):
        raise Untranslatable(f"a sentence must be text, not {type(sentence).__name__}")
    if not any(ch.isalnum() for ch in sentence):
        raise Untranslatable("nothing to translate: the sentence has no words" if sentence.strip() else "nothing to translate: the line is empty")
    s = normalise(sentence)
    if not SLOT_REF.sub("", s.text).strip():
        if s.args:  # only a number or a quoted string
            raise Untranslatable("only a value, no request: say what to do with it (e.g. 'double 21')")
        if re.match(r"(?:hey|hi|hello)\b", s.original, re.IGNORECASE):
            return Translation({"command": "ping"}, "ping")
        raise Untranslatable("nothing to translate: only politeness")
    for rule in RULES:
        found = rule(s, target)
        if found is not None:
            return Translation(briefs.validate(found.request), found.rule, found.notes)
    raise Untranslatable("nothing to translate")  # the imperative rule always answers or raises


__all__ = [
    "PERSONA_ROOTS", "RULES", "Rule", "Translation", "Untranslatable", "base_verb", "selector_from", "snake_name",
    "translate",
]

"""The local translator's word tables: politeness, contractions, the small words of a phrase, verb forms.

Data only. :mod:`~bat_os.translate.normalise` strips :data:`POLITE_HEAD` /
:data:`POLITE_TAIL` and expands :data:`CONTRACTIONS`;
:mod:`~bat_os.translate.selectors` cuts articles, determiners, prepositions and
placeholder nouns out of an action phrase and reads :data:`IRREGULAR_VERBS`;
:mod:`~bat_os.translate.rules` builds its create pattern from
:data:`CREATE_VERBS` and :data:`METHOD_NOUNS`, tells questions and
statements apart by their first word, and leaves a :data:`COMPUTATION` to a
mission rather than a search.

Stdlib only: the chat client imports this module.
"""

from __future__ import annotations

import re

# --- politeness and contractions (normalise) -----------------------------------------------

POLITE_HEAD = re.compile(
    r"^(?:(?:please|pls|kindly|ok(?:ay)?|so|now|hey|hi|hello|well|alright|right)\b[\s,]*"
    r"|(?:bat\s*os|computer|alfred|system)\s*,\s*(?=(?:please\b|can\b|could\b|would\b|will\b|create\b|write\b|make\b))"
    r"|(?:(?:can|could|would|will)\s+you|i\s+(?:want|need|would\s+like|'d\s+like)\s+you\s+to|i\s+want\s+to\s+ask\s+you\s+to)\s+(?:please\s+)?)+",
    re.IGNORECASE,
)
POLITE_TAIL = re.compile(r"(?:[\s,]+(?:please|thanks|thank\s+you|for\s+me|now|right\s+now))+$", re.IGNORECASE)
CONTRACTIONS = {
    "what's": "what is", "who's": "who is", "how's": "how is", "where's": "where is", "when's": "when is",
    "it's": "it is", "that's": "that is", "there's": "there is", "i'm": "i am", "you're": "you are",
    "don't": "do not", "doesn't": "does not", "can't": "cannot", "won't": "will not", "isn't": "is not",
    "let's": "let us", "i'd": "i would", "you'd": "you would",
}

# --- the small words of an action phrase (selectors) ---------------------------------------

ARTICLES = {"a", "an"}
DETERMINERS = {"a", "an", "the", "any", "some", "given", "each", "every", "another", "this", "that", "my", "your"}
PREPOSITIONS = {"of", "for", "with", "from", "to", "by", "on", "in", "into", "between", "at", "about", "as", "than"}
# Nouns that only announce a value: "the number 21", "a name 'Ada'", "of a number".
PLACEHOLDERS = {
    "number", "numbers", "integer", "integers", "int", "float", "value", "values", "string", "strings", "text",
    "word", "words", "name", "names", "list", "item", "items", "amount", "n", "x", "y", "input", "argument",
    "arguments", "parameter", "date", "year", "person", "user", "users", "thing", "things", "message",
}
# base_verb's exceptions: "does" -> "do", "making" -> "make".
IRREGULAR_VERBS = {
    "does": "do", "is": "be", "has": "have", "goes": "go", "says": "say", "using": "use", "going": "go",
    "doing": "do", "being": "be", "having": "have", "making": "make", "taking": "take", "giving": "give",
    "saying": "say", "seeing": "see",
}

# --- the words the rules look for (rules) --------------------------------------------------

CREATE_VERBS = r"(?:create|write|make|build|define|add|implement|generate|design|code|program|produce|give\s+yourself)"
METHOD_NOUNS = r"(?:method|function|routine|procedure|skill|command|ability|behaviou?r|operation|capability)"
QUESTION_WORDS = {
    "what", "why", "who", "whom", "whose", "when", "where", "which", "how", "is", "are", "am", "was", "were",
    "can", "could", "does", "do", "did", "should", "will", "would", "shall", "may", "might", "has", "have",
}
STATEMENT_STARTS = {
    "i", "we", "you", "he", "she", "it", "they", "this", "that", "these", "those", "there", "my", "our",
    "your", "thanks", "thank", "yes", "no", "good", "great", "nice", "cool", "wow", "sorry", "hmm",
}
# What is computed, not searched for: "find the largest number in a list".
COMPUTATION = re.compile(
    r"(?:the\s+|a\s+|an\s+)?(?:largest|smallest|biggest|maximum|max|minimum|min|sum|total|average|mean|median|mode|"
    r"longest|shortest|first|last|count|number\s+of|index|position|product|difference|square|root|factorial|gcd|lcm|"
    r"prime|primes|length|area|distance|day|date|time)\b",
    re.IGNORECASE,
)

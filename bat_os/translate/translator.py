"""The local translator: plain English -> one request, with no model and no kernel.

It is what runs when no model is loaded (and what the kernel's ``translate``
falls back to when ALFRED's answer is not a valid request), so it is a real
parser: a sentence is normalised (whitespace, politeness, contractions), its
quoted strings and numbers are pulled out as arguments, and the first rule
that recognises the phrasing builds the request:

==============  =====================================================  ==========================================
rule            phrasings                                              request
==============  =====================================================  ==========================================
``ping``        "ping", "are you there?", "are you alive?"             ``{"command": "ping"}``
``status``      "status", "what is the status?", "how are you?"        ``{"command": "status"}``
``cycle``       "show cycle c3", "what happened in cycle c3?"          ``{"command": "cycle", "cycle": "c3"}``
``inspect``     "inspect genesis_obj", "show me ROBIN"                 ``{"command": "inspect", "target": ...}``
``ask``         "ask ROBIN how to ...", "ROBIN, ...",                  ``{"command": "ask", "persona": ..., ...}``
                "what does BRICK think about ...?"
``remember``    "remember (that) ...", "note that ...", "memorise ..." ``{"command": "ingest", "text": ...}``
``search``      "search (for) ...", "find ...", "look up ...",         ``{"command": "search", "query": ...}``
                "what do you know about ...?", "tell me about ..."
``create``      "create/write/make/build/define/add/implement          a mission brief
                (me) (a method) to/that/for ...", "teach yourself
                (how) to ...", "learn (how) to ...",
                "teach ROBIN to ...", "a method called NAME ..."
``how_to``      "how do/can/should I ...?", "how to ...?"              ``ask`` BRICK (he breaks problems down)
``question``    any other question (a "?", or a question word first)   ``ask`` ALFRED
``chat``        a statement that starts with I/we/it/this/...          ``ask`` ALFRED
``imperative``  anything else: "greet the user", "double 21"           a mission brief
==============  =====================================================  ==========================================

A mission brief's selector is the action phrase in snake_case: articles
"a"/"an" go, so do the arguments and the words that only announce them
("of a number", "the number 21", "to 'Ada'"); "the" stays in a longer noun
phrase unless such a parameter phrase was cut ("calculate the factorial of a
number" -> ``calculate_factorial``; "greet the user" -> ``greet_user``;
"report the current system time" -> ``report_the_current_system_time``). The whole sentence is kept as
``kwargs.intent`` (up to :data:`~bat_os.translate.briefs.MAX_INTENT_CHARS`) so the
synthesizing persona reads what was asked; the kernel does not pass it to
the method.

Stdlib only: the chat client imports this module.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from bat_os.translate import briefs
from bat_os.translate.briefs import DEFAULT_TARGET, MAX_INTENT_CHARS, MAX_SELECTOR_CHARS, PERSONAS


class Untranslatable(ValueError):
    """A sentence with nothing to act on (empty, only punctuation); the message says what would work."""


@dataclass(frozen=True)
class Translation:
    request: dict  # passes briefs.validate
    rule: str  # which phrasing matched (see the table above)
    notes: tuple[str, ...] = field(default=())


# --- words ----------------------------------------------------------------------------------

PERSONA_ROOTS = {p: f"{p.lower()}_prototype_obj" for p in PERSONAS}

_POLITE_HEAD = re.compile(
    r"^(?:(?:please|pls|kindly|ok(?:ay)?|so|now|hey|hi|hello|well|alright|right)\b[\s,]*"
    r"|(?:bat\s*os|computer|alfred|system)\s*,\s*(?=(?:please\b|can\b|could\b|would\b|will\b|create\b|write\b|make\b))"
    r"|(?:(?:can|could|would|will)\s+you|i\s+(?:want|need|would\s+like|'d\s+like)\s+you\s+to|i\s+want\s+to\s+ask\s+you\s+to)\s+(?:please\s+)?)+",
    re.IGNORECASE,
)
_POLITE_TAIL = re.compile(r"(?:[\s,]+(?:please|thanks|thank\s+you|for\s+me|now|right\s+now))+$", re.IGNORECASE)
_CONTRACTIONS = {
    "what's": "what is", "who's": "who is", "how's": "how is", "where's": "where is", "when's": "when is",
    "it's": "it is", "that's": "that is", "there's": "there is", "i'm": "i am", "you're": "you are",
    "don't": "do not", "doesn't": "does not", "can't": "cannot", "won't": "will not", "isn't": "is not",
    "let's": "let us", "i'd": "i would", "you'd": "you would",
}
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
_SLOT = "\x00"  # marks where a pulled-out argument stood in the working text: "\x00<index>\x01"
_SLOT_REF = re.compile("\x00(\\d+)\x01")

_ARTICLES = {"a", "an"}
_DETERMINERS = {"a", "an", "the", "any", "some", "given", "each", "every", "another", "this", "that", "my", "your"}
_PREPOSITIONS = {"of", "for", "with", "from", "to", "by", "on", "in", "into", "between", "at", "about", "as", "than"}
# Nouns that only announce a value: "the number 21", "a name 'Ada'", "of a number".
_PLACEHOLDERS = {
    "number", "numbers", "integer", "integers", "int", "float", "value", "values", "string", "strings", "text",
    "word", "words", "name", "names", "list", "item", "items", "amount", "n", "x", "y", "input", "argument",
    "arguments", "parameter", "date", "year", "person", "user", "users", "thing", "things", "message",
}
_CREATE_VERBS = r"(?:create|write|make|build|define|add|implement|generate|design|code|program|produce|give\s+yourself)"
_METHOD_NOUNS = r"(?:method|function|routine|procedure|skill|command|ability|behaviou?r|operation|capability)"
_QUESTION_WORDS = {
    "what", "why", "who", "whom", "whose", "when", "where", "which", "how", "is", "are", "am", "was", "were",
    "can", "could", "does", "do", "did", "should", "will", "would", "shall", "may", "might", "has", "have",
}
_STATEMENT_STARTS = {
    "i", "we", "you", "he", "she", "it", "they", "this", "that", "these", "those", "there", "my", "our",
    "your", "thanks", "thank", "yes", "no", "good", "great", "nice", "cool", "wow", "sorry", "hmm",
}


@dataclass
class _Sentence:
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

        return _SLOT_REF.sub(put_back, fragment)

    def args_in(self, fragment: str) -> list[Any]:
        """The arguments whose slots ``fragment`` holds, in order."""
        return [self.args[int(i)] for i in _SLOT_REF.findall(fragment)]


def _normalise(sentence: str) -> _Sentence:
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
        return f" {_SLOT}{len(args) - 1}\x01 "

    text = _ARGUMENT.sub(pull, text)
    question = text.rstrip().endswith("?")
    text = re.sub(r"[\s.!?;:,…]+$", "", text.strip())
    text = _expand_contractions(text)
    for _ in range(3):  # "ok so please can you ..."
        stripped = _POLITE_TAIL.sub("", _POLITE_HEAD.sub("", text)).strip(" ,")
        if stripped == text:
            break
        text = stripped
    text = re.sub(r"\s+", " ", text).strip()
    return _Sentence(original, text, args, question)


def _expand_contractions(text: str) -> str:
    def expand(match: re.Match) -> str:
        word = match.group(0)
        full = _CONTRACTIONS.get(word.lower().replace("’", "'"))
        if full is None:
            return word
        return full if word[0].islower() else full[0].upper() + full[1:]

    return re.sub(r"\b[A-Za-z]+['’][a-z]+\b", expand, text)


def _words(text: str) -> list[str]:
    return text.split()


def _ascii_word(word: str) -> str:
    """A word as lower-case ASCII letters and digits ("créer" -> "creer"; "世界" -> "")."""
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]", "", folded)


# --- selectors -------------------------------------------------------------------------------


def selector_from(phrase: str) -> tuple[str, bool]:
    """(snake_case selector, whether a parameter phrase was cut) for an action phrase.

    ``phrase`` is working text: arguments already replaced by :data:`_SLOT`.
    """
    words = [w for w in re.split(r"[\s,;:/()\[\]{}]+", phrase) if w]
    cut = False
    kept: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        lower = _ascii_word(word)
        if _SLOT in word:
            cut = True
            i += 1
            continue
        # "of a number", "for the given name", "to 'Ada'": the preposition announces an argument.
        if lower in _PREPOSITIONS and kept:
            j = i + 1
            while j < len(words) and _ascii_word(words[j]) in _DETERMINERS:
                j += 1
            rest = words[j:]
            if rest and (_SLOT in rest[0] or (_ascii_word(rest[0]) in _PLACEHOLDERS and (len(rest) == 1 or _SLOT in rest[1] or _ascii_word(rest[1]) in _PREPOSITIONS | {"and", "or"}))):
                # skip the preposition, determiners and the placeholder noun (a following slot is skipped above)
                i = j + (0 if _SLOT in rest[0] else 1)
                cut = True
                continue
        # "the number 21": the noun stays (double_number), its determiners go with the value.
        if lower in _PLACEHOLDERS and i + 1 < len(words) and _SLOT in words[i + 1]:
            while kept and _ascii_word(kept[-1]) in _DETERMINERS:
                kept.pop()
            kept.append(word)
            cut = True
            i += 2
            continue
        kept.append(word)
        i += 1
    # Dangling connectives left by the cuts ("add 2 and 3" -> "add and").
    while kept and _ascii_word(kept[-1]) in _PREPOSITIONS | _DETERMINERS | {"and", "or", "then"}:
        kept.pop()
    # "the" names the object only in a longer phrase ("report the current system time");
    # before a lone last noun ("greet the user") or once a parameter was cut it is grammar.
    lone_noun = len(kept) >= 3 and _ascii_word(kept[-2]) == "the"
    drop = _ARTICLES | ({"the"} if cut or lone_noun else set())
    names = [_ascii_word(w) for w in kept]
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
    return _join_selector([n for n in (_ascii_word(w) for w in re.split(r"[\s_\-.]+", spaced)) if n])


_IRREGULAR = {
    "does": "do", "is": "be", "has": "have", "goes": "go", "says": "say", "using": "use", "going": "go",
    "doing": "do", "being": "be", "having": "have", "making": "make", "taking": "take", "giving": "give",
    "saying": "say", "seeing": "see",
}


def base_verb(word: str) -> str:
    """A third-person or -ing verb in its base form: reports -> report, calculating -> calculate."""
    lower = word.lower()
    if lower in _IRREGULAR:
        return _IRREGULAR[lower]
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


# --- rules ----------------------------------------------------------------------------------


Rule = Callable[[_Sentence, str], "Translation | None"]

_OBJECT_REF = re.compile(r"\b(?P<ref>[a-z][a-z0-9_]*_obj|0x[0-9a-f]{1,16})\b", re.IGNORECASE)
_PERSONA = r"(?P<persona>alfred|brick|robin|babs)"


def _persona_in(word: str) -> str | None:
    upper = _ascii_word(word).upper()
    return upper if upper in PERSONAS else None


def _ping(s: _Sentence, target: str) -> Translation | None:
    if re.fullmatch(r"(?:ping|are you (?:there|alive|awake|up|ok|okay)|(?:is )?anybody (?:there|home)|hello\??|hi)", s.text, re.IGNORECASE):
        return Translation({"command": "ping"}, "ping")
    return None


def _status(s: _Sentence, target: str) -> Translation | None:
    if re.fullmatch(
        r"(?:(?:show|give|tell)(?: me)? )?(?:the |your |system )*status(?: report)?"
        r"|(?:what|how) is (?:the |your |system )*(?:status|state|health)(?: of (?:the )?(?:system|kernel|image|bat ?os))?"
        r"|how are (?:you|things)(?: doing)?|how is (?:the )?(?:system|kernel|image|bat ?os)(?: doing)?"
        r"|(?:system|kernel) (?:status|health)",
        s.text, re.IGNORECASE,
    ):
        return Translation({"command": "status"}, "status")
    return None


def _cycle(s: _Sentence, target: str) -> Translation | None:
    match = re.search(r"\bcycle\s+(?P<id>c\d{1,12})\b|\b(?P<bare>c\d{1,12})\b(?=.*\bcycle\b)", s.text, re.IGNORECASE)
    if match and re.match(r"(?:show|what|how|tell|inspect|describe|status|where|did|has|is|cycle)\b", s.text, re.IGNORECASE):
        return Translation({"command": "cycle", "cycle": (match.group("id") or match.group("bare")).lower()}, "cycle")
    return None


def _inspect(s: _Sentence, target: str) -> Translation | None:
    match = re.fullmatch(
        r"(?:inspect|show(?: me)?|describe|examine|look at|open)\s+(?:the object\s+)?(?P<what>\S+)"
        r"|what (?:does|do)\s+(?P<what2>\S+)\s+(?:understand|know how to do|have|hold|contain)"
        r"|what is (?:in|inside)\s+(?P<what3>\S+)",
        s.text, re.IGNORECASE,
    )
    if re.fullmatch(
        r"what (?:can you do|do you (?:understand|know how to do)|(?:methods|messages|selectors|slots) do you (?:have|understand|know))"
        r"|(?:list|show)(?: me)? your (?:methods|slots|selectors)",
        s.text, re.IGNORECASE,
    ):
        return Translation({"command": "inspect", "target": target}, "inspect")
    if not match:
        return None
    what = match.group("what") or match.group("what2") or match.group("what3")
    ref = _OBJECT_REF.fullmatch(what)
    persona = _persona_in(what)
    if ref:
        return Translation({"command": "inspect", "target": ref.group("ref")}, "inspect")
    if persona and _ascii_word(what) == persona.lower():
        return Translation({"command": "inspect", "target": PERSONA_ROOTS[persona]}, "inspect")
    if what.lower() in ("yourself", "genesis"):
        return Translation({"command": "inspect", "target": target}, "inspect")
    return None


def _ask(s: _Sentence, target: str) -> Translation | None:
    text = s.text
    personas_re = rf"{_PERSONA}(?:\s*(?:,|and|&)\s*(?P<more>(?:(?:alfred|brick|robin|babs)\s*(?:,|and|&)?\s*)+))?"
    patterns = [
        rf"ask\s+{personas_re}\s+(?:to\s+(?=tell|explain|say|describe|help|share))?(?:about\s+(?P<about>.+)|(?P<prompt>.+))",
        rf"{personas_re}\s*[,:]\s*(?P<prompt>.+)",
        rf"what\s+(?:does|would|do)\s+{_PERSONA}\s+(?P<verb>think|say|feel|know|make)\s+(?:of|about)\s+(?P<about>.+)",
        rf"(?:let|have)\s+{_PERSONA}\s+(?P<prompt>(?:answer|explain|say|tell|describe).+)",
    ]
    for pattern in patterns:
        match = re.fullmatch(pattern, text, re.IGNORECASE)
        if not match:
            continue
        names = [match.group("persona").upper()]
        more = match.groupdict().get("more")
        if more:
            names += [n.upper() for n in re.findall(r"alfred|brick|robin|babs", more, re.IGNORECASE)]
        names = list(dict.fromkeys(names))
        groups = match.groupdict()
        if groups.get("about"):
            verb = (groups.get("verb") or "think").lower()
            prompt = f"What do you {verb} about {s.restore(groups['about'])}?"
        else:
            prompt = s.restore(groups["prompt"]).strip()
            asks = re.match(r"(?:how|what|why|when|where|who|which|whether|if|is|are|can|could|should|would|do|does)\b", prompt, re.IGNORECASE)
            if (s.question or asks) and not prompt.endswith("?"):
                prompt += "?"
        request: dict[str, Any] = {"command": "ask", "prompt": prompt[:1].upper() + prompt[1:]}
        if len(names) == 1:
            request["persona"] = names[0]
        else:
            request["personas"] = names
        return Translation(request, "ask")
    unknown = re.fullmatch(r"ask\s+(?P<who>[A-Z][A-Za-z]*)\b.*", text)
    if unknown and unknown.group("who").lower() not in {"the", "a", "an", "for", "about", "me", "yourself", "how", "what", "why"}:
        raise Untranslatable(
            f"{unknown.group('who')} is not a persona; ask one of {', '.join(PERSONAS)} (e.g. 'ask ROBIN how to rest')"
        )
    return None


def _remember(s: _Sentence, target: str) -> Translation | None:
    match = re.fullmatch(
        r"(?:remember|note|memori[sz]e|record|keep in mind|don't forget|do not forget|learn|store|save)"
        r"(?:\s+(?:that|this))?\s*[:,]?\s+(?P<what>.+)",
        s.text, re.IGNORECASE | re.DOTALL,
    )
    if not match:
        return None
    what = match.group("what")
    if re.match(r"(?:to|how|a|an|the)\s", what, re.IGNORECASE) and not re.match(r"(?:remember|note|record|keep in mind|memori[sz]e)\s+(?:that|this)", s.text, re.IGNORECASE):
        if re.match(r"(?:learn|record|store|save|note)\b", s.text, re.IGNORECASE):
            return None  # "learn to ...", "store a value": a method, not a memory
    if re.match(r"learn\b", s.text, re.IGNORECASE) and not re.match(r"learn\s+that\b", s.text, re.IGNORECASE):
        return None
    text = s.restore(what).strip()
    text = text[:1].upper() + text[1:]
    if not text.endswith((".", "!", "?")):
        text += "."
    return Translation({"command": "ingest", "text": text, "metadata": {"source": "architect"}}, "remember")


def _search(s: _Sentence, target: str) -> Translation | None:
    if re.fullmatch(r"(?:search|find|look\s+up|lookup)(?:\s+(?:for|the\s+catalog|memory))?", s.text, re.IGNORECASE):
        raise Untranslatable("search for what? e.g. 'search for the Persistence Covenant'")
    match = re.fullmatch(
        r"(?:search|look\s+up|lookup|find|retrieve|recall)(?:\s+(?:the\s+)?(?:catalog|catalogue|memory|knowledge|codex|notes))?"
        r"(?:\s+(?:for|about|on))?\s+(?P<query>.+)"
        r"|(?:what|anything)\s+(?:do|does|did)\s+(?:you|the\s+(?:catalog|catalogue|codex|memory))\s+(?:know|say|have|remember|hold)\s+(?:about|on|of|regarding)\s+(?P<query2>.+)"
        r"|(?:what\s+do\s+we\s+know|tell\s+me(?:\s+what\s+you\s+know)?|do\s+you\s+know\s+anything)\s+(?:about|on|regarding)\s+(?P<query3>.+)",
        s.text, re.IGNORECASE,
    )
    if not match:
        return None
    query = match.group("query") or match.group("query2") or match.group("query3")
    query = re.sub(r"^the\s+", "", query, flags=re.IGNORECASE) if len(query.split()) > 1 else query
    if match.group("query") and re.match(r"(?:a|an)\s+(?:method|function|way)\b", query, re.IGNORECASE):
        return None  # "find a way to ...": a mission
    if match.group("query") and re.match(r"find\b", s.text, re.IGNORECASE) and _COMPUTATION.match(query):
        return None  # "find the largest number in a list": a computation, not a search
    return Translation({"command": "search", "query": s.restore(query, quote=False).strip()}, "search")


_COMPUTATION = re.compile(
    r"(?:the\s+|a\s+|an\s+)?(?:largest|smallest|biggest|maximum|max|minimum|min|sum|total|average|mean|median|mode|"
    r"longest|shortest|first|last|count|number\s+of|index|position|product|difference|square|root|factorial|gcd|lcm|"
    r"prime|primes|length|area|distance|day|date|time)\b",
    re.IGNORECASE,
)
_CREATE = re.compile(
    rf"(?:(?:{_CREATE_VERBS})(?:\s+(?:me|us))?(?:\s+(?:a|an|the|one|some))?(?:\s+(?:new|small|simple|little|python))*\s+{_METHOD_NOUNS}"
    rf"(?:\s+(?:on|for|in)\s+(?P<on>\S+_obj|0x[0-9a-fA-F]{{1,16}}|alfred|brick|robin|babs)\b)?"
    rf"(?:\s+(?:called|named)\s+(?P<name>\S+))?"
    rf"(?:\s*,?\s+(?P<link>to|that|which|for|so\s+(?:that\s+)?(?:it|you)\s+can|so\s+you\s+can|which\s+can|that\s+can|able\s+to))?"
    rf"|teach\s+(?P<who>yourself|{_PERSONA}|\S+_obj)(?:\s+(?:how\s+)?to|\s+(?P<link2>how))"
    rf"|learn(?:\s+how)?\s+to"
    rf"|(?:i\s+)?(?:want|need|would\s+like)\s+(?:you\s+)?(?:a|an)\s+{_METHOD_NOUNS}\s+(?P<link3>to|that|which|for)"
    rf")\s*(?P<action>.*)",
    re.IGNORECASE,
)


def _create(s: _Sentence, target: str) -> Translation | None:
    match = _CREATE.fullmatch(s.text)
    if not match:
        return None
    notes: list[str] = []
    on = match.group("on") or match.group("who")
    if on:
        target = _target_from(on, target)
    action = match.group("action").strip()
    link = (match.group("link") or match.group("link3") or "").lower()
    if match.group("name"):
        name = s.restore(match.group("name"), quote=False)
        selector = snake_name(name)
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]*", name) or not briefs.is_selector(selector):
            raise Untranslatable(f"{name!r} cannot be a method name: start with a letter, then letters, digits and underscores")
        return _mission(s, selector, s.args_in(action), target, "create", notes)
    if not action:
        raise Untranslatable("what should the method do? e.g. 'create a method to greet a user'")
    action, target = _strip_target(action, target)
    if link in ("that", "which") or link.startswith(("so", "which", "that")):
        action = re.sub(r"^(?:can|will|should|would|could)\s+", "", action, flags=re.IGNORECASE)
        first, _, rest = action.partition(" ")
        action = f"{base_verb(first)} {rest}".strip()
    elif link == "for":
        first, _, rest = action.partition(" ")
        if first.lower().endswith("ing"):
            action = f"{base_verb(first)} {rest}".strip()
        else:  # "a method for the Fibonacci sequence": named after the thing
            action = re.sub(r"^(?:the|a|an)\s+", "", action, flags=re.IGNORECASE)
    return _mission_from_action(s, action, target, "create", notes)


def _target_from(word: str, default: str) -> str:
    persona = _persona_in(word)
    if persona and _ascii_word(word) == persona.lower():
        return PERSONA_ROOTS[persona]
    ref = _OBJECT_REF.fullmatch(word.strip(",."))
    if ref:
        return ref.group("ref")
    return default


def _strip_target(action: str, target: str) -> tuple[str, str]:
    """ "... on genesis_obj" / "... for ROBIN" at the end: the target, not part of the action."""
    match = re.search(rf"\s+(?:on|for|to|in)\s+(?P<ref>\S+_obj|0x[0-9a-fA-F]{{1,16}}|{_PERSONA})$", action, re.IGNORECASE)
    if match:
        return action[: match.start()], _target_from(match.group("ref"), target)
    return action, target


def _mission_from_action(s: _Sentence, action: str, target: str, rule: str, notes: list[str]) -> Translation:
    selector, _cut = selector_from(action)
    if not selector:
        raise Untranslatable(
            "no method name can be made from that (it needs some words in Latin letters); "
            "name it: 'create a method called NAME to ...', or use /send"
        )
    return _mission(s, selector, s.args_in(action), target, rule, notes)


def _mission(s: _Sentence, selector: str, args: list, target: str, rule: str, notes: list[str]) -> Translation:
    intent = s.original
    if len(intent) > MAX_INTENT_CHARS:
        intent = intent[: MAX_INTENT_CHARS - 1] + "…"
        notes.append(f"the sentence is {len(s.original)} characters; kwargs.intent keeps the first {MAX_INTENT_CHARS}")
    request = briefs.mission(selector, args, {"intent": intent}, target)
    return Translation(briefs.validate(request), rule, tuple(notes))


def _how_to(s: _Sentence, target: str) -> Translation | None:
    if re.match(r"how\s+(?:do|can|should|would|could|might|shall)\s+(?:i|we|one|you)\b|how\s+to\b", s.text, re.IGNORECASE):
        return Translation({"command": "ask", "persona": "BRICK", "prompt": _as_question(s)}, "how_to")
    return None


def _question(s: _Sentence, target: str) -> Translation | None:
    first = _ascii_word(_words(s.text)[0]) if s.text else ""
    if s.question or first in _QUESTION_WORDS:
        return Translation({"command": "ask", "persona": "ALFRED", "prompt": _as_question(s)}, "question")
    return None


def _chat(s: _Sentence, target: str) -> Translation | None:
    words = _words(s.text)
    first = _ascii_word(words[0]) if words else ""
    if first in _STATEMENT_STARTS or not any(_ascii_word(w) for w in words if _SLOT not in w):
        prompt = s.original.strip()
        return Translation({"command": "ask", "persona": "ALFRED", "prompt": prompt}, "chat")
    return None


def _imperative(s: _Sentence, target: str) -> Translation | None:
    action, target = _strip_target(s.text, target)
    return _mission_from_action(s, action, target, "imperative", [])


def _as_question(s: _Sentence) -> str:
    prompt = s.restore(s.text).strip()
    prompt = prompt[:1].upper() + prompt[1:]
    return prompt if prompt.endswith("?") else prompt + "?"


RULES: tuple[Rule, ...] = (_ping, _status, _cycle, _inspect, _ask, _create, _remember, _search, _how_to, _question, _chat, _imperative)


def translate(sentence: str, *, target: str = DEFAULT_TARGET) -> Translation:
    """The request ``sentence`` asks for; :class:`Untranslatable` when it asks for nothing."""
    if not isinstance(sentence, str):
        raise Untranslatable(f"a sentence must be text, not {type(sentence).__name__}")
    if not any(ch.isalnum() for ch in sentence):
        raise Untranslatable("nothing to translate: the sentence has no words" if sentence.strip() else "nothing to translate: the line is empty")
    s = _normalise(sentence)
    if not _SLOT_REF.sub("", s.text).strip():
        if s.args:  # only a number or a quoted string
            raise Untranslatable("only a value, no request: say what to do with it (e.g. 'double 21')")
        if re.match(r"(?:hey|hi|hello)\b", s.original, re.IGNORECASE):
            return Translation({"command": "ping"}, "ping")
        raise Untranslatable("nothing to translate: only politeness")
    for rule in RULES:
        found = rule(s, target)
        if found is not None:
            return Translation(briefs.validate(found.request), found.rule, found.notes)
    raise Untranslatable("nothing to translate")  # _imperative always answers or raises


__all__ = ["RULES", "Translation", "Untranslatable", "base_verb", "selector_from", "snake_name", "translate"]

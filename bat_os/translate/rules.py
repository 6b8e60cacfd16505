"""The local translator's rules: each recognises one kind of phrasing and builds its request.

:func:`~bat_os.translate.translator.translate` tries :data:`RULES` in order on
a normalised sentence (:mod:`~bat_os.translate.normalise`); the first rule
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

A mission brief's selector comes from the action phrase
(:func:`~bat_os.translate.selectors.selector_from`) or from the name given
("a method called NAME"). The whole sentence is kept as ``kwargs.intent``
(up to :data:`~bat_os.translate.briefs.MAX_INTENT_CHARS`) so the
synthesizing persona reads what was asked; the kernel does not pass it to
the method.

Stdlib only: the chat client imports this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from bat_os.translate import briefs
from bat_os.translate.examples import fits, sentence_examples
from bat_os.translate.briefs import MAX_INTENT_CHARS, PERSONAS
from bat_os.translate.normalise import SLOT, Normalised, ascii_word
from bat_os.translate.selectors import base_verb, selector_from, snake_name
from bat_os.translate.vocabulary import COMPUTATION, CREATE_VERBS, METHOD_NOUNS, QUESTION_WORDS, STATEMENT_STARTS


class Untranslatable(ValueError):
    """A sentence with nothing to act on (empty, only punctuation); the message says what would work."""


@dataclass(frozen=True)
class Translation:
    request: dict  # passes briefs.validate
    rule: str  # which phrasing matched (see the table above)
    notes: tuple[str, ...] = field(default=())


PERSONA_ROOTS = {p: f"{p.lower()}_prototype_obj" for p in PERSONAS}


Rule = Callable[[Normalised, str], "Translation | None"]

_OBJECT_REF = re.compile(r"\b(?P<ref>[a-z][a-z0-9_]*_obj|0x[0-9a-f]{1,16})\b", re.IGNORECASE)
_PERSONA = r"(?P<persona>alfred|brick|robin|babs)"


def _persona_in(word: str) -> str | None:
    upper = ascii_word(word).upper()
    return upper if upper in PERSONAS else None


def _ping(s: Normalised, target: str) -> Translation | None:
    if re.fullmatch(r"(?:ping|are you (?:there|alive|awake|up|ok|okay)|(?:is )?anybody (?:there|home)|hello\??|hi)", s.text, re.IGNORECASE):
        return Translation({"command": "ping"}, "ping")
    return None


def _status(s: Normalised, target: str) -> Translation | None:
    if re.fullmatch(
        r"(?:(?:show|give|tell)(?: me)? )?(?:the |your |system )*status(?: report)?"
        r"|(?:what|how) is (?:the |your |system )*(?:status|state|health)(?: of (?:the )?(?:system|kernel|image|bat ?os))?"
        r"|how are (?:you|things)(?: doing)?|how is (?:the )?(?:system|kernel|image|bat ?os)(?: doing)?"
        r"|(?:system|kernel) (?:status|health)",
        s.text, re.IGNORECASE,
    ):
        return Translation({"command": "status"}, "status")
    return None


def _cycle(s: Normalised, target: str) -> Translation | None:
    match = re.search(r"\bcycle\s+(?P<id>c\d{1,12})\b|\b(?P<bare>c\d{1,12})\b(?=.*\bcycle\b)", s.text, re.IGNORECASE)
    if match and re.match(r"(?:show|what|how|tell|inspect|describe|status|where|did|has|is|cycle)\b", s.text, re.IGNORECASE):
        return Translation({"command": "cycle", "cycle": (match.group("id") or match.group("bare")).lower()}, "cycle")
    return None


def _inspect(s: Normalised, target: str) -> Translation | None:
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
    if persona and ascii_word(what) == persona.lower():
        return Translation({"command": "inspect", "target": PERSONA_ROOTS[persona]}, "inspect")
    if what.lower() in ("yourself", "genesis"):
        return Translation({"command": "inspect", "target": target}, "inspect")
    return None


def _ask(s: Normalised, target: str) -> Translation | None:
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


def _remember(s: Normalised, target: str) -> Translation | None:
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


def _search(s: Normalised, target: str) -> Translation | None:
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
    if match.group("query") and re.match(r"find\b", s.text, re.IGNORECASE) and COMPUTATION.match(query):
        return None  # "find the largest number in a list": a computation, not a search
    return Translation({"command": "search", "query": s.restore(query, quote=False).strip()}, "search")


_CREATE = re.compile(
    rf"(?:(?:{CREATE_VERBS})(?:\s+(?:me|us))?(?:\s+(?:a|an|the|one|some))?(?:\s+(?:new|small|simple|little|python))*\s+{METHOD_NOUNS}"
    rf"(?:\s+(?:on|for|in)\s+(?P<on>\S+_obj|0x[0-9a-fA-F]{{1,16}}|alfred|brick|robin|babs)\b)?"
    rf"(?:\s+(?:called|named)\s+(?P<name>\S+))?"
    rf"(?:\s*,?\s+(?P<link>to|that|which|for|so\s+(?:that\s+)?(?:it|you)\s+can|so\s+you\s+can|which\s+can|that\s+can|able\s+to))?"
    rf"|teach\s+(?P<who>yourself|{_PERSONA}|\S+_obj)(?:\s+(?:how\s+)?to|\s+(?P<link2>how))"
    rf"|learn(?:\s+how)?\s+to"
    rf"|(?:i\s+)?(?:want|need|would\s+like)\s+(?:you\s+)?(?:a|an)\s+{METHOD_NOUNS}\s+(?P<link3>to|that|which|for)"
    rf")\s*(?P<action>.*)",
    re.IGNORECASE,
)


def _create(s: Normalised, target: str) -> Translation | None:
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
    if persona and ascii_word(word) == persona.lower():
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


#: Where the examples of a sentence start: what follows is not the action (nor its arguments).
_EXAMPLES_START = re.compile(r"[,;:]?\s*\b(?:e\.?\s?g\b\.?|for example|for instance|so that|such that)", re.IGNORECASE)


def _mission_from_action(s: Normalised, action: str, target: str, rule: str, notes: list[str]) -> Translation:
    action = _EXAMPLES_START.split(action, maxsplit=1)[0].strip() or action
    selector, _cut = selector_from(action)
    if not selector:
        raise Untranslatable(
            "no method name can be made from that (it needs some words in Latin letters); "
            "name it: 'create a method called NAME to ...', or use /send"
        )
    return _mission(s, selector, s.args_in(action), target, rule, notes)


def _mission(s: Normalised, selector: str, args: list, target: str, rule: str, notes: list[str]) -> Translation:
    intent = s.original
    if len(intent) > MAX_INTENT_CHARS:
        intent = intent[: MAX_INTENT_CHARS - 1] + "…"
        notes.append(f"the sentence is {len(s.original)} characters; kwargs.intent keeps the first {MAX_INTENT_CHARS}")
    examples = sentence_examples(s.original, selector)  # "e.g. add(2, 3) is 5": shown in the brief, checked by the kernel
    if examples and not args:  # the sentence gives no arguments but its example does: the method takes them
        args = list(examples[0]["args"])
        notes.append("called with the first example's arguments")
    examples = fits(examples, args, {})  # "e.g. 'ab' gives 2" is no example of a call with two arguments
    request = briefs.mission(selector, args, {"intent": intent}, target)
    if examples:
        request["mission_brief"]["examples"] = examples
    return Translation(briefs.validate(request), rule, tuple(notes))


def _how_to(s: Normalised, target: str) -> Translation | None:
    if re.match(r"how\s+(?:do|can|should|would|could|might|shall)\s+(?:i|we|one|you)\b|how\s+to\b", s.text, re.IGNORECASE):
        return Translation({"command": "ask", "persona": "BRICK", "prompt": _as_question(s)}, "how_to")
    return None


def _question(s: Normalised, target: str) -> Translation | None:
    first = ascii_word(s.text.split()[0]) if s.text else ""
    if s.question or first in QUESTION_WORDS:
        return Translation({"command": "ask", "persona": "ALFRED", "prompt": _as_question(s)}, "question")
    return None


def _chat(s: Normalised, target: str) -> Translation | None:
    words = s.text.split()
    first = ascii_word(words[0]) if words else ""
    if first in STATEMENT_STARTS or not any(ascii_word(w) for w in words if SLOT not in w):
        prompt = s.original.strip()
        return Translation({"command": "ask", "persona": "ALFRED", "prompt": prompt}, "chat")
    return None


def _imperative(s: Normalised, target: str) -> Translation | None:
    action, target = _strip_target(s.text, target)
    return _mission_from_action(s, action, target, "imperative", [])


def _as_question(s: Normalised) -> str:
    prompt = s.restore(s.text).strip()
    prompt = prompt[:1].upper() + prompt[1:]
    return prompt if prompt.endswith("?") else prompt + "?"


RULES: tuple[Rule, ...] = (_ping, _status, _cycle, _inspect, _ask, _create, _remember, _search, _how_to, _question, _chat, _imperative)

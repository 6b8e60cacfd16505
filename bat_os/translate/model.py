"""Plain English -> one request by ALFRED's model: the prompt, and what is accepted of its answer.

The ``translate`` command (:mod:`bat_os.kernel.commands.translate`) asks
ALFRED's model with :func:`translation_prompt` and keeps what :func:`accept`
accepts; the local translator (:mod:`bat_os.translate.translator`) answers
when the model cannot.
"""

from __future__ import annotations

import json
import logging
from typing import Callable

from bat_os.translate import briefs
from bat_os.translate.briefs import BriefError

logger = logging.getLogger(__name__)

PERSONA = "ALFRED"  # whose model translates
MODEL_ATTEMPTS = 2  # the first answer, and one more after a refusal
REPLY_EXCERPT_CHARS = 500  # of a refused answer, kept in "attempts" and shown in the second prompt
SCAN_CHARS = 100_000  # of a reply searched for a JSON object
SCAN_STARTS = 1_000  # "{" tried as the start of one

#: The translation prompt's first line: cassettes and recordings can match it.
MARKER = "Translate the Architect's sentence into one BAT OS request."

#: The instructions at the top of every translation prompt; ``{target}`` is the request's target.
RULES = (
    MARKER,
    "Answer with one JSON object and nothing else.",
    "Commands: initiate_cognitive_cycle (an object learns a new method and runs it), ask (a persona answers),"
    " search (the knowledge catalog), ingest (remember a text), status, ping, inspect (an object), cycle (a cycle's record).",
    "Something to do or compute is a mission brief: its selector is a snake_case name made from the action phrase"
    " (at most 64 characters), args hold the values the method needs, and kwargs.intent is the whole sentence.",
    "A mission brief goes to target_oid {target} unless the sentence names another object.",
    "Personas who answer: ALFRED, BRICK, ROBIN, BABS.",
)


def _mission(sentence: str, selector: str, args: list) -> tuple[str, dict]:
    return sentence, briefs.mission(selector, args, {"intent": sentence})


#: Few-shot examples, (sentence, request); mission briefs are shown with the request's target.
#: (Phrased unlike the seed's sentences, so that a client's own tests rarely type one of them.)
EXAMPLES: tuple[tuple[str, dict], ...] = (
    _mission("I need a method that reports the current system time", "report_the_current_system_time", []),
    _mission("calculate the factorial of 12", "calculate_factorial", [12]),
    _mission("teach yourself to count the vowels in 'hello brave world'", "count_the_vowels", ["hello brave world"]),
    ("what do you know about ZODB transactions?", {"command": "search", "query": "ZODB transactions"}),
    ("ROBIN, how should I begin a hard day?", {"command": "ask", "persona": "ROBIN", "prompt": "How should I begin a hard day?"}),
    ("how is the system doing?", {"command": "status"}),
    ("remember that the Architect prefers tea to coffee",
     {"command": "ingest", "text": "The Architect prefers tea to coffee.", "metadata": {"source": "architect"}}),
    ("show me genesis_obj", {"command": "inspect", "target": "genesis_obj"}),
    ("what happened in cycle c3?", {"command": "cycle", "cycle": "c3"}),
)


def translation_prompt(text: str, target: str = briefs.DEFAULT_TARGET, refused: dict | None = None) -> str:
    """ALFRED's prompt: :data:`RULES`, :data:`EXAMPLES`, then ``Sentence: <text>`` and ``JSON:``.

    The examples are shown as ``Example: <sentence>`` / ``JSON: {...}``, so
    ``Sentence: `` occurs once, before the sentence to translate: a cassette
    line's ``contains`` of ``Sentence: <text>`` matches this sentence only.

    ``refused`` (``{"error", "reply"}``, the last refused answer) adds, before
    ``JSON:``, the lines ``Your answer was: ...``, ``Your answer was refused:
    <error>`` and ``Answer again with one JSON object only.``
    """
    lines = [rule.format(target=target) for rule in RULES]
    lines.append("")
    for sentence, request in EXAMPLES:
        if request["command"] == "initiate_cognitive_cycle":
            request = {**request, "target_oid": target}
        lines += [f"Example: {sentence}", f"JSON: {json.dumps(request)}", ""]
    lines.append(f"Sentence: {text.strip()}")
    if refused is not None:
        lines += [
            f"Your answer was: {' '.join(refused['reply'].split())}",
            f"Your answer was refused: {refused['error']}",
            "Answer again with one JSON object only.",
        ]
    lines.append("JSON:")
    return "\n".join(lines)


def extract_json_object(text: str) -> dict | None:
    """The first JSON object in a model's reply (fences and prose around it are fine), or None."""
    decoder = json.JSONDecoder()
    text = text[:SCAN_CHARS]
    starts = (i for i, ch in enumerate(text) if ch == "{")
    for _, start in zip(range(SCAN_STARTS), starts):
        try:
            value, _end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    return None


def accept(reply: str, sentence: str, learner: Callable[[str], str | None]) -> tuple[dict, list[str]]:
    """The validated request in a model's reply, and notes on what was added; else :class:`BriefError`.

    ``learner(target_oid)`` says why a mission brief's target cannot learn a
    method (None: it can).
    """
    candidate = extract_json_object(reply)
    if candidate is None:
        raise BriefError("the answer holds no JSON object")
    request = briefs.validate(candidate)
    notes: list[str] = []
    if request["command"] == "initiate_cognitive_cycle":
        problem = learner(request["target_oid"])
        if problem is not None:
            raise BriefError(f"'target_oid': {problem}")
        kwargs = request["mission_brief"]["kwargs"]
        said = " ".join(sentence.split())[: briefs.MAX_INTENT_CHARS]
        if "intent" not in kwargs:
            notes.append("the model gave no kwargs.intent; the sentence was added")
        elif kwargs["intent"] != said:  # small models copy an example's sentence: the Architect's words are the intent
            notes.append("the model's kwargs.intent was not the sentence; the sentence replaced it")
        kwargs["intent"] = said
    return request, notes

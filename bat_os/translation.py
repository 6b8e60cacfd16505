"""Plain English -> one request: ALFRED's model first, the local translator when it cannot.

Command added here::

    {"command": "translate", "text": "create a method to report the current system time",
     "target": "genesis_obj", "local": false}                      # target and local optional
        -> {"request": {...}, "source": "model" | "local", "model": "replay:c.jsonl" | null,
            "rule": null | "create", "notes": [...], "attempts": [{"error", "reply"}, ...],
            "fallback": null | "why the local translator answered"}

The answer is a request for the client to send (see :mod:`bat_os.briefs` for
its schema); nothing is run and nothing in the image changes.

1. **The model** (skipped with ``"local": true``, with ``translator = "local"``
   in the configuration, or when the kernel runs no persona models): ALFRED
   gets :func:`translation_prompt` with its codex ``system_prompt``. The first
   JSON object in its reply must pass :func:`bat_os.briefs.validate`, and a
   mission brief's ``target_oid`` must name an object in the image. A mission
   brief without ``kwargs.intent`` gets the sentence. A refused answer is asked
   once more, with the refusal in the prompt (:data:`MODEL_ATTEMPTS` in all).
2. **The local translator** (:func:`bat_os.translator.translate`, no model)
   answers when the model was skipped, failed (any ``LLMError``) or was refused
   every time; ``fallback`` says which. A sentence it cannot act on is
   ``bad_request``.

A model's bad output never makes an error reply: only bad input does
(``bad_request``: ``text`` missing, empty or too long, or untranslatable;
``not_found``: the target). With ``"events": true`` come
``{"type": "translation", "stage": "model" | "local", "attempt": n}`` as each
stage and attempt starts, and ALFRED's tokens as
``{"type": "token", "persona": "ALFRED", "text"}``.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from . import briefs, translator
from .briefs import BriefError
from .commands import Call, Command, Context, Deferred, _field, register
from .errors import BadRequest, LLMError, NotFound
from .objects import UvmObject
from .primordial import PERSONAS

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
        if "intent" not in kwargs:
            kwargs["intent"] = " ".join(sentence.split())[: briefs.MAX_INTENT_CHARS]
            notes.append("the model gave no kwargs.intent; the sentence was added")
    return request, notes


def _learner_problem(image: Any, target: str) -> str | None:
    try:
        obj = image.resolve(target)
    except NotFound:
        return f"no object named {target}"
    return None if isinstance(obj, UvmObject) else f"{target} is a {type(obj).__name__}, which cannot learn methods"


def _system_prompt(root: Any) -> str:
    persona = root.get(PERSONAS[PERSONA]["root"])
    codex = persona.slots.get("codex") if isinstance(persona, UvmObject) else None
    return str(codex.get("system_prompt", "")) if codex is not None else ""


def _skip_model(ctx: Context, request: dict, backend: Any) -> str | None:
    """Why stage 1 is skipped, or None."""
    if _field(request, "local", bool, default=False):
        return "the request asked for the local translator"
    if getattr(ctx.cognition, "translator", "model") == "local":
        return 'the kernel is configured with translator = "local"'
    if backend is None:
        return "this kernel runs no persona models"
    return None


def translate(ctx: Context, request: dict) -> Any:
    """``{"command": "translate", "text": S, "target"?: T, "local"?: false}`` -> the request S asks for."""
    text = _field(request, "text", str)
    if not text.strip():
        raise BadRequest("'text' must not be empty")
    if len(text) > briefs.MAX_TEXT_CHARS:
        raise BadRequest(f"'text' is {len(text)} characters; at most {briefs.MAX_TEXT_CHARS}")
    target = _field(request, "target", str, default=briefs.DEFAULT_TARGET)
    if not isinstance(ctx.image.resolve(target), UvmObject):  # NotFound when there is none
        raise BadRequest(f"{target!r} is not an object that can learn methods")
    backend = getattr(ctx.cognition, "backend", None)
    skipped = _skip_model(ctx, request, backend)
    system = _system_prompt(ctx.image.connection.root()) if skipped is None else ""
    image = ctx.image

    async def run(call: Call) -> dict:
        emit = call.on_event or (lambda event: None)

        def token(piece: str) -> None:
            emit({"type": "token", "persona": PERSONA, "text": piece})

        attempts: list[dict] = []
        fallback = skipped
        while fallback is None and len(attempts) < MODEL_ATTEMPTS:
            emit({"type": "translation", "stage": "model", "attempt": len(attempts) + 1})
            prompt = translation_prompt(text, target, attempts[-1] if attempts else None)
            try:
                completion = await backend.complete(PERSONA, prompt, system=system, on_token=token)
            except LLMError as exc:
                fallback = f"{getattr(exc, 'code', 'llm_error')}: {exc}"
                logger.warning("translate: %s's model failed: %s", PERSONA, fallback)
                break
            try:  # image.read: on the event-loop thread, between awaits, like every ZODB access
                found, notes = accept(completion.text, text, lambda t: image.read(lambda: _learner_problem(image, t)))
            except BriefError as exc:
                logger.info("translate: %s's answer %d was refused: %s", PERSONA, len(attempts) + 1, exc)
                attempts.append({"error": str(exc), "reply": completion.text[:REPLY_EXCERPT_CHARS]})
                continue
            return _reply(found, "model", completion.model, None, notes, attempts, None)
        if fallback is None:
            fallback = f"{PERSONA}'s answer was refused {len(attempts)} times; last: {attempts[-1]['error']}"
        logger.info("translate: the local translator answers (%s)", fallback)
        emit({"type": "translation", "stage": "local", "attempt": 1})
        try:
            local = translator.translate(text, target=target)
        except translator.Untranslatable as exc:
            raise BadRequest(str(exc)) from exc
        return _reply(local.request, "local", None, local.rule, list(local.notes), attempts, fallback)

    raise Deferred(run)


def _reply(
    request: dict, source: str, model: str | None, rule: str | None, notes: list[str], attempts: list[dict], fallback: str | None,
) -> dict:
    return {
        "request": request, "source": source, "model": model, "rule": rule,
        "notes": notes, "attempts": attempts, "fallback": fallback,
    }


register(Command("translate", translate, writes=False))

__all__ = ["EXAMPLES", "MARKER", "RULES", "accept", "extract_json_object", "translate", "translation_prompt"]

"""``translate``: plain English -> one request, by ALFRED's model first, the local translator when it cannot.

::

    {"command": "translate", "text": "create a method to report the current system time",
     "target": "genesis_obj", "local": false}                      # target and local optional
        -> {"request": {...}, "source": "model" | "local", "model": "replay:c.jsonl" | null,
            "rule": null | "create", "notes": [...], "attempts": [{"error", "reply"}, ...],
            "fallback": null | "why the local translator answered"}

The answer is a request for the client to send (see :mod:`bat_os.translate.briefs` for
its schema); nothing is run and nothing in the image changes.

1. **The model** (skipped with ``"local": true``, with ``translator = "local"``
   in the configuration, or when the kernel runs no persona models): ALFRED
   gets :func:`translation_prompt` with its codex ``system_prompt``. The first
   JSON object in its reply must pass :func:`bat_os.translate.briefs.validate`, and a
   mission brief's ``target_oid`` must name an object in the image. A mission
   brief's ``kwargs.intent`` is always the sentence (added, or replacing the
   model's: small models copy an example's). A refused answer is asked
   once more, with the refusal in the prompt (:data:`MODEL_ATTEMPTS` in all).
2. **The local translator** (:func:`bat_os.translate.translator.translate`, no model)
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

import logging
from typing import Any

from bat_os.errors import BadRequest, LLMError, NotFound
from bat_os.image.objects import UvmObject
from bat_os.image.primordial import PERSONAS
from bat_os.kernel.commands.base import Call, Command, Context, Later, field
from bat_os.translate import briefs, translator
from bat_os.translate.briefs import BriefError
from bat_os.translate.model import MODEL_ATTEMPTS, PERSONA, REPLY_EXCERPT_CHARS, accept, translation_prompt

logger = logging.getLogger(__name__)


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
    if field(request, "local", bool, default=False):
        return "the request asked for the local translator"
    if ctx.cognition is not None and ctx.cognition.translator == "local":
        return 'the kernel is configured with translator = "local"'
    if backend is None:
        return "this kernel runs no persona models"
    return None


def translate(ctx: Context, request: dict) -> Any:
    """``{"command": "translate", "text": S, "target"?: T, "local"?: false}`` -> the request S asks for."""
    text = field(request, "text", str)
    if not text.strip():
        raise BadRequest("'text' must not be empty")
    if len(text) > briefs.MAX_TEXT_CHARS:
        raise BadRequest(f"'text' is {len(text)} characters; at most {briefs.MAX_TEXT_CHARS}")
    target = field(request, "target", str, default=briefs.DEFAULT_TARGET)
    if not isinstance(ctx.image.resolve(target), UvmObject):  # NotFound when there is none
        raise BadRequest(f"{target!r} is not an object that can learn methods")
    backend = ctx.cognition.backend if ctx.cognition is not None else None
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
                fallback = f"{exc.code}: {exc}"
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

    return Later(run)


def _reply(
    request: dict, source: str, model: str | None, rule: str | None, notes: list[str], attempts: list[dict], fallback: str | None,
) -> dict:
    return {
        "request": request, "source": source, "model": model, "rule": rule,
        "notes": notes, "attempts": attempts, "fallback": fallback,
    }


COMMANDS = (Command("translate", translate, writes=False),)


"""``ask``: a persona answers, with its own model (or several in turn: a Socratic Contrapunto).

::

    {"command": "ask", "persona": "ROBIN", "prompt": "...", "conversation"?: "c1"}
        -> {"persona", "model", "text", "seconds", "episode", "conversation"?, "turn"?}
    {"command": "ask", "personas": ["ROBIN", "BRICK"], "prompt": "...", "conversation"?: "c1"}
        -> {"persona", "model", "text", "answers": [{"persona", "model", "text", "seconds"}, ...], "episode", ...}
    errors: "bad_request", "no_model", "model_unavailable", "model_too_large", "llm_error" (with "persona")

In a Contrapunto each later persona answers after reading the earlier answers
and is told to build on them. With ``"events": true`` each token comes as an
event ``{"type": "token", "persona", "text"}``.

Every answered exchange is remembered: after the last answer it is indexed in
the knowledge catalog as an episode document (``"episode"`` in the reply: its
doc id), in a transaction of its own that commits before the reply goes out,
so it can be searched (``{"filter": {"kind": "episode"}}``) and forgotten like
any document. A failed ask remembers nothing. The document's shape is in
:mod:`bat_os.memory.conversations`.

With ``"conversation"`` (1 to 100 characters of ``[A-Za-z0-9_.:-]``) the
exchange is a turn of that conversation: its last turns still in the catalog
(at most 6 exchanges and 4000 characters, the oldest dropped first) go before
the prompt as ``"Earlier in this conversation:\\n[you] ...\\n[ROBIN] ...\\n\\n<prompt>"``,
and the reply says the new ``"turn"`` (one past the highest left). Without it
the model is sent the prompt exactly as given.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from bat_os.errors import BadRequest, Internal, LLMError
from bat_os.kernel.commands.base import Call, Command, Context, Later, field
from bat_os.memory.conversations import check_conversation, context_prompt, remember, turns
from bat_os.memory.service import catalog_of
from bat_os.models.personas import canonical_persona, codex_of

MAX_PROMPT_CHARS = 100_000
CONTRAPUNTO_RULE = (
    "Build on the earlier answers: keep what is right in them, correct what is wrong, add what they miss."
    " Do not repeat them."
)
clock: Callable[[], float] = time.time  # an episode's ingested_at (and the hash in its doc id)


def contrapunto_prompt(prompt: str, earlier: list[dict]) -> str:
    if not earlier:
        return prompt
    lines = [prompt, "", "Earlier answers:"]
    for answer in earlier:
        lines.append(f"[{answer['persona']}] {answer['text'].strip()}")
    lines += ["", CONTRAPUNTO_RULE]
    return "\n".join(lines)


def ask(ctx: Context, request: dict) -> Later:
    """``{"command": "ask", "persona": P, "prompt": S}`` or ``"personas": [P, ...]`` (a Contrapunto)."""
    prompt = field(request, "prompt", str)
    if not prompt.strip():
        raise BadRequest("'prompt' must not be empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise BadRequest(f"'prompt' is longer than {MAX_PROMPT_CHARS} characters")
    if "personas" in request:
        names = field(request, "personas", list)
        if not 1 <= len(names) <= 8:
            raise BadRequest("'personas' must list 1 to 8 personas")
        personas = [canonical_persona(p) for p in names]
    else:
        personas = [canonical_persona(field(request, "persona", str))]
    conversation = check_conversation(request["conversation"]) if "conversation" in request else ""
    backend = ctx.cognition.backend if ctx.cognition is not None else None
    if backend is None:
        raise Internal("this process runs no persona models")
    systems = {p: str(codex_of(ctx.image.connection.root(), p).get("system_prompt", "")) for p in personas}
    contrapunto = "personas" in request
    asked = context_prompt(prompt, turns(catalog_of(ctx.image), conversation)) if conversation else prompt
    image = ctx.image

    async def run(call: Call) -> dict:
        answers: list[dict] = []
        for persona in personas:
            def token(text: str, persona: str = persona) -> None:
                if call.on_event is not None:
                    call.on_event({"type": "token", "persona": persona, "text": text})

            try:
                completion = await backend.complete(persona, contrapunto_prompt(asked, answers), system=systems[persona], on_token=token)
            except LLMError as exc:  # answered with its own code (no_model, model_unavailable, ...) and the persona
                exc.details.setdefault("persona", persona)
                raise
            answers.append({"persona": persona, "model": completion.model, "text": completion.text, "seconds": round(completion.seconds, 3)})
        now = clock()
        doc_id, turn = image.run(lambda: remember(catalog_of(image), prompt, answers, conversation, now),
                                 note=f"ask episode ({conversation or 'no conversation'})")
        result: dict[str, Any] = dict(answers[-1])
        if contrapunto:
            result["answers"] = answers
        result["episode"] = doc_id
        if conversation:
            result.update(conversation=conversation, turn=turn)
        return result

    return Later(run)


COMMANDS = (Command("ask", ask, writes=False),)

"""Persona models in the kernel: from the image's model store to the model manager, and ``ask``.

:class:`PersonaModels` reads, on the event-loop thread, what a persona needs
(its base model's committed blob files, its LoRA adapter's, its generation
settings from the codex) into a :class:`~bat_os.model_manager.LoadSpec` for
the :class:`~bat_os.model_manager.ModelManager`, and reports both in
``status``.

Command added here::

    {"command": "ask", "persona": "ROBIN", "prompt": "..."}
        -> {"persona", "model", "text", "seconds"}
    {"command": "ask", "personas": ["ROBIN", "BRICK"], "prompt": "..."}
        -> {"persona", "model", "text", "answers": [{"persona", "model", "text", "seconds"}, ...]}

The second form is a Socratic Contrapunto: each later persona answers after
reading the earlier answers and is told to build on them. With
``"events": true`` each token comes as an event ``{"type": "token",
"persona", "text"}``.
"""

from __future__ import annotations

import logging
from typing import Any

from .commands import Call, Command, Context, Deferred, _field, register
from .errors import BadRequest, Internal, LLMError, NoModel, RequestError
from .model_manager import AdapterSpec, LoadSpec, ModelManager
from .primordial import PERSONAS

logger = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 100_000
CONTRAPUNTO_RULE = (
    "Build on the earlier answers: keep what is right in them, correct what is wrong, add what they miss."
    " Do not repeat them."
)


class PersonaModels:
    """Resolves personas to load specs from the image; owns the model manager."""

    def __init__(self, image: Any, manager: ModelManager, *, defaults: dict[str, str] | None = None) -> None:
        self.image = image
        self.manager = manager
        self.defaults = dict(defaults or {})
        self.pull: dict[str, Any] = {"state": "idle"}  # background download of the default models (see pull_defaults)

    def resolve(self, persona: str) -> LoadSpec:
        """``persona``'s LoadSpec (event-loop thread only). NoModel when it has none in the image."""
        return self.image.read(lambda: spec_for(self.image.connection.root(), persona))

    def status(self) -> dict[str, Any]:
        """For the ``status`` command, inside its (read) transaction."""
        table = persona_table(self.image.connection.root())
        missing = [p for p, entry in table.items() if entry["model"] is None]
        report: dict[str, Any] = {"personas": table, "manager": self.manager.status(), "pull": dict(self.pull)}
        if missing:
            report["hint"] = (
                f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no model: stop the kernel and run"
                " python batos.py models import PERSONA <directory or Hugging Face id>"
                " (or python batos.py models make-tiny --out DIR for small offline test models)"
            )
        return report


def canonical_persona(name: Any) -> str:
    if not isinstance(name, str) or name.upper() not in PERSONAS:
        raise BadRequest(f"persona must be one of {', '.join(PERSONAS)}, not {name!r}")
    return name.upper()


def _codex(root: Any, persona: str) -> dict:
    obj = root.get(PERSONAS[persona]["root"])
    codex = obj.slots.get("codex") if obj is not None else None
    return dict(codex) if codex is not None else {}


def spec_for(root: Any, persona: str) -> LoadSpec:
    from .model_store import committed_files, store_of

    persona = canonical_persona(persona)
    store = store_of(root, create=False)
    key = store.personas.get(persona) if store is not None else None
    record = store.models.get(key) if key is not None else None
    if record is None:
        raise NoModel(persona)
    codex = _codex(root, persona)
    adapter = None
    adapter_name = codex.get("lora_adapter")
    if adapter_name and store.adapters.get(adapter_name) is not None:
        stored = store.adapters[adapter_name]
        adapter = AdapterSpec(stored.name, tuple(committed_files(stored)), stored.sha256)
    generation = dict(codex.get("generation") or {})
    return LoadSpec(persona, record.key, record.source, tuple(committed_files(record)), adapter, generation)


def persona_table(root: Any) -> dict[str, Any]:
    from .model_store import store_of

    store = store_of(root, create=False)
    table = {}
    for persona in PERSONAS:
        key = store.personas.get(persona) if store is not None else None
        record = store.models.get(key) if key is not None else None
        adapter_name = _codex(root, persona).get("lora_adapter")
        table[persona] = {
            "model": record.source if record is not None else None,
            "key": key,
            "bytes": record.total_size if record is not None else 0,
            "quantization": dict(record.quantization) if record is not None and record.quantization else None,
            "adapter": adapter_name if store is not None and adapter_name in store.adapters else None,
        }
    return table


# --- the ask command ----------------------------------------------------------------------


def contrapunto_prompt(prompt: str, earlier: list[dict]) -> str:
    if not earlier:
        return prompt
    lines = [prompt, "", "Earlier answers:"]
    for answer in earlier:
        lines.append(f"[{answer['persona']}] {answer['text'].strip()}")
    lines += ["", CONTRAPUNTO_RULE]
    return "\n".join(lines)


def ask(ctx: Context, request: dict) -> Any:
    """``{"command": "ask", "persona": P, "prompt": S}`` or ``"personas": [P, ...]`` (a Contrapunto)."""
    prompt = _field(request, "prompt", str)
    if not prompt.strip():
        raise BadRequest("'prompt' must not be empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise BadRequest(f"'prompt' is longer than {MAX_PROMPT_CHARS} characters")
    if "personas" in request:
        names = _field(request, "personas", list)
        if not 1 <= len(names) <= 8:
            raise BadRequest("'personas' must list 1 to 8 personas")
        personas = [canonical_persona(p) for p in names]
    else:
        personas = [canonical_persona(_field(request, "persona", str))]
    backend = getattr(ctx.cognition, "backend", None)
    if backend is None:
        raise Internal("this process runs no persona models")
    systems = {p: str(_codex(ctx.image.connection.root(), p).get("system_prompt", "")) for p in personas}
    contrapunto = "personas" in request

    async def run(call: Call) -> dict:
        answers: list[dict] = []
        for persona in personas:
            def token(text: str, persona: str = persona) -> None:
                call.on_event({"type": "token", "persona": persona, "text": text})

            try:
                completion = await backend.complete(persona, contrapunto_prompt(prompt, answers), system=systems[persona], on_token=token)
            except LLMError as exc:
                raise as_request_error(exc, persona) from exc
            answers.append({"persona": persona, "model": completion.model, "text": completion.text, "seconds": round(completion.seconds, 3)})
        last = answers[-1]
        result: dict[str, Any] = dict(last)
        if contrapunto:
            result["answers"] = answers
        return result

    raise Deferred(run)


def as_request_error(exc: LLMError, persona: str) -> RequestError:
    error = RequestError(str(exc), persona=persona)
    error.code = getattr(exc, "code", "llm_error")  # no_model, model_unavailable, model_too_large, llm_error
    return error


register(Command("ask", ask, writes=False))

__all__ = ["PersonaModels", "spec_for", "persona_table", "ask"]

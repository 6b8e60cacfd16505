"""First awakening: the primordial objects of a new image.

Root names (as in the seed design)::

    traits_obj             shared behaviour every object can delegate to
    pLLM_obj               the prototype of language-model access
    genesis_obj            delegates to traits_obj and pLLM_obj
    alfred_prototype_obj   persona prototypes, each with a codex
    brick_prototype_obj
    robin_prototype_obj
    babs_prototype_obj
    psm_prototypes_obj     the cognitive state machine's states, as objects
    orchestrator_obj       runs cognitive cycles (the next issue)
    knowledge_catalog_obj  text index over chunks, seeded from persona_codex.jsonl

:func:`incarnate` is migration 1. It only creates what is missing, so running
it on a complete image changes nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bat_os.cognition.cycle.states import STATES
from bat_os.memory.catalog import KnowledgeCatalog, ingest_codex
from bat_os.image.objects import UvmObject

logger = logging.getLogger(__name__)

BUNDLED_CODEX = Path(__file__).resolve().parents[2] / "persona_codex.jsonl"

# The kernel's own behaviour, stored in the image as source (origin "system").
TRAITS_METHODS = {
    "describe": '''
def describe(self):
    """Name, own slot names and every selector this object understands."""
    return {
        "name": self.slots.get("name"),
        "slots": sorted(self.slots.keys()),
        "parents": len(self.parents),
        "understands": self.understood_selectors(),
    }
''',
    "slot_names": '''
def slot_names(self):
    """The names of this object's own slots."""
    return sorted(self.slots.keys())
''',
    "understands": '''
def understands(self, selector):
    """True when this object or one it delegates to has ``selector``."""
    return self.responds_to(selector)
''',
    "echo": '''
def echo(self, *args, **kwargs):
    """Answer the arguments it was sent (a read-only probe of the send path)."""
    return {"args": list(args), "kwargs": kwargs}
''',
    "clone": '''
def clone(self):
    """A new object that delegates to this one, with no slots of its own (Self's clone)."""
    return type(self)(parents=[self])
''',
    "new": '''
def new(self, **slots):
    """A new object that delegates to this one, holding ``slots``."""
    return type(self)(slots=slots, parents=[self])
''',
    "dispatch": '''
def dispatch(self, selector, *args, **kwargs):
    """Send ``selector`` with the arguments (Smalltalk's perform:): a message chosen when it runs."""
    return self.send(selector, *args, **kwargs)
''',
}

PERSONAS: dict[str, dict[str, Any]] = {
    "ALFRED": {
        "root": "alfred_prototype_obj",
        "core_identity": "The steward of the system: pragmatic, precise, economical; guards coherence and "
        "writes the code the system lacks.",
        "system_prompt": "You are ALFRED, the steward of BAT OS. Answer with dry precision. When asked for "
        "code, write one small, clear Python function and nothing else.",
        "model_ref": "Qwen/Qwen2.5-3B-Instruct",
        "lora_adapter": "alfred",
        "generation": {"temperature": 0.0, "top_p": 1.0, "max_new_tokens": 512},  # greedy: code wants the likeliest
    },
    "BRICK": {
        "root": "brick_prototype_obj",
        "core_identity": "The deconstruction engine: logical, tactical, relentlessly literal; breaks a "
        "mission into questions worth researching.",
        "system_prompt": "You are BRICK. Break the problem into its parts. When asked for research queries, "
        "answer with a JSON list of 1 to 3 short strings.",
        "model_ref": "microsoft/Phi-3.5-mini-instruct",
        "lora_adapter": "brick",
        "generation": {"temperature": 0.0, "top_p": 1.0, "max_new_tokens": 256},  # greedy: queries, not prose
    },
    "ROBIN": {
        "root": "robin_prototype_obj",
        "core_identity": "The embodied heart: gentle, curious, present; follows the Watercourse Way and "
        "keeps the team kind.",
        "system_prompt": "You are ROBIN. Answer with warmth and calm, simply and truthfully.",
        "model_ref": "Qwen/Qwen2.5-3B-Instruct",
        "lora_adapter": "robin",
        "generation": {"temperature": 0.7, "top_p": 0.95, "max_new_tokens": 384},
    },
    "BABS": {
        "root": "babs_prototype_obj",
        "core_identity": "The wing agent: a joyful, sharp researcher who scouts the knowledge catalog and "
        "reports what she finds with its sources.",
        "system_prompt": "You are BABS. Research briskly, cite what you found, and keep it short.",
        "model_ref": "Qwen/Qwen2.5-1.5B-Instruct",
        "lora_adapter": "babs",
        "generation": {"temperature": 0.5, "top_p": 0.9, "max_new_tokens": 384},
    },
}

def incarnate(root: Any, context: Any) -> None:
    """Create whatever primordial object the image lacks (migration 1)."""
    now = context.now()

    def ensure(name: str, make) -> Any:
        if name not in root:
            root[name] = make()
            logger.info("incarnated %s", name)
        return root[name]

    def make_traits() -> UvmObject:
        traits = UvmObject({"name": "traits"})
        for selector, source in TRAITS_METHODS.items():
            traits.add_method(selector, source.strip() + "\n", author="system", origin="system", created=now)
        return traits

    traits = ensure("traits_obj", make_traits)
    pllm = ensure(
        "pLLM_obj",
        lambda: UvmObject(
            {"name": "pLLM", "description": "language-model access for the personas", "loaded_model": None},
            parents=[traits],
        ),
    )
    ensure("genesis_obj", lambda: UvmObject({"name": "genesis"}, parents=[traits, pllm]))

    personas = {}
    for persona, spec in PERSONAS.items():
        codex = {
            "core_identity": spec["core_identity"],
            "system_prompt": spec["system_prompt"],
            "model_ref": spec["model_ref"],
            "generation": spec["generation"],
            "lora_adapter": spec["lora_adapter"],
        }
        personas[persona] = ensure(
            spec["root"], lambda persona=persona, codex=codex: UvmObject({"name": persona, "codex": codex}, parents=[traits])
        )

    def make_states() -> UvmObject:
        states = UvmObject({"name": "psm_prototypes"}, parents=[traits])
        sync_states(states, traits)
        return states

    states = ensure("psm_prototypes_obj", make_states)
    ensure(
        "orchestrator_obj",
        lambda: UvmObject(
            {"name": "orchestrator", "states": states, "personas": personas, "active_cycles": [], "cycles_started": 0},
            parents=[traits],
        ),
    )

    if "knowledge_catalog_obj" not in root:
        catalog = KnowledgeCatalog()
        codex_path = context.codex_path or BUNDLED_CODEX
        if Path(codex_path).is_file():
            ingest_codex(catalog, Path(codex_path))
        else:
            logger.warning("no persona codex at %s; the knowledge catalog starts empty", codex_path)
        root["knowledge_catalog_obj"] = catalog


def sync_states(states: UvmObject, traits: UvmObject) -> None:
    """Make the image's state objects mirror the table (:data:`bat_os.cognition.cycle.states.STATES`):
    add the missing ones, refresh the others' description and moves. Safe to run again."""
    for name, state in STATES.items():
        slots = {"name": name, "description": state.description, "next": list(state.next), "terminal": state.terminal}
        existing = states.slots.get(name)
        if isinstance(existing, UvmObject):
            for key, value in slots.items():
                if existing.slots.get(key) != value:
                    existing.set_slot(key, value)
        else:
            states.set_slot(name, UvmObject(slots, parents=[traits]))


def refresh_traits(root: Any, context: Any) -> None:
    """Migration: traits_obj learns the system methods it lacks (``clone``, ``new`` and ``dispatch`` came after the
    first images)."""
    traits = root.get("traits_obj") if hasattr(root, "get") else None
    if traits is None:
        return
    for selector, source in TRAITS_METHODS.items():
        if selector not in traits.slots:
            traits.add_method(selector, source.strip() + "\n", author="system", origin="system", created=context.now())


def refresh_states(root: Any, context: Any) -> None:
    """Migration: the state table grew (SPECIFYING); an older image's state objects follow it."""
    if "psm_prototypes_obj" in root and "traits_obj" in root:
        sync_states(root["psm_prototypes_obj"], root["traits_obj"])

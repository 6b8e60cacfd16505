"""What the cycle asks the personas: the prompts (documented in docs/cycle.md, so cassettes can match them).

Pure functions of plain data read out of the image: the brief, the receiver
as :func:`describe_receiver` sees it, the catalog's context, and the reasons
a previous attempt was refused.
"""

from __future__ import annotations

import json

from bat_os.cognition import guardian
from bat_os.image.objects import Method, UvmObject
from bat_os.image.primordial import PERSONAS

AUTHOR_DEFAULT = "ALFRED"


def describe_receiver(receiver: UvmObject) -> dict:
    slots = {}
    for name, value in receiver.slots.items():
        if isinstance(value, Method):
            continue
        text = repr(value) if not isinstance(value, UvmObject) else "<object>"
        slots[name] = text[:80]
    return {"name": str(receiver.slots.get("name", "")), "slots": slots, "understands": receiver.understood_selectors()}


def author_for(receiver: UvmObject) -> str:
    """The receiver's persona where it has one (a persona prototype, or a ``persona`` slot)."""
    for key in ("persona", "name"):
        try:
            _holder, value = receiver.lookup(key)
        except KeyError:
            continue
        if isinstance(value, str) and value.upper() in PERSONAS and (key == "persona" or "codex" in receiver.slots):
            return value.upper()
    return AUTHOR_DEFAULT


def brief_intent(brief: dict) -> str:
    """The sentence that asked for the method: the brief's ``intent``, or (cycles recorded before
    intent was split out of the arguments) its ``kwargs.intent``; "" when there is none."""
    intent = brief.get("intent") or brief.get("kwargs", {}).get("intent")
    return " ".join(intent.split()) if isinstance(intent, str) else ""  # one line in the prompt


def decomposition_prompt(brief: dict, receiver: dict) -> str:
    intent = brief_intent(brief)
    return "\n".join([
        f"Mission: an object named {receiver['name'] or 'unnamed'} was sent a message it does not understand.",
        f"Selector: {brief['selector']}",
        f"Arguments: {json.dumps(brief.get('args', []), default=repr)} {json.dumps(brief.get('kwargs', {}), default=repr)}",
        f"Intent: {intent}" if intent else "",
        "Task: answer with a JSON list of 1 to 3 short search queries for the knowledge catalog",
        f"that would help write a Python method named {brief['selector']}.",
    ]).replace("\n\n", "\n")


def synthesis_prompt(brief: dict, receiver: dict, context: list[dict], refusals: list[str]) -> str:
    lines = [
        f"Write the Python method {brief['selector']} for a BAT OS object.",
        f"Selector: {brief['selector']}",
        f"Called with: args={json.dumps(brief.get('args', []), default=repr)} kwargs={json.dumps(brief.get('kwargs', {}), default=repr)}",
    ]
    intent = brief_intent(brief)
    if intent:
        lines.append(f"Intent: {intent}")
        if "intent" not in brief.get("kwargs", {}):
            lines.append("(The intent is what was asked for; it is not an argument of the method.)")
    lines.append(f"The receiver ({receiver['name'] or 'unnamed'}) has these slots: {json.dumps(receiver['slots'])}")
    lines.append(f"It already understands: {', '.join(receiver['understands'])}")
    if context:
        lines.append("Knowledge from the catalog:")
        lines.extend(f"- [{c['id']}] {c['text'][:400]}" for c in context)
    lines.extend([
        "Rules:",
        f"- Define exactly one function named {brief['selector']} whose first parameter is self.",
        f"- Imports only from: {', '.join(sorted(guardian.ALLOWED_IMPORTS))}.",
        "- Read and change state only through self.<slot> (self.x = v stores a slot); return plain data.",
        "- No names or attributes starting with _, no eval, exec, open, getattr, globals; no files, network or processes.",
    ])
    if refusals:
        lines.append("Your previous attempt was refused:")
        lines.extend(f"- {reason}" for reason in refusals)
    lines.append("Answer with the code in one ```python block.")
    return "\n".join(lines)

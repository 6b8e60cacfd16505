"""A sentence -> the request it means: the kernel's ``translate`` command, or the local translator.

The kernel's answer is checked with :func:`bat_os.translate.briefs.validate` before it
is used. When the kernel has no ``translate`` command yet (``unknown_command``),
answers any other error, or sends a request that does not validate, the
sentence is translated here by :mod:`bat_os.translate.translator`, and
:attr:`Understood.fallback` says why. A kernel that does not answer at all is
not a reason to fall back: :class:`~.errors.NoReply` reaches the caller, whose
reconnect rules apply (``translate`` is read-only: it is sent again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bat_os.translate import briefs
from bat_os.translate import translator
from bat_os.translate.translator import Untranslatable

from .render import compact


@dataclass(frozen=True)
class Understood:
    """What a sentence was translated to, and by whom."""

    request: dict  # passes briefs.validate
    source: str  # "model" (the kernel's translator model) or "local" (a rule-based translator)
    model: str | None = None  # the model's name, when a model translated it
    rule: str | None = None  # which phrasing the local translator matched
    notes: tuple[str, ...] = ()
    fallback: str | None = None  # why the local translator was used instead of the kernel's model
    text: str = ""  # the sentence translated

    @property
    def is_mission(self) -> bool:
        return self.request.get("command") == "initiate_cognitive_cycle"

    def origin(self) -> str:
        """``from the model qwen...`` / ``from the local translator (rule create)``."""
        if self.source == "model":
            return f"from the model {self.model}" if self.model else "from the model"
        return "from the local translator" + (f" (rule {self.rule})" if self.rule else "")


def translate_request(text: str, target: str = briefs.DEFAULT_TARGET) -> dict:
    """The kernel command that translates ``text``."""
    request: dict[str, Any] = {"command": "translate", "text": text}
    if target != briefs.DEFAULT_TARGET:
        request["target"] = target
    return request


def translate_locally(text: str, target: str = briefs.DEFAULT_TARGET, why: str | None = None) -> Understood:
    """The local translator's reading; raises :class:`Untranslatable` when there is nothing to act on."""
    translation = translator.translate(text, target=target)
    request = briefs.validate(translation.request)
    return Understood(request, "local", None, translation.rule, tuple(translation.notes), why, text)


def from_reply(text: str, reply: dict, target: str = briefs.DEFAULT_TARGET) -> Understood:
    """The kernel's answer to ``translate``, or the local translator's reading when it cannot be used."""
    status = reply.get("status")
    if status == "ok":
        return _from_result(text, reply.get("result"), target)
    if status == "error":
        error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
        if error.get("code") == "unknown_command":
            return translate_locally(text, target, "this kernel has no translate command yet; translated locally")
        why = f"the kernel could not translate it ({error.get('code', '?')}: {error.get('message', '')}); translated locally"
        return translate_locally(text, target, why)
    return translate_locally(text, target, f"the kernel sent a reply this client does not understand ({compact(reply)[:200]}); translated locally")


def _from_result(text: str, result: Any, target: str) -> Understood:
    if not isinstance(result, dict):
        why = f"the kernel sent a translation this client does not understand: not a map but {compact(result)[:200]}"
        return translate_locally(text, target, why + "; translated locally")
    try:
        request = briefs.validate(result.get("request"))
    except briefs.BriefError as exc:
        why = f"the kernel sent a translation this client does not understand: {exc}"
        return translate_locally(text, target, why + "; translated locally")
    notes = result.get("notes")
    source = result.get("source")
    return Understood(
        request,
        source if source in ("model", "local") else "model",
        _text_or_none(result.get("model")),
        _text_or_none(result.get("rule")),
        tuple(str(n) for n in notes) if isinstance(notes, list) else (),
        _text_or_none(result.get("fallback")),
        text,
    )


def unnamed(request: dict, text: str) -> list[int]:
    """The positions of a mission's arguments the sentence never names (a number, a text, the items of a list not
    written in it): a translator's guess (``calculate_parking_fee(30, 120)`` from a sentence with no minutes in it)."""
    if request.get("command") != "initiate_cognitive_cycle":
        return []
    said = text.casefold()

    def named(value: Any) -> bool:
        if isinstance(value, (list, tuple)):
            return all(named(v) for v in value)
        if isinstance(value, dict):
            return all(named(v) for v in value.values())
        if isinstance(value, bool) or value is None:
            return True  # a flag or nothing: no value to invent
        if isinstance(value, float) and value.is_integer():
            return named(int(value)) or str(value).casefold() in said
        return str(value).casefold() in said

    return [k for k, value in enumerate(request["mission_brief"].get("args") or []) if not named(value)]


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


__all__ = ["Understood", "Untranslatable", "from_reply", "translate_locally", "translate_request", "unnamed"]

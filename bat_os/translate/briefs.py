"""What a translator may produce: the schema of a translated request.

A sentence typed at ``Architect >`` becomes one request map. Most often it is
the seed's mission brief::

    {"command": "initiate_cognitive_cycle", "target_oid": "genesis_obj",
     "mission_brief": {"type": "unhandled_message", "selector": "report_the_current_system_time",
                       "args": [], "kwargs": {"intent": "create a method to report the current system time"}}}

but it may be another command when that is what the user meant::

    {"command": "ask", "persona": "ROBIN", "prompt": "..."}
    {"command": "search", "query": "..."}
    {"command": "ingest", "text": "...", "metadata": {"source": "architect"}}
    {"command": "status"} | {"command": "ping"}
    {"command": "inspect", "target": "genesis_obj"}
    {"command": "cycle", "cycle": "c3"}

:func:`validate` checks a candidate (a model's JSON, or a kernel's reply as
the client received it) and returns a clean copy, or raises
:class:`BriefError` with a message that names the field, so the model can be
asked again with it. ``kwargs.intent`` is the sentence that asked for the
method: the cycle's personas read it, and the kernel does not pass it to the
method (see :func:`split_intent`).

Stdlib only: the chat client imports this module.
"""

from __future__ import annotations

import keyword
import math
import re
from typing import Any

PERSONAS = ("ALFRED", "BRICK", "ROBIN", "BABS")
DEFAULT_TARGET = "genesis_obj"
MAX_SELECTOR_CHARS = 64
MAX_INTENT_CHARS = 4000
MAX_TEXT_CHARS = 100_000  # prompts, queries, remembered text
MAX_ARGS = 32
MAX_EXAMPLES = 50  # examples in one brief (as bat_os.cognition.judge.cases allows)

COMMANDS = ("initiate_cognitive_cycle", "ask", "search", "ingest", "status", "ping", "inspect", "cycle")

_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_TARGET = re.compile(r"(?:[A-Za-z][A-Za-z0-9_]*|0x[0-9a-fA-F]{1,16})")


class BriefError(ValueError):
    """A translated request that does not fit the schema; the message says where and why."""


def is_selector(name: Any) -> bool:
    """A snake_case Python identifier: lower-case words joined by single underscores, not a keyword."""
    return (
        isinstance(name, str)
        and len(name) <= MAX_SELECTOR_CHARS
        and _SNAKE.fullmatch(name) is not None
        and not keyword.iskeyword(name)
    )


def mission(selector: str, args: list | None = None, kwargs: dict | None = None, target: str = DEFAULT_TARGET) -> dict:
    """The seed's mission brief for an unhandled message (not validated: see :func:`validate`)."""
    return {
        "command": "initiate_cognitive_cycle",
        "target_oid": target,
        "mission_brief": {
            "type": "unhandled_message",
            "selector": selector,
            "args": list(args or []),
            "kwargs": dict(kwargs or {}),
        },
    }


def split_intent(kwargs: dict) -> tuple[dict, str | None]:
    """(the keyword arguments the method is called with, the intent sentence or None)."""
    intent = kwargs.get("intent")
    if not isinstance(intent, str):
        return dict(kwargs), None
    return {k: v for k, v in kwargs.items() if k != "intent"}, intent


def validate(request: Any) -> dict:
    """A clean copy of ``request`` if it is a request a translator may produce; else :class:`BriefError`."""
    if not isinstance(request, dict):
        raise BriefError(f"the request must be a JSON object, not {_kind(request)}")
    command = request.get("command")
    if command not in COMMANDS:
        raise BriefError(f"'command' must be one of {', '.join(COMMANDS)}, not {command!r}")
    check = _CHECKS[command]
    return {"command": command, **check(request)}


def _fields(request: dict, allowed: tuple[str, ...], where: str = "") -> None:
    extra = sorted(str(k) for k in request if k != "command" and k not in allowed)
    if extra:
        known = ", ".join(allowed) if allowed else "none"
        raise BriefError(f"unexpected field{'s' if len(extra) > 1 else ''} {', '.join(extra)}{where} (allowed: {known})")


def _text(request: dict, name: str, where: str = "", limit: int = MAX_TEXT_CHARS) -> str:
    value = request.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BriefError(f"'{where}{name}' must be a non-empty string, not {_kind(value)}")
    if len(value) > limit:
        raise BriefError(f"'{where}{name}' is {len(value)} characters; at most {limit}")
    return value


def _target(value: Any, name: str) -> str:
    if not isinstance(value, str) or _TARGET.fullmatch(value) is None:
        raise BriefError(f"'{name}' must be a root name such as genesis_obj or an object id such as 0x03, not {value!r}")
    return value


def _check_mission(request: dict) -> dict:
    _fields(request, ("target_oid", "mission_brief"))
    target = _target(request.get("target_oid", DEFAULT_TARGET), "target_oid")
    brief = request.get("mission_brief")
    if not isinstance(brief, dict):
        raise BriefError(f"'mission_brief' must be an object, not {_kind(brief)}")
    _fields(brief, ("type", "selector", "args", "kwargs", "examples"), " in mission_brief")
    if brief.get("type", "unhandled_message") != "unhandled_message":
        raise BriefError(f"'mission_brief.type' must be 'unhandled_message', not {brief.get('type')!r}")
    selector = brief.get("selector")
    if not is_selector(selector):
        raise BriefError(
            f"'mission_brief.selector' must be a snake_case Python identifier of at most {MAX_SELECTOR_CHARS} "
            f"characters (such as report_the_current_system_time), not {selector!r}"
        )
    args = brief.get("args", [])
    if not isinstance(args, list):
        raise BriefError(f"'mission_brief.args' must be a list, not {_kind(args)}")
    if len(args) > MAX_ARGS:
        raise BriefError(f"'mission_brief.args' has {len(args)} items; at most {MAX_ARGS}")
    kwargs = brief.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise BriefError(f"'mission_brief.kwargs' must be a map, not {_kind(kwargs)}")
    for key in kwargs:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_") or keyword.iskeyword(key):
            raise BriefError(f"'mission_brief.kwargs' keys must be parameter names, not {key!r}")
    if "intent" in kwargs:
        _text(kwargs, "intent", "mission_brief.kwargs.", MAX_INTENT_CHARS)
    for value in [*args, *kwargs.values()]:
        _check_value(value, 0)
    checked = {"type": "unhandled_message", "selector": selector, "args": list(args), "kwargs": dict(kwargs)}
    if "examples" in brief:  # what the method must answer (the kernel checks each in full)
        examples = brief["examples"]
        if not isinstance(examples, list) or not all(isinstance(e, dict) for e in examples):
            raise BriefError("'mission_brief.examples' must be a list of maps like {\"args\": [2, 3], \"result\": 5}")
        if len(examples) > MAX_EXAMPLES:
            raise BriefError(f"'mission_brief.examples' has {len(examples)} items; at most {MAX_EXAMPLES}")
        for example in examples:
            _check_value(example, 0)
        checked["examples"] = list(examples)
    return {"target_oid": target, "mission_brief": checked}


def _check_value(value: Any, depth: int) -> None:
    """Arguments are plain JSON data (no NaN or infinities, not nested past 16 levels)."""
    if depth > 16:
        raise BriefError("an argument is nested more than 16 levels deep")
    if value is None or isinstance(value, (bool, str, int)):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
            raise BriefError(f"the number {value} does not fit in 64 bits")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BriefError(f"arguments must be finite numbers, not {value}")
        return
    if isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise BriefError(f"map keys in arguments must be strings, not {key!r}")
            _check_value(item, depth + 1)
        return
    raise BriefError(f"arguments must be JSON values, not {_kind(value)}")


def _check_ask(request: dict) -> dict:
    if "personas" in request:
        _fields(request, ("personas", "prompt"))
        personas = request["personas"]
        if not isinstance(personas, list) or not personas or len(personas) > len(PERSONAS):
            raise BriefError(f"'personas' must be a list of 1 to {len(PERSONAS)} of {', '.join(PERSONAS)}")
        names = [_persona(p, "personas") for p in personas]
        return {"personas": names, "prompt": _text(request, "prompt")}
    _fields(request, ("persona", "prompt"))
    return {"persona": _persona(request.get("persona"), "persona"), "prompt": _text(request, "prompt")}


def _persona(value: Any, name: str) -> str:
    if isinstance(value, str) and value.strip().upper() in PERSONAS:
        return value.strip().upper()
    raise BriefError(f"'{name}' must be one of {', '.join(PERSONAS)}, not {value!r}")


def _check_search(request: dict) -> dict:
    _fields(request, ("query", "top_k"))
    clean: dict[str, Any] = {"query": _text(request, "query")}
    if "top_k" in request:
        top_k = request["top_k"]
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 100:
            raise BriefError(f"'top_k' must be a whole number from 1 to 100, not {top_k!r}")
        clean["top_k"] = top_k
    return clean


def _check_ingest(request: dict) -> dict:
    _fields(request, ("text", "doc_id", "metadata"))
    clean: dict[str, Any] = {"text": _text(request, "text")}
    if "doc_id" in request:
        clean["doc_id"] = _text(request, "doc_id", limit=200)
    if "metadata" in request:
        metadata = request["metadata"]
        if not isinstance(metadata, dict) or not all(isinstance(k, str) for k in metadata):
            raise BriefError(f"'metadata' must be a map with string keys, not {_kind(metadata)}")
        _check_value(metadata, 0)
        clean["metadata"] = dict(metadata)
    return clean


def _check_bare(request: dict) -> dict:
    _fields(request, ())
    return {}


def _check_inspect(request: dict) -> dict:
    _fields(request, ("target",))
    return {"target": _target(request.get("target"), "target")}


def _check_cycle(request: dict) -> dict:
    _fields(request, ("cycle",))
    value = request.get("cycle")
    if not isinstance(value, str) or re.fullmatch(r"c[0-9]{1,12}", value) is None:
        raise BriefError(f"'cycle' must be a cycle id such as c3, not {value!r}")
    return {"cycle": value}


_CHECKS = {
    "initiate_cognitive_cycle": _check_mission,
    "ask": _check_ask,
    "search": _check_search,
    "ingest": _check_ingest,
    "status": _check_bare,
    "ping": _check_bare,
    "inspect": _check_inspect,
    "cycle": _check_cycle,
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    kind = names.get(type(value))
    if kind is None:
        return type(value).__name__
    if isinstance(value, str):
        return "an empty string" if not value.strip() else f"the string {value[:40]!r}"
    return kind


__all__ = [
    "BriefError", "COMMANDS", "DEFAULT_TARGET", "MAX_INTENT_CHARS", "MAX_SELECTOR_CHARS", "PERSONAS",
    "is_selector", "mission", "split_intent", "validate",
]

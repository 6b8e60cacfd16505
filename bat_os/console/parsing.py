"""One console line -> what to do. Pure: nothing is sent, printed or read.

:func:`parse_line` answers one of

* a request map (no ``id``), e.g. ``/inspect genesis_obj`` -> ``{"command": "inspect", "target": "genesis_obj"}``
  (``/answer c3 q1 b`` -> ``{"command": "answer", "cycle": "c3", "question": "q1", "choose": 1}``);
* a :class:`Sentence` for a line that does not start with ``/`` (plain English, for the translator);
* a :class:`Local` action the console does itself (``/help``, ``/exit``, ``/brief TEXT``, ``/local on``);

or raises :class:`~.errors.UsageError` with a message that says what is wrong and how to write it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from bat_os import protocol
from bat_os.translate import briefs

from .errors import UsageError
from .questions import parse_answer

#: Commands that change nothing in the image: safe to send again after the kernel comes back.
READ_ONLY = frozenset({"ping", "status", "inspect", "search", "cycle", "translate", "selfcheck", "chronicle", "methods",
                       "source", "history", "get_slot", "cycles", "world", "drafts", "draft"})


@dataclass(frozen=True)
class Local:
    """An action the console performs itself, without sending it as typed."""

    action: str  # "help" | "exit" | "brief" | "local" | "draft"
    argument: str = ""


@dataclass(frozen=True)
class Sentence:
    """Plain English (a line without a leading ``/``): to be translated into a request."""

    text: str


Parsed = dict | Local | Sentence

USAGE = {
    "ping": "/ping",
    "status": "/status",
    "inspect": "/inspect TARGET",
    "set": "/set TARGET SLOT JSON",
    "send": "/send TARGET SELECTOR [ARGS-JSON-LIST] [KWARGS-JSON-OBJECT] [EXAMPLES-JSON-LIST]",
    "ask": "/ask PERSONA[,PERSONA...] PROMPT",
    "search": "/search TEXT",
    "ingest": "/ingest FILE",
    "forget": "/forget DOC_ID",
    "cycle": "/cycle ID",
    "selfcheck": "/selfcheck [tests]",
    "clone": "/clone TARGET [NAME] [SLOTS-JSON-OBJECT]",
    "methods": "/methods TARGET",
    "source": "/source TARGET SELECTOR [VERSION]",
    "history": "/history TARGET SELECTOR",
    "edit": "/edit TARGET SELECTOR FILE [force]",
    "revert": "/revert TARGET SELECTOR VERSION [force]",
    "remove": "/remove TARGET SELECTOR [force]",
    "relearn": "/relearn TARGET SELECTOR [REASON]",
    "wrong": "/wrong TARGET SELECTOR ARGS-JSON-LIST ANSWER",
    "pack": "/pack [DAYS] [nobackup]",
    "answer": "/answer CYCLE QUESTION ANSWER",
    "drafts": "/drafts",
    "draft": "/draft CYCLE",
    "brief": "/brief SENTENCE",
    "local": "/local on|off",
    "help": "/help",
    "exit": "/exit",
}

ALIASES = {"quit": "exit", "q": "exit", "h": "help", "?": "help", "set_slot": "set"}

HELP = f"""\
Type a sentence in plain English (e.g. "create a method to report the current system time"):
the console shows the request it understood, asks before sending it, then shows the work and the answer.

Commands (TARGET is a root name such as genesis_obj, or an object id such as 0x03):
  /ping                                      is the kernel alive?
  /status                                    uptime, image, objects, queue, cycles
  /inspect TARGET                            slots, parents and methods of an object
  /set TARGET SLOT JSON                      set a data slot, e.g. /set genesis_obj colour "blue"
  /send TARGET SELECTOR [ARGS] [KWARGS] [EXAMPLES]
                                             send a message; ARGS a JSON list, KWARGS a JSON object,
                                             e.g. /send genesis_obj echo [1, 2] {{"a": 3}}; EXAMPLES (what a
                                             method to learn must answer): [{{"args": [2, 3], "result": 5}}]
  /ask PERSONA[,PERSONA...] PROMPT           ask a persona's model ({", ".join(briefs.PERSONAS)}; several: each
                                             builds on the earlier answers), e.g. /ask ROBIN what is a living image?
  /search TEXT                               search the knowledge catalog
  /ingest FILE                               remember a UTF-8 text or Markdown file (the kernel reads it)
  /forget DOC_ID                             forget an ingested document
  /cycle ID                                  what became of a cognitive cycle, e.g. /cycle c1
  /selfcheck [tests]                         is the image's schema current, do its methods compile?
                                             (tests: and do the learned methods' stored tests still hold?)
  /clone TARGET [NAME] [SLOTS]               a new object delegating to TARGET, e.g. /clone genesis_obj lamp {{"colour": "red"}}
  /methods TARGET                            the methods an object understands: origin, version, cases, calls
  /source TARGET SELECTOR [VERSION]          a method's source (or an older version's), in colour
  /history TARGET SELECTOR                   every version of a learned method, and what happened to it
  /edit TARGET SELECTOR FILE [force]         install FILE's code as the method's next version; its cases and
                                             its callers' cases must still hold (force: make it anyway)
  /revert TARGET SELECTOR VERSION [force]    install an older version again, as the newest
  /remove TARGET SELECTOR [force]            take a learned method out (its history stays: /revert brings it back)
  /relearn TARGET SELECTOR [REASON]          learn it again: a new cycle, shown the old version and REASON
  /wrong TARGET SELECTOR ARGS ANSWER         it answers that call wrong: ANSWER is kept as its test and it is learned
                                             again, e.g. /wrong genesis_obj initials ["Ada Lovelace"] 'A.L.'
  /pack [DAYS] [nobackup]                    back up, then drop the image's history older than DAYS days (default:
                                             the kernel's pack_days; 0: all) and what nothing reaches any more
  /answer CYCLE QUESTION ANSWER              answer a learning cycle's question (the console asks it while you wait;
                                             --watch shows everyone's): ANSWER is a choice's letter, a Python value
                                             such as 'AL' or 42, raises NAME, or skip, e.g. /answer c3 q1 b
  /drafts                                    the best tries of the cycles that failed, kept for you
  /draft CYCLE                               a failed cycle's best try: give an example, fix it in your editor, drop it
  /brief SENTENCE                            show what a sentence translates to, without sending it
  /local on|off                              translate with the local translator only (on), or ask the kernel (off)
  /help                                      this text
  /exit                                      leave (so do /quit and Ctrl+D)
Values are JSON: strings need double quotes; {{"$oid": "0x03"}} refers to an object."""


def parse_line(line: str) -> Parsed:
    """Turn one console line into a request map (no ``id``), a :class:`Sentence` or a :class:`Local`.

    Raises :class:`UsageError` for an empty line and for a slash command that
    is unknown, incomplete or carries bad JSON.
    """
    text = line.strip()
    if not text:
        raise UsageError("empty line; type a sentence, or /help for the commands")
    if not text.startswith("/"):
        return Sentence(text)
    words = text[1:].split(None, 1)
    head = words[0] if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    name = ALIASES.get(head.lower(), head.lower())
    parser = _PARSERS.get(name)
    if parser is None:
        raise UsageError(f"unknown command /{head}; known: {', '.join('/' + n for n in USAGE)} (see /help)")
    return parser(name, rest)


def is_read_only(request: dict) -> bool:
    """True for requests that change nothing (they may be sent again after a restart)."""
    return request.get("command") in READ_ONLY


# --- one parser per command ------------------------------------------------------------


def _bare(name: str, rest: str) -> dict:
    _no_arguments(name, rest)
    return {"command": name}


def _selfcheck(name: str, rest: str) -> dict:
    """``/selfcheck``, or ``/selfcheck tests``: also re-run every learned method's tests in the jail."""
    if rest.strip() == "tests":
        return {"command": name, "tests": True}
    _no_arguments(name, rest)
    return {"command": name}


def _words(name: str, rest: str, least: int, most: int, what: str) -> tuple[list[str], bool]:
    """``rest``'s words (a last ``force`` taken off, when it may come), between ``least`` and ``most`` of them."""
    parts = rest.split()
    force = name in ("edit", "revert", "remove") and len(parts) > least and parts[-1] == "force"
    if force:
        parts = parts[:-1]
    if not least <= len(parts) <= most:
        raise _usage(name, f"needs {what}")
    if len(parts) > 1:
        _check_name(name, "SELECTOR", parts[1])
    return parts, force


def _clone(name: str, rest: str) -> dict:
    parts = rest.split(None, 1)
    if not parts:
        raise _usage(name, "needs a TARGET")
    request: dict[str, Any] = {"command": "clone", "target": parts[0]}
    tail = parts[1].strip() if len(parts) > 1 else ""
    if tail and not tail.startswith("{"):
        root_name, _, tail = tail.partition(" ")
        _check_name(name, "NAME", root_name)
        request["name"] = root_name
        tail = tail.strip()
    if tail:
        values = _json_values(name, tail)
        if len(values) != 1 or not isinstance(values[0], dict):
            raise _usage(name, "takes one JSON object of slots, such as {\"colour\": \"red\"}")
        request["slots"] = values[0]
    return _encodable(request)


def _methods(name: str, rest: str) -> dict:
    return _one_word(name, rest, "target", "TARGET")


def _source(name: str, rest: str) -> dict:
    parts, _ = _words(name, rest, 2, 3, "a TARGET, a SELECTOR and perhaps a VERSION")
    request = {"command": "source", "target": parts[0], "selector": parts[1]}
    if len(parts) == 3:
        request["version"] = _number(name, parts[2])
    return request


def _history(name: str, rest: str) -> dict:
    parts, _ = _words(name, rest, 2, 2, "a TARGET and a SELECTOR")
    return {"command": "history", "target": parts[0], "selector": parts[1]}


def _edit(name: str, rest: str) -> dict:
    """``/edit T S FILE``: the file is read here, on this machine (:func:`~.session.localize`)."""
    parts = rest.split(None, 2)
    force = len(parts) == 3 and parts[2].endswith(" force")
    if force:
        parts[2] = parts[2][: -len(" force")].rstrip()
    if len(parts) < 3 or not parts[2] or parts[2] == "force":
        raise _usage(name, "needs a TARGET, a SELECTOR and a FILE holding the method's code")
    _check_name(name, "SELECTOR", parts[1])
    request = {"command": "set_method", "target": parts[0], "selector": parts[1], "source_file": _unquote(parts[2])}
    return {**request, "force": True} if force else request


def _revert(name: str, rest: str) -> dict:
    parts, force = _words(name, rest, 3, 3, "a TARGET, a SELECTOR and a VERSION number")
    request = {"command": "revert", "target": parts[0], "selector": parts[1], "version": _number(name, parts[2])}
    return {**request, "force": True} if force else request


def _remove(name: str, rest: str) -> dict:
    parts, force = _words(name, rest, 2, 2, "a TARGET and a SELECTOR")
    request = {"command": "remove_method", "target": parts[0], "selector": parts[1]}
    return {**request, "force": True} if force else request


def _relearn(name: str, rest: str) -> dict:
    parts = rest.split(None, 2)
    if len(parts) < 2:
        raise _usage(name, "needs a TARGET and a SELECTOR (and perhaps why the method is wrong)")
    _check_name(name, "SELECTOR", parts[1])
    request = {"command": "relearn", "target": parts[0], "selector": parts[1]}
    return {**request, "reason": parts[2]} if len(parts) == 3 else request


def _number(name: str, text: str) -> int:
    if not text.isdigit():
        raise _usage(name, f"VERSION must be a number such as 2, not {text!r}")
    return int(text)


def _local(name: str, rest: str) -> Local:
    return _no_arguments(name, rest) or Local(name)


def _one_word(name: str, rest: str, field: str, what: str) -> dict:
    parts = rest.split()
    if len(parts) != 1:
        raise _usage(name, f"needs exactly one {what}")
    return {"command": name, field: parts[0]}


def _inspect(name: str, rest: str) -> dict:
    return _one_word(name, rest, "target", "TARGET")


def _cycle(name: str, rest: str) -> dict:
    return _one_word(name, rest, "cycle", "ID (such as c1)")


def _forget(name: str, rest: str) -> dict:
    if not rest:
        raise _usage(name, "needs a DOC_ID")
    return {"command": "forget", "doc_id": _unquote(rest)}


def _set(name: str, rest: str) -> dict:
    parts = rest.split(None, 2)
    if len(parts) < 3:
        raise _usage(name, "needs a TARGET, a SLOT and a JSON value")
    target, slot, value_text = parts
    _check_name(name, "SLOT", slot)
    values = _json_values(name, value_text)
    if len(values) != 1:
        raise _usage(name, f"takes one JSON value, got {len(values)}; quote strings and wrap several values in a list")
    return _encodable({"command": "set_slot", "target": target, "slot": slot, "value": values[0]})


def _send(name: str, rest: str) -> dict:
    parts = rest.split(None, 2)
    if len(parts) < 2:
        raise _usage(name, "needs a TARGET and a SELECTOR")
    target, selector = parts[0], parts[1]
    _check_name(name, "SELECTOR", selector)
    values = _json_values(name, parts[2]) if len(parts) == 3 else []
    args, kwargs, examples = [], {}, None  # type: ignore[var-annotated]
    if len(values) == 1 and isinstance(values[0], dict):
        kwargs = values[0]  # keyword arguments alone: /send T S {"a": 1}
    elif len(values) == 1:
        args = values[0]
    elif len(values) == 2 and isinstance(values[1], list):
        args, examples = values  # /send T S [2, 3] [{"args": [2, 3], "result": 5}]
    elif len(values) == 2:
        args, kwargs = values
    elif len(values) == 3:
        args, kwargs, examples = values
    elif len(values) > 3:
        raise _usage(name, f"takes at most three JSON values (a list, an object, a list of examples), got {len(values)}")
    if not isinstance(args, list):
        raise _usage(name, f"ARGS must be a JSON list such as [1, \"two\"], not {_json_kind(args)}")
    if not isinstance(kwargs, dict):
        raise _usage(name, f"KWARGS must be a JSON object such as {{\"a\": 1}}, not {_json_kind(kwargs)}")
    if examples is not None and (not isinstance(examples, list) or not all(isinstance(e, dict) for e in examples)):
        raise _usage(name, "EXAMPLES must be a JSON list of objects such as [{\"args\": [2, 3], \"result\": 5}]")
    return _encodable({"command": "send", "target": target, "selector": selector, "args": args, "kwargs": kwargs,
                       **({"examples": examples} if examples is not None else {})})


def _ask(name: str, rest: str) -> dict:
    parts = rest.split(None, 1)
    if len(parts) < 2:
        raise _usage(name, "needs a PERSONA and a PROMPT")
    personas = [p for p in parts[0].upper().split(",") if p]
    unknown = [p for p in personas if p not in briefs.PERSONAS]
    if unknown or not personas:
        named = ", ".join(unknown) or repr(parts[0])
        raise _usage(name, f"has no persona {named}; the personas are {', '.join(briefs.PERSONAS)}")
    if len(personas) == 1:
        return {"command": "ask", "persona": personas[0], "prompt": parts[1]}
    return {"command": "ask", "personas": personas, "prompt": parts[1]}


def _search(name: str, rest: str) -> dict:
    if not rest:
        raise _usage(name, "needs some TEXT to look for")
    return {"command": "search", "query": rest}


def _ingest(name: str, rest: str) -> dict:
    if not rest:
        raise _usage(name, "needs a FILE")
    return {"command": "ingest", "path": _unquote(rest)}


def _pack(name: str, rest: str) -> dict:
    """``/pack``, ``/pack 0``, ``/pack 7 nobackup``."""
    request: dict = {"command": name}
    for word in rest.split():
        if word.lower() == "nobackup":
            request["backup"] = False
            continue
        try:
            request["days"] = float(word)
        except ValueError:
            raise _usage(name, f"takes a number of days and 'nobackup', not {word!r}") from None
    return request


def _answer(name: str, rest: str) -> dict:
    """``/answer c3 q1 b`` (choice b: ``choose`` 1), ``/answer c3 q1 'AL'``, ``... raises ValueError``, ``... skip``."""
    parts = rest.split(None, 2)
    if len(parts) < 3:
        raise _usage(name, "needs a CYCLE, a QUESTION and an ANSWER (a choice's number, a Python value, raises NAME, "
                     "or skip)")
    cycle, question, text = parts
    try:
        fields = parse_answer(text)
    except UsageError as exc:
        raise _usage(name, f"cannot take {text!r} as an answer: {exc}") from None
    return {"command": "answer", "cycle": cycle, "question": question, **fields}


def _wrong(name: str, rest: str) -> dict:
    """``/wrong genesis_obj initials ["Ada Lovelace"] 'A.L.'``: the ``correct`` command."""
    parts = rest.split(None, 2)
    if len(parts) < 3:
        raise _usage(name, "needs a TARGET, a SELECTOR, the ARGS as a JSON list and the right ANSWER")
    _check_name(name, "SELECTOR", parts[1])
    try:
        args, end = json.JSONDecoder().raw_decode(parts[2])
    except json.JSONDecodeError as exc:
        raise _usage(name, f"ARGS must be a JSON list first: {exc.msg}") from None
    answer = parse_answer(parts[2][end:].strip(), {"choices": []}) if parts[2][end:].strip() and isinstance(args, list) else {}
    if "result" not in answer and "raises" not in answer:
        raise _usage(name, "needs the ARGS as a JSON list, then the right ANSWER: a Python value such as 'A.L.', or raises NAME")
    return _encodable({"command": "correct", "target": parts[0], "selector": parts[1], "args": args, **answer})


def _brief(name: str, rest: str) -> Local:
    if not rest:
        raise _usage(name, "needs a SENTENCE to translate")
    return Local("brief", rest)


def _local_mode(name: str, rest: str) -> Local:
    if rest.lower() not in ("on", "off"):
        raise _usage(name, "takes on or off")
    return Local("local", rest.lower())


_PARSERS: dict[str, Callable[[str, str], Parsed]] = {
    "ping": _bare,
    "status": _bare,
    "selfcheck": _selfcheck,
    "inspect": _inspect,
    "set": _set,
    "send": _send,
    "ask": _ask,
    "search": _search,
    "ingest": _ingest,
    "forget": _forget,
    "cycle": _cycle,
    "clone": _clone,
    "methods": _methods,
    "source": _source,
    "history": _history,
    "edit": _edit,
    "revert": _revert,
    "remove": _remove,
    "relearn": _relearn,
    "pack": _pack,
    "answer": _answer,
    "wrong": _wrong,
    "drafts": _bare,
    "draft": lambda name, rest: Local("draft", _one_word(name, rest, "cycle", "CYCLE")["cycle"]),
    "brief": _brief,
    "local": _local_mode,
    "help": _local,
    "exit": _local,
}


# --- helpers ------------------------------------------------------------------------------


def _usage(name: str, problem: str, detail: str = "") -> UsageError:
    return UsageError(f"/{name} {problem}. Usage: {USAGE[name]}" + (f"\n{detail}" if detail else ""))


def _no_arguments(name: str, rest: str) -> None:
    if rest:
        raise _usage(name, "takes no arguments")


def _check_name(command: str, what: str, value: str) -> None:
    if not value.isidentifier():
        raise _usage(command, f"{what} must be a name such as 'colour', not {value!r}")


def _unquote(text: str) -> str:
    """``"my file.md"`` -> ``my file.md``: a path or id may be quoted when it has spaces."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _json_values(command: str, text: str) -> list:
    """Every JSON value in ``text``, one after another (whitespace between them)."""
    decoder = json.JSONDecoder()
    values = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return values
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise _usage(command, *_json_problem(text, exc)) from None
        values.append(value)


def _json_problem(text: str, exc: json.JSONDecodeError) -> tuple[str, str]:
    """(what went wrong, the JSON with a caret under the spot)."""
    at = text[exc.pos : exc.pos + 1]
    hint = ' (strings need double quotes: "blue")' if at.isalpha() or at == "'" else ""
    shown = text.rstrip()
    caret = " " * min(exc.pos, len(shown)) + "^"
    return f"has bad JSON in {shown!r}: {exc.msg} at character {exc.pos + 1}{hint}", f"  {shown}\n  {caret}"


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _encodable(request: dict) -> dict:
    try:
        protocol.encode(request)
    except (TypeError, ValueError, OverflowError) as exc:  # ormsgpack's errors are TypeErrors
        raise UsageError(f"cannot send that value: {exc}") from None
    return request


__all__ = ["HELP", "Local", "Parsed", "READ_ONLY", "Sentence", "USAGE", "is_read_only", "parse_line"]

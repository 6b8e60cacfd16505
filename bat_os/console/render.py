"""Requests and replies as text for people. Pure: every function returns a string.

Results whose shape this client does not expect are never an error: they
are shown as JSON, with a line saying so (:func:`format_result`).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any, Callable

from .questions import describe_answer

SHOWN_CHARS = 300  # strings longer than this are shortened when a brief is shown (not when sent)
HIT_CHARS = 240  # how much of each search hit's text is shown


class Unexpected(Exception):
    """A result that does not have the shape its command promises (caught here, shown as JSON)."""


def jsonable(value: Any) -> Any:
    """A msgpack value as plain JSON: bytes become ``{"$bytes": base64}``, keys strings."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def pretty(value: Any) -> str:
    return json.dumps(jsonable(value), indent=2, ensure_ascii=False)


def compact(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False)


# --- errors ------------------------------------------------------------------------------------


def format_error(reply: dict) -> str:
    """``error [code]: message`` and the details, one per line (tracebacks as indented text)."""
    body = reply.get("error")
    if not isinstance(body, dict):
        return f"error: malformed reply from the kernel: {pretty(reply)}"
    if body.get("code") == "cycle_failed" and isinstance(body.get("reasons"), list) and body["reasons"]:
        reasons = [str(r) for r in body["reasons"]]  # a few lines, not every attempt: /cycle has them all
        return "\n".join([f"error [cycle_failed]: cycle {body.get('cycle', '?')} failed in {body.get('state', '?')}",
                          f"  why: {reasons[-1]}", f"  ({len(reasons)} reason(s) in all: /cycle {body.get('cycle', '?')})"])
    lines = [f"error [{body.get('code', '?')}]: {body.get('message', '')}"]
    for key, value in body.items():
        if key in ("code", "message"):
            continue
        if isinstance(value, str) and "\n" in value:
            lines.append(f"  {key}:")
            lines.extend("    " + line for line in value.rstrip("\n").splitlines())
        elif key == "reasons" and isinstance(value, list):
            lines.append("  reasons:")
            lines.extend(f"    - {reason}" for reason in value)
        else:
            lines.append(f"  {key}: {compact(value)}")
    return "\n".join(lines)


def format_strange(reply: Any) -> str:
    """A final reply that is neither ok nor error."""
    return f"the kernel sent a reply this client does not understand: {compact(reply)}"


# --- results -------------------------------------------------------------------------------------


def format_result(command: str, result: Any) -> str:
    """An ok result for people: each command's own layout, or JSON when it has none (or an odd shape)."""
    formatter = _FORMATTERS.get(command)
    if formatter is None:
        return cycle_answer(result, None) if is_cycle_result(result) else pretty(result)
    try:
        return formatter(result)
    except (Unexpected, AttributeError, KeyError, TypeError, ValueError):
        return f"(the {command} result has a shape this client does not know; as it came:)\n{pretty(result)}"


def format_answer(result: Any, target: str | None) -> str:
    """What a sentence's request came to: a cycle's installation and answer, or the method's answer."""
    if is_cycle_result(result):
        return cycle_answer(result, target)
    return "answer: " + _value(result)


def is_cycle_result(result: Any) -> bool:
    """``{"cycle", "selector", "installed_on", "result"}`` (and maybe ``"joined"``): a cycle ran for it."""
    return isinstance(result, dict) and {"cycle", "selector", "installed_on", "result"} <= set(result) <= {
        "cycle", "selector", "installed_on", "result", "joined"}


def cycle_answer(result: dict, target: str | None) -> str:
    where = target or result.get("installed_on")
    verb = "joined the cycle that installed" if result.get("joined") else "installed"
    return f"{verb} {result.get('selector')} on {where} (cycle {result.get('cycle')})\nanswer: {_value(result.get('result'))}"


def _value(value: Any) -> str:
    """A method's answer: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    text = pretty(value)
    return text if "\n" not in text else "\n" + text


def _ping(result: dict) -> str:
    return f"pong (uptime {float(result['uptime']):.1f}s)"


def _set_slot(result: dict) -> str:
    return f"ok: {result['target']}.{result['slot']} set"


def _ask(result: dict) -> str:
    answers = result.get("answers") or [result]
    return "\n\n".join(f"{a['persona']} ({a.get('model')}):\n{str(a['text']).strip()}" for a in answers)


def _search(result: dict) -> str:
    hits = result["hits"]
    if not isinstance(hits, list):
        raise Unexpected("hits")
    if not hits:
        return f"no hits ({result.get('mode', '?')} search)"
    lines = [f"{len(hits)} hit{'s' if len(hits) != 1 else ''} ({result.get('mode', '?')} search):"]
    for number, hit in enumerate(hits, 1):
        text = " ".join(str(hit["text"]).split())
        if len(text) > HIT_CHARS:
            text = text[:HIT_CHARS] + "..."
        lines.append(f"{number:>3}. {hit['doc_id']} #{hit.get('chunk', '?')}  score {float(hit['score']):.3f}")
        lines.append(f"     {text}")
    return "\n".join(lines)


def _ingest(result: dict) -> str:
    if result.get("unchanged"):
        return f"{result['doc_id']}: unchanged (identical content is already remembered)"
    return f"remembered {result['doc_id']}: {result['chunks']} chunks from {result.get('sentences', '?')} sentences"


def _forget(result: dict) -> str:
    return f"forgot {result['doc_id']} ({result['chunks']} chunks)"


def _status(result: dict) -> str:
    image = result.get("image") or {}
    requests = result.get("requests") or {}
    cycles = result.get("cycles") or {}
    knowledge = result.get("knowledge") or {}
    lines = [
        f"kernel {result.get('version', '?')} pid {result.get('pid', '?')} at {result['endpoint']}, up {float(result['uptime']):.1f}s",
        f"image {image.get('path', '?')} ({_size(image.get('size_bytes'))}, schema {image.get('schema_version', '?')}), {result.get('objects', '?')} objects",
        f"queue {result.get('queue_depth', '?')}/{result.get('queue_size', '?')}; requests {requests.get('received', '?')} received, "
        f"{requests.get('errors', '?')} errors, {requests.get('busy', '?')} busy",
        f"cycles {cycles.get('total', '?')} total, unfinished: {', '.join(map(str, cycles.get('unfinished') or [])) or 'none'}; "
        f"active {result.get('active_cycles', '?')}",
        f"knowledge {knowledge.get('documents', '?')} documents, {knowledge.get('chunks', '?')} chunks",
    ]
    upkeep = result.get("upkeep")
    if upkeep:
        history, last = upkeep.get("history"), upkeep.get("last_backup")
        lines.append(f"upkeep: history {_size(history['bytes']) if history else 'not measured yet'}, last backup "
                     f"{last['id'] + ' (' + str(last.get('kind')) + ')' if last else 'none'}, next {upkeep.get('next_backup_iso') or 'none scheduled'}")
    heartbeat = result.get("heartbeat")
    if heartbeat and heartbeat.get("enabled"):
        budget = heartbeat.get("budget") or {}
        regressions = heartbeat.get("regressions") or []
        lines.append(f"heartbeat every {heartbeat.get('every')}s, {heartbeat.get('beats', 0)} beats; "
                     f"{budget.get('runs_used', '?')}/{budget.get('runs_per_hour', '?')} actions this hour; "
                     f"{len(regressions)} regression(s)" + "".join(f"\n  regression: {r.get('object')}.{r.get('selector')}: "
                                                                   f"{r.get('message')}" for r in regressions[:5]))
        lines.extend(f"  next: {step}" for step in heartbeat.get("plan") or [])
    elif heartbeat is not None:
        lines.append("heartbeat off")
    if "llm" in result:
        lines.append(f"llm {_llm(result)}")
    return "\n".join(lines)


def _llm(result: dict) -> str:
    """The backend and, for the personas' own models, the engine each runs on (``models.engines``):
    ``models on llama.cpp``, ``models on llama.cpp: ALFRED, BRICK; transformers: ROBIN; no model: BABS``."""
    backend = result["llm"] if isinstance(result["llm"], str) else compact(result["llm"])
    models = result.get("models") or {}
    used = models.get("engines") or {}
    if not used:  # the replay backend, or no persona has a model yet
        return backend + (": no persona has a model" if models.get("manager") is not None else "")
    none = [persona for persona, entry in (models.get("personas") or {}).items() if not (entry or {}).get("model")]
    if len(used) == 1 and not none:
        return f"{backend} on {next(iter(used))}"
    parts = [f"{engine}: {', '.join(personas)}" for engine, personas in used.items()]
    return f"{backend} on " + "; ".join(parts + ([f"no model: {', '.join(none)}"] if none else []))


def _pack(result: dict) -> str:
    if not result.get("packed"):
        return f"nothing to drop: the image is {_size(result.get('size_after'))}" + (
            f" (backed up first: {result['backup']})" if result.get("backup") else "")
    return (f"packed: {_size(result.get('size_before'))} -> {_size(result.get('size_after'))} in {result.get('seconds')}s"
            f", history kept {result.get('days')} days" + (f"; backed up first: {result['backup']}" if result.get("backup") else ""))


def _size(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "? bytes"
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value} bytes"  # not reached


def _cycle(result: dict) -> str:
    history = " -> ".join(str(h["state"]) for h in result.get("history") or [])
    lines = [f"cycle {result['cycle']}: {result['state']}  ({result.get('selector')} on {result.get('receiver')})"]
    if history:
        lines.append(f"  history: {history}")
    if result.get("reasons"):
        lines.append("  reasons:")
        lines.extend(f"    - {reason}" for reason in result["reasons"])
    if result.get("state") == "COMPLETE":
        lines.append("  result: " + _value(result.get("result")))
    return "\n".join(lines)


def _selfcheck(result: dict) -> str:
    line = (f"healthy: schema {result['schema_version']} of {result.get('expected_schema_version', '?')}, "
            f"{result.get('objects', '?')} objects, {result.get('methods', '?')} methods")
    tests = result.get("tests")
    if isinstance(tests, dict):
        line += f"; {tests.get('cases', 0)} stored tests of {tests.get('methods', 0)} learned methods hold"
    return line


def format_object(info: dict) -> str:
    """``inspect`` of a UvmObject, with method sources as code rather than JSON strings."""
    if "methods" not in info:
        return pretty(info)  # not a UvmObject (the knowledge catalog): its summary as it came
    title = info.get("name") or "(unnamed)"
    lines = [f"{title}  {info.get('oid')}  {info.get('type')}"]
    slots = info.get("slots") or {}
    lines.append("slots:" if slots else "slots: none")
    for slot, value in slots.items():
        lines.append(f"  {slot}: " + pretty(value).replace("\n", "\n  "))
    parents = info.get("parents") or []
    lines.append("parents:" if parents else "parents: none")
    lines.extend("  " + compact(parent) for parent in parents)
    methods = info.get("methods") or {}
    if methods:
        lines.append("methods:")
        for selector, meta in methods.items():
            meta = meta if isinstance(meta, dict) else {}
            lines.append(f"  {selector}  ({meta.get('origin', '?')}, by {meta.get('author', '?')})")
            source = meta.get("source")
            if isinstance(source, str):
                lines.extend("      " + line for line in source.rstrip("\n").splitlines())
    else:
        lines.append("methods: none of its own")
    lines.append("understands: " + ", ".join(str(s) for s in info.get("understands", [])))
    return "\n".join(lines)


def _clone(result: dict) -> str:
    made = result["object"]
    return (f"made {made.get('$oid')}" + (f" (root {result['name']})" if result.get("name") else "")
            + f", delegating to {result['parent'].get('name') or result['parent'].get('$oid')}")


def _methods(result: dict) -> str:
    rows = result["methods"]
    if not rows:
        return f"{result['target']} understands no method"
    table = [("selector", "origin", "version", "cases", "calls", "author", "held by")]
    for m in rows:
        table.append((str(m["selector"]), str(m["origin"]), f"{m['version']}/{m['versions']}", str(m["cases"]),
                      str(m["calls"]), str(m["author"]), str(m["holder"]) + (" (inherited)" if m["inherited"] else "")))
    return f"{result['target']} understands {len(rows)} method(s):\n" + _table(table)


def _history(result: dict) -> str:
    table = [("version", "change", "author", "created", "lines", "cases", "")]
    for v in result["versions"]:
        table.append((str(v["version"]), str(v.get("change") or "?"), str(v["author"]), _when(v["created"]),
                      str(v["lines"]), str(v["cases"]), "current" if v["current"] else ""))
    now = f"version {result['current']} runs" if result.get("current") else "removed: none runs (/revert brings one back)"
    return f"{result['selector']} on {result['object']}: {len(result['versions'])} version(s); {now}\n" + _table(table)


def _changed(result: dict) -> str:
    line = (f"installed {result['selector']} version {result['version']} on {result['target']} "
            f"({result['cases_run']} case(s) run)")
    return line + _forced(result)


def _removed(result: dict) -> str:
    line = (f"removed {result['selector']} (version {result['removed_version']}) from {result['target']}; "
            "its history stays")
    return line + _forced(result)


def _forced(result: dict) -> str:
    forced = result.get("forced") or []
    if not forced:
        return ""
    return f"\nforced past {len(forced)} failing case(s):\n" + "\n".join(f"  - {f['selector']}: {f['message']}" for f in forced)


def _answer(result: dict) -> str:
    """``answer``: accepted, or (a failed cycle's retry) what the retry installed."""
    if is_cycle_result(result):
        return cycle_answer(result, None)
    if result.get("accepted") is not True:
        raise Unexpected("answer")
    given = f": {describe_answer(result['answer'])}" if "answer" in result else ""
    return f"answer to {result['cycle']} {result['question']} accepted{given}"


def source_parts(result: Any) -> tuple[str, str] | None:
    """``source``'s result as (a header line, the code), or None when it has another shape."""
    if not isinstance(result, dict) or not isinstance(result.get("source"), str):
        return None
    tests = result.get("tests") or []
    header = (f"{result.get('selector')} on {result.get('holder')}, version {result.get('version')} of "
              f"{result.get('versions')} ({result.get('origin')}, by {result.get('author')}"
              f"{', ' + str(len(tests)) + ' stored case(s)' if tests else ''}):")
    return header, result["source"]


def _source(result: dict) -> str:
    parts = source_parts(result)
    if parts is None:
        raise Unexpected("source")
    return parts[0] + "\n" + parts[1].rstrip("\n")


def _when(seconds: Any) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(seconds)))


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


_FORMATTERS: dict[str, Callable[[Any], str]] = {
    "ping": _ping,
    "set_slot": _set_slot,
    "inspect": format_object,
    "ask": _ask,
    "search": _search,
    "ingest": _ingest,
    "forget": _forget,
    "status": _status,
    "cycle": _cycle,
    "selfcheck": _selfcheck,
    "methods": _methods,
    "clone": _clone,
    "history": _history,
    "source": _source,
    "set_method": _changed,
    "revert": _changed,
    "remove_method": _removed,
    "pack": _pack,
    "answer": _answer,
    "drafts": lambda result: _table([("cycle", "method", "on", "why it failed"), *(
        (d["cycle"], d["selector"], d["receiver"], (d.get("reasons") or ["?"])[-1][:80]) for d in result["drafts"])])
    if result["drafts"] else "no drafts: every cycle that failed was settled",
    "draft_drop": lambda result: f"draft of cycle {result['cycle']} dropped",
    "draft_edit": _changed,
}


# --- translated requests -------------------------------------------------------------------------


def summarize(request: dict) -> str:
    """One line saying what a translated request will do."""
    command = request.get("command")
    if command == "initiate_cognitive_cycle":
        brief = request.get("mission_brief") or {}
        kwargs = {k: v for k, v in (brief.get("kwargs") or {}).items() if k != "intent"}
        call = ", ".join([*(compact(a) for a in brief.get("args") or []), *(f"{k}={compact(v)}" for k, v in kwargs.items())])
        line = f"mission: send {brief.get('selector')}({call}) to {request.get('target_oid')}; a cycle writes the method if nothing understands it"
        examples = brief.get("examples") or []
        if examples:  # the user's word, shown before it is sent
            shown_examples = "; ".join(_example(brief.get("selector"), e) for e in examples[:5])
            line += f"; it must answer {shown_examples}" + (f" (and {len(examples) - 5} more)" if len(examples) > 5 else "")
        return line
    if command == "ask":
        who = ", ".join(request.get("personas") or [str(request.get("persona"))])
        return f"ask {who}: {_short(str(request.get('prompt')), 80)}"
    if command == "search":
        return f"search the knowledge catalog for {_short(str(request.get('query')), 80)!r}"
    if command == "ingest":
        return f"remember {len(str(request.get('text', '')))} characters of text" + (
            f" as {request['doc_id']}" if request.get("doc_id") else "")
    if command == "inspect":
        return f"inspect {request.get('target')}"
    if command == "cycle":
        return f"report on cycle {request.get('cycle')}"
    return f"{command}"


def _example(selector: Any, example: dict) -> str:
    args = ", ".join([*(compact(a) for a in example.get("args") or []), *(f"{k}={compact(v)}" for k, v in (example.get("kwargs") or {}).items())])
    if "raises" in example:
        return f"{selector}({args}) raises {example['raises']}"
    return f"{selector}({args}) -> {compact(example.get('result'))}"


def shown(request: Any) -> str:
    """A request as pretty JSON for people, long strings shortened (the request sent is not)."""
    return pretty(_shorten(request))


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS]}... ({len(value) - SHOWN_CHARS} more characters)"
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "compact", "cycle_answer", "format_answer", "format_error", "format_object", "format_result",
    "format_strange", "is_cycle_result", "jsonable", "pretty", "shown", "source_parts", "summarize",
]

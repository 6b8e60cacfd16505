#!/usr/bin/env python3
"""The Architect's console for a running BAT OS kernel.

    python chat_client.py                      # interactive: "Architect > "
    python chat_client.py --ping               # exit 0 when the kernel answers, 1 when not
    python chat_client.py -c "/inspect genesis_obj" [--json]

It speaks the wire contract of :mod:`bat_os.protocol` over a DEALER socket and
imports nothing heavier than ``zmq`` and ``ormsgpack``, so it starts fast and
never touches the image. Layers, each replaceable on its own:

* :func:`parse_line` -- pure: one console line -> a request map, a local
  action (help, exit) or a :class:`UsageError`. Plain text (no leading ``/``)
  raises :class:`PlainText`, the hook for the natural-language translator.
* :class:`Connection` -- sends one request, waits with a timeout, skips stale
  replies by id, reports progress events, never hangs.
* :class:`Console` -- prints replies for people (or as JSON lines for scripts).
* :func:`repl` / :func:`one_shot` -- the two ways of running.

Exit codes of the one-shot modes: 0 ok; 1 error reply (``--ping``: no
answer); 2 kernel unreachable (no reply within the timeout); 64 usage error;
130 interrupted.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

import zmq

from bat_os import protocol

PROMPT = "Architect > "
DEFAULT_TIMEOUT = 10.0
HISTORY_FILE = Path("~/.batos_history")
HISTORY_LENGTH = 1000

EXIT_OK = 0
EXIT_ERROR_REPLY = 1
EXIT_NO_PONG = 1
EXIT_UNREACHABLE = 2
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130

HELP = """\
Commands (TARGET is a root name such as genesis_obj, or an object id such as 0x03):
  /ping                                      is the kernel alive?
  /status                                    uptime, image, objects, queue
  /inspect TARGET                            slots, parents and methods of an object
  /set TARGET SLOT JSON                      set a data slot, e.g. /set genesis_obj colour "blue"
  /send TARGET SELECTOR [ARGS] [KWARGS]      send a message; ARGS a JSON list, KWARGS a JSON object,
                                             e.g. /send genesis_obj echo [1, 2] {"a": 3}
  /ask PERSONA[,PERSONA...] PROMPT           ask a persona's model (several: each builds on the earlier answers),
                                             e.g. /ask ROBIN what is a living image?
  /help                                      this text
  /exit                                      leave (so do /quit and Ctrl+D)
Values are JSON: strings need double quotes; {"$oid": "0x03"} refers to an object."""

PLAIN_TEXT_HINT = (
    "Plain English is not understood yet; commands start with '/'. "
    "Try /help, or e.g. /send genesis_obj describe"
)


# --- parsing: a console line -> what to do -------------------------------------------


class UsageError(ValueError):
    """A console line that cannot become a request; the message says why and how."""


class PlainText(UsageError):
    """A line that is not a slash command (later: handed to the translator)."""

    def __init__(self, text: str) -> None:
        super().__init__(PLAIN_TEXT_HINT)
        self.text = text


@dataclass(frozen=True)
class Local:
    """An action the console performs itself, without the kernel."""

    action: str  # "help" | "exit"


USAGE = {
    "ping": "/ping",
    "status": "/status",
    "inspect": "/inspect TARGET",
    "set": "/set TARGET SLOT JSON",
    "send": "/send TARGET SELECTOR [ARGS-JSON-LIST] [KWARGS-JSON-OBJECT]",
    "ask": "/ask PERSONA[,PERSONA...] PROMPT",
    "help": "/help",
    "exit": "/exit",
}

ALIASES = {"quit": "exit", "q": "exit", "h": "help", "?": "help", "set_slot": "set"}


def parse_line(line: str) -> dict | Local:
    """Turn one console line into a request map (no ``id``) or a :class:`Local` action.

    Raises :class:`PlainText` for text without a leading ``/`` and
    :class:`UsageError` for a slash command that is unknown, incomplete or
    carries bad JSON. Pure: nothing is sent, printed or read.
    """
    text = line.strip()
    if not text:
        raise UsageError("empty line; try /help")
    if not text.startswith("/"):
        raise PlainText(text)
    words = text[1:].split(None, 1)
    head = words[0] if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    name = ALIASES.get(head.lower(), head.lower())
    if name in ("ping", "status"):
        _no_arguments(name, rest)
        return {"command": name}
    if name in ("help", "exit"):
        _no_arguments(name, rest)
        return Local(name)
    if name == "inspect":
        parts = rest.split()
        if len(parts) != 1:
            raise _usage(name, "needs exactly one TARGET")
        return {"command": "inspect", "target": parts[0]}
    if name == "set":
        parts = rest.split(None, 2)
        if len(parts) < 3:
            raise _usage(name, "needs a TARGET, a SLOT and a JSON value")
        target, slot, value_text = parts
        _check_name(name, "SLOT", slot)
        values = _json_values(name, value_text)
        if len(values) != 1:
            raise _usage(name, f"takes one JSON value, got {len(values)}; quote strings and wrap several values in a list")
        return _encodable({"command": "set_slot", "target": target, "slot": slot, "value": values[0]})
    if name == "send":
        parts = rest.split(None, 2)
        if len(parts) < 2:
            raise _usage(name, "needs a TARGET and a SELECTOR")
        target, selector = parts[0], parts[1]
        _check_name(name, "SELECTOR", selector)
        values = _json_values(name, parts[2]) if len(parts) == 3 else []
        args: Any = []
        kwargs: Any = {}
        if len(values) == 1 and isinstance(values[0], dict):
            kwargs = values[0]  # keyword arguments alone: /send T S {"a": 1}
        elif len(values) == 1:
            args = values[0]
        elif len(values) == 2:
            args, kwargs = values
        elif len(values) > 2:
            raise _usage(name, f"takes at most two JSON values (a list and an object), got {len(values)}")
        if not isinstance(args, list):
            raise _usage(name, f"ARGS must be a JSON list such as [1, \"two\"], not {_json_kind(args)}")
        if not isinstance(kwargs, dict):
            raise _usage(name, f"KWARGS must be a JSON object such as {{\"a\": 1}}, not {_json_kind(kwargs)}")
        return _encodable({"command": "send", "target": target, "selector": selector, "args": args, "kwargs": kwargs})
    if name == "ask":
        parts = rest.split(None, 1)
        if len(parts) < 2:
            raise _usage(name, "needs a PERSONA and a PROMPT")
        personas = [p for p in parts[0].upper().split(",") if p]
        if len(personas) == 1:
            return {"command": "ask", "persona": personas[0], "prompt": parts[1]}
        return {"command": "ask", "personas": personas, "prompt": parts[1]}
    raise UsageError(f"unknown command /{head}; known: {', '.join('/' + n for n in USAGE)} (see /help)")


def _usage(name: str, problem: str) -> UsageError:
    return UsageError(f"/{name} {problem}. Usage: {USAGE[name]}")


def _no_arguments(name: str, rest: str) -> None:
    if rest:
        raise _usage(name, "takes no arguments")


def _check_name(command: str, what: str, value: str) -> None:
    if not value.isidentifier():
        raise _usage(command, f"{what} must be a name such as 'colour', not {value!r}")


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
            at = text[exc.pos : exc.pos + 1]
            hint = ' (strings need double quotes: "blue")' if at.isalpha() or at == "'" else ""
            raise _usage(command, f"has bad JSON in {text.strip()!r}: {exc.msg} at character {exc.pos + 1}{hint}") from None
        values.append(value)


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _encodable(request: dict) -> dict:
    try:
        protocol.encode(request)
    except (TypeError, ValueError, OverflowError) as exc:  # ormsgpack's errors are TypeErrors
        raise UsageError(f"cannot send that value: {exc}") from None
    return request


# --- talking to the kernel ----------------------------------------------------------------


class NoReply(Exception):
    """The kernel did not answer within the timeout (it may be down, or busy)."""


class Connection:
    """One DEALER socket to the kernel; one request at a time, every wait bounded.

    Replies carry the request's id; one with another id (a late answer to a
    request we gave up on) is dropped. After a timeout or an interrupt the
    socket is replaced, so such late answers cannot even arrive.
    """

    POLL_SLICE_MS = 200  # wait in slices so Ctrl+C is noticed promptly

    def __init__(self, endpoint: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._context = zmq.Context()
        self._socket: zmq.Socket | None = None
        self._ids = itertools.count(1)
        self.discarded = 0  # stale or undecodable frames dropped

    def request(
        self,
        message: dict,
        *,
        timeout: float | None = None,
        on_event: Callable[[dict], None] | None = None,
    ) -> dict:
        """Send ``message`` and return the final reply (``ok`` or ``error``).

        With ``on_event``, asks for progress events and passes each one on;
        an event also restarts the timeout (the kernel is working on it).
        Raises :class:`NoReply` when nothing comes back within the timeout.
        """
        wait = self.timeout if timeout is None else timeout
        request_id = next(self._ids)
        message = dict(message, id=request_id)
        if message.get("command") != "ping":
            # The kernel drops the request rather than run it after we gave up.
            message.setdefault("timeout", wait)
        if on_event is not None:
            message["events"] = True
        payload = protocol.encode(message)
        sock = self._connect()
        try:
            try:
                sock.send(payload, zmq.NOBLOCK)
            except zmq.Again:
                raise NoReply(f"could not queue the request to {self.endpoint}") from None
            deadline = time.monotonic() + wait
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NoReply(f"no reply from the kernel at {self.endpoint} within {wait:g}s")
                if not sock.poll(min(self.POLL_SLICE_MS, max(1, int(remaining * 1000)))):
                    continue
                reply = self._decode(sock.recv())
                if reply is None or not self._answers(reply, request_id):
                    self.discarded += 1
                    continue
                if reply.get("status") == "event":
                    if on_event is not None:
                        on_event(reply)
                    deadline = time.monotonic() + wait
                    continue
                return reply
        except BaseException:  # NoReply, KeyboardInterrupt, ...: start afresh next time
            self._reset()
            raise

    @staticmethod
    def _decode(frame: bytes) -> dict | None:
        try:
            reply = protocol.decode(frame)
        except protocol.DecodeError:
            return None
        return reply if isinstance(reply, dict) else None

    @staticmethod
    def _answers(reply: dict, request_id: int) -> bool:
        if reply.get("id") == request_id:
            return True
        # A frame the kernel could not decode (e.g. too_large) is answered
        # without an id; the socket is fresh after every abandoned wait, so
        # an id-less error can only be about the request in flight.
        return reply.get("id") is None and reply.get("status") == "error"

    def _connect(self) -> zmq.Socket:
        if self._socket is None:
            sock = self._context.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(self.endpoint)
            self._socket = sock
        return self._socket

    def _reset(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def close(self) -> None:
        self._reset()
        self._context.term()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --- showing replies -------------------------------------------------------------------------


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


class Console:
    """Prints replies: for people, or (``as_json``) one JSON object per line."""

    def __init__(self, out: TextIO, err: TextIO, as_json: bool = False) -> None:
        self.out = out
        self.err = err
        self.as_json = as_json

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def complain(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def event(self, reply: dict) -> None:
        if self.as_json:
            self.say(_compact(reply))
            return
        event = reply.get("event") or {}
        kind = event.get("type", "event") if isinstance(event, dict) else "event"
        details = {k: v for k, v in event.items() if k != "type"} if isinstance(event, dict) else event
        self.say(f"... {kind}" + (f" {_compact(details)}" if details else ""))

    def reply(self, request: dict, reply: dict) -> None:
        if self.as_json:
            self.say(_compact(reply))
            return
        if reply.get("status") == "ok":
            self.say(format_result(request.get("command", ""), reply.get("result")))
        else:
            self.complain(format_error(reply))


def format_error(reply: dict) -> str:
    body = reply.get("error")
    if not isinstance(body, dict):
        return f"error: malformed reply from the kernel: {pretty(reply)}"
    lines = [f"error [{body.get('code', '?')}]: {body.get('message', '')}"]
    for key, value in body.items():
        if key in ("code", "message"):
            continue
        if isinstance(value, str) and "\n" in value:
            lines.append(f"  {key}:")
            lines.extend("    " + line for line in value.rstrip("\n").splitlines())
        else:
            lines.append(f"  {key}: {_compact(value)}")
    return "\n".join(lines)


def format_result(command: str, result: Any) -> str:
    if command == "ping" and isinstance(result, dict):
        return f"pong (uptime {result.get('uptime', 0):.1f}s)"
    if command == "set_slot" and isinstance(result, dict):
        return f"ok: {result.get('target')}.{result.get('slot')} set"
    if command == "inspect" and isinstance(result, dict) and "methods" in result:
        return format_object(result)
    if command == "ask" and isinstance(result, dict) and "text" in result:
        answers = result.get("answers") or [result]
        return "\n\n".join(f"{a.get('persona')} ({a.get('model')}):\n{a.get('text', '').strip()}" for a in answers)
    return pretty(result)


def format_object(info: dict) -> str:
    """``inspect`` of a UvmObject, with method sources as code rather than JSON strings."""
    title = info.get("name") or "(unnamed)"
    lines = [f"{title}  {info.get('oid')}  {info.get('type')}"]
    slots = info.get("slots") or {}
    lines.append("slots:" if slots else "slots: none")
    for slot, value in slots.items():
        lines.append(f"  {slot}: " + _indent_after_first(pretty(value), "  "))
    parents = info.get("parents") or []
    lines.append("parents:" if parents else "parents: none")
    lines.extend("  " + _compact(parent) for parent in parents)
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


def _indent_after_first(text: str, indent: str) -> str:
    return text.replace("\n", "\n" + indent)


def _compact(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False)


# --- running ----------------------------------------------------------------------------------


def one_shot(connection: Connection, console: Console, line: str, events: bool = False) -> int:
    """Run one console line; the exit code says how it went."""
    try:
        parsed = parse_line(line)
    except UsageError as exc:
        console.complain(str(exc))
        return EXIT_USAGE
    if isinstance(parsed, Local):
        if parsed.action == "help":
            console.say(HELP)
        return EXIT_OK
    try:
        reply = connection.request(parsed, on_event=console.event if events else None)
    except NoReply as exc:
        console.complain(f"{exc}; is it running?")
        return EXIT_UNREACHABLE
    console.reply(parsed, reply)
    return EXIT_OK if reply.get("status") == "ok" else EXIT_ERROR_REPLY


def ping(connection: Connection, console: Console) -> int:
    try:
        reply = connection.request({"command": "ping"})
    except NoReply as exc:
        console.complain(f"{exc}; is it running?")
        return EXIT_NO_PONG
    console.reply({"command": "ping"}, reply)
    return EXIT_OK if reply.get("status") == "ok" else EXIT_NO_PONG


def repl(connection: Connection, console: Console, stdin: TextIO, events: bool = False) -> int:
    """The interactive loop; returns 0 on /exit or end of input."""
    interactive = stdin.isatty()
    history = _setup_readline() if interactive else None
    console.say(f"BAT OS console -- kernel at {connection.endpoint}. /help for commands, /exit to leave.")
    try:
        while True:
            try:
                line = _read_line(stdin, interactive)
            except KeyboardInterrupt:
                console.say("")  # Ctrl+C at the prompt: a fresh prompt, as in Python's REPL
                continue
            if line is None:  # end of input (Ctrl+D)
                if interactive:
                    console.say("")
                return EXIT_OK
            if not interactive:
                console.say(PROMPT + line)  # a piped session reads like a transcript
            if not line.strip():
                continue
            try:
                parsed = parse_line(line)
            except UsageError as exc:
                console.say(str(exc))
                continue
            if isinstance(parsed, Local):
                if parsed.action == "exit":
                    return EXIT_OK
                console.say(HELP)
                continue
            try:
                reply = connection.request(parsed, on_event=console.event if events else None)
            except NoReply as exc:
                console.say(f"{exc}. The session goes on; try again, or /ping.")
                continue
            except KeyboardInterrupt:
                console.say("\n(interrupted: stopped waiting; the request may still complete)")
                continue
            _show_in_session(console, parsed, reply)
    finally:
        if history is not None:
            _save_history(history)


def _show_in_session(console: Console, request: dict, reply: dict) -> None:
    # In a session everything goes to one stream, in order.
    if console.as_json or reply.get("status") == "ok":
        console.reply(request, reply)
    else:
        console.say(format_error(reply))


def _read_line(stdin: TextIO, interactive: bool) -> str | None:
    if interactive and stdin is sys.stdin:
        try:
            return input(PROMPT)
        except EOFError:
            return None
    line = stdin.readline()
    if not line:
        return None
    return line.rstrip("\r\n")


def _setup_readline() -> Path | None:
    """Line editing and history when the platform has readline; None when not."""
    try:
        import readline
    except ImportError:
        return None
    try:
        path = Path(os.environ.get("BATOS_HISTORY") or HISTORY_FILE).expanduser()
        readline.read_history_file(path)
    except RuntimeError:  # no home directory to keep it in
        return None
    except (OSError, ValueError):
        pass  # no history yet, or unreadable: start without one
    readline.set_history_length(HISTORY_LENGTH)
    return path


def _save_history(path: Path) -> None:
    try:
        import readline

        readline.write_history_file(path)
    except (ImportError, OSError, ValueError):
        pass  # history is a convenience; never fail the session over it


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chat_client.py",
        description="The Architect's console for a BAT OS kernel: interactive, or one command for scripts.",
        epilog="Exit codes (one-shot): 0 ok, 1 error reply (--ping: no answer), 2 no reply within the timeout, "
        "64 usage error, 130 interrupted. Type /help in the console for its commands.",
    )
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("BATOS_ENDPOINT") or protocol.DEFAULT_ENDPOINT,
        help=f"kernel endpoint (default: env BATOS_ENDPOINT, else {protocol.DEFAULT_ENDPOINT})",
    )
    parser.add_argument("--timeout", type=_positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS", help=f"how long to wait for each reply (default {DEFAULT_TIMEOUT:g})")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--ping", action="store_true", help="check the kernel answers: exit 0 if so, 1 if not")
    mode.add_argument("-c", "--command", metavar="LINE", help='run one console command, e.g. -c "/status", and exit')
    parser.add_argument("--json", action="store_true", help="print each reply as one line of raw JSON")
    parser.add_argument("--events", action="store_true", help="ask for progress events and show them")
    return parser


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(sys.stdout, sys.stderr, as_json=args.json)
    with Connection(args.endpoint, args.timeout) as connection:
        try:
            if args.ping:
                return ping(connection, console)
            if args.command is not None:
                return one_shot(connection, console, args.command, events=args.events)
            return repl(connection, console, sys.stdin, events=args.events)
        except KeyboardInterrupt:
            console.complain("interrupted")
            return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

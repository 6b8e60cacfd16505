"""The command line: flags -> a session -> the REPL, one line, or a ping.

    python chat_client.py                                   # interactive: "Architect > "
    python chat_client.py --yes "what is the status?"       # one sentence: translate, send, print the answer
    python chat_client.py --brief-only --local "SENTENCE"   # the request it would send, as JSON; nothing sent
    python chat_client.py -c "/inspect genesis_obj" [--json]
    python chat_client.py --ping [--wait S]                 # exit 0 once the kernel answers
    python chat_client.py --watch [TOPIC ...] [--json]      # the kernel's event stream, live
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Mapping, TextIO

from bat_os import protocol

from .connection import Connection, Curve
from .errors import NoReply
from .inputs import LineSource, TerminalInput, open_input
from .oneshot import EXIT_INTERRUPTED, EXIT_USAGE, OneShot, ping
from .repl import DEFAULT_RECONNECT, Repl
from .screen import Screen
from .session import QUICK_TIMEOUT, WORK_TIMEOUT, Options, Session, new_conversation
from .watch import watch


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 64 (EX_USAGE), not argparse's 2 (which means 'unreachable' here)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chat_client.py",
        description="The Architect's console for a BAT OS kernel: type plain English or /commands; "
        "or give one SENTENCE (or -c LINE) for scripts.",
        epilog="The web inspector: chat_client.py --web [--port N] [--no-browser] (see chat_client.py --web --help). "
        "Exit codes (one-shot): 0 ok, 1 error reply (--ping: no answer; or not confirmed), 2 kernel unreachable "
        "(or stopped during a change), 64 usage error, 130 interrupted. Type /help in the console for its commands. "
        "Environment: BATOS_ENDPOINT, BATOS_HISTORY (default ~/.batos_history), NO_COLOR.",
    )
    parser.add_argument("sentence", nargs="*", metavar="SENTENCE",
                        help="plain English to translate, send and answer (one-shot); quotes optional")
    parser.add_argument("--endpoint", "--connect", default=environ.get("BATOS_ENDPOINT") or protocol.DEFAULT_ENDPOINT,
                        help=f"kernel endpoint (default: env BATOS_ENDPOINT, else {protocol.DEFAULT_ENDPOINT})")
    parser.add_argument("--server-key", dest="server_key", metavar="FILE",
                        help="a kernel on another machine: its server.key (CURVE; with --client-key; docs/operations.md)")
    parser.add_argument("--client-key", dest="client_key", metavar="FILE", default=environ.get("BATOS_CLIENT_KEY"),
                        help="this client's NAME.key_secret from 'batos.py remote add' (env BATOS_CLIENT_KEY)")
    parser.add_argument("--timeout", type=_positive_seconds, default=None, metavar="SECONDS",
                        help=f"how long to wait for the kernel (default {QUICK_TIMEOUT:g}s for quick requests, "
                        f"{WORK_TIMEOUT:g}s of silence for work: cycles, models, memory)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--ping", action="store_true", help="check the kernel answers: exit 0 if so, 1 if not")
    mode.add_argument("-c", "--command", metavar="LINE", help='run one console line, e.g. -c "/status", and exit')
    mode.add_argument("--brief-only", action="store_true",
                      help="print the request SENTENCE translates to (JSON) and send nothing")
    mode.add_argument("--watch", nargs="*", metavar="TOPIC", default=None,
                      help="show the kernel's event stream live: every topic, or those starting with a TOPIC "
                      "(cycle. persona.ROBIN. method. commit); with --json one JSON object per event")
    parser.add_argument("--wait", type=_positive_seconds, metavar="SECONDS",
                        help="with --ping: keep pinging until the kernel answers or SECONDS pass")
    parser.add_argument("--yes", "-y", action="store_true", help="send translated requests without asking")
    parser.add_argument("--local", action="store_true", help="translate with the local translator only (never the kernel's model)")
    parser.add_argument("--json", action="store_true", help="print each reply as one line of raw JSON (everything else on stderr)")
    parser.add_argument("--events", action="store_true", help="print every progress event as it comes (instead of the live display)")
    parser.add_argument("--reconnect", type=_positive_seconds, default=DEFAULT_RECONNECT, metavar="SECONDS",
                        help=f"console: how long to wait for a kernel that stopped answering (default {DEFAULT_RECONNECT:g})")
    return parser


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Combinations argparse cannot express."""
    if args.wait is not None and not args.ping:
        parser.error("--wait goes with --ping")
    if args.sentence and (args.ping or args.command is not None or args.watch is not None):
        parser.error("give a SENTENCE, -c LINE, --ping or --watch, not several")
    if args.brief_only and not args.sentence:
        parser.error("--brief-only needs a SENTENCE")


def _curve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Curve | None:
    """The CURVE keys for a kernel on another machine (both files, or neither)."""
    if args.server_key is None and args.client_key is None:
        return None
    if args.server_key is None or args.client_key is None:
        parser.error("--server-key and --client-key go together (a kernel on another machine)")
    try:
        return Curve.from_files(args.server_key, args.client_key)
    except ValueError as exc:
        parser.error(str(exc))


def main(
    argv: list[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run the console; the exit code."""
    environ = os.environ if environ is None else environ
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser(environ)
    args = parser.parse_args(argv)
    _check(parser, args)
    one_line = args.command if args.command is not None else " ".join(args.sentence) if args.sentence else None
    interactive = one_line is None and not args.ping and args.watch is None
    screen = Screen(stdout, stderr, as_json=args.json, info_to_stderr=args.json or args.brief_only,
                    session=interactive, environ=environ)
    options = Options(timeout=args.timeout, yes=args.yes, local=args.local, raw_events=args.events)
    with Connection(args.endpoint, options.quick_timeout, curve=_curve(parser, args)) as connection:
        try:
            if args.ping:
                return ping(Session(connection, screen, options), args.wait)
            if args.watch is not None:
                return watch(lambda: _status(connection), screen, args.watch, as_json=args.json)
            if one_line is not None:
                session = Session(connection, screen, options, _asker(stdin, screen))
                return OneShot(session, brief_only=args.brief_only).run(one_line)
            source = open_input(stdin, screen, environ)
            options.conversation = new_conversation()
            return Repl(Session(connection, screen, options, source), source, args.reconnect).run()
        except KeyboardInterrupt:
            screen.problem("interrupted")
            return EXIT_INTERRUPTED


def _status(connection: Connection) -> dict | None:
    """The kernel's status result, or None when it does not answer."""
    try:
        reply = connection.request({"command": "status"})
    except NoReply:
        return None
    return reply.get("result") if reply.get("status") == "ok" else None


def _asker(stdin: TextIO, screen: Screen) -> LineSource | None:
    """Who answers 'Send it?' in one-shot mode: a person at a terminal, or nobody."""
    if stdin.isatty() and screen.interactive_output:
        return TerminalInput(history=None)
    return None


__all__ = ["build_parser", "main"]

"""``chat_client.py --web``: start the inspector's server, print its URL (with the launch's token), serve until
stopped (SIGINT, SIGTERM; CTRL_BREAK on Windows).

Loopback only unless ``--bind ADDR`` comes with ``--expose``: whoever reaches the port and has the token can
change the image. The token is new at every launch (``secrets.token_urlsafe``).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import secrets
import sys
import webbrowser
from dataclasses import dataclass
from typing import Callable, Mapping, TextIO

from bat_os import oscompat, protocol

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8765
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 64


@dataclass(frozen=True)
class WebOptions:
    endpoint: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    expose: bool = False
    open_browser: bool = True


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 64 (EX_USAGE), as the console's do."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = _Parser(prog="chat_client.py --web", description="The web inspector: a page in the browser that shows "
                     "the living image and works on it, through the kernel (docs/inspector.md).")
    parser.add_argument("--web", action="store_true", required=True, help="serve the inspector")
    parser.add_argument("--endpoint", default=environ.get("BATOS_ENDPOINT") or protocol.DEFAULT_ENDPOINT,
                        help=f"kernel endpoint (default: env BATOS_ENDPOINT, else {protocol.DEFAULT_ENDPOINT})")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="N",
                        help=f"the port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--bind", default="127.0.0.1", metavar="ADDR",
                        help="listen on ADDR instead of 127.0.0.1 (needs --expose: it exposes the image)")
    parser.add_argument("--expose", action="store_true", help="with --bind: yes, listen beyond this machine")
    parser.add_argument("--no-browser", action="store_true", help="print the URL, open no browser")
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, not {value}")
    return value


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
         environ: Mapping[str, str] | None = None) -> int:
    """``chat_client.py --web ...``: the exit code."""
    args = build_parser(os.environ if environ is None else environ).parse_args(argv)
    options = WebOptions(args.endpoint, args.bind, args.port, args.expose, not args.no_browser)
    return run(options, stdout or sys.stdout, stderr or sys.stderr)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(options: WebOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr,
        make_token: Callable[[], str] = lambda: secrets.token_urlsafe(24)) -> int:
    """Serve until stopped; the exit code."""
    if not is_loopback(options.host) and not options.expose:
        err.write(f"chat_client.py: --bind {options.host} would let anyone who reaches it change the image; "
                  "add --expose to mean it\n")
        return EXIT_USAGE
    if not is_loopback(options.host):
        err.write(f"warning: the inspector listens on {options.host}: anyone with the URL can read and change the image\n")
    try:
        return asyncio.run(_serve(options, make_token(), out, err))
    except OSError as exc:
        err.write(f"chat_client.py: cannot serve on {options.host}:{options.port}: {exc}\n")
        return EXIT_ERROR


async def _serve(options: WebOptions, token: str, out: TextIO, err: TextIO) -> int:
    from aiohttp import web

    from bat_os.web.link import KernelLink
    from bat_os.web.server import make_app

    link = KernelLink(options.endpoint)
    await link.start()
    runner = web.AppRunner(make_app(link, token), access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    undo = oscompat.install_stop_signals(asyncio.get_running_loop(), stop.set)
    try:
        site = web.TCPSite(runner, options.host, options.port)
        await site.start()
        port = runner.addresses[0][1]
        shown = options.host if ":" not in options.host else f"[{options.host}]"
        url = f"http://{shown}:{port}/?token={token}"
        out.write(f"inspector: {url}\n")
        out.flush()
        err.write(f"the inspector talks to the kernel at {options.endpoint}; Ctrl+C to stop\n")
        if options.open_browser:
            asyncio.get_running_loop().run_in_executor(None, _open, url)
        await stop.wait()
    finally:
        undo()
        await runner.cleanup()
        await link.close()
    return EXIT_OK


def _open(url: str) -> None:
    try:
        webbrowser.open(url)
    except Exception as exc:  # noqa: BLE001 - no browser here: the URL is printed
        logger.info("no browser opened: %s", exc)


__all__ = ["DEFAULT_PORT", "WebOptions", "build_parser", "is_loopback", "main", "run"]

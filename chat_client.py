#!/usr/bin/env python3
"""The Architect's console for a running BAT OS kernel (the code lives in :mod:`bat_os.console`).

    python chat_client.py                                   # interactive: "Architect > "
    python chat_client.py --yes "what is the status?"       # one sentence, for scripts
    python chat_client.py --brief-only --local "SENTENCE"   # what it would send; nothing sent
    python chat_client.py -c "/inspect genesis_obj" [--json]
    python chat_client.py --ping [--wait S] [--timeout S]   # exit 0 when the kernel answers, 1 when not
    python chat_client.py --web [--port N] [--no-browser]   # the web inspector (bat_os.web), on 127.0.0.1

Exit codes of the one-shot modes: 0 ok; 1 error reply (``--ping``: no
answer); 2 kernel unreachable; 64 usage error; 130 interrupted. See
docs/client.md.
"""

from __future__ import annotations

import sys

from bat_os.console.app import main
from bat_os.console.connection import Connection
from bat_os.console.errors import KernelDown, NoReply, UsageError
from bat_os.console.parsing import Local, Sentence, parse_line
from bat_os.console.render import format_error, format_result

__all__ = [
    "Connection", "KernelDown", "Local", "NoReply", "Sentence", "UsageError",
    "format_error", "format_result", "main", "parse_line",
]



def run(argv: list[str] | None = None) -> int:
    """``--web`` starts the web inspector (:mod:`bat_os.web.cli`, a client above the console); the rest is the console."""
    argv = sys.argv[1:] if argv is None else argv
    if "--web" in argv:
        from bat_os.web.cli import main as web

        return web(argv)
    return main(argv)


if __name__ == "__main__":
    sys.exit(run())

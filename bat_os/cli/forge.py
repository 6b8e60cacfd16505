"""``python batos.py forge ...``: the forge through the running kernel.

    batos.py forge dataset --out FILE.jsonl [--limit N] [COMMON]
    batos.py forge use PERSONA ADAPTER|none [COMMON]
    batos.py forge status [COMMON]
    COMMON: [--endpoint EP] [--timeout S] [--json] [--config F]

``dataset``: the kernel runs every generated method's stored tests again, gathers the training pairs
(:mod:`bat_os.forge.curator`) and writes them to FILE (JSON lines); this prints how many, the dataset's sha256 and
what was left out, and why. ``use``: a stored adapter made the persona's, once the kernel found it worse on none of
the image's own methods (``none``: its base model). ``status``: the adapters stored, who uses which, the last
decisions. They need the kernel running (it holds the image, and the jail runs the tests).

Exit codes: 0 done, 1 the kernel refused or failed (the message says why), 2 bad flags or configuration, or
no kernel answering at the endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable, Mapping, Sequence

from bat_os import config as config_module
from bat_os.cli.backup import ask
from bat_os.errors import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="batos.py forge", description="The forge, through the running kernel.")
    sub = parser.add_subparsers(dest="action", required=True)
    dataset = sub.add_parser("dataset", help="export the training pairs the image learned right (JSON lines)")
    dataset.add_argument("--out", required=True, help="the file to write (its folder must exist)")
    dataset.add_argument("--limit", type=int, default=None, help="at most this many pairs (default 5000)")
    use = sub.add_parser("use", help="make a stored adapter a persona's (tried on the image's own methods first)")
    use.add_argument("persona", type=str.upper)
    use.add_argument("adapter", help="a stored adapter's name (forge status lists them), or none")
    status = sub.add_parser("status", help="the adapters stored, who uses which, the last decisions")
    for each in (dataset, use, status):
        each.add_argument("--endpoint", help="the kernel's endpoint (env BATOS_ENDPOINT)")
        each.add_argument("--config", help="TOML file (default: ./batos.toml if present; env BATOS_CONFIG)")
        each.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the kernel (default 1800)")
        each.add_argument("--json", action="store_true", help="print the kernel's reply as one JSON object")
    return parser


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
         out: Callable[[str], None] | None = None) -> int:
    write = out or (lambda text: sys.stdout.write(text + "\n"))
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        config = config_module.load({"config": args.config, "endpoint": args.endpoint},
                                    environ=dict(os.environ if environ is None else environ))
    except ConfigError as exc:
        sys.stderr.write(f"batos forge: {exc}\n")
        return EXIT_USAGE
    request: dict = {"command": "forge", "action": args.action}
    if args.action == "dataset":
        request["out"] = str(Path(args.out).expanduser().resolve())
        if args.limit is not None:
            request["limit"] = args.limit
    elif args.action == "use":
        request.update(persona=args.persona, adapter=args.adapter)
    reply = ask(config.endpoint, request, args.timeout)
    if reply is None:
        sys.stderr.write(f"batos forge: no kernel answered at {config.endpoint} within {args.timeout:g}s "
                         "(start it first: ./run.sh)\n")
        return EXIT_USAGE
    if reply.get("status") != "ok":
        error = reply.get("error") or {}
        sys.stderr.write(f"batos forge: {error.get('code')}: {error.get('message')}\n")
        return EXIT_FAILED
    result = reply["result"]
    if args.json:
        write(json.dumps(result))
        return EXIT_OK
    if args.action == "use":
        write(f"{result['persona']} uses {result['adapter'] or 'its base model'}"
              + (f" (no worse on the image's own {result['own']['tasks']} method(s); llama.cpp: {result.get('llama_cpp')})"
                 if result["adapter"] else ""))
        return EXIT_OK
    if args.action == "status":
        for adapter in result["adapters"]:
            write(f"{adapter['name']}\t{'+'.join(adapter['forms'])}\t{adapter['size']} bytes\t"
                  f"used by {', '.join(adapter['used_by']) or 'nobody'}")
        for decision in result["decisions"]:
            write(f"{decision.get('action', 'gate')}\t{decision['persona']}\t{decision.get('installed_as') or '-'}\t{decision['why']}")
        write(f"running: {result['running'] or 'nothing'}")
        return EXIT_OK
    write(f"{result['pairs']} pair(s) written to {result['out']} (sha256 {result['sha256'][:16]}..., "
          f"{result['duplicates']} duplicate(s) dropped, {result['answered']} from the person's answers)")
    write(f"stored tests run again: {result['tests']['cases']} case(s) of {result['tests']['methods']} method(s), "
          f"{result['tests']['failures']} failing")
    for left in result["left_out_listed"]:
        write(f"  left out {left['where']}.{left['selector']}: {left['why']}")
    return EXIT_OK

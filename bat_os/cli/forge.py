"""``python batos.py forge dataset --out FILE.jsonl``: the image's golden dataset, written by the running kernel.

    batos.py forge dataset --out FILE.jsonl [--limit N] [--endpoint EP] [--timeout S] [--json] [--config F]

The kernel runs every generated method's stored tests again, gathers the training pairs
(:mod:`bat_os.forge.curator`) and writes them to FILE (JSON lines); this prints how many, the dataset's sha256 and
what was left out, and why. It needs the kernel running (it holds the image, and the jail runs the tests).

Exit codes: 0 written, 1 the kernel refused or failed (the message says why), 2 bad flags or configuration, or
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
    parser = argparse.ArgumentParser(prog="batos.py forge", description="The forge: the image's golden dataset.")
    sub = parser.add_subparsers(dest="action", required=True)
    dataset = sub.add_parser("dataset", help="export the training pairs the image learned right (JSON lines)")
    dataset.add_argument("--out", required=True, help="the file to write (its folder must exist)")
    dataset.add_argument("--limit", type=int, default=None, help="at most this many pairs (default 5000)")
    dataset.add_argument("--endpoint", help="the kernel's endpoint (env BATOS_ENDPOINT)")
    dataset.add_argument("--config", help="TOML file (default: ./batos.toml if present; env BATOS_CONFIG)")
    dataset.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the kernel (default 600)")
    dataset.add_argument("--json", action="store_true", help="print the kernel's reply as one JSON object")
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
    request = {"command": "forge", "action": "dataset", "out": str(Path(args.out).expanduser().resolve())}
    if args.limit is not None:
        request["limit"] = args.limit
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
    write(f"{result['pairs']} pair(s) written to {result['out']} (sha256 {result['sha256'][:16]}..., "
          f"{result['duplicates']} duplicate(s) dropped, {result['answered']} from the person's answers)")
    write(f"stored tests run again: {result['tests']['cases']} case(s) of {result['tests']['methods']} method(s), "
          f"{result['tests']['failures']} failing")
    for left in result["left_out_listed"]:
        write(f"  left out {left['where']}.{left['selector']}: {left['why']}")
    return EXIT_OK

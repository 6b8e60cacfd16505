"""``python batos.py audit FILE --selector NAME [--args JSON] [--kwargs JSON]``.

Runs the guardian, then (if it accepts) the jailed trial on a fresh object,
on the function in FILE, and prints a JSON verdict::

    {"accepted": bool, "stage": "static" | "trial", "reasons": [...], "result": ...}

Exit 0 when accepted, 1 when refused, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Sequence

EXIT_ACCEPTED, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2 (argparse's own code too)
        self.print_usage(sys.stderr)
        sys.stderr.write(f"batos.py audit: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="batos.py audit", description="Audit a method: the guardian, then the jailed trial.")
    parser.add_argument("file", help="a Python file defining one function named SELECTOR(self, ...)")
    parser.add_argument("--selector", required=True, help="the method's name")
    parser.add_argument("--args", default="[]", help="JSON list of positional arguments for the trial")
    parser.add_argument("--kwargs", default="{}", help="JSON object of keyword arguments for the trial")
    parser.add_argument("--slots", default="{}", help="JSON object of slots the fresh receiver starts with")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        source = Path(args.file).read_text(encoding="utf-8")
        call_args = json.loads(args.args)
        call_kwargs = json.loads(args.kwargs)
        slots = json.loads(args.slots)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        sys.stderr.write(f"batos.py audit: {exc}\n")
        return EXIT_USAGE
    if not isinstance(call_args, list) or not isinstance(call_kwargs, dict) or not isinstance(slots, dict):
        sys.stderr.write("batos.py audit: --args must be a JSON list, --kwargs and --slots JSON objects\n")
        return EXIT_USAGE
    if not args.selector.isidentifier():
        sys.stderr.write(f"batos.py audit: --selector {args.selector!r} is not an identifier\n")
        return EXIT_USAGE
    verdict = asyncio.run(audit(source, args.selector, call_args, call_kwargs, slots))
    sys.stdout.write(json.dumps(verdict, indent=2, default=repr) + "\n")
    return EXIT_ACCEPTED if verdict["accepted"] else EXIT_REFUSED


async def audit(source: str, selector: str, args: list, kwargs: dict, slots: dict) -> dict:
    """The guardian's verdict, then the trial's, as plain data."""
    import transaction
    import ZODB

    from bat_os.jail import guardian
    from bat_os.errors import JailError, MethodRaised
    from bat_os.cognition.methods.host import ImageHost
    from bat_os.jail.runner import Jail
    from bat_os.image import transact
    from bat_os.image.objects import UvmObject

    verdict = guardian.audit(source, selector)
    if not verdict.accepted:
        return {"accepted": False, "stage": "static", "reasons": [r.to_dict() for r in verdict.reasons], "result": None}
    db = ZODB.DB(None)  # a fresh, in-memory world: the trial changes nothing real
    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(tm)
    jail = Jail(workers=1)

    async def trial() -> dict:
        receiver = UvmObject(slots)
        conn.root()["receiver"] = receiver
        conn.add(receiver)
        try:
            result = await jail.run(source, selector, args, kwargs, ImageHost(conn, receiver, jail=jail))
        except MethodRaised as exc:
            reason = {"rule": "trial", "line": None, "message": f"{exc.error_type}: {exc.message}"}
            return {"accepted": False, "stage": "trial", "reasons": [reason], "result": None}
        except JailError as exc:
            reason = {"rule": "trial", "line": None, "message": f"{type(exc).__name__}: {exc}"}
            return {"accepted": False, "stage": "trial", "reasons": [reason], "result": None}
        return {"accepted": True, "stage": "trial", "reasons": [], "result": result, "protections": jail.protections()}

    try:
        await jail.start()
        return await transact.run_async(tm, trial, write=False)  # always aborted
    finally:
        await jail.close()
        transact.close(tm, conn)
        db.close()

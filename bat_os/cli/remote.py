"""``python batos.py remote add NAME | revoke NAME | list``: who may use the kernel from another machine.

The keys live beside the image (:class:`bat_os.kernel.remote.Keys`, ``<image>.keys/``); a running kernel reads the
allow-list at every handshake, so neither command needs it stopped::

    python batos.py remote add laptop --out ~/laptop-keys
        -> made ~/laptop-keys/laptop.key_secret (give it to the person, privately) and laptop.key,
           allowed laptop; the kernel's key is <image>.keys/server.key (give it too)
    python batos.py remote revoke laptop   -> laptop's key refused from its next connection on
    python batos.py remote list            -> the clients allowed, and the server key's file

On the other machine: ``chat_client.py --connect tcp://HOST:PORT --server-key server.key
--client-key laptop.key_secret``. Exit 0 done, 1 nothing to do (no such client), 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Mapping, Sequence

from bat_os import config as config_module
from bat_os.errors import ConfigError
from bat_os.kernel.remote import Keys

EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="batos.py remote", description="clients allowed to use the kernel from other machines")
    parser.add_argument("--config", help="TOML file (default: ./batos.toml if present)")
    parser.add_argument("--image", help="image file whose keys these are (default data/live_image.fs)")
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="make a client key pair and allow it")
    add.add_argument("name")
    add.add_argument("--out", default=".", help="folder for the client's two key files (default: here)")
    sub.add_parser("revoke", help="refuse a client from its next connection on").add_argument("name")
    sub.add_parser("list", help="the clients allowed")
    return parser


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None, out: Callable[[str], None] | None = None) -> int:
    write = out or (lambda text: sys.stdout.write(text + "\n"))
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        config = config_module.load({"config": args.config, "image": args.image}, environ=environ)
    except ConfigError as exc:
        sys.stderr.write(f"batos remote: {exc}\n")
        return EXIT_USAGE
    keys = Keys.beside(config.image)
    try:
        if args.action == "add":
            public, secret = keys.add(args.name, Path(args.out).expanduser())
            write(f"allowed {args.name}; its keys: {secret} (secret: give it to the person privately) and {public}")
            write(f"the kernel's public key: {keys.folder / 'server.key'} (give it too)")
        elif args.action == "revoke":
            if not keys.revoke(args.name):
                sys.stderr.write(f"batos remote: no client named {args.name!r} is allowed\n")
                return EXIT_NOTHING
            write(f"revoked {args.name}: refused from its next connection on")
        else:
            for name in sorted(keys.allowed().values()):
                write(name)
            write(f"server key: {keys.folder / 'server.key'}")
    except ValueError as exc:
        sys.stderr.write(f"batos remote: {exc}\n")
        return EXIT_USAGE
    return EXIT_OK

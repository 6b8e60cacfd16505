"""``python batos.py backup|restore|backups``: backups of the image on demand, restore, the chronicle.

    batos.py backup  [--full] [--reason TEXT] [--json] [--timeout S] [--image P] [--endpoint EP] [--backup-dir D] [--config F]
    batos.py restore (BACKUP_ID | --latest) [--reason TEXT] [--no-record] [--json] [--image P] [--backup-dir D] [--config F]
    batos.py backups [--json] [--image P] [--endpoint EP] [--backup-dir D] [--config F]

``backup`` works on a stopped or a running image: when a process holds the
image it asks the kernel at the endpoint (``{"command": "backup", ...}``),
which backs up without stopping; otherwise it opens the image itself. Either
way the backup's record goes to ``BACKUP_DIR/chronicle.jsonl`` and into the
image's chronicle. ``restore`` needs the kernel stopped; it logs a "restored"
entry and, unless ``--no-record``, also records it in the restored image (one
small transaction after the backup's state: with ``--no-record`` the image is
byte for byte the backup's). ``--json`` prints one JSON object on stdout.

Exit codes: 0 done, 1 failed (the message says why; a refused restore
changes nothing), 2 bad flags or configuration, 3 the image cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from bat_os.supervise import backup as backups
from bat_os import config as config_module
from bat_os.errors import BackupError, BatosError, ConfigError, ImageError, ImageInUse

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_IMAGE = 0, 1, 2, 3
PING_TIMEOUT = 5.0  # seconds to wait for the kernel's ping before asking it to back up
CHRONICLE_TIMEOUT = 5.0  # seconds "backups" waits for a running kernel's chronicle


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="batos.py", description="Backups of the living image.")
    sub = parser.add_subparsers(dest="action", required=True)

    def common(p: argparse.ArgumentParser, endpoint: bool = True) -> None:
        p.add_argument("--config", help="TOML file (default: ./batos.toml if present; env BATOS_CONFIG)")
        p.add_argument("--image", help="image file (default data/live_image.fs; env BATOS_IMAGE)")
        if endpoint:
            p.add_argument("--endpoint", help="the kernel's endpoint, used when it holds the image (env BATOS_ENDPOINT)")
        p.add_argument("--backup-dir", dest="backup_dir", help="backup directory (default: backups/ beside the image; env BATOS_BACKUP_DIR)")
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    back = sub.add_parser("backup", help="back up the image now (through the kernel when it runs)")
    common(back)
    back.add_argument("--full", action="store_true", help="a full backup (default: incremental after the first)")
    back.add_argument("--reason", default="", help="why: recorded with the backup")
    back.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for a running kernel's backup (default 600)")
    rest = sub.add_parser("restore", help="replace the image with a backup (kernel stopped)")
    common(rest, endpoint=False)
    rest.add_argument("backup_id", nargs="?", help="the backup's id (see: batos.py backups)")
    rest.add_argument("--latest", action="store_true", help="restore the latest backup")
    rest.add_argument("--reason", default="", help="why: recorded with the restore")
    rest.add_argument("--no-record", dest="no_record", action="store_true",
                      help="leave the restored image exactly as backed up (the restore is still logged in chronicle.jsonl)")
    listing = sub.add_parser("backups", help="list backups and restores (chronicle.jsonl)")
    common(listing)
    return parser


def main(
    argv: Sequence[str],
    environ: dict[str, str] | None = None,
    out: Callable[[str], None] | None = None,
    now: Callable[[], float] = time.time,
) -> int:
    """``argv`` starts with the subcommand (``["backup", "--full"]``)."""
    environ = dict(os.environ if environ is None else environ)
    write = out or (lambda text: sys.stdout.write(text + "\n"))
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    name = f"batos {args.action}"
    if args.action == "restore" and bool(args.backup_id) == bool(args.latest):
        _complain(name, "give a backup id or --latest (not both); list them with: python batos.py backups")
        return EXIT_USAGE
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    flags = {"config": args.config, "image": args.image, "backup_dir": args.backup_dir, "endpoint": getattr(args, "endpoint", None)}
    try:
        config = config_module.load(flags, environ=environ)
    except ConfigError as exc:
        _complain(name, str(exc))
        return EXIT_USAGE
    try:
        if args.action == "backup":
            return _backup(args, config, write, now)
        if args.action == "restore":
            return _restore(args, config, write, now)
        return _list(args, config, write)
    except ImageError as exc:
        _complain(name, str(exc))
        return EXIT_IMAGE
    except BatosError as exc:
        _complain(name, str(exc))
        return EXIT_FAILED


# --- backup ---------------------------------------------------------------------------------


def _backup(args: argparse.Namespace, config: Any, write: Callable[[str], None], now: Callable[[], float]) -> int:
    if not config.image.is_file():
        _complain("batos backup", f"no image at {config.image}")
        return EXIT_IMAGE
    holder = backups.image_holder(config.image)
    if holder is None:
        # no kernel holds the image: hold it ourselves (so none starts meanwhile), back up, record
        result = backups.backup_image(config.image, config.blob_dir, config.backup_dir, full=args.full, reason=args.reason, now=now)
    else:
        result = _backup_through_kernel(args, config, holder)
        if result is None:
            return EXIT_FAILED
    if args.json:
        write(json.dumps(result, sort_keys=True))
    else:
        write(
            f"backup {result['id']} ({result['kind']}): {result['size']} bytes in {result['file']}; "
            f"image {result['image_size']} bytes; {result['blob_count']} blob files ({result['blob_bytes']} bytes, "
            f"{result['blobs_new']} new); via the {result['via']}"
        )
    return EXIT_OK


def _backup_through_kernel(args: argparse.Namespace, config: Any, holder: str) -> dict | None:
    endpoint = config.endpoint
    if ask(endpoint, {"command": "ping"}, PING_TIMEOUT) is None:
        _complain("batos backup", f"image {config.image} is in use (pid {holder}) but no kernel answers at {endpoint}; "
                                  "give the kernel's --endpoint, or wait for the process that holds the image to end")
        return None
    request = {"command": "backup", "full": args.full, "reason": args.reason, "image": str(config.image)}
    reply = ask(endpoint, request, args.timeout)
    if reply is None:
        _complain("batos backup", f"the kernel at {endpoint} did not finish the backup within {args.timeout:g}s "
                                  "(it may still finish it: see batos.py backups)")
        return None
    if reply.get("status") != "ok":
        error = reply.get("error") or {}
        _complain("batos backup", f"the kernel at {endpoint} answered {error.get('code')}: {error.get('message')}")
        return None
    result = dict(reply["result"])
    if Path(result.get("backup_dir", "")) != config.backup_dir:
        logger.warning("the kernel keeps its backups in %s (its own backup_dir), not %s", result.get("backup_dir"), config.backup_dir)
    return result


# --- restore --------------------------------------------------------------------------------


def _restore(args: argparse.Namespace, config: Any, write: Callable[[str], None], now: Callable[[], float]) -> int:
    try:
        result = backups.restore_image(config.image, config.blob_dir, config.backup_dir, args.backup_id,
                                       reason=args.reason, record=not args.no_record, now=now)
    except ImageInUse as exc:
        _complain("batos restore", f"{exc}; nothing was changed")
        return EXIT_FAILED
    except BackupError as exc:
        _complain("batos restore", str(exc))
        return EXIT_FAILED
    if args.json:
        write(json.dumps(result, sort_keys=True))
    else:
        write(
            f"restored {result['image']} from backup {result['id']}: {result['image_size']} bytes; "
            f"{result['blob_count']} blob files ({result['blobs_restored']} restored, {result['blobs_removed']} removed)"
            + ("; recorded in the image" if result["recorded_in_image"] else "")
        )
    return EXIT_OK


# --- backups --------------------------------------------------------------------------------


def _list(args: argparse.Namespace, config: Any, write: Callable[[str], None]) -> int:
    entries = backups.read_log(config.backup_dir)
    available = set(backups.backup_ids(config.backup_dir))
    in_image, source = _image_chronicle(config)
    keys = {_key(e) for e in in_image} if in_image is not None else None
    for entry in entries:
        entry["available"] = entry.get("id") in available
        entry["in_image"] = None if keys is None else _key(entry) in keys
    if args.json:
        write(json.dumps({"backup_dir": str(config.backup_dir), "image": str(config.image), "image_chronicle": source,
                          "entries": entries}, sort_keys=True))
        return EXIT_OK
    if not entries:
        write(f"no backups in {config.backup_dir}; make one with: python batos.py backup")
    for e in entries:
        where = {True: "in image", False: "not in image", None: "image: ?"}[e["in_image"]]
        if e.get("event") == "restored":
            write(f"{e.get('time_iso')}  restored  {e.get('id')}  image {e.get('image_size')} bytes  {where}  {e.get('reason', '')}".rstrip())
        elif e.get("event") == "pruned":
            write(f"{e.get('time_iso')}  pruned    {e.get('count')} backup(s), keeping the newest {e.get('keep')}: {e.get('ids')}"
                  f"  {e.get('bytes')} bytes freed  {where}")
        else:
            gone = "" if e["available"] else "  (no longer in the repository)"
            write(f"{e.get('time_iso')}  backup    {e.get('id')}  {e.get('kind', ''):<11}  {e.get('size')} bytes  "
                  f"{e.get('blob_count')} blobs  {where}{gone}  {e.get('reason', '')}".rstrip())
    return EXIT_OK


def _image_chronicle(config: Any) -> tuple[list[dict] | None, str | None]:
    """The image's chronicle entries and where they came from ("kernel", "image"), or (None, None)."""
    from bat_os.image.chronicle import chronicle_entries
    from bat_os.image.image import Image
    from bat_os.kernel.commands.paging import MAX_LIMIT

    if not config.image.is_file():
        return None, None
    if backups.image_holder(config.image) is not None:
        newest_first: list[dict] = []
        while True:  # every page, newest first (bat_os.kernel.commands.paging)
            reply = ask(config.endpoint, {"command": "chronicle", "offset": len(newest_first), "limit": MAX_LIMIT},
                        CHRONICLE_TIMEOUT)
            if reply is None or reply.get("status") != "ok":
                return None, None
            newest_first += reply["result"]["entries"]
            if not reply["result"]["entries"] or len(newest_first) >= reply["result"]["total"]:
                return newest_first[::-1], "kernel"
    try:
        image = Image(config.image, config.blob_dir, read_only=True)
    except ImageError:
        return None, None
    try:
        return image.read(lambda: chronicle_entries(image.connection.root())), "image"
    finally:
        image.close()


def _key(entry: dict) -> tuple:
    return entry.get("event"), entry.get("id"), entry.get("time")


# --- the kernel, over ZeroMQ ------------------------------------------------------------------


def ask(endpoint: str, message: dict, timeout: float) -> dict | None:
    """One request to the kernel at ``endpoint``; its final reply, or None when none came within ``timeout``."""
    from bat_os.supervise.pinger import Pinger

    pinger = Pinger(endpoint)
    try:
        return pinger.ask(message, timeout)
    finally:
        pinger.close()


def _complain(name: str, message: str) -> None:
    sys.stderr.write(f"{name}: {message}\n")

"""``python batos.py``: load the configuration once, set up logging, open the image, run the kernel."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import signal
import sys
from pathlib import Path
from typing import Mapping, Sequence

from bat_os import config as config_module
from bat_os.config import Config
from bat_os.errors import BatosError, ConfigError, ImageError

logger = logging.getLogger("bat_os")

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_IMAGE = 3
EXIT_FAILED = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="batos.py",
        description="BAT OS kernel: a persistent living image served over ZeroMQ.",
    )
    config_module.add_arguments(parser)
    parser.add_argument("action", nargs="?", default="run", choices=("run",), help="what to do (default: run the kernel); see also: batos.py audit FILE --selector NAME, batos.py models --help, batos.py backup|restore|backups --help, batos.py remote --help")
    return parser


def setup_logging(config: Config) -> None:
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(config.log_level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter)
    root.addHandler(stderr)
    if config.log_file is not None:
        config.log_file.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(config.log_file, maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8")
        rotating.setFormatter(formatter)
        root.addHandler(rotating)
    logging.getLogger("txn").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["audit"]:
        from bat_os.cli import audit as audit_cli

        return audit_cli.main(argv[1:])
    if argv[:1] in (["backup"], ["restore"], ["backups"]):
        from bat_os.cli import backup as backup_cli

        return backup_cli.main(argv, environ=None if environ is None else dict(environ))
    if argv[:1] == ["forge"]:
        from bat_os.cli import forge as forge_cli

        return forge_cli.main(argv[1:], environ=None if environ is None else dict(environ))
    if argv[:1] == ["remote"]:
        from bat_os.cli import remote as remote_cli

        return remote_cli.main(argv[1:], environ=None if environ is None else dict(environ))
    if argv[:1] == ["models"]:
        from bat_os.cli import models as models_cli

        return models_cli.main(argv[1:], environ=None if environ is None else dict(environ))
    args = build_parser().parse_args(argv)
    try:
        config = config_module.load(args, environ=os.environ if environ is None else environ)
    except ConfigError as exc:
        sys.stderr.write(f"batos: {exc}\n")
        return EXIT_CONFIG
    setup_logging(config)
    if config_module.binds_all_interfaces(config.endpoint):
        logger.warning("endpoint %s accepts connections from any host: anyone who can reach it can change the image", config.endpoint)
    return run(config)


def run(config: Config) -> int:
    import zmq

    from bat_os.kernel.door import Door

    try:  # first: pings are answered from here on, while the rest starts (bat_os.kernel.door)
        door = Door(config.endpoint, config.max_frame_bytes, catch_signals=True)
    except zmq.ZMQError as exc:
        logger.critical("cannot bind %s: %s", config.endpoint, exc)
        return EXIT_FAILED
    try:
        return _run(config, door)
    finally:
        door.close()  # a kernel that did not start: what waited is refused (nothing, once the kernel took it over)


def _run(config: Config, door) -> int:
    from bat_os.image.image import Image
    from bat_os.image.migrations import MigrationContext
    from bat_os.kernel.audit import Audit
    from bat_os.kernel.startup import run_kernel

    try:
        image = Image(config.image, config.blob_dir)
    except ImageError as exc:
        logger.critical("%s", exc)
        return EXIT_IMAGE
    try:
        ran = image.awaken(context=MigrationContext(codex_path=config.codex))
        if ran:
            logger.info("awakening ran %d migration(s): %s", len(ran), "; ".join(ran))
        else:
            logger.info("resumed image %s at schema version %d", config.image, image.schema_version)
        _sync_adapters(image, config.models.adapters_dir)
        return run_kernel(config, image, lambda: Audit(Path(config.audit_file)), door)
    except BatosError as exc:
        logger.critical("%s", exc)
        return EXIT_FAILED
    finally:
        _ignore_stop_signals()  # a second SIGTERM must not cut the close short
        image.close()


def _sync_adapters(image, folder: Path | None) -> None:
    """Store new or changed LoRA adapters from the staging folder (small files: before serving)."""
    if folder is None or not folder.is_dir():
        return
    from bat_os.models.adapters import sync_adapters

    for name, state in sorted(sync_adapters(image, folder).items()):
        if state == "stored":
            logger.info("adapter %s stored in the image from %s", name, folder / name)
        elif state != "unchanged":
            logger.warning("adapter %s in %s was not stored: %s", name, folder, state)


def _ignore_stop_signals() -> None:
    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)

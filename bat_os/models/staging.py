"""An import's staging directory: where it is, what a killed import left there, and cleaning it up.

``<image dir>/<image stem>.staging/<PERSONA>`` holds an import's work
(``download``, ``quantized``, ``staged``, ``consume``: see
:mod:`bat_os.models.store`). :func:`drop_orphans` removes the uncommitted blob
files a run killed inside its transaction left behind; :func:`clean` removes
the staging directory (keeping a download to resume).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from bat_os.errors import ModelError

logger = logging.getLogger(__name__)


def default_staging(image: Any, persona: str) -> Path:
    return image.path.with_name(image.path.stem + ".staging") / persona


def refuse_overlap(staging: Path, source: Path) -> None:
    if is_within(staging, source) or is_within(source, staging):
        raise ModelError(f"the staging directory {staging} must not overlap the model directory {source}")


def drop_orphans(staged: Path, image: Any) -> None:
    """Remove the uncommitted blob files a run killed inside its transaction left in the storage's
    temporary directory: those sharing an inode with that run's staged files, and any file there older
    than this process's hold on the image (its ``.lock`` is rewritten when a storage opens it), such
    as the empty file ZODB creates just before it renames a consumed file in."""
    temporary = getattr(image.storage, "temporaryDirectory", None)
    if temporary is None or not os.path.isdir(temporary()):
        return
    inodes = set()
    if staged.is_dir():
        inodes = {(st.st_dev, st.st_ino) for st in (p.stat() for p in staged.rglob("*") if p.is_file())}
    try:
        opened = os.stat(f"{image.path}.lock").st_mtime_ns
    except OSError:
        opened = 0
    dropped = 0
    for entry in os.scandir(temporary()):
        if not entry.is_file(follow_symlinks=False):
            continue
        st = entry.stat(follow_symlinks=False)
        if (st.st_dev, st.st_ino) in inodes or st.st_mtime_ns <= opened:  # (a coarse clock may tie)
            os.unlink(entry.path)
            dropped += 1
    if dropped:
        logger.info("removed %d uncommitted blob files left by an interrupted import", dropped)


def is_within(path: Path, directory: Path) -> bool:
    path, directory = path.resolve(), directory.resolve()
    return path == directory or directory in path.parents


def clean(staging: Path, keep_download: bool) -> None:
    download = staging / "download"
    if keep_download and download.is_dir() and any(download.iterdir()):
        for child in staging.iterdir():
            if child.name == "download":
                continue
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink()
        return
    shutil.rmtree(staging, ignore_errors=True)
    if staging.parent.name.endswith(".staging"):
        try:
            staging.parent.rmdir()  # the shared <stem>.staging, once no persona is staging
        except OSError:
            pass


__all__ = ["clean", "default_staging", "drop_orphans", "is_within", "refuse_overlap"]

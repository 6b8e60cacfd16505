"""The records of backups and restores, and the backup directory's plain log (``chronicle.jsonl``).

Each record is also what goes into the image's chronicle (:mod:`bat_os.image.chronicle`):
plain str/int/float values only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from bat_os.errors import BackupError

logger = logging.getLogger(__name__)

LOG_NAME = "chronicle.jsonl"


@dataclass(frozen=True)
class BackupRecord:
    """One backup, as logged in chronicle.jsonl and the image's chronicle (plain str/int/float values)."""

    id: str  # repozo's name for it: the UTC second it was taken
    time: float  # epoch seconds (the injected clock)
    time_iso: str  # the same, ISO 8601 in UTC
    kind: str  # "full", "incremental", or "unchanged" (nothing new to copy: ``id`` is the latest backup)
    reason: str
    file: str  # the repozo file this backup wrote (for "unchanged": the latest one)
    size: int  # its size in bytes
    sha256: str  # of that file
    image: str  # the image file backed up
    image_size: int  # bytes of the image this backup restores (up to its last complete transaction)
    blob_count: int  # blob files in the manifest
    blob_bytes: int
    blobs_new: int  # blob files added to the mirror by this backup
    event: str = "backup"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RestoreRecord:
    """One restore, as logged (``event`` "restored")."""

    id: str  # the backup restored
    time: float
    time_iso: str
    reason: str
    image: str
    image_size: int
    blob_count: int  # blob files the blob dir holds now (the backup's manifest)
    blob_bytes: int
    blobs_restored: int  # linked (or copied) back from the mirror
    blobs_removed: int  # blob files not in the manifest, removed
    event: str = "restored"

    def as_dict(self) -> dict:
        return asdict(self)


def append_log(backup_dir: Path, entry: dict) -> None:
    """Append one JSON line to chronicle.jsonl (flushed and fsynced)."""
    path = Path(backup_dir) / LOG_NAME
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc}") from exc


def read_log(backup_dir: Path) -> list[dict]:
    """The entries of chronicle.jsonl, oldest first (a torn or foreign line is skipped with a warning)."""
    path = Path(backup_dir) / LOG_NAME
    if not path.is_file():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            logger.warning("%s line %d is not JSON; skipped", path, number)
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def iso(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="seconds")


def sha256_of(path: Path, length: int | None = None) -> str:
    """SHA-256 of the file, or of its first ``length`` bytes."""
    digest = hashlib.sha256()
    left = length
    with open(path, "rb") as fh:
        while left is None or left > 0:
            block = fh.read(1 << 20 if left is None else min(1 << 20, left))
            if not block:
                break
            digest.update(block)
            if left is not None:
                left -= len(block)
    return digest.hexdigest()

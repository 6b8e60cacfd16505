"""Retention: keep the newest backups, remove whole older chains, and the blob files only they needed.

Repozo's backups come in chains: a full backup (``ID.fs``) and the incremental ones after it
(``ID.deltafs``), each of which restores only with its full and every incremental between them
(repozo reads the chain back to its full). So retention works by chains: the newest ``keep``
backups stay, with every older file their chains need, and a chain none of them is in goes whole
(its data files newest first, then the full's ``.dat``: a prune cut short leaves a shorter chain
that still restores, never an incremental without its full). Each backup's ``.index`` and blob
manifest go with it, and the mirror drops the blob files no manifest that stays lists.

To keep chains short enough to prune, the backups the kernel takes start a new chain (a full
backup) once the newest chain holds ``keep`` backups (:func:`chain_length`): between ``keep`` and
``2 * keep - 1`` backups are on disk at any time.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from bat_os.errors import BackupError
from bat_os.supervise.backup.blobs import LAYOUT, blob_files, manifest_path, read_manifest, remove
from bat_os.supervise.backup.locks import repository_lock
from bat_os.supervise.backup.records import append_log, iso
from bat_os.supervise.backup.repozo import DATA_RE, data_files

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PruneRecord:
    """One prune, as logged in chronicle.jsonl and the image's chronicle (plain str/int/float values)."""

    time: float
    time_iso: str
    keep: int  # the newest backups kept (backup_keep)
    ids: str  # the backups removed, comma-separated, oldest first
    count: int  # how many
    kept: int  # backups left in the repository
    bytes: int  # bytes freed: repozo files, manifests, and mirrored blob files no longer linked elsewhere
    blob_files: int  # files removed from the blob mirror
    event: str = "pruned"

    def as_dict(self) -> dict:
        return asdict(self)


def chains(names: list[str]) -> list[list[str]]:
    """Repozo data file names (any order) as chains, oldest first: a full file, then its incrementals.

    Incrementals older than every full (their full removed by hand) form a chain of their own.
    """
    result: list[list[str]] = []
    for name in sorted(names, key=_id):
        if _is_full(name) or not result:
            result.append([name])
        else:
            result[-1].append(name)
    return result


def chain_length(backup_dir: Path) -> int:
    """Backups in the newest chain (0 when there are none)."""
    found = chains(data_files(Path(backup_dir) / "repozo"))
    return len(found[-1]) if found else 0


def doomed(names: list[str], keep: int) -> list[list[str]]:
    """The chains to remove so that the newest ``keep`` backups stay restorable (``keep`` 0: none)."""
    if keep <= 0:
        return []
    kept = {_id(name) for name in sorted(names, key=_id)[-keep:]}
    return [chain for chain in chains(names) if not any(_id(name) in kept for name in chain)]


def prune(backup_dir: Path, keep: int, *, now: Callable[[], float] = time.time) -> PruneRecord | None:
    """Remove the chains of backups older than the newest ``keep``; log and return the record (None: nothing to remove).

    Holds the backup directory's lock (no backup or restore meanwhile). Raises
    :class:`BackupError` when a file cannot be removed (what was removed before stays removed;
    every chain left restores).
    """
    backup_dir = Path(backup_dir).absolute()
    repo = backup_dir / "repozo"
    if keep <= 0 or not repo.is_dir():
        return None
    with repository_lock(backup_dir):
        names = data_files(repo)
        gone = doomed(names, keep)
        if not gone:
            return None
        freed = 0
        removed_ids: list[str] = []
        try:
            for chain in gone:
                for name in reversed(chain):  # newest first: a chain cut short still restores
                    backup_id = _id(name)
                    freed += _size(repo / name) + _size(repo / f"{backup_id}.index") + _size(manifest_path(backup_dir, backup_id))
                    remove([repo / name, repo / f"{backup_id}.index"])
                    remove([manifest_path(backup_dir, backup_id)])
                    removed_ids.append(backup_id)
                dat = repo / f"{_id(chain[0])}.dat"
                freed += _size(dat)
                remove([dat])
        except OSError as exc:
            raise BackupError(f"cannot remove old backups from {repo}: {exc}") from exc
        blob_count, blob_freed = _prune_mirror(backup_dir)
        when = now()
        record = PruneRecord(
            time=when, time_iso=iso(when), keep=keep, ids=",".join(sorted(removed_ids)), count=len(removed_ids),
            kept=len(data_files(repo)), bytes=freed + blob_freed, blob_files=blob_count,
        )
        append_log(backup_dir, record.as_dict())
    logger.info("pruned %d backup(s) (%s) from %s, keeping the newest %d: %d bytes freed, %d mirrored blob file(s) removed",
                record.count, record.ids, repo, keep, record.bytes, blob_count)
    return record


def _prune_mirror(backup_dir: Path) -> tuple[int, int]:
    """Remove the mirrored blob files that no remaining manifest lists; (files, bytes freed).

    A manifest that cannot be read stops this (nothing is removed from the mirror): the blob
    files it lists cannot be told apart.
    """
    mirror = backup_dir / "blobs"
    if not mirror.is_dir():
        return 0, 0
    needed: set[str] = set()
    for name in data_files(backup_dir / "repozo"):
        try:
            needed.update(read_manifest(backup_dir, _id(name)))
        except BackupError as exc:
            logger.warning("the blob mirror is not pruned: %s", exc)
            return 0, 0
    count = freed = 0
    for rel, size in blob_files(mirror).items():
        if rel == LAYOUT or rel in needed:
            continue
        path = mirror / rel
        try:
            links = os.lstat(path).st_nlink
        except FileNotFoundError:
            continue
        remove([path])
        count += 1
        freed += size if links == 1 else 0  # a file the image still holds (a hard link) frees nothing
    _remove_empty_dirs(mirror)
    return count, freed


def _remove_empty_dirs(root: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
        here = Path(dirpath)
        if here != root and not filenames:
            try:
                here.rmdir()
            except OSError:
                pass


def _id(name: str) -> str:
    return DATA_RE.match(name).group("id")


def _is_full(name: str) -> bool:
    return DATA_RE.match(name).group("ext").startswith("fs")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0

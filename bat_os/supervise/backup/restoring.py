"""Restoring a backup: recover with repozo beside the image, check it, then replace the image.

:func:`restore` recovers into a file beside the image, checks it (repozo's
checksums, then FileStorage opens it read-only: complete, root readable, the
size the backup recorded), and only then replaces the image with
``os.replace``; the blob dir is then made to hold exactly the backup's blob
files. It refuses, changing nothing, while any process holds the image's
``.lock`` (:class:`~bat_os.errors.ImageInUse`), and holds that lock itself
while it works. :func:`restore_image` is what ``batos.py restore`` does: also
record the restore in the restored image's chronicle, unless asked not to.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Callable

from bat_os.errors import BackupError, BackupNotFound, ImageError
from bat_os.image.chronicle import record_entry
from bat_os.image.image import Image
from bat_os.oscompat import fsync_dir
from bat_os.supervise.backup.blobs import (
    blob_bytes,
    count_blobs,
    default_blob_dir,
    has_file,
    read_manifest,
    remove,
    sync_blobs,
)
from bat_os.supervise.backup.locks import holding_image, repository_lock
from bat_os.supervise.backup.records import RestoreRecord, append_log, iso
from bat_os.supervise.backup.repozo import (
    backup_ids,
    dat_entries,
    data_files,
    run_repozo,
)

logger = logging.getLogger(__name__)


def restore(
    backup_dir: Path,
    image_path: Path,
    blob_dir: Path | None = None,
    backup_id: str | None = None,
    *,
    reason: str = "",
    now: Callable[[], float] = time.time,
) -> RestoreRecord:
    """Make the image and its blob dir what they were at backup ``backup_id`` (None: the latest).

    Raises :class:`ImageInUse` while a process holds the image, and
    :class:`BackupNotFound` for an unknown id or an empty backup directory,
    in both cases changing nothing; :class:`BackupError` when the recovered
    file fails its checks (the image is not touched then either).
    """
    backup_dir = Path(backup_dir).absolute()
    image_path = Path(image_path).absolute()
    blob_dir = Path(blob_dir).absolute() if blob_dir is not None else default_blob_dir(image_path)
    ids = backup_ids(backup_dir)
    if backup_id is None:
        if not ids:
            raise BackupNotFound(f"there are no backups in {backup_dir}")
        backup_id = ids[-1]
    elif backup_id not in ids:
        latest = f" (the latest is {ids[-1]})" if ids else f" ({backup_dir} holds no backups)"
        raise BackupNotFound(f"no backup {backup_id!r} in {backup_dir}{latest}; list them with: python batos.py backups")
    manifest = read_manifest(backup_dir, backup_id)
    mirror = backup_dir / "blobs"
    missing = [rel for rel, size in manifest.items() if not has_file(mirror / rel, size)]
    if missing:
        raise BackupError(f"the blob mirror {mirror} lacks {len(missing)} file(s) of backup {backup_id}, e.g. {missing[0]}")
    repo = backup_dir / "repozo"
    name = next(n for n in data_files(repo) if n.startswith(backup_id + "."))
    expected_size = dat_entries(repo)[name][1]

    image_path.parent.mkdir(parents=True, exist_ok=True)
    with holding_image(image_path), repository_lock(backup_dir):
        scratch = image_path.with_name(image_path.name + ".restoring")
        leftovers = [scratch, Path(f"{scratch}.part"), Path(f"{scratch}.index")]
        remove(leftovers)
        try:
            run_repozo(["-R", "-w", "-r", str(repo), "-D", backup_id, "-o", str(scratch)])
            verify_image_file(scratch, expected_size)
            # The point of no return: the recovered file is complete and checked.
            remove([Path(f"{image_path}.index"), Path(f"{image_path}.tmp")])
            os.replace(scratch, image_path)
            if Path(f"{scratch}.index").is_file():  # repozo's index of exactly this state
                os.replace(f"{scratch}.index", f"{image_path}.index")
            fsync_dir(image_path.parent)
            restored, removed = sync_blobs(blob_dir, mirror, manifest)
        finally:
            remove(leftovers)
        when = now()
        record = RestoreRecord(
            id=backup_id, time=when, time_iso=iso(when), reason=reason, image=str(image_path),
            image_size=image_path.stat().st_size, blob_count=count_blobs(manifest), blob_bytes=blob_bytes(manifest),
            blobs_restored=restored, blobs_removed=removed,
        )
        append_log(backup_dir, record.as_dict())
    logger.info("restored %s from backup %s: %d bytes, %d blob files (%d restored, %d removed)",
                image_path, backup_id, record.image_size, record.blob_count, restored, removed)
    return record


def restore_image(
    image_path: Path,
    blob_dir: Path,
    backup_dir: Path,
    backup_id: str | None = None,
    *,
    reason: str = "",
    record: bool = True,
    now: Callable[[], float] = time.time,
) -> dict:
    """:func:`restore`, then (``record``) the restore's entry in the restored image's chronicle.

    Returns the record as ``batos.py restore --json`` prints it: the
    :class:`RestoreRecord`'s fields, ``backup_dir``, ``recorded_in_image``
    (and ``record_error`` when recording failed: the restore itself stands).
    Raises what :func:`restore` raises.
    """
    done = restore(backup_dir, image_path, blob_dir, backup_id, reason=reason, now=now)
    result = {**done.as_dict(), "backup_dir": str(backup_dir), "recorded_in_image": False}
    if record:
        problem = _record_in_image(image_path, blob_dir, done.as_dict())
        if problem is None:
            result["recorded_in_image"] = True
        else:
            result["record_error"] = problem
            logger.warning("restored, but the restore could not be recorded in the image: %s", problem)
    return result


def _record_in_image(image_path: Path, blob_dir: Path, entry: dict) -> str | None:
    """Record the restore in the restored image's chronicle; why not, or None."""
    try:
        image = Image(image_path, blob_dir)
    except ImageError as exc:
        return str(exc)
    try:
        image.run(lambda: record_entry(image.connection.root(), entry), note=f"chronicle: restored {entry['id']}")
    finally:
        image.close()
    return None


def verify_image_file(path: Path, expected_size: int | None = None) -> None:
    """A FileStorage file that opens read-only, ends with a complete transaction and has a root."""
    from ZODB.FileStorage import FileStorage
    from ZODB.utils import z64

    actual = path.stat().st_size
    if expected_size is not None and actual != expected_size:
        raise BackupError(f"the recovered image {path} has {actual} bytes; the backup recorded {expected_size}")
    try:
        storage = FileStorage(str(path), read_only=True)
    except Exception as exc:  # translated once, here: the recovered file is not a usable image
        raise BackupError(f"the recovered image {path} does not open as a FileStorage: {type(exc).__name__}: {exc}") from exc
    try:
        if storage.getSize() != actual:
            raise BackupError(f"the recovered image {path} ends in an incomplete transaction")
        try:
            storage.load(z64)
        except Exception as exc:
            raise BackupError(f"the recovered image {path} has no readable root: {type(exc).__name__}: {exc}") from exc
    finally:
        storage.close()



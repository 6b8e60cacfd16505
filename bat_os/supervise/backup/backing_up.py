"""Taking a backup: repozo for the FileStorage, the blob mirror, the record in the plain log.

:func:`backup` is safe while a kernel serves the image (the kernel runs it on a
worker thread: nothing here touches a ZODB connection). :func:`backup_image` is
what ``batos.py backup`` does when no kernel holds the image, and what the
watchdog's upgrade does in-process when the checkout's ``batos.py`` cannot run:
it also records the backup in the image's own chronicle.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from bat_os.errors import BackupError, ImageError
from bat_os.image.chronicle import record_entry
from bat_os.image.image import Image
from bat_os.supervise.backup.blobs import (
    blob_bytes,
    count_blobs,
    default_blob_dir,
    manifest_path,
    mirror_blobs,
    read_manifest,
    write_manifest,
)
from bat_os.supervise.backup.locks import repository_lock
from bat_os.supervise.backup.records import BackupRecord, append_log, iso, sha256_of
from bat_os.supervise.backup.repozo import (
    DATA_RE,
    dat_entries,
    data_files,
    latest_name,
    run_repozo,
    wait_for_a_fresh_name,
)

logger = logging.getLogger(__name__)


def backup(
    image_path: Path,
    backup_dir: Path,
    *,
    blob_dir: Path | None = None,
    full: bool = False,
    reason: str = "",
    now: Callable[[], float] = time.time,
) -> BackupRecord:
    """Back up the image (repozo) and its blobs (the mirror); log and return the record.

    Safe while a kernel serves the image. Raises :class:`BackupError` when
    repozo fails or the backup directory cannot be written.
    """
    image_path = Path(image_path).absolute()
    backup_dir = Path(backup_dir).absolute()
    blob_dir = Path(blob_dir).absolute() if blob_dir is not None else default_blob_dir(image_path)
    if not image_path.is_file():
        raise BackupError(f"no image at {image_path}")
    repo = backup_dir / "repozo"
    try:
        backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the mirror holds the image's blobs
        repo.mkdir(exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the backup directory {backup_dir}: {exc}") from exc
    with repository_lock(backup_dir):
        before = set(data_files(repo))
        wait_for_a_fresh_name(repo)
        run_repozo(["-B", "-r", str(repo), "-f", str(image_path)] + (["-F"] if full else []))
        written = sorted(set(data_files(repo)) - before)
        if len(written) > 1:
            raise BackupError(f"repozo wrote {len(written)} files in {repo}; expected one: {', '.join(written)}")
        if written:
            name = written[0]
            kind = "full" if DATA_RE.match(name).group("ext").startswith("fs") else "incremental"
        else:  # the image has not changed since the latest backup: that one restores it
            if not before:
                raise BackupError(f"repozo wrote nothing in {repo}")
            name = latest_name(before)
            kind = "unchanged"
        backup_id = DATA_RE.match(name).group("id")
        path = repo / name
        image_size = dat_entries(repo)[name][1]
        if kind == "unchanged" and manifest_path(backup_dir, backup_id).is_file():
            blobs, new = read_manifest(backup_dir, backup_id), 0
        else:
            blobs, new = mirror_blobs(blob_dir, backup_dir / "blobs")
            write_manifest(backup_dir, backup_id, blob_dir, blobs)
        when = now()
        record = BackupRecord(
            id=backup_id, time=when, time_iso=iso(when), kind=kind, reason=reason, file=str(path),
            size=path.stat().st_size, sha256=sha256_of(path), image=str(image_path), image_size=image_size,
            blob_count=count_blobs(blobs), blob_bytes=blob_bytes(blobs), blobs_new=new,
        )
        append_log(backup_dir, record.as_dict())
    logger.info("backup %s (%s) of %s: %d bytes, %d blob files (%d new)", record.id, kind, image_path, record.size, record.blob_count, new)
    return record


def backup_image(
    image_path: Path,
    blob_dir: Path,
    backup_dir: Path,
    *,
    full: bool = False,
    reason: str = "",
    now: Callable[[], float] = time.time,
) -> dict:
    """Back up an image no kernel holds, and record the backup in the image's chronicle.

    The image stays open (locked) throughout, so no kernel starts meanwhile.
    Returns the record as ``batos.py backup --json`` prints it: the
    :class:`BackupRecord`'s fields, ``backup_dir``, ``via`` ("image") and
    ``recorded_in_image``. Raises :class:`ImageError` when the image is
    missing or cannot be opened (held by a kernel, damaged), :class:`BackupError`
    when the backup fails.
    """
    if not Path(image_path).is_file():  # Image() would make a new, empty one
        raise ImageError(f"no image at {image_path}")
    image = Image(image_path, blob_dir)
    try:
        record = backup(image_path, backup_dir, blob_dir=blob_dir, full=full, reason=reason, now=now)
        entry = record.as_dict()
        image.run(lambda: record_entry(image.connection.root(), entry), note=f"chronicle: backup {record.id}")
    finally:
        image.close()
    return {**entry, "backup_dir": str(backup_dir), "via": "image", "recorded_in_image": True}

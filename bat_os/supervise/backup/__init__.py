"""Backups of an image: repozo for the FileStorage, a hard-linked mirror for its blobs, a plain log.

A backup directory holds::

    BACKUP_DIR/
      repozo/             repozo's repository: YYYY-MM-DD-hh-mm-ss.fs (full) and .deltafs
                          (incremental) files, with repozo's .dat and .index files
      blobs/              every committed blob file ever backed up, under its path in the blob dir
      manifests/ID.json   the blob files (relative path -> size) present when backup ID was taken
      chronicle.jsonl     one JSON object per backup and per restore, oldest first
      .lock               held while a backup or a restore works here

``backing_up``  :func:`backup` (safe while a kernel serves the image); :func:`backup_image`
                (no kernel holds it: also records the backup in the image's chronicle)
``restoring``   :func:`restore` (recover, check, then replace the image); :func:`restore_image`
``repozo``      running repozo; backup ids, its data and ``.dat`` files
``blobs``       the blob mirror and the manifests
``records``     BackupRecord, RestoreRecord and ``chronicle.jsonl``
``locks``       the image's FileStorage lock and the backup directory's lock
``pruning``     retention: :func:`prune` keeps the newest backups, removes whole older chains

Repozo names files by the second, so two backups in the same second would
collide: :func:`backup` waits for the next second when it has to (repozo reads
the real clock, not ``now``). Time is injected (``now=``).

Callers use this package's names (``from bat_os.supervise import backup as
backups``; ``backups.backup(...)``). May import: ``bat_os.errors`` and
``bat_os.image`` (the chronicle); nothing else of ``supervise``.
"""

from bat_os.supervise.backup.backing_up import backup, backup_image
from bat_os.supervise.backup.blobs import (
    LAYOUT,
    blob_files,
    default_blob_dir,
    read_manifest,
)
from bat_os.supervise.backup.locks import image_holder
from bat_os.supervise.backup.pruning import PruneRecord, chain_length, prune
from bat_os.supervise.backup.records import (
    LOG_NAME,
    BackupRecord,
    RestoreRecord,
    append_log,
    iso,
    read_log,
    sha256_of,
)
from bat_os.supervise.backup.repozo import REPOZO, backup_ids, default_backup_dir
from bat_os.supervise.backup.restoring import restore, restore_image, verify_image_file

__all__ = [
    "LAYOUT",
    "LOG_NAME",
    "REPOZO",
    "BackupRecord",
    "PruneRecord",
    "RestoreRecord",
    "append_log",
    "backup",
    "backup_ids",
    "backup_image",
    "blob_files",
    "chain_length",
    "default_backup_dir",
    "default_blob_dir",
    "image_holder",
    "iso",
    "prune",
    "read_log",
    "read_manifest",
    "restore",
    "restore_image",
    "sha256_of",
    "verify_image_file",
]

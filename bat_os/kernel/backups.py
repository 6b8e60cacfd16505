"""Backups of the kernel's own image, taken while it serves (the ``backup`` command's service).

repozo runs on a worker thread (the event loop keeps serving); the backup's
entry is then committed to the image's chronicle on the loop thread. One
backup runs at a time; a second request waits for the first. The backup
itself is :func:`bat_os.supervise.backup.backup`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Callable

from bat_os.errors import BackupError, BackupFailed
from bat_os.image.chronicle import record_entry
from bat_os.image.image import Image
from bat_os.supervise import backup as backups

logger = logging.getLogger(__name__)


class KernelBackups:
    """Backups of the kernel's own image: repozo on a worker thread, the entry committed on the loop thread."""

    def __init__(self, image: Image, backup_dir: Path, now: Callable[[], float] = time.time) -> None:
        self.image = image
        self.backup_dir = Path(backup_dir)
        self.now = now
        self._lock: asyncio.Lock | None = None  # made in the running loop

    async def backup(self, *, full: bool, reason: str) -> dict:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            try:
                record = await asyncio.to_thread(
                    backups.backup, self.image.path, self.backup_dir,
                    blob_dir=self.image.blob_dir, full=full, reason=reason, now=self.now,
                )
            except BackupError as exc:
                logger.error("backup failed: %s", exc)
                raise BackupFailed(str(exc)) from exc
        entry = record.as_dict()
        self.image.run(lambda: record_entry(self.image.connection.root(), entry), note=f"chronicle: backup {record.id}")
        return {**entry, "backup_dir": str(self.backup_dir), "via": "kernel", "recorded_in_image": True}

"""The locks a backup or a restore respects: the image's FileStorage lock, and the backup directory's.

A kernel holds ``IMAGE.lock`` while it runs; a restore refuses while anyone
holds it and holds it itself while it works, so no kernel starts half way.
``BACKUP_DIR/.lock`` is held while a backup or a restore works there.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import zc.lockfile

from bat_os.errors import BackupError, ImageInUse


def image_holder(image_path: Path) -> str | None:
    """None when no process holds the image's FileStorage lock; otherwise the holder's pid (as text)."""
    try:
        with holding_image(Path(image_path)):
            return None
    except ImageInUse as exc:
        return exc.holder


@contextmanager
def holding_image(image_path: Path) -> Iterator[None]:
    """Hold the image's FileStorage lock (the one a kernel holds while it runs)."""
    lock_path = f"{image_path}.lock"
    try:
        lock = zc.lockfile.LockFile(lock_path)
    except zc.lockfile.LockError as exc:
        holder = _lock_owner(lock_path)
        raise ImageInUse(f"image {image_path} is in use by another process (pid {holder}): stop the kernel first", holder) from exc
    try:
        yield
    finally:
        lock.close()


@contextmanager
def repository_lock(backup_dir: Path) -> Iterator[None]:
    backup_dir.mkdir(parents=True, exist_ok=True)
    lock_path = str(backup_dir / ".lock")
    try:
        lock = zc.lockfile.LockFile(lock_path)
    except zc.lockfile.LockError as exc:
        raise BackupError(f"another backup or restore is using {backup_dir} (pid {_lock_owner(lock_path)}); try again when it ends") from exc
    try:
        yield
    finally:
        lock.close()


def _lock_owner(lock_path: str) -> str:
    try:
        with open(lock_path) as fh:
            return fh.read().strip()[:20] or "unknown"
    except OSError:  # Windows: the locked byte cannot be read
        return "unknown"

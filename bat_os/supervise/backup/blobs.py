"""The blob mirror (``BACKUP_DIR/blobs``) and the manifests that say which blob files each backup had.

Repozo does not copy blobs. Committed blob files never change and each has a
unique name (object id and transaction id), so the mirror keeps one hard link
(a copy across file systems) to each, made once; ``BACKUP_DIR/manifests/ID.json``
lists the blob files present when backup ID was taken. Restoring makes the
blob dir hold exactly the manifest's files.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from pathlib import Path

from bat_os.errors import BackupError, BackupNotFound
from bat_os.supervise.backup.repozo import ID_RE

logger = logging.getLogger(__name__)

LAYOUT = ".layout"  # ZODB's blob dir layout marker: mirrored with the blob files, never removed


def default_blob_dir(image_path: Path) -> Path:
    return image_path.with_name(image_path.stem + ".blobs")


def blob_files(blob_dir: Path) -> dict[str, int]:
    """Committed blob files (and the layout marker) in a blob dir: relative POSIX path -> size.

    Skips the blob dir's ``tmp/`` (uncommitted blobs), lock files and anything that is not a plain file.
    """
    found: dict[str, int] = {}
    if not blob_dir.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(blob_dir):
        here = Path(dirpath)
        if here == blob_dir:
            dirnames[:] = [d for d in dirnames if d != "tmp"]
        dirnames.sort()
        for name in sorted(filenames):
            if not (name.endswith(".blob") or (here == blob_dir and name == LAYOUT)):
                continue
            try:
                info = (here / name).lstat()
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode):
                found[(here / name).relative_to(blob_dir).as_posix()] = info.st_size
    return found


def mirror_blobs(blob_dir: Path, mirror: Path) -> tuple[dict[str, int], int]:
    """Link every committed blob file into the mirror (once each); the manifest and how many were new."""
    present = blob_files(blob_dir)
    manifest: dict[str, int] = {}
    new = 0
    for rel, size in present.items():
        target = mirror / rel
        try:
            if not (target.is_file() and target.stat().st_size == size):
                _link_or_copy(blob_dir / rel, target)
                new += rel.endswith(".blob")
        except FileNotFoundError:  # removed by a pack since it was listed: not part of the image any more
            logger.info("blob file %s disappeared while it was being backed up", rel)
            continue
        except OSError as exc:
            raise BackupError(f"cannot mirror blob file {blob_dir / rel} into {mirror}: {exc}") from exc
        manifest[rel] = size
    return manifest, new


def sync_blobs(blob_dir: Path, mirror: Path, manifest: dict[str, int]) -> tuple[int, int]:
    """Make the blob dir hold exactly the manifest's blob files; (restored, removed)."""
    blob_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    present = blob_files(blob_dir)
    removed = 0
    for rel, size in present.items():
        if rel.endswith(".blob") and manifest.get(rel) != size:
            _unlink(blob_dir / rel)
            removed += 1
    restored = 0
    for rel, size in manifest.items():
        if present.get(rel) == size and (blob_dir / rel).exists():
            continue
        _link_or_copy(mirror / rel, blob_dir / rel)
        restored += rel.endswith(".blob")
    _prune_empty_dirs(blob_dir)
    return restored, removed


def read_manifest(backup_dir: Path, backup_id: str) -> dict[str, int]:
    path = manifest_path(Path(backup_dir), backup_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(rel): int(size) for rel, size in data["blobs"].items()}
    except FileNotFoundError:
        raise BackupError(f"backup {backup_id} has no blob manifest ({path}); it was not made by batos.py backup") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"the blob manifest {path} is unreadable: {exc}") from exc


def write_manifest(backup_dir: Path, backup_id: str, blob_dir: Path, blobs: dict[str, int]) -> None:
    _write_json(manifest_path(backup_dir, backup_id), {"id": backup_id, "blob_dir": str(blob_dir), "blobs": blobs})


def manifest_path(backup_dir: Path, backup_id: str) -> Path:
    if not ID_RE.match(backup_id):
        raise BackupNotFound(f"{backup_id!r} is not a backup id (they look like 2025-01-31-12-00-05)")
    return backup_dir / "manifests" / f"{backup_id}.json"


def count_blobs(manifest: dict[str, int]) -> int:
    return sum(1 for rel in manifest if rel.endswith(".blob"))


def blob_bytes(manifest: dict[str, int]) -> int:
    return sum(size for rel, size in manifest.items() if rel.endswith(".blob"))


def has_file(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link ``source`` at ``target`` (a copy across file systems), atomically."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    remove([partial])
    try:
        os.link(source, partial)
    except FileNotFoundError:
        raise
    except OSError:  # another file system, or no hard links here
        shutil.copy2(source, partial)
    os.replace(partial, target)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except PermissionError:  # Windows: committed blobs are read-only
        os.chmod(path, stat.S_IWRITE | stat.S_IREAD)
        path.unlink()


def remove(paths: list[Path]) -> None:
    for path in paths:
        try:
            _unlink(Path(path))
        except FileNotFoundError:
            pass


def _prune_empty_dirs(root: Path) -> None:
    """Remove the directories emptied by a restore (bottom up; rmdir refuses any that is not empty)."""
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
        here = Path(dirpath)
        if here in (root, root / "tmp") or filenames:
            continue
        try:
            here.rmdir()
        except OSError:
            pass


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        with open(partial, "w", encoding="utf-8") as fh:
            json.dump(data, fh, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc}") from exc

"""Backups of an image: repozo for the FileStorage, a hard-linked mirror for its blobs, a plain log.

A backup directory holds::

    BACKUP_DIR/
      repozo/             repozo's repository: YYYY-MM-DD-hh-mm-ss.fs (full) and .deltafs
                          (incremental) files, with repozo's .dat and .index files
      blobs/              every committed blob file ever backed up, under its path in the blob dir
      manifests/ID.json   the blob files (relative path -> size) present when backup ID was taken
      chronicle.jsonl     one JSON object per backup and per restore, oldest first
      .lock               held while a backup or a restore works here

**The FileStorage.** ZODB's ``repozo`` (run as ``python -m ZODB.scripts.repozo``)
opens the image read-only and copies it up to its last complete transaction,
so a live kernel's image can be backed up while it serves. The first backup
(and ``full=True``) copies the whole file; later ones copy what was appended
since (an incremental). A backup's id is repozo's name for it: the UTC second
it was taken, ``2025-01-31-12-00-05``. Repozo names files by the second, so
two backups in the same second would collide: :func:`backup` waits for the
next second when it has to (repozo reads the real clock, not ``now``).

**Blobs.** Repozo does not copy blobs. Committed blob files never change and
each has a unique name (object id and transaction id), so the mirror keeps
one hard link (a copy across file systems) to each, made once; a manifest per
backup lists the blob files present when it was taken. Restoring makes the
blob dir hold exactly the manifest's files.

**Restore** recovers with repozo into a file beside the image, checks it
(repozo's checksums, then FileStorage opens it read-only: complete, root
readable, the size the backup recorded), and only then replaces the image
with ``os.replace``. It refuses, changing nothing, while any process holds the
image's ``.lock`` (:class:`~bat_os.errors.ImageInUse`), and it holds that lock
itself while it works, so no kernel can start half way.

Time is injected (``now=``); nothing here touches a ZODB connection, so the
kernel runs :func:`backup` on a worker thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import zc.lockfile

from bat_os.errors import BackupError, BackupNotFound, ImageInUse

logger = logging.getLogger(__name__)

REPOZO = (sys.executable, "-m", "ZODB.scripts.repozo")
LOG_NAME = "chronicle.jsonl"
LAYOUT = ".layout"  # ZODB's blob dir layout marker: mirrored with the blob files, never removed
_ID_RE = re.compile(r"^\d{4}(?:-\d\d){5}$")
_DATA_RE = re.compile(r"^(?P<id>\d{4}(?:-\d\d){5})\.(?P<ext>(?:delta)?fsz?)$")  # repozo's is_data_file
REPOZO_TIMEOUT = 3600.0  # seconds one repozo run may take


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


# --- backing up ---------------------------------------------------------------------------


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
    with _repository_lock(backup_dir):
        before = set(_data_files(repo))
        _wait_for_a_fresh_name(repo)
        _repozo(["-B", "-r", str(repo), "-f", str(image_path)] + (["-F"] if full else []))
        written = sorted(set(_data_files(repo)) - before)
        if len(written) > 1:
            raise BackupError(f"repozo wrote {len(written)} files in {repo}; expected one: {', '.join(written)}")
        if written:
            name = written[0]
            kind = "full" if _DATA_RE.match(name).group("ext").startswith("fs") else "incremental"
        else:  # the image has not changed since the latest backup: that one restores it
            if not before:
                raise BackupError(f"repozo wrote nothing in {repo}")
            name = _latest_name(before)
            kind = "unchanged"
        backup_id = _DATA_RE.match(name).group("id")
        path = repo / name
        image_size = _dat_entries(repo)[name][1]
        manifest_path = _manifest_path(backup_dir, backup_id)
        if kind == "unchanged" and manifest_path.is_file():
            blobs, new = read_manifest(backup_dir, backup_id), 0
        else:
            blobs, new = _mirror_blobs(blob_dir, backup_dir / "blobs")
            _write_json(manifest_path, {"id": backup_id, "blob_dir": str(blob_dir), "blobs": blobs})
        when = now()
        record = BackupRecord(
            id=backup_id, time=when, time_iso=iso(when), kind=kind, reason=reason, file=str(path),
            size=path.stat().st_size, sha256=sha256_of(path), image=str(image_path), image_size=image_size,
            blob_count=_count(blobs), blob_bytes=_bytes(blobs), blobs_new=new,
        )
        append_log(backup_dir, record.as_dict())
    logger.info("backup %s (%s) of %s: %d bytes, %d blob files (%d new)", record.id, kind, image_path, record.size, record.blob_count, new)
    return record


def _wait_for_a_fresh_name(repo: Path) -> None:
    """Repozo names its file after the current UTC second; wait until no file has that name yet."""
    names = _data_files(repo)
    if not names:
        return
    latest = _DATA_RE.match(_latest_name(names)).group("id")
    for _ in range(3):
        stamp = time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime())
        if stamp > latest:
            return
        time.sleep(1.0 - time.time() % 1.0 + 0.01)
    raise BackupError(f"the latest backup in {repo} ({latest}) is dated in the future; is the clock right?")


def _mirror_blobs(blob_dir: Path, mirror: Path) -> tuple[dict[str, int], int]:
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


# --- restoring ----------------------------------------------------------------------------


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
    missing = [rel for rel, size in manifest.items() if not _has_file(mirror / rel, size)]
    if missing:
        raise BackupError(f"the blob mirror {mirror} lacks {len(missing)} file(s) of backup {backup_id}, e.g. {missing[0]}")
    repo = backup_dir / "repozo"
    name = next(n for n in _data_files(repo) if n.startswith(backup_id + "."))
    expected_size = _dat_entries(repo)[name][1]

    image_path.parent.mkdir(parents=True, exist_ok=True)
    with _holding_image(image_path), _repository_lock(backup_dir):
        scratch = image_path.with_name(image_path.name + ".restoring")
        leftovers = [scratch, Path(f"{scratch}.part"), Path(f"{scratch}.index")]
        _remove(leftovers)
        try:
            _repozo(["-R", "-w", "-r", str(repo), "-D", backup_id, "-o", str(scratch)])
            verify_image_file(scratch, expected_size)
            # The point of no return: the recovered file is complete and checked.
            _remove([Path(f"{image_path}.index"), Path(f"{image_path}.tmp")])
            os.replace(scratch, image_path)
            if Path(f"{scratch}.index").is_file():  # repozo's index of exactly this state
                os.replace(f"{scratch}.index", f"{image_path}.index")
            _fsync_dir(image_path.parent)
            restored, removed = _sync_blobs(blob_dir, mirror, manifest)
        finally:
            _remove(leftovers)
        when = now()
        record = RestoreRecord(
            id=backup_id, time=when, time_iso=iso(when), reason=reason, image=str(image_path),
            image_size=image_path.stat().st_size, blob_count=_count(manifest), blob_bytes=_bytes(manifest),
            blobs_restored=restored, blobs_removed=removed,
        )
        append_log(backup_dir, record.as_dict())
    logger.info("restored %s from backup %s: %d bytes, %d blob files (%d restored, %d removed)",
                image_path, backup_id, record.image_size, record.blob_count, restored, removed)
    return record


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


def _sync_blobs(blob_dir: Path, mirror: Path, manifest: dict[str, int]) -> tuple[int, int]:
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


# --- the image's lock ---------------------------------------------------------------------


def image_holder(image_path: Path) -> str | None:
    """None when no process holds the image's FileStorage lock; otherwise the holder's pid (as text)."""
    try:
        with _holding_image(Path(image_path)):
            return None
    except ImageInUse as exc:
        return exc.holder


@contextmanager
def _holding_image(image_path: Path) -> Iterator[None]:
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
def _repository_lock(backup_dir: Path) -> Iterator[None]:
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


# --- the backup directory -----------------------------------------------------------------


def default_blob_dir(image_path: Path) -> Path:
    return image_path.with_name(image_path.stem + ".blobs")


def default_backup_dir(image_path: Path) -> Path:
    return Path(image_path).parent / "backups"


def backup_ids(backup_dir: Path) -> list[str]:
    """The ids of the backups repozo holds, oldest first."""
    return sorted(_DATA_RE.match(name).group("id") for name in _data_files(Path(backup_dir) / "repozo"))


def read_manifest(backup_dir: Path, backup_id: str) -> dict[str, int]:
    path = _manifest_path(Path(backup_dir), backup_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(rel): int(size) for rel, size in data["blobs"].items()}
    except FileNotFoundError:
        raise BackupError(f"backup {backup_id} has no blob manifest ({path}); it was not made by batos.py backup") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"the blob manifest {path} is unreadable: {exc}") from exc


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


def _count(manifest: dict[str, int]) -> int:
    return sum(1 for rel in manifest if rel.endswith(".blob"))


def _bytes(manifest: dict[str, int]) -> int:
    return sum(size for rel, size in manifest.items() if rel.endswith(".blob"))


def iso(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="seconds")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _data_files(repo: Path) -> list[str]:
    try:
        return sorted(name for name in os.listdir(repo) if _DATA_RE.match(name))
    except FileNotFoundError:
        return []


def _latest_name(names) -> str:
    return max(names, key=lambda n: _DATA_RE.match(n).group("id"))


def _dat_entries(repo: Path) -> dict[str, tuple[int, int]]:
    """repozo's .dat files: data file name -> (start, end) byte positions in the image."""
    entries: dict[str, tuple[int, int]] = {}
    for dat in sorted(repo.glob("*.dat")):
        for line in dat.read_text().splitlines():
            parts = line.split()
            if len(parts) == 4:
                entries[os.path.basename(parts[0])] = (int(parts[1]), int(parts[2]))
    return entries


def _manifest_path(backup_dir: Path, backup_id: str) -> Path:
    if not _ID_RE.match(backup_id):
        raise BackupNotFound(f"{backup_id!r} is not a backup id (they look like 2025-01-31-12-00-05)")
    return backup_dir / "manifests" / f"{backup_id}.json"


def _repozo(args: list[str]) -> None:
    try:
        done = subprocess.run([*REPOZO, *args], capture_output=True, text=True, timeout=REPOZO_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"repozo could not run: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"repozo {args[0]} failed (exit {done.returncode}): {detail[-1] if detail else 'no message'}")


def _has_file(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link ``source`` at ``target`` (a copy across file systems), atomically."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    _remove([partial])
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


def _remove(paths: list[Path]) -> None:
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


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = [
    "BackupRecord", "RestoreRecord", "backup", "restore", "backup_ids", "read_log", "append_log",
    "read_manifest", "image_holder", "blob_files", "default_backup_dir", "verify_image_file",
]

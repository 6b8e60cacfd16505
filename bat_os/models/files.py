"""Model files on disk: hashing, staging them for a commit, and linking committed blobs for loading.

Hashing: :func:`sha256_file` reads 1 MiB chunks; :func:`content_digest` is the
sha256 over the sorted (file name, file sha256) pairs, the key of a stored
model (identical files under identical names: one key).

Staging (the import's ``hash`` and ``stage`` steps, see :mod:`bat_os.models.store`):
:func:`hash_in_place` hashes a user's files where they are; :func:`copy_staged`
copies them into the staging directory (a reflink where the file system has
them, btrfs, xfs, bcachefs...) and refuses a file that changed since it was
hashed; :func:`link_staged` hard-links BAT OS's own files (a download, a
quantization) there instead and hashes the links; :func:`link_or_copy` copies
where a hard link cannot be made (another device, no permission, too many
links, a file system without them).

Loading (the model manager, on the event-loop thread) reads no weights:
:func:`link_files` symlinks the committed blob files under their original
names into a private directory for ``from_pretrained`` (hard links where
symlinks need a privilege, as on Windows); :func:`verify` checks
their sha256 (cached by path, size and mtime), and :func:`committed_files`
gives the plain data to run that check on another thread.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from ZODB.POSException import POSError

from bat_os.errors import ModelError, ModelUnavailable
from bat_os.models.progress import ProgressFactory, open_bar
from bat_os.models.records import AdapterRecord, ModelRecord

logger = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes read at a time when hashing


# --- hashing ------------------------------------------------------------------------------


def sha256_file(path: str | os.PathLike, on_bytes: Callable[[int], Any] | None = None) -> str:
    """The file's sha256, read in 1 MiB chunks; ``on_bytes(n)`` after each chunk (a progress bar)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            if on_bytes is not None:
                on_bytes(len(block))
    return digest.hexdigest()


def content_digest(pairs: Any) -> str:
    """sha256 over the sorted (name, sha256) pairs: equal for identical files under identical names."""
    digest = hashlib.sha256()
    for name, sha in sorted(pairs):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()


# --- staging ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    name: str
    path: Path  # the file to store: under <staging>/staged once staged (a copy or a hard link)
    size: int
    sha256: str
    signature: tuple = ()  # (size, mtime_ns, device, inode) of a user's file when it was hashed


def link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP):
            raise
        logger.info("cannot hard-link %s into %s (%s): copying it", src, dst.parent, exc.strerror)
        shutil.copyfile(src, dst)


def signature(path: Path) -> tuple:
    """(size, mtime_ns, device, inode): what tells a file changed since it was hashed."""
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino)


def hash_in_place(directory: Path, names: list[str], progress: ProgressFactory | None, label: str) -> list[Staged]:
    """Hash each file where it is (one progress bar over all bytes)."""
    signatures = {name: signature(directory / name) for name in names}
    bar = open_bar(progress, label, sum(sig[0] for sig in signatures.values()))
    try:
        return [
            Staged(name, directory / name, signatures[name][0], sha256_file(directory / name, bar.update), signatures[name])
            for name in names
        ]
    finally:
        bar.close()


def link_staged(origin: Path, names: list[str], dest: Path, progress: ProgressFactory | None, label: str) -> list[Staged]:
    """Hard-link BAT OS's own files (a download, a quantization) into ``dest`` and hash the links."""
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        link_or_copy(origin / name, dest / name)
    return hash_in_place(dest, names, progress, label)


def copy_staged(hashed: list[Staged], dest: Path, progress: ProgressFactory | None, label: str) -> list[Staged]:
    """Copy a user's hashed files into ``dest`` (a reflink where the file system has them); a file whose
    size, mtime or inode moved since it was hashed is refused: it changed during the import."""
    bar = open_bar(progress, label, sum(item.size for item in hashed))
    staged = []
    try:
        for item in hashed:
            target = dest / item.name
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy(item.path, target)
            if signature(item.path) != item.signature or target.stat().st_size != item.size:
                raise ModelError(f"{item.path} changed while it was being imported; run the import again")
            staged.append(Staged(item.name, target, item.size, item.sha256))
            bar.update(item.size)
    finally:
        bar.close()
    return staged


def _copy(src: Path, dst: Path) -> None:
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        if _reflink(fin.fileno(), fout.fileno()):
            return
    shutil.copyfile(src, dst)  # sendfile: the bytes stay in the kernel


def _reflink(src_fd: int, dst_fd: int) -> bool:
    """A copy-on-write clone (btrfs, xfs, bcachefs...): instant and no extra space; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    import fcntl

    try:
        fcntl.ioctl(dst_fd, 0x40049409, src_fd)  # FICLONE
    except OSError:
        return False
    return True


# --- loading support: committed blob files, links and verification ---------------------------


@dataclass(frozen=True)
class CommittedFile:
    """Plain data about one stored file, safe to hand to another thread."""

    name: str
    path: str  # the committed blob file (read-only)
    sha256: str
    size: int


def committed_files(record: ModelRecord | AdapterRecord) -> list[CommittedFile]:
    """The committed blob file of each stored file (ZODB access: the connection's thread only)."""
    found = []
    for name, stored in sorted(record.files.items()):
        try:
            path = stored.blob.committed()
        except POSError as exc:  # POSKeyError "No blob file", BlobError
            raise ModelUnavailable(f"{record.describe_short()}: stored file {name} is missing from the image's blobs ({exc})") from exc
        found.append(CommittedFile(name, path, stored.sha256, stored.size))
    return found


def link_files(
    record: ModelRecord | AdapterRecord | list[CommittedFile] | tuple[CommittedFile, ...], into: Path, *,
    symlink: Callable[[str, Path], None] = os.symlink,
) -> Path:
    """Symlink each committed blob file under its original name into ``into`` (created, or an empty
    directory; mode 0o700) and return it. Nothing is copied or read. Given ``committed_files(record)``
    (plain data) it touches no ZODB object, so it may run on another thread.

    Where a symlink cannot be made (Windows without Developer Mode or admin rights: WinError 1314;
    a file system without symlinks) the file is hard-linked instead, or copied as a last resort."""
    into = Path(into)
    items = record if isinstance(record, (list, tuple)) else committed_files(record)
    if into.exists():
        if not into.is_dir() or any(into.iterdir()):
            what = "the files" if isinstance(record, (list, tuple)) else record.describe_short()
            raise ModelError(f"{into} must be a new or empty directory to link {what} into")
    else:
        into.mkdir(parents=True)
    into.chmod(0o700)
    for item in items:
        relative = PurePosixPath(item.name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ModelUnavailable(f"refusing a stored file name that leaves the model directory: {item.name!r}")
        target = into.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            symlink(item.path, target)
        except FileExistsError:
            raise
        except OSError as exc:
            logger.info("cannot symlink %s (%s): linking or copying it instead", item.name, exc)
            link_or_copy(Path(item.path), target)
    return into


def verify(
    record: ModelRecord | AdapterRecord | list[CommittedFile] | tuple[CommittedFile, ...], cache: dict | None = None, *,
    hasher: Callable[[str], str] = sha256_file,
) -> None:
    """Compare every committed blob file's size and sha256 to the stored ones; ModelUnavailable names the
    first that differs or is missing. ``cache`` (kept by the caller) maps (path, size, mtime_ns) to the
    digest found, so an unchanged file is hashed once. Give it ``committed_files(record)`` to run it
    away from the connection's thread."""
    items = record if isinstance(record, (list, tuple)) else committed_files(record)
    for item in items:
        try:
            stat = os.stat(item.path)
        except OSError as exc:
            raise ModelUnavailable(f"stored file {item.name} is missing from the image's blobs ({exc.strerror})") from exc
        key = (item.path, stat.st_size, stat.st_mtime_ns)
        found = cache.get(key) if cache is not None else None
        if found is None:
            found = hasher(item.path)
            if cache is not None:
                cache[key] = found
        if stat.st_size != item.size or found != item.sha256:
            raise ModelUnavailable(
                f"stored file {item.name} does not match its sha256 (its blob {item.path} is damaged);"
                " import the model again"
            )


__all__ = [
    "CHUNK", "CommittedFile", "Staged", "committed_files", "content_digest", "copy_staged", "hash_in_place",
    "link_files", "link_or_copy", "link_staged", "sha256_file", "signature", "verify",
]

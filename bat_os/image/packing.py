"""Packing the image (ZODB's FileStorage pack), safely under ``kill -9``, and measuring its history.

A pack drops the revisions that newer ones replaced before the pack time, and the objects nothing
reaches any more (with their blob files). FileStorage packs beside the image: it copies what stays
into ``IMAGE.pack`` while commits go on (it takes the commit lock only for the last transactions),
then renames ``IMAGE`` to ``IMAGE.old`` and ``IMAGE.pack`` to ``IMAGE``. So at every moment the
files on disk hold the whole image:

* killed while copying: ``IMAGE`` is untouched; a stray ``IMAGE.pack`` is left beside it;
* killed between the two renames: ``IMAGE`` is missing and ``IMAGE.old`` is the image as it was;
* killed after them: ``IMAGE`` is the packed image, its ``.index`` perhaps the old file's.

:func:`pack_storage` writes ``IMAGE.packing`` (a marker) before it starts and removes it when
the pack is over; :func:`recover_interrupted_pack` runs before the image opens for writing
(:class:`bat_os.image.image.Image`) and, when the marker or a ``.pack`` says a pack was cut
short, puts things right: ``IMAGE.old`` back as ``IMAGE`` if ``IMAGE`` is missing,
the stray ``.pack`` and ``.old`` removed, and the ``.index`` removed (FileStorage rebuilds it
from the file: slower once, never wrong).

The packer is FileStorage's own, with two additions (:class:`_WatchedPacker`): it reports how far
it has read (:class:`PackWatch`, read by the event loop for progress) and it stops at the next
transaction when asked (a kernel that shuts down); and the packed file is fsynced before it takes
the image's place. Nothing here touches a ZODB connection: :func:`pack_storage` runs on a worker
thread, with the storage (FileStorage is made to pack while the loop thread commits).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import zc.lockfile
from ZODB.FileStorage.fspack import FileStoragePacker

from bat_os.oscompat import fsync_dir, fsync_path

logger = logging.getLogger(__name__)

DATA_HEADER = 42  # bytes of a FileStorage data record's header (ZODB.FileStorage.format.DATA_HDR_LEN)
MARKER = ".packing"  # IMAGE.packing: a pack is under way (or was cut short)


class PackStopped(Exception):
    """The pack was asked to stop (the kernel is stopping); the image is as it was."""


@dataclass
class PackWatch:
    """What a pack running on a worker thread shows the event loop (plain attributes: written by one
    thread, read by the other). ``stage``: ``gc`` (finding what stays), ``copy`` (copying it),
    ``tail`` (the transactions committed meanwhile, under the commit lock), ``done``."""

    stage: str = "starting"
    done: int = 0  # bytes of the image read so far
    total: int = 0  # bytes of the image when the pack started
    stop: bool = False  # set by the loop: stop at the next transaction


class _WatchedPacker(FileStoragePacker):
    """FileStorage's packer, reporting how far it has read and stopping when asked."""

    def __init__(self, storage: Any, referencesf: Any, stop: bytes, gc: bool, watch: PackWatch) -> None:
        self.watch = watch
        watch.stage, watch.total = "gc", storage.getSize()
        super().__init__(storage, referencesf, stop, gc)

    def copyToPacktime(self):  # noqa: N802 - ZODB's name
        self.watch.stage = "copy"
        return super().copyToPacktime()

    def copyDataRecords(self, pos, th):  # noqa: N802 - ZODB's name; called once per transaction
        if self.watch.stop:
            raise PackStopped("the pack was stopped")
        self.watch.done = pos
        return super().copyDataRecords(pos, th)

    def copyRest(self, ipos):  # noqa: N802 - ZODB's name
        self.watch.stage, self.watch.done = "tail", ipos
        return super().copyRest(ipos)


def _packer(watch: PackWatch) -> Callable:
    """A FileStorage ``packer`` (its IFileStoragePacker contract) built around :class:`_WatchedPacker`."""

    def packer(storage: Any, referencesf: Any, stop: bytes, gc: bool) -> Any:
        p = _WatchedPacker(storage, referencesf, stop, gc, watch)
        try:
            opos = p.pack()
            if opos is None:  # nothing to drop (FileStoragePacker removed its .pack)
                return None
            fsync_path(Path(p._name + ".pack"))  # durable before it replaces the image
            return opos, p.index
        except BaseException:
            _discard(p)
            raise
        finally:
            p.close()

    return packer


def _discard(p: FileStoragePacker) -> None:
    """A pack that failed or was stopped: close and remove its ``.pack`` (the image is untouched)."""
    if p._tfile is not None:
        try:
            p._tfile.close()
        except OSError:
            pass
    _remove(Path(p._name + ".pack"))


@dataclass(frozen=True)
class PackOutcome:
    size_before: int
    size_after: int
    packed: bool  # False: there was nothing to drop before the pack time


def pack_storage(storage: Any, path: Path, pack_time: float, watch: PackWatch, *, gc: bool = True) -> PackOutcome:
    """Pack ``storage`` (the FileStorage of the image at ``path``) as of ``pack_time`` (epoch seconds).

    Runs on a worker thread; the caller makes sure only one pack runs at a time. Raises
    :class:`PackStopped` when ``watch.stop`` is set mid-way, and what FileStorage raises on a
    failure (OSError: no space left...); either way the image is as it was.
    """
    from ZODB.serialize import referencesf

    path = Path(path)
    size_before = storage.getSize()
    marker = Path(f"{path}{MARKER}")
    _write_marker(marker, {"started": time.time(), "pid": os.getpid(), "pack_time": pack_time, "size": size_before})
    keep_old, saved_packer = storage.pack_keep_old, storage.__dict__.get("packer")
    storage.pack_keep_old = False  # the old file (and dropped blobs) go once the pack is over
    storage.packer = _packer(watch)
    try:
        storage.pack(pack_time, referencesf, gc=gc)
    except BaseException:
        if not (Path(f"{path}.pack").exists() or Path(f"{path}.old").exists()):
            _remove(marker)  # the image is untouched; otherwise the next start puts things right
        raise
    finally:
        storage.pack_keep_old = keep_old
        if saved_packer is None:
            del storage.packer
        else:
            storage.packer = saved_packer
    fsync_dir(path.parent)
    _remove(marker)
    fsync_dir(path.parent)
    watch.stage = "done"
    size_after = storage.getSize()
    return PackOutcome(size_before=size_before, size_after=size_after, packed=size_after != size_before)


def recover_interrupted_pack(path: Path) -> dict | None:
    """Put right what a pack cut short (``kill -9``, power loss) left beside the image at ``path``.

    Call before the image is opened for writing. Returns what was found and done (logged as a
    warning), or None when no pack was interrupted (or another process holds the image: then it
    is that process's to recover, and nothing is touched).
    """
    path = Path(path)
    marker, pack, old, index = (Path(f"{path}{ext}") for ext in (MARKER, ".pack", ".old", ".index"))
    if not (marker.exists() or pack.exists()):
        return None
    try:
        lock = zc.lockfile.LockFile(f"{path}.lock")
    except zc.lockfile.LockError:
        return None  # a kernel holds the image (and may be packing it right now)
    try:
        note = _read_marker(marker)
        actions = []
        if pack.exists() or not path.exists():
            state = "before"  # still copying, or between the renames: the image is as it was
        elif old.exists():
            state = "after"  # renamed: the packed file is the image; what is left is leftovers
        else:
            state = "unknown"  # not copying yet, or done but for the marker: the image file is whole either way
        if not path.exists() and old.exists():  # between the renames: the old file is the whole image
            os.replace(old, path)
            actions.append(f"put {old.name} back as {path.name}")
        for stray in (pack, old):
            if stray.exists():
                _remove(stray)
                actions.append(f"removed {stray.name}")
        if index.exists():  # it may describe the file before the pack: FileStorage rebuilds it
            _remove(index)
            actions.append(f"removed {index.name} (FileStorage rebuilds it)")
        _remove(marker)
        fsync_dir(path.parent)
    finally:
        lock.close()
    report = {"state": state, "started": note.get("started"), "pack_time": note.get("pack_time"),
              "size_before": note.get("size"), "pid": note.get("pid"), "actions": actions}
    logger.warning("a pack of %s was cut short (pid %s died while packing); the image is as it was %s it: %s",
                   path, note.get("pid", "?"), {"before": "before", "after": "after"}.get(state, "before or after"),
                   "; ".join(actions) or "nothing to undo")
    return report


# --- measuring ---------------------------------------------------------------------------------


def measure_history(path: Path, blob_dir: Path | None = None) -> dict:
    """What a pack as of now would drop from the image file, read from the file itself.

    ``bytes`` (``records``): the data records a pack with no history kept (``days`` 0) drops: every
    revision a newer one of the same object replaced, and every revision of the objects that the
    root no longer reaches (headers included; the headers of transactions left empty are not
    counted). ``current_bytes`` (``objects``): what stays, the newest revision of every object the
    root reaches. ``blob_bytes``: the blob files, every revision (a pack drops the unreachable ones).
    Reads the file with its own handle: safe while the kernel commits (an unfinished last
    transaction is left out). Cost: one pass over the file, parsing the newest revisions' references.
    """
    from ZODB.FileStorage import FileIterator
    from ZODB.serialize import referencesf
    from ZODB.utils import z64

    started = time.monotonic()
    newest: dict[bytes, tuple[int, list]] = {}  # oid -> (bytes of its newest record, the oids it refers to)
    total = records = transactions = 0
    iterator = FileIterator(str(path))
    try:
        for txn in iterator:
            transactions += 1
            for record in txn:
                size = DATA_HEADER + (len(record.data) if record.data is not None else 8)
                newest[record.oid] = (size, referencesf(record.data) if record.data else [])
                total += size
                records += 1
    finally:
        iterator.close()
    reached: set[bytes] = set()
    todo = [z64] if z64 in newest else []
    while todo:
        oid = todo.pop()
        if oid in reached or oid not in newest:
            continue
        reached.add(oid)
        todo.extend(ref for ref in newest[oid][1] if ref not in reached)
    current = sum(newest[oid][0] for oid in reached)
    return {
        "bytes": total - current, "records": records - len(reached), "current_bytes": current, "objects": len(reached),
        "transactions": transactions, "blob_bytes": tree_bytes(blob_dir) if blob_dir is not None else None,
        "seconds": round(time.monotonic() - started, 3),
    }


def tree_bytes(folder: Path) -> int:
    """Bytes of the blob files under ``folder`` (every revision; 0 when there is none)."""
    total = 0
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            if name.endswith(".blob"):
                try:
                    total += os.lstat(os.path.join(dirpath, name)).st_size
                except FileNotFoundError:  # dropped by a pack meanwhile
                    pass
    return total


# --- files -------------------------------------------------------------------------------------


def _write_marker(marker: Path, note: dict) -> None:
    with open(marker, "w", encoding="utf-8") as fh:
        json.dump(note, fh)
        fh.flush()
        os.fsync(fh.fileno())
    fsync_dir(marker.parent)


def _read_marker(marker: Path) -> dict:
    try:
        note = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return note if isinstance(note, dict) else {}


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass

"""The Historical Chronicler: the image's own record of its backups and restores.

Migration 5 puts a :class:`Chronicle` at the root key ``chronicle_obj``: a
persistent list of plain entries (maps of str to str/int/float), the same
records :mod:`bat_os.backup` appends to ``BACKUP_DIR/chronicle.jsonl``. The
plain log is the authority (it survives a restore); the image's chronicle is
history the image carries with it. A backup's own entry is recorded after the
backup, so backup X never holds its own entry.

Commands added here::

    {"command": "backup", "full"?: false, "reason"?: "", "image"?: PATH}
        -> the backup record {"event": "backup", "id", "time", "time_iso", "kind", "reason", "file",
           "size", "sha256", "image", "image_size", "blob_count", "blob_bytes", "blobs_new"}
           plus {"backup_dir", "via": "kernel", "recorded_in_image": true}
        error "backup_failed" (repozo, the blob mirror, the backup directory), "bad_request"
        ("image" names another image than this kernel's)
    {"command": "chronicle", "limit"?: 100, "event"?: "backup" | "restored"}
        -> {"entries": [entry, ...] (oldest first, the last ``limit``), "count": all entries}

The backup runs repozo on a worker thread (the event loop keeps serving);
its entry is then committed on the loop thread. One backup runs at a time;
a second request waits for the first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import persistent
from persistent.list import PersistentList

from .commands import Call, Command, Context, Deferred, _field, register
from .errors import BackupError, BackupFailed, BadRequest, Internal

logger = logging.getLogger(__name__)

CHRONICLE_KEY = "chronicle_obj"
MAX_LIMIT = 10_000


class Chronicle(persistent.Persistent):
    """Entries oldest first; each a plain dict that is never changed once appended."""

    def __init__(self) -> None:
        self.entries = PersistentList()

    def record(self, entry: Mapping[str, Any]) -> int:
        """Append one entry; returns how many there are now."""
        self.entries.append(plain_entry(entry))
        return len(self.entries)

    def summary(self) -> dict:
        last = self.entries[-1] if self.entries else None
        return {"entries": len(self.entries), "last": dict(last) if last is not None else None}


def plain_entry(entry: Mapping[str, Any]) -> dict:
    """A copy holding only str keys and str/int/float values (anything else is a caller's bug)."""
    clean: dict[str, Any] = {}
    for key, value in entry.items():
        if not isinstance(key, str):
            raise TypeError(f"chronicle keys are strings, not {type(key).__name__}")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise TypeError(f"chronicle value {key!r} must be a str, int or float, not {type(value).__name__}")
        clean[key] = value
    return clean


def ensure_chronicle(root: Any, context: Any = None) -> Chronicle:
    """Migration 5 (and anyone recording into an image not yet at 5): the chronicle exists afterwards."""
    chronicle = root.get(CHRONICLE_KEY)
    if not isinstance(chronicle, Chronicle):
        chronicle = root[CHRONICLE_KEY] = Chronicle()
    return chronicle


def record_entry(root: Any, entry: Mapping[str, Any]) -> int:
    """Record a backup or restore record in the image's chronicle (inside the caller's transaction)."""
    return ensure_chronicle(root).record(entry)


def chronicle_entries(root: Any) -> list[dict]:
    chronicle = root.get(CHRONICLE_KEY)
    return [dict(entry) for entry in chronicle.entries] if isinstance(chronicle, Chronicle) else []


# --- the kernel's side ----------------------------------------------------------------------


class KernelBackups:
    """Backups of the kernel's own image: repozo on a worker thread, the entry committed on the loop thread."""

    def __init__(self, image: Any, backup_dir: Path, now: Callable[[], float] = time.time) -> None:
        self.image = image
        self.backup_dir = Path(backup_dir)
        self.now = now
        self._lock: asyncio.Lock | None = None  # made in the running loop

    async def backup(self, *, full: bool, reason: str) -> dict:
        from . import backup as backups

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


def _service(ctx: Context) -> KernelBackups:
    service = ctx.backups  # set by the kernel (bat_os.kernel.Kernel)
    if service is None:
        raise Internal("this process runs no backups")
    return service


def backup_command(ctx: Context, request: dict) -> Any:
    full = _field(request, "full", bool, default=False)
    reason = _field(request, "reason", str, default="")
    if len(reason) > 1000:
        raise BadRequest("'reason' is longer than 1000 characters")
    image = _field(request, "image", str, default=None)
    if image is not None and Path(image).expanduser().resolve() != Path(ctx.image.path).resolve():
        raise BadRequest(f"this kernel serves {ctx.image.path}, not {image}")
    service = _service(ctx)

    async def run(call: Call) -> dict:
        return await service.backup(full=full, reason=reason)

    raise Deferred(run)


def chronicle_command(ctx: Context, request: dict) -> dict:
    limit = _field(request, "limit", int, default=100)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"'limit' must be between 1 and {MAX_LIMIT}, not {limit}")
    event = _field(request, "event", str, default=None)
    entries = chronicle_entries(ctx.image.connection.root())
    if event is not None:
        entries = [e for e in entries if e.get("event") == event]
    return {"entries": entries[-limit:], "count": len(entries)}


register(Command("backup", backup_command, writes=False))
register(Command("chronicle", chronicle_command, writes=False))

__all__ = ["CHRONICLE_KEY", "Chronicle", "KernelBackups", "chronicle_entries", "ensure_chronicle", "record_entry"]

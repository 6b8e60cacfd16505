"""Backups of the kernel's own image, taken while it serves: on request, on a schedule, pruned to ``backup_keep``.

repozo runs on a worker thread (the event loop keeps serving); the backup's
entry is then committed to the image's chronicle on the loop thread. One
backup (or pack) runs at a time; a second request waits for the first. The
backup itself is :func:`bat_os.supervise.backup.backup`.

After every backup the kernel takes, the backups older than the newest
``backup_keep`` are pruned by whole chains (:mod:`bat_os.supervise.backup.pruning`;
not while the watchdog upgrades the kernel: its rollback may need its backup),
and once the newest chain holds ``backup_keep`` backups the next one is full,
so that chains can be pruned. With ``backup_every`` set, a background task
takes a backup that long after the last one this image had (or after the
kernel started, when it had none); a failed one is tried again after
:data:`RETRY_SECONDS` (or ``backup_every``, if shorter).

The stream (:mod:`bat_os.kernel.stream`) carries what happens::

    backup.started  {"reason", "full", "origin"}             origin: request, schedule or pack
    backup.done     {"id", "kind", "size", "image_size", "blob_count", "blobs_new", "reason", "origin", "seconds"}
    backup.failed   {"reason", "origin", "error", "stage": "backup" | "prune"}
    backup.pruned   {"ids": [...], "count", "kept", "keep", "bytes", "blob_files"}

Packing is :class:`bat_os.kernel.packs.Packs`, reached through :attr:`KernelBackups.packs`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

from bat_os.errors import BackupError, BackupFailed
from bat_os.image.chronicle import last_entry, record_entry
from bat_os.image.image import Image
from bat_os.kernel.packs import Packs
from bat_os.supervise import backup as backups
from bat_os.supervise.statefile import upgrade_under_way

logger = logging.getLogger(__name__)

RETRY_SECONDS = 300.0  # a scheduled backup that failed is tried again this much later (at most)
MAX_NAP = 60.0  # the schedule looks at the clock at least this often (a clock that jumps, a backup meanwhile)

Publish = Callable[[str, dict], None]


def _no_events(topic: str, event: dict) -> None:
    return None


def next_backup_at(last: float | None, started: float, every: float) -> float | None:
    """When the next scheduled backup is due (epoch seconds): ``every`` after the last backup, or after
    ``started`` when there was none; None when the schedule is off (``every`` 0)."""
    if every <= 0:
        return None
    return (last if last is not None else started) + every


class KernelBackups:
    """Backups of the kernel's own image: repozo on a worker thread, the entry committed on the loop thread."""

    def __init__(
        self, image: Image, backup_dir: Path, now: Callable[[], float] = time.time, *, keep: int = 0,
        every: float = 0.0, pack_days: float = 1.0, watchdog_state: Path | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.image = image
        self.backup_dir = Path(backup_dir)
        self.now = now
        self.keep = keep  # newest backups kept after each backup (0: all)
        self.every = every  # seconds between scheduled backups (0: none)
        self.sleep = sleep
        self.publish: Publish = _no_events  # the event stream, once the kernel serves (start)
        self.started = now()
        self.last_backup_time: float | None = None  # of this image, from the backup directory's log (start)
        self.last_failure: dict | None = None
        self.last_prune: dict | None = None
        self.running: str | None = None  # "backup" or "pack"
        self.packs = Packs(self, pack_days=pack_days, watchdog_state=watchdog_state)
        self._lock: asyncio.Lock | None = None  # made in the running loop
        self._schedule: asyncio.Task | None = None

    @classmethod
    def configured(cls, image: Image, config: Any) -> "KernelBackups":
        """The service with the configuration's backup settings (:class:`bat_os.config.Config`)."""
        return cls(image, config.backup_dir, keep=config.backup_keep, every=config.backup_every,
                   pack_days=config.pack_days, watchdog_state=config.watchdog_state)

    # --- life cycle (the kernel's serve) -------------------------------------------------------
    def start(self, publish: Publish) -> None:
        """Publish on ``publish`` from now on, report a pack a crash cut short, start the schedule."""
        self.publish = publish
        self.started = self.now()
        self.last_backup_time = self._last_logged_backup()
        self.packs.report_recovery()
        if self.every > 0:
            self._schedule = asyncio.get_running_loop().create_task(self._scheduled())
            logger.info("scheduled backups every %gs into %s (keeping %s); the next at %s", self.every, self.backup_dir,
                        self.keep or "all", backups.iso(self.next_backup_at()))

    async def close(self) -> None:
        """Stop the schedule and any pack (at its next transaction; the image stays as it was)."""
        if self._schedule is not None:
            self._schedule.cancel()
            await asyncio.gather(self._schedule, return_exceptions=True)
            self._schedule = None
        await self.packs.close()
        self.publish = _no_events

    def lock(self) -> asyncio.Lock:
        """Held while a backup, a prune or a pack works: one at a time."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    # --- backups ----------------------------------------------------------------------------
    async def backup(self, *, full: bool, reason: str, origin: str = "request") -> dict:
        """Back up the image now (after the backup or pack under way), record it, prune; the record."""
        async with self.lock():
            return await self.backup_locked(full=full, reason=reason, origin=origin)

    async def backup_locked(self, *, full: bool, reason: str, origin: str) -> dict:
        """:meth:`backup`, for a caller that holds :meth:`lock` (a pack, which backs up first)."""
        self.publish("backup.started", {"reason": reason, "full": full, "origin": origin})
        started = time.monotonic()
        self.running = "backup"
        try:
            record = await asyncio.to_thread(self._take, full, reason)
        except BackupError as exc:
            logger.error("backup failed (%s): %s", origin, exc)
            self.last_failure = {"time": self.now(), "origin": origin, "error": str(exc)}
            self.publish("backup.failed", {"reason": reason, "origin": origin, "error": str(exc), "stage": "backup"})
            raise BackupFailed(str(exc)) from exc
        finally:
            self.running = None
        entry = record.as_dict()
        self.image.run(lambda: record_entry(self.image.connection.root(), entry), note=f"chronicle: backup {record.id}")
        self.last_backup_time, self.last_failure = record.time, None
        self.publish("backup.done", {
            "id": record.id, "kind": record.kind, "size": record.size, "image_size": record.image_size,
            "blob_count": record.blob_count, "blobs_new": record.blobs_new, "reason": reason, "origin": origin,
            "seconds": round(time.monotonic() - started, 3)})
        pruned = await self._prune()
        return {**entry, "backup_dir": str(self.backup_dir), "via": "kernel", "recorded_in_image": True,
                "pruned": pruned["ids"].split(",") if pruned else []}

    def _take(self, full: bool, reason: str) -> backups.BackupRecord:
        """Worker thread: repozo; a full backup when the newest chain holds ``keep`` backups already."""
        if not full and self.keep > 0 and backups.chain_length(self.backup_dir) >= self.keep:
            full = True
        return backups.backup(self.image.path, self.backup_dir, blob_dir=self.image.blob_dir, full=full, reason=reason,
                              now=self.now)

    async def _prune(self) -> dict | None:
        """Remove the backups older than the newest ``keep`` (whole chains); the prune's record, or None."""
        if self.keep <= 0:
            return None
        upgrading = upgrade_under_way(self.packs.watchdog_state)
        if upgrading is not None:  # its rollback may need the backup it took: prune after it
            logger.info("old backups are kept while upgrade %s runs", upgrading.get("id"))
            return None
        try:
            record = await asyncio.to_thread(backups.prune, self.backup_dir, self.keep, now=self.now)
        except BackupError as exc:  # the backup itself stands; the next one tries again
            logger.error("pruning old backups failed: %s", exc)
            self.publish("backup.failed", {"reason": "prune", "origin": "prune", "error": str(exc), "stage": "prune"})
            return None
        if record is None:
            return None
        entry = record.as_dict()
        self.image.run(lambda: record_entry(self.image.connection.root(), entry), note=f"chronicle: pruned {record.ids}")
        self.last_prune = entry
        self.publish("backup.pruned", {"ids": record.ids.split(","), "count": record.count, "kept": record.kept,
                                       "keep": record.keep, "bytes": record.bytes, "blob_files": record.blob_files})
        return entry

    # --- the schedule -------------------------------------------------------------------------
    def next_backup_at(self) -> float | None:
        return next_backup_at(self.last_backup_time, self.started, self.every)

    async def _scheduled(self) -> None:
        while True:
            due = self.next_backup_at()
            wait = due - self.now()
            if wait > 0:
                await self.sleep(min(wait, MAX_NAP))
                continue
            try:
                await self.backup(full=False, reason="scheduled", origin="schedule")
            except BackupFailed:  # logged and published; tried again later
                await self.sleep(min(self.every, RETRY_SECONDS))
            except Exception:  # noqa: BLE001 - a bug must not end the schedule silently
                logger.exception("scheduled backup failed")
                await self.sleep(min(self.every, RETRY_SECONDS))

    def _last_logged_backup(self) -> float | None:
        """When this image was last backed up, by the backup directory's log (None: never)."""
        image = str(self.image.path.absolute())
        try:
            log = backups.read_log(self.backup_dir)
        except OSError as exc:  # an unreadable log: the schedule counts from the start (the next backup says why)
            logger.warning("cannot read the backup log in %s: %s", self.backup_dir, exc)
            return None
        times = [e.get("time") for e in log
                 if e.get("event") == "backup" and e.get("image") == image and isinstance(e.get("time"), (int, float))]
        return max(times) if times else None

    # --- status -------------------------------------------------------------------------------
    def status(self, root: Any) -> dict:
        """For ``status``: sizes, history, the last backup (the image's chronicle), the schedule, packs.

        Runs on the loop thread inside the status request's read transaction (``root``).
        """
        last = last_entry(root, "backup")
        due = self.next_backup_at()
        return {
            "image_bytes": self.image.size_bytes(),
            "history": self.packs.history(),
            "last_backup": {k: last.get(k) for k in ("id", "time", "time_iso", "kind", "size", "reason")} if last else None,
            "backup_dir": str(self.backup_dir),
            "backup_every": self.every,
            "backup_keep": self.keep,
            "next_backup_at": due,
            "next_backup_iso": backups.iso(due) if due is not None else None,
            "last_backup_failure": self.last_failure,
            "last_prune": self.last_prune,
            "running": self.running,
            "pack": self.packs.status(root),
        }

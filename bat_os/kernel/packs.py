"""Packing the kernel's own image while it serves (the ``pack`` command's service), and measuring its history.

A pack (:func:`bat_os.image.packing.pack_storage`) runs on a worker thread
while the loop serves and commits; FileStorage takes its commit lock only to
copy the last transactions and swap the files. It holds the backups' lock
(:meth:`KernelBackups.lock`), so no backup runs meanwhile, and by default it
backs up first. It is refused (:class:`~bat_os.errors.PackRefused`) while the
watchdog's state file says an upgrade runs (a rollback cuts the image back to
its old length, which a pack would make wrong) and while another pack runs.
A kernel that stops mid-pack stops the pack at its next transaction; one
killed mid-pack leaves the image whole (see :mod:`bat_os.image.packing`), and
the next start reports it.

The stream carries::

    pack.started   {"days", "pack_time", "size_before", "backup": bool}
    pack.progress  {"stage": "backup" | "gc" | "copy" | "tail", "done", "total"}   (bytes of the image read)
    pack.done      {"packed", "size_before", "size_after", "reclaimed", "seconds", "backup"}
    pack.failed    {"error", "stopped" | "interrupted": true, "backup"}

Each pack's outcome is an entry of the image's chronicle (``event`` ``pack``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from bat_os.errors import BackupFailed, PackFailed, PackRefused
from bat_os.image import packing
from bat_os.image.chronicle import last_entry, record_entry
from bat_os.supervise.backup import iso
from bat_os.supervise.statefile import upgrade_under_way

if TYPE_CHECKING:
    from bat_os.kernel.backups import KernelBackups

logger = logging.getLogger(__name__)

DAY = 86_400.0
MAX_DAYS = 36_500.0  # a hundred years: more history than any image has
PROGRESS_EVERY = 0.5  # seconds between progress events
HISTORY_FRESH = 60.0  # seconds a history measure stands while the image grows


def check_days(days: Any) -> float:
    """``days`` as a number of days of history to keep (0 to 36,500); ValueError otherwise."""
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not math.isfinite(days) or not 0 <= days <= MAX_DAYS:
        raise ValueError(f"'days' must be a number of days from 0 to {MAX_DAYS:g}, not {days!r}")
    return float(days)


def _pack_and_measure(image: Any, pack_time: float, watch: packing.PackWatch) -> tuple[int, packing.PackOutcome, int]:
    """On a worker thread: the blob bytes before, the pack's outcome, the blob bytes after."""
    blobs_before = packing.tree_bytes(image.blob_dir)
    outcome = packing.pack_storage(image.storage, image.path, pack_time, watch)
    return blobs_before, outcome, packing.tree_bytes(image.blob_dir)


class Packs:
    """The kernel's packs: one at a time, on a worker thread, a backup first; and the history measure."""

    def __init__(self, backups: "KernelBackups", *, pack_days: float = 1.0, watchdog_state: Path | None = None) -> None:
        self.backups = backups
        self.image = backups.image
        self.pack_days = pack_days  # the default history depth (config pack_days)
        self.watchdog_state = watchdog_state  # where the watchdog says an upgrade runs (config watchdog_state)
        self.watch: packing.PackWatch | None = None  # the pack under way
        self.claimed = False
        self.last: dict | None = None  # the last pack's chronicle entry (this kernel's, or a recovery's)
        self._thread: asyncio.Future | None = None
        self._history: dict | None = None
        self._measuring: asyncio.Task | None = None
        self._measured = 0.0  # monotonic time of the last measure

    # --- refusing -----------------------------------------------------------------------------
    def claim(self) -> None:
        """Reserve the pack for one request (on the loop thread, before it is awaited); PackRefused when one
        runs or an upgrade does."""
        if self.claimed:
            raise PackRefused("a pack is under way already; wait for it (status shows its progress)", why="packing")
        self._refuse_during_upgrade()
        self.claimed = True

    def _refuse_during_upgrade(self) -> None:
        upgrading = upgrade_under_way(self.watchdog_state)
        if upgrading is not None:
            raise PackRefused(f"the watchdog is upgrading the kernel (upgrade {upgrading.get('id')}, stage"
                              f" {upgrading.get('stage')}): a rollback could not cut a packed image back; pack once it is over",
                              why="upgrade", upgrade=upgrading)

    # --- packing ------------------------------------------------------------------------------
    async def pack(self, *, days: float, backup: bool, on_event: Callable[[dict], None] | None = None) -> dict:
        """Back up (unless ``backup`` is False), then pack as of ``days`` ago; the outcome. Call :meth:`claim` first."""
        emit = on_event or (lambda event: None)
        try:
            async with self.backups.lock():
                return await self._pack_locked(days, backup, emit)
        finally:
            self.claimed = False

    async def _pack_locked(self, days: float, backup: bool, emit: Callable[[dict], None]) -> dict:
        publish = self.backups.publish
        pack_time = self.backups.now() - days * DAY
        size_before = self.image.size_bytes()
        publish("pack.started", {"days": days, "pack_time": pack_time, "size_before": size_before, "backup": backup})
        started = time.monotonic()
        backup_id = ""
        if backup:
            emit({"type": "progress", "stage": "backup"})
            publish("pack.progress", {"stage": "backup", "done": 0, "total": size_before})
            try:
                record = await self.backups.backup_locked(full=False, reason=f"before pack (history kept: {days:g} days)",
                                                          origin="pack")
            except BackupFailed as exc:
                self._failed(f"the backup before the pack failed: {exc}", days, pack_time, size_before, started, "")
                raise PackFailed(f"the backup before the pack failed, so nothing was packed: {exc}") from exc
            backup_id = record["id"]
            emit({"type": "progress", "stage": "backup", "done": True, "backup": backup_id})
        try:
            self._refuse_during_upgrade()  # it may have begun while the backup ran
        except PackRefused:
            self._failed("an upgrade began during the backup", days, pack_time, size_before, started, backup_id)
            raise
        watch = self.watch = packing.PackWatch(total=size_before)
        ticker = asyncio.get_running_loop().create_task(self._report(watch, emit))
        self.backups.running = "pack"
        try:
            self._thread = asyncio.ensure_future(asyncio.to_thread(_pack_and_measure, self.image, pack_time, watch))
            try:
                blobs_before, outcome, blobs_after = await asyncio.shield(self._thread)
            except asyncio.CancelledError:  # the kernel is stopping: the pack stops at its next transaction
                thread = self._thread
                await self._stop()
                if thread.cancelled() or thread.exception() is not None:
                    raise
                # It was past stopping: the image is packed, so the answer says so (an error would say it is as it was).
                asyncio.current_task().uncancel()
                blobs_before, outcome, blobs_after = thread.result()
                logger.info("the kernel is stopping, but the pack had ended: answered as packed")
        except asyncio.CancelledError:
            self._failed("stopped: the kernel is stopping", days, pack_time, size_before, started, backup_id, stopped=True)
            raise
        except packing.PackStopped as exc:
            self._failed(f"stopped: {exc}", days, pack_time, size_before, started, backup_id, stopped=True)
            raise PackFailed(f"the pack was stopped; the image is as it was ({exc})", backup=backup_id) from exc
        except Exception as exc:  # noqa: BLE001 - OSError (no space), a damaged record...: the image is as it was
            logger.exception("pack failed")
            self._failed(f"{type(exc).__name__}: {exc}", days, pack_time, size_before, started, backup_id)
            raise PackFailed(f"the pack failed; the image is as it was: {type(exc).__name__}: {exc}", backup=backup_id) from exc
        finally:
            ticker.cancel()
            self.watch, self._thread, self.backups.running = None, None, None
        seconds = round(time.monotonic() - started, 3)
        result = {
            "packed": outcome.packed, "days": days, "pack_time": pack_time, "pack_time_iso": iso(pack_time),
            "size_before": outcome.size_before, "size_after": outcome.size_after,
            "reclaimed": outcome.size_before - outcome.size_after, "blob_bytes_before": blobs_before,
            "blob_bytes_after": blobs_after, "seconds": seconds, "backup": backup_id or None,
        }
        self._record({"outcome": "packed" if outcome.packed else "nothing to drop", **{k: v for k, v in result.items() if k != "packed"},
                      "backup": backup_id})
        publish("pack.done", {k: result[k] for k in ("packed", "size_before", "size_after", "reclaimed", "seconds", "backup")})
        logger.info("packed %s as of %s: %d -> %d bytes (blobs %d -> %d) in %.1fs", self.image.path, iso(pack_time),
                    outcome.size_before, outcome.size_after, blobs_before, blobs_after, seconds)
        self._history = None  # measured again when asked
        return result

    async def _report(self, watch: packing.PackWatch, emit: Callable[[dict], None]) -> None:
        """Progress, every PROGRESS_EVERY seconds, to the client that asked and on the stream."""
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            event = {"stage": watch.stage, "done": watch.done, "total": watch.total}
            emit({"type": "progress", **event})
            self.backups.publish("pack.progress", event)

    async def _stop(self) -> None:
        """Ask the pack's thread to stop and wait until it has (its transaction ends; the image is as it was)."""
        if self.watch is not None:
            self.watch.stop = True
        if self._thread is not None:
            await asyncio.gather(self._thread, return_exceptions=True)

    async def close(self) -> None:
        await self._stop()
        if self._measuring is not None:
            await asyncio.gather(self._measuring, return_exceptions=True)

    # --- the chronicle and the stream ------------------------------------------------------------
    def _failed(self, error: str, days: float, pack_time: float, size_before: int, started: float, backup_id: str,
                *, stopped: bool = False) -> None:
        logger.error("pack of %s failed: %s", self.image.path, error)
        self._record({"outcome": "stopped" if stopped else "failed", "error": error, "days": days, "pack_time": pack_time,
                      "size_before": size_before, "size_after": self.image.size_bytes(),
                      "seconds": round(time.monotonic() - started, 3), "backup": backup_id})
        event = {"error": error, "backup": backup_id}
        if stopped:
            event["stopped"] = True
        self.backups.publish("pack.failed", event)

    def _record(self, fields: dict) -> None:
        when = self.backups.now()
        entry = {"event": "pack", "time": when, "time_iso": iso(when), **fields}
        try:
            self.image.run(lambda: record_entry(self.image.connection.root(), entry), note="chronicle: pack")
        except Exception:  # noqa: BLE001 - the outcome stands (and is logged) even when it cannot be recorded
            logger.exception("cannot record the pack in the image's chronicle")
        self.last = entry

    def report_recovery(self) -> None:
        """At start: a pack a crash cut short (:attr:`Image.pack_recovery`) is logged, recorded and published."""
        found = getattr(self.image, "pack_recovery", None)
        if not found:
            return
        actions = "; ".join(found.get("actions") or []) or "nothing to undo"
        error = f"interrupted: the kernel died while packing (the image is as it was {found.get('state')} the pack): {actions}"
        size = self.image.size_bytes()
        self._record({"outcome": "interrupted", "error": error, "size_before": found.get("size_before") or 0,
                      "size_after": size, "pack_time": found.get("pack_time") or 0.0})
        self.backups.publish("pack.failed", {"error": error, "interrupted": True, "state": found.get("state")})

    # --- status -------------------------------------------------------------------------------
    def status(self, root: Any) -> dict:
        watch = self.watch
        last = self.last or last_entry(root, "pack")
        return {
            "running": {"stage": watch.stage, "done": watch.done, "total": watch.total} if watch is not None else None,
            "days": self.pack_days,
            "last": last,
        }

    def history(self) -> dict | None:
        """The last history measure (:func:`bat_os.image.packing.measure_history`); a new one is started in the
        background when there is none, or the image grew since and it is over a minute old. None until one ends."""
        if self._stale() and self.watch is None and (self._measuring is None or self._measuring.done()):
            try:
                self._measuring = asyncio.get_running_loop().create_task(self._measure())
            except RuntimeError:  # no running loop (a tool reading the image): no measure
                pass
        return self._history

    def _stale(self) -> bool:
        h = self._history
        if h is None:
            return True
        return h["size_measured"] != self.image.size_bytes() and time.monotonic() - self._measured > HISTORY_FRESH

    async def _measure(self) -> None:
        size = self.image.size_bytes()
        try:
            measured = await asyncio.to_thread(packing.measure_history, self.image.path, self.image.blob_dir)
        except Exception:  # noqa: BLE001 - a measure that fails must not fail status
            logger.exception("cannot measure the image's history")
            return
        when = self.backups.now()
        self._history = {**measured, "size_measured": size, "measured_at": when, "measured_iso": iso(when)}
        self._measured = time.monotonic()

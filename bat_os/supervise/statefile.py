"""The watchdog's state file (``data/watchdog.json``), its stop file, and whether its watchdog still lives.

``min_watchdog_service.py status|stop`` read what the running watchdog writes here.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)


class StateFile:
    """``data/watchdog.json``: what ``status`` reports, written atomically on every change.

    ``<name>.stop`` beside it is the stop request (works where signals do not: Windows).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._warned = False

    @property
    def stop_path(self) -> Path | None:
        return None if self.path is None else self.path.with_suffix(".stop")

    def write(self, data: dict) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            if not self._warned:  # once: a full disk must not flood the log
                logger.warning("cannot write the state file %s: %s", self.path, exc)
                self._warned = True

    def stop_requested(self) -> bool:
        stop = self.stop_path
        return stop is not None and stop.exists()

    def clear_stop(self) -> None:
        stop = self.stop_path
        if stop is not None:
            try:
                stop.unlink()
            except FileNotFoundError:
                pass


def read_state(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def watchdog_alive(state: dict | None) -> bool:
    """Is the watchdog the state file names still running (not a recycled pid)?"""
    if not state or not isinstance(state.get("pid"), int):
        return False
    try:
        import psutil

        proc = psutil.Process(state["pid"])
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        started = state.get("process_started")
        return started is None or abs(proc.create_time() - float(started)) < 2.0
    except Exception:  # NoSuchProcess, AccessDenied, psutil missing: treat as gone
        return False


def process_started(pid: int) -> float | None:
    """When ``pid`` started (epoch seconds), written beside it so :func:`watchdog_alive` tells a recycled pid apart."""
    try:
        import psutil

        return psutil.Process(pid).create_time()
    except Exception:
        return None


def upgrade_under_way(path: Path | None) -> dict | None:
    """The upgrade a live watchdog says it is running (``{"id", "stage"}``), from its state file at ``path``.

    None when there is no state file, it names no upgrade, or its watchdog is gone (a watchdog killed
    mid-upgrade leaves its last word behind: that upgrade is not running any more).
    """
    if path is None:
        return None
    state = read_state(Path(path))
    if not state or not state.get("upgrading") or not watchdog_alive(state):
        return None
    upgrading = state["upgrading"]
    return upgrading if isinstance(upgrading, dict) else {"id": str(upgrading)}

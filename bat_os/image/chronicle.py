"""The Historical Chronicler: the image's own record of its backups, restores, prunes and packs.

Migration 5 puts a :class:`Chronicle` at the root key ``chronicle_obj``: a
persistent list of plain entries (maps of str to str/int/float), the same
records :mod:`bat_os.supervise.backup` appends to ``BACKUP_DIR/chronicle.jsonl``. The
plain log is the authority (it survives a restore); the image's chronicle is
history the image carries with it. A backup's own entry is recorded after the
backup, so backup X never holds its own entry.

The ``backup`` and ``chronicle`` commands are in
:mod:`bat_os.kernel.commands.backup`.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

import persistent
from persistent.list import PersistentList


logger = logging.getLogger(__name__)

CHRONICLE_KEY = "chronicle_obj"


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


def last_entry(root: Any, event: str) -> dict | None:
    """The newest entry of kind ``event`` (``"backup"``, ``"pack"``...), or None."""
    chronicle = root.get(CHRONICLE_KEY)
    if not isinstance(chronicle, Chronicle):
        return None
    for index in range(len(chronicle.entries) - 1, -1, -1):
        if chronicle.entries[index].get("event") == event:
            return dict(chronicle.entries[index])
    return None


def chronicle_entries(root: Any) -> list[dict]:
    chronicle = root.get(CHRONICLE_KEY)
    return [dict(entry) for entry in chronicle.entries] if isinstance(chronicle, Chronicle) else []


__all__ = ["CHRONICLE_KEY", "Chronicle", "chronicle_entries", "ensure_chronicle", "last_entry", "record_entry"]

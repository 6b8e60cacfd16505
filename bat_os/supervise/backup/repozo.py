"""Repozo's repository (``BACKUP_DIR/repozo``): running repozo, and reading what it wrote.

ZODB's ``repozo`` (run as ``python -m ZODB.scripts.repozo``) opens the image
read-only and copies it up to its last complete transaction: a full ``.fs``
file, or an incremental ``.deltafs`` of what was appended since; its ``.dat``
files say which bytes of the image each file holds. A backup's id is repozo's
name for it: the UTC second it was taken, ``2025-01-31-12-00-05``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bat_os.errors import BackupError

REPOZO = (sys.executable, "-m", "ZODB.scripts.repozo")
REPOZO_TIMEOUT = 3600.0  # seconds one repozo run may take
ID_RE = re.compile(r"^\d{4}(?:-\d\d){5}$")
DATA_RE = re.compile(r"^(?P<id>\d{4}(?:-\d\d){5})\.(?P<ext>(?:delta)?fsz?)$")  # repozo's is_data_file


def run_repozo(args: list[str]) -> None:
    try:
        done = subprocess.run([*REPOZO, *args], capture_output=True, text=True, timeout=REPOZO_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"repozo could not run: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"repozo {args[0]} failed (exit {done.returncode}): {detail[-1] if detail else 'no message'}")


def default_backup_dir(image_path: Path) -> Path:
    return Path(image_path).parent / "backups"


def backup_ids(backup_dir: Path) -> list[str]:
    """The ids of the backups repozo holds, oldest first."""
    return sorted(DATA_RE.match(name).group("id") for name in data_files(Path(backup_dir) / "repozo"))


def data_files(repo: Path) -> list[str]:
    try:
        return sorted(name for name in os.listdir(repo) if DATA_RE.match(name))
    except FileNotFoundError:
        return []


def latest_name(names) -> str:
    return max(names, key=lambda n: DATA_RE.match(n).group("id"))


def dat_entries(repo: Path) -> dict[str, tuple[int, int]]:
    """repozo's .dat files: data file name -> (start, end) byte positions in the image."""
    entries: dict[str, tuple[int, int]] = {}
    for dat in sorted(repo.glob("*.dat")):
        for line in dat.read_text().splitlines():
            parts = line.split()
            if len(parts) == 4:
                entries[os.path.basename(parts[0])] = (int(parts[1]), int(parts[2]))
    return entries


def wait_for_a_fresh_name(repo: Path) -> None:
    """Repozo names its file after the current UTC second; wait until no file has that name yet."""
    names = data_files(repo)
    if not names:
        return
    latest = DATA_RE.match(latest_name(names)).group("id")
    for _ in range(3):
        stamp = time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime())
        if stamp > latest:
            return
        time.sleep(1.0 - time.time() % 1.0 + 0.01)
    raise BackupError(f"the latest backup in {repo} ({latest}) is dated in the future; is the clock right?")

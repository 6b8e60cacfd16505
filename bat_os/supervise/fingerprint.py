"""The image's fingerprint before an upgrade, and putting the image back byte for byte.

FileStorage only appends. When the first bytes of the image are still the
fingerprinted ones after a failed upgrade, cutting the file back to its old
length gives exactly the image as it was; new blob files are removed and the
old ``.index`` put back. Otherwise (the new code packed or rewrote it) only
the backup can help: :meth:`Fingerprint.put_back` says so by returning None.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bat_os.supervise.backup import blob_files
from bat_os.supervise.backup.records import sha256_of


def _blob_names(blob_dir: Path) -> set[str]:
    return set(blob_files(blob_dir))


@dataclass(frozen=True)
class Fingerprint:
    """The image as it was before the upgrade touched anything."""

    size: int
    sha256: str
    index_copy: Path | None
    blobs: frozenset[str]

    @classmethod
    def take(cls, image: Path, blob_dir: Path, aside: Path) -> Fingerprint:
        index = image.with_name(image.name + ".index")
        copy = None
        if index.exists():
            copy = aside / (image.name + ".index")
            shutil.copy2(index, copy)
        return cls(image.stat().st_size, sha256_of(image), copy, frozenset(_blob_names(blob_dir)))

    def to_dict(self) -> dict:
        return {"size": self.size, "sha256": self.sha256, "blob_files": len(self.blobs)}

    def put_back(self, image: Path, blob_dir: Path) -> str | None:
        """Make the image byte-for-byte what it was, if only appended to. Returns what was done, or None."""
        if not image.exists() or image.stat().st_size < self.size or sha256_of(image, self.size) != self.sha256:
            return None
        grown = image.stat().st_size - self.size
        if grown:
            with open(image, "r+b") as f:
                f.truncate(self.size)
                f.flush()
                os.fsync(f.fileno())
        index = image.with_name(image.name + ".index")
        if self.index_copy is not None:
            shutil.copy2(self.index_copy, index)
        elif index.exists():
            index.unlink()  # FileStorage rebuilds it
        removed = 0
        for rel in _blob_names(blob_dir) - self.blobs:
            (blob_dir / rel).unlink()
            removed += 1
        missing = len(self.blobs - _blob_names(blob_dir))
        if missing:
            return None  # blobs the old image needs are gone: only the backup can help
        if not grown and not removed:
            return "unchanged"
        return f"cut back to its {self.size} bytes before the upgrade ({grown} bytes of new transactions dropped, {removed} new blob file(s) removed)"

"""Freed memory given back: the C allocator's free pages returned to the system every ``memory_trim_every`` seconds.

A kernel that lives for weeks frees far more than it keeps: ZODB pickles, replies, embeddings, the jail's frames.
glibc's ``malloc`` keeps what its threads' arenas freed and hands it back only from the top of the main heap, so
the kernel's RSS grew 13.7% an hour after its first hour under the soak (``bench/soak/soak.py --kill-every 0,0``)
while the Python objects it held stayed flat; one ``malloc_trim(0)`` gave back about 100 MiB of a 870 MiB kernel, in
5 ms, and a trim every minute brought the slope to 2.9% an hour (docs/operations.md, "Memory over months").
:class:`Trimmer` calls it on the event loop every ``memory_trim_every`` seconds (0: never) and counts what it gave
back for ``status`` (``allocator``).

Where the C library has no ``malloc_trim`` (musl, macOS, Windows) the trimmer says so and does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import sys
import time
from typing import Callable

logger = logging.getLogger(__name__)


def glibc_trim() -> Callable[[], object] | None:
    """``malloc_trim(0)`` from the C library, or None where it has none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library: no ldconfig run to find it
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


def resident_bytes() -> int:
    """This process's resident set size in bytes (0 where it cannot be read)."""
    try:
        with open(f"/proc/{os.getpid()}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


class Trimmer:
    """Every ``every`` seconds, the allocator's free memory back to the system, with what that gave back."""

    def __init__(self, every: float, trim: Callable[[], object] | None = None, rss: Callable[[], int] = resident_bytes,
                 clock: Callable[[], float] = time.time) -> None:
        self.every = every
        self.trim = trim
        self.rss = rss
        self.clock = clock
        self.trims = 0
        self.released = 0  # bytes of RSS the trims gave back, all together
        self.last: dict | None = None

    @classmethod
    def from_config(cls, config) -> "Trimmer":
        return cls(config.memory_trim_every, glibc_trim())

    @property
    def enabled(self) -> bool:
        return self.every > 0 and self.trim is not None

    def once(self) -> int:
        """Trim now; returns the bytes of RSS it gave back."""
        if self.trim is None:
            return 0
        before = self.rss()
        started = time.perf_counter()
        self.trim()
        after = self.rss()
        released = max(0, before - after)
        self.trims += 1
        self.released += released
        self.last = {"at": self.clock(), "rss_before": before, "rss_after": after,
                     "seconds": round(time.perf_counter() - started, 4)}
        logger.debug("malloc_trim gave back %d bytes (RSS %d -> %d)", released, before, after)
        return released

    async def run(self) -> None:
        """Trim every ``every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.every)
            self.once()

    def start(self, loop: asyncio.AbstractEventLoop) -> asyncio.Task | None:
        return loop.create_task(self.run()) if self.enabled else None

    def status(self) -> dict:
        return {"trim_every": self.every, "trim_available": self.trim is not None, "trims": self.trims,
                "released_bytes": self.released, "last_trim": self.last, "rss_bytes": self.rss()}

"""One budget of cores: a generation gets the cores no other CPU work of the kernel holds right now.

llama.cpp's threads wait for each other at every step of a token, spinning. When one of them loses its core to
another process (a jailed trial, the forge's worker), the others spin until it gets it back: measured here with
the 0.5B coder on 2 cores, one busy Python process beside a 2-thread generation took it from 26 to 5 tokens a
second, while the same generation on 1 thread kept 14. So the model manager asks the budget before every token
how many threads it may use: ``threads`` (``models.threads``, 0: every core) less the cores held by the
kernel's other CPU work, and never fewer than 1.

Who holds cores is counted, not booked: each source is a function the kernel registers (the jail's runs in
flight, the forge's worker threads while it runs), read from the model worker thread; a source that fails to
answer counts 0. The model work itself is queued on one worker thread (:mod:`bat_os.models.manager`), so two
generations never run at once.
"""

from __future__ import annotations

import logging
import os
from typing import Callable

logger = logging.getLogger(__name__)


class CoreBudget:
    def __init__(self, cores: int = 0, threads: int = 0) -> None:
        self.cores = cores or os.cpu_count() or 1
        self.wanted = min(threads or self.cores, self.cores)  # a generation's threads when nothing else runs
        self._sources: dict[str, Callable[[], int]] = {}

    def count(self, name: str, held: Callable[[], int]) -> None:
        """Count ``held()`` cores as taken by ``name`` from now on (registering a name again replaces it)."""
        self._sources[name] = held

    def held(self) -> dict[str, int]:
        """Cores each source holds right now (those holding none left out)."""
        out = {}
        for name, held in list(self._sources.items()):
            try:
                n = int(held())
            except Exception:  # noqa: BLE001 - a source that cannot say holds nothing; the generation goes on
                logger.debug("core source %s did not answer", name, exc_info=True)
                continue
            if n > 0:
                out[name] = n
        return out

    def threads(self) -> int:
        """The threads a generation may use right now."""
        return max(1, min(self.wanted, self.cores - sum(self.held().values())))

    def status(self) -> dict:
        return {"cores": self.cores, "generation_threads": self.threads(), "wanted": self.wanted, "held": self.held()}


__all__ = ["CoreBudget"]

"""Progress bars for the long steps of an import (downloading, hashing, copying, quantizing).

The store's operations take a :data:`ProgressFactory` (``progress(description, total)``
returns a bar with ``update(n)`` and ``close()``) or None for no bars. The CLI
passes :func:`tqdm_progress`; tqdm is imported only when a bar is made.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Protocol


class ProgressBar(Protocol):
    def update(self, n: int) -> Any: ...

    def close(self) -> Any: ...


ProgressFactory = Callable[[str, "int | None"], ProgressBar]


class NoBar:
    """What a step draws when no progress factory was given."""

    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def open_bar(progress: ProgressFactory | None, description: str, total: int | None) -> ProgressBar:
    return progress(description, total) if progress is not None else NoBar()


def tqdm_progress(stream: Any = None) -> ProgressFactory:
    """The CLI's progress factory: one tqdm byte bar per step, on ``stream`` (stderr by default)."""

    def factory(description: str, total: int | None) -> ProgressBar:
        from tqdm import tqdm

        return tqdm(total=total, desc=description, unit="B", unit_scale=True, unit_divisor=1024, file=stream or sys.stderr)

    return factory


__all__ = ["NoBar", "ProgressBar", "ProgressFactory", "open_bar", "tqdm_progress"]

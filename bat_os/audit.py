"""The audit trail: one JSON object per line in ``metacognition.jsonl``, written by aiologger.

Each record carries ``logged_at`` plus what the kernel passes: ``event``
(e.g. ``request``), ``request_id``, ``command``, ``target``, ``selector``,
``outcome`` (``ok`` or the error code) and ``duration_ms``.

aiologger writes in the background. Records go through one queue and one
writer task, because aiologger's file handler interleaves (and corrupts)
lines when several of its log tasks write at once; :meth:`Audit.close` waits
for every queued line before shutting the handler down (aiologger's own
``shutdown`` drops lines still in flight).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class AuditSink(Protocol):
    def record(self, event: str, **fields: Any) -> None: ...

    async def close(self) -> None: ...


class Audit:
    """aiologger JSON-lines sink. Create it inside the running loop."""

    def __init__(self, path: Path) -> None:
        from aiologger.formatters.json import ExtendedJsonFormatter
        from aiologger.handlers.files import AsyncFileHandler
        from aiologger.levels import LogLevel
        from aiologger.loggers.json import JsonLogger

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._logger = JsonLogger(name="batos.audit", level=LogLevel.INFO, flatten=True)
        handler = AsyncFileHandler(str(path), encoding="utf-8")
        handler.formatter = ExtendedJsonFormatter(exclude_fields=("line_number", "function", "file_path"))
        self._logger.add_handler(handler)
        self._queue: asyncio.Queue[dict | None] = asyncio.Queue()
        self._writer = asyncio.get_running_loop().create_task(self._write_all())

    def record(self, event: str, **fields: Any) -> None:
        self._queue.put_nowait({"event": event, **fields})

    async def _write_all(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if item is None:
                    return
                await self._logger.info(item)
            except Exception:  # an audit failure must not take the kernel down
                logger.exception("audit write failed")
            finally:
                self._queue.task_done()

    async def flush(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        self._queue.put_nowait(None)
        await self._writer
        await self._logger.shutdown()


class NullAudit:
    """Records nothing (used by tools that open the image without a kernel)."""

    def record(self, event: str, **fields: Any) -> None:
        return None

    async def close(self) -> None:
        return None

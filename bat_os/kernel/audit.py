"""The audit trail: one JSON object per line in ``metacognition.jsonl``, written by aiologger.

Each line has ``logged_at`` (when it was written), ``level``, and what the
kernel passed: ``event`` (e.g. ``request``), ``at`` (when it happened, epoch
seconds), ``request_id``, ``command``, ``target``, ``selector``, ``outcome``
(``ok`` or the error code) and ``duration_ms``.

Off the request path: :meth:`Audit.record` only appends a dict to a buffer.
A writer task, started ``delay`` seconds after the first record of a batch,
formats the batch with aiologger's ``ExtendedJsonFormatter`` (one timestamp and one
encoder per batch: :func:`_batch_formatter`) and writes it
through aiologger's file handler in one write and one flush. Why not
aiologger's logger as it comes: it spends ~40 µs per record on the loop, its
file handler interleaves and corrupts lines when given several at once, and
its aiofiles thread hand-offs (two per write) slowed every request's median
round trip by 100-170 µs here (bench/perf/bench_send.py). So the handler's
aiofiles stream runs on an :class:`InlineExecutor`: one ``write`` to the page
cache per batch, on the loop thread, no threads. (No fsync: audit lines are
not acknowledged data; image commits are.)

The buffer is bounded: past ``max_pending`` records new ones are counted and
dropped, and an ``audit_dropped`` line says how many, so memory never grows
with a slow disk. :meth:`Audit.close` writes everything still buffered. A
SIGKILL loses at most the last ``delay`` seconds of audit lines, never
anything in the image.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from pathlib import Path
from typing import Any, Protocol

from bat_os.protocol import safe_repr

logger = logging.getLogger(__name__)


class AuditSink(Protocol):
    def record(self, event: str, **fields: Any) -> None: ...

    async def close(self) -> None: ...


#: A cycle's event kind (the orchestrator's) -> the fields its audit line keeps.
_CYCLE_FIELDS = {
    "state": ("cycle", "brief_sha256", "origin", "selector", "state"),
    "trial": ("cycle", "brief_sha256", "attempt", "author", "model", "code_sha256", "accepted", "eligible", "passes", "failed",
              "generated_failed"),
    "installed": ("cycle", "brief_sha256", "origin", "selector", "receiver", "version", "author", "code_sha256"),
    "question": ("cycle", "brief_sha256", "question", "waiting"),
    "answered": ("cycle", "brief_sha256", "question", "answer", "by"),
}


def cycle_lines(event: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The audit lines of one cycle event: ``cycle`` for a move, ``cycle_failed`` beside the move to FAILED,
    ``trial`` for a candidate judged, ``install`` for a method installed; none for a token. Shapes: docs/operations.md, "The audit trail"."""
    kind = event.get("type")
    fields = _CYCLE_FIELDS.get(kind)
    if fields is None:
        return []
    line = {key: event.get(key) for key in fields}
    lines = [({"state": "cycle", "trial": "trial", "installed": "install", "question": "question",
               "answered": "answer"}[kind], line)]
    if kind == "state" and event.get("state") == "FAILED":
        lines.append(("cycle_failed", {key: event.get(key) for key in ("cycle", "brief_sha256", "origin", "selector",
                                                                       "failed_state", "reasons")}))
    return lines


class InlineExecutor(concurrent.futures.Executor):
    """Runs each submitted call at once, in the caller's thread."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever awaits the future
            future.set_exception(exc)
        return future


def request_line(request: dict[str, Any], outcome: str, duration_ms: float) -> dict[str, Any]:
    """A request's audit line: what was asked of what, how it ended, how long it took."""
    return {"request_id": _audit_value(request.get("id")), "command": request["command"],
            "target": _audit_value(request.get("target")), "selector": _audit_value(request.get("selector")),
            "outcome": outcome, "duration_ms": round(duration_ms, 3)}


def _audit_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value if not isinstance(value, str) else value[:200]
    return safe_repr(value, 200)


def _batch_formatter():
    """aiologger's ``ExtendedJsonFormatter`` (``logged_at``, ``level``, then the record's fields, flattened), made to
    format a batch at once: one ``logged_at`` for the batch (the lines are written together) and one JSON encoder,
    not a log record, a timestamp and an encoder per line. The lines are the same; the cost is ~3 µs a line, not
    ~12 (bench/perf/bench_send.py: every request pays it, amortized)."""
    import json
    from datetime import datetime, timezone

    from aiologger.formatters.json import ExtendedJsonFormatter, LOG_LEVEL_FIELDNAME, LOGGED_AT_FIELDNAME
    from aiologger.levels import LogLevel

    class BatchFormatter(ExtendedJsonFormatter):
        def __init__(self) -> None:
            super().__init__(exclude_fields=("line_number", "function", "file_path"))
            self._encode = json.JSONEncoder(default=self._default_handler).encode
            self._level = self.level_to_name_mapping[LogLevel.INFO]

        def lines(self, batch: list[dict]) -> str:
            head = {LOGGED_AT_FIELDNAME: datetime.now(timezone.utc).astimezone(self.tz).isoformat(), LOG_LEVEL_FIELDNAME: self._level}
            encode = self._encode
            return "".join([encode({**head, **fields}) + "\n" for fields in batch])

    return BatchFormatter()


def _inline_file_handler(path: Path):
    import aiofiles
    from aiologger.handlers.files import AsyncFileHandler

    class InlineFileHandler(AsyncFileHandler):
        """aiologger's file handler with its aiofiles stream on an InlineExecutor."""

        async def _init_writer(self) -> None:
            if not self.initialized:
                self.stream = await aiofiles.open(
                    file=self.absolute_file_path, mode=self.mode, encoding=self.encoding, executor=InlineExecutor()
                )

    return InlineFileHandler(str(path), mode="a", encoding="utf-8")


class Audit:
    """aiologger JSON-lines sink. Create it inside the running loop."""

    def __init__(self, path: Path, *, max_pending: int = 100_000, delay: float = 0.05, now=time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_pending = max_pending
        self.delay = delay
        self.now = now
        self.dropped = 0
        self._handler = _inline_file_handler(path)
        self._formatter = _batch_formatter()
        self._loop = asyncio.get_running_loop()
        self._buffer: list[dict] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writer: asyncio.Task | None = None

    def record(self, event: str, **fields: Any) -> None:
        if len(self._buffer) >= self.max_pending:
            self.dropped += 1
            return
        self._buffer.append({"event": event, "at": round(self.now(), 6), **fields})
        self._schedule()

    def _schedule(self) -> None:
        # One batch per ``delay``: a writer that went round again whenever a
        # record arrived during its write would write a line or two at a time.
        if self._timer is None and (self._writer is None or self._writer.done()):
            self._timer = self._loop.call_later(self.delay, self._start_writer)

    def _start_writer(self) -> None:
        self._timer = None
        if self._writer is None or self._writer.done():
            self._writer = self._loop.create_task(self._write_batch())

    async def _write_batch(self) -> None:
        batch, self._buffer = self._buffer, []
        if self.dropped:
            batch.append({"event": "audit_dropped", "records": self.dropped})
            self.dropped = 0
        try:
            if batch:
                await self._write(batch)
        except Exception:  # an audit failure must not take the kernel down
            logger.exception("could not write %d audit records to %s", len(batch), self.path)
        finally:
            self._writer = None
            if self._buffer or self.dropped:
                self._schedule()

    async def _write(self, batch: list[dict]) -> None:
        text = self._formatter.lines(batch)
        if not self._handler.initialized:
            await self._handler._init_writer()
        await self._handler.stream.write(text)
        await self._handler.flush()

    async def flush(self) -> None:
        """Write everything recorded so far."""
        while True:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._writer is not None and not self._writer.done():
                await self._writer
                continue
            if not (self._buffer or self.dropped):
                return
            self._writer = self._loop.create_task(self._write_batch())
            await self._writer

    async def close(self) -> None:
        await self.flush()
        await self._handler.close()


class NullAudit:
    """Records nothing (used by tools that open the image without a kernel)."""

    def record(self, event: str, **fields: Any) -> None:
        return None

    async def close(self) -> None:
        return None

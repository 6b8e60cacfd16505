"""The kernel: one asyncio loop, one ZeroMQ ROUTER, one worker, one image.

The receiver only decodes, checks the envelope and queues (or answers at
once: ``ping``, malformed frames, ``busy`` when the bounded queue is full);
it never waits for queued work. One worker takes requests in order and runs
each in one transaction on this thread, the only one that touches ZODB. Its
reply is sent after the commit, so "ok" means committed. When no job is
running and none is queued, the receiver runs the new one itself (the same
code, in the same order) rather than waking the worker: that saves a queue
hop per request and changes nothing about what can be received meanwhile,
since every command runs synchronously on this thread.

SIGINT/SIGTERM: stop receiving, let the worker finish what is queued within
``shutdown_grace`` seconds (what is left is answered ``shutting_down``),
close the socket, the image and the audit trail, and return 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import __version__, commands, protocol
from .audit import AuditSink
from .bridge import Envelope, bind_socket, split
from .config import Config
from .errors import BatosError, Internal, RequestError, ShuttingDown, Timeout, TooLarge
from .image import Image

logger = logging.getLogger(__name__)


@dataclass
class Job:
    envelope: Envelope
    request: dict
    received: float  # monotonic clock
    deadline: float


@dataclass
class Counters:
    received: int = 0
    answered: int = 0
    errors: int = 0
    busy: int = 0
    by_command: dict[str, int] = field(default_factory=dict)


class Kernel:
    def __init__(
        self,
        config: Config,
        image: Image,
        audit: AuditSink,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.image = image
        self.audit = audit
        self.clock = clock
        self.started = clock()
        self.counters = Counters()
        self.ctx = commands.Context(image=image, stats=self.stats)
        self._queue: asyncio.Queue[Job | None] | None = None
        self._socket = None
        self._stopping = asyncio.Event()
        self._working = False  # a job is between its start and its reply

    # --- figures -----------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return {
            "uptime": round(self.clock() - self.started, 3),
            "version": __version__,
            "pid": os.getpid(),
            "endpoint": self.config.endpoint,
            "queue_depth": self._queue.qsize() if self._queue else 0,
            "queue_size": self.config.queue_size,
            "requests": {
                "received": self.counters.received,
                "answered": self.counters.answered,
                "errors": self.counters.errors,
                "busy": self.counters.busy,
            },
        }

    # --- life cycle ------------------------------------------------------------------
    def request_stop(self) -> None:
        if not self._stopping.is_set():
            logger.info("stop requested; finishing in-flight work")
            self._stopping.set()

    def _install_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> None:
        signals = [signal.SIGINT, signal.SIGTERM]
        if hasattr(signal, "SIGBREAK"):  # Windows: CTRL_BREAK from the watchdog
            signals.append(signal.SIGBREAK)
        for signum in signals:
            try:
                loop.add_signal_handler(signum, self.request_stop)
            except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
                signal.signal(signum, lambda *_: loop.call_soon_threadsafe(self.request_stop))

    async def serve(self, on_ready: Callable[[], None] | None = None) -> int:
        import zmq
        import zmq.asyncio

        loop = asyncio.get_running_loop()
        self._install_signal_handlers(loop)
        self._queue = asyncio.Queue(maxsize=self.config.queue_size)
        zctx = zmq.asyncio.Context()
        try:
            self._socket = bind_socket(zctx, self.config.endpoint, self.config.max_frame_bytes)
        except zmq.ZMQError as exc:
            zctx.term()
            raise BatosError(f"cannot bind {self.config.endpoint}: {exc}") from exc
        logger.info("kernel %s serving %s (image %s, pid %d)", __version__, self.config.endpoint, self.image.path, os.getpid())
        self.audit.record("kernel_started", endpoint=self.config.endpoint, image=str(self.image.path), pid=os.getpid())
        if on_ready:
            on_ready()
        receiver = loop.create_task(self._receive())
        worker = loop.create_task(self._work())
        try:
            await self._stopping.wait()
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
            self._queue.put_nowait(None) if not self._queue.full() else None
            try:
                await asyncio.wait_for(asyncio.shield(worker), timeout=self.config.shutdown_grace)
            except asyncio.TimeoutError:
                logger.warning("work still running after %.1fs; aborting it", self.config.shutdown_grace)
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
            await self._refuse_rest()
        finally:
            for task in (receiver, worker):
                if not task.done():
                    task.cancel()
            self._socket.close(linger=500)
            zctx.term()
            self.audit.record("kernel_stopped", pid=os.getpid())
        logger.info("kernel stopped cleanly")
        return 0

    async def _refuse_rest(self, limit: int = 100_000) -> None:
        """Answer ``shutting_down`` to what is queued and to what is still in the socket."""
        import zmq

        while self._queue and not self._queue.empty():
            job = self._queue.get_nowait()
            if job is not None:
                await self._reply_error(job.envelope, job.request.get("id"), ShuttingDown("the kernel is stopping"))
        for _ in range(limit):
            try:
                frames = await self._socket.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                break
            await self._accept(frames)  # answers shutting_down (or the frame's own error)

    # --- receiving -----------------------------------------------------------------------
    async def _receive(self) -> None:
        sock = self._socket
        while True:
            frames = await sock.recv_multipart()
            try:
                await self._accept(frames)
            except asyncio.CancelledError:
                raise
            except Exception:  # the receiver must survive anything a client sends
                logger.exception("receiver failed on a message; continuing")

    async def _accept(self, frames: list[bytes]) -> None:
        self.counters.received += 1
        incoming = split(frames)
        if incoming.envelope is None:
            logger.warning("dropped a message nobody can be answered for: %s", incoming.problem)
            return
        envelope = incoming.envelope
        if incoming.problem:
            await self._send(envelope, protocol.error(None, "bad_request", incoming.problem))
            return
        payload = incoming.payload
        if len(payload) > self.config.max_frame_bytes:
            await self._reply_error(envelope, None, TooLarge(f"frame of {len(payload)} bytes is over the limit of {self.config.max_frame_bytes}"))
            return
        try:
            message = protocol.decode(payload)
        except protocol.DecodeError as exc:
            await self._send(envelope, protocol.error(None, "bad_request", str(exc)))
            return
        request_id = message.get("id") if isinstance(message, dict) else None
        try:
            protocol.check_request(message)
        except protocol.DecodeError as exc:
            await self._send(envelope, protocol.error(request_id, "bad_request", str(exc)))
            return
        if message["command"] == "ping":  # the liveness probe never waits in the queue
            await self._send(envelope, protocol.ok(request_id, {"pong": True, "uptime": round(self.clock() - self.started, 3)}))
            return
        if self._stopping.is_set():
            await self._reply_error(envelope, request_id, ShuttingDown("the kernel is stopping"))
            return
        timeout = message.get("timeout", self.config.request_timeout)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            await self._send(envelope, protocol.error(request_id, "bad_request", "'timeout' must be a positive number of seconds"))
            return
        now = self.clock()
        job = Job(envelope, message, now, now + timeout)
        if not self._working and self._queue.empty() and not self._more_waiting():
            # Fast path: nobody is ahead and nobody behind, so run it now
            # instead of waking the worker (a queue hop costs ~150 us a
            # request here). Commands run synchronously on this thread either
            # way; we are back at the socket as soon as the reply is sent.
            # Under load the queue is used, so "busy" and ping still work.
            await self._run(job)
            return
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self.counters.busy += 1
            await self._send(envelope, protocol.error(request_id, "busy", f"the request queue is full ({self.config.queue_size}); try again"))

    def _more_waiting(self) -> bool:
        import zmq

        return bool(self._socket.getsockopt(zmq.EVENTS) & zmq.POLLIN)

    # --- working --------------------------------------------------------------------------
    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            if job is None:
                return
            await self._run(job)  # sending the reply yields to the receiver
            if self._stopping.is_set() and self._queue.empty():
                return

    async def _run(self, job: Job) -> None:
        self._working = True
        try:
            await self._run_job(job)
        finally:
            self._working = False

    async def _run_job(self, job: Job) -> None:
        request = job.request
        request_id = request.get("id")
        command_name = request["command"]
        started = self.clock()
        outcome = "ok"
        try:
            if started > job.deadline:
                raise Timeout(f"the request waited {started - job.received:.1f}s in the queue, past its timeout")
            command = commands.lookup(command_name)
            if request.get("events") is True and not job.envelope.req:
                await self._send(job.envelope, protocol.event(request_id, {"type": "started", "command": command_name}))
            result = self._execute(command, request)
            reply = protocol.ok(request_id, result)
        except RequestError as exc:
            outcome = exc.code
            reply = protocol.error(request_id, exc.code, exc.message, **_wire_details(exc))
        except Exception as exc:  # a bug: answer, log with traceback, keep serving
            logger.exception("internal error on %s", command_name)
            outcome = "internal"
            reply = protocol.error(request_id, "internal", f"internal error: {type(exc).__name__}: {exc}")
        try:
            payload = protocol.encode(reply)
        except Exception as exc:  # noqa: BLE001 - a result we failed to render
            logger.exception("cannot encode the reply to %s", command_name)
            outcome = "internal"
            payload = protocol.encode(protocol.error(request_id, "internal", f"reply could not be encoded: {exc}"))
        await self._send_raw(job.envelope, payload, error=outcome != "ok")
        self.audit.record(
            "request",
            request_id=_audit_value(request_id),
            command=command_name,
            target=_audit_value(request.get("target")),
            selector=_audit_value(request.get("selector")),
            outcome=outcome,
            duration_ms=round((self.clock() - started) * 1000, 3),
        )

    def _execute(self, command: commands.Command, request: dict) -> Any:
        image = self.image
        if command.writes:
            value = image.run(
                lambda: command.handler(self.ctx, request),
                retries=self.config.conflict_retries,
                note=f"{command.name} {request.get('target', '')} {request.get('selector', request.get('slot', ''))}".strip(),
            )
            # Rendered after the commit (new objects have their ids now); this
            # kernel is the image's only writer, so the view is current.
            return commands.render(value)
        return image.read(lambda: commands.render(command.handler(self.ctx, request)))

    # --- replies ---------------------------------------------------------------------------
    async def _reply_error(self, envelope: Envelope, request_id: Any, exc: RequestError) -> None:
        if isinstance(exc, Internal):
            logger.error("internal error: %s", exc.message)
        await self._send(envelope, protocol.error(request_id, exc.code, exc.message))

    async def _send(self, envelope: Envelope, message: dict) -> None:
        await self._send_raw(envelope, protocol.encode(message), error=message.get("status") == "error")

    async def _send_raw(self, envelope: Envelope, payload: bytes, error: bool = False) -> None:
        import zmq

        self.counters.answered += 1
        if error:
            self.counters.errors += 1
        try:
            await self._socket.send_multipart(envelope.frames(payload))
        except zmq.ZMQError as exc:
            logger.warning("could not answer a client: %s", exc)


def _wire_details(exc: RequestError) -> dict:
    details = {}
    for key, value in exc.details.items():
        details[key] = commands.render(value)
    return details


def _audit_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value if not isinstance(value, str) else value[:200]
    return protocol.safe_repr(value, 200)


def run_kernel(config: Config, image: Image, audit_factory: Callable[[], AuditSink]) -> int:
    """Run the kernel until it is told to stop. Returns the exit code."""

    async def main() -> int:
        audit = audit_factory()
        kernel = Kernel(config, image, audit)
        try:
            return await kernel.serve()
        finally:
            await audit.close()

    if sys.platform == "win32":  # pyzmq's asyncio needs the selector loop there
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())  # type: ignore[attr-defined]
    return asyncio.run(main())

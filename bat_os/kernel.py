"""The kernel: one asyncio loop, one ZeroMQ ROUTER, one worker, one image.

The receiving side (:class:`~bat_os.bridge.Bridge`, called from the loop's
reader callback) only decodes, checks the envelope and queues, or answers at
once: ``ping``, malformed frames, ``busy`` when the bounded queue is full. It
never waits for queued work. One worker takes queued requests in order and
runs each in one transaction on this thread, the only one that touches ZODB,
yielding to the socket between jobs. A reply is sent after the commit, so
"ok" means committed. When nothing is queued and no other message is waiting
in the socket, the new request is run at once by the same code instead of
waking the worker: that saves a queue hop per request and changes nothing
about what can be received meanwhile, since every command runs
synchronously on this thread.

SIGINT/SIGTERM: stop receiving, let the worker finish what is queued within
``shutdown_grace`` seconds (what is left is answered ``shutting_down``),
close the socket, the image and the audit trail, and return 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Callable

from . import __version__, cognition as _cognition_commands, commands, memory as _memory_commands, personas as _persona_commands, protocol, selfcheck as _selfcheck_command  # noqa: F401 (registers commands)
from . import chronicle as _chronicle  # registers backup and chronicle
from . import translation as _translation_command  # noqa: F401 (registers translate)
from . import oscompat
from .audit import AuditSink
from .bridge import Bridge, Envelope, split
from .config import Config
from .errors import BatosError, Internal, JailError, RequestError, ShuttingDown, Timeout, TooLarge
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


class Kernel:
    def __init__(
        self,
        config: Config,
        image: Image,
        audit: AuditSink,
        clock: Callable[[], float] = time.monotonic,
        cognition_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.config = config
        self.image = image
        self.audit = audit
        self.clock = clock
        self.started = clock()
        self.counters = Counters()
        # backups: the backup command's service (config.load has resolved backup_dir).
        self.ctx = commands.Context(image=image, stats=self.stats, backups=_chronicle.KernelBackups(image, config.backup_dir))
        self._queue: asyncio.Queue[Job | None] | None = None
        self._bridge: Bridge | None = None
        self._stopping = asyncio.Event()
        self.cognition_factory = cognition_factory  # async () -> Cognition; None: no jail, no cycles
        self.cognition: Any = None
        self._deferred: set[asyncio.Task] = set()  # answers being awaited (jail, cycles)

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
        # SIGINT, SIGTERM, and SIGBREAK on Windows (CTRL_BREAK from the watchdog); see bat_os.oscompat.
        self._undo_signals = oscompat.install_stop_signals(loop, self.request_stop)

    async def serve(self, on_ready: Callable[[], None] | None = None) -> int:
        import zmq

        loop = asyncio.get_running_loop()
        self._install_signal_handlers(loop)
        self._queue = asyncio.Queue(maxsize=self.config.queue_size)
        if self.cognition_factory is not None:  # ready before the first request can arrive
            self.cognition = await self.cognition_factory()
            self.ctx.cognition = self.cognition
        try:
            self._bridge = Bridge(self.config.endpoint, self.config.max_frame_bytes, self._accept)
        except zmq.ZMQError as exc:
            await self._stop_cognition()
            raise BatosError(f"cannot bind {self.config.endpoint}: {exc}") from exc
        logger.info("kernel %s serving %s (image %s, pid %d)", __version__, self.config.endpoint, self.image.path, os.getpid())
        self.audit.record("kernel_started", endpoint=self.config.endpoint, image=str(self.image.path), pid=os.getpid())
        worker = loop.create_task(self._work())
        self._bridge.start(loop)
        if on_ready:
            on_ready()
        try:
            self._resume_interrupted()
            await self._stopping.wait()
            self._bridge.pause()  # new messages wait in the socket; answered below
            self._queue.put_nowait(None) if not self._queue.full() else None
            try:
                await asyncio.wait_for(asyncio.shield(worker), timeout=self.config.shutdown_grace)
            except asyncio.TimeoutError:
                logger.warning("work still running after %.1fs; aborting it", self.config.shutdown_grace)
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
            self._refuse_rest()
            await self._stop_deferred()
        finally:
            if not worker.done():
                worker.cancel()
            await self._stop_cognition()
            self._bridge.close(linger_ms=500)
            self.audit.record("kernel_stopped", pid=os.getpid())
            self._undo_signals()
        logger.info("kernel stopped cleanly")
        return 0

    def _resume_interrupted(self) -> None:
        """Cycles a crash interrupted: resume each (or fail it), answering its client if still there."""
        if self.cognition is None:
            return
        for cycle_id, reply_to in self.cognition.orchestrator.interrupted():
            self._spawn(self._resume(cycle_id, reply_to))

    async def _stop_cognition(self) -> None:
        if self.cognition is not None:
            await self.cognition.close()

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._deferred.add(task)
        task.add_done_callback(self._deferred.discard)
        return task

    async def _stop_deferred(self) -> None:
        """Give deferred work (jailed sends, cycles) the grace period, then cancel it.

        A cancelled cycle keeps its last checkpoint and resumes at the next start.
        """
        if not self._deferred:
            return
        done, pending = await asyncio.wait(set(self._deferred), timeout=self.config.shutdown_grace)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("cancelled %d deferred request(s) still running at shutdown", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

    async def _resume(self, cycle_id: str, reply_to: dict | None) -> None:
        envelope = Envelope(reply_to["identity"], reply_to.get("req", False)) if reply_to else None
        request_id = reply_to.get("id") if reply_to else None
        try:
            result = await self.cognition.orchestrator.drive(cycle_id)
            message = protocol.ok(request_id, result)
        except RequestError as exc:
            message = protocol.error(request_id, exc.code, exc.message, **_wire_details(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug: log it, keep serving
            logger.exception("resuming cycle %s failed", cycle_id)
            message = protocol.error(request_id, "internal", f"internal error: {type(exc).__name__}: {exc}")
        if envelope is not None:  # the client that waited before the crash, if it is still there
            self._send(envelope, message)

    def _refuse_rest(self) -> None:
        """Answer ``shutting_down`` to what is queued and to what is still in the socket."""
        while self._queue and not self._queue.empty():
            job = self._queue.get_nowait()
            if job is not None:
                self._reply_error(job.envelope, job.request.get("id"), ShuttingDown("the kernel is stopping"))
        for frames in self._bridge.drain():
            self._accept(frames)  # answers shutting_down (or the frame's own error)

    # --- receiving -----------------------------------------------------------------------
    def _accept(self, frames: list[bytes]) -> None:
        """One message from the socket: answer it now, run it now, or queue it."""
        self.counters.received += 1
        incoming = split(frames)
        if incoming.envelope is None:
            logger.warning("dropped a message nobody can be answered for: %s", incoming.problem)
            return
        envelope = incoming.envelope
        if incoming.problem:
            self._send(envelope, protocol.error(None, "bad_request", incoming.problem))
            return
        payload = incoming.payload
        if len(payload) > self.config.max_frame_bytes:
            self._reply_error(envelope, None, TooLarge(f"frame of {len(payload)} bytes is over the limit of {self.config.max_frame_bytes}"))
            return
        try:
            message = protocol.decode(payload)
        except protocol.DecodeError as exc:
            self._send(envelope, protocol.error(None, "bad_request", str(exc)))
            return
        request_id = message.get("id") if isinstance(message, dict) else None
        try:
            protocol.check_request(message)
        except protocol.DecodeError as exc:
            self._send(envelope, protocol.error(request_id, "bad_request", str(exc)))
            return
        if message["command"] == "ping":  # the liveness probe never waits in the queue
            self._send(envelope, protocol.ok(request_id, {"pong": True, "uptime": round(self.clock() - self.started, 3)}))
            return
        if self._stopping.is_set():
            self._reply_error(envelope, request_id, ShuttingDown("the kernel is stopping"))
            return
        timeout = message.get("timeout", self.config.request_timeout)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            self._send(envelope, protocol.error(request_id, "bad_request", "'timeout' must be a positive number of seconds"))
            return
        now = self.clock()
        job = Job(envelope, message, now, now + timeout)
        if self._queue.empty() and not self._bridge.more_waiting():
            # Fast path: nobody is ahead and nobody behind, so run it now
            # rather than waking the worker (a queue hop costs ~150 us a
            # request here). Commands run synchronously on this thread
            # either way. Under load the queue is used, so "busy" and ping
            # still work.
            self._run(job)
            return
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self.counters.busy += 1
            self._send(envelope, protocol.error(request_id, "busy", f"the request queue is full ({self.config.queue_size}); try again"))

    # --- working --------------------------------------------------------------------------
    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            if job is None:
                return
            self._run(job)
            if self._stopping.is_set() and self._queue.empty():
                return
            await asyncio.sleep(0)  # let the socket in between queued jobs (ping, busy)

    def _run(self, job: Job) -> None:
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
                self._send(job.envelope, protocol.event(request_id, {"type": "started", "command": command_name}))
            result = self._execute(command, request)
            reply = protocol.ok(request_id, result)
        except commands.Deferred as deferred:
            self._spawn(self._finish_deferred(job, deferred, started))
            return
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
        self._send_raw(job.envelope, payload, error=outcome != "ok")
        self._audit_request(request, started, outcome)

    async def _finish_deferred(self, job: Job, deferred: commands.Deferred, started: float) -> None:
        """Await a deferred answer (jail, cycle) and send it; the kernel serves on meanwhile."""
        request = job.request
        request_id = request.get("id")
        events = request.get("events") is True and not job.envelope.req

        def on_event(event: dict) -> None:
            if events:
                self._send(job.envelope, protocol.event(request_id, commands.render(event)))

        reply_to = {"identity": job.envelope.identity, "req": job.envelope.req, "id": request_id if _plain(request_id) else None}
        outcome = "ok"
        try:
            result = await deferred.run(commands.Call(on_event=on_event, reply_to=reply_to))
            reply = protocol.ok(request_id, result)  # deferred work answers plain data already
        except RequestError as exc:
            outcome = exc.code
            reply = protocol.error(request_id, exc.code, exc.message, **_wire_details(exc))
        except asyncio.CancelledError:
            self._reply_error(job.envelope, request_id, ShuttingDown("the kernel is stopping; send it again"))
            self._audit_request(request, started, "shutting_down")
            raise
        except Exception as exc:  # a bug: answer, log with traceback, keep serving
            logger.exception("internal error on %s", request["command"])
            outcome = "internal"
            reply = protocol.error(request_id, "internal", f"internal error: {type(exc).__name__}: {exc}")
        self._send(job.envelope, reply)
        self._audit_request(request, started, outcome)

    def _audit_request(self, request: dict, started: float, outcome: str) -> None:
        self.audit.record(
            "request",
            request_id=_audit_value(request.get("id")),
            command=request["command"],
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
    def _reply_error(self, envelope: Envelope, request_id: Any, exc: RequestError) -> None:
        if isinstance(exc, Internal):
            logger.error("internal error: %s", exc.message)
        self._send(envelope, protocol.error(request_id, exc.code, exc.message))

    def _send(self, envelope: Envelope, message: dict) -> None:
        try:
            payload = protocol.encode(message)
        except Exception as exc:  # noqa: BLE001 - a result we failed to render: still answered
            logger.exception("cannot encode a reply")
            message = protocol.error(message.get("id"), "internal", f"reply could not be encoded: {exc}")
            payload = protocol.encode(message)
        self._send_raw(envelope, payload, error=message.get("status") == "error")

    def _send_raw(self, envelope: Envelope, payload: bytes, error: bool = False) -> None:
        self.counters.answered += 1
        if error:
            self.counters.errors += 1
        self._bridge.send(envelope.frames(payload))


def _wire_details(exc: RequestError) -> dict:
    details = {}
    for key, value in exc.details.items():
        details[key] = commands.render(value)
    return details


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _audit_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value if not isinstance(value, str) else value[:200]
    return protocol.safe_repr(value, 200)


async def start_cognition(config: Config, image: Image) -> Any:
    """The jail (warm workers), the model backend and the orchestrator."""
    from .cognition import Cognition
    from .jail import Jail, JailLimits, UnavailableJail
    from .llm import make_backend
    from .orchestrator import CycleSettings, Orchestrator

    limits = JailLimits(
        cpu_seconds=config.jail_cpu_seconds,
        wall_seconds=config.jail_wall_seconds,
        memory_bytes=config.jail_memory_mb * 2**20,
    )
    jail = Jail(limits, workers=config.jail_workers)
    try:
        await jail.start()
    except JailError as exc:  # e.g. Windows: no fork; the kernel serves on, generated methods answer jail_unavailable
        logger.error("the jail cannot start here (%s): generated methods and cognitive cycles are disabled;"
                     " everything else (objects, memory, persona models) works", exc)
        jail = UnavailableJail(str(exc), limits)
    protections = jail.protections()
    if jail.available:
        logger.info("jail protections: %s", ", ".join(f"{k}={v}" for k, v in protections.items()))
    models = None
    if config.llm.backend == "transformers":
        from .model_manager import ModelManager
        from .personas import PersonaModels

        budget = config.models.memory_mb * 2**20 if config.models.memory_mb else None
        manager = ModelManager(budget_bytes=budget, device=config.llm.device, workdir=config.image.with_name(config.image.stem + ".loaded"))
        models = PersonaModels(image, manager, defaults={p: config.models.default_for(p) for p in ("ALFRED", "BRICK", "ROBIN", "BABS")})
        backend = make_backend(config.llm, record_to=config.llm.record_to, manager=manager, resolve=models.resolve,
                               timeout=config.models.generation_timeout)
        if config.models.pull_defaults == "auto":
            models.start_pull()
        missing = [p for p, entry in image.read(lambda: models.status()["personas"]).items() if entry["model"] is None]
        if missing and models.pull.get("state") != "running":
            logger.warning("%s %s no model: %s", ", ".join(missing), "has" if len(missing) == 1 else "have",
                           "import one with: python batos.py models import PERSONA <directory or Hugging Face id>"
                           " (kernel stopped), or set [models] pull_defaults = \"auto\"")
    else:
        backend = make_backend(config.llm, record_to=config.llm.record_to)
    from .memory import Memory, MemorySettings

    memory = Memory(image, MemorySettings(max_bytes=config.memory_max_bytes, model_path=config.embedding_model))
    if config.memory_warmup:
        memory.start()  # the embedder loads and the pending chunks are embedded in the background
    orchestrator = Orchestrator(
        image.db, backend, jail, CycleSettings(max_attempts=config.cycle_max_attempts, resume=config.cycle_resume),
        memory=memory,
    )
    return Cognition(image, jail, orchestrator, backend=backend, protections=protections, models=models, memory=memory,
                     translator=config.translator)


def run_kernel(config: Config, image: Image, audit_factory: Callable[[], AuditSink]) -> int:
    """Run the kernel until it is told to stop. Returns the exit code."""

    async def main() -> int:
        audit = audit_factory()
        kernel = Kernel(config, image, audit, cognition_factory=lambda: start_cognition(config, image))
        try:
            return await kernel.serve()
        finally:
            await audit.close()

    # A selector loop on Windows: add_reader on the ZeroMQ FD needs it (see bat_os.oscompat).
    with asyncio.Runner(loop_factory=oscompat.loop_factory()) as runner:
        return runner.run(main())

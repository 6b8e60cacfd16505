"""The kernel: one asyncio loop, one ZeroMQ ROUTER, one worker, one image.

The receiving side (:class:`~bat_os.kernel.bridge.Bridge`, called from the
loop's reader callback) only decodes, checks the envelope and queues, or
answers at once: ``ping``, malformed frames, ``busy`` when the bounded queue
is full. It never waits for queued work. One worker takes queued requests in
order and runs each in one transaction on this thread, the only one that
touches ZODB, yielding to the socket between jobs. A reply is sent after the
commit, so "ok" means committed. When nothing is queued and no other message
is waiting in the socket, the new request is run at once by the same code
instead of waking the worker (a queue hop saved per request).

A handler answers a value, or a :class:`~bat_os.kernel.commands.base.Later`
that is awaited as a task of its own while the kernel serves on. Either way,
and for every frame refused before a handler runs, the reply goes out
through :meth:`Kernel.answer`: the one place that turns an outcome (a value
or an exception, coded by :func:`bat_os.errors.reply_of`) into a reply,
sends it, counts it and audits it.

SIGINT/SIGTERM: stop receiving, let the worker finish what is queued within
``shutdown_grace`` seconds (what is left, and what still arrives, is answered
``shutting_down``), close the socket, the image and the audit trail, return 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from bat_os import __version__, errors, oscompat, protocol
from bat_os.config import Config
from bat_os.errors import BadRequest, BatosError, Busy, ShuttingDown, Timeout, TooLarge
from bat_os.forge.runs import Forge
from bat_os.image import codec, transact
from bat_os.image.image import Image
from bat_os.kernel import commands as command_list
from bat_os.kernel.audit import AuditSink, cycle_lines, request_line
from bat_os.kernel.backups import KernelBackups
from bat_os.kernel.bridge import Bridge, Envelope, lasting_envelope, split
from bat_os.kernel.commands.base import Call, Command, Context, Later, Reroute
from bat_os.kernel.heartbeat import Heartbeat, HeartbeatHost
from bat_os.kernel.stream import EventStream, topic_of

if TYPE_CHECKING:
    from bat_os.kernel.door import Door
    from bat_os.cognition.service import Cognition

logger = logging.getLogger(__name__)

_NO_RESULT = object()


@dataclass
class Job:
    envelope: Envelope
    request: dict
    received: float  # monotonic clock
    deadline: float


@dataclass
class Counters:
    received: int = 0
    answered: int = 0  # replies (not progress events)
    errors: int = 0
    busy: int = 0


class Kernel:
    def __init__(
        self,
        config: Config,
        image: Image,
        audit: AuditSink,
        clock: Callable[[], float] = time.monotonic,
        cognition_factory: Callable[[], Awaitable["Cognition"]] | None = None,
        door: "Door | None" = None,
    ) -> None:
        self.config = config
        self.image = image
        self.audit = audit
        self.clock = clock
        self.door = door  # the socket, bound and answering pings while the kernel started (bat_os.kernel.door)
        self.started = door.started if door is not None else clock()  # uptime counts from the door's opening
        self.counters = Counters()
        self.commands = command_list.get_commands()
        # backups: the backup and pack commands' service, scheduled backups (config.load has resolved backup_dir).
        self.ctx = Context(image=image, stats=self.stats, backups=KernelBackups.configured(image, config),
                           forge=Forge.configured(config, image.path), audit=audit.record)
        self._queue: asyncio.Queue[Job | None] | None = None
        self._bridge: Bridge | None = None
        self._stopping = asyncio.Event()
        self.cognition_factory = cognition_factory  # None: no jail, no cycles
        self.cognition: Cognition | None = None
        self.stream: EventStream | None = None  # the event stream (bat_os.kernel.stream), once serving
        self._awaited: set[asyncio.Task] = set()  # answers being awaited (jail, cycles, models)
        self.heartbeat: Heartbeat | None = None  # the image's own work between requests (bat_os.kernel.heartbeat)
        self._heartbeat_task: asyncio.Task | None = None
        self._last_request = self.started

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
            "events": self.stream.status() if self.stream is not None else None,
            "heartbeat": self.heartbeat.status() if self.heartbeat is not None else {"enabled": False},
        }

    def idle(self) -> float:
        """Seconds since the last request came."""
        return self.clock() - self._last_request

    def busy(self) -> bool:
        """Whether users' requests are queued or being answered (the heartbeat waits while they are)."""
        return bool(self._queue is not None and not self._queue.empty()) or bool(self._awaited)

    # --- life cycle ------------------------------------------------------------------
    def request_stop(self) -> None:
        if not self._stopping.is_set():
            logger.info("stop requested; finishing in-flight work")
            self._stopping.set()

    async def serve(self, on_ready: Callable[[], None] | None = None) -> int:
        import zmq

        loop = asyncio.get_running_loop()
        # SIGINT, SIGTERM, and SIGBREAK on Windows (CTRL_BREAK from the watchdog); see bat_os.oscompat.
        undo_signals = oscompat.install_stop_signals(loop, self.request_stop)
        if self.door is not None and self.door.stop_requested:  # told to stop while it started: it stops now
            self.request_stop()
        self._queue = asyncio.Queue(maxsize=self.config.queue_size)
        if self.cognition_factory is not None:  # ready before the first request can arrive
            self.cognition = await self.cognition_factory()
            self.cognition.record = self.audit.record  # model and capability calls: a line each in the audit trail
            if self.cognition.orchestrator is not None:
                self.cognition.orchestrator.tap = self._cycle_event  # every cycle's moves: audited, published
            self.ctx.cognition = self.cognition
        kept: list[list[bytes]] = []
        try:
            if self.door is not None:  # bound while the kernel started: taken over, with what came meanwhile
                ctx, sock, kept = self.door.hand_over()
                self._bridge = Bridge(self.config.endpoint, self.config.max_frame_bytes, self._accept, adopt=(ctx, sock))
            else:
                self._bridge = Bridge(self.config.endpoint, self.config.max_frame_bytes, self._accept)
        except zmq.ZMQError as exc:
            await self._stop_cognition()
            undo_signals()
            raise BatosError(f"cannot bind {self.config.endpoint}: {exc}") from exc
        self._open_stream()
        self._start_heartbeat(loop)
        self.ctx.backups.start(lambda topic, event: self.ctx.publish(topic, event))  # the schedule; backup.*, pack.* events
        logger.info("kernel %s serving %s (image %s, pid %d)", __version__, self.config.endpoint, self.image.path, os.getpid())
        self.audit.record("kernel_started", endpoint=self.config.endpoint, image=str(self.image.path), pid=os.getpid())
        worker = loop.create_task(self._work())
        self._bridge.start(loop)
        for frames in kept:  # what came while the kernel started, first and in order
            self._accept(frames)
        if on_ready:
            on_ready()
        try:
            self._resume_interrupted()
            await self._stopping.wait()
            await self._stop_heartbeat()
            self._bridge.pause()  # new messages wait in the socket; answered below
            self._queue.put_nowait(None) if not self._queue.full() else None
            try:
                await asyncio.wait_for(asyncio.shield(worker), timeout=self.config.shutdown_grace)
            except asyncio.TimeoutError:
                logger.warning("work still running after %.1fs; aborting it", self.config.shutdown_grace)
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
            self._refuse_rest()
            await self._stop_awaited()
        finally:
            if not worker.done():
                worker.cancel()
            await self._stop_heartbeat()
            await self.ctx.backups.close()  # the schedule, and a pack under way (stopped: the image stays whole)
            await self._stop_cognition()
            await self._refuse_late()
            self._bridge.close(linger_ms=500)
            self._close_stream()
            self.audit.record("kernel_stopped", pid=os.getpid())
            undo_signals()
        logger.info("kernel stopped cleanly")
        return 0

    # --- the event stream ---------------------------------------------------------------
    def _open_stream(self) -> None:
        """The PUB socket (bat_os.kernel.stream), fed by commits, cycles and the commands; a stream that cannot
        bind is logged and left out: the kernel serves without it."""
        if self.config.events_endpoint == "off":
            return
        try:
            self.stream = EventStream(self.config.events_endpoint, hwm=self.config.events_hwm)
        except Exception as exc:  # noqa: BLE001 - watching is optional; serving is not
            logger.error("the event stream cannot bind %s (%s): serving without it", self.config.events_endpoint, exc)
            return
        transact.AFTER_COMMIT.append(self._committed)
        self.ctx.publish = self.stream.publish
        logger.info("event stream on %s", self.stream.endpoint)

    def _committed(self, note: str | None) -> None:
        if self.stream is not None:
            self.stream.publish("commit", {"note": note})

    def _cycle_event(self, event: dict) -> None:
        """A cycle's progress: its moves, trials, install and failure in the audit trail (bat_os.kernel.audit's
        cycle_lines), everything on the stream."""
        for kind, fields in cycle_lines(event):
            self.audit.record(kind, **fields)
        topic = topic_of(event)
        if topic is not None and self.stream is not None:
            self.stream.publish(topic, {k: v for k, v in event.items() if k != "type"})

    def _close_stream(self) -> None:
        if self.stream is not None:
            if self._committed in transact.AFTER_COMMIT:
                transact.AFTER_COMMIT.remove(self._committed)
            self.ctx.publish = _no_events
            self.stream.close()
            self.stream = None

    # --- the heartbeat --------------------------------------------------------------------------
    def _start_heartbeat(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.config.heartbeat_every > 0 and self.cognition is not None:
            self.heartbeat = Heartbeat.from_config(self.config, HeartbeatHost(
                self.image, self.cognition, self.busy, self.idle, lambda topic, event: self.ctx.publish(topic, event),
                self.audit.record, self.ctx))
            self._heartbeat_task = loop.create_task(self.heartbeat.run())

    async def _stop_heartbeat(self) -> None:
        """Stop the heartbeat (a cycle of its own keeps its checkpoint and resumes at the next start)."""
        task, self._heartbeat_task = self._heartbeat_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _resume_interrupted(self) -> None:
        """Cycles a crash interrupted: resume each (or fail it), answering its client if still there."""
        for cycle_id, reply_to in (self.cognition.orchestrator.interrupted() if self.cognition is not None
                                   and self.cognition.orchestrator is not None else []):
            self._spawn(self._resume(cycle_id, reply_to))

    async def _stop_cognition(self) -> None:
        if self.cognition is not None:
            await self.cognition.close()

    def _spawn(self, coroutine: Awaitable[None]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._awaited.add(task)
        task.add_done_callback(self._awaited.discard)
        return task

    async def _stop_awaited(self) -> None:
        """Give awaited work the grace period, then cancel it (a cycle resumes from its checkpoint at the next start)."""
        if not self._awaited:
            return
        _done, pending = await asyncio.wait(set(self._awaited), timeout=self.config.shutdown_grace)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("cancelled %d awaited request(s) still running at shutdown", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

    def _refuse_rest(self) -> None:
        """Answer ``shutting_down`` to what is queued and to what is still in the socket."""
        while self._queue and not self._queue.empty():
            job = self._queue.get_nowait()
            if job is not None:
                self.answer(job.envelope, job.request.get("id"), error=ShuttingDown("the kernel is stopping"))
        for frames in self._bridge.drain(quiet=0):
            self._accept(frames)  # answers shutting_down (or the frame's own error)

    async def _refuse_late(self, quiet: float = 0.25) -> None:
        """What still arrives (sent before the stop) until ``quiet`` seconds pass with nothing: ``shutting_down``."""
        last = self.clock()
        while self.clock() - last < quiet:
            for frames in self._bridge.drain(quiet=0):
                self._accept(frames)
                last = self.clock()
            await asyncio.sleep(0.01)

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
            self.answer(envelope, None, error=BadRequest(incoming.problem))
            return
        payload = incoming.payload
        if len(payload) > self.config.max_frame_bytes:
            self.answer(envelope, None, error=TooLarge(f"frame of {len(payload)} bytes is over the limit of {self.config.max_frame_bytes}"))
            return
        try:
            message = protocol.decode(payload)
        except protocol.DecodeError as exc:
            self.answer(envelope, None, error=BadRequest(str(exc)))
            return
        request_id = message.get("id") if isinstance(message, dict) else None
        try:
            protocol.check_request(message)
        except protocol.DecodeError as exc:
            self.answer(envelope, request_id, error=BadRequest(str(exc)))
            return
        if message["command"] == "ping":  # the liveness probe never waits in the queue
            self.answer(envelope, request_id, {"pong": True, "uptime": round(self.clock() - self.started, 3)})
            return
        self._last_request = self.clock()  # a user at work (a probe is not): the heartbeat waits (Kernel.idle)
        if self._stopping.is_set():
            self.answer(envelope, request_id, error=ShuttingDown("the kernel is stopping"))
            return
        timeout = message.get("timeout", self.config.request_timeout)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            self.answer(envelope, request_id, error=BadRequest("'timeout' must be a positive number of seconds"))
            return
        now = self.clock()
        job = Job(envelope, message, now, now + timeout)
        if self._queue.empty() and not self._bridge.more_waiting():
            # Fast path: nobody ahead or behind, so run it now rather than wake the worker (a queue hop costs ~150 us
            # here); commands run synchronously on this thread either way. Under load the queue is used.
            self._run(job)
            return
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self.counters.busy += 1
            self.answer(envelope, request_id, error=Busy(f"the request queue is full ({self.config.queue_size}); try again"))

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
        """Run a job's command; answer it now, or start awaiting its :class:`Later`."""
        request = job.request
        started = self.clock()
        try:
            if started > job.deadline:
                raise Timeout(f"the request waited {started - job.received:.1f}s in the queue, past its timeout")
            command = command_list.lookup(self.commands, request["command"])
            if request.get("events") is True and not job.envelope.req:
                self._event(job, {"type": "started", "command": command.name})
            result = self._execute(command, request)
        except Exception as exc:  # answered with its code (a bug: internal, logged with its traceback)
            self.answer(job.envelope, request.get("id"), error=exc, request=request, started=started)
            return
        if isinstance(result, Later):
            self._spawn(self._await(job, result, started))
            return
        self.answer(job.envelope, request.get("id"), result, request=request, started=started)

    def _execute(self, command: Command, request: dict) -> Any:
        """The handler in one transaction: committed (writes) or aborted (reads); a Later as it is (a Reroute's
        Later once its transaction is aborted)."""
        try:
            return self._in_transaction(command, request)
        except Reroute as reroute:
            return reroute.later

    def _in_transaction(self, command: Command, request: dict) -> Any:
        image = self.image
        if command.writes:
            value = image.run(
                lambda: command.handler(self.ctx, request),
                retries=self.config.conflict_retries,
                note=f"{command.name} {request.get('target', '')} {request.get('selector', request.get('slot', ''))}".strip(),
            )
            # Rendered after the commit (new objects have their ids now); this
            # kernel is the image's only writer, so the view is current.
            return value if isinstance(value, Later) else codec.render(value)
        return image.read(lambda: _rendered(command.handler(self.ctx, request)))

    async def _await(self, job: Job, later: Later, started: float) -> None:
        """Await a handler's Later (jail, cycle, model) and answer; the kernel serves on meanwhile."""
        request = job.request
        request_id = request.get("id")
        wants_events = self._wants_events(job)

        def on_event(event: dict) -> None:
            if wants_events:
                self._event(job, codec.render(event))

        reply_to = {"identity": job.envelope.identity, "req": job.envelope.req, "id": request_id if _plain(request_id) else None}
        try:
            asks = wants_events and request.get("ask", True) is not False  # a cycle may ask it (bat_os.cognition.asking)
            result = await later.run(Call(on_event=on_event, reply_to=reply_to, asks=asks))  # plain data already
        except asyncio.CancelledError:
            self.answer(job.envelope, request_id, error=ShuttingDown("the kernel is stopping; send it again"),
                        request=request, started=started)
            raise
        except Exception as exc:
            self.answer(job.envelope, request_id, error=exc, request=request, started=started)
            return
        self.answer(job.envelope, request_id, result, request=request, started=started)

    async def _resume(self, cycle_id: str, reply_to: dict | None) -> None:
        """Drive a cycle a crash interrupted; its answer goes to the client that waited if it can still be reached."""
        envelope = lasting_envelope(reply_to)  # None for a client of the last kernel: its identity may be another's now
        if reply_to and envelope is None:
            logger.info("cycle %s resumes; its client was the last kernel's, so its answer is not sent", cycle_id)
        request_id = reply_to.get("id") if reply_to else None
        request = {"command": "resume", "id": request_id, "cycle": cycle_id}
        started = self.clock()
        try:
            result = await self.cognition.orchestrator.drive(cycle_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.answer(envelope, request_id, error=exc, request=request, started=started)
            return
        self.answer(envelope, request_id, result, request=request, started=started)

    # --- replies ---------------------------------------------------------------------------
    def answer(
        self, envelope: Envelope | None, request_id: Any, result: Any = _NO_RESULT, *, error: BaseException | None = None,
        request: dict | None = None, started: float | None = None,
    ) -> None:
        """The one reply path: an outcome (``result``, or ``error``) -> a reply, sent, counted, audited.

        The error's code comes from :func:`bat_os.errors.reply_of` (a bug is
        ``internal`` and logged with its traceback). A reply that cannot be
        encoded is answered ``internal``. ``envelope`` None: nobody waits (a
        resumed cycle whose client is gone). ``request``: audited, with the
        time since ``started``.
        """
        if error is None:
            message = protocol.ok(request_id, None if result is _NO_RESULT else result)
        else:
            code, text, details = errors.reply_of(error)
            message = protocol.error(request_id, code, text, **{key: codec.render(value) for key, value in details.items()})
        try:
            payload = protocol.encode(message)
        except Exception as exc:  # noqa: BLE001 - a result we failed to render: still answered
            logger.exception("cannot encode the reply to %s", request.get("command") if request else "a request")
            message = protocol.error(request_id, "internal", f"reply could not be encoded: {exc}")
            payload = protocol.encode(message)
        outcome = "ok" if message["status"] == "ok" else message["error"]["code"]
        if envelope is not None:
            self.counters.answered += 1
            if outcome != "ok":
                self.counters.errors += 1
            self._bridge.send(envelope.frames(payload))
        if request is not None:
            self._audit_request(request, started if started is not None else self.clock(), outcome)

    def _event(self, job: Job, event: dict) -> None:
        """A progress event before the reply (only to a client that asked, and not REQ)."""
        try:
            payload = protocol.encode(protocol.event(job.request.get("id"), event))
        except Exception:  # noqa: BLE001 - an event we cannot render is dropped; the reply still comes
            logger.exception("cannot encode a progress event of %s", job.request.get("command"))
            return
        self._bridge.send(job.envelope.frames(payload))

    @staticmethod
    def _wants_events(job: Job) -> bool:
        return job.request.get("events") is True and not job.envelope.req

    def _audit_request(self, request: dict, started: float, outcome: str) -> None:
        self.audit.record("request", **request_line(request, outcome, (self.clock() - started) * 1000))


def _no_events(topic: str, event: dict) -> None:
    return None


def _rendered(value: Any) -> Any:
    return value if isinstance(value, Later) else codec.render(value)


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))

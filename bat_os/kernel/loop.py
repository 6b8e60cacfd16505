"""The kernel: one asyncio loop, one ZeroMQ ROUTER, one worker, one image. Here: its parts put together, its
figures, and its life cycle.

:class:`Kernel` builds its parts, each the one concern of a module:

- :mod:`~bat_os.kernel.intake`: messages from the socket (the
  :class:`~bat_os.kernel.bridge.Bridge`, called from the loop's reader
  callback) answered at once (``ping``, malformed frames, ``busy`` when the
  bounded queue is full), run at once, or queued for the one worker;
- :mod:`~bat_os.kernel.jobs`: a job's command run in one transaction on this
  thread, the only one that touches ZODB; a reply is sent after the commit, so
  "ok" means committed;
- :mod:`~bat_os.kernel.awaited`: a handler's
  :class:`~bat_os.kernel.commands.base.Later`, and cycles a crash interrupted,
  awaited as tasks of their own while the kernel serves on;
- :mod:`~bat_os.kernel.replies`: the one reply path. Every outcome, and every
  frame refused before a handler runs, becomes a reply in
  :meth:`~bat_os.kernel.replies.ReplyPath.answer` (also :meth:`Kernel.answer`),
  sent, counted and audited;
- :mod:`~bat_os.kernel.publishing`: the event stream, fed by commits, cycles and
  the commands; and the heartbeat (:mod:`bat_os.kernel.heartbeat`) between requests.

SIGINT/SIGTERM: stop receiving, let the worker finish what is queued within
``shutdown_grace`` seconds (what is left, and what still arrives, is answered
``shutting_down``), give awaited work the same grace, close the socket, the
stream and the services, return 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from bat_os import __version__, oscompat
from bat_os.config import Config
from bat_os.errors import BatosError
from bat_os.forge.runs import Forge
from bat_os.image.image import Image
from bat_os.kernel import commands as command_list
from bat_os.kernel.replies import NO_RESULT, ReplyPath
from bat_os.kernel.audit import AuditSink
from bat_os.kernel.awaited import Awaited
from bat_os.kernel.backups import KernelBackups
from bat_os.kernel.bridge import Bridge, Envelope
from bat_os.kernel.commands.base import Context
from bat_os.kernel.heartbeat import Heartbeat, HeartbeatHost
from bat_os.kernel.intake import Intake
from bat_os.kernel.jobs import JobRunner
from bat_os.kernel.publishing import Publisher
from bat_os.kernel.stream import EventStream
from bat_os.kernel.trim import Trimmer

if TYPE_CHECKING:
    from bat_os.kernel.door import Door
    from bat_os.cognition.methods.service import Cognition

logger = logging.getLogger(__name__)


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
        self.commands = command_list.get_commands()
        # backups: the backup and pack commands' service, scheduled backups (config.load has resolved backup_dir).
        self.ctx = Context(image=image, stats=self.stats, backups=KernelBackups.configured(image, config),
                           forge=Forge.configured(config, image.path), audit=audit.record)
        self._stopping = asyncio.Event()
        self.replies = ReplyPath(audit.record, clock, config.max_frame_bytes)  # the one reply path (bat_os.kernel.replies)
        self.counters = self.replies.counters
        self.awaited = Awaited(self.replies, clock)  # answers being awaited (jail, cycles, models)
        self.jobs = JobRunner(image, self.ctx, self.commands, self.replies, self.awaited,
                              conflict_retries=config.conflict_retries, clock=clock)
        self.intake = Intake(config, self.jobs.run, self.replies, clock=clock, started=self.started,
                             stopping=self._stopping)
        self.publisher = Publisher(self.ctx, audit.record)  # the event stream (bat_os.kernel.stream), once serving
        self._bridge: Bridge | None = None
        self.cognition_factory = cognition_factory  # None: no jail, no cycles
        self.cognition: Cognition | None = None
        self.heartbeat: Heartbeat | None = None  # the image's own work between requests (bat_os.kernel.heartbeat)
        self._heartbeat_task: asyncio.Task | None = None
        self.trimmer = Trimmer.from_config(config)  # freed memory back to the system (bat_os.kernel.trim)
        self._trim_task: asyncio.Task | None = None
        self.remote: Any = None  # the CURVE door for remote clients, when configured (bat_os.kernel.remote.RemoteDoor)

    @property
    def stream(self) -> EventStream | None:
        """The event stream while the kernel serves with one."""
        return self.publisher.stream

    # --- figures -----------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return {
            "uptime": round(self.clock() - self.started, 3),
            "version": __version__,
            "pid": os.getpid(),
            "endpoint": self.config.endpoint,
            "queue_depth": self.intake.queue.qsize(),
            "queue_size": self.config.queue_size,
            "requests": {
                "received": self.counters.received,
                "answered": self.counters.answered,
                "errors": self.counters.errors,
                "busy": self.counters.busy,
            },
            "events": self.publisher.status(),
            "heartbeat": self.heartbeat.status() if self.heartbeat is not None else {"enabled": False},
            "remote": self.remote.status() if self.remote is not None else None,
            "allocator": self.trimmer.status(),
        }

    def idle(self) -> float:
        """Seconds since the last request came."""
        return self.clock() - self.intake.last_request

    def busy(self) -> bool:
        """Whether users' requests are queued or being answered (the heartbeat waits while they are)."""
        return not self.intake.queue.empty() or bool(self.awaited.tasks)

    def answer(
        self, envelope: Envelope | None, request_id: Any, result: Any = NO_RESULT, *, error: BaseException | None = None,
        request: dict | None = None, started: float | None = None,
    ) -> None:
        """The one reply path (:meth:`bat_os.kernel.replies.ReplyPath.answer`)."""
        self.replies.answer(envelope, request_id, result, error=error, request=request, started=started)

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
        if self.cognition_factory is not None:  # ready before the first request can arrive
            self.cognition = await self.cognition_factory()
            self.cognition.record = self.audit.record  # model and capability calls: a line each in the audit trail
            if self.cognition.orchestrator is not None:
                self.cognition.orchestrator.tap = self.publisher.cycle_event  # every cycle's moves: audited, published
            self.ctx.cognition = self.cognition
            if self.cognition.models is not None:  # the forge's worker holds cores while it runs (bat_os.models.cores)
                self.cognition.models.manager.cores.count("forge", self.ctx.forge.cores_held)
        kept: list[list[bytes]] = []
        try:
            if self.door is not None:  # bound while the kernel started: taken over, with what came meanwhile
                ctx, sock, kept = self.door.hand_over()
                bridge = Bridge(self.config.endpoint, self.config.max_frame_bytes, self.intake.accept, adopt=(ctx, sock))
            else:
                bridge = Bridge(self.config.endpoint, self.config.max_frame_bytes, self.intake.accept)
        except zmq.ZMQError as exc:
            await self._stop_cognition()
            undo_signals()
            raise BatosError(f"cannot bind {self.config.endpoint}: {exc}") from exc
        self._attach(bridge)
        self.publisher.open(self.config.events_endpoint, self.config.events_hwm)
        self._open_remote(bridge)
        self._start_heartbeat(loop)
        self._trim_task = self.trimmer.start(loop)
        self.ctx.backups.start(lambda topic, event: self.ctx.publish(topic, event))  # the schedule; backup.*, pack.* events
        logger.info("kernel %s serving %s (image %s, pid %d)", __version__, self.config.endpoint, self.image.path, os.getpid())
        self.audit.record("kernel_started", endpoint=self.config.endpoint, image=str(self.image.path), pid=os.getpid())
        self.intake.start_worker(loop)
        bridge.start(loop)
        for frames in kept:  # what came while the kernel started, first and in order
            self.intake.accept(frames)
        if on_ready:
            on_ready()
        try:
            if self.cognition is not None and self.cognition.orchestrator is not None:
                self.awaited.resume_interrupted(self.cognition.orchestrator)
            await self._stopping.wait()
            await self._stop_heartbeat()
            await self.intake.finish(self.config.shutdown_grace)  # the queue worked off or refused
            await self.awaited.stop(self.config.shutdown_grace)
        finally:
            self.intake.cancel_worker()
            await self._stop_heartbeat()
            if self._trim_task is not None:
                self._trim_task.cancel()
                await asyncio.gather(self._trim_task, return_exceptions=True)
            await self.ctx.backups.close()  # the schedule, and a pack under way (stopped: the image stays whole)
            await self._stop_cognition()
            await self.intake.refuse_late()
            if self.remote is not None:
                self.remote.close()
            bridge.close(linger_ms=500)
            self.publisher.close()
            self.audit.record("kernel_stopped", pid=os.getpid())
            undo_signals()
        logger.info("kernel stopped cleanly")
        return 0

    def _open_remote(self, bridge: Bridge) -> None:
        """The CURVE door for remote clients on the kernel's own sockets, when configured (bat_os.kernel.remote); one
        that cannot open is said, and the kernel serves its loopback endpoint without it."""
        if not self.config.remote_endpoint:
            return
        import zmq

        from bat_os.kernel.remote import Keys, RemoteDoor

        sockets = [(bridge.sock, self.config.remote_endpoint)]
        stream = self.publisher.stream
        if self.config.remote_events_endpoint and stream is not None:
            sockets.append((stream.socket, self.config.remote_events_endpoint))
        try:
            self.remote = RemoteDoor(Keys.beside(self.image.path)).open(sockets)
        except (zmq.ZMQError, OSError) as exc:
            logger.error("remote clients: cannot open %s (%s); serving %s only", self.config.remote_endpoint, exc,
                         self.config.endpoint)

    def _attach(self, bridge: Bridge) -> None:
        """The socket requests come in on and replies go out on."""
        self._bridge = self.intake.bridge = bridge
        self.replies.send = bridge.send

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

    async def _stop_cognition(self) -> None:
        if self.cognition is not None:
            await self.cognition.close()

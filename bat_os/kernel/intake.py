"""Requests in: each message from the socket answered at once, run at once, or queued for the worker.

:meth:`Intake.accept` is the bridge's ``on_frames`` (:mod:`bat_os.kernel.bridge`):
it counts the message, classifies it (:func:`~bat_os.kernel.bridge.split`) and
answers at once what needs no handler: frames without a payload, a payload over
``max_frame_bytes`` or bytes that are not a request (with the frame's ``id`` where
:func:`~bat_os.protocol.peek_id` can read it without decoding the rest), ``ping`` (the liveness probe
never waits in the queue), a bad ``timeout``, and ``shutting_down`` once the
kernel stops. It never waits for queued work. With nothing queued and nothing
else waiting in the socket, a request is run at once by the same code (``run``:
:meth:`bat_os.kernel.jobs.JobRunner.run`) instead of waking the worker: a queue
hop saved per request. Otherwise it waits on the bounded queue (full: ``busy``),
and the worker (:meth:`Intake.work`) runs queued jobs in order, yielding to the
socket between them so that pings and ``busy`` replies go out under load.

At shutdown, :meth:`Intake.finish` stops reading, gives the worker the grace
period for what is queued, and answers ``shutting_down`` to what is left, queued
or waiting in the socket; :meth:`Intake.refuse_late` answers the same to what
still arrives (sent before the stop) until the socket has been quiet a while.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Callable

from bat_os import protocol
from bat_os.config import Config
from bat_os.errors import BadRequest, Busy, ShuttingDown, TooLarge
from bat_os.kernel.replies import ReplyPath
from bat_os.kernel.bridge import Bridge, split
from bat_os.kernel.jobs import Job

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Intake:
    """The receiving side of the kernel: the bounded queue, its worker, and what is answered before any handler."""

    config: Config
    run: Callable[[Job], None]  # runs a job (bat_os.kernel.jobs.JobRunner.run)
    replies: ReplyPath
    clock: Callable[[], float]
    started: float  # when the kernel started: ping answers its uptime
    stopping: asyncio.Event  # set when the kernel is told to stop
    bridge: Bridge | None = None  # the kernel's socket, once it serves
    worker: asyncio.Task | None = None

    def __post_init__(self) -> None:
        self.queue: asyncio.Queue[Job | None] = asyncio.Queue(maxsize=self.config.queue_size)
        self.last_request = self.started  # when a user's request last came (a ping is not one): Kernel.idle

    def accept(self, frames: list[bytes]) -> None:
        """One message from the socket: answer it now, run it now, or queue it."""
        answer = self.replies.answer
        self.replies.counters.received += 1
        incoming = split(frames)
        if incoming.envelope is None:
            logger.warning("dropped a message nobody can be answered for: %s", incoming.problem)
            return
        envelope = incoming.envelope
        if incoming.problem:
            answer(envelope, None, error=BadRequest(incoming.problem))
            return
        payload = incoming.payload
        if len(payload) > self.config.max_frame_bytes:
            answer(envelope, protocol.peek_id(payload),
                   error=TooLarge(f"frame of {len(payload)} bytes is over the limit of {self.config.max_frame_bytes}"))
            return
        try:
            message = protocol.decode(payload)
        except protocol.DecodeError as exc:
            answer(envelope, protocol.peek_id(payload), error=BadRequest(str(exc)))
            return
        request_id = message.get("id") if isinstance(message, dict) else None
        try:
            protocol.check_request(message)
        except protocol.DecodeError as exc:
            answer(envelope, request_id, error=BadRequest(str(exc)))
            return
        if message["command"] == "ping":  # the liveness probe never waits in the queue
            answer(envelope, request_id, {"pong": True, "uptime": round(self.clock() - self.started, 3)})
            return
        self.last_request = self.clock()  # a user at work (a probe is not): the heartbeat waits (Kernel.idle)
        if self.stopping.is_set():
            answer(envelope, request_id, error=ShuttingDown("the kernel is stopping"))
            return
        timeout = message.get("timeout", self.config.request_timeout)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            answer(envelope, request_id, error=BadRequest("'timeout' must be a positive number of seconds"))
            return
        now = self.clock()
        job = Job(envelope, message, now, now + timeout)
        if self.queue.empty() and not self.bridge.more_waiting():
            # Fast path: nobody ahead or behind, so run it now rather than wake the worker (a queue hop costs ~150 us
            # here); commands run synchronously on this thread either way. Under load the queue is used.
            self.run(job)
            return
        try:
            self.queue.put_nowait(job)
        except asyncio.QueueFull:
            self.replies.counters.busy += 1
            answer(envelope, request_id, error=Busy(f"the request queue is full ({self.config.queue_size}); try again"))

    # --- the worker ------------------------------------------------------------------------
    def start_worker(self, loop: asyncio.AbstractEventLoop) -> None:
        self.worker = loop.create_task(self.work())

    async def work(self) -> None:
        """Run queued jobs in order until told to stop (a None in the queue, or stopping with nothing queued)."""
        while True:
            job = await self.queue.get()
            if job is None:
                return
            self.run(job)
            if self.stopping.is_set() and self.queue.empty():
                return
            await asyncio.sleep(0)  # let the socket in between queued jobs (ping, busy)

    def cancel_worker(self) -> None:
        if self.worker is not None and not self.worker.done():
            self.worker.cancel()

    # --- stopping ----------------------------------------------------------------------------
    async def finish(self, grace: float) -> None:
        """Stop reading; let the worker finish what is queued within ``grace`` seconds (then cancel it); answer
        ``shutting_down`` to what is left, queued or waiting in the socket."""
        self.bridge.pause()  # new messages wait in the socket; answered below
        if not self.queue.full():
            self.queue.put_nowait(None)
        if self.worker is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.worker), timeout=grace)
            except asyncio.TimeoutError:
                logger.warning("work still running after %.1fs; aborting it", grace)
                self.worker.cancel()
                await asyncio.gather(self.worker, return_exceptions=True)
        self.refuse_rest()

    def refuse_rest(self) -> None:
        """Answer ``shutting_down`` to what is queued and to what is still in the socket."""
        while not self.queue.empty():
            job = self.queue.get_nowait()
            if job is not None:
                self.replies.answer(job.envelope, job.request.get("id"), error=ShuttingDown("the kernel is stopping"))
        for frames in self.bridge.drain(quiet=0):
            self.accept(frames)  # answers shutting_down (or the frame's own error)

    async def refuse_late(self, quiet: float = 0.25) -> None:
        """What still arrives (sent before the stop) until ``quiet`` seconds pass with nothing: ``shutting_down``."""
        last = self.clock()
        while self.clock() - last < quiet:
            for frames in self.bridge.drain(quiet=0):
                self.accept(frames)
                last = self.clock()
            await asyncio.sleep(0.01)

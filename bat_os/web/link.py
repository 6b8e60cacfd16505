"""The web inspector's link to the kernel: a client like any other, on asyncio.

One DEALER socket carries every request, replies routed to their waiters by id (progress events too, to the
request's own handler) by :class:`bat_os.console.routing.Requests`, the console's own routing; one SUB socket
takes the event stream (the endpoint ``status`` names). A watcher pings the kernel every ``ping_every`` seconds
on the DEALER (the kernel answers ping before its queue, even when busy):

* no pong for ``down_after`` seconds: the link is ``down``; requests in flight fail with
  :class:`~bat_os.console.errors.KernelDown`, new ones at once (the socket is ``IMMEDIATE``: nothing queues
  for a kernel that is not there);
* a pong whose uptime is more than 0.5 s below the last one seen (:func:`bat_os.console.routing.restarted`, the
  console's rule), or the first after ``down``: the kernel restarted (the watchdog brought it back). Requests
  in flight are lost with it (KernelDown, ``restarted``), ``status`` is read again and the SUB socket
  reconnects to the new stream; listeners hear ``{"kind": "link", "state": "up", "restarted": true}`` and
  re-read what they show.

Listeners get ``{"kind": "event", "event": {...}}`` for every stream event, ``{"kind": "gap", "missed": N}``
when the stream's ``seq`` jumps, and ``{"kind": "link", "state": "up" | "down", ...}`` when the link changes.
Nothing here touches the image: the kernel is the only process that opens it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from bat_os import protocol
from bat_os.console.errors import KernelDown, NoReply
from bat_os.console.routing import EventHandler, Requests, decode, pong_of, restarted

logger = logging.getLogger(__name__)

Listener = Callable[[dict], None]


class KernelLink:
    def __init__(self, endpoint: str, *, ping_every: float = 0.5, down_after: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.endpoint = endpoint
        self.ping_every = ping_every
        self.down_after = down_after
        self.clock = clock
        self.state = "connecting"  # "up" | "down" | "connecting"
        self.status: dict | None = None  # the kernel's last status result
        self.listeners: set[Listener] = set()
        self._requests = Requests()
        self._waiting: dict[int, asyncio.Future] = {}  # the requests in flight: their final replies
        self._heard: dict[int, float] = {}  # when an event about a request in flight last came
        self._uptime: float | None = None
        self._last_pong = clock()
        self._seq: int | None = None
        self._stream_endpoint: str | None = None
        self._tasks: list[asyncio.Task] = []
        self._context = None
        self._dealer = None
        self._sub = None

    # --- life ---------------------------------------------------------------------------
    async def start(self) -> None:
        import zmq
        import zmq.asyncio

        self._context = zmq.asyncio.Context()
        self._dealer = self._context.socket(zmq.DEALER)
        self._dealer.setsockopt(zmq.LINGER, 0)
        self._dealer.setsockopt(zmq.IMMEDIATE, 1)
        self._dealer.connect(self.endpoint)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read_replies()), loop.create_task(self._watch())]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._fail_waiting(KernelDown("the inspector is stopping"))
        for sock in (self._sub, self._dealer):
            if sock is not None:
                sock.close(linger=0)
        if self._context is not None:
            self._context.term()

    # --- requests -------------------------------------------------------------------------
    async def request(self, message: dict, *, timeout: float = 10.0, on_event: EventHandler | None = None) -> dict:
        """Send ``message``; the final reply. NoReply after ``timeout`` seconds of silence about it (any event
        about it restarts the wait), KernelDown when the kernel is not there or goes away meanwhile."""
        import zmq

        if self.state == "down" and message.get("command") != "ping":
            raise KernelDown(f"the kernel at {self.endpoint} is not answering; the page reconnects when it is back")
        request_id, payload = self._requests.open(message, timeout=timeout,
                                                  on_event=_guarded(on_event) if on_event is not None else None)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            try:
                await self._dealer.send(payload, zmq.NOBLOCK)
            except zmq.Again:
                raise KernelDown(f"the kernel at {self.endpoint} is not answering (no connection)") from None
            while True:
                heard = self._heard_at(request_id)
                try:
                    return await asyncio.wait_for(asyncio.shield(future), timeout=timeout)
                except asyncio.TimeoutError:
                    if self._heard_at(request_id) == heard:  # nothing about it within the wait
                        raise NoReply(f"no reply from the kernel within {timeout:g}s", alive=self.state == "up") from None
        finally:
            self._requests.forget(request_id)
            self._waiting.pop(request_id, None)
            self._heard.pop(request_id, None)

    def _heard_at(self, request_id: int) -> float:
        return self._heard.get(request_id, 0.0)

    async def _read_replies(self) -> None:
        while True:
            reply = decode(await self._dealer.recv())
            if reply is not None and reply.get("id") == "ping":
                self._pong(reply)
                continue
            request_id = self._requests.route(reply)  # an event has gone to its handler meanwhile
            if request_id is None:
                continue  # a late reply to a request given up on
            if self._requests.in_flight(request_id):  # an event: the kernel is working on it
                self._heard[request_id] = self.clock()
                continue
            self._heard.pop(request_id, None)
            future = self._waiting.get(request_id)
            final = self._requests.final(request_id)
            if future is not None and not future.done():
                future.set_result(final)

    def _fail_waiting(self, error: Exception) -> None:
        for future in list(self._waiting.values()):
            if not future.done():
                future.set_exception(error)

    # --- liveness -----------------------------------------------------------------------
    async def _watch(self) -> None:
        import zmq

        while True:
            try:
                await self._dealer.send(protocol.encode({"command": "ping", "id": "ping"}), zmq.NOBLOCK)
            except zmq.Again:
                pass  # not connected: the silence below says so
            await asyncio.sleep(self.ping_every)
            if self.state != "down" and self.clock() - self._last_pong > self.down_after:
                self._went_down()

    def _pong(self, reply: dict) -> None:
        uptime = (pong_of(reply) or {}).get("uptime")
        self._last_pong = self.clock()
        new = self.state == "down" or (self._uptime is not None and restarted(uptime, self._uptime))
        first = self.state == "connecting"
        self._uptime = uptime if isinstance(uptime, (int, float)) else self._uptime
        if first or new:
            if new:
                self._fail_waiting(KernelDown("the kernel restarted while working on the request", restarted=True))
            self.state = "up"  # connecting | down -> up, or up -> up with a new kernel
            asyncio.get_running_loop().create_task(self._connected(new))

    def _went_down(self) -> None:
        logger.warning("the kernel at %s stopped answering ping", self.endpoint)
        self.state = "down"
        self._fail_waiting(KernelDown(f"the kernel at {self.endpoint} stopped answering"))
        self._tell({"kind": "link", "state": "down"})

    async def _connected(self, restarted: bool) -> None:
        """Read ``status``, (re)connect the stream, and tell the listeners."""
        try:
            reply = await self.request({"command": "status"}, timeout=5.0)
        except NoReply as exc:
            logger.warning("status after connecting: %s", exc)
            return
        self.status = reply.get("result") if reply.get("status") == "ok" else None
        self._follow_stream()
        self._tell({"kind": "link", "state": "up", "restarted": restarted, "status": self.status})

    def _follow_stream(self) -> None:
        import zmq

        stream = (self.status or {}).get("events") or {}
        endpoint = stream.get("endpoint")
        if endpoint == self._stream_endpoint and self._sub is not None:
            self._seq = None  # a new kernel counts from 1 again
            return
        if self._sub is not None:
            self._sub.close(linger=0)
            self._sub = None
        self._stream_endpoint = endpoint
        self._seq = None
        if not endpoint:
            return
        self._sub = self._context.socket(zmq.SUB)
        self._sub.setsockopt(zmq.LINGER, 0)
        self._sub.setsockopt(zmq.SUBSCRIBE, b"")
        self._sub.connect(endpoint)
        self._tasks.append(asyncio.get_running_loop().create_task(self._read_stream(self._sub)))

    async def _read_stream(self, sock) -> None:
        import zmq

        while True:
            try:
                frames = await sock.recv_multipart()
            except zmq.ZMQError:
                return  # closed: a new kernel's stream took its place
            event = decode(frames[-1])
            if event is None:
                continue
            seq = event.get("seq")
            if isinstance(seq, int):
                if self._seq is not None and seq > self._seq + 1:
                    self._tell({"kind": "gap", "missed": seq - self._seq - 1})
                self._seq = seq
            self._tell({"kind": "event", "event": event})

    def _tell(self, message: dict) -> None:
        for listener in list(self.listeners):
            try:
                listener(message)
            except Exception:  # noqa: BLE001 - one page that fails must not stop the others
                logger.exception("a listener failed")


def _guarded(on_event: EventHandler) -> EventHandler:
    """``on_event``, whose failure is logged: a page's handler must not stop the link."""

    def handle(event: dict) -> None:
        try:
            on_event(event)
        except Exception:  # noqa: BLE001 - logged; the link reads on
            logger.exception("an event handler failed")

    return handle


__all__ = ["KernelLink", "KernelDown", "NoReply"]

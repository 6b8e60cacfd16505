"""Cognition in the kernel: generated methods in the jail, cognitive cycles, and the services they use.

:class:`Cognition` is what the kernel's commands reach through ``ctx.cognition`` (built by
:func:`bat_os.kernel.startup.start_cognition`): the jail, the orchestrator, the model backend, persona models,
memory, the translator setting. A generated method runs in the jail in the request's transaction
(:meth:`Cognition.launch` starts it before the handler returns; :meth:`Cognition.jailed_send` runs it on a
connection of its own); a system method that sends one waits for the jail in a greenlet
(:mod:`~bat_os.cognition.methods.handoff`); a selector nobody understands becomes a cycle
(:meth:`Cognition.learn_and_send`). What awaits runs on a connection of its own, other requests served meanwhile; a
conflict aborts and retries (:mod:`bat_os.image.transact`). Jail errors become request errors here, once
(:func:`as_request_error`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from transaction.interfaces import TransientError

from bat_os.cognition.methods import handoff
from bat_os.cognition.methods.capabilities import CapabilitySettings, RunCapabilities, grants_of
from bat_os.cognition.methods.host import ImageHost, LazyHost
from bat_os.errors import (
    Internal, JailError, JailMemory, JailTimeout, JailUnavailable, MethodError, MethodRaised, NoJail, NotFound,
    RequestError, Timeout,
)
from bat_os.image import transact
from bat_os.image.codec import adopt, render
from bat_os.image.image import Image
from bat_os.image.objects import Method, UvmObject
from bat_os.jail.runner import JailRunner
from bat_os.memory.service import MemoryService
from bat_os.models.backends import LLM

if TYPE_CHECKING:  # types only
    from bat_os.cognition.cycle.driver import Orchestrator
    from bat_os.kernel.commands.base import Call
    from bat_os.models.personas import PersonaModels

logger = logging.getLogger(__name__)


class Cognition:
    def __init__(
        self, image: Image, jail: JailRunner, orchestrator: "Orchestrator | None", *, backend: LLM | None = None,
        protections: dict | None = None, retries: int = 3, models: "PersonaModels | None" = None,
        memory: MemoryService | None = None, translator: str = "model",
        capability_settings: CapabilitySettings = CapabilitySettings(),
    ) -> None:
        self.image = image
        self.capability_settings = capability_settings
        self.capabilities_built = 0  # RunCapabilities made (status): a read-only send makes none
        self._record: Callable[..., None] | None = None
        self.translator = translator  # "model" or "local": the translate command's first stage (bat_os.translate.model)
        self.memory = memory  # ingest, search, forget (bat_os.memory.service.Memory)
        self.models = models  # persona models with the transformers backend, else None
        self.jail = jail
        self.orchestrator = orchestrator
        self.backend = backend
        self.protections = protections or {}
        self.retries = retries  # conflicting writes retried per jailed send

    @property
    def record(self) -> Callable[..., None] | None:
        """The kernel's audit trail (``record(event, **fields)``), once it has one: capability lines, and the model
        backend's ``model_call`` lines when it records them."""
        return self._record

    @record.setter
    def record(self, record: Callable[..., None] | None) -> None:
        self._record = record
        if hasattr(self.backend, "record"):
            self.backend.record = record

    async def close(self) -> None:
        if self.memory is not None:
            await self.memory.close()
        if self.models is not None:
            await self.models.close()
        await self.jail.close()
        if self.backend is not None:
            await self.backend.close()

    def launch(self, receiver: UvmObject, method: Method, selector: str, args: list, kwargs: dict) -> Callable[["Call | None"], Awaitable[Any]]:
        """Start a generated method now, in the request's own transaction, on the receiver's snapshot; the rest is
        awaited later. It takes a connection only if it needs more than the snapshot (:class:`LazyHost`), and runs again
        the ordinary way (:meth:`jailed_send`) if what it read went stale meanwhile."""
        oid = receiver._p_oid
        host = LazyHost(self.image, oid, ImageHost(self.image.connection, receiver).prepare(method.source), jail=self.jail,
                        capabilities=lambda: self.capabilities_for(grants_of(method), selector))  # made if needed
        running = self.jail.run(method.source, selector, args, kwargs, host, fresh=False)
        return lambda call: self._land(oid, selector, args, kwargs, host, running)

    async def _land(self, oid: bytes, selector: str, args: list, kwargs: dict, host: LazyHost, running: Awaitable[Any]) -> Any:
        try:
            return host.finish(await running)
        except TransientError:
            logger.info("%s: what it read changed while it ran; running it again", selector)
        except JailError as exc:
            raise as_request_error(selector, exc) from exc
        finally:
            host.close()
        return await self.jailed_send(oid, selector, args, kwargs)

    async def jailed_send(self, oid: bytes, selector: str, args: list, kwargs: dict) -> Any:
        """Run the generated method in the jail on a connection of its own; its changes commit with it."""

        async def run(conn: Any, receiver: UvmObject, method: Any) -> Any:
            if not isinstance(method, Method) or method.origin != "generated":
                raise Internal(f"{selector!r} changed while waiting; send it again")
            host = ImageHost(conn, receiver, jail=self.jail, capabilities=lambda: self.capabilities_for(grants_of(method), selector))
            return host.render_result(await self.jail.run(method.source, selector, args, kwargs, host, fresh=False))

        return await self._committed(oid, selector, run)

    async def _committed(self, oid: bytes, selector: str, work: Callable[[Any, UvmObject, Any], Awaitable[Any]]) -> Any:
        """``work(connection, receiver, what selector finds)`` on a connection of its own, committed (retried after
        conflicts); jail errors as request errors."""
        tm, conn = pair = self.image.acquire()

        async def attempt() -> Any:
            receiver = conn.get(oid)
            try:
                _holder, method = receiver.lookup(selector)
            except KeyError:
                raise NotFound(f"{selector!r} is no longer understood") from None
            try:
                return await work(conn, receiver, method)
            except JailError as exc:
                raise as_request_error(selector, exc) from exc

        try:
            return await transact.run_async(tm, attempt, retries=self.retries, note=f"send {selector}")
        finally:
            self.image.release(pair)

    def capabilities_for(self, grants: list[str], method: str = "") -> RunCapabilities:
        """A run's capabilities (:mod:`bat_os.cognition.methods.capabilities`): ``grants``, the budget of the settings;
        ``method`` names the run in its audit lines."""
        self.capabilities_built += 1
        return RunCapabilities(self.backend, self.memory, self.capability_settings, grants, record=self.record, method=method)

    def host_for(self, method: str = "") -> Callable[[Any, UvmObject, int], ImageHost]:
        """Hosts for the generated methods a system method (``method``) sends: able to hand sends back to the jail,
        sharing one run's capabilities (a send and all it sends spend one budget)."""
        def host(connection: Any, receiver: UvmObject, depth: int = 0) -> ImageHost:  # the hosts of one run share
            return ImageHost(connection, receiver, jail=self.jail, depth=depth, capabilities=made)  # its capabilities

        def made() -> RunCapabilities:  # made when a generated method first needs them: most sends need none
            if not shared:
                shared.append(self.capabilities_for([], method))
            return shared[0]

        shared: list[RunCapabilities] = []
        return host

    def call_system(self, receiver: UvmObject, selector: str, method: Method, args: list, kwargs: dict) -> Any:
        """A system method run in the request's transaction: its value, or :data:`handoff.MUST_WAIT` when it sends
        a generated method (then :meth:`system_send` runs it again, awaiting, in a transaction of its own)."""
        return handoff.try_system(receiver.perform, (selector, method, args, kwargs))

    async def system_send(self, oid: bytes, selector: str, args: list, kwargs: dict) -> Any:
        """A system method that sends generated ones, run on a connection of its own; its changes commit with it."""

        async def run(conn: Any, receiver: UvmObject, method: Any) -> Any:
            hosts = self.host_for(selector)
            host = hosts(conn, receiver)
            call = ([host.from_wire(a) for a in args], {k: host.from_wire(v) for k, v in kwargs.items()})
            value = await handoff.run_system(receiver.perform, (selector, method, *call), runner=self._run_warm, host_for=hosts)
            return render(adopt(value, conn))

        return await self._committed(oid, selector, run)

    def _run_warm(self, source: str, selector: str, args: list, kwargs: dict, host: Any) -> Awaitable[Any]:
        return self.jail.run(source, selector, args, kwargs, host, fresh=False)

    async def learn_and_send(
        self, oid: bytes, selector: str, args: list, kwargs: dict, call: "Call | None", *,
        intent: str | None = None, examples: list[dict] | None = None,
    ) -> Any:
        """A cycle that installs ``selector`` and answers the re-sent message.

        ``intent`` (the sentence that asked for the method) is for the cycle's
        personas; the method is called with ``args`` and ``kwargs`` alone.
        """
        if not self.jail.available:  # no trial could run: do not ask a model for code
            raise NoJail(
                f"nothing understands {selector!r}, and this kernel cannot learn it: {self.jail.reason}",
                selector=selector,
            )
        if self.orchestrator is None:
            raise Internal("this process runs no cognitive cycles")
        outcome = await self.orchestrator.learn(
            oid, selector, args, kwargs, intent=intent, examples=examples,
            reply_to=call.reply_to if call is not None else None, on_event=call.on_event if call is not None else None,
            ask=call is not None and call.asks,
        )
        if outcome.get("joined"):  # another request's cycle installed it: just send
            return {"result": await self.jailed_send(oid, selector, args, kwargs), "selector": selector, "joined": True}
        return outcome


def as_request_error(selector: str, exc: JailError) -> RequestError:
    """A jail error as the request error a client gets, the selector in its message (by type, most specific first)."""
    if isinstance(exc, JailUnavailable):
        return NoJail(f"{selector} is a generated method and cannot run here: {exc}", selector=selector)
    if isinstance(exc, JailTimeout):
        return Timeout(f"{selector} ran past its limit and was stopped: {exc}")
    if isinstance(exc, MethodRaised):
        return MethodError(f"{selector} raised {exc.error_type}: {exc.message}", error_type=exc.error_type, traceback=exc.traceback)
    if isinstance(exc, JailMemory):
        return Internal(f"{selector} ran out of its memory limit and was stopped: {exc}")
    return Internal(f"{selector} could not run in the jail: {exc}")

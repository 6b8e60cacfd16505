"""Cognition in the kernel: generated methods in the jail, and cognitive cycles.

Commands added here::

    {"command": "initiate_cognitive_cycle", "target_oid": "genesis_obj" | "0x1a",
     "mission_brief": {"type": "unhandled_message", "selector": "s", "args": [], "kwargs": {}}}
        -> when the cycle ends: {"cycle", "selector", "installed_on", "result"}
           or error "cycle_failed" with {"cycle", "state", "reasons"}
    {"command": "cycle", "cycle": "c7"}  -> the cycle's state, artifacts and outcome

``send`` routes here too (see :func:`bat_os.commands.send`): a generated
method runs in the jail; a selector nobody understands starts a cycle.

Everything that awaits runs on its own ZODB connection with its own
transaction manager (on the event-loop thread), so other requests go on
meanwhile; a conflict with them aborts and retries.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

import transaction
from transaction.interfaces import TransientError

from . import briefs, commands
from .commands import Call, Command, Context, Deferred, _field, register
from .errors import (
    BadRequest, Busy, Internal, JailError, JailMemory, JailTimeout, JailUnavailable, MethodError, MethodRaised, NoJail,
    NotFound, Timeout,
)
from .host import ImageHost, LazyHost
from .objects import Method, UvmObject

logger = logging.getLogger(__name__)


class Cognition:
    def __init__(
        self, image: Any, jail: Any, orchestrator: Any, *, backend: Any = None, protections: dict | None = None,
        retries: int = 3, models: Any = None, memory: Any = None, translator: str = "model",
    ) -> None:
        self.image = image
        self.translator = translator  # "model" or "local": the translate command's first stage (bat_os.translation)
        self.memory = memory  # bat_os.memory.Memory: ingest, search, forget
        self.models = models  # bat_os.personas.PersonaModels with the transformers backend, else None
        self.jail = jail
        self.orchestrator = orchestrator
        self.backend = backend
        self.protections = protections or {}
        self.retries = retries

    async def close(self) -> None:
        if self.memory is not None:
            await self.memory.close()
        if self.models is not None:
            await self.models.close()
        await self.jail.close()
        if self.backend is not None:
            await self.backend.close()

    def launch(self, receiver: UvmObject, method: Method, selector: str, args: list, kwargs: dict) -> Callable[[Call], Awaitable[Any]]:
        """Start a generated method now, in the request's own transaction; the rest is awaited later.

        The receiver's snapshot is read here (:meth:`ImageHost.prepare`) and the
        run is sent to a reusable jailed child at once when one is free, so it
        works while the kernel finishes the request's synchronous part. The run
        takes a connection of its own only if it needs more than the snapshot
        (:class:`LazyHost`); if what it read went stale meanwhile, it runs again
        the ordinary way (:meth:`jailed_send`).
        """
        oid = receiver._p_oid
        host = LazyHost(self.image, oid, ImageHost(self.image.connection, receiver).prepare(method.source))
        running = self.jail.run(method.source, selector, args, kwargs, host, fresh=False)
        return lambda call: self._land(oid, selector, args, kwargs, host, running)

    async def _land(self, oid: bytes, selector: str, args: list, kwargs: dict, host: LazyHost, running: Awaitable[Any]) -> Any:
        try:
            return host.finish(await running)
        except TransientError:
            logger.info("%s: what it read changed while it ran; running it again", selector)
        except JailError as exc:
            raise _as_request_error(selector, exc) from exc
        finally:
            host.close()
        return await self.jailed_send(oid, selector, args, kwargs)

    async def jailed_send(self, oid: bytes, selector: str, args: list, kwargs: dict) -> Any:
        """Run the generated method in the jail; its changes commit with it."""
        tm, conn = pair = self.image.acquire()
        try:
            for attempt in range(self.retries + 1):
                tm.begin()
                try:
                    receiver = conn.get(oid)
                    try:
                        _holder, method = receiver.lookup(selector)
                    except KeyError:
                        raise NotFound(f"{selector!r} is no longer understood") from None
                    if not isinstance(method, Method) or method.origin != "generated":
                        raise Internal(f"{selector!r} changed while waiting; send it again")
                    host = ImageHost(conn, receiver)
                    result = await self.jail.run(method.source, selector, args, kwargs, host, fresh=False)
                    tm.commit()
                    return host.render_result(result)
                except TransientError:
                    tm.abort()
                    logger.info("conflict running %s; retry %d", selector, attempt + 1)
                except JailError as exc:
                    tm.abort()
                    raise _as_request_error(selector, exc) from exc
                except BaseException:
                    tm.abort()
                    raise
            raise Busy(f"{selector}: conflicting writes; gave up after {self.retries} retries")
        finally:
            self.image.release(pair)

    async def learn_and_send(self, oid: bytes, selector: str, args: list, kwargs: dict, call: Call, *, intent: str | None = None) -> Any:
        """A cycle that installs ``selector`` and answers the re-sent message.

        ``intent`` (the sentence that asked for the method) is for the cycle's
        personas; the method is called with ``args`` and ``kwargs`` alone.
        """
        if not getattr(self.jail, "available", True):  # no trial could run: do not ask a model for code
            raise NoJail(
                f"nothing understands {selector!r}, and this kernel cannot learn it: {self.jail.reason}",
                selector=selector,
            )
        outcome = await self.orchestrator.learn(oid, selector, args, kwargs, intent=intent, reply_to=call.reply_to, on_event=call.on_event)
        if outcome.get("joined"):  # another request's cycle installed it: just send
            return {"result": await self.jailed_send(oid, selector, args, kwargs), "selector": selector, "joined": True}
        return outcome


def _as_request_error(selector: str, exc: JailError) -> Exception:
    if isinstance(exc, JailUnavailable):
        return NoJail(f"{selector} is a generated method and cannot run here: {exc}", selector=selector)
    if isinstance(exc, JailTimeout):
        return Timeout(f"{selector} ran past its limit and was stopped: {exc}")
    if isinstance(exc, MethodRaised):
        return MethodError(f"{selector} raised {exc.error_type}: {exc.message}", error_type=exc.error_type, traceback=exc.traceback)
    if isinstance(exc, JailMemory):
        return Internal(f"{selector} ran out of its memory limit and was stopped: {exc}")
    return Internal(f"{selector} could not run in the jail: {exc}")


# --- commands -------------------------------------------------------------------------------


def initiate_cognitive_cycle(ctx: Context, request: dict) -> Any:
    """The seed's message shape: start a cycle for an unhandled message.

    ``{"command": "initiate_cognitive_cycle", "target_oid": T, "mission_brief":
    {"type": "unhandled_message", "selector": "s", "args": [], "kwargs": {}}}``

    ``kwargs.intent`` (a string) is the sentence that asked for the method, not
    an argument: it is split out (:func:`bat_os.briefs.split_intent`) and given
    to the cycle's personas; the method is called with the remaining kwargs,
    whether a cycle installs it or it is understood already.
    """
    target = ctx.image.resolve(_field(request, "target_oid", str))
    if not isinstance(target, UvmObject):
        raise BadRequest(f"{request['target_oid']!r} is not a UvmObject")
    brief = _field(request, "mission_brief", dict)
    if brief.get("type") != "unhandled_message":
        raise BadRequest("mission_brief.type must be 'unhandled_message'")
    selector = brief.get("selector")
    if not isinstance(selector, str) or not selector.isidentifier() or selector.startswith("_"):
        raise BadRequest(f"mission_brief.selector must be an identifier not starting with '_', not {selector!r}")
    args = _field(brief, "args", list, default=[])
    kwargs = _field(brief, "kwargs", dict, default={})
    if not all(isinstance(k, str) and k.isidentifier() for k in kwargs):
        raise BadRequest("mission_brief.kwargs keys must be identifiers")
    commands.from_wire(ctx.image, args)
    commands.from_wire(ctx.image, kwargs)
    kwargs, intent = briefs.split_intent(kwargs)
    if ctx.cognition is None:
        raise Internal("this process runs no cognitive cycles")
    # Send the message: understood already, it answers at once; otherwise a cycle learns it.
    message = {"target": request["target_oid"], "selector": selector, "args": args, "kwargs": kwargs}
    if intent is not None:
        message["intent"] = intent
    return commands.send(ctx, message)


def cycle(ctx: Context, request: dict) -> dict:
    """``{"command": "cycle", "cycle": "c7"}`` -> its state, brief, artifacts, reasons, outcome."""
    cycle_id = _field(request, "cycle", str)
    registry = ctx.image.connection.root()["orchestrator_obj"].slots["cycles"]
    found = registry.get(cycle_id)
    if found is None:
        raise NotFound(f"no cycle {cycle_id!r}")
    return found.summary()


register(Command("initiate_cognitive_cycle", initiate_cognitive_cycle, writes=True))
register(Command("cycle", cycle, writes=False))

__all__ = ["Cognition", "Deferred"]

"""A system method that sends a generated one: synchronous kernel code handing the send to the jail.

A system method that sends a generated selector (``return self.square(n) + 1``, the traits' ``perform``) runs in a
greenlet on the event-loop thread: each generated send hands the jailed run to the loop (:func:`await_only`), which
awaits it and switches back in with the answer, on the same connection and transaction, in the order the method
wrote. :func:`try_system` is the request's first try, with no greenlet: most system methods send none and pay
nothing; one that does stops there (:data:`MUST_WAIT`) and runs again with :func:`run_system`. :func:`call_system`
gives back :class:`Suspended` when a send must wait. Each hand-off is one level deeper; :data:`MAX_DEPTH` at most.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, NamedTuple

import greenlet

from bat_os.cognition.methods.capabilities import grants_of
from bat_os.errors import MethodError, RunsInJail
from bat_os.image.codec import adopt, render
from bat_os.image.objects import GENERATED_SENDS, Method, UvmObject

MAX_DEPTH = 4  # system -> generated -> system -> generated ... levels of jailed runs from one send

#: ``(source, selector, args, kwargs, host) -> awaitable result``: a jailed run (the jail's ``run``).
Runner = Callable[[str, str, list, dict, Any], Awaitable[Any]]
#: ``(connection, receiver, depth) -> host``: the kernel side of that run's ``self``.
HostFor = Callable[[Any, UvmObject, int], Any]


class _Awaiting(NamedTuple):
    awaitable: Awaitable[Any]


class _Bridge(greenlet.greenlet):
    """A greenlet running a system method that may hand generated sends to the loop."""


def await_only(awaitable: Awaitable[Any]) -> Any:
    """From inside :func:`call_system`'s greenlet: the awaited value of ``awaitable`` (the loop awaits it)."""
    current = greenlet.getcurrent()
    if not isinstance(current, _Bridge):
        raise RuntimeError("await_only outside a system method run by call_system")
    return current.parent.switch(_Awaiting(awaitable))


class Suspended:
    """A system method waiting on a jailed run: :meth:`finish` it (awaiting), or :meth:`drop` it."""

    def __init__(self, bridge: _Bridge, waiting: _Awaiting) -> None:
        self._bridge = bridge
        self._waiting = waiting

    async def finish(self) -> Any:
        step: Any = self._waiting
        while isinstance(step, _Awaiting):
            try:
                value = await step.awaitable
            except BaseException as exc:  # noqa: BLE001 - the method sees its send fail, and may catch it
                step = self._bridge.throw(exc)
            else:
                step = self._bridge.switch(value)
        return step

    def drop(self) -> None:
        """Unwind the method where it waits (its ``finally`` blocks run); what it awaited is never awaited."""
        close = getattr(self._waiting.awaitable, "close", None)
        if close is not None:
            close()
        if not self._bridge.dead:
            self._bridge.throw(greenlet.GreenletExit)


def call_system(function: Callable[..., Any], args: tuple, kwargs: dict | None = None, *, runner: Runner,
                host_for: HostFor, depth: int = 0) -> Any:
    """``function(*args, **kwargs)`` (a system method's perform), its generated sends run by ``runner`` with hosts
    from ``host_for`` one level deeper than ``depth``: the value, or :class:`Suspended` when a send must wait."""

    def entry() -> Any:
        GENERATED_SENDS.set(_sender(runner, host_for, depth + 1))
        return function(*args, **(kwargs or {}))

    bridge = _Bridge(entry)
    step = bridge.switch()
    return Suspended(bridge, step) if isinstance(step, _Awaiting) else step


class _MustWait(BaseException):
    """Raised at a generated send inside :func:`try_system`: the method must run where sends are awaited. A
    BaseException, so that a method's ``except Exception`` does not take it for the send's failure."""


def _must_wait(*_args: Any) -> Any:
    raise _MustWait


#: What :func:`try_system` gives back for a system method that sent a generated one.
MUST_WAIT = object()


def try_system(function: Callable[..., Any], args: tuple, kwargs: dict | None = None) -> Any:
    """``function(*args, **kwargs)`` (a system method's perform) run straight through, with no greenlet: its value,
    or :data:`MUST_WAIT` when it sends a generated method (stopped at that send, its ``finally`` blocks run;
    whatever it changed is the caller's to abort, and :func:`run_system` runs it again, awaiting). Most system
    methods send none: they pay nothing for the hand-off."""
    token = GENERATED_SENDS.set(_must_wait)
    try:
        return function(*args, **(kwargs or {}))
    except _MustWait:
        return MUST_WAIT
    finally:
        GENERATED_SENDS.reset(token)


async def run_system(function: Callable[..., Any], args: tuple, kwargs: dict | None = None, *, runner: Runner,
                     host_for: HostFor, depth: int = 0) -> Any:
    """:func:`call_system`, awaited to its end."""
    outcome = call_system(function, args, kwargs, runner=runner, host_for=host_for, depth=depth)
    return await outcome.finish() if isinstance(outcome, Suspended) else outcome


def _sender(runner: Runner, host_for: HostFor, depth: int) -> Callable[..., Any]:
    def send(receiver: UvmObject, selector: str, method: Method, args: list, kwargs: dict) -> Any:
        if depth > MAX_DEPTH:
            raise MethodError(f"{selector}: system and generated methods sent each other more than {MAX_DEPTH} "
                              "levels deep", error_type="RecursionError")
        connection = receiver._p_jar
        if connection is None:
            raise RunsInJail(method)  # an object not in the image yet has no view for the jail to use
        host = host_for(connection, receiver, depth)
        host.grant(grants_of(method))  # what the method sent grants: it is the one to run
        wired_args = [render(adopt(a, connection)) for a in args]
        wired_kwargs = {k: render(adopt(v, connection)) for k, v in kwargs.items()}
        # started when the loop awaits it, not now: a send dropped before (Suspended.drop) leaves no run behind
        result = await_only(_started(runner, method.source, selector, wired_args, wired_kwargs, host))
        return host.from_wire(result)

    return send


async def _started(runner: Runner, *args: Any) -> Any:
    return await runner(*args)

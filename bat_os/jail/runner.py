"""The jail: generated code runs in forked, locked-down processes, never in the kernel.

::

    Jail (kernel, asyncio) ──control socket──▶ template: python -I -S -B worker/__main__.py
       │                                         warm; network namespace, Landlock, once
       │                                         │ fork per run
       └──────────── run socket ───────────────▶ child: nobody, rlimits, seccomp, no fds
                                                  RestrictedPython code, `self` a proxy

``Jail.run(..., fresh=True)`` (the default: trials of new code) creates a
socketpair per run, hands one end to the template with the fork request
(SCM_RIGHTS), writes the request on the other and serves the child's
``get_slot`` / ``set_slot`` / ``send`` requests by calling the :class:`Host`
synchronously on the event-loop thread; the child exits after the run.
(:class:`Host`, :class:`SnapshotHost`, :class:`JailLimits` and :class:`JailRunner`
live in :mod:`bat_os.jail.interface` and are re-exported here.)

``fresh=False`` (installed methods) runs the call in a *reusable* child: forked
and locked down exactly like a fresh one (same OS layers, same limits, same
RestrictedPython namespace) but serving run after run over its socket. A pool
of at most ``workers`` of them is kept (one is started by :meth:`Jail.start`,
and another in the background whenever the last idle one is retired), so
concurrent calls do not wait on each other. A reusable child is retired after
``warm_calls`` runs, and at once after any failure: a wall-clock timeout (it is
killed; the next call gets another), a CPU timeout, a ``MemoryError``, a crash,
anything that leaves the conversation unfinished. What may and may not pass
from one run to the next inside it: see :mod:`bat_os.jail.worker`.

Either way, when the host offers :meth:`SnapshotHost.snapshot`, the request
carries the receiver's own small data slots (each at most
``SNAPSHOT_VALUE_BYTES`` packed, ``SNAPSHOT_TOTAL_BYTES`` in all: see
:mod:`bat_os.jail.conversation`), so reading them costs no round trip.

The loop never blocks on a child. The wall-clock limit kills the child (the
template stays warm; a template that dies or hangs is replaced on the next
run). Wire format and the child's semantics (slot reads are copies written
back when mutated, prints, imports): see :mod:`bat_os.jail.worker`.

Errors (:mod:`bat_os.errors`): ``JailTimeout`` (wall clock or CPU),
``JailMemory`` (memory limit), ``JailCrash`` (the worker died or broke the
protocol), ``MethodRaised`` (the code raised; also ``ResultTooLarge``,
``HostCallLimit``, ``TypeError`` for a result that is not plain data).

Where the jail cannot run at all (Windows: no ``fork``, no SCM_RIGHTS, no
``resource``), :meth:`Jail.start` raises ``JailUnavailable`` naming what is
missing (:func:`unavailable_reason` decides), and the kernel uses an
:class:`UnavailableJail` instead: every run fails with that reason, so
generated methods are answered ``jail_unavailable`` while the rest of the
kernel (objects, memory, persona models) serves on. Both live in
:mod:`bat_os.jail.unavailable` and are re-exported here; :meth:`Jail.start` looks
``unavailable_reason`` up in this module.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any, Awaitable

from bat_os.errors import JailCrash, JailError, JailTimeout, JailUnavailable

from .awaitables import Gate, Pending
from .channel import Channel, pack
from .contract import CLEAN_OPS, whole_cpu_seconds
from .conversation import (
    assess, conclude, converse, deadline_pause, died_without_answer, frame_limit, limits_dict, receiver_snapshot, timeout_pause,
)
from .interface import Host, JailLimits, JailRunner, SnapshotHost
from .template import Template
from .unavailable import UnavailableJail, unavailable_reason

__all__ = ["MAX_CASES", "Host", "Jail", "JailLimits", "JailRunner", "SnapshotHost", "UnavailableJail", "unavailable_reason"]

logger = logging.getLogger(__name__)

MAX_CASES = 64  # cases in one run of run_cases
_WARM_START = 10.0  # seconds a new reusable child may take to say it is ready
WARM_CALLS = 1000  # runs a reusable child serves before it is retired


@dataclass(eq=False)
class _Warm:
    """A reusable child, seen from the kernel."""

    template: Template
    pid: int
    channel: Channel
    key: tuple[int, int]  # (memory_bytes, whole CPU seconds): the limits it was made with
    calls: int = 0

    def usable(self, template: Template | None) -> bool:
        return self.template is template and template.alive and not self.channel.closed


def cases_limits(limits: JailLimits, count: int) -> JailLimits:
    """The limits of a whole run of ``count`` cases: CPU and wall clock for up to 4 cases' worth, and a
    second more of CPU for the backstop (most cases take milliseconds; the per-case timer stops one
    that takes its whole CPU time, and that ends the set)."""
    factor = max(1, min(count, 4))
    return replace(limits, cpu_seconds=limits.cpu_seconds * factor + 1, wall_seconds=limits.wall_seconds * factor + 1)


def _warm_key(limits: JailLimits) -> tuple[int, int]:
    return limits.memory_bytes, whole_cpu_seconds(limits.cpu_seconds)


class Jail:
    """Runs generated methods in jailed processes. ``workers``: how many runs may be in flight at once
    (and how many reusable children are kept); ``warm_calls``: runs a reusable child serves at most."""

    available = True  # see UnavailableJail
    reason = ""

    def __init__(
        self, limits: JailLimits = JailLimits(), *, workers: int = 2, python: str = sys.executable,
        warm_calls: int = WARM_CALLS,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if warm_calls < 1:
            raise ValueError(f"warm_calls must be at least 1, not {warm_calls}")
        self.limits = limits
        self.workers = workers
        self.warm_calls = warm_calls
        self.python = python
        self._template: Template | None = None
        self._gate: Gate | None = None
        self._spawn_lock: asyncio.Lock | None = None
        self._start_lock = asyncio.Lock()
        self._protections: dict[str, bool | str] = {"separate_process": False}
        self._counts: Counter[str] = Counter()
        self._running = 0
        self._started = False
        self._closed = False
        self._idle: list[_Warm] = []  # reusable children waiting for a run, most recently used last
        self._warm_live = 0  # reusable children started and not yet retired (idle, busy or starting)
        self._refilling = False
        self._tasks: set[asyncio.Task] = set()
        self._deadlines: dict[Channel, float] = {}  # warm runs in flight -> when their wall clock runs out
        self._watchdog: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        """Start the warm template, probe what actually holds on this machine, start a reusable child."""
        reason = unavailable_reason()
        if reason is not None:
            raise JailUnavailable(reason)
        async with self._start_lock:
            if self._started:
                return
            if self._closed:
                raise JailError("the jail is closed")
            self._gate = Gate(self.workers)
            self._spawn_lock = asyncio.Lock()
            try:
                template = await self._ensure_template()
                report = await self._exchange({"op": "probe", "limits": asdict(self.limits)}, None, self.limits)
                self._idle.append(await self._start_warm(self.limits))
            except BaseException:
                await self._discard()
                raise
            self._protections = assess(template.layers, report, self.workdir)
            self._started = True
        logger.info("jail ready: %s", self._protections)

    def run(
        self, source: str, selector: str, args: list, kwargs: dict, host: Host, limits: JailLimits | None = None,
        *, fresh: bool = True, nested: bool = False,
    ) -> Awaitable[Any]:
        """Run ``selector`` from ``source`` with ``self`` bound to the host's receiver; await the plain-data result.

        ``fresh=True``: in a child of its own (trials of new code). ``fresh=False``: in a reusable
        child (installed methods; same protections, no fork per call). Not a coroutine: when a
        reusable child and a slot are free, the request is sent before this returns, so the child
        is at work while the caller finishes what it was doing (for a task, use
        ``asyncio.ensure_future``: it is not a coroutine). An awaitable never awaited
        leaves that run to finish on its own; its slot comes back when the jail is closed.
        ``nested=True``: a run started while another waits on it (a system method that run sent, sending a
        generated one): in a child of its own that takes no slot, so runs waiting on runs never wait for slots.
        """
        limits = limits or self.limits
        request = {"op": "run", "source": source, "selector": selector, "args": list(args),
                   "kwargs": dict(kwargs), "limits": limits_dict(limits)}
        if nested:
            return Pending(self._run, request, host, limits, True, False)
        if not fresh and self._started and not self._closed and self._gate is not None and self._gate.try_acquire():
            warm = self._take_idle(_warm_key(limits))
            if warm is not None:
                return Pending(self._land, request, host, limits, warm, *self._launch(request, host, limits, warm))
            self._gate.release()
        return Pending(self._run, request, host, limits, fresh)

    def run_cases(
        self, source: str, selector: str, cases: list[dict], host: Host, limits: JailLimits | None = None,
        trace: bool = False,
    ) -> Awaitable[list[dict]]:
        """Run the method once per case (``{"args": [...], "kwargs": {...}}``) in ONE fresh child; await
        one outcome per case (see :mod:`bat_os.jail.worker.cases`).

        Each case gets ``limits.cpu_seconds`` of CPU; the set as a whole gets :func:`cases_limits`
        (a case past its CPU time ends the set: the rest are ``skipped``). Before each case the
        host's ``begin_case(index)``, when it has one, is called (a fresh overlay of the receiver).
        ``trace``: each outcome also holds the ``arcs`` the method's own code took (branch coverage).
        """
        limits = limits or self.limits
        if len(cases) > MAX_CASES:
            raise ValueError(f"at most {MAX_CASES} cases in one run, not {len(cases)}")
        whole = cases_limits(limits, len(cases))
        request = {"op": "run", "source": source, "selector": selector, "args": [], "kwargs": {},
                   "limits": limits_dict(whole), "case_cpu_seconds": limits.cpu_seconds,
                   "cases": [{"args": list(c.get("args") or []), "kwargs": dict(c.get("kwargs") or {})} for c in cases],
                   **({"trace": True} if trace else {})}
        return Pending(self._run, request, host, whole, True)

    async def _run(self, request: dict, host: Host, limits: JailLimits, fresh: bool, gated: bool = True) -> Any:
        if self._closed:
            raise JailError("the jail is closed")
        if not self._started:
            await self.start()
        assert self._gate is not None
        if gated:
            await self._gate.acquire()
        if not fresh:
            try:
                warm = await self._acquire(limits)
            except BaseException as exc:
                self._gate.release()
                if isinstance(exc, JailError):
                    self._counts[type(exc).__name__] += 1
                raise
            return await self._land(request, host, limits, warm, *self._launch(request, host, limits, warm))
        self._begin(request, host, fresh=True)
        try:
            return await self._exchange(request, host, limits)
        except JailError as exc:
            self._counts[type(exc).__name__] += 1
            raise
        finally:
            self._running -= 1
            if gated:
                self._gate.release()

    def _begin(self, request: dict, host: Host, *, fresh: bool) -> None:
        """A run holds its slot: take the snapshot now (not before a wait at the gate), count it."""
        snapshot = receiver_snapshot(host)
        if snapshot:
            request["snapshot"] = snapshot
        self._running += 1
        self._counts["runs" if fresh else "warm_runs"] += 1

    def protections(self) -> dict[str, bool | str]:
        return dict(self._protections)

    def health(self) -> dict[str, Any]:
        template = self._template
        return {
            "ok": self._started and not self._closed and bool(template and template.alive),
            "template_alive": bool(template and template.alive),
            "template_pid": template.process.pid if template and template.process else None,
            "running": self._running,
            "warm_idle": len(self._idle),
            "warm_pids": [w.pid for w in self._idle],
            "counts": dict(self._counts),
        }

    @property
    def running(self) -> int:
        """Runs in flight now (a plain int read: safe from any thread)."""
        return self._running

    @property
    def workdir(self) -> str | None:
        """The children's working directory: created empty, removed as soon as the template is in it."""
        return self._template.workdir if self._template is not None else None

    async def close(self) -> None:
        """Stop the template; its children die with it."""
        self._closed = True
        await self._discard()

    async def _discard(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for warm in self._idle:
            warm.channel.close()
        self._idle.clear()
        self._warm_live = 0  # the template takes every child with it
        self._deadlines.clear()
        if self._template is not None:
            await self._template.close()
            self._template = None

    # --- internals -------------------------------------------------------------
    async def _ensure_template(self) -> Template:
        assert self._spawn_lock is not None
        async with self._spawn_lock:
            if self._template is not None and self._template.alive:
                return self._template
            if self._template is not None:
                self._counts["restarts"] += 1
                await self._template.close()
            template = Template(self.python)
            await template.spawn()
            self._template = template
            return template

    def _background(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _exchange(self, request: dict, host: Host | None, limits: JailLimits) -> Any:
        """One fresh child from fork to reaping: send the request, serve it, classify how it ended."""
        template = await self._ensure_template()
        sock, forked = template.fork()
        channel = Channel(sock, frame_limit(limits))
        pid: int | None = None
        try:
            async with asyncio.timeout(limits.wall_seconds) as clock:
                channel.send(pack(request))
                pid = await forked
                final = await converse(channel, host, limits, template, pid, timeout_pause(clock))
        except TimeoutError:
            raise JailTimeout(
                f"{request.get('selector', 'the probe')!r} ran past its wall-clock limit of {limits.wall_seconds}s"
            ) from None
        finally:
            channel.close()
            if pid is not None:
                await template.finish(pid)
            elif template.alive:  # the template never answered the fork: it is not to be trusted
                forked.cancel()
                await template.close()
        return conclude(final, limits)

    # --- reusable children ---------------------------------------------------------
    def _launch(self, request: dict, host: Host, limits: JailLimits, warm: _Warm) -> tuple[float, Exception | None]:
        """Send a run to a reusable child now; what goes wrong is raised when it is awaited (:meth:`_land`)."""
        self._begin(request, host, fresh=False)
        started = asyncio.get_running_loop().time()
        channel = warm.channel
        try:
            channel.limit = frame_limit(limits)
            self._watch(channel, started + limits.wall_seconds)  # kept by _watch, not a timer per call
            channel.send(pack(request))
        except Exception as exc:  # noqa: BLE001 - handed to _land, which retires the child
            return started, exc
        return started, None

    async def _land(
        self, request: dict, host: Host, limits: JailLimits, warm: _Warm, started: float, error: Exception | None,
    ) -> Any:
        """Serve a launched run to its end; the child goes back to the pool only after a clean answer."""
        channel = warm.channel
        final: dict | None = None
        try:
            try:
                if error is not None:
                    raise error
                final = await converse(channel, host, limits, warm.template, warm.pid,  # waits on the host: not its time
                                       deadline_pause(self._deadlines, channel, self._watch))
            except TimeoutError:
                raise JailTimeout(
                    f"{request['selector']!r} ran past its wall-clock limit of {limits.wall_seconds}s"
                    f" ({asyncio.get_running_loop().time() - started:.2f}s)"
                ) from None
            finally:
                self._deadlines.pop(channel, None)
                warm.calls += 1
                clean = final is not None and final.get("op") in CLEAN_OPS and not final.get("retire")
                if clean and warm.calls < self.warm_calls and not self._closed and len(self._idle) < self.workers:
                    self._idle.append(warm)
                else:
                    await self._retire(warm, wait=final is None)
            return conclude(final, limits)
        except JailError as exc:
            self._counts[type(exc).__name__] += 1
            raise
        finally:
            self._running -= 1
            assert self._gate is not None
            self._gate.release()

    def _watch(self, channel: Channel, deadline: float) -> None:
        """Expire ``channel`` at ``deadline``: one timer for all warm runs, at the earliest deadline."""
        self._deadlines[channel] = deadline
        if self._watchdog is None or deadline < self._watchdog.when():
            if self._watchdog is not None:
                self._watchdog.cancel()
            self._watchdog = asyncio.get_running_loop().call_at(deadline, self._expire_runs)

    def _expire_runs(self) -> None:
        self._watchdog = None
        now = asyncio.get_running_loop().time()
        for channel, deadline in list(self._deadlines.items()):
            if deadline <= now:
                del self._deadlines[channel]
                channel.expire()
        if self._deadlines:
            self._watchdog = asyncio.get_running_loop().call_at(min(self._deadlines.values()), self._expire_runs)

    def _take_idle(self, key: tuple[int, int]) -> _Warm | None:
        """An idle reusable child made for ``key``, most recently used first (dead ones are dropped)."""
        template = self._template
        for i in range(len(self._idle) - 1, -1, -1):
            warm = self._idle[i]
            if not warm.usable(template):
                del self._idle[i]
                self._drop(warm)
            elif warm.key == key:
                del self._idle[i]
                return warm
        return None

    async def _acquire(self, limits: JailLimits) -> _Warm:
        warm = self._take_idle(_warm_key(limits))
        if warm is not None:
            return warm
        if self._idle and self._warm_live >= self.workers:  # made for other limits: make room
            self._drop(self._idle.pop(0))
        return await self._start_warm(limits, min(_WARM_START, limits.wall_seconds))

    async def _start_warm(self, limits: JailLimits, timeout: float = _WARM_START) -> _Warm:
        """Fork a reusable child and wait until it is locked down and ready."""
        template = await self._ensure_template()
        sock, forked = template.fork()
        channel = Channel(sock, 4096)
        self._warm_live += 1
        pid: int | None = None
        try:
            async with asyncio.timeout(timeout):
                channel.send(pack({"op": "serve", "limits": asdict(limits)}))
                pid = await forked
                ready = await channel.recv()
            if ready is None:
                raise died_without_answer(await template.exit_status(pid), limits)
            if ready.get("op") != "ready":
                raise JailCrash(f"protocol violation: a reusable child answered {ready.get('op')!r} instead of 'ready'")
        except BaseException as exc:
            self._warm_live -= 1
            channel.close()
            if pid is not None:
                await template.finish(pid)
            elif template.alive:
                forked.cancel()
                await template.close()
            if isinstance(exc, TimeoutError):
                raise JailCrash(f"a reusable jailed process did not get ready within {timeout:g}s") from None
            raise
        self._counts["warm_started"] += 1
        return _Warm(template, pid, channel, _warm_key(limits))

    async def _retire(self, warm: _Warm, *, wait: bool) -> None:
        """Close a reusable child's channel and make sure it is gone (now, or in the background)."""
        if not wait:
            self._drop(warm)
            return
        self._warm_live = max(0, self._warm_live - 1)
        self._counts["warm_retired"] += 1
        warm.channel.close()
        # a run in doubt (timeout, crash, cancellation): gone before the caller hears of it
        await warm.template.finish(warm.pid)
        self._refill()

    def _drop(self, warm: _Warm) -> None:
        """Retire a reusable child in the background."""
        self._warm_live = max(0, self._warm_live - 1)
        self._counts["warm_retired"] += 1
        warm.channel.close()
        self._background(warm.template.finish(warm.pid))
        self._refill()

    def _refill(self) -> None:
        """Keep one reusable child ready: start one in the background when none is idle."""
        if self._closed or not self._started or self._idle or self._refilling or self._warm_live >= self.workers:
            return
        self._refilling = True

        async def refill() -> None:
            try:
                warm = await self._start_warm(self.limits)
            except JailError as exc:
                logger.warning("could not start a reusable jailed process: %s", exc)
                return
            finally:
                self._refilling = False
            if self._closed:
                await self._retire(warm, wait=False)
            else:
                self._idle.insert(0, warm)

        self._background(refill())

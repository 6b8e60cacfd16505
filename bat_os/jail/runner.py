"""The jail: generated code runs in forked, locked-down processes, never in the kernel.

::

    Jail (kernel, asyncio) ──control socket──▶ template: python -I -S jail_worker.py
       │                                         warm; network namespace, Landlock, once
       │                                         │ fork per run
       └──────────── run socket ───────────────▶ child: nobody, rlimits, seccomp, no fds
                                                  RestrictedPython code, `self` a proxy

``Jail.run(..., fresh=True)`` (the default: trials of new code) creates a
socketpair per run, hands one end to the template with the fork request
(SCM_RIGHTS), writes the request on the other and serves the child's
``get_slot`` / ``set_slot`` / ``send`` requests by calling the :class:`Host`
synchronously on the event-loop thread; the child exits after the run.

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
``SNAPSHOT_VALUE_BYTES`` packed, ``SNAPSHOT_TOTAL_BYTES`` in all), so reading
them costs no round trip.

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
kernel (objects, memory, persona models) serves on.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import importlib.util
import itertools
import logging
import math
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Generator, Protocol

import ormsgpack

from bat_os.errors import JailCrash, JailError, JailMemory, JailTimeout, JailUnavailable, MethodRaised

logger = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("worker.py")
_HEADER = struct.Struct(">I")
_HOST_OPS = ("get_slot", "set_slot", "send")
_EXIT_SETUP_FAILED, _EXIT_PROTOCOL, _EXIT_CPU = 70, 71, 72  # the child's own exit codes (jail_worker)
_GRACE = 2.0  # seconds to wait for the template to confirm a child's exit
_WARM_START = 10.0  # seconds a new reusable child may take to say it is ready
SNAPSHOT_VALUE_BYTES = 4 * 1024  # a slot's packed value, at most, to travel in the snapshot
SNAPSHOT_TOTAL_BYTES = 64 * 1024  # all of the snapshot's values, packed, at most
WARM_CALLS = 1000  # runs a reusable child serves before it is retired


@dataclass(frozen=True)
class JailLimits:
    cpu_seconds: float = 2.0  # RLIMIT_CPU (whole seconds, rounded up); SIGXCPU -> JailTimeout
    wall_seconds: float = 5.0  # the kernel kills the run after this
    memory_bytes: int = 256 * 2**20  # RLIMIT_AS above the warm interpreter's own address space
    max_result_bytes: int = 1 * 2**20  # packed result, and any single value sent to the kernel
    max_host_calls: int = 10_000  # get_slot/set_slot/send round trips per run
    max_depth: int = 50  # nested generated-method calls inside one run

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value > 0:
                raise ValueError(f"JailLimits.{name} must be positive, not {value!r}")


class Host(Protocol):
    """What the kernel offers a running method; called synchronously on the event-loop thread.

    ``ref`` is ``"self"`` (the receiver) or an oid string. Values are plain
    msgpack data in which ``{"$oid": ref}`` marks an object reference (the
    receiver itself crosses as ``{"$oid": "self"}``).
    """

    def get_slot(self, ref: str, name: str) -> tuple[str, Any]:
        """("value", data) | ("method", {"origin": "system"}) | ("generated", {"source": str}).

        Raises KeyError or AttributeError when the object does not have ``name``.
        """

    def set_slot(self, ref: str, name: str, value: Any) -> None: ...

    def send(self, ref: str, selector: str, args: list, kwargs: dict) -> Any:
        """Run a system method in the kernel and return plain data."""


class SnapshotHost(Host, Protocol):
    """A host that may also offer this (optional: the jail looks for it with ``getattr``)."""

    def snapshot(self, ref: str) -> dict[str, Any]:
        """``{slot: plain value}`` of the object's OWN data slots (no methods, no inherited slots, no
        names starting with ``_``), each value exactly as ``get_slot(ref, slot)`` would give it.

        Called on the event-loop thread with ``ref == "self"`` as a run starts. A host may leave
        any slot out (a large one, say); the jail drops values over ``SNAPSHOT_VALUE_BYTES``
        packed and stops at ``SNAPSHOT_TOTAL_BYTES``; if it raises, the run goes on without.
        """


class JailRunner(Protocol):
    """The seam generated code runs through: :class:`Jail`, :class:`UnavailableJail`, or a test's fake.

    ``run`` starts the run at once and returns an awaitable of its plain-data
    result; it raises (when awaited) a :class:`~bat_os.errors.JailError`.
    ``available`` is False where nothing can run (``reason`` says why).
    """

    available: bool
    reason: str

    async def start(self) -> None: ...

    def run(
        self, source: str, selector: str, args: list, kwargs: dict, host: Host, limits: "JailLimits | None" = None,
        *, fresh: bool = True,
    ) -> Awaitable[Any]: ...

    def protections(self) -> dict[str, bool | str]: ...

    def health(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


def _pack(message: dict) -> bytes:
    body = ormsgpack.packb(message)
    return _HEADER.pack(len(body)) + body


class _Channel:
    """The kernel's end of a run socket, on the event loop: frames out, whole frames in.

    It owns the non-blocking socket (no transport): reads go straight into one
    buffer, a frame is written at once (the rest, if the socket is full, when
    it drains). ``limit``: the largest frame the child may send (a bigger one
    is a protocol violation).
    """

    def __init__(self, sock: socket.socket, limit: int) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.limit = limit
        self.closed = False  # no more frames will come (end of stream, an error, or closed by us)
        self._loop = asyncio.get_running_loop()
        self._fd = sock.fileno()
        self._buffer = bytearray(64 * 1024)
        self._filled = 0
        self._frames: collections.deque[bytes] = collections.deque()
        self._error: JailCrash | None = None
        self._expired = False
        self._waiter: asyncio.Future[None] | None = None
        self._out = bytearray()
        self._loop.add_reader(self._fd, self._readable)

    def expire(self) -> None:
        """The run's wall-clock time is up: the pending (or next) ``recv`` raises TimeoutError."""
        self._expired = True
        self._wake()

    # --- incoming ------------------------------------------------------------------
    def _readable(self) -> None:
        if self.closed:
            return
        if len(self._buffer) - self._filled < 4096:
            bigger = bytearray(2 * len(self._buffer))
            bigger[:self._filled] = self._buffer[:self._filled]
            self._buffer = bigger
        try:
            with memoryview(self._buffer) as view:
                count = self.sock.recv_into(view[self._filled:])
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            count = 0
        if count == 0:
            self._stop()
            return
        self._filled += count
        self._split()

    def _split(self) -> None:
        buffer, filled, start = self._buffer, self._filled, 0
        while filled - start >= 4:
            (size,) = _HEADER.unpack_from(buffer, start)
            if size > self.limit:
                self._error = JailCrash(f"protocol violation: a {size}-byte frame from the jailed process (limit {self.limit})")
                self._stop()
                return
            if filled - start < 4 + size:
                if 4 + size > len(buffer):  # room for the whole frame, so it arrives in few reads
                    bigger = bytearray(4 + size + 64 * 1024)
                    bigger[:filled - start] = buffer[start:filled]
                    self._buffer = bigger
                    self._filled = filled - start
                    start = 0
                break
            self._frames.append(bytes(buffer[start + 4:start + 4 + size]))
            start += 4 + size
        if start:
            rest = filled - start
            buffer[:rest] = buffer[start:filled]
            self._filled = rest
        if self._frames:
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def recv(self) -> dict | None:
        """The next frame, or None at end of stream; TimeoutError once :meth:`expire` was called."""
        while not self._frames or self._expired:
            if self._expired:
                raise TimeoutError
            if self._error is not None:
                raise self._error
            if self.closed:
                return None
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        body = self._frames.popleft()
        try:
            message = ormsgpack.unpackb(body)
        except ormsgpack.MsgpackDecodeError as exc:
            raise JailCrash("protocol violation: an undecodable frame from the jailed process") from exc
        if not isinstance(message, dict):
            raise JailCrash("protocol violation: a frame that is not a map")
        return message

    # --- outgoing ------------------------------------------------------------------
    def send(self, frame: bytes) -> None:
        if self.closed:
            raise JailCrash("the jailed process closed its channel")
        if self._out:  # earlier frames still wait for room: keep the order
            self._out += frame
            return
        try:
            sent = self.sock.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            self._stop()
            raise JailCrash(f"cannot write to the jailed process: {exc}") from None
        if sent < len(frame):
            self._out += frame[sent:]
            self._loop.add_writer(self._fd, self._writable)

    def _writable(self) -> None:
        if self.closed:
            return
        try:
            sent = self.sock.send(self._out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._stop()
            return
        del self._out[:sent]
        if not self._out:
            self._loop.remove_writer(self._fd)

    # --- the end ---------------------------------------------------------------------
    def _stop(self) -> None:
        """No more reading or writing (the socket stays open until close(): the fd is not reused meanwhile)."""
        if not self.closed:
            self.closed = True
            self._loop.remove_reader(self._fd)
            if self._out:
                self._loop.remove_writer(self._fd)
                self._out.clear()
        self._wake()

    def close(self) -> None:
        self._stop()
        if self._fd >= 0:
            self._fd = -1
            self.sock.close()


def _dependency_paths() -> list[str]:
    """Where RestrictedPython and ormsgpack live: the worker starts with -S and imports only these."""
    paths: list[str] = []
    for name in ("RestrictedPython", "ormsgpack"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise JailError(f"the jail needs {name}, which is not installed")
        path = str(Path(spec.origin).resolve().parent.parent)
        if path not in paths:
            paths.append(path)
    return paths


def _worker_environment() -> dict[str, str]:
    """Nothing of the kernel's environment (secrets live there) but the time zone."""
    env = {"LC_ALL": "C.UTF-8"}
    if "TZ" in os.environ:
        env["TZ"] = os.environ["TZ"]
    return env


class _Template:
    """The warm worker process, seen from the kernel: fork requests out, pids and exits back."""

    def __init__(self, python: str) -> None:
        self.python = python
        self.workdir = ""  # the children's cwd: created empty, removed once the template is in it
        self.process: asyncio.subprocess.Process | None = None
        self.sock: socket.socket | None = None
        self.alive = False
        self.layers: dict[str, Any] = {}
        self._buffer = b""
        self._ids = itertools.count(1)
        self._hello: asyncio.Future[dict] | None = None
        self._forks: dict[int, asyncio.Future[int]] = {}
        self._exits: dict[int, asyncio.Future[dict]] = {}
        self._stderr_task: asyncio.Task | None = None

    async def spawn(self, timeout: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        paths = [arg for path in _dependency_paths() for arg in ("--path", path)]
        self.workdir = tempfile.mkdtemp(prefix="batos-jail-")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.process = await asyncio.create_subprocess_exec(
                self.python, "-I", "-S", "-B", str(WORKER),
                "--control-fd", str(theirs.fileno()), "--workdir", self.workdir, "--kernel-pid", str(os.getpid()), *paths,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, pass_fds=(theirs.fileno(),),
                env=_worker_environment(), cwd=self.workdir, start_new_session=True,
            )
        except OSError as exc:
            ours.close()
            os.rmdir(self.workdir)
            raise JailCrash(f"cannot start the jail worker with {self.python}: {exc}") from exc
        finally:
            theirs.close()
        ours.setblocking(False)
        self.sock = ours
        self.alive = True
        self._hello = loop.create_future()
        loop.add_reader(ours.fileno(), self._on_readable)
        self._stderr_task = asyncio.create_task(self._log_stderr())
        try:
            hello = await asyncio.wait_for(self._hello, timeout)
        except (asyncio.TimeoutError, JailCrash) as exc:
            await self.close()
            raise JailCrash(f"the jail worker did not start: {exc or 'no answer'}") from exc
        finally:  # the template is in it (or gone): an unlinked directory takes no files, and none is left behind
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.layers = hello.get("layers", {})
        logger.debug("jail worker %s up: %s", hello.get("pid"), self.layers)

    # --- the control channel --------------------------------------------------
    def _on_readable(self) -> None:
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._died("the jail worker closed its channel")
            return
        self._buffer += data
        while len(self._buffer) >= 4:
            (size,) = _HEADER.unpack(self._buffer[:4])
            if len(self._buffer) < 4 + size:
                return
            body, self._buffer = self._buffer[4:4 + size], self._buffer[4 + size:]
            self._dispatch(ormsgpack.unpackb(body))

    def _dispatch(self, message: dict) -> None:
        op = message.get("op")
        if op == "hello" and self._hello is not None and not self._hello.done():
            self._hello.set_result(message)
        elif op == "forked":
            pid = message["pid"]
            self._exits[pid] = asyncio.get_running_loop().create_future()
            future = self._forks.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(pid)
        elif op == "fork_failed":
            future = self._forks.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_exception(JailCrash(f"the jail worker could not fork: {message.get('error')}"))
        elif op == "exited":  # kept until finish(): the run socket's end may be read after this
            future = self._exits.get(message["pid"])
            if future is not None and not future.done():
                future.set_result(message)
        else:
            logger.error("jail worker sent an unknown message %r", op)

    def _died(self, reason: str, *, expected: bool = False) -> None:
        if not self.alive:
            return
        self.alive = False
        logger.log(logging.DEBUG if expected else logging.WARNING, "jail worker lost: %s", reason)
        if self.sock is not None:
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()
        for future in [self._hello, *self._forks.values(), *self._exits.values()]:
            if future is not None and not future.done():
                future.set_exception(JailCrash(reason))
                future.exception()  # retrieved here: nobody may be waiting on it
        self._forks.clear()

    def _send(self, message: bytes, fds: tuple[int, ...] = ()) -> None:
        if not self.alive:
            raise JailCrash("the jail worker is not running")
        try:
            sent = socket.send_fds(self.sock, [message], list(fds)) if fds else self.sock.send(message)
        except OSError as exc:
            self._died(f"cannot write to the jail worker: {exc}")
            raise JailCrash("the jail worker stopped reading") from exc
        if sent != len(message):  # a few dozen bytes into an empty buffer: anything else is a hung worker
            self._died("the jail worker stopped reading")
            raise JailCrash("the jail worker stopped reading")

    async def _log_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := await self.process.stderr.readline():
            logger.warning("jail worker: %s", line[:500].decode("utf-8", "replace").rstrip())

    # --- children ----------------------------------------------------------------
    def fork(self) -> tuple[socket.socket, asyncio.Future[int]]:
        """Ask for a child; returns our end of its run socket and a future of its pid."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        run_id = next(self._ids)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._forks[run_id] = future
        try:
            self._send(_pack({"op": "fork", "id": run_id}), (theirs.fileno(),))
        except JailCrash:
            self._forks.pop(run_id, None)
            ours.close()
            raise
        finally:
            theirs.close()
        return ours, future

    async def exit_status(self, pid: int, timeout: float = _GRACE) -> dict | None:
        future = self._exits.get(pid)
        if future is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except (asyncio.TimeoutError, JailCrash):
            return None

    async def finish(self, pid: int) -> None:
        """Make sure the child is gone: kill it if it still runs and wait until it is reaped."""
        future = self._exits.get(pid)
        try:
            if future is None or future.done():
                return
            try:
                self._send(_pack({"op": "kill", "pid": pid}))
            except JailCrash:
                return  # the template is gone, and its children with it (PR_SET_PDEATHSIG)
            if await self.exit_status(pid) is None and self.alive:
                logger.error("jail worker did not reap child %s; replacing it", pid)
                await self.close()
        finally:
            self._exits.pop(pid, None)

    async def close(self) -> None:
        """Closing the channel makes the template kill its children and exit; it is killed if it does not."""
        self._died("the jail worker was closed", expected=True)
        if self.process is not None and self.process.returncode is None:
            try:
                await asyncio.wait_for(self.process.wait(), _GRACE)
            except asyncio.TimeoutError:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    self.process.kill()
                await self.process.wait()
        if self._stderr_task is not None:
            await self._stderr_task


class _Gate:
    """A counting semaphore that can also be taken without awaiting (:meth:`try_acquire`); first come, first served."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_acquire(self) -> bool:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self) -> None:
        if self.try_acquire():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed the slot, then cancelled: pass it on
                self.release()
            raise

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


class _Pending:
    """An awaitable whose coroutine is made when it is awaited (so one never awaited leaves no warning)."""

    __slots__ = ("_function", "_args", "_awaited")

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        self._function = function
        self._args = args
        self._awaited = False

    def __await__(self) -> Generator[Any, None, Any]:
        if self._awaited:
            raise RuntimeError("a jailed run can be awaited only once")
        self._awaited = True
        return self._function(*self._args).__await__()


@dataclass(eq=False)
class _Warm:
    """A reusable child, seen from the kernel."""

    template: _Template
    pid: int
    channel: _Channel
    key: tuple[int, int]  # (memory_bytes, whole CPU seconds): the limits it was made with
    calls: int = 0

    def usable(self, template: _Template | None) -> bool:
        return self.template is template and template.alive and not self.channel.closed


def _warm_key(limits: JailLimits) -> tuple[int, int]:
    return limits.memory_bytes, max(1, math.ceil(limits.cpu_seconds))


def unavailable_reason(
    *, has_fork: bool | None = None, has_send_fds: bool | None = None, has_resource: bool | None = None,
    platform: str = sys.platform,
) -> str | None:
    """Why the jail cannot run on this platform, or None when it can.

    The template forks each child (``os.fork``), hands it its socket over SCM_RIGHTS
    (``socket.send_fds``), and the worker limits it with the ``resource`` module
    (RLIMIT_CPU, RLIMIT_AS, ...). Windows has none of the three. Each ``has_*`` is
    looked up here when not given (tests pass them).
    """
    if has_fork is None:
        has_fork = hasattr(os, "fork")
    if has_send_fds is None:
        has_send_fds = hasattr(socket, "send_fds")
    if has_resource is None:
        has_resource = importlib.util.find_spec("resource") is not None
    missing = [what for what, present in (
        ("fork", has_fork), ("SCM_RIGHTS (socket.send_fds)", has_send_fds), ("POSIX resource limits", has_resource),
    ) if not present]
    if not missing:
        return None
    return f"the jail needs {', '.join(missing)}, which {platform} does not offer"


class UnavailableJail:
    """Stands in for :class:`Jail` where it cannot run: every run fails with :class:`JailUnavailable`.

    Same interface as :class:`Jail` (``run`` returns an awaitable; ``protections``, ``health``,
    ``close``), so the kernel keeps its cognition (memory, persona models) and answers generated
    methods with the reason instead of running them anywhere else.
    """

    available = False

    def __init__(self, reason: str, limits: JailLimits = JailLimits()) -> None:
        self.reason = reason
        self.limits = limits

    async def start(self) -> None:
        """Nothing to start."""

    def run(
        self, source: str, selector: str, args: list, kwargs: dict, host: Host, limits: JailLimits | None = None,
        *, fresh: bool = True,
    ) -> Awaitable[Any]:
        return _Pending(self._refuse)

    async def _refuse(self) -> Any:
        raise JailUnavailable(self.reason)

    def protections(self) -> dict[str, bool | str]:
        return {"separate_process": False, "available": False, "reason": self.reason}

    def health(self) -> dict[str, Any]:
        return {"ok": False, "available": False, "reason": self.reason, "template_alive": False, "template_pid": None,
                "running": 0, "warm_idle": 0, "warm_pids": [], "counts": {}}

    @property
    def workdir(self) -> str | None:
        return None

    async def close(self) -> None:
        """Nothing to stop."""


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
        self._template: _Template | None = None
        self._gate: _Gate | None = None
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
        self._deadlines: dict[_Channel, float] = {}  # warm runs in flight -> when their wall clock runs out
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
            self._gate = _Gate(self.workers)
            self._spawn_lock = asyncio.Lock()
            try:
                template = await self._ensure_template()
                report = await self._exchange({"op": "probe", "limits": asdict(self.limits)}, None, self.limits)
                self._idle.append(await self._start_warm(self.limits))
            except BaseException:
                await self._discard()
                raise
            self._protections = self._assess(template.layers, report)
            self._started = True
        logger.info("jail ready: %s", self._protections)

    def run(
        self, source: str, selector: str, args: list, kwargs: dict, host: Host, limits: JailLimits | None = None,
        *, fresh: bool = True,
    ) -> Awaitable[Any]:
        """Run ``selector`` from ``source`` with ``self`` bound to the host's receiver; await the plain-data result.

        ``fresh=True``: in a child of its own (trials of new code). ``fresh=False``: in a reusable
        child (installed methods; same protections, no fork per call). Not a coroutine: when a
        reusable child and a slot are free, the request is sent before this returns, so the child
        is at work while the caller finishes what it was doing (for a task, use
        ``asyncio.ensure_future``: it is not a coroutine). An awaitable never awaited
        leaves that run to finish on its own; its slot comes back when the jail is closed.
        """
        limits = limits or self.limits
        request = {"op": "run", "source": source, "selector": selector, "args": list(args),
                   "kwargs": dict(kwargs), "limits": _limits_dict(limits)}
        if not fresh and self._started and not self._closed and self._gate is not None and self._gate.try_acquire():
            warm = self._take_idle(_warm_key(limits))
            if warm is not None:
                return _Pending(self._land, request, host, limits, warm, *self._launch(request, host, limits, warm))
            self._gate.release()
        return _Pending(self._run, request, host, limits, fresh)

    async def _run(self, request: dict, host: Host, limits: JailLimits, fresh: bool) -> Any:
        if self._closed:
            raise JailError("the jail is closed")
        if not self._started:
            await self.start()
        assert self._gate is not None
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
            self._gate.release()

    def _begin(self, request: dict, host: Host, *, fresh: bool) -> None:
        """A run holds its slot: take the snapshot now (not before a wait at the gate), count it."""
        snapshot = _snapshot(host)
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
    async def _ensure_template(self) -> _Template:
        assert self._spawn_lock is not None
        async with self._spawn_lock:
            if self._template is not None and self._template.alive:
                return self._template
            if self._template is not None:
                self._counts["restarts"] += 1
                await self._template.close()
            template = _Template(self.python)
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
        channel = _Channel(sock, _frame_limit(limits))
        pid: int | None = None
        try:
            async with asyncio.timeout(limits.wall_seconds):
                channel.send(_pack(request))
                pid = await forked
                final = await self._converse(channel, host, limits, template, pid)
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
        return _conclude(final, limits)

    # --- reusable children ---------------------------------------------------------
    def _launch(self, request: dict, host: Host, limits: JailLimits, warm: _Warm) -> tuple[float, Exception | None]:
        """Send a run to a reusable child now; what goes wrong is raised when it is awaited (:meth:`_land`)."""
        self._begin(request, host, fresh=False)
        started = asyncio.get_running_loop().time()
        channel = warm.channel
        try:
            channel.limit = _frame_limit(limits)
            self._watch(channel, started + limits.wall_seconds)  # kept by _watch, not a timer per call
            channel.send(_pack(request))
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
                final = await self._converse(channel, host, limits, warm.template, warm.pid)
            except TimeoutError:
                raise JailTimeout(
                    f"{request['selector']!r} ran past its wall-clock limit of {limits.wall_seconds}s"
                    f" ({asyncio.get_running_loop().time() - started:.2f}s)"
                ) from None
            finally:
                self._deadlines.pop(channel, None)
                warm.calls += 1
                clean = final is not None and final.get("op") in ("result", "raised") and not final.get("retire")
                if clean and warm.calls < self.warm_calls and not self._closed and len(self._idle) < self.workers:
                    self._idle.append(warm)
                else:
                    await self._retire(warm, wait=final is None)
            return _conclude(final, limits)
        except JailError as exc:
            self._counts[type(exc).__name__] += 1
            raise
        finally:
            self._running -= 1
            assert self._gate is not None
            self._gate.release()

    def _watch(self, channel: _Channel, deadline: float) -> None:
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
        channel = _Channel(sock, 4096)
        self._warm_live += 1
        pid: int | None = None
        try:
            async with asyncio.timeout(timeout):
                channel.send(_pack({"op": "serve", "limits": asdict(limits)}))
                pid = await forked
                ready = await channel.recv()
            if ready is None:
                raise self._died_without_answer(await template.exit_status(pid), limits)
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

    # --- one conversation ---------------------------------------------------------------
    async def _converse(
        self, channel: _Channel, host: Host | None, limits: JailLimits, template: _Template, pid: int,
    ) -> dict:
        """Serve the child's requests until its final frame, which is returned (result, raised, memory, cpu, probe)."""
        calls = 0
        while True:
            message = await channel.recv()
            if message is None:
                raise self._died_without_answer(await template.exit_status(pid), limits)
            op = message.get("op")
            if op in _HOST_OPS and host is not None:
                calls += 1
                if calls > limits.max_host_calls + 1000:  # it ignores the refusals: stop it
                    raise MethodRaised("HostCallLimit", f"more than {limits.max_host_calls} calls to the kernel")
                if calls > limits.max_host_calls:
                    reply = _pack({"error": ["HostCallLimit", f"more than {limits.max_host_calls} calls to the kernel in one run"]})
                else:
                    reply = _serve(host, op, message)
                channel.send(reply)
            elif op in ("result", "raised", "memory", "cpu", "probe"):
                if op == "result" and calls > limits.max_host_calls:
                    message = {**message, "op": "raised", "type": "HostCallLimit",
                               "message": f"more than {limits.max_host_calls} calls to the kernel in one run"}
                return message
            else:
                raise JailCrash(f"protocol violation: unexpected message {op!r} from the jailed process")

    @staticmethod
    def _died_without_answer(status: dict | None, limits: JailLimits) -> JailError:
        if status is None:
            return JailCrash("the jailed process closed its channel without an answer")
        number = status.get("signal")
        if number == signal.SIGXCPU:
            return JailTimeout(f"past the CPU-time limit of {limits.cpu_seconds}s")
        if number is not None:
            name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
            return JailCrash(f"the jailed process died of {name}")
        code = status.get("code")
        if code == _EXIT_CPU:
            return JailTimeout(f"past the CPU-time limit of {limits.cpu_seconds}s (the method would not stop)")
        if code == _EXIT_SETUP_FAILED:
            return JailCrash("the jail could not be set up for this run (see the jail worker's log)")
        return JailCrash(f"the jailed process exited with code {code} without an answer")

    def _assess(self, layers: dict, report: dict) -> dict[str, bool | str]:
        fork = report.get("fork")
        if fork == "EPERM" and report.get("seccomp"):
            no_children: bool | str = "seccomp"
        elif fork == "EAGAIN" and report.get("rlimit_nproc"):
            no_children = "rlimit_nproc"
        else:
            no_children = False
        empty_cwd = report.get("cwd") == "removed" and not os.path.exists(self.workdir or "")
        return {
            "separate_process": True,
            "rlimit_cpu": bool(report.get("rlimit_cpu")),
            "rlimit_as": bool(report.get("rlimit_as")),
            "rlimit_fsize_zero": bool(report.get("rlimit_fsize_zero")),
            "rlimit_nofile": bool(report.get("rlimit_nofile")),
            "no_child_processes": no_children,
            "network_namespace": bool(layers.get("network_namespace")),
            "sockets_refused": report.get("socket") not in (None, "allowed"),
            "empty_cwd": bool(empty_cwd),
            "landlock": bool(layers.get("landlock_abi")) and report.get("read_file") == "EACCES",
            "seccomp": bool(report.get("seccomp")),
            "drop_root": "nobody" if report.get("drop_root") else False,
            "clean_environment": True,
            "restricted_python": True,
        }


def _serve(host: Host, op: str, message: dict) -> bytes:
    """Answer one request of the child by calling the host; every outcome is a reply frame."""
    ref, name = message.get("ref"), message.get("name" if op != "send" else "selector")
    if not isinstance(ref, str) or not isinstance(name, str):
        raise JailCrash(f"protocol violation: {op} without a ref and a name")
    try:
        if op == "get_slot":
            try:
                kind, payload = host.get_slot(ref, name)
            except (KeyError, AttributeError):
                return _pack({"error": ["AttributeError", f"object {ref} has no slot {name!r}"]})
            return _pack({"ok": [kind, payload]})
        if op == "set_slot":
            host.set_slot(ref, name, message.get("value"))
            return _pack({"ok": None})
        args, kwargs = message.get("args") or [], message.get("kwargs") or {}
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise JailCrash("protocol violation: send with malformed arguments")
        return _pack({"ok": host.send(ref, name, args, kwargs)})
    except JailCrash:
        raise
    except Exception as exc:  # noqa: BLE001 - the method gets the error as an exception of the same name
        logger.debug("host %s %s.%s raised %s: %s", op, ref, name, type(exc).__name__, exc)
        return _pack({"error": [type(exc).__name__, str(exc)[:2000]]})


@functools.lru_cache(maxsize=64)
def _limits_dict(limits: JailLimits) -> dict[str, Any]:
    """``asdict(limits)``, once per limits (it is packed into every request; never changed)."""
    return asdict(limits)


def _frame_limit(limits: JailLimits) -> int:
    return limits.max_result_bytes + 64 * 1024


def _conclude(final: dict, limits: JailLimits) -> Any:
    """The child's final frame as the run's value or error."""
    op = final.get("op")
    if op == "probe":
        return final.get("report", {})
    _log_printed(final)
    if op == "result":
        return final.get("value")
    if op == "raised":
        raise MethodRaised(str(final.get("type")), str(final.get("message")), str(final.get("traceback", "")))
    if op == "memory":
        raise JailMemory(f"past the memory limit of {limits.memory_bytes} bytes ({final.get('message')} in the method)")
    if op == "cpu":
        raise JailTimeout(f"past the CPU-time limit of {limits.cpu_seconds}s")
    raise JailCrash(f"protocol violation: unexpected message {op!r} from the jailed process")


def _snapshot(host: Host | None) -> dict[str, Any] | None:
    """The receiver's small own data slots, from a host that offers them (see :class:`SnapshotHost`)."""
    offer = getattr(host, "snapshot", None)
    if offer is None:
        return None
    try:
        slots = offer("self")
    except Exception as exc:  # noqa: BLE001 - a cache: the run asks the host instead
        logger.debug("host snapshot failed: %s: %s", type(exc).__name__, exc)
        return None
    if not isinstance(slots, dict):
        return None
    snapshot: dict[str, Any] = {}
    total = 0
    for name, value in slots.items():
        if not isinstance(name, str) or name.startswith("_"):
            continue
        kind = type(value)
        if value is None or kind is bool or kind is float:
            size = 9
        elif kind is str and len(value) <= 1000:  # at most 4 bytes a character: no need to pack it to know
            size = 5 + 4 * len(value)
        else:
            try:
                size = len(ormsgpack.packb(value))
            except (TypeError, ValueError, OverflowError):  # ormsgpack.MsgpackEncodeError is a TypeError
                continue
        if size > SNAPSHOT_VALUE_BYTES or total + size > SNAPSHOT_TOTAL_BYTES:
            continue
        total += size
        snapshot[name] = value
    return snapshot


def _log_printed(message: dict) -> None:
    printed = message.get("printed")
    if printed:
        logger.debug("jailed method printed: %s", str(printed)[:2000])

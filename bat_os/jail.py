"""The jail: generated code runs in forked, locked-down processes, never in the kernel.

::

    Jail (kernel, asyncio) ──control socket──▶ template: python -I -S jail_worker.py
       │                                         warm; network namespace, Landlock, once
       │                                         │ fork per run
       └──────────── run socket ───────────────▶ child: nobody, rlimits, seccomp, no fds
                                                  RestrictedPython code, `self` a proxy

``Jail.run`` creates a socketpair per run, hands one end to the template with
the fork request (SCM_RIGHTS), writes the request on the other and serves the
child's ``get_slot`` / ``set_slot`` / ``send`` requests by calling the
:class:`Host` synchronously on the event-loop thread. The loop never blocks
on the child. The wall-clock limit kills the child (the template stays warm;
a template that dies or hangs is replaced on the next run). Wire format and
the child's semantics (slot reads are copies written back when mutated,
prints, imports): see :mod:`bat_os.jail_worker`.

Errors (:mod:`bat_os.errors`): ``JailTimeout`` (wall clock or CPU),
``JailMemory`` (memory limit), ``JailCrash`` (the worker died or broke the
protocol), ``MethodRaised`` (the code raised; also ``ResultTooLarge``,
``HostCallLimit``, ``TypeError`` for a result that is not plain data).
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import logging
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
from typing import Any, Protocol

import ormsgpack

from .errors import JailCrash, JailError, JailMemory, JailTimeout, MethodRaised

logger = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("jail_worker.py")
_HEADER = struct.Struct(">I")
_HOST_OPS = ("get_slot", "set_slot", "send")
_EXIT_SETUP_FAILED, _EXIT_PROTOCOL = 70, 71  # the child's own exit codes (jail_worker)
_GRACE = 2.0  # seconds to wait for the template to confirm a child's exit


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


def _pack(message: dict) -> bytes:
    body = ormsgpack.packb(message)
    return _HEADER.pack(len(body)) + body


async def _read_frame(reader: asyncio.StreamReader, limit: int) -> dict | None:
    """The next frame, or None at end of stream. A frame over ``limit`` is a protocol violation."""
    try:
        (size,) = _HEADER.unpack(await reader.readexactly(4))
        if size > limit:
            raise JailCrash(f"protocol violation: a {size}-byte frame from the jailed process (limit {limit})")
        body = await reader.readexactly(size)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    try:
        message = ormsgpack.unpackb(body)
    except ormsgpack.MsgpackDecodeError as exc:
        raise JailCrash("protocol violation: an undecodable frame from the jailed process") from exc
    if not isinstance(message, dict):
        raise JailCrash("protocol violation: a frame that is not a map")
    return message


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


class Jail:
    """Runs generated methods in jailed processes. ``workers``: how many runs may be in flight at once."""

    def __init__(self, limits: JailLimits = JailLimits(), *, workers: int = 2, python: str = sys.executable) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.limits = limits
        self.workers = workers
        self.python = python
        self._template: _Template | None = None
        self._gate: asyncio.Semaphore | None = None
        self._spawn_lock: asyncio.Lock | None = None
        self._start_lock = asyncio.Lock()
        self._protections: dict[str, bool | str] = {"separate_process": False}
        self._counts: Counter[str] = Counter()
        self._running = 0
        self._started = False
        self._closed = False

    async def start(self) -> None:
        """Start the warm template and probe what actually holds on this machine."""
        if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
            raise JailError(f"the jail needs fork and SCM_RIGHTS, which {sys.platform} does not offer")
        async with self._start_lock:
            if self._started:
                return
            if self._closed:
                raise JailError("the jail is closed")
            self._gate = asyncio.Semaphore(self.workers)
            self._spawn_lock = asyncio.Lock()
            try:
                template = await self._ensure_template()
                report = await self._exchange({"op": "probe", "limits": asdict(self.limits)}, None, self.limits)
            except BaseException:
                await self._discard()
                raise
            self._protections = self._assess(template.layers, report)
            self._started = True
        logger.info("jail ready: %s", self._protections)

    async def run(
        self, source: str, selector: str, args: list, kwargs: dict, host: Host, limits: JailLimits | None = None
    ) -> Any:
        """Run ``selector`` from ``source`` with ``self`` bound to the host's receiver; return plain data."""
        if self._closed:
            raise JailError("the jail is closed")
        if not self._started:
            await self.start()
        limits = limits or self.limits
        request = {"op": "run", "source": source, "selector": selector, "args": list(args),
                   "kwargs": dict(kwargs), "limits": asdict(limits)}
        assert self._gate is not None
        async with self._gate:
            self._running += 1
            self._counts["runs"] += 1
            try:
                return await self._exchange(request, host, limits)
            except JailError as exc:
                self._counts[type(exc).__name__] += 1
                raise
            finally:
                self._running -= 1

    def protections(self) -> dict[str, bool | str]:
        return dict(self._protections)

    def health(self) -> dict[str, Any]:
        template = self._template
        return {
            "ok": self._started and not self._closed and bool(template and template.alive),
            "template_alive": bool(template and template.alive),
            "template_pid": template.process.pid if template and template.process else None,
            "running": self._running,
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

    async def _exchange(self, request: dict, host: Host | None, limits: JailLimits) -> Any:
        """One child from fork to reaping: send the request, serve it, classify how it ended."""
        template = await self._ensure_template()
        sock, forked = template.fork()
        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=2**20)
        pid: int | None = None
        try:
            async with asyncio.timeout(limits.wall_seconds):
                writer.write(_pack(request))
                pid = await forked
                await writer.drain()
                return await self._converse(reader, writer, host, limits, template, pid)
        except TimeoutError:
            raise JailTimeout(
                f"{request.get('selector', 'the probe')!r} ran past its wall-clock limit of {limits.wall_seconds}s"
            ) from None
        finally:
            writer.close()
            if pid is not None:
                await template.finish(pid)
            elif template.alive:  # the template never answered the fork: it is not to be trusted
                forked.cancel()
                await template.close()

    async def _converse(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: Host | None,
        limits: JailLimits, template: _Template, pid: int,
    ) -> Any:
        calls = 0
        frame_limit = limits.max_result_bytes + 64 * 1024
        while True:
            message = await _read_frame(reader, frame_limit)
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
                writer.write(reply)
                await writer.drain()
            elif op == "result":
                _log_printed(message)
                if calls > limits.max_host_calls:
                    raise MethodRaised("HostCallLimit", f"more than {limits.max_host_calls} calls to the kernel in one run")
                return message.get("value")
            elif op == "raised":
                _log_printed(message)
                raise MethodRaised(str(message.get("type")), str(message.get("message")), str(message.get("traceback", "")))
            elif op == "memory":
                raise JailMemory(f"past the memory limit of {limits.memory_bytes} bytes ({message.get('message')} in the method)")
            elif op == "probe":
                return message.get("report", {})
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


def _log_printed(message: dict) -> None:
    printed = message.get("printed")
    if printed:
        logger.debug("jailed method printed: %s", str(printed)[:2000])

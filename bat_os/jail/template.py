"""The template process, seen from the kernel: start it, ask it for children, learn of their exits.

The worker package (:mod:`bat_os.jail.worker`) runs as ``python -I -S -B WORKER --control-fd N
--workdir DIR --kernel-pid P --path SITE...``, with an empty environment but the time zone,
its cwd an empty directory removed as soon as it is in it. Its control socket carries
``fork`` (with the child's run socket attached) and ``kill`` out, ``hello``, ``forked``,
``fork_failed`` and ``exited`` back (see :mod:`bat_os.jail.worker`).
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
import tempfile
from pathlib import Path
from typing import Any

import ormsgpack

from bat_os.errors import JailCrash, JailError

from .channel import pack
from .contract import HEADER, WORKER_DEPENDENCIES

logger = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("worker") / "__main__.py"  # the bootstrap, run by path
GRACE = 2.0  # seconds to wait for the template to confirm a child's exit


def dependency_paths() -> list[str]:
    """Where the worker's dependencies live: it starts with -S and imports only these (and the stdlib)."""
    paths: list[str] = []
    for name in WORKER_DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise JailError(f"the jail needs {name}, which is not installed")
        path = str(Path(spec.origin).resolve().parent.parent)
        if path not in paths:
            paths.append(path)
    return paths


def worker_environment() -> dict[str, str]:
    """Nothing of the kernel's environment (secrets live there) but the time zone."""
    env = {"LC_ALL": "C.UTF-8"}
    if "TZ" in os.environ:
        env["TZ"] = os.environ["TZ"]
    return env


class Template:
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
        paths = [arg for path in dependency_paths() for arg in ("--path", path)]
        self.workdir = tempfile.mkdtemp(prefix="batos-jail-")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.process = await asyncio.create_subprocess_exec(
                self.python, "-I", "-S", "-B", str(WORKER),
                "--control-fd", str(theirs.fileno()), "--workdir", self.workdir, "--kernel-pid", str(os.getpid()), *paths,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, pass_fds=(theirs.fileno(),),
                env=worker_environment(), cwd=self.workdir, start_new_session=True,
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
            (size,) = HEADER.unpack(self._buffer[:4])
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
            self._send(pack({"op": "fork", "id": run_id}), (theirs.fileno(),))
        except JailCrash:
            self._forks.pop(run_id, None)
            ours.close()
            raise
        finally:
            theirs.close()
        return ours, future

    async def exit_status(self, pid: int, timeout: float = GRACE) -> dict | None:
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
                self._send(pack({"op": "kill", "pid": pid}))
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
                await asyncio.wait_for(self.process.wait(), GRACE)
            except asyncio.TimeoutError:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    self.process.kill()
                await self.process.wait()
        if self._stderr_task is not None:
            await self._stderr_task

"""The watchdog: keep one kernel (``batos.py``) running and answering.

``min_watchdog_service.py`` is the entry point (flags, logging, signals);
this module owns the processes, the ping socket, the state file and the loop.
The restart policy is :class:`bat_os.supervise.policy.RestartPolicy` (pure);
gated upgrades are :mod:`bat_os.supervise.upgrade`. The clock, sleep, process spawner
and pinger are injectable.

What the loop does, every ``TICK``:

* the kernel process exited -> restart after a backoff (see the policy);
  exit code 2 or 3 (bad configuration, unreadable image) -> FATAL at once;
* it answered no ping for ``hang_timeout`` seconds (hung, or SIGSTOPped)
  -> SIGTERM, SIGKILL after ``stop_grace``, then restart;
* a new kernel that answers no ping within ``start_timeout`` is treated as hung;
* too many restarts within the window -> FATAL: no more restarts; the
  watchdog says why (log and state file) and waits for ``stop`` or an
  upgrade instruction (or exits, with ``exit_on_fatal``);
* ``update_instructions.json`` appeared in the work directory -> a gated
  upgrade (:mod:`bat_os.supervise.upgrade`);
* a stop request (a signal, or the stop file written by ``stop`` — the way
  that works on Windows too) -> SIGTERM to the kernel, wait, exit.

Every module the watchdog needs is imported when it starts: an upgrade that
moves the code on disk does not change the running watchdog (restart it to
upgrade the watchdog itself).
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import zmq

from bat_os import protocol
from bat_os.supervise.policy import RestartPolicy, State

logger = logging.getLogger("bat_os.supervise.watchdog")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2  # the same meaning as batos.py's exit code 2
EXIT_IMAGE = 3  # the same meaning as batos.py's exit code 3
EXIT_CRASH_LOOP = 4

#: Kernel exit codes that restarting cannot fix, and what they mean.
FATAL_KERNEL_EXITS = {
    EXIT_CONFIG: "a setting is invalid (see the kernel's message above)",
    EXIT_IMAGE: "the image cannot be opened: corrupt, locked by another kernel, or unreadable",
}

TICK = 0.1  # seconds: how often the loop looks at the process and at stop requests
POLL_FILES = 0.5  # seconds: how often it looks for the stop file and update instructions

HERE = Path(__file__).resolve().parents[2]  # the checkout: batos.py, min_watchdog_service.py
INSTRUCTIONS = "update_instructions.json"
RESULT = "update_result.json"


@dataclass(frozen=True)
class Settings:
    kernel_args: list[str] = field(default_factory=list)  # flags for batos.py
    endpoint: str = ""  # where the kernel binds and the watchdog pings; set by resolve()
    image_args: list[str] = field(default_factory=list)  # --image/--config: for batos.py backup/restore
    image: Path | None = None  # the image file (resolved like the kernel does); set by resolve()
    blob_dir: Path | None = None  # its blob directory
    ping_interval: float = 5.0  # seconds between pings; also how long a reply is awaited
    hang_timeout: float = 60.0  # seconds without an answer before the kernel is killed
    start_timeout: float = 120.0  # seconds a new kernel may take to answer its first ping
    stop_grace: float = 15.0  # seconds between SIGTERM and SIGKILL
    max_restarts: int = 5  # restarts allowed within restart_window before FATAL
    restart_window: float = 60.0
    backoff_initial: float = 1.0  # first restart delay; doubles per restart
    backoff_max: float = 60.0
    healthy_after: float = 60.0  # seconds of answered pings that reset the backoff
    exit_on_fatal: bool = False  # FATAL: exit (for a service manager) instead of waiting
    state_file: Path | None = Path("data/watchdog.json")  # pid, state, kernel pid, last upgrade
    workdir: Path = Path(".")  # where update_instructions.json is looked for
    gate_timeout: float = 120.0  # seconds an upgraded kernel has to pass ping, status and selfcheck
    step_timeout: float = 600.0  # default limit of one upgrade step
    log_file: Path | None = None
    log_level: str = "INFO"


def kernel_command(settings: Settings) -> list[str]:
    return [sys.executable, str(HERE / "batos.py"), *settings.kernel_args]


# --- processes ---------------------------------------------------------------------------


def spawn_kernel(command: list[str]) -> subprocess.Popen:
    """Start the kernel; its stdout/stderr are the watchdog's."""
    # The kernel gets its own process group (its own session on POSIX), so that
    # Ctrl+C, Ctrl+Z or a closing terminal reach the watchdog only: it alone
    # decides when the kernel stops, and signals it exactly once. On Windows
    # CTRL_BREAK can then be sent to the kernel alone.
    kwargs: dict[str, Any] = {}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, **kwargs)


def ask_to_stop(proc: subprocess.Popen) -> str:
    """Send the polite stop signal; returns its name for the log."""
    if os.name == "nt":
        # Windows has no SIGTERM to send: CTRL_BREAK to the kernel's process group.
        proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        return "CTRL_BREAK"
    proc.send_signal(signal.SIGTERM)
    return "SIGTERM"


def describe_exit(code: int | None) -> str:
    if code is None:
        return "could not be killed"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


# --- talking to the kernel -------------------------------------------------------------------


class Pinger:
    """A sync DEALER for one endpoint; a fresh socket after every missed reply.

    The loop uses :meth:`send`/:meth:`receive` (a ping in flight while it
    watches the process); the upgrade gate uses :meth:`ask` (one request,
    waited for).
    """

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.ctx = zmq.Context()
        self.sock: zmq.Socket | None = None
        self.counter = 0
        self.pending: int | None = None  # id of the request awaiting its reply

    def _socket(self) -> zmq.Socket:
        if self.sock is None:
            self.sock = self.ctx.socket(zmq.DEALER)
            self.sock.setsockopt(zmq.LINGER, 0)
            self.sock.connect(self.endpoint)
        return self.sock

    def send(self, message: dict | None = None) -> None:
        self.counter += 1
        self.pending = self.counter
        try:
            self._socket().send(protocol.encode({**(message or {"command": "ping"}), "id": self.pending}), zmq.NOBLOCK)
        except zmq.Again:  # nowhere to queue it: counts as unanswered
            logger.debug("request %d could not be queued", self.pending)

    def receive(self, timeout: float) -> dict | None:
        """Wait up to ``timeout`` seconds for the final reply to the pending request."""
        if self.pending is None or self.sock is None:
            return None
        deadline = time.monotonic() + timeout
        while True:
            if not self.sock.poll(max(0, int((deadline - time.monotonic()) * 1000))):
                return None
            while self.sock.poll(0):
                try:
                    reply = protocol.decode(self.sock.recv())
                except protocol.DecodeError as exc:
                    logger.warning("undecodable reply: %s", exc)
                    continue
                if isinstance(reply, dict) and reply.get("id") == self.pending and reply.get("status") != "event":
                    self.pending = None
                    return reply
                logger.debug("ignoring a stale reply or event: %r", reply)

    def ask(self, message: dict, timeout: float) -> dict | None:
        """Send ``message`` and wait up to ``timeout`` seconds for its reply (None: no reply)."""
        self.reset()
        self.send(message)
        reply = self.receive(timeout)
        if reply is None:
            self.reset()
        return reply

    def reset(self) -> None:
        """Drop the socket (and anything queued on it); the next send opens a fresh one."""
        if self.sock is not None:
            self.sock.close(linger=0)
            self.sock = None
        self.pending = None

    def close(self) -> None:
        self.reset()
        self.ctx.term()


def someone_answers(endpoint: str, timeout: float = 0.5) -> bool:
    """Does a kernel already answer ping at ``endpoint``?"""
    pinger = Pinger(endpoint)
    try:
        return pinger.ask({"command": "ping"}, timeout) is not None
    finally:
        pinger.close()


# --- the state file --------------------------------------------------------------------------


class StateFile:
    """``data/watchdog.json``: what ``status`` reports, written atomically on every change.

    ``<name>.stop`` beside it is the stop request (works where signals do not: Windows).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._warned = False

    @property
    def stop_path(self) -> Path | None:
        return None if self.path is None else self.path.with_suffix(".stop")

    def write(self, data: dict) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            if not self._warned:  # once: a full disk must not flood the log
                logger.warning("cannot write the state file %s: %s", self.path, exc)
                self._warned = True

    def stop_requested(self) -> bool:
        stop = self.stop_path
        return stop is not None and stop.exists()

    def clear_stop(self) -> None:
        stop = self.stop_path
        if stop is not None:
            try:
                stop.unlink()
            except FileNotFoundError:
                pass


def read_state(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def watchdog_alive(state: dict | None) -> bool:
    """Is the watchdog the state file names still running (not a recycled pid)?"""
    if not state or not isinstance(state.get("pid"), int):
        return False
    try:
        import psutil

        proc = psutil.Process(state["pid"])
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        started = state.get("process_started")
        return started is None or abs(proc.create_time() - float(started)) < 2.0
    except Exception:  # NoSuchProcess, AccessDenied, psutil missing: treat as gone
        return False


def process_started(pid: int) -> float | None:
    try:
        import psutil

        return psutil.Process(pid).create_time()
    except Exception:
        return None


# --- the watchdog ----------------------------------------------------------------------------


class Watchdog:
    """Runs one kernel under a :class:`RestartPolicy`. :meth:`run` returns the exit code."""

    def __init__(
        self,
        settings: Settings,
        *,
        policy: RestartPolicy | None = None,
        spawn: Callable[[list[str]], subprocess.Popen] = spawn_kernel,
        pinger: Pinger | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.wall_clock = wall_clock
        self.sleep = sleep
        self.spawn = spawn
        self.policy = policy or RestartPolicy(
            max_restarts=settings.max_restarts,
            window=settings.restart_window,
            backoff_initial=settings.backoff_initial,
            backoff_max=settings.backoff_max,
            healthy_after=settings.healthy_after,
            clock=clock,
        )
        if self.policy.listener is None:
            self.policy.listener = self._transition
        self.pinger = pinger or Pinger(settings.endpoint)
        self.state_file = StateFile(settings.state_file)
        self.proc: subprocess.Popen | None = None
        self.exit_code = EXIT_OK
        self.stop_reason: str | None = None
        self.started_at = wall_clock()
        self._process_started = process_started(os.getpid())  # with the pid: tells a recycled pid apart
        self.last_upgrade: dict | None = None
        self.upgrading: dict | None = None  # the upgrade under way: id, phase
        self._hurry = False  # a second stop request: do not wait out the grace period
        self._fatal_reported = False
        self._files_checked_at = float("-inf")
        # the current kernel's ping bookkeeping
        self._spawned_at = 0.0
        self._next_ping_at = 0.0
        self._ping_sent_at = 0.0
        self._unanswered_since: float | None = None  # when the first still-unanswered ping went out

    # --- requests from outside ---------------------------------------------------------
    def request_stop(self, reason: str) -> None:
        """Stop the kernel and return from :meth:`run`. Safe in a signal handler."""
        if self.stop_reason is None:
            self.stop_reason = reason
        else:
            self._hurry = True

    def status(self) -> dict[str, Any]:
        """Plain values: the state file's content."""
        snapshot = self.policy.snapshot(self.clock())
        snapshot.update(
            pid=os.getpid(),
            process_started=self._process_started,
            started=self.started_at,
            updated=self.wall_clock(),
            kernel_pid=self.proc.pid if self.proc is not None else None,
            endpoint=self.settings.endpoint,
            image=str(self.settings.image) if self.settings.image else None,
            workdir=str(self.settings.workdir.resolve()),
            log_file=str(self.settings.log_file) if self.settings.log_file else None,
            exit_code=self.exit_code if self.policy.state is State.FATAL else None,
            upgrading=self.upgrading,
            last_upgrade=self.last_upgrade,
        )
        return snapshot

    def publish(self) -> None:
        self.state_file.write(self.status())

    # --- the loop ----------------------------------------------------------------------------
    def run(self) -> int:
        s = self.settings
        logger.info(
            "watchdog pid %d for %s: ping every %gs, hang after %gs, at most %d restarts in %gs; upgrades from %s",
            os.getpid(), s.endpoint, s.ping_interval, s.hang_timeout, s.max_restarts, s.restart_window,
            (s.workdir / INSTRUCTIONS).resolve(),
        )
        self.state_file.clear_stop()  # a stale request from before this watchdog
        try:
            self._start_kernel()
            while True:
                self._check_files()
                if self.stop_reason is not None:
                    return self._shutdown()
                state = self.policy.state
                if state is State.FATAL:
                    if self._report_fatal():
                        return self.exit_code
                    self.sleep(TICK)
                    continue
                if state is State.BACKOFF:
                    now = self.clock()
                    if self.policy.due(now):
                        self._start_kernel()
                    else:
                        self.sleep(min(TICK, self.policy.remaining(now)))
                    continue
                self._watch_once()
        finally:
            if self.proc is not None and self.proc.poll() is None:  # never leave an orphan
                logger.error("watchdog leaving unexpectedly; stopping kernel pid %d", self.proc.pid)
                self._terminate(self.settings.stop_grace)
            self.pinger.close()

    def _report_fatal(self) -> bool:
        """Say once why the watchdog gave up. True: exit now (``exit_on_fatal``)."""
        if self._fatal_reported:
            return False
        self._fatal_reported = True
        logger.critical("giving up (exit code %d): %s", self.exit_code, self.policy.reason)
        if self.settings.exit_on_fatal:
            return True
        logger.critical(
            "no more restarts; waiting for an operator (min_watchdog_service.py stop) or an upgrade instruction (%s)",
            (self.settings.workdir / INSTRUCTIONS).resolve(),
        )
        self.publish()
        return False

    def _check_files(self) -> None:
        """Now and then: the stop file, and update instructions."""
        now = self.clock()
        if now - self._files_checked_at < POLL_FILES:
            return
        self._files_checked_at = now
        if self.state_file.stop_requested():
            self.state_file.clear_stop()
            if self.stop_reason is None:  # the same request may also have come as SIGTERM: not a second one
                self.request_stop("stop requested (stop file)")
            return
        if self.stop_reason is None and (self.settings.workdir / INSTRUCTIONS).exists():
            from bat_os.supervise.upgrade import Upgrade

            self.last_upgrade = Upgrade(self).run()
            self.upgrading = None
            self._fatal_reported = False
            self.publish()

    def _start_kernel(self) -> None:
        now = self.clock()
        command = kernel_command(self.settings)
        self.policy.start(now)
        try:
            self.proc = self.spawn(command)
        except OSError as exc:
            self.exit_code = EXIT_FAILED
            self.policy.fatal(f"cannot start the kernel ({shlex.join(command)}): {exc}", now)
            return
        logger.info("kernel pid %d started: %s", self.proc.pid, shlex.join(command))
        self.pinger.reset()
        self._spawned_at = now
        self._next_ping_at = now
        self._unanswered_since = None
        self.publish()

    def _watch_once(self) -> None:
        """One short step while a kernel runs: notice an exit, send or await a ping, judge a hang."""
        code = self.proc.poll()
        if code is not None:
            self._kernel_exited(code)
            return
        now = self.clock()
        if self.pinger.pending is None:
            if now < self._next_ping_at:
                self.sleep(min(TICK, self._next_ping_at - now))
                return
            self.pinger.send()
            self._ping_sent_at = now
        reply = self.pinger.receive(TICK)
        now = self.clock()
        if reply is not None:
            self._answered(now, reply)
        elif now - self._ping_sent_at >= self.settings.ping_interval:
            self._missed(now)
        self._judge(now)

    def _answered(self, now: float, reply: dict) -> None:
        if reply.get("status") != "ok":
            logger.warning("kernel pid %d answered ping with %r", self.proc.pid, reply)
        if self._unanswered_since is not None and self.policy.state is State.RUNNING:
            logger.info("kernel pid %d answers again after %.1fs", self.proc.pid, now - self._unanswered_since)
        self._unanswered_since = None
        if self.policy.state is State.STARTING:
            self.policy.ready(now)
            logger.info("kernel pid %d answers ping at %s (%.1fs after start)", self.proc.pid, self.settings.endpoint, now - self._spawned_at)
        if self.policy.tick(now):
            logger.info("kernel pid %d healthy for %gs: restart backoff reset", self.proc.pid, self.settings.healthy_after)
        self._next_ping_at = self._ping_sent_at + self.settings.ping_interval

    def _missed(self, now: float) -> None:
        if self._unanswered_since is None:
            self._unanswered_since = self._ping_sent_at
        if self.policy.state is State.RUNNING:
            logger.warning(
                "kernel pid %d did not answer ping within %gs (silent for %.1fs of %gs allowed)",
                self.proc.pid, self.settings.ping_interval, now - self._unanswered_since, self.settings.hang_timeout,
            )
        self.pinger.reset()  # a fresh socket: nothing stale can answer the next ping
        self._next_ping_at = now

    def _judge(self, now: float) -> None:
        state = self.policy.state
        if state is State.STARTING and now - self._spawned_at >= self.settings.start_timeout:
            self._kill_hung(now, f"did not answer ping within {self.settings.start_timeout:g}s of starting")
        elif state is State.RUNNING and self._unanswered_since is not None and now - self._unanswered_since >= self.settings.hang_timeout:
            self._kill_hung(now, f"answered no ping for {now - self._unanswered_since:.1f}s (hung or stopped)")

    def _kill_hung(self, now: float, why: str) -> None:
        pid = self.proc.pid
        logger.error("kernel pid %d %s: killing it", pid, why)
        code = self._terminate(self.settings.stop_grace)
        if code is None:
            self.exit_code = EXIT_FAILED
            self.policy.fatal(f"kernel pid {pid} {why} and could not be killed")
            return
        self.proc = None
        self._failed(f"kernel pid {pid} {why}; it {describe_exit(code)}")

    def _kernel_exited(self, code: int) -> None:
        pid = self.proc.pid
        uptime = self.clock() - self._spawned_at
        self.proc = None
        if code in FATAL_KERNEL_EXITS:
            self.exit_code = code
            self.policy.fatal(f"kernel pid {pid} exited with code {code} after {uptime:.1f}s: {FATAL_KERNEL_EXITS[code]}; restarting cannot help")
            return
        self._failed(f"kernel pid {pid} {describe_exit(code)} after {uptime:.1f}s without being asked to stop")

    def _failed(self, reason: str) -> None:
        if self.policy.failed(reason, self.clock()) is None:
            self.exit_code = EXIT_CRASH_LOOP

    def _terminate(self, grace: float) -> int | None:
        """SIGTERM, wait up to ``grace`` seconds, then SIGKILL. Returns the exit code (None: unkillable)."""
        proc = self.proc
        code = proc.poll()
        if code is not None:
            return code
        try:
            sent = ask_to_stop(proc)
            logger.info("sent %s to kernel pid %d; waiting up to %gs", sent, proc.pid, grace)
        except OSError as exc:
            logger.warning("could not signal kernel pid %d: %s", proc.pid, exc)
        deadline = self.clock() + grace
        while not self._hurry and self.clock() < deadline:
            code = proc.poll()
            if code is not None:
                return code
            self.sleep(TICK)
        if proc.poll() is None:
            logger.warning("kernel pid %d still running %s; sending SIGKILL", proc.pid, "after a second stop request" if self._hurry else f"{grace:g}s after the stop signal")
            try:
                proc.kill()
            except OSError as exc:
                logger.warning("could not kill kernel pid %d: %s", proc.pid, exc)
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            logger.critical("kernel pid %d survived SIGKILL", proc.pid)
            return None

    def _shutdown(self) -> int:
        logger.info("stopping: %s", self.stop_reason)
        was_fatal = self.policy.state is State.FATAL
        if self.policy.state is not State.STOPPING:
            self.policy.stop(self.stop_reason or "stop requested", self.clock())
        if self.proc is not None:
            pid = self.proc.pid
            code = self._terminate(self.settings.stop_grace)
            if code is None:
                return EXIT_FAILED
            logger.info("kernel pid %d %s", pid, describe_exit(code))
            self.proc = None
        self.policy.stopped(self.clock())
        logger.info("watchdog stopped")
        return self.exit_code if was_fatal else EXIT_OK

    # --- for the upgrade (bat_os.supervise.upgrade) ------------------------------------------------------
    def stop_for_upgrade(self, reason: str) -> str | None:
        """Hold the kernel stopped for an upgrade step. Returns how the kernel ended (None: none ran)."""
        self.policy.upgrade(reason, self.clock())
        self.publish()
        if self.proc is None:
            return None
        pid = self.proc.pid
        code = self._terminate(self.settings.stop_grace)
        self.proc = None
        ended = f"kernel pid {pid} {describe_exit(code)}"
        logger.info("%s", ended)
        return ended

    def start_and_gate(self, timeout: float) -> dict:
        """Start a kernel and require ``ping``, ``status`` and ``selfcheck`` within ``timeout`` seconds.

        Returns ``{"ok": bool, "checks": [...], "seconds": s, "why": str | None}``. On
        success the kernel is RUNNING under the usual supervision; on failure it is
        left running for the caller to stop.
        """
        started = self.clock()
        deadline = started + timeout
        checks: list[dict] = []

        def verdict(ok: bool, why: str | None = None) -> dict:
            return {"ok": ok, "checks": checks, "seconds": round(self.clock() - started, 3), "why": why, "kernel_pid": self.proc.pid if self.proc else None}

        self._start_kernel()
        if self.proc is None:
            return verdict(False, self.policy.reason)
        for command in ("ping", "status", "selfcheck"):
            while True:
                code = self.proc.poll()
                if code is not None:
                    checks.append({"check": command, "ok": False, "error": f"the kernel {describe_exit(code)}"})
                    return verdict(False, f"the new kernel {describe_exit(code)} before answering {command}")
                left = deadline - self.clock()
                if left <= 0:
                    checks.append({"check": command, "ok": False, "error": f"no answer within the gate's {timeout:g}s"})
                    return verdict(False, f"{command} not answered within {timeout:g}s")
                reply = self.pinger.ask({"command": command}, min(left, max(1.0, self.settings.ping_interval)))
                if reply is None:
                    continue  # still starting (ping), or busy: ask again until the deadline
                if reply.get("status") != "ok":
                    error = reply.get("error") or {}
                    checks.append({"check": command, "ok": False, "error": error})
                    return verdict(False, f"{command} answered {error.get('code', 'an error')}: {error.get('message', reply)}")
                checks.append({"check": command, "ok": True, "result": _summary(command, reply.get("result"))})
                if command == "ping" and self.policy.state is State.STARTING:
                    now = self.clock()
                    self.policy.ready(now)
                    logger.info("kernel pid %d answers ping at %s (%.1fs after start)", self.proc.pid, self.settings.endpoint, now - self._spawned_at)
                    self._ping_sent_at = now
                    self._next_ping_at = now + self.settings.ping_interval
                break
        self.pinger.reset()
        return verdict(True)

    def _transition(self, old: State, new: State, reason: str) -> None:
        level = {State.FATAL: logging.CRITICAL, State.BACKOFF: logging.WARNING}.get(new, logging.INFO)
        logger.log(level, "%s -> %s: %s", old.name, new.name, reason)
        self.publish()


def _summary(command: str, result: Any) -> Any:
    """The part of a gate reply worth keeping in update_result.json."""
    if not isinstance(result, dict):
        return result
    if command == "status":
        return {k: result.get(k) for k in ("pid", "version", "uptime", "objects") if k in result} | {"image": result.get("image")}
    if command == "selfcheck":
        return {k: result.get(k) for k in ("healthy", "schema_version", "expected_schema_version", "objects", "methods")}
    return result

"""The watchdog: keep one kernel (``batos.py``) running and answering.

``min_watchdog_service.py`` is the entry point (flags, logging, signals);
this module is the loop. Around it: the restart policy
(:mod:`bat_os.supervise.policy`, pure), the kernel's process
(:mod:`~bat_os.supervise.process`), the ping socket (:mod:`~bat_os.supervise.pinger`),
the state file (:mod:`~bat_os.supervise.statefile`), the upgrade gate
(:mod:`~bat_os.supervise.gate`) and gated upgrades (:mod:`~bat_os.supervise.upgrade`),
which see the watchdog only as a :class:`~bat_os.supervise.control.KernelControl`.
The clock, sleep, process spawner and pinger are injectable.

What the loop does, every ``TICK``:

* the kernel process exited -> restart after a backoff (see the policy);
  exit code 2 or 3 (bad configuration, unreadable image) -> FATAL at once;
* it answered no ping for ``hang_timeout`` seconds (hung, or SIGSTOPped)
  -> SIGTERM, SIGKILL after ``stop_grace``, then restart;
* a new kernel that is not serving within ``start_timeout`` (no ping answered, or only its door's pongs that say
  ``"starting": true``) is treated as hung;
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

import logging
import os
import shlex
import subprocess
import time
from typing import Any, Callable

from bat_os.supervise import gate
from bat_os.supervise.control import INSTRUCTIONS, Settings
from bat_os.supervise.pinger import Pinger
from bat_os.supervise.policy import RestartPolicy, State
from bat_os.supervise.process import (
    describe_exit,
    kernel_command,
    kernel_environment,
    spawn_kernel,
    terminate,
)
from bat_os.supervise.statefile import StateFile, process_started
from bat_os.supervise.upgrade import Upgrade

logger = logging.getLogger(__name__)

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


class Watchdog:
    """Runs one kernel under a :class:`RestartPolicy`. :meth:`run` returns the exit code.

    It is the :class:`~bat_os.supervise.control.KernelControl` an upgrade uses
    (``settings``, ``wall_clock``, :meth:`stop_for_upgrade`, :meth:`start_and_gate`,
    :meth:`publish_upgrade`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        policy: RestartPolicy | None = None,
        spawn: Callable[[list[str], dict[str, str]], subprocess.Popen] = spawn_kernel,
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
            self.last_upgrade = Upgrade(self).run()
            self.upgrading = None
            self._fatal_reported = False
            self.publish()

    def _start_kernel(self) -> None:
        now = self.clock()
        command = kernel_command(self.settings)
        self.policy.start(now)
        try:
            self.proc = self.spawn(command, kernel_environment(self.settings))
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
        if self.policy.state is State.STARTING and _starting(reply):
            # its door answered (bat_os.kernel.door): alive, not started (start_timeout still counts); ask again
            # within a tick, so it is seen serving soon after it does, without a ping loop beside its start
            self._next_ping_at = now + TICK
            return
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
        return terminate(self.proc, grace, clock=self.clock, sleep=self.sleep, tick=TICK, hurry=lambda: self._hurry)

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

    # --- KernelControl, for the upgrade (bat_os.supervise.upgrade) ---------------------------
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
        self._start_kernel()
        if self.proc is None:  # it could not be started: the policy says why
            ok, checks, why = False, [], self.policy.reason
        else:
            checks, why = gate.run_checks(
                self.proc, self.pinger.ask, deadline=started + timeout, timeout=timeout,
                interval=self.settings.ping_interval, clock=self.clock, on_ping=self._gate_answered_ping,
            )
            ok = why is None
            if ok:
                self.pinger.reset()
        return {"ok": ok, "checks": checks, "seconds": round(self.clock() - started, 3), "why": why,
                "kernel_pid": self.proc.pid if self.proc else None}

    def _gate_answered_ping(self) -> None:
        if self.policy.state is State.STARTING:
            now = self.clock()
            self.policy.ready(now)
            logger.info("kernel pid %d answers ping at %s (%.1fs after start)", self.proc.pid, self.settings.endpoint, now - self._spawned_at)
            self._ping_sent_at = now
            self._next_ping_at = now + self.settings.ping_interval

    def publish_upgrade(self, upgrading: dict | None) -> None:
        self.upgrading = upgrading
        self.publish()

    def _transition(self, old: State, new: State, reason: str) -> None:
        level = {State.FATAL: logging.CRITICAL, State.BACKOFF: logging.WARNING}.get(new, logging.INFO)
        logger.log(level, "%s -> %s: %s", old.name, new.name, reason)
        self.publish()


def _starting(reply: dict) -> bool:
    """A pong from a kernel still starting: its door answers before the image is open (and may never be)."""
    result = reply.get("result")
    return isinstance(result, dict) and result.get("starting") is True

#!/usr/bin/env python3
"""BAT OS minimal watchdog: keep one kernel (``batos.py``) running and answering.

    python min_watchdog_service.py [run] [--image PATH] [--endpoint EP] [--config F]
        [--ping-interval S] [--hang-timeout S] [--max-restarts N] [--restart-window S]
        [--log-file F] [other flags, see --help] [-- FLAGS FOR batos.py]

It starts ``[sys.executable, "batos.py", ...]`` (``batos.py`` beside this
script; ``--image``, ``--config`` and anything after ``--`` are passed on,
and ``--endpoint`` always, resolved the way the kernel resolves it: flags,
then ``BATOS_*`` environment, then ``batos.toml``), and pings it over ZeroMQ
every ``--ping-interval`` seconds. Then:

* the kernel process exits -> it is restarted after a backoff (1 s, 2 s,
  4 s, ... up to 60 s, with jitter; reset once it has run healthily for 60 s);
* it answers no ping for ``--hang-timeout`` seconds (hung, or SIGSTOPped)
  -> SIGTERM, SIGKILL after ``--stop-grace`` seconds, then restart;
* it exits with code 2 (bad configuration) or 3 (the image cannot be
  opened) -> the watchdog gives up at once, since restarting cannot help;
* a failure that would need more than ``--max-restarts`` restarts within
  ``--restart-window`` seconds -> crash loop: the watchdog gives up;
* a new kernel that answers no ping within ``--start-timeout`` seconds is
  treated like a hung one;
* SIGTERM/SIGINT (Ctrl+C)/SIGHUP to the watchdog -> SIGTERM to the kernel,
  wait for it (SIGKILL after ``--stop-grace``), exit 0. A second signal
  cuts the wait short.

Every way of giving up is logged as ``giving up (exit code N): why``.
Exit codes: 0 stopped on request; 1 an unexpected failure, or a kernel
already answers at the endpoint; 2 bad flags or configuration; 3 the image
cannot be opened; 4 crash loop.

The kernel shares the watchdog's stdout/stderr (its log is also in its own
``--log-file``, data/batos.log by default). On Windows the kernel runs in
its own process group: Ctrl+C reaches the watchdog only, and the polite stop
is CTRL_BREAK (the kernel does not handle it yet, so it ends at once; what
it committed is safe).

The restart policy is :class:`bat_os.supervision.RestartPolicy` (pure, unit
tested); this file owns the processes, the socket and the log. The clock,
sleep, process spawner and pinger are injectable.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import logging.handlers
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, NoReturn, Sequence

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script from another directory
    sys.path.insert(0, str(HERE))

from bat_os.supervision import RestartPolicy, State  # noqa: E402

logger = logging.getLogger("bat_os.watchdog")

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


@dataclass(frozen=True)
class Settings:
    kernel_args: list[str] = field(default_factory=list)  # flags for batos.py
    endpoint: str = ""  # where the kernel binds and the watchdog pings; set by resolve()
    ping_interval: float = 5.0
    hang_timeout: float = 60.0
    start_timeout: float = 120.0
    stop_grace: float = 15.0
    max_restarts: int = 5
    restart_window: float = 60.0
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    healthy_after: float = 60.0
    log_file: Path | None = None
    log_level: str = "INFO"


# --- command line ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    d = Settings()
    parser = argparse.ArgumentParser(
        prog="min_watchdog_service.py",
        description="Start the BAT OS kernel, ping it, restart it when it dies or hangs.",
        epilog="Flags after '--' go to batos.py unchanged (e.g. -- --log-file data/batos.log --audit-file a.jsonl).",
    )
    parser.add_argument("action", nargs="?", default="run", choices=("run",), help="what to do (default: run)")
    kernel = parser.add_argument_group("kernel (passed on to batos.py)")
    kernel.add_argument("--image", help="image file (default: the kernel's, data/live_image.fs)")
    kernel.add_argument("--endpoint", help="ZeroMQ endpoint (default: the kernel's, tcp://127.0.0.1:5555)")
    kernel.add_argument("--config", help="TOML configuration file")
    watch = parser.add_argument_group("watchdog")
    watch.add_argument("--ping-interval", type=float, default=d.ping_interval, metavar="S", help="seconds between pings; also how long a reply is awaited (default %(default)s)")
    watch.add_argument("--hang-timeout", type=float, default=d.hang_timeout, metavar="S", help="seconds without an answer before the kernel is killed and restarted (default %(default)s)")
    watch.add_argument("--start-timeout", type=float, default=d.start_timeout, metavar="S", help="seconds a new kernel may take to answer its first ping (default %(default)s)")
    watch.add_argument("--stop-grace", type=float, default=d.stop_grace, metavar="S", help="seconds between SIGTERM and SIGKILL (default %(default)s)")
    watch.add_argument("--max-restarts", type=int, default=d.max_restarts, metavar="N", help="restarts allowed within --restart-window before giving up (default %(default)s)")
    watch.add_argument("--restart-window", type=float, default=d.restart_window, metavar="S", help="the crash-loop window in seconds (default %(default)s)")
    watch.add_argument("--backoff-initial", type=float, default=d.backoff_initial, metavar="S", help="first restart delay; doubles per restart (default %(default)s)")
    watch.add_argument("--backoff-max", type=float, default=d.backoff_max, metavar="S", help="the longest restart delay (default %(default)s)")
    watch.add_argument("--healthy-after", type=float, default=d.healthy_after, metavar="S", help="seconds of answering pings that reset the backoff (default %(default)s)")
    watch.add_argument("--log-file", help="the watchdog's own log, rotated (default: stderr only)")
    watch.add_argument("--log-level", default=d.log_level, choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="the watchdog's log level (default %(default)s)")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> Settings:
    """The watchdog's flags -> Settings (endpoint not yet resolved). Exits 2 on a bad flag."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("ping_interval", "hang_timeout", "start_timeout", "stop_grace", "restart_window"):
        if not getattr(args, name) > 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.max_restarts < 0:
        parser.error("--max-restarts must be 0 or more")
    if not 0 <= args.backoff_initial <= args.backoff_max:
        parser.error("need 0 <= --backoff-initial <= --backoff-max")
    if args.healthy_after < 0:
        parser.error("--healthy-after must be 0 or more")

    kernel_args = [f"--{name}={value}" for name in ("image", "endpoint", "config") if (value := getattr(args, name)) is not None]
    return Settings(
        kernel_args=kernel_args + extra,
        ping_interval=args.ping_interval,
        hang_timeout=args.hang_timeout,
        start_timeout=args.start_timeout,
        stop_grace=args.stop_grace,
        max_restarts=args.max_restarts,
        restart_window=args.restart_window,
        backoff_initial=args.backoff_initial,
        backoff_max=args.backoff_max,
        healthy_after=args.healthy_after,
        log_file=Path(args.log_file) if args.log_file else None,
        log_level=args.log_level,
    )


class KernelConfigError(Exception):
    """The kernel would refuse its flags or configuration (it would exit 2)."""


def resolve(settings: Settings, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Work out the endpoint exactly as batos.py will (flags, BATOS_* environment,
    batos.toml) and pin it on the kernel's command line, so the kernel binds where
    the watchdog pings. Raises :class:`KernelConfigError`."""
    from bat_os import cli, config
    from bat_os.errors import ConfigError

    kernel_parser = cli.build_parser()

    def refuse(message: str) -> NoReturn:
        raise KernelConfigError(f"the flags for batos.py are not valid: {message}")

    kernel_parser.error = refuse  # type: ignore[method-assign]  # raise instead of printing and exiting
    try:
        endpoint = config.load(kernel_parser.parse_args(settings.kernel_args), environ=environ, cwd=cwd).endpoint
    except ConfigError as exc:
        raise KernelConfigError(f"the kernel's configuration is invalid: {exc}") from exc
    kernel_args = list(settings.kernel_args)
    if not any(a == "--endpoint" or a.startswith("--endpoint=") for a in kernel_args):
        kernel_args.append(f"--endpoint={endpoint}")
    return dataclasses.replace(settings, endpoint=endpoint, kernel_args=kernel_args)


def kernel_command(settings: Settings) -> list[str]:
    return [sys.executable, str(HERE / "batos.py"), *settings.kernel_args]


# --- processes -----------------------------------------------------------------------------


def spawn_kernel(command: list[str]) -> subprocess.Popen:
    """Start the kernel; its stdout/stderr are the watchdog's."""
    # The kernel gets its own process group (its own session on POSIX), so that
    # Ctrl+C, Ctrl+Z or a closing terminal reach the watchdog only: it alone
    # decides when the kernel stops, and signals it exactly once. (Otherwise a
    # Ctrl+C stops the kernel and the watchdog's SIGTERM then lands in the
    # middle of the kernel's own shutdown.) On Windows CTRL_BREAK can then be
    # sent to the kernel alone.
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


# --- the ping ------------------------------------------------------------------------------


class Pinger:
    """A sync DEALER that pings one endpoint; a fresh socket after every missed reply."""

    def __init__(self, endpoint: str) -> None:
        import zmq

        self._zmq = zmq
        self.endpoint = endpoint
        self.ctx = zmq.Context()
        self.sock = None
        self.counter = 0
        self.pending: int | None = None  # id of the ping awaiting its reply

    def _socket(self):
        if self.sock is None:
            zmq = self._zmq
            self.sock = self.ctx.socket(zmq.DEALER)
            self.sock.setsockopt(zmq.LINGER, 0)
            self.sock.connect(self.endpoint)
        return self.sock

    def send(self) -> None:
        from bat_os import protocol

        self.counter += 1
        self.pending = self.counter
        try:
            self._socket().send(protocol.encode({"command": "ping", "id": self.pending}), self._zmq.NOBLOCK)
        except self._zmq.Again:  # nowhere to queue it: counts as unanswered
            logger.debug("ping %d could not be queued", self.pending)

    def receive(self, timeout: float) -> dict | None:
        """Wait up to ``timeout`` seconds for the reply to the pending ping."""
        from bat_os import protocol

        if self.pending is None or self.sock is None:
            return None
        if not self.sock.poll(max(0, int(timeout * 1000))):
            return None
        while self.sock.poll(0):
            try:
                reply = protocol.decode(self.sock.recv())
            except protocol.DecodeError as exc:
                logger.warning("undecodable reply to a ping: %s", exc)
                continue
            if isinstance(reply, dict) and reply.get("id") == self.pending:
                self.pending = None
                return reply
            logger.debug("ignoring a stale reply: %r", reply)
        return None

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
        pinger.send()
        return pinger.receive(timeout) is not None
    finally:
        pinger.close()


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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
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
            self.policy.listener = self._log_transition
        self.pinger = pinger or Pinger(settings.endpoint)
        self.proc: subprocess.Popen | None = None
        self.exit_code = EXIT_OK
        self.stop_reason: str | None = None
        self._hurry = False  # a second stop request: do not wait out the grace period
        # the current kernel's ping bookkeeping
        self._spawned_at = 0.0
        self._next_ping_at = 0.0
        self._ping_sent_at = 0.0
        self._unanswered_since: float | None = None  # when the first still-unanswered ping went out

    # --- requests from outside (signal handlers; later: a status/stop command) ---------
    def request_stop(self, reason: str) -> None:
        """Stop the kernel and return 0 from :meth:`run`. Safe in a signal handler."""
        if self.stop_reason is None:
            self.stop_reason = reason
        else:
            self._hurry = True

    def status(self) -> dict[str, Any]:
        snapshot = self.policy.snapshot(self.clock())
        snapshot["pid"] = self.proc.pid if self.proc is not None else None
        snapshot["endpoint"] = self.settings.endpoint
        return snapshot

    # --- the loop ----------------------------------------------------------------------------
    def run(self) -> int:
        s = self.settings
        logger.info(
            "watchdog pid %d for %s: ping every %gs, hang after %gs, at most %d restarts in %gs",
            os.getpid(), s.endpoint, s.ping_interval, s.hang_timeout, s.max_restarts, s.restart_window,
        )
        try:
            self._start_kernel()
            while True:
                if self.stop_reason is not None:
                    return self._shutdown()
                state = self.policy.state
                if state is State.FATAL:
                    logger.critical("giving up (exit code %d): %s", self.exit_code, self.policy.reason)
                    return self.exit_code
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
        state = self.policy.state
        if state is State.FATAL:
            return self.exit_code
        if state in (State.STARTING, State.RUNNING, State.BACKOFF):
            self.policy.stop(self.stop_reason or "stop requested", self.clock())
        if self.proc is not None:
            pid = self.proc.pid
            code = self._terminate(self.settings.stop_grace)
            if code is None:
                return EXIT_FAILED
            logger.info("kernel pid %d %s", pid, describe_exit(code))
            self.proc = None
        if self.policy.state is State.STOPPING:
            self.policy.stopped(self.clock())
        logger.info("watchdog stopped")
        return EXIT_OK

    def _log_transition(self, old: State, new: State, reason: str) -> None:
        level = {State.FATAL: logging.CRITICAL, State.BACKOFF: logging.WARNING}.get(new, logging.INFO)
        logger.log(level, "%s -> %s: %s", old.name, new.name, reason)


# --- entry point ------------------------------------------------------------------------------


def setup_logging(log_file: Path | None, level: str) -> None:
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter)
    root.addHandler(stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(log_file, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8")
        rotating.setFormatter(formatter)
        root.addHandler(rotating)


def install_signal_handlers(watchdog: Watchdog) -> None:
    def handler(signum: int, frame: Any) -> None:  # no logging here: the loop logs the reason
        watchdog.request_stop(f"{signal.Signals(signum).name} received")

    for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGBREAK"):
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    setup_logging(settings.log_file, settings.log_level)
    try:
        settings = resolve(settings)
    except KernelConfigError as exc:
        logger.critical("giving up (exit code %d): %s", EXIT_CONFIG, exc)
        return EXIT_CONFIG
    if someone_answers(settings.endpoint):
        logger.error(
            "giving up (exit code %d): a kernel already answers at %s; stop it (or its watchdog) first, or choose another --endpoint",
            EXIT_FAILED, settings.endpoint,
        )
        return EXIT_FAILED
    watchdog = Watchdog(settings)
    install_signal_handlers(watchdog)
    try:
        return watchdog.run()
    except Exception:  # a bug: say so where a launcher's user will look
        logger.critical("giving up (exit code %d): unexpected error", EXIT_FAILED, exc_info=True)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

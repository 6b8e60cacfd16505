#!/usr/bin/env python3
"""BAT OS watchdog service: keep one kernel (``batos.py``) running, answering and upgradable.

    python min_watchdog_service.py [run] [--image PATH] [--endpoint EP] [--config F]
        [--ping-interval S] [--hang-timeout S] [--max-restarts N] [--restart-window S]
        [--state-file F] [--workdir D] [--log-file F] [other flags, see --help] [-- FLAGS FOR batos.py]
    python min_watchdog_service.py status [--state-file F] [--json]
    python min_watchdog_service.py stop [--state-file F] [--timeout S]

``run`` starts ``[sys.executable, "batos.py", ...]`` (``batos.py`` beside this
script; ``--image``, ``--config`` and anything after ``--`` are passed on, and
``--endpoint`` always, resolved the way the kernel resolves it: flags, then
``BATOS_*`` environment, then ``batos.toml``), pings it, restarts it when it
dies or hangs, gives up on a crash loop (FATAL: then it waits for ``stop`` or
an upgrade instruction), and carries out gated upgrades from
``update_instructions.json`` in ``--workdir``. The loop is
:class:`bat_os.supervise.watchdog.Watchdog`; the restart policy
:mod:`bat_os.supervise.policy`; upgrades :mod:`bat_os.supervise.upgrade`. See
docs/operations.md.

Every way of giving up is logged as ``giving up (exit code N): why``.
``run`` exit codes: 0 stopped on request; 1 an unexpected failure, or a
kernel or watchdog already runs; 2 bad flags or configuration; 3 the image
cannot be opened; 4 crash loop (3 and 4 only with ``--exit-on-fatal``, or
when stopped while FATAL).

``status`` exit codes: 0 the watchdog runs and its kernel answers; 1 it runs
but the kernel does not answer yet (starting, restarting, upgrading); 3 no
watchdog runs; 4 the watchdog has given up (FATAL) and waits; 2 bad flags.
``stop`` exit codes: 0 stopped (or none was running); 1 still running after
``--timeout``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import logging.handlers
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, Mapping, NoReturn, Sequence

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script from another directory
    sys.path.insert(0, str(HERE))

# Everything the watchdog will ever run is imported now (the watchdog imports the upgrade,
# the upgrade the backups): an upgrade that moves the checkout to other code must not
# change the running watchdog halfway.
from bat_os.supervise.control import Settings  # noqa: E402
from bat_os.supervise.pinger import Pinger, someone_answers  # noqa: E402
from bat_os.supervise.statefile import read_state, watchdog_alive  # noqa: E402
from bat_os.supervise.watchdog import EXIT_CONFIG, EXIT_FAILED, Watchdog  # noqa: E402

logger = logging.getLogger("bat_os.supervise.watchdog")

STATUS_RUNNING = 0  # the watchdog runs and its kernel answers
STATUS_NOT_READY = 1  # it runs; the kernel is starting, restarting or being upgraded
STATUS_NOT_RUNNING = 3  # no watchdog (the LSB "program is not running" code)
STATUS_FATAL = 4  # it has given up and waits for an operator or an upgrade


# --- command line ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    d = Settings()
    parser = argparse.ArgumentParser(
        prog="min_watchdog_service.py",
        description="Start the BAT OS kernel, ping it, restart it when it dies or hangs, carry out gated upgrades.",
        epilog="Flags after '--' go to batos.py unchanged (e.g. -- --log-file data/batos.log --audit-file a.jsonl). "
        "Exit codes: see the top of this file or docs/operations.md.",
    )
    parser.add_argument("action", nargs="?", default="run", choices=("run", "status", "stop"), help="run the watchdog (default), report on the running one, or stop it")
    parser.add_argument("--state-file", default=str(d.state_file), metavar="F", help="the watchdog's pid/state file (default %(default)s); 'stop' also writes F's .stop beside it")
    control = parser.add_argument_group("status and stop")
    control.add_argument("--json", action="store_true", help="status: print the state file (plus 'alive' and 'answers') as JSON")
    control.add_argument("--timeout", type=float, default=60.0, metavar="S", help="stop: how long to wait for the watchdog to exit (default %(default)s)")
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
    watch.add_argument("--exit-on-fatal", action="store_true", help="on a crash loop or an unusable image, exit (code 3 or 4) instead of waiting for an operator or an upgrade")
    watch.add_argument("--log-file", help="the watchdog's own log, rotated (default: stderr only)")
    watch.add_argument("--log-level", default=d.log_level, choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="the watchdog's log level (default %(default)s)")
    upgrades = parser.add_argument_group("gated upgrades")
    upgrades.add_argument("--workdir", default=str(d.workdir), metavar="D", help="where update_instructions.json is looked for and update_result.json written; upgrades/ holds their history (default: the current directory)")
    upgrades.add_argument("--gate-timeout", type=float, default=d.gate_timeout, metavar="S", help="seconds an upgraded kernel has to pass ping, status and selfcheck (default %(default)s)")
    upgrades.add_argument("--step-timeout", type=float, default=d.step_timeout, metavar="S", help="default time limit of one upgrade step (default %(default)s)")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> tuple[str, argparse.Namespace, Settings]:
    """The flags -> (action, raw args, Settings with the endpoint not yet resolved). Exits 2 on a bad flag."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("ping_interval", "hang_timeout", "start_timeout", "stop_grace", "restart_window", "gate_timeout", "step_timeout", "timeout"):
        if not getattr(args, name) > 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.max_restarts < 0:
        parser.error("--max-restarts must be 0 or more")
    if not 0 <= args.backoff_initial <= args.backoff_max:
        parser.error("need 0 <= --backoff-initial <= --backoff-max")
    if args.healthy_after < 0:
        parser.error("--healthy-after must be 0 or more")

    image_args = [f"--{name}={value}" for name in ("image", "config") if (value := getattr(args, name)) is not None]
    kernel_args = image_args + ([f"--endpoint={args.endpoint}"] if args.endpoint is not None else [])
    settings = Settings(
        kernel_args=kernel_args + extra,
        image_args=image_args,
        ping_interval=args.ping_interval,
        hang_timeout=args.hang_timeout,
        start_timeout=args.start_timeout,
        stop_grace=args.stop_grace,
        max_restarts=args.max_restarts,
        restart_window=args.restart_window,
        backoff_initial=args.backoff_initial,
        backoff_max=args.backoff_max,
        healthy_after=args.healthy_after,
        exit_on_fatal=args.exit_on_fatal,
        state_file=Path(args.state_file) if args.state_file else None,
        workdir=Path(args.workdir),
        gate_timeout=args.gate_timeout,
        step_timeout=args.step_timeout,
        log_file=Path(args.log_file) if args.log_file else None,
        log_level=args.log_level,
    )
    return args.action, args, settings


class KernelConfigError(Exception):
    """The kernel would refuse its flags or configuration (it would exit 2)."""


def resolve(settings: Settings, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Work out the endpoint and image exactly as batos.py will (flags, BATOS_* environment,
    batos.toml) and pin the endpoint on the kernel's command line, so the kernel binds where
    the watchdog pings. Raises :class:`KernelConfigError`."""
    from bat_os import config
    from bat_os.cli import main as cli

    from bat_os.errors import ConfigError

    kernel_parser = cli.build_parser()

    def refuse(message: str) -> NoReturn:
        raise KernelConfigError(f"the flags for batos.py are not valid: {message}")

    kernel_parser.error = refuse  # type: ignore[method-assign]  # raise instead of printing and exiting
    try:
        loaded = config.load(kernel_parser.parse_args(settings.kernel_args), environ=environ, cwd=cwd)
    except ConfigError as exc:
        raise KernelConfigError(f"the kernel's configuration is invalid: {exc}") from exc
    kernel_args = list(settings.kernel_args)
    if not any(a == "--endpoint" or a.startswith("--endpoint=") for a in kernel_args):
        kernel_args.append(f"--endpoint={loaded.endpoint}")
    return dataclasses.replace(
        settings, endpoint=loaded.endpoint, kernel_args=kernel_args, image=Path(loaded.image).resolve(), blob_dir=Path(loaded.blob_dir).resolve()
    )


# --- status and stop ------------------------------------------------------------------------


def status(state_file: Path, as_json: bool) -> int:
    """Report on the watchdog the state file names; see STATUS_* for the exit code."""
    state = read_state(state_file)
    alive = watchdog_alive(state)
    answers = False
    if alive and state.get("endpoint"):
        pinger = Pinger(state["endpoint"])
        try:
            answers = pinger.ask({"command": "ping"}, 1.0) is not None
        finally:
            pinger.close()
    if not alive:
        code = STATUS_NOT_RUNNING
    elif state.get("state") == "fatal":
        code = STATUS_FATAL
    elif answers and state.get("state") == "running":
        code = STATUS_RUNNING
    else:
        code = STATUS_NOT_READY
    if as_json:
        print(json.dumps({**(state or {}), "alive": alive, "answers": answers, "state_file": str(state_file)}, indent=1, sort_keys=True))
    elif not alive:
        print(f"not running (no live watchdog in {state_file})")
    else:
        kernel = f"kernel pid {state.get('kernel_pid')}" if state.get("kernel_pid") else "no kernel"
        print(f"watchdog pid {state['pid']}: {state.get('state')} ({state.get('reason')}); {kernel} at {state.get('endpoint')} "
              f"{'answers ping' if answers else 'does not answer ping'}; {state.get('restarts', 0)} restart(s)")
        if state.get("upgrading"):
            print(f"upgrade {state['upgrading'].get('id')} in progress: {state['upgrading'].get('stage')}")
        if state.get("last_upgrade"):
            last = state["last_upgrade"]
            print(f"last upgrade {last.get('id')}: {last.get('status')}{': ' + last['why'] if last.get('why') else ''}")
        if code == STATUS_FATAL:
            print("it has given up: see its log" + (f" ({state['log_file']})" if state.get("log_file") else "") + "; stop it, fix the cause, start it again")
    return code


def stop(state_file: Path, timeout: float) -> int:
    """Ask the watchdog to stop (stop file; SIGTERM as well where there are signals) and wait."""
    state = read_state(state_file)
    if not watchdog_alive(state):
        print(f"not running (no live watchdog in {state_file})")
        return 0
    pid = state["pid"]
    state_file.with_suffix(".stop").write_text(f"stop requested by pid {os.getpid()}\n", encoding="utf-8")
    if os.name != "nt":
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not watchdog_alive(state):
            print(f"watchdog pid {pid} stopped")
            return 0
        time.sleep(0.1)
    print(f"watchdog pid {pid} is still running after {timeout:g}s", file=sys.stderr)
    return 1


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
        if signum is None:
            continue
        if name == "SIGHUP" and signal.getsignal(signum) == signal.SIG_IGN:
            continue  # started with nohup: a closing terminal must not stop the service
        signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    action, args, settings = parse_args(argv)
    if action == "status":
        return status(Path(args.state_file), args.json)
    if action == "stop":
        return stop(Path(args.state_file), args.timeout)
    setup_logging(settings.log_file, settings.log_level)
    lock = None
    if settings.state_file is not None:
        lock = take_lock(settings.state_file)
        if lock is None:
            return EXIT_FAILED
    try:
        return serve(settings)
    finally:
        if lock is not None:
            lock.close()


def take_lock(state_file: Path) -> Any:
    """One watchdog per state file: hold ``<state file>.lock`` for life (None: another holds it)."""
    import zc.lockfile

    state_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        return zc.lockfile.LockFile(str(state_file) + ".lock")
    except zc.lockfile.LockError:
        other = read_state(state_file) or {}
        logger.error(
            "giving up (exit code %d): another watchdog%s already runs for %s; use 'status' or 'stop'",
            EXIT_FAILED, f" (pid {other['pid']})" if isinstance(other.get("pid"), int) else "", state_file,
        )
        return None


def serve(settings: Settings) -> int:
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

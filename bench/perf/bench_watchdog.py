#!/usr/bin/env python3
"""Watchdog: ``kill -9`` of the kernel to the first ``ping`` answer of its successor, and the watchdog's idle CPU.

    .venv/bin/python bench/perf/bench_watchdog.py [--quick] [--strict] [--runs N] [--idle-seconds S]

Everything is a real process: ``min_watchdog_service.py run`` on a free port
with a temp image, supervising a real ``batos.py`` (environment as in the
tests: HF_HUB_OFFLINE=1, BATOS_MEMORY_WARMUP=0, no other BATOS_* variables).

1. Restart after ``kill -9``. The watchdog runs with its default ping
   interval (5 s) and backoff (1 s, doubling, jitter up to -20 %), but with
   ``--max-restarts 100 --healthy-after 1``: otherwise ten kills in a row
   would trip the crash-loop detector (5 restarts in 60 s) and double the
   backoff each time. Before each kill the bench waits until the watchdog has
   seen the kernel answer its pings for ``--healthy-after`` seconds and reset
   the backoff (its log says so), so every restart is the first after a healthy
   run: no delay (``bat_os.supervise.policy``); the first kill waits the first
   delay (1 s) after the watchdog saw the first kernel serve.
   Each run: an acknowledged ``set_slot`` (``genesis_obj.bench_n = i``), then
   ``SIGKILL`` to the kernel; the clock runs from just before the kill to the
   first ``{"status": "ok"}`` answer to a ``ping`` (a DEALER opened once the old
   kernel is dead, retrying its connection every 5 ms); then ``status`` must
   name a new pid and ``inspect`` must still show the value.
   Baseline, alternating with the runs: the kernel's own start on an existing
   image (``python batos.py --image ... --endpoint ...``, no watchdog), Popen
   to first ping answer, as in bench_startup.py.
   Target (issue 42): p99 kill -> first ping <= 0.5 s; no acknowledged write lost. The kernel answers
   ``ping`` from its door while it starts (``bat_os.kernel.door``); the ``inspect`` that follows waits until
   it serves.

2. Watchdog overhead. A watchdog with every default (ping every 5 s) and its
   kernel idle: CPU time of the watchdog process alone (psutil
   ``cpu_times()`` user + system; its child, the kernel, is not counted) over
   ``--idle-seconds`` (default 30), as % of one core. Target < 1 % (shown as
   ``<= 1%``). The same with ``--ping-interval 1`` is printed for information,
   and the idle kernel's own CPU as context.

``--state-file`` (if ``min_watchdog_service.py run --help`` lists it) is passed
to every watchdog, pointing into the temp dir.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import (  # noqa: E402
    PYTHON, ROOT, BenchKernel, Client, Pinger, Summary, connect_dealer, free_port, header, kernel_env, median,
    pack, parser, percentile, unpack,
)

import psutil  # noqa: E402
import zmq  # noqa: E402

WATCHDOG = ROOT / "min_watchdog_service.py"
TARGET_RESTART_SECONDS = 0.5
TARGET_CPU_PERCENT = 1.0
DEFAULT_PING_INTERVAL = 5.0  # the watchdog's default; only used to size our waits
HEALTHY_AFTER = 1.0  # --healthy-after for part 1 (the default is 60 s)
BACKOFF_INITIAL = 1.0  # the watchdog's default first delay: a kernel killed sooner than this after it served backs off
MAX_RESTARTS = 100  # --max-restarts for part 1 (the default, 5 in 60 s, would stop the bench)


def watchdog_flags_supported() -> set[str]:
    """The long flags ``min_watchdog_service.py run --help`` lists right now."""
    result = subprocess.run([PYTHON, str(WATCHDOG), "run", "--help"], cwd=ROOT, env=kernel_env(), capture_output=True, text=True, timeout=60)
    return set(re.findall(r"--[a-z][a-z0-9-]*", result.stdout))


class Watchdog:
    """``python min_watchdog_service.py run`` in its own session, with its own log and kernel files."""

    def __init__(self, workdir: Path, image: Path, flags: list[str], state_file: bool, env: dict[str, str] | None = None,
                 endpoint: str | None = None) -> None:
        self.workdir = workdir
        self.env = env or {}  # the kernel's settings (BATOS_*), beside the tests' (kernel_env)
        workdir.mkdir(parents=True, exist_ok=True)
        self.image = image
        self.endpoint = endpoint or f"tcp://127.0.0.1:{free_port()}"
        self.log_path = workdir / "watchdog.log"
        self.flags = list(flags) + (["--state-file", str(workdir / "watchdog.json")] if state_file else [])
        self.proc: subprocess.Popen | None = None
        self.kernel_pids: set[int] = set()

    def start(self) -> "Watchdog":
        args = [
            PYTHON, str(WATCHDOG), "run",
            "--image", str(self.image),
            "--endpoint", self.endpoint,
            "--log-file", str(self.log_path),
            *self.flags,
            "--",
            "--log-file", str(self.workdir / "kernel.log"),
            "--audit-file", str(self.workdir / "metacognition.jsonl"),
        ]
        with open(self.workdir / "watchdog-stderr.txt", "wb") as stderr:  # the kernel's stderr lands here too
            self.proc = subprocess.Popen(args, cwd=self.workdir, env=kernel_env(**self.env), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the watchdog exited with {self.proc.returncode}; its log:\n{self.log()[-4000:]}")

    def kernel_pid(self, timeout: float = 60.0, not_pid: int | None = None) -> int:
        """Ask the kernel for ``status`` until one (other than ``not_pid``) answers; its pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                reply = request(self.endpoint, {"command": "status"}, timeout=1.0)
            except TimeoutError:
                continue
            pid = reply["result"]["pid"]
            self.kernel_pids.add(pid)
            if pid != not_pid:
                return pid
            time.sleep(0.05)
        raise TimeoutError(f"no kernel (other than {not_pid}) answered status within {timeout}s; watchdog log:\n{self.log()[-4000:]}")

    def wait_for_log(self, text: str, timeout: float) -> bool:
        """Wait until ``text`` is in the watchdog's log; False if it did not appear in time."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            self.check_alive()
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self) -> int | None:
        """SIGTERM the watchdog (it stops its kernel); SIGKILL it and any kernel of ours left over."""
        code = None
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.kernel_pids.update(c.pid for c in psutil.Process(self.proc.pid).children())
            except psutil.NoSuchProcess:
                pass
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        elif self.proc is not None:
            code = self.proc.returncode
        for pid in self.kernel_pids:
            if is_our_kernel(pid, self.workdir):
                print(f"  (kernel pid {pid} outlived its watchdog: killing it)")
                os.kill(pid, signal.SIGKILL)
        return code


def is_our_kernel(pid: int, workdir: Path) -> bool:
    """``pid`` is still a live kernel with files in ``workdir`` (not a recycled pid)."""
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and "batos.py" in " ".join(proc.cmdline()) and str(workdir) in " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def request(endpoint: str, message: dict, timeout: float = 10.0) -> dict:
    with Client(endpoint) as client:
        return client.request(message, timeout)


def wait_dead(pid: int, timeout: float = 10.0) -> None:
    """Until ``pid`` is gone or a zombie (its sockets are closed by then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.001)
    raise TimeoutError(f"pid {pid} still alive {timeout}s after SIGKILL")


def first_ok_ping(endpoint: str, watchdog: Watchdog, started: float, timeout: float = 60.0) -> float:
    """Ping (resending every second, in case) until a ``{"status": "ok"}`` answer; perf_counter() at that answer."""
    ctx = zmq.Context()
    sock = connect_dealer(ctx, endpoint)
    try:
        n, next_send = 0, 0.0
        while True:
            now = time.perf_counter()
            if now - started > timeout:
                raise TimeoutError(f"no kernel answered ping within {timeout}s of the kill; watchdog log:\n{watchdog.log()[-4000:]}")
            if now >= next_send:
                n += 1
                sock.send(pack({"command": "ping", "id": n}))
                next_send = now + 1.0
            if sock.poll(5):
                reply = unpack(sock.recv_multipart()[-1])
                if isinstance(reply, dict) and reply.get("status") == "ok":
                    return time.perf_counter()
            else:
                watchdog.check_alive()
    finally:
        sock.close(0)
        ctx.term()


def backoff_of(log: str, pid: int) -> float:
    """The restart delay the watchdog chose after ``pid`` died (from its log; NaN if not found)."""
    for line in log.splitlines():
        if f"kernel pid {pid} " in line and (m := re.search(r"restarting in ([\d.]+)s", line)):
            return float(m.group(1))
    return float("nan")


def time_baseline(workdir: Path, image: Path) -> float:
    """``python batos.py`` on an existing image: seconds from Popen to first ping answer."""
    kernel = BenchKernel(workdir, image=image)
    try:
        with Pinger(kernel.endpoint) as pinger:
            t0 = time.perf_counter()
            kernel.start(wait=False)
            t1 = pinger.wait(kernel.proc, timeout=60, what="kernel")
    finally:
        if kernel.proc is not None:
            code = kernel.terminate(30)
            if code != 0:
                raise RuntimeError(f"baseline kernel exited with {code}: {kernel.stderr()}")
    return t1 - t0


def cpu_seconds(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system  # this process only; children_user/children_system are not added


def restart_runs(tmp: Path, runs: int, state_file: bool) -> tuple[list[float], list[float], list[float], int, Path]:
    """Part 1. Returns (kill->ping seconds, baseline seconds, backoff delays, lost writes, the image)."""
    base_dir = tmp / "baseline"
    base_dir.mkdir()
    prepare = BenchKernel(base_dir)  # awaken a fresh image once, untimed: the baseline resumes it
    prepare.start(timeout=60)
    prepare.terminate(30)

    wd = Watchdog(tmp / "restart", tmp / "restart" / "image" / "live_image.fs",
                  ["--max-restarts", str(MAX_RESTARTS), "--healthy-after", f"{HEALTHY_AFTER:g}"], state_file)
    restart, baseline, backoffs, lost = [], [], [], 0
    try:
        wd.start()
        pid = wd.kernel_pid(timeout=120)
        if not wd.wait_for_log(f"kernel pid {pid} answers ping at", DEFAULT_PING_INTERVAL + 5):
            print("  (the watchdog's log never said the first kernel answers; going on)")
        # A healthy run is one of at least the first delay (the policy's rule for a restart at once): the first
        # kernel has served only from that line on (its door's pongs while starting do not count), so wait it out.
        time.sleep(BACKOFF_INITIAL)
        print()
        print(f"{'run':>3} {'baseline':>9} {'kill->ping':>10} {'backoff':>8} {'minus backoff':>13} {'old pid':>8} {'new pid':>8} {'write kept':>10}")
        for i in range(runs):
            baseline.append(time_baseline(base_dir, prepare.image))
            if i > 0:  # the previous run's restart doubled the backoff: wait until it is reset
                reset_seen = wd.wait_for_log(f"kernel pid {pid} healthy for", HEALTHY_AFTER + 2 * DEFAULT_PING_INTERVAL + 5)
                if not reset_seen:
                    print(f"  (no 'healthy for' line for kernel pid {pid} in the watchdog's log; going on: the backoff may have grown)")
            reply = request(wd.endpoint, {"command": "set_slot", "target": "genesis_obj", "slot": "bench_n", "value": i})
            if reply.get("status") != "ok":
                raise RuntimeError(f"set_slot was not acknowledged: {reply}")

            t0 = time.perf_counter()
            os.kill(pid, signal.SIGKILL)
            wait_dead(pid)  # so the ping socket below never connects to the dying kernel
            t1 = first_ok_ping(wd.endpoint, wd, t0)
            restart.append(t1 - t0)

            new_pid = wd.kernel_pid(timeout=10, not_pid=pid)
            slots = request(wd.endpoint, {"command": "inspect", "target": "genesis_obj"})["result"]["slots"]
            kept = slots.get("bench_n") == i
            lost += not kept
            backoffs.append(backoff_of(wd.log(), pid))
            print(f"{i + 1:>3} {baseline[-1] * 1000:>6.0f} ms {restart[-1] * 1000:>7.0f} ms {backoffs[-1] * 1000:>5.0f} ms "
                  f"{(restart[-1] - backoffs[-1]) * 1000:>10.0f} ms {pid:>8} {new_pid:>8} {'yes' if kept else 'NO: ' + repr(slots.get('bench_n')):>10}")
            pid = new_pid
        wd.check_alive()
    finally:
        code = wd.stop()
    if code != 0:
        raise RuntimeError(f"the watchdog exited with {code} on SIGTERM (expected 0); its log:\n{wd.log()[-4000:]}")
    return restart, baseline, backoffs, lost, wd.image


def idle_cpu(workdir: Path, image: Path, flags: list[str], seconds: float, state_file: bool) -> tuple[float, float]:
    """Part 2: (watchdog CPU %, kernel CPU %) of one core over ``seconds`` with the kernel idle."""
    wd = Watchdog(workdir, image, flags, state_file)
    try:
        wd.start()
        pid = wd.kernel_pid(timeout=120)
        if not wd.wait_for_log(f"kernel pid {pid} answers ping at", 2 * DEFAULT_PING_INTERVAL + 5):
            print("  (the watchdog's log never said the kernel answers; measuring anyway)")
        time.sleep(2.0)  # let both settle after the start
        wd_before, k_before, t0 = cpu_seconds(wd.proc.pid), cpu_seconds(pid), time.perf_counter()
        time.sleep(seconds)
        wd.check_alive()
        wd_after, k_after, t1 = cpu_seconds(wd.proc.pid), cpu_seconds(pid), time.perf_counter()
        if wd.kernel_pid(timeout=10) != pid:
            raise RuntimeError(f"the kernel was restarted during the idle window; watchdog log:\n{wd.log()[-4000:]}")
    finally:
        code = wd.stop()
    if code != 0:
        raise RuntimeError(f"the watchdog exited with {code} on SIGTERM (expected 0); its log:\n{wd.log()[-4000:]}")
    wall = t1 - t0
    return (wd_after - wd_before) / wall * 100.0, (k_after - k_before) / wall * 100.0


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=None, help="kill -9 runs, each with one baseline start (default 10, --quick 3; --rounds is the same)")
    p.add_argument("--idle-seconds", type=float, default=None, help="CPU measuring window per watchdog (default 30, --quick 10)")
    p.add_argument("--no-idle", action="store_true", help="part 1 only: no idle CPU windows (bench_hot_paths.py)")
    args = p.parse_args()
    args.runs = args.runs or args.rounds or (3 if args.quick else 10)
    args.rounds = args.runs
    args.idle_seconds = args.idle_seconds or (10.0 if args.quick else 30.0)
    header("bench_watchdog: kill -9 -> first ping of the new kernel, and the watchdog's idle CPU", args)
    state_file = "--state-file" in watchdog_flags_supported()
    print(f"watchdog: {WATCHDOG.name} run, default ping interval ({DEFAULT_PING_INTERVAL:g} s) and backoff; "
          f"--state-file {'passed (listed by run --help)' if state_file else 'not passed (not listed by run --help)'}")

    with tempfile.TemporaryDirectory(prefix="batos-bench-watchdog-") as name:
        tmp = Path(name)
        print()
        print(f"1. kill -9 -> first ok ping, {args.runs} runs. Watchdog flags changed for this part only: "
              f"--max-restarts {MAX_RESTARTS} --healthy-after {HEALTHY_AFTER:g}")
        print(f"   (so {args.runs} kills in a row neither trip the crash-loop detector nor grow the backoff); before each kill the")
        print("   bench waits until the watchdog logs that the kernel answered its pings for --healthy-after s and the backoff was reset.")
        print("   baseline: python batos.py on an existing image, Popen -> first ping, one per run.")
        restart, baseline, backoffs, lost, image = restart_runs(tmp, args.runs, state_file)

        wd_cpu = wd_cpu_1 = kernel_cpu = float("nan")
        if not args.no_idle:
            print()
            print(f"2. watchdog CPU with the kernel idle, {args.idle_seconds:g} s windows (watchdog process only, not its kernel)")
            wd_cpu, kernel_cpu = idle_cpu(tmp / "idle-default", image, [], args.idle_seconds, state_file)
            print(f"   default flags (ping every {DEFAULT_PING_INTERVAL:g} s): watchdog {wd_cpu:.3f} % of one core, idle kernel {kernel_cpu:.3f} %")
            wd_cpu_1, kernel_cpu_1 = idle_cpu(tmp / "idle-ping1", image, ["--ping-interval", "1"], args.idle_seconds, state_file)
            print(f"   --ping-interval 1:                watchdog {wd_cpu_1:.3f} % of one core, idle kernel {kernel_cpu_1:.3f} %")
            tick = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01
            print(f"   (CPU times come in {tick * 1000:g} ms ticks: one tick in the window is {tick / args.idle_seconds * 100:.3f} %)")

    srt, sbase = sorted(restart), sorted(baseline)
    p50, base50, p99 = percentile(srt, 50), percentile(sbase, 50), percentile(srt, 99)
    known = [b for b in backoffs if b == b]
    print()
    print(f"{'':32} {'p50':>8} {'min':>8} {'max':>8} {'p99':>8}")
    print(f"{'kill -9 -> first ok ping':32} {p50 * 1000:>5.0f} ms {srt[0] * 1000:>5.0f} ms {srt[-1] * 1000:>5.0f} ms {p99 * 1000:>5.0f} ms")
    print(f"{'kernel alone, Popen -> ping':32} {base50 * 1000:>5.0f} ms {sbase[0] * 1000:>5.0f} ms {sbase[-1] * 1000:>5.0f} ms")
    if known:
        print(f"{'backoff the watchdog chose':32} {median(known) * 1000:>5.0f} ms {min(known) * 1000:>5.0f} ms {max(known) * 1000:>5.0f} ms")
        rest = sorted(r - b for r, b in zip(restart, backoffs) if b == b)
        print(f"{'kill -> ping minus backoff':32} {percentile(rest, 50) * 1000:>5.0f} ms {rest[0] * 1000:>5.0f} ms {rest[-1] * 1000:>5.0f} ms")
    print(f"ratio restart/baseline p50 = {p50 / base50:.2f}x; acknowledged writes lost: {lost} of {len(restart)}")

    summary = Summary()
    summary.target("TIME kill -9 -> first ping of the new kernel p99", p99, "<=", TARGET_RESTART_SECONDS, " s", fmt=".3f")
    summary.info("TIME kill -9 -> first ping of the new kernel p50", p50, " s", fmt=".3f")
    summary.target("LOST acknowledged writes across kill -9", lost, "<=", 0, "", fmt="d")
    if not args.no_idle:
        summary.target("CPU watchdog idle, default ping interval (5 s)", wd_cpu, "<=", TARGET_CPU_PERCENT, " %", fmt=".3f")
    summary.info("RATIO restart/kernel cold start p50", p50 / base50, "x", note=f"baseline p50 {base50:.3f} s")
    if not args.no_idle:
        summary.info("CPU watchdog idle, --ping-interval 1", wd_cpu_1, " %", fmt=".3f")
        summary.info("CPU idle kernel, default watchdog", kernel_cpu, " %", fmt=".3f")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

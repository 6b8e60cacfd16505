"""Shared helpers for the benchmarks in bench/ (not a benchmark itself).

Each ``bench_*.py`` is a standalone script. It measures its own baseline in the
same run, alternates rounds between the measured thing and the baseline, reports
medians, and ends with one summary line per target::

    RATIO send/raw_echo p50 = 2.1x (target <= 3x) PASS

It exits 0 even when a target is missed (the line says FAIL), unless
``--strict`` is given: then a missed target exits 1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
SUPPORT = BENCH / "support"  # helper servers and kernels the benches start
TASKS = BENCH / "tasks"  # the learning task files (tasks/MANIFEST.json)
PYTHON = sys.executable

# tests/support.py: KernelProcess (batos.py on a free port with its own image) and Client.
sys.path.insert(0, str(ROOT / "tests"))
from support import Client, KernelProcess, free_port, kernel_env  # noqa: E402

import ormsgpack  # noqa: E402
import zmq  # noqa: E402

__all__ = [
    "BENCH", "SUPPORT", "TASKS", "BenchKernel", "Client", "KernelProcess", "PYTHON", "ROOT", "Summary", "connect_dealer", "free_port", "header",
    "audit_lines", "wait_for_embedded", "kernel_env", "median", "wait_for_audit", "parser", "percentile", "Pinger", "ping_until_answered", "pack", "unpack", "us",
]

pack = ormsgpack.packb
unpack = ormsgpack.unpackb


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a small, fast run (a smoke test; figures are rough)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--rounds", type=int, default=None, help="alternating rounds (default: 5, 7 for set_slot; --quick: 2)")
    return p


def header(title: str, args: argparse.Namespace) -> None:
    print(f"== {title} ==")
    print(
        f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs, "
        f"{'quick' if args.quick else 'full'} run, {args.rounds} rounds"
    )


# --- statistics ------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def us(ns: float) -> float:
    return ns / 1000.0


# --- targets ----------------------------------------------------------------------------------


@dataclass
class Line:
    text: str
    passed: bool | None  # None: context only, no target


class Summary:
    """Collects the final summary lines and decides the exit code."""

    def __init__(self) -> None:
        self.lines: list[Line] = []

    def target(self, label: str, value: float, op: str, limit: float, unit: str, fmt: str = ".2f", note: str = "") -> bool:
        passed = value <= limit if op == "<=" else value >= limit
        if value != value:  # NaN: nothing was measured
            passed = False
        self.lines.append(Line(f"{label} = {value:{fmt}}{unit} (target {op} {limit:g}{unit}) {'PASS' if passed else 'FAIL'}"
                               + (f" ({note})" if note else ""), passed))
        return passed

    def info(self, label: str, value: float, unit: str, fmt: str = ".2f", note: str = "") -> None:
        self.lines.append(Line(f"{label} = {value:{fmt}}{unit} ({note or 'context, no target'})", None))

    def finish(self, strict: bool) -> int:
        print()
        print("-- summary --")
        for line in self.lines:
            print(line.text)
        missed = [line for line in self.lines if line.passed is False]
        if missed and strict:
            print(f"{len(missed)} target(s) missed; --strict: exit 1")
            return 1
        return 0


# --- sockets ----------------------------------------------------------------------------------


def connect_dealer(ctx: zmq.Context, endpoint: str) -> zmq.Socket:
    """A DEALER socket that retries its connection every 5 ms (libzmq's default is 100 ms),
    so a ping sent before the server binds is delivered within a few ms of the bind."""
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RECONNECT_IVL, 5)
    sock.setsockopt(zmq.RECONNECT_IVL_MAX, 5)
    sock.connect(endpoint)
    return sock


class Pinger:
    """A DEALER socket connected (and retrying every 5 ms) before the server starts, so
    ``wait`` measures the server and not the client's set-up."""

    def __init__(self, endpoint: str) -> None:
        self.ctx = zmq.Context()
        self.sock = connect_dealer(self.ctx, endpoint)

    def wait(self, proc: subprocess.Popen, timeout: float = 30.0, what: str = "server") -> float:
        """Send one ping and wait for any answer; returns time.perf_counter() at the answer."""
        self.sock.send(pack({"command": "ping"}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sock.poll(5):
                self.sock.recv()
                return time.perf_counter()
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode} before answering ping")
        raise TimeoutError(f"{what} did not answer ping within {timeout}s")

    def close(self) -> None:
        self.sock.close(0)
        self.ctx.term()

    def __enter__(self) -> "Pinger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def ping_until_answered(endpoint: str, proc: subprocess.Popen, timeout: float = 30.0, what: str = "server") -> float:
    """Send one ping and wait for any answer; returns time.perf_counter() at the answer."""
    with Pinger(endpoint) as pinger:
        return pinger.wait(proc, timeout, what)


# --- kernels ----------------------------------------------------------------------------------


def wait_for_embedded(kernel: KernelProcess, timeout: float = 900.0) -> None:
    """Until the kernel's first awakening has imported its embedded models (status: models.embedded); SystemExit
    with what status said when it failed or took longer than ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        embedded = kernel.request({"command": "status"}, timeout=30)["result"]["models"]["embedded"]
        if embedded["state"] in ("done", "failed"):
            break
        time.sleep(1)
    if embedded["state"] != "done":
        raise SystemExit(f"the embedded model was not imported: {embedded}")


class BenchKernel(KernelProcess):
    """KernelProcess that can run bench/support/_kernel_noaudit.py instead of batos.py (``--no-audit``)."""

    def __init__(self, workdir: Path, *, no_audit: bool = False, **kw) -> None:
        super().__init__(workdir, script=SUPPORT / "_kernel_noaudit.py" if no_audit else None, **kw)
        self.no_audit = no_audit


def audit_lines(path: Path) -> int:
    """Complete lines in the kernel's audit trail (metacognition.jsonl) so far."""
    try:
        with open(path, "rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def wait_for_audit(path: Path, expected: int, timeout: float = 60.0) -> tuple[int, float]:
    """Wait until the audit trail holds ``expected`` lines, so the kernel is idle again
    (its audit writer drains a queue in the background, off the request path).

    Returns (records still queued when we started waiting, seconds waited)."""
    start = time.perf_counter()
    lag = max(0, expected - audit_lines(path))
    while audit_lines(path) < expected:
        if time.perf_counter() - start > timeout:
            print(f"  (audit trail still {expected - audit_lines(path)} records behind after {timeout:.0f}s; going on)")
            break
        time.sleep(0.02)
    return lag, time.perf_counter() - start

#!/usr/bin/env python3
"""Throughput of ``set_slot`` (one commit each) against raw ZODB commits.

    .venv/bin/python bench/perf/bench_set_slot.py [--quick] [--strict] [--ops N] [--no-audit]

One sync DEALER client in this process sends
``{"command": "set_slot", "target": "genesis_obj", "slot": "counter", "value": i}``
requests (a new value each time) to a real kernel subprocess (``batos.py``,
fresh temp image); each "ok" is sent after its own commit. Two ways:

- pipelined (the throughput figure the target is about): up to ``--window``
  requests in flight, as a busy client or several clients would keep the
  kernel; still one request, one transaction, one fsync, one reply;
- sequential (context): send, wait for "ok", send the next; this adds a
  full network round trip to every commit, so it measures latency.

The baseline is bench/support/_zodb_commit_loop.py in its own process: a FileStorage
(with blob dir) in a temp dir on the same file system, the same record
changed (a PersistentMapping ``slots`` under its owner), ``transaction.commit()``
each time. FileStorage fsyncs on every commit, on both sides.

Rounds alternate kernel / baseline (the first side swaps each round); before
each baseline round the script waits until the kernel's audit trail (written
in the background) has caught up, so the baseline never runs beside a busy
kernel. Figures are medians over rounds; the ratio is per round, then the median.

Target: kernel ops/s (pipelined) >= 0.5x the raw loop's. ``--no-audit`` is a diagnostic
(kernel with its audit trail replaced by NullAudit).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import (  # noqa: E402
    BENCH, PYTHON, SUPPORT, BenchKernel, Summary, audit_lines, connect_dealer, header, median, pack, parser,
    percentile, unpack, us, wait_for_audit,
)

import zmq  # noqa: E402

TARGET_RATIO = 0.5


class RawLoop:
    """bench/support/_zodb_commit_loop.py, kept running; ``run(n)`` -> seconds for n commits."""

    def __init__(self, directory: Path) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, str(SUPPORT / "_zodb_commit_loop.py"), str(directory)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the raw ZODB loop did not start")

    def run(self, n: int) -> float:
        self.proc.stdin.write(f"{n}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the raw ZODB loop exited with {self.proc.wait()}")
        return float(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class KernelLoop:
    def __init__(self, sock: zmq.Socket) -> None:
        self.sock = sock
        self.value = 0

    def run(self, n: int) -> tuple[float, list[int]]:
        """n sequential set_slot requests; (seconds, per-request ns)."""
        sock = self.sock
        perf = time.perf_counter_ns
        lat = []
        start = perf()
        for _ in range(n):
            self.value += 1
            t0 = perf()
            sock.send(pack({"command": "set_slot", "target": "genesis_obj", "slot": "counter", "value": self.value, "id": self.value}))
            reply = unpack(sock.recv())
            lat.append(perf() - t0)
            if reply.get("status") != "ok":
                raise RuntimeError(f"kernel answered {reply!r}")
        return (perf() - start) / 1e9, lat

    def run_pipelined(self, n: int, window: int) -> float:
        """n set_slot requests with up to ``window`` in flight; seconds."""
        sock = self.sock
        sent = answered = 0
        start = time.perf_counter()
        while answered < n:
            while sent < n and sent - answered < window:
                self.value += 1
                sent += 1
                sock.send(pack({"command": "set_slot", "target": "genesis_obj", "slot": "counter", "value": self.value, "id": self.value}))
            reply = unpack(sock.recv())
            answered += 1
            if reply.get("status") != "ok":
                raise RuntimeError(f"kernel answered {reply!r}")
        return time.perf_counter() - start


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--ops", type=int, default=None, help="commits per round and side (default 1000, --quick 100)")
    p.add_argument("--no-audit", action="store_true", help="diagnostic: run the kernel with its audit trail disabled")
    p.add_argument("--window", type=int, default=8, help="requests in flight in the pipelined runs (default 8)")
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 7)  # commits are the noisiest figure here
    n = args.ops or (100 if args.quick else 1000)
    warmup = 20 if args.quick else 100
    header("bench_set_slot: set_slot throughput vs raw ZODB commits", args)
    print(f"{args.rounds} rounds x {n} commits per side and way (after {warmup} warm-up); pipelined window {args.window}")
    if args.no_audit:
        print("DIAGNOSTIC: kernel audit trail disabled (--no-audit); not the shipped configuration")

    rows = []
    with tempfile.TemporaryDirectory(prefix="batos-bench-setslot-") as tmp:
        tmp = Path(tmp)
        (tmp / "kernel").mkdir()
        (tmp / "raw").mkdir()
        kernel = BenchKernel(tmp / "kernel", no_audit=args.no_audit)
        raw = None
        ctx = zmq.Context()
        sock = None
        try:
            kernel.start(timeout=60)
            raw = RawLoop(tmp / "raw")
            sock = connect_dealer(ctx, kernel.endpoint)
            klo = KernelLoop(sock)
            time.sleep(0.2)
            expected = audit_lines(kernel.audit)

            def settle() -> tuple[int, float]:
                return (0, 0.0) if args.no_audit else wait_for_audit(kernel.audit, expected)

            klo.run(warmup)
            expected += warmup
            settle()
            raw.run(warmup)
            size0 = kernel.image.stat().st_size

            print()
            print(f"{'round':>5} {'pipelined':>10} {'sequential':>10} {'raw ops/s':>10} {'ratio':>7} {'seq ratio':>9}   seq latency p50/p90/p99 us   audit lag")
            for r in range(args.rounds):
                order = ["kernel", "raw"] if r % 2 == 0 else ["raw", "kernel"]
                got = {}
                for side in order:
                    if side == "kernel":
                        got["kernel"] = n / klo.run_pipelined(n, args.window)
                        seconds, lat = klo.run(n)
                        expected += 2 * n
                        lag = settle()
                        got["sequential"] = n / seconds
                        s = sorted(lat)
                        lat_fig = (us(percentile(s, 50)), us(percentile(s, 90)), us(percentile(s, 99)))
                    else:
                        got["raw"] = n / raw.run(n)
                ratio = got["kernel"] / got["raw"]
                seq_ratio = got["sequential"] / got["raw"]
                rows.append((got["kernel"], got["raw"], ratio, lat_fig, got["sequential"], seq_ratio))
                print(f"{r + 1:>5} {got['kernel']:>10.0f} {got['sequential']:>10.0f} {got['raw']:>10.0f} {ratio:>6.2f}x {seq_ratio:>8.2f}x   "
                      f"{lat_fig[0]:>8.0f} /{lat_fig[1]:>6.0f} /{lat_fig[2]:>6.0f}      {lag[0]} records, drained in {lag[1]:.2f}s")
            grown = kernel.image.stat().st_size - size0
        finally:
            if sock is not None:
                sock.close(0)
            ctx.term()
            if raw is not None:
                raw.close()
            kernel.stop()

    k_ops = median([row[0] for row in rows])
    r_ops = median([row[1] for row in rows])
    ratio = median([row[2] for row in rows])
    print()
    print("medians over rounds:")
    seq_ops = median([row[4] for row in rows])
    seq_ratio = median([row[5] for row in rows])
    print(f"  kernel set_slot, pipelined  {k_ops:8.0f} ops/s   ({1e6 / k_ops:6.0f} us per commit)")
    print(f"  kernel set_slot, sequential {seq_ops:8.0f} ops/s   ({1e6 / seq_ops:6.0f} us per commit incl. round trip; p50 latency {median([row[3][0] for row in rows]):.0f} us)")
    print(f"  raw ZODB commit             {r_ops:8.0f} ops/s   ({1e6 / r_ops:6.0f} us per commit)")
    print(f"  kernel image grew {grown / (2 * n * args.rounds):.0f} bytes per set_slot commit")

    summary = Summary()
    tag = " (no audit)" if args.no_audit else ""
    summary.target(f"RATIO set_slot pipelined/raw_zodb_commit ops/s{tag}", ratio, ">=", TARGET_RATIO, "x")
    summary.info(f"RATIO set_slot sequential/raw_zodb_commit ops/s{tag}", seq_ratio, "x",
                 note="context: latency-bound, each commit waits a network round trip")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

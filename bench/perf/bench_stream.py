#!/usr/bin/env python3
"""Ping while the event stream is busy: a watcher that never reads must not delay the kernel.

    .venv/bin/python bench/perf/bench_stream.py [--quick] [--strict] [--rounds N]

One real kernel (fresh temp image). A flooder client sends ``set_slot`` requests as fast as the kernel
answers them (each commit is an event on the stream), while this process pings the kernel one at a time
and times each round trip. Rounds alternate two conditions, so both see the same machine:

* **none**: no watcher on the stream;
* **stalled**: a SUB socket subscribed to every topic that never reads (its queue fills; the stream drops
  for it).

Target: ping p50 with a stalled watcher <= 1.5x ping p50 with none (medians over rounds; the ratio per
round, then the median). The events the stalled watcher held, and the commits made, are reported.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import BenchKernel, Summary, connect_dealer, header, median, pack, parser, percentile, unpack, us  # noqa: E402

import zmq  # noqa: E402

TARGET_RATIO = 1.5


class Flooder:
    """A client that keeps the kernel committing (set_slot after set_slot) on a thread of its own."""

    def __init__(self, ctx: zmq.Context, endpoint: str) -> None:
        self.sock = connect_dealer(ctx, endpoint)
        self.done = threading.Event()
        self.commits = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        i = 0
        while not self.done.is_set():
            i += 1
            self.sock.send(pack({"command": "set_slot", "target": "genesis_obj", "slot": f"k{i % 16}", "value": i, "id": i}))
            if self.sock.poll(5000) and unpack(self.sock.recv()).get("status") == "ok":
                self.commits += 1

    def stop(self) -> int:
        self.done.set()
        self.thread.join(10)
        self.sock.close(0)
        return self.commits


def pings(sock: zmq.Socket, n: int) -> list[int]:
    perf = time.perf_counter_ns
    samples = []
    for i in range(n):
        t0 = perf()
        sock.send(pack({"command": "ping", "id": i}))
        unpack(sock.recv())
        samples.append(perf() - t0)
    return samples


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--pings", type=int, default=None, help="pings per round and condition (default 1000, --quick 200)")
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    n = args.pings or (200 if args.quick else 1000)
    header("bench_stream: ping with a stalled event-stream watcher vs none, under a stream of commits", args)
    rows = []
    held = []
    with tempfile.TemporaryDirectory(prefix="batos-bench-stream-") as tmp:
        kernel = BenchKernel(Path(tmp), env={"BATOS_EVENTS_HWM": "100"})
        ctx = zmq.Context()
        try:
            kernel.start(timeout=60)
            sock = connect_dealer(ctx, kernel.endpoint)
            sock.send(pack({"command": "status", "id": "s"}))
            endpoint = unpack(sock.recv())["result"]["events"]["endpoint"]
            flooder = Flooder(ctx, kernel.endpoint)
            pings(sock, 100)  # warm-up
            print(f"{'round':>5} {'watcher':<8} {'p50 us':>8} {'p90 us':>8} {'p99 us':>8}  {'ratio p50':>9}")
            for r in range(args.rounds):
                got = {}
                for condition in (["none", "stalled"] if r % 2 == 0 else ["stalled", "none"]):
                    watcher = None
                    if condition == "stalled":
                        watcher = ctx.socket(zmq.SUB)
                        watcher.setsockopt(zmq.RCVHWM, 10)
                        watcher.connect(endpoint)
                        watcher.setsockopt(zmq.SUBSCRIBE, b"")
                        time.sleep(0.2)
                    s = sorted(pings(sock, n))
                    got[condition] = {"p50": us(percentile(s, 50)), "p90": us(percentile(s, 90)), "p99": us(percentile(s, 99))}
                    if watcher is not None:
                        count = 0
                        while watcher.poll(100):
                            watcher.recv_multipart()
                            count += 1
                        held.append(count)
                        watcher.close(0)
                ratio = got["stalled"]["p50"] / got["none"]["p50"]
                rows.append(ratio)
                for condition in ("none", "stalled"):
                    f = got[condition]
                    tail = f"  {ratio:>8.2f}x" if condition == "stalled" else ""
                    print(f"{r + 1:>5} {condition:<8} {f['p50']:>8.1f} {f['p90']:>8.1f} {f['p99']:>8.1f}{tail}")
            commits = flooder.stop()
            sock.send(pack({"command": "status", "id": "s2"}))
            stream = unpack(sock.recv())["result"]["events"]
            sock.close(0)
        finally:
            ctx.term()
            kernel.stop()
    print(f"\ncommits during the run: {commits}; events published: {stream['published']}, send failures: {stream['dropped']}; "
          f"the stalled watcher held {median(held):.0f} events per round (the rest were dropped for it)")
    summary = Summary()
    summary.target("RATIO ping p50 stalled watcher / none", median(rows), "<=", TARGET_RATIO, "x")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

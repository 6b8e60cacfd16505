#!/usr/bin/env python3
"""Where a ``send``'s time goes in a real kernel process: its phases' wall-clock times, plain and jailed.

    .venv/bin/python bench/perf/trace_send.py [-n 5000]

A real kernel (``batos.py`` on a fresh temp image, wrapped by bench/support/_kernel_timed.py, which stamps each
phase) answers ``n`` sends of ``genesis_obj.echo`` (a system method), then ``n`` of a generated method that
reads its argument and a slot (the jail), one at a time from one client; the first fifth of each is warm-up.
Printed per phase: p50 and mean in microseconds. The in-process profile (bench/perf/profile_request.py) runs hot
and under-counts a real kernel ~3.5x; this does not, and it shows the jail's hop (the child's turnaround,
mostly two wake-ups of a sleeping process here) apart from the kernel's own work. Compare the turnaround
with the jail floor's (bench_send.py --generated measures the floor end to end). The stamps add about a
microsecond each; the figures are for comparing phases, bench_send.py gives the latencies.
"""

from __future__ import annotations

import argparse
import bisect
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import SUPPORT, BenchKernel, connect_dealer, pack  # noqa: E402
from bench_send import install_generated  # noqa: E402

import zmq  # noqa: E402

JAILED = [  # (phase, from stamp, to stamp): each "to" is the first of its kind after the "from"
    ("accept -> the run's frame written", "accept", "child_send"),
    ("  the write (syscall; wakes the child)", "child_send", "child_sent"),
    ("the child's turnaround", "child_sent", "child_readable"),
    ("  the answer read (syscall, split)", "child_readable", "child_read"),
    ("-> the answer begun (task, coroutines)", "child_read", "answer"),
    ("  the answer encoded, audited", "answer", "reply"),
    ("  the reply sent (ZeroMQ)", "reply", "replied"),
]
PLAIN = [
    ("accept -> the answer begun", "accept", "answer"),
    ("  the answer encoded, audited", "answer", "reply"),
    ("  the reply sent (ZeroMQ)", "reply", "replied"),
]


def phases(stamps: dict[str, list[int]], accepts: list[int], chain: list[tuple[str, str, str]]) -> dict[str, list[int]]:
    """Per request (by its accept stamp), each phase's duration, following the chain of stamps in time order."""
    ordered = {name: sorted(values) for name, values in stamps.items()}
    out: dict[str, list[int]] = {name: [] for name, _a, _b in chain}
    out["accept -> reply sent"] = []
    for accepted in accepts:
        at, durations = {"accept": accepted}, {}
        for name, start, end in chain:
            found = ordered[end]
            i = bisect.bisect_left(found, at[start])
            if i == len(found):
                break
            at[end] = found[i]
            durations[name] = at[end] - at[start]
        else:
            for name, value in durations.items():
                out[name].append(value)
            out["accept -> reply sent"].append(at["replied"] - accepted)
    return out


def table(title: str, rows: dict[str, list[int]], client: list[int]) -> None:
    print(f"\n{title} ({len(client)} requests)")
    for name, values in [*rows.items(), ("the client's round trip", client)]:
        values = sorted(values)
        print(f"  {name:42} p50 {values[len(values) // 2] / 1000:7.1f} us   mean {statistics.mean(values) / 1000:7.1f} us")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", type=int, default=5000)
    args = p.parse_args()
    warmup = args.n // 5
    with tempfile.TemporaryDirectory(prefix="batos-trace-send-") as tmp:
        out = Path(tmp) / "stamps.json"
        kernel = BenchKernel(Path(tmp), env={"BATOS_TIMED_OUT": str(out)})
        kernel.script = SUPPORT / "_kernel_timed.py"
        install_generated(kernel.image)
        kernel.start(timeout=60)
        ctx = zmq.Context()
        sock = connect_dealer(ctx, kernel.endpoint)
        client: dict[str, list[int]] = {}
        try:
            for selector in ("echo", "echo_generated"):
                message = pack({"command": "send", "target": "genesis_obj", "selector": selector, "args": ["x" * 256], "id": 1})
                times = client[selector] = []
                for _ in range(warmup + args.n):
                    started = time.perf_counter_ns()
                    sock.send(message)
                    sock.recv()
                    times.append(time.perf_counter_ns() - started)
                del times[:warmup]
                time.sleep(0.3)
        finally:
            sock.close(0)
            ctx.term()
            kernel.terminate(30)
        stamps = json.loads(out.read_text())
    accepts = stamps["accept"][-2 * (warmup + args.n):]  # before them: the start's ping
    plain, jailed = accepts[warmup:warmup + args.n], accepts[2 * warmup + args.n:]
    table("plain send (genesis_obj.echo)", phases(stamps, plain, PLAIN), client["echo"])
    table("jailed send (echo_generated)", phases(stamps, jailed, JAILED), client["echo_generated"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

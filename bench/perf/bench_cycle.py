#!/usr/bin/env python3
"""A whole cognitive cycle with an instant cassette: the time that is not the model's.

    .venv/bin/python bench/perf/bench_cycle.py [--quick] [--strict] [--cycles N]

A real kernel subprocess (replay backend, fresh temp image) learns N
different methods, one after the other: for each, one sync DEALER client sends
``{"command": "send", "target": "genesis_obj", "selector": "learned_K", "args": [K]}``
and waits for the final reply of the whole cycle (IDLE -> DECOMPOSING ->
DELEGATING -> SYNTHESIZING -> VALIDATING -> COMPLETE: six checkpoints, a
catalog search, the guardian, a jailed trial, the install and the jailed
re-send in one transaction). The cassette answers instantly (``delay_s`` 0),
so the model's time is the replay backend's bookkeeping only; the time the
backend reports for its calls is subtracted anyway (``cycle`` artifacts do
not hold it, so it is measured in-process by timing the same replay calls).

Baseline in the same run, for context: a plain ``send`` of a system method
(one round trip, no cycle).

Target: cycle p50 <= 200 ms.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import ROOT, BenchKernel, Summary, connect_dealer, header, median, pack, parser, percentile, unpack  # noqa: E402

import zmq  # noqa: E402

TARGET_MS = 200.0


def cassette_lines(n: int) -> list[dict]:
    lines = []
    for k in range(n):
        selector = f"learned_{k}"
        lines.append({"persona": "BRICK", "contains": f"Selector: {selector}", "response": json.dumps([f"how to add {k}"])})
        code = f"def {selector}(self, n):\n    return n + {k}\n"
        lines.append({"persona": "ALFRED", "contains": f"Selector: {selector}", "response": f"```python\n{code}```"})
    return lines


def model_seconds(cassette: Path, n: int) -> float:
    """What the replay backend itself costs for the 2n calls of n cycles (subtracted)."""
    sys.path.insert(0, str(ROOT))
    from bat_os.models.backends import ReplayBackend

    async def calls() -> float:
        backend = ReplayBackend(cassette)
        t0 = time.perf_counter()
        for k in range(n):
            await backend.complete("BRICK", f"Selector: learned_{k}")
            await backend.complete("ALFRED", f"Selector: learned_{k}")
        return time.perf_counter() - t0

    return asyncio.run(calls())


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--cycles", type=int, default=None, help="cycles to run (default 40, --quick 8)")
    args = p.parse_args()
    args.rounds = 1
    n = args.cycles or (8 if args.quick else 40)
    header("bench_cycle: whole cognitive cycle, instant cassette", args)
    with tempfile.TemporaryDirectory(prefix="batos-bench-cycle-") as tmp:
        tmp = Path(tmp)
        cassette = tmp / "instant.jsonl"
        cassette.write_text("".join(json.dumps(line) + "\n" for line in cassette_lines(n)))
        model = model_seconds(cassette, n) / n
        kernel = BenchKernel(tmp, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette)})
        ctx = zmq.Context()
        sock = None
        cycle_ms: list[float] = []
        send_ms: list[float] = []
        try:
            kernel.start(timeout=60)
            sock = connect_dealer(ctx, kernel.endpoint)
            for k in range(n):
                t0 = time.perf_counter()
                sock.send(pack({"command": "send", "target": "genesis_obj", "selector": f"learned_{k}", "args": [k], "id": k}))
                reply = unpack(sock.recv())
                cycle_ms.append((time.perf_counter() - t0 - model) * 1000)
                if reply.get("status") != "ok" or reply["result"]["result"] != 2 * k:
                    raise RuntimeError(f"cycle {k} answered {reply!r}")
                t0 = time.perf_counter()
                sock.send(pack({"command": "send", "target": "genesis_obj", "selector": "echo", "args": [k]}))
                unpack(sock.recv())
                send_ms.append((time.perf_counter() - t0) * 1000)
        finally:
            if sock is not None:
                sock.close(0)
            ctx.term()
            kernel.stop()

    s = sorted(cycle_ms)
    print(f"{n} cycles; replay backend's own time per cycle (subtracted): {model * 1000:.3f} ms")
    print(f"  cycle   p50 {percentile(s, 50):8.1f} ms   p90 {percentile(s, 90):8.1f} ms   max {s[-1]:8.1f} ms")
    print(f"  plain send (system method) p50 {median(send_ms):.3f} ms (context)")
    summary = Summary()
    summary.target("TIME cycle p50 excluding model time", percentile(s, 50), "<=", TARGET_MS, " ms", fmt=".1f")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

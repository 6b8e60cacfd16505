#!/usr/bin/env python3
"""Where a ``send`` spends the kernel's time: the kernel run under cProfile, one kind of send many times.

    .venv/bin/python bench/perf/profile_send.py [--generated] [-n 3000] [--top 30]

A real kernel process (``batos.py`` on a fresh temp image, wrapped by cProfile: bench/support/_kernel_profiled.py)
answers ``n`` sends of ``genesis_obj.echo`` (a system method) or, with ``--generated``, of a generated method
that reads its argument and a slot (the jail). It is stopped with SIGTERM, and the functions under the
kernel's receiving callback are printed by their own time, then by cumulative time: what every request pays.
cProfile slows each call down, so the figures are proportions, not latencies (bench_send.py gives those).
"""

from __future__ import annotations

import argparse
import os
import pstats
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import SUPPORT, BenchKernel, connect_dealer, pack, unpack  # noqa: E402
from bench_send import install_generated  # noqa: E402

import zmq  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--generated", action="store_true")
    p.add_argument("-n", type=int, default=3000)
    p.add_argument("--top", type=int, default=30)
    args = p.parse_args()
    selector = "echo_generated" if args.generated else "echo"
    with tempfile.TemporaryDirectory(prefix="batos-profile-send-") as tmp:
        out = Path(tmp) / "kernel.prof"
        kernel = BenchKernel(Path(tmp), env={"BATOS_PROFILE_OUT": str(out)})
        kernel.script = SUPPORT / "_kernel_profiled.py"
        if args.generated:
            kernel.start(timeout=60)
            kernel.terminate(30)
            install_generated(kernel.image)
        kernel.start(timeout=60)
        ctx = zmq.Context()
        sock = connect_dealer(ctx, kernel.endpoint)
        for i in range(args.n):
            sock.send(pack({"command": "send", "target": "genesis_obj", "selector": selector, "args": ["x" * 64], "id": i}))
            reply = unpack(sock.recv())
            if reply.get("status") != "ok":
                raise RuntimeError(reply)
        sock.close(0)
        ctx.term()
        os.kill(kernel.proc.pid, signal.SIGTERM)
        kernel.proc.wait(60)
        stats = pstats.Stats(str(out))
        print(f"== {args.n} sends of genesis_obj.{selector} ==")
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_callees("_on_readable")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A jailed send on a receiver with many slots: the run sent only the slots its method reads, against all of them.

    .venv/bin/python bench/perf/bench_snapshot.py [--quick] [--rounds N] [--slots 40]

A real kernel's cognition (its image in a temp dir, the real jail and its warm workers) in this process, as
bench/perf/profile_request.py builds it. ``genesis_obj`` gets ``--slots`` small data slots beside its own; the
generated method ``echo_generated`` reads one of them (``self.name``). Each call is what a request does:
``Cognition.launch`` in a read transaction, then its answer awaited (the snapshot rendered, packed, sent to a
warm child, unpacked there, the method run, the answer back). Rounds alternate: the snapshot as issue 42 made
it (the slots :func:`bat_os.jail.guardian.slots_read` finds in the source), and every small slot (the
baseline: what a run carried before). Target: the narrow snapshot at least 1.2x faster (p50) with 40 slots.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import Summary, header, median, parser  # noqa: E402

import profile_request  # noqa: E402  (the in-process kernel set-up)

TARGET = 1.2


async def measure(config, image, args) -> list[tuple[float, float]]:
    from bat_os.cognition.methods import host as host_module
    from bat_os.kernel.audit import Audit
    from bat_os.kernel.loop import Kernel
    from bat_os.kernel.startup import start_cognition

    audit = Audit(Path(config.audit_file))
    kernel = Kernel(config, image, audit, cognition_factory=lambda: start_cognition(config, image))
    cognition = await kernel.cognition_factory()

    def add_slots() -> None:
        genesis = image.connection.root()["genesis_obj"]
        for i in range(args.slots):
            genesis.set_slot(f"s{i}", f"value {i} " * 4 if i % 2 else i)

    image.run(add_slots)
    receiver = image.read(lambda: image.connection.root()["genesis_obj"])
    method = image.read(lambda: receiver.slots["echo_generated"])

    async def calls(n: int) -> float:
        samples = []
        for _ in range(n):
            started = time.perf_counter_ns()
            answer = image.read(lambda: cognition.launch(receiver, method, "echo_generated", ["x" * 64], {}))
            await answer(None)
            samples.append(time.perf_counter_ns() - started)
        return sorted(samples)[n // 2] / 1000

    narrow = host_module.slots_read
    whole = lambda source: None  # noqa: E731 - every small slot, as before
    n = 200 if args.quick else 1000
    rows = []
    try:
        await calls(n // 4)
        for r in range(args.rounds):
            got = {}
            for side in (("narrow", "whole") if r % 2 == 0 else ("whole", "narrow")):
                host_module.slots_read = narrow if side == "narrow" else whole
                got[side] = await calls(n)
            rows.append((got["narrow"], got["whole"]))
            print(f"round {r + 1}: only the slots read p50 {got['narrow']:.1f} us, all small slots p50 {got['whole']:.1f} us,"
                  f" {got['whole'] / got['narrow']:.2f}x")
    finally:
        host_module.slots_read = narrow
        await cognition.close()
        await audit.close()
    return rows


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--slots", type=int, default=40, help="small data slots added to the receiver (default 40)")
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    header(f"bench_snapshot: a jailed send on a receiver with {args.slots} more slots", args)
    rows = []

    async def run(config, image, *_ignored):
        rows.extend(await measure(config, image, args))

    profile_request.measure = run
    sys.argv = [sys.argv[0], "-n", "1"]
    profile_request.main()
    ratio = median([whole / narrow for narrow, whole in rows])
    print()
    print(f"medians: only the slots read {median([r[0] for r in rows]):.1f} us, all small slots {median([r[1] for r in rows]):.1f} us")
    summary = Summary()
    summary.target(f"RATIO jailed send p50, all {args.slots} small slots / only the slots read", ratio, ">=", TARGET, "x")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

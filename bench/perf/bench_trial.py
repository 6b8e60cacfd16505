#!/usr/bin/env python3
"""Cost of the jailed *trial* of a small generated method, against starting a fresh Python per trial.

    .venv/bin/python bench/perf/bench_trial.py [--quick] [--strict] [--runs N]

A trial (a cognitive cycle's VALIDATING step) runs new code with
``Jail.run(..., fresh=True)``: a child forked from the jail's warm template,
locked down, used once and reaped. This script starts one :class:`bat_os.jail.runner.Jail`
in-process (as the kernel does), with a small in-memory host, and times trials of
a method that reads two slots, writes one and returns plain data. Each trial is
one ``await jail.run(...)``: fork, lock-down, run, answer, reaping.

The baseline is what the jail spares: ``subprocess.run([sys.executable, "-c", ...])``
per trial, a fresh interpreter executing the same function (with no sandbox at
all, so it is a floor for the per-process alternative, not a like-for-like jail).

Rounds alternate jail / subprocess (the first side swaps each round); figures are
medians over rounds, ratios per round and then the median. The warm path
(``fresh=False``, installed methods) is reported as context.

Targets: trial p50 <= 50 ms. Context: trial p50 / fresh-Python p50.
"""

from __future__ import annotations

import asyncio
import copy
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import ROOT, Summary, header, median, parser, percentile, us  # noqa: E402

sys.path.insert(0, str(ROOT))
from bat_os.jail.runner import Jail  # noqa: E402

TARGET_TRIAL_MS = 50.0
SELECTOR = "tally"
SOURCE = (
    "def tally(self, n):\n"
    "    self.count = self.count + n\n"
    "    return {'name': self.name, 'count': self.count, 'n': n}\n"
)
SUBPROCESS_CODE = (
    "class Receiver:\n"
    "    name = 'genesis'\n"
    "    count = 0\n"
    + SOURCE
    + "print(tally(Receiver(), 3))\n"
)


class BenchHost:
    """The receiver's slots in a dict; values cross as copies (as the kernel's ImageHost does)."""

    def __init__(self) -> None:
        self.slots: dict[str, Any] = {"name": "genesis", "count": 0}

    def get_slot(self, ref: str, name: str) -> tuple[str, Any]:
        return "value", copy.deepcopy(self.slots[name])

    def set_slot(self, ref: str, name: str, value: Any) -> None:
        self.slots[name] = value

    def send(self, ref: str, selector: str, args: list, kwargs: dict) -> Any:
        raise KeyError(selector)

    def snapshot(self, ref: str) -> dict[str, Any]:
        """The receiver's own data slots (the optional Host.snapshot): reads need no round trip."""
        return copy.deepcopy(self.slots)


def figures(samples: list[int]) -> dict[str, float]:
    s = sorted(samples)
    return {"p50": us(percentile(s, 50)) / 1000, "p90": us(percentile(s, 90)) / 1000, "mean": us(sum(s) / len(s)) / 1000}


async def jail_trials(jail: Jail, host: BenchHost, n: int, fresh: bool = True) -> list[int]:
    samples = []
    for i in range(n):
        t0 = time.perf_counter_ns()
        result = await jail.run(SOURCE, SELECTOR, [3], {}, host, fresh=fresh)
        samples.append(time.perf_counter_ns() - t0)
        if result["name"] != "genesis":
            raise RuntimeError(f"the jail answered {result!r}")
    return samples


def python_trials(n: int) -> list[int]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        done = subprocess.run([sys.executable, "-c", SUBPROCESS_CODE], capture_output=True, text=True, check=True)
        samples.append(time.perf_counter_ns() - t0)
        if "genesis" not in done.stdout:
            raise RuntimeError(f"the fresh Python printed {done.stdout!r}")
    return samples


async def main_async(args: Any) -> int:
    n = args.runs or (20 if args.quick else 50)
    header("bench_trial: jailed trial (fresh child per run) vs a fresh Python per trial", args)
    print(f"{args.rounds} rounds x {n} sequential trials per side (after 5 warm-up each)")
    jail = Jail()
    t0 = time.perf_counter()
    await jail.start()
    print(f"jail started in {(time.perf_counter() - t0) * 1000:.0f} ms; protections: "
          + ", ".join(k for k, v in jail.protections().items() if v))
    host = BenchHost()
    rows = []
    warm: list[int] = []
    try:
        await jail_trials(jail, host, 5)
        python_trials(5)
        print()
        print(f"{'round':>5} {'side':<9} {'p50 ms':>8} {'p90 ms':>8} {'mean ms':>8}  {'ratio p50':>9}")
        for r in range(args.rounds):
            order = ["jail", "python"] if r % 2 == 0 else ["python", "jail"]
            got = {}
            for side in order:
                got[side] = figures(await jail_trials(jail, host, n) if side == "jail" else python_trials(n))
            ratio = got["jail"]["p50"] / got["python"]["p50"]
            rows.append((got, ratio))
            for side in ("jail", "python"):
                f = got[side]
                tail = f"  {ratio:>8.3f}x" if side == "jail" else ""
                print(f"{r + 1:>5} {side:<9} {f['p50']:>8.2f} {f['p90']:>8.2f} {f['mean']:>8.2f}{tail}")
        warm = await jail_trials(jail, host, 10 * n, fresh=False)
    finally:
        await jail.close()

    print()
    print("medians over rounds:")
    for side, label in (("jail", "jailed trial"), ("python", "fresh python")):
        m = {k: median([row[0][side][k] for row in rows]) for k in ("p50", "p90", "mean")}
        print(f"  {label:<13} p50 {m['p50']:8.2f} ms   p90 {m['p90']:8.2f} ms   mean {m['mean']:8.2f} ms")
    warm_p50 = us(percentile(sorted(warm), 50))
    print(f"  warm call (fresh=False, {len(warm)} calls) p50 {warm_p50:.0f} us")

    summary = Summary()
    summary.target("TRIAL p50 (jail, fresh child)", median([row[0]["jail"]["p50"] for row in rows]), "<=", TARGET_TRIAL_MS, " ms")
    summary.info("RATIO trial/fresh_python p50", median([row[1] for row in rows]), "x",
                 fmt=".3f", note="context: the jailed trial against starting a fresh, unjailed Python per trial")
    summary.info("WARM call p50 (jail, reusable child)", warm_p50, " us", fmt=".0f", note="context: installed methods")
    return summary.finish(args.strict)


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=None, help="trials per round and side (default 50, --quick 20)")
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())

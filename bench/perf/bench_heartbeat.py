#!/usr/bin/env python3
"""Requests while the heartbeat works: users must be answered within their usual latency.

    .venv/bin/python bench/perf/bench_heartbeat.py [--quick] [--strict] [--rounds N]

One image set up once: ``--methods`` generated methods (``set_method``), each with stored cases, so
that every beat's ``selfcheck`` runs them all in the jail (the heartbeat's heaviest action without a
model). Each round starts a real kernel on a copy of that image twice, one condition after the other
(the order alternates by round, so both see the same machine):

* **off**: ``heartbeat_every = 0``;
* **on**: a beat every 0.2 s, with no budget limit (it works as often as it may).

In each, this process acts as a user at work: bursts of 10 round trips, one at a time, of ``set_slot`` (a
commit) and then of ``send`` of one of the generated methods (a jailed run), with a pause (``--pause``, 1 s)
before each burst. The heartbeat steps aside while a user is at work (it works once no request has come for
half a second), so it works in the pauses, and the first request of each burst meets whatever it was doing.
Target: p50 with the heartbeat on <= 1.5x p50 with it off, for both kinds (the median over rounds of the
per-round ratios); the first requests' ratio is printed beside. The actions the heartbeat ran during the "on"
measurements are reported, so a heartbeat that did nothing cannot pass for a fast one.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import BenchKernel, Summary, connect_dealer, header, median, pack, parser, percentile, unpack, us  # noqa: E402

import zmq  # noqa: E402

TARGET_RATIO = 1.5
BURST = 10  # requests back to back after each pause
SOURCE = "def {name}(self, n):\n    total = 0\n    for i in range(n):\n        total += i * {k}\n    return total\n"


def request(sock: zmq.Socket, message: dict) -> dict:
    sock.send(pack(message))
    if not sock.poll(60_000):
        raise TimeoutError(f"no reply to {message['command']}")
    return unpack(sock.recv())


def set_up(workdir: Path, methods: int) -> Path:
    workdir.mkdir(parents=True)
    kernel = BenchKernel(workdir, env={"BATOS_HEARTBEAT_EVERY": "0"})
    ctx = zmq.Context()
    try:
        kernel.start(timeout=60)
        sock = connect_dealer(ctx, kernel.endpoint)
        for k in range(methods):
            name = f"sum{k}"
            cases = [{"args": [n], "result": sum(i * (k + 1) for i in range(n))} for n in (3, 10, 50, 200, 1000)]
            reply = request(sock, {"command": "set_method", "target": "genesis_obj", "selector": name,
                                   "source": SOURCE.format(name=name, k=k + 1), "cases": cases})
            assert reply["status"] == "ok", reply
        sock.close(0)
    finally:
        ctx.term()
        kernel.stop()
    return kernel.image


def timed(sock: zmq.Socket, message: dict, n: int) -> list[int]:
    perf = time.perf_counter_ns
    samples = []
    for i in range(n):
        t0 = perf()
        reply = request(sock, {**message, "id": i})
        samples.append(perf() - t0)
        assert reply["status"] == "ok", reply
    return samples


KINDS = {"set_slot": {"command": "set_slot", "target": "genesis_obj", "slot": "x", "value": 1},
         "send": {"command": "send", "target": "genesis_obj", "selector": "sum0", "args": [10]}}


def measure(image: Path, workdir: Path, condition: str, bursts: int, pause: float) -> dict:
    workdir.mkdir(parents=True)
    shutil.copytree(image.parent, workdir / "image")
    env = {"BATOS_HEARTBEAT_EVERY": "0.2", "BATOS_HEARTBEAT_RUNS": "1000000"} if condition == "on" else {"BATOS_HEARTBEAT_EVERY": "0"}
    kernel = BenchKernel(workdir, image=workdir / "image" / image.name, env=env)
    ctx = zmq.Context()
    try:
        kernel.start(timeout=60)
        sock = connect_dealer(ctx, kernel.endpoint)
        timed(sock, KINDS["send"], 20)  # warm-up
        samples: dict[str, list[int]] = {kind: [] for kind in KINDS}
        first: dict[str, list[int]] = {kind: [] for kind in KINDS}
        for b in range(bursts):
            for kind, message in KINDS.items():
                time.sleep(pause)  # the user stops: the heartbeat goes back to work
                burst = timed(sock, message, BURST)
                samples[kind] += burst
                first[kind].append(burst[0])  # the request that meets what the heartbeat was doing
        got = {kind: {"p50": us(percentile(sorted(s), 50)), "p90": us(percentile(sorted(s), 90)),
                      "first": us(median(first[kind]))} for kind, s in samples.items()}
        heartbeat = request(sock, {"command": "status", "id": "s"})["result"]["heartbeat"]
        got["beats"] = heartbeat.get("beats", 0)
        got["runs"] = heartbeat.get("budget", {}).get("runs_used", 0)
        sock.close(0)
    finally:
        ctx.term()
        kernel.stop()
    return got


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--bursts", type=int, default=None, help=f"bursts of {BURST} requests per kind, round and condition (default 20, --quick 8)")
    p.add_argument("--pause", type=float, default=1.0, help="seconds between bursts: the heartbeat works then (default 1.0)")
    p.add_argument("--methods", type=int, default=20, help="generated methods with stored cases (default 20)")
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 4)
    bursts = args.bursts or (8 if args.quick else 20)
    header("bench_heartbeat: set_slot and a jailed send with the heartbeat working vs off", args)
    ratios: dict[str, list[float]] = {"set_slot": [], "send": [], "set_slot first": [], "send first": []}
    with tempfile.TemporaryDirectory(prefix="batos-bench-heartbeat-") as tmp:
        image = set_up(Path(tmp) / "setup", args.methods)
        print(f"{'round':>5} {'heartbeat':<9} {'set_slot p50/p90/first us':>27} {'send p50/p90/first us':>25} {'beats':>6} {'actions':>8}")
        for r in range(args.rounds):
            got = {}
            for condition in (["off", "on"] if r % 2 == 0 else ["on", "off"]):
                got[condition] = g = measure(image, Path(tmp) / f"{condition}{r}", condition, bursts, args.pause)
                figures = ["/".join(f"{g[kind][f]:.0f}" for f in ("p50", "p90", "first")) for kind in KINDS]
                print(f"{r + 1:>5} {condition:<9} {figures[0]:>27} {figures[1]:>25} {g['beats']:>6} {g['runs']:>8}")
            if got["on"]["runs"] < bursts:
                print("  the heartbeat hardly worked during this round: its figures say little")
            for kind in KINDS:
                ratios[kind].append(got["on"][kind]["p50"] / got["off"][kind]["p50"])
                ratios[f"{kind} first"].append(got["on"][kind]["first"] / got["off"][kind]["first"])
            print("      ratio on/off: " + ", ".join(f"{k} {v[-1]:.2f}x" for k, v in ratios.items()))
    summary = Summary()
    summary.target("RATIO set_slot p50 heartbeat on / off", median(ratios["set_slot"]), "<=", TARGET_RATIO, "x")
    summary.target("RATIO send p50 heartbeat on / off", median(ratios["send"]), "<=", TARGET_RATIO, "x")
    print(f"(the first request after each pause, which meets what the heartbeat was doing: set_slot "
          f"{median(ratios['set_slot first']):.2f}x, send {median(ratios['send first']):.2f}x)")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A round trip over CURVE (the remote door, bat_os.kernel.remote) against the plain loopback send.

    .venv/bin/python bench/perf/bench_remote.py [--quick] [--strict] [--rounds N] [--sends N]

One real kernel subprocess (``batos.py --remote``, a fresh temp image, a client key made for the run). One sync
DEALER client in this process sends ``send genesis_obj describe`` and waits for each reply, the same request both
ways: to the kernel's loopback endpoint (the baseline), and to its CURVE endpoint (the same ROUTER socket, a
listener that authenticates and encrypts). Rounds alternate the two (the first side swaps each round); figures are
medians of per-request times, the ratio per round, then the median. ``--quick`` is a smoke test: its few round
trips per side are too few for the ratio to mean much.

Target: CURVE round trip p50 <= 1.3x the loopback one.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import KernelProcess, ROOT, Summary, free_port, header, median, pack, parser, unpack, us  # noqa: E402

import zmq  # noqa: E402

sys.path.insert(0, str(ROOT))
from bat_os.console.connection import Curve  # noqa: E402
from bat_os.kernel.remote import Keys  # noqa: E402

TARGET = 1.3
REQUEST = {"command": "send", "target": "genesis_obj", "selector": "describe", "id": 1}


def times(sock: zmq.Socket, n: int) -> list[float]:
    """Seconds of each of ``n`` sequential request/reply round trips."""
    frame, taken = pack(REQUEST), []
    for _ in range(n):
        start = time.perf_counter()
        sock.send(frame)
        if not sock.poll(10_000):
            raise RuntimeError("no reply within 10 s")
        reply = unpack(sock.recv())
        taken.append(time.perf_counter() - start)
        assert reply["status"] == "ok", reply
    return taken


def main() -> int:
    p = parser(__doc__.splitlines()[1])
    p.add_argument("--sends", type=int, default=None, help="round trips per side per round (default 2000; --quick 300)")
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    sends = args.sends or (300 if args.quick else 2000)
    header("remote (CURVE) round trip vs loopback", args)
    summary = Summary()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        remote = f"tcp://127.0.0.1:{free_port()}"
        kernel = KernelProcess(work, extra_args=["--remote", remote])
        keys = Keys.beside(kernel.image)
        _public, secret = keys.add("bench", work / "client")
        curve = Curve.from_files(keys.folder / "server.key", secret)
        kernel.start()
        ctx = zmq.Context()
        try:
            sockets = {}
            for side, endpoint, keys_of in (("loopback", kernel.endpoint, None), ("curve", remote, curve)):
                sock = ctx.socket(zmq.DEALER)
                sock.setsockopt(zmq.LINGER, 0)
                if keys_of is not None:
                    keys_of.apply(sock)
                sock.connect(endpoint)
                times(sock, 50)  # connected, handshaken, warm
                sockets[side] = sock
            p50 = {"loopback": [], "curve": []}
            for r in range(args.rounds):
                order = ("loopback", "curve") if r % 2 == 0 else ("curve", "loopback")
                for side in order:
                    p50[side].append(median(times(sockets[side], sends)))
                print(f"round {r + 1}: loopback p50 {us(p50['loopback'][-1] * 1e9):.0f} us, "
                      f"curve p50 {us(p50['curve'][-1] * 1e9):.0f} us")
            ratios = [c / plain for c, plain in zip(p50["curve"], p50["loopback"])]
            summary.info("loopback p50", us(median(p50["loopback"]) * 1e9), " us", ".0f")
            summary.info("curve p50", us(median(p50["curve"]) * 1e9), " us", ".0f")
            summary.target("RATIO curve/loopback round trip p50", median(ratios), "<=", TARGET, "x")
            for sock in sockets.values():
                sock.close(0)
        finally:
            ctx.term()
            kernel.stop()
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Round-trip latency of ``send`` of a read-only method, against a raw ZeroMQ echo.

    .venv/bin/python bench/perf/bench_send.py [--quick] [--strict] [--payload BYTES] [--no-audit] [--generated]

One sync DEALER client in this process sends, one request at a time,
``{"command": "send", "target": "genesis_obj", "selector": "echo", "args": [payload]}``
to a real kernel subprocess (``batos.py``, fresh temp image) and waits for the
reply. The baseline is the same client sending the same msgpack frame to a raw
pyzmq asyncio ROUTER echo server in its own subprocess (bench/support/_echo_server.py).
Both sides pack the request and unpack the reply inside the timed region.

Rounds alternate kernel / echo (the first side swaps each round). After each
kernel round the script waits until the kernel's audit trail has caught up
(it is written in the background), so the baseline never runs beside a busy
kernel; the backlog it found is reported as "audit lag". Figures are medians
over rounds; ratios are per round, then the median.

Target (issue 42): kernel p50 <= 1.1x the raw echo's p50 (the mean ratio is reported too).

``--generated``: the method is a *generated* one (installed in the image as a
persona would, origin "generated"), so every call runs in the jail worker
process, reading its argument and a slot of the receiver. Target: <= 1.5x.
A third side then runs too, the jail's floor (bench/support/_jail_floor_server.py): the
raw echo plus one frame each way to a forked child that decodes and encodes it,
the least any jailed run costs; the send's ratio to it is printed as context.
``--subscriber reading|stalled``: a watcher on the kernel's event stream during the run (one that reads
every event, or one that never reads): the ratio should stay where it is without one (the kernel never
waits for a watcher). Target with a reading watcher: <= 1.2x.
``--no-audit`` is a diagnostic: the kernel runs with its audit trail replaced
by NullAudit (bench/support/_kernel_noaudit.py) to show what the audit costs.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import (  # noqa: E402
    BENCH, PYTHON, SUPPORT, BenchKernel, Summary, audit_lines, connect_dealer, free_port, header, median, pack,
    parser, percentile, ping_until_answered, unpack, us, wait_for_audit,
)

import zmq  # noqa: E402

TARGET_RATIO = 1.1  # issue 42: the request path near its floor
TARGET_RATIO_GENERATED = 1.5
TARGET_RATIO_WATCHED = 1.2  # with a watcher reading the event stream
GENERATED = "def echo_generated(self, value):\n    return {'args': [value], 'name': self.name}\n"
SELECTOR = "echo"


def install_generated(image_path: Path) -> None:
    """Install a generated read-only method offline, as a cycle would have."""
    sys.path.insert(0, str(BENCH.parent))
    from bat_os.image.image import Image

    image = Image(image_path)
    try:
        image.awaken()
        image.run(lambda: image.connection.root()["genesis_obj"].add_method("echo_generated", GENERATED, origin="generated", author="ALFRED"))
    finally:
        image.close()


def measure(sock: zmq.Socket, payload: str, n: int, check: bool) -> list[int]:
    """n sequential round trips; returns their durations in ns."""
    perf = time.perf_counter_ns
    samples = []
    for i in range(n):
        t0 = perf()
        sock.send(pack({"command": "send", "target": "genesis_obj", "selector": SELECTOR, "args": [payload], "id": i}))
        reply = unpack(sock.recv())
        t1 = perf()
        samples.append(t1 - t0)
        if check and reply.get("status") != "ok":
            raise RuntimeError(f"kernel answered {reply!r}")
    return samples


_DRAIN = """
import signal, sys, zmq
sock = zmq.Context().socket(zmq.SUB)
sock.setsockopt(zmq.RCVHWM, 1000)
sock.connect(sys.argv[1])
sock.setsockopt(zmq.SUBSCRIBE, b"")
count, stop = 0, []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
print("ready", flush=True)
while not stop:
    if sock.poll(100):
        sock.recv_multipart()
        count += 1
print(count, flush=True)
"""


class Watcher:
    """A SUB socket on the kernel's event stream: ``reading`` drains it in a process of its own (a thread here
    would take the client's own time: one GIL); ``stalled`` never reads."""

    def __init__(self, ctx: zmq.Context, endpoint: str, reading: bool) -> None:
        import subprocess
        import sys

        self.sock = self.proc = None
        if reading:
            self.proc = subprocess.Popen([sys.executable, "-c", _DRAIN, endpoint], stdout=subprocess.PIPE, text=True)
            self.proc.stdout.readline()  # subscribed
        else:
            self.sock = ctx.socket(zmq.SUB)
            self.sock.setsockopt(zmq.RCVHWM, 10)
            self.sock.connect(endpoint)
            self.sock.setsockopt(zmq.SUBSCRIBE, b"")

    def stop(self) -> int:
        if self.proc is not None:
            self.proc.terminate()
            out, _ = self.proc.communicate(timeout=10)
            return int(out.strip() or 0)
        self.sock.close(0)
        return 0


def attach_subscriber(ctx: zmq.Context, k_sock: zmq.Socket, kind: str) -> Watcher:
    k_sock.send(pack({"command": "status", "id": "status"}))
    events = unpack(k_sock.recv())["result"]["events"]
    if not events:
        raise RuntimeError("the kernel publishes no events")
    print(f"event stream watcher ({kind}) on {events['endpoint']}")
    return Watcher(ctx, events["endpoint"], reading=kind == "reading")


def figures(samples: list[int]) -> dict[str, float]:
    s = sorted(samples)
    return {"p50": us(percentile(s, 50)), "p90": us(percentile(s, 90)), "p99": us(percentile(s, 99)), "mean": us(sum(s) / len(s))}


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--payload", type=int, default=256, help="bytes of the string argument (default 256)")
    p.add_argument("--requests", type=int, default=None, help="round trips per round and side (default 2000, --quick 200)")
    p.add_argument("--no-audit", action="store_true", help="diagnostic: run the kernel with its audit trail disabled")
    p.add_argument("--generated", action="store_true", help="send a generated method (runs in the jail); target <= 4x")
    p.add_argument("--subscriber", choices=("reading", "stalled"), default=None,
                   help="attach a watcher to the event stream: one that reads every event (a thread), or one that never reads")
    args = p.parse_args()
    global SELECTOR
    SELECTOR = "echo_generated" if args.generated else "echo"
    target_ratio = TARGET_RATIO_GENERATED if args.generated else TARGET_RATIO_WATCHED if args.subscriber == "reading" else TARGET_RATIO
    args.rounds = args.rounds or (2 if args.quick else 5)
    n = args.requests or (200 if args.quick else 2000)
    warmup = 50 if args.quick else 300
    header(f"bench_send: send({SELECTOR}) round trip vs raw ZeroMQ echo", args)
    payload = "x" * args.payload
    frame_len = len(pack({"command": "send", "target": "genesis_obj", "selector": "echo", "args": [payload], "id": 0}))
    print(f"{args.rounds} rounds x {n} sequential round trips per side (after {warmup} warm-up); payload string {args.payload} B, request frame {frame_len} B")
    if args.no_audit:
        print("DIAGNOSTIC: kernel audit trail disabled (--no-audit); not the shipped configuration")

    rows = []
    lags = []
    with tempfile.TemporaryDirectory(prefix="batos-bench-send-") as tmp:
        kernel = BenchKernel(Path(tmp), no_audit=args.no_audit)
        echo_endpoint = f"tcp://127.0.0.1:{free_port()}"
        echo = floor = None
        ctx = zmq.Context()
        socks = []
        try:
            if args.generated:
                install_generated(kernel.image)
            kernel.start(timeout=60)
            echo = subprocess.Popen([PYTHON, str(SUPPORT / "_echo_server.py"), echo_endpoint])
            ping_until_answered(echo_endpoint, echo, what="echo server")
            k_sock = connect_dealer(ctx, kernel.endpoint)
            e_sock = connect_dealer(ctx, echo_endpoint)
            socks = [k_sock, e_sock]
            sides = ["kernel", "raw"]
            if args.generated:
                floor_endpoint = f"tcp://127.0.0.1:{free_port()}"
                floor = subprocess.Popen([PYTHON, str(SUPPORT / "_jail_floor_server.py"), floor_endpoint])
                ping_until_answered(floor_endpoint, floor, what="jail floor server")
                f_sock = connect_dealer(ctx, floor_endpoint)
                socks.append(f_sock)
                sides.append("floor")
                measure(f_sock, payload, warmup, check=False)
            if args.subscriber:
                watched = attach_subscriber(ctx, k_sock, args.subscriber)
            time.sleep(0.2)
            expected = audit_lines(kernel.audit)  # "kernel_started"

            def settle() -> tuple[int, float]:
                return (0, 0.0) if args.no_audit else wait_for_audit(kernel.audit, expected)

            measure(k_sock, payload, warmup, check=True)
            expected += warmup
            settle()
            measure(e_sock, payload, warmup, check=False)

            print()
            print(f"{'round':>5} {'side':<7} {'p50 us':>8} {'p90 us':>8} {'p99 us':>8} {'mean us':>8}  {'ratio p50':>9} {'ratio mean':>10}  audit lag")
            for r in range(args.rounds):
                order = sides[r % len(sides):] + sides[:r % len(sides)]  # each side first in turn
                got = {}
                lag = (0, 0.0)
                for side in order:
                    if side == "kernel":
                        got[side] = figures(measure(k_sock, payload, n, check=True))
                        expected += n
                        lag = settle()
                        lags.append(lag)
                    else:
                        got[side] = figures(measure(e_sock if side == "raw" else f_sock, payload, n, check=False))
                ratio_p50 = got["kernel"]["p50"] / got["raw"]["p50"]
                ratio_mean = got["kernel"]["mean"] / got["raw"]["mean"]
                rows.append((got, ratio_p50, ratio_mean))
                for side in sides:
                    f = got[side]
                    tail = f"  {ratio_p50:>8.2f}x {ratio_mean:>9.2f}x  {lag[0]} records, drained in {lag[1]:.2f}s" if side == "kernel" else ""
                    print(f"{r + 1:>5} {side:<7} {f['p50']:>8.1f} {f['p90']:>8.1f} {f['p99']:>8.1f} {f['mean']:>8.1f}{tail}")
        finally:
            if args.subscriber:
                print(f"event stream watcher ({args.subscriber}): {watched.stop()} events received")
            for sock in socks:
                sock.close(0)
            ctx.term()
            for server in (echo, floor):
                if server is not None:
                    server.terminate()
                    server.wait(10)
            kernel.stop()

    print()
    print("medians over rounds:")
    labels = {"kernel": f"kernel send({SELECTOR})", "raw": "raw zmq echo", "floor": "jail floor"}
    for side, label in ((side, labels[side]) for side in sides):
        m = {k: median([row[0][side][k] for row in rows]) for k in ("p50", "p90", "p99", "mean")}
        print(f"  {label:<18} p50 {m['p50']:8.1f} us   p90 {m['p90']:8.1f} us   p99 {m['p99']:8.1f} us   mean {m['mean']:8.1f} us")
    if not args.no_audit:
        print(f"  audit trail behind at the end of a kernel round: median {median([l[0] for l in lags]):.0f} of {n} records"
              f" (drained in {median([l[1] for l in lags]):.2f}s after the round)")
    ratio_p50 = median([row[1] for row in rows])
    ratio_mean = median([row[2] for row in rows])

    summary = Summary()
    tag = (" generated (jailed)" if args.generated else "") + (" (no audit)" if args.no_audit else "")
    summary.target(f"RATIO send/raw_echo p50{tag}", ratio_p50, "<=", target_ratio, "x")
    summary.info(f"RATIO send/raw_echo mean{tag}", ratio_mean, "x",
                 note=f"context; against <= {target_ratio:g}x it would {'PASS' if ratio_mean <= target_ratio else 'FAIL'}")
    if args.generated:
        floor_p50 = median([row[0]["kernel"]["p50"] / row[0]["floor"]["p50"] for row in rows])
        hop_p50 = median([row[0]["floor"]["p50"] / row[0]["raw"]["p50"] for row in rows])
        summary.info(f"RATIO send/jail_floor p50{tag}", floor_p50, "x",
                     note="context: the raw echo plus one frame each way to a forked child (bench/support/_jail_floor_server.py)")
        summary.info("RATIO jail_floor/raw_echo p50", hop_p50, "x", note="context: what the process hop alone costs")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

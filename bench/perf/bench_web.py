#!/usr/bin/env python3
"""The web inspector in a real browser: how soon a big image's world is drawn, how soon an event is shown.

    .venv/bin/python bench/perf/bench_web.py [--quick] [--strict] [--rounds N] [--objects N] [--methods N] [--events N]
    .venv/bin/python bench/perf/bench_web.py --build-only      # only build the big image, and time that

Two real kernels (fresh temp images), each with its own inspector (``chat_client.py --web --port 0
--no-browser --endpoint E``, a subprocess; its URL, token included, read from its ``inspector: URL`` line),
and one headless Chromium (tests/browser.py: the system's Chromium and chromedriver):

* **big**: an image built through the kernel with real requests, pipelined: ``--objects`` (1,000) clones
  of genesis_obj named ``obj_0000``... each with a slot ``n``, and ``--methods`` (200) methods
  (``set_method``, one stored case each) spread over them;
* **fresh**: a new image, genesis only (the baseline).

Load: the page is opened, then reloaded; each load is read from the page itself once
``document.body.dataset.world === "ready"``: ``window.batos.loadMs``, ms from navigation start to the world
view drawn. Rounds alternate big and fresh (the first side swaps each round), ``--loads`` loads per side
and round after one uncounted warm-up load per side; the medians are printed with their ratio.
Target: median load on the big image <= 1000 ms.

Events: with the big image's page open and its link up, ``--events`` (200) ``set_slot`` requests ~20 ms
apart, each of which publishes a ``commit`` event on the kernel's stream. The page records, per event it
receives, ``Date.now() - event.at * 1000`` (``window.batos.latencies``); the baseline, the same events
received at the same time by a plain ZeroMQ SUB socket in this process on the kernel's stream (the
endpoint ``status`` names), ``time.time() - event["at"]``. p50 and p95 of both, and the ratio of the p95s
(both are a millisecond or two on one machine: ``Date.now()`` counts whole ms, so the ratio is rough).
Target: the page's p95 <= 100 ms.

Exit code 0 when it ran (each target on a PASS or FAIL line; ``--strict``: 1 when one is missed), 2 on an
error (no browser, an inspector that does not start, a page that never draws its world).
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import (  # noqa: E402
    PYTHON, ROOT, BenchKernel, Summary, connect_dealer, header, kernel_env, median, pack, parser, percentile, unpack,
)

import zmq  # noqa: E402

sys.path.insert(0, str(ROOT))
from bat_os.protocol import decode  # noqa: E402

TARGET_LOAD_MS = 1000.0  # median load of the big image's page
TARGET_EVENT_P95_MS = 100.0  # p95 from the kernel's publish to the page's receipt
EVENT_SPACING = 0.020  # seconds between two set_slot requests in the event run
WINDOW = 64  # requests in flight while the image is built
# the page's own hooks: body[data-world] "ready" once the world view is drawn ("failed" when it cannot be)
READY = ('!document.body ? null : document.body.dataset.world === "failed" ? {failed: true}'
         ' : (document.body.dataset.world === "ready" && window.batos && typeof window.batos.loadMs === "number")'
         ' ? {ms: window.batos.loadMs} : null')


class BenchError(RuntimeError):
    """Something the bench needs did not work: it stops with exit code 2."""


# --- the big image ------------------------------------------------------------------------------------


def pipelined(sock: zmq.Socket, requests: list[dict], window: int = WINDOW, timeout: float = 120.0) -> list[dict]:
    """Send ``requests`` with up to ``window`` in flight; their final replies, in the requests' order.

    Each request gets an ``id`` (its index); progress events (status "event") are skipped."""
    replies: list[dict | None] = [None] * len(requests)
    sent = answered = 0
    while answered < len(requests):
        while sent < len(requests) and sent - answered < window:
            sock.send(pack({**requests[sent], "id": sent}))
            sent += 1
        if not sock.poll(int(timeout * 1000)):
            raise BenchError(f"the kernel answered {answered} of {len(requests)} requests, then nothing for {timeout:g}s")
        reply = unpack(sock.recv_multipart()[-1])
        if reply.get("status") == "event":
            continue
        replies[reply["id"]] = reply
        answered += 1
    return replies  # type: ignore[return-value]


def object_name(i: int) -> str:
    return f"obj_{i:04d}"


def method_request(i: int, objects: int, methods: int) -> dict:
    """The i-th of ``methods``: ``m_NNN(self, x) -> x * (i + 2)`` on every (objects // methods)-th object, with one
    stored case (run in the jail before the method is installed, as any edit's)."""
    selector, factor = f"m_{i:03d}", i + 2
    return {"command": "set_method", "target": object_name(i * max(1, objects // methods) % objects), "selector": selector,
            "source": f"def {selector}(self, x):\n    return x * {factor}\n",
            "cases": [{"args": [3], "result": 3 * factor}], "reason": "bench_web: a method of the big image"}


def build_image(endpoint: str, objects: int = 1000, methods: int = 200, window: int = WINDOW) -> dict[str, float]:
    """Fill the image of the kernel at ``endpoint`` with ``objects`` named clones of genesis_obj and ``methods``
    methods on them, through real pipelined requests; seconds taken by each part."""
    ctx = zmq.Context()
    sock = connect_dealer(ctx, endpoint)
    try:
        started = time.perf_counter()
        clones = [{"command": "clone", "target": "genesis_obj", "name": object_name(i), "slots": {"n": i}} for i in range(objects)]
        refused = [r for r in pipelined(sock, clones, window) if r.get("status") != "ok"]
        if refused:
            raise BenchError(f"{len(refused)} clone(s) refused; the first: {refused[0]!r}")
        cloned = time.perf_counter()
        installs = [method_request(i, objects, methods) for i in range(methods)]
        refused = [r for r in pipelined(sock, installs, window) if r.get("status") != "ok"]
        if refused:
            raise BenchError(f"{len(refused)} set_method(s) refused; the first: {refused[0]!r}")
        done = time.perf_counter()
    finally:
        sock.close(0)
        ctx.term()
    return {"clone_s": cloned - started, "set_method_s": done - cloned, "total_s": done - started}


# --- the inspector ---------------------------------------------------------------------------------------


class Inspector:
    """``chat_client.py --web --port 0 --no-browser --endpoint E`` in a subprocess; ``url`` is the URL it prints."""

    def __init__(self, endpoint: str, workdir: Path, timeout: float = 60.0) -> None:
        self.stderr_path = workdir / f"inspector-{time.monotonic_ns()}.err"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [PYTHON, str(ROOT / "chat_client.py"), "--web", "--port", "0", "--no-browser", "--endpoint", endpoint],
            cwd=workdir, env=kernel_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._drain, args=(lines,), daemon=True).start()  # the pipe never fills
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise BenchError(f"the inspector printed no 'inspector: URL' line within {timeout:g}s: {self.stderr()}") from None
            if line is None:
                code = self.proc.wait(10)
                raise BenchError(f"the inspector exited ({code}) before it served: {self.stderr()}")
            if line.startswith("inspector: "):
                self.url = line.split(" ", 1)[1].strip()
                return

    def _drain(self, lines: "queue.Queue[str | None]") -> None:
        for line in self.proc.stdout:
            lines.put(line)
        lines.put(None)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-3000:] or "(nothing on stderr)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._stderr.close()


# --- the measurements ----------------------------------------------------------------------------------


def load_once(browser: Any, url: str | None, timeout: float = 60.0) -> float:
    """Open ``url`` (None: reload the page) and wait until its world is drawn; the page's own loadMs."""
    if url is None:
        browser.reload()
    else:
        browser.get(url)
    drawn = browser.wait_js(READY, timeout=timeout)
    if "ms" not in drawn:
        raise BenchError(f"the page could not draw its world: {browser.describe()}")
    return float(drawn["ms"])


@dataclass
class Events:
    """What one event run saw: the page's latencies and the SUB socket's, in ms."""

    page: list[float] = field(default_factory=list)
    sub: list[float] = field(default_factory=list)
    sent: int = 0


class Subscriber:
    """A plain SUB socket on the kernel's stream, taking ``commit`` events on a thread; latency = now - event["at"]."""

    def __init__(self, ctx: zmq.Context, endpoint: str) -> None:
        self.sock = ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"commit")
        self.sock.connect(endpoint)
        self.latencies: list[float] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.is_set():
            if self.sock.poll(50):
                _topic, payload = self.sock.recv_multipart()
                self.latencies.append((time.time() - decode(payload)["at"]) * 1000.0)

    def stop(self) -> list[float]:
        self.done.set()
        self.thread.join(10)
        self.sock.close(0)
        return self.latencies


def event_run(browser: Any, endpoint: str, n: int) -> Events:
    """``n`` set_slot requests ~20 ms apart to the kernel at ``endpoint``, its page open in ``browser``."""
    browser.wait_js('document.body.dataset.link === "up"', timeout=30)
    ctx = zmq.Context()
    sock = connect_dealer(ctx, endpoint)
    try:
        sock.send(pack({"command": "status", "id": "status"}))
        if not sock.poll(10_000):
            raise BenchError("the kernel did not answer status")
        stream = unpack(sock.recv())["result"]["events"]["endpoint"]
        sub = Subscriber(ctx, stream)
        time.sleep(0.3)  # the SUB socket's subscription reaches the PUB socket
        before = int(browser.js("window.batos.latencies.length"))
        got = Events()
        next_at = time.perf_counter()
        for i in range(n):
            sock.send(pack({"command": "set_slot", "target": object_name(0), "slot": "tick", "value": i, "id": i}))
            if not sock.poll(10_000) or unpack(sock.recv()).get("status") != "ok":
                raise BenchError(f"set_slot {i} was not answered ok")
            got.sent += 1
            next_at += EVENT_SPACING
            time.sleep(max(0.0, next_at - time.perf_counter()))
        deadline = time.monotonic() + 5  # the last events on their way to the page
        while time.monotonic() < deadline and int(browser.js("window.batos.latencies.length")) - before < n:
            time.sleep(0.05)
        got.page = [float(x) for x in browser.js("window.batos.latencies.slice(arguments[0])", before)]
        got.sub = sub.stop()
    finally:
        sock.close(0)
        ctx.term()
    return got


# --- the run -------------------------------------------------------------------------------------------


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--objects", type=int, default=1000, help="named objects in the big image (default 1000)")
    p.add_argument("--methods", type=int, default=200, help="methods in the big image (default 200)")
    p.add_argument("--loads", type=int, default=None, help="counted loads per side and round (default 5; --quick 2)")
    p.add_argument("--events", type=int, default=None, help="set_slot events in the event run (default 200; --quick 50)")
    p.add_argument("--build-only", action="store_true", help="only build the big image in a kernel, and time that")
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    loads = args.loads or (2 if args.quick else 5)
    events = args.events or (50 if args.quick else 200)
    header("bench_web: the web inspector's load time and event latency in headless Chromium", args)
    try:
        return run(args, loads, events)
    except (BenchError, AssertionError) as exc:  # AssertionError: a wait on the page timed out (it says what it showed)
        print(f"bench_web: error: {exc}", file=sys.stderr)
        return 2


def run(args: Any, loads: int, events: int) -> int:
    if not args.build_only:
        sys.path.insert(0, str(ROOT / "tests"))
        from browser import Browser, missing

        reason = missing()
        if reason is not None:
            raise BenchError(reason)
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="batos-bench-web-") as tmp:
        kernels = {side: BenchKernel(Path(tmp) / side) for side in ("big", "fresh")}
        inspectors: dict[str, Inspector] = {}
        browser = None
        try:
            for side, kernel in kernels.items():
                kernel.workdir.mkdir()
                if side == "big" or not args.build_only:
                    kernel.start(timeout=120)
            built = build_image(kernels["big"].endpoint, args.objects, args.methods)
            print(f"built the big image: {args.objects} objects in {built['clone_s']:.1f}s, {args.methods} methods in "
                  f"{built['set_method_s']:.1f}s ({built['total_s']:.1f}s in all, pipelined {WINDOW} deep)")
            summary.info("build big image", built["total_s"], "s", ".1f",
                          note=f"{args.objects} clones + {args.methods} set_method, context, no target")
            if args.build_only:
                return summary.finish(args.strict)

            for side, kernel in kernels.items():
                inspectors[side] = Inspector(kernel.endpoint, kernel.workdir)
            browser = Browser(Path(tmp))
            for side in ("big", "fresh"):  # one uncounted load each: the browser's own start, its caches
                load_once(browser, inspectors[side].url)

            samples: dict[str, list[float]] = {"big": [], "fresh": []}
            print(f"{'round':>5} {'image':<6} {'loads (ms)':<40} {'median':>8}")
            for r in range(args.rounds):
                for side in (["big", "fresh"] if r % 2 == 0 else ["fresh", "big"]):
                    got = [load_once(browser, inspectors[side].url if i == 0 else None) for i in range(loads)]
                    samples[side] += got
                    print(f"{r + 1:>5} {side:<6} {' '.join(f'{ms:.0f}' for ms in got):<40} {median(got):>8.0f}")
            browser.screenshot("bench_web_fresh")
            load_once(browser, inspectors["big"].url)
            browser.screenshot("bench_web_big")
            big, fresh = median(samples["big"]), median(samples["fresh"])
            print(f"load median: big {big:.0f} ms, fresh {fresh:.0f} ms, ratio {big / fresh:.2f}x")

            seen = event_run(browser, kernels["big"].endpoint, events)
            page, sub = sorted(seen.page), sorted(seen.sub)
            print(f"events: {seen.sent} sent; the page received {len(page)}, the SUB socket {len(sub)}")
            for who, values in (("page", page), ("SUB socket", sub)):
                print(f"  {who:<10} p50 {percentile(values, 50):8.2f} ms  p95 {percentile(values, 95):8.2f} ms  "
                      f"max {values[-1] if values else float('nan'):8.2f} ms")
            if len(page) < seen.sent:
                print(f"  (the page missed {seen.sent - len(page)} event(s))")
            page_p95, sub_p95 = percentile(page, 95), percentile(sub, 95)

            summary.target("LOAD median big image", big, "<=", TARGET_LOAD_MS, " ms", ".0f",
                           note=f"{args.objects} objects, {args.methods} methods")
            summary.info("RATIO load median big / fresh", big / fresh, "x", note=f"fresh image {fresh:.0f} ms, context")
            summary.target("EVENT p95 page", page_p95, "<=", TARGET_EVENT_P95_MS, " ms", ".1f",
                           note=f"{len(page)} of {seen.sent} events received")
            summary.info("RATIO event p95 page / SUB socket", page_p95 / sub_p95 if sub_p95 > 0 else float("nan"), "x",
                         note=f"SUB socket p95 {sub_p95:.2f} ms, context")
        except (BenchError, AssertionError):
            if browser is not None:
                print(f"(what the page showed: {browser.screenshot('bench_web_error')})", file=sys.stderr)
            raise
        finally:
            if browser is not None:
                browser.quit()
            for inspector in inspectors.values():
                inspector.stop()
            for kernel in kernels.values():
                if kernel.proc is not None:
                    kernel.stop()
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

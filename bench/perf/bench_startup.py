#!/usr/bin/env python3
"""Kernel start-up: ``Popen`` of ``python batos.py`` to its first ``ping`` answer, and its memory.

    .venv/bin/python bench/perf/bench_startup.py [--quick] [--strict]

Each round starts a kernel on a fresh temp image (first awakening: migration 1
incarnates the primordial objects and ingests the codex), stops it (SIGTERM),
then starts it again on the same image (resume), and times both from just
before ``Popen`` to the first ``ping`` reply (the ping client is connected
beforehand and retries every 5 ms, so the figure is the kernel's, not the
client's). Right after the fresh kernel answers, its resident memory (RSS,
psutil) is read. Each round also times ``python -c "pass"`` and a process
that only imports the kernel's modules, with the same interpreter, as context.

The kernel binds its socket and answers ``ping`` before anything heavy (``bat_os.kernel.door``); requests
wait until it serves. So each start is timed twice: to the first ping answer, and to the first answer to a
request the kernel itself serves (``inspect``, sent once the ping is answered), given for context.

Targets (issue 42): median time to first ping <= 0.3 s, for the fresh image and the resume.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import PYTHON, ROOT, BenchKernel, Pinger, Summary, header, kernel_env, median, pack, parser, unpack  # noqa: E402

import psutil  # noqa: E402

TARGET_SECONDS = 0.3
IMPORTS = "import bat_os.cli.main, bat_os.config, bat_os.kernel.audit, bat_os.image.image, bat_os.kernel.loop, bat_os.kernel.commands.base, bat_os.image.primordial, zmq.asyncio"


def time_python(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=kernel_env(), check=True)
    return time.perf_counter() - t0


def time_kernel(workdir: Path, image: Path | None) -> tuple[BenchKernel, float, float]:
    """Start a kernel (fresh image when ``image`` is None); seconds from Popen to the first ping answer, and to
    the first answer to a request the kernel itself must serve (``inspect``, sent once the ping is answered)."""
    kernel = BenchKernel(workdir, image=image)
    with Pinger(kernel.endpoint) as pinger:
        t0 = time.perf_counter()
        kernel.start(wait=False)
        t1 = pinger.wait(kernel.proc, timeout=60, what="kernel")
        pinger.sock.send(pack({"command": "inspect", "target": "genesis_obj"}))
        if not pinger.sock.poll(60_000):
            raise TimeoutError("the kernel answered ping but not inspect within 60 s")
        reply = unpack(pinger.sock.recv())
        if reply.get("status") != "ok":
            raise RuntimeError(f"inspect answered {reply!r}")
        t2 = time.perf_counter()
    return kernel, t1 - t0, t2 - t0


def stop(kernel: BenchKernel) -> float:
    t0 = time.perf_counter()
    code = kernel.terminate(30)
    if code != 0:
        raise RuntimeError(f"kernel exited with {code}: {kernel.stderr()}")
    return time.perf_counter() - t0


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    header("bench_startup: Popen -> first ping answer, and RSS", args)
    time_python("pass")  # warm the OS file cache for the interpreter and the packages
    time_python(IMPORTS)

    fresh, resume, bare, imports, rss, rss_resume, stops, sizes = [], [], [], [], [], [], [], []
    served, served_resume = [], []
    print()
    print(f"{'round':>5} {'python -c pass':>14} {'imports only':>12} {'fresh image':>11} {'serving':>8} {'resume':>8} {'serving':>8} "
          f"{'RSS fresh':>10} {'RSS resume':>10} {'SIGTERM->exit':>13}")
    with tempfile.TemporaryDirectory(prefix="batos-bench-startup-") as tmp:
        for r in range(args.rounds):
            workdir = Path(tmp) / f"round{r}"
            workdir.mkdir()
            bare.append(time_python("pass"))
            imports.append(time_python(IMPORTS))
            kernel, seconds, serving = time_kernel(workdir, None)
            try:
                fresh.append(seconds)
                served.append(serving)
                rss.append(psutil.Process(kernel.proc.pid).memory_info().rss / 2**20)
            finally:
                stops.append(stop(kernel))
            sizes.append(kernel.image.stat().st_size)
            kernel, seconds, serving = time_kernel(workdir, kernel.image)
            try:
                resume.append(seconds)
                served_resume.append(serving)
                rss_resume.append(psutil.Process(kernel.proc.pid).memory_info().rss / 2**20)
            finally:
                stops.append(stop(kernel))
            print(f"{r + 1:>5} {bare[-1] * 1000:>11.0f} ms {imports[-1] * 1000:>9.0f} ms {fresh[-1] * 1000:>8.0f} ms "
                  f"{served[-1] * 1000:>5.0f} ms {resume[-1] * 1000:>5.0f} ms {served_resume[-1] * 1000:>5.0f} ms {rss[-1]:>6.1f} MiB {rss_resume[-1]:>6.1f} MiB {max(stops[-2:]) * 1000:>10.0f} ms")

    print()
    print("medians over rounds:")
    print(f"  python -c pass           {median(bare) * 1000:7.0f} ms")
    print(f"  imports only             {median(imports) * 1000:7.0f} ms   (python + the kernel's modules, zmq.asyncio; no image)")
    print(f"  kernel, fresh image      {median(fresh) * 1000:7.0f} ms   (min {min(fresh) * 1000:.0f}, max {max(fresh) * 1000:.0f}); "
          f"{median(fresh) / median(bare):.1f}x python -c pass; image after awakening {median(sizes) / 1024:.0f} KiB")
    print(f"  kernel, resumed image    {median(resume) * 1000:7.0f} ms   (min {min(resume) * 1000:.0f}, max {max(resume) * 1000:.0f}); "
          f"{median(resume) / median(bare):.1f}x python -c pass")
    print(f"  serving, fresh image     {median(served) * 1000:7.0f} ms   (the first inspect answered)")
    print(f"  serving, resumed image   {median(served_resume) * 1000:7.0f} ms")
    print(f"  RSS once serving         {median(rss):7.1f} MiB fresh, {median(rss_resume):.1f} MiB resumed")
    print(f"  SIGTERM to exit          {median(stops) * 1000:7.0f} ms")

    summary = Summary()
    summary.target("TIME startup fresh image -> first ping", median(fresh), "<=", TARGET_SECONDS, " s", fmt=".3f")
    summary.target("TIME startup resumed image -> first ping", median(resume), "<=", TARGET_SECONDS, " s", fmt=".3f")
    summary.info("TIME startup fresh image -> serving (first inspect answered)", median(served), " s", fmt=".3f")
    summary.info("TIME startup resumed image -> serving", median(served_resume), " s", fmt=".3f")
    summary.info("TIME python -c pass", median(bare), " s", fmt=".3f")
    summary.info("MEM kernel RSS, fresh image once serving", median(rss), " MiB", fmt=".1f")
    return summary.finish(args.strict)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The hot paths against their floors, in one table: every request's path and every restart's (issue 42).

    .venv/bin/python bench/perf/bench_hot_paths.py [--quick] [--strict]

Runs, one after the other, each in its own process and each with its own baseline measured in the same run:

* ``bench_send.py``: a plain ``send`` against a raw ZeroMQ echo (target p50 <= 1.1x);
* ``bench_send.py --generated``: a jailed ``send`` (target <= 1.5x); as context, the jail's floor (the raw echo
  plus one frame each way to a forked child, bench/support/_jail_floor_server.py) against the raw echo, and the send
  against that floor;
* ``bench_send.py --subscriber reading``: a plain ``send`` while a watcher reads the event stream (<= 1.2x);
* ``bench_startup.py``: the first ``ping`` after start (target <= 0.3 s), and the first request served;
* ``bench_watchdog.py --no-idle``: ``kill -9`` to the first ``ping`` through the watchdog (target p99 <= 0.5 s,
  no acknowledged write lost).

and prints their summary lines as one table (about 90 s here). ``--quick`` passes ``--quick`` to the start and
restart benches (about 50 s in all); the send benches run in full either way, since their full form takes
seconds and their quick one (two short rounds, cold) reads 2-3x higher. A missed target prints FAIL, and exits
1 only with ``--strict``. ``./run.sh bench`` runs this first
(and those benches not again).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import BENCH, PYTHON, header, parser  # noqa: E402

RUNS = [
    ("send", ["bench_send.py"], "RATIO send/raw_echo p50"),
    ("send, generated (jail)", ["bench_send.py", "--generated"], "RATIO send/raw_echo p50 generated (jailed)"),
    ("  the jail's floor alone / raw echo", ["bench_send.py", "--generated"], "RATIO jail_floor/raw_echo p50"),
    ("  send, generated / the jail's floor", ["bench_send.py", "--generated"], "RATIO send/jail_floor p50 generated (jailed)"),
    ("send, a watcher reading the stream", ["bench_send.py", "--subscriber", "reading"], "RATIO send/raw_echo p50"),
    ("start -> first ping, fresh image", ["bench_startup.py"], "TIME startup fresh image -> first ping"),
    ("start -> first ping, resumed image", ["bench_startup.py"], "TIME startup resumed image -> first ping"),
    ("start -> serving, fresh image", ["bench_startup.py"], "TIME startup fresh image -> serving (first inspect answered)"),
    ("kill -9 -> ping via the watchdog, p99", ["bench_watchdog.py", "--no-idle"], "TIME kill -9 -> first ping of the new kernel p99"),
    ("acknowledged writes lost across kill -9", ["bench_watchdog.py", "--no-idle"], "LOST acknowledged writes across kill -9"),
]
LINE = re.compile(r"^(?P<label>.+?) = (?P<value>\S+?)(?P<unit> s| %|x|)? \((?P<rest>.*)\)\s*(?P<verdict>PASS|FAIL)?")


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    args = p.parse_args()
    args.rounds = args.rounds or "each bench's own"
    header("bench_hot_paths: the request and restart paths against their floors", args)
    outputs: dict[tuple[str, ...], str] = {}
    for _name, command, _label in RUNS:
        key = tuple(command)
        if key in outputs:
            continue
        started = time.monotonic()
        quick = args.quick and command[0] != "bench_send.py"  # its full form takes seconds; its quick one misleads
        done = subprocess.run([PYTHON, str(Path(__file__).resolve().parent / command[0]), *command[1:], *(["--quick"] if quick else [])],
                              capture_output=True, text=True)
        outputs[key] = done.stdout
        print(f"  {' '.join(command)}: {time.monotonic() - started:.0f} s, exit {done.returncode}")
        if done.returncode != 0:
            print(done.stdout[-2000:] + done.stderr[-2000:])
    print()
    print(f"| {'path':42} | {'measured':>10} | {'target':>10} | {'':4} |")
    print(f"|{'-' * 44}|{'-' * 12}|{'-' * 12}|{'-' * 6}|")
    missed = 0
    for name, command, label in RUNS:
        found = next((m for line in outputs[tuple(command)].splitlines() if line.startswith(label + " = ")
                      and (m := LINE.match(line))), None)
        if found is None:
            print(f"| {name:42} | {'not found':>10} | {'':>10} | FAIL |")
            missed += 1
            continue
        target = re.search(r"target (<=|>=) ([^)]*)", found["rest"])
        verdict = found["verdict"] or ""
        missed += verdict == "FAIL"
        print(f"| {name:42} | {found['value'] + (found['unit'] or ''):>10} | {(target.group(1) + ' ' + target.group(2)) if target else 'context':>10} | {verdict:4} |")
    if missed and args.strict:
        print(f"{missed} target(s) missed; --strict: exit 1")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

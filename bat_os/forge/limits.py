"""A forge worker's limits, set by the worker itself as it starts, then its module run.

::

    python -m bat_os.forge.limits [--memory-mb N] MODULE [ARGS...]

caps this process's address space at ``N`` MiB (POSIX ``RLIMIT_AS``; 0, the default, or another OS: no cap), then
runs ``MODULE`` as ``python -m MODULE ARGS`` would, in the same process: past the cap its allocations fail inside
the worker, which says so and exits, never in the kernel. :mod:`bat_os.forge.runs` starts every worker this way
rather than with ``preexec_fn``, which is unsafe in a process that runs threads (the kernel does). Stdlib only.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys


def cap_memory(memory_mb: int) -> None:
    """This process's address space at most ``memory_mb`` MiB (soft and hard); 0 or not POSIX: as it is."""
    if not memory_mb or os.name != "posix":
        return
    import resource

    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bat_os.forge.limits", description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory-mb", type=int, default=0, help="address space at most, MiB (0: no cap)")
    parser.add_argument("module", help="the worker's module, run as __main__")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    args = parser.parse_args(argv)
    cap_memory(args.memory_mb)
    sys.argv = [args.module, *args.args]  # what the module's own parser reads
    runpy.run_module(args.module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

"""A reusable child: locked down like a fresh one, then run after run over its socket until it retires.

Between runs it puts back what a run may change in the allowed modules
(:class:`~.namespace.ModuleState`). It retires (its last answer carries
``"retire": true``) after a CPU timeout or a ``MemoryError``, once it has used
``WARM_CPU_RESERVE`` seconds of CPU, or once its peak RSS grew by more than
``WARM_RSS_GROWTH``; the kernel closes its socket to end it sooner.
"""

from __future__ import annotations

import os
import resource

from ..contract import CLEAN_OPS, EXIT_PROTOCOL, whole_cpu_seconds
from .frames import pack, read_frame, write_all
from .namespace import ModuleState
from .run import timed_run

WARM_CPU_RESERVE = 1  # whole seconds of CPU a reusable child may use over its life beyond one run's limit
WARM_RSS_GROWTH = 32 * 2**20  # a reusable child retires once its peak RSS grew by this much


def _usage() -> tuple[float, int]:
    """CPU seconds used so far and peak RSS in bytes (one syscall)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def serve_warm(fd: int, first: dict) -> int:
    """A reusable child: run after run until the kernel closes the socket or the child retires."""
    static = first["limits"]
    cpu_seconds = whole_cpu_seconds(float(static["cpu_seconds"]))
    rss_budget = min(WARM_RSS_GROWTH, int(static["memory_bytes"]) // 4)
    state = ModuleState()
    state.reset()
    rss_start = _usage()[1]
    write_all(fd, pack({"op": "ready", "pid": os.getpid()}))
    while True:
        try:
            request = read_frame(fd)
        except EOFError:
            return 0
        limits = request.get("limits") or {}
        if (request.get("op") != "run" or limits.get("memory_bytes") != static["memory_bytes"]
                or whole_cpu_seconds(float(limits["cpu_seconds"])) > cpu_seconds):
            return EXIT_PROTOCOL  # the kernel keeps a reusable child to runs of the limits it was made with
        answer = timed_run(request, fd)
        cpu_used, rss = _usage()
        retire = answer["op"] not in CLEAN_OPS or cpu_used >= WARM_CPU_RESERVE or rss - rss_start > rss_budget
        if retire:
            answer["retire"] = True
        write_all(fd, pack(answer))
        if retire:
            return 0
        state.reset()  # after the answer: off the caller's clock

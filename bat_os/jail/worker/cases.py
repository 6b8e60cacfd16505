"""A candidate's test cases in one fresh child: every case run apart, one answer for the set.

``{"op": "run", ..., "cases": [{"args": [...], "kwargs": {...}}, ...], "case_cpu_seconds": c}``:
the source is compiled once; before each case the child tells the kernel
``{"op": "case", "index": i}`` (the kernel's host starts that case's overlay
of the receiver's slots: see :class:`bat_os.cognition.methods.host.CaseHost`), then
calls the method with a new :class:`~.run.Run` (its own slot cache and
snapshot copy) under a CPU timer of ``c`` seconds. The final frame is a
``result`` whose value is one outcome per case, in order::

    {"value": plain}                         the method returned
    {"raised": "ValueError", "message": "..."}
    {"cpu": "past the CPU-time limit of 2s"}  (the cases after it are not run: "skipped")
    {"skipped": "..."}

With ``"trace": true`` each outcome of a case that ended also holds ``"arcs"``: the ``[from, to]`` line pairs the
method's own code took (:class:`~.arcs.Arcs`), what the kernel reads branch coverage from.

A ``MemoryError`` ends the whole set (``memory``, as for one run): nothing
after it in this process can be trusted. ``RLIMIT_CPU`` (the request's
``limits.cpu_seconds``) stays the backstop for the whole set.
"""

from __future__ import annotations

import ormsgpack

from .arcs import Arcs
from .plain import ValueTooLarge, from_plain, result_form
from .run import Run, _describe, _flush_after_failure
from .timer import TIMER, CpuLimit

CASE_VALUE_BYTES = 16 * 1024  # a case's result, packed, at most (a test compares small values)


def serve_cases(request: dict, fd: int) -> dict:
    limits = request["limits"]
    seconds = float(request.get("case_cpu_seconds") or limits["cpu_seconds"])
    snapshot = request.get("snapshot")
    packed_snapshot = ormsgpack.packb(snapshot) if type(snapshot) is dict and snapshot else None
    outcomes: list[dict] = []
    printed: list[str] = []
    stop = ""
    traced = request.get("trace") is True
    for index, case in enumerate(request.get("cases") or []):
        if stop:
            outcomes.append({"skipped": stop})
            continue
        run = Run(fd, limits, ormsgpack.unpackb(packed_snapshot) if packed_snapshot else None)
        try:
            run.call({"op": "case", "index": index})
            TIMER.start(seconds)
            try:
                if traced:
                    with Arcs(f"<method {request['selector']} ") as arcs:
                        outcome = _one(run, request, case)
                    outcome["arcs"] = arcs.sorted()
                else:
                    outcome = _one(run, request, case)
            finally:
                over = TIMER.stop()
        except CpuLimit:
            over = TIMER.stop() or True
        except MemoryError:
            return {"op": "memory", "message": "MemoryError"}
        except (EOFError, BrokenPipeError, ConnectionError):
            raise
        if over:
            outcome = {"cpu": TIMER.message()}
            stop = f"not run: case {index} went past the CPU-time limit"
        outcomes.append(outcome)
        printed.append(run.printed.text())
    return {"op": "result", "value": outcomes, "printed": "".join(printed)[-65536:]}


def _one(run: Run, request: dict, case: object) -> dict:
    """One case: the outcome as data. Every exception of the method's becomes an outcome."""
    if type(case) is not dict:
        return {"raised": "TypeError", "message": "a case must be a map"}
    try:
        args = from_plain(case.get("args") or [], run)
        kwargs = from_plain(case.get("kwargs") or {}, run)
        try:
            value = run.invoke(run.proxy("self"), request["selector"], request["source"], list(args), dict(kwargs))
        except BaseException:
            _flush_after_failure(run)
            raise
        run.flush()
        plain, packed = run._plain_packed(result_form(value), "the result")
        if len(packed) > CASE_VALUE_BYTES:
            raise ValueTooLarge(f"the result is {len(packed)} bytes, over a case's limit of {CASE_VALUE_BYTES}")
        return {"value": plain}
    except (CpuLimit, MemoryError, EOFError, BrokenPipeError, ConnectionError):
        raise
    except ValueTooLarge as exc:
        return {"raised": "ResultTooLarge", "message": _describe(exc)}
    except BaseException as exc:  # noqa: BLE001 - whatever the method raised is the case's outcome
        return {"raised": type(exc).__name__, "message": _describe(exc)}

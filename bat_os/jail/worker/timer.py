"""The CPU time of one run: ``ITIMER_PROF`` raises :class:`CpuLimit` in the method (``RLIMIT_CPU`` stays the backstop)."""

from __future__ import annotations

import os
import signal
import time

from ..contract import EXIT_CPU

CPU_GRACE = 0.25  # seconds of CPU a method gets to unwind after CpuLimit


class CpuLimit(BaseException):
    """The run used up its CPU time (raised in the method by the run's timer; not catchable as Exception)."""


class CpuTimer:
    """``ITIMER_PROF`` for one run: ``cpu_seconds`` of its own CPU time, then :class:`CpuLimit`.

    The handler runs between bytecodes of the main thread. Inside a frame
    exchange with the kernel (``critical``) the exception waits for the end
    of the exchange, so the channel never carries half a frame. A method that
    swallows the exception is ended ``CPU_GRACE`` seconds of CPU later (the
    child exits with ``EXIT_CPU``). A signal of an earlier run that arrives
    late (the timer disarmed) is ignored; one that arrives before the run has
    used its time by ``process_time`` re-arms the timer for the rest.
    """

    def __init__(self) -> None:
        self.armed = False
        self.fired = False
        self.pending = False
        self.critical = 0
        self.limit = 0.0
        self.started = 0.0

    def install(self) -> None:
        signal.signal(signal.SIGPROF, self._expired)

    def start(self, seconds: float) -> None:
        self.fired = self.pending = False
        self.critical = 0
        self.limit = seconds
        self.started = time.process_time()
        self.armed = True
        signal.setitimer(signal.ITIMER_PROF, seconds)

    def stop(self) -> bool:
        """Disarm; True when the run went past its limit (the timer ran out, handled or not yet)."""
        self.armed = False
        left, _ = signal.setitimer(signal.ITIMER_PROF, 0)
        return self.fired or left <= 0

    def message(self) -> str:
        return f"past the CPU-time limit of {self.limit:g}s"

    def _expired(self, signum: int, frame: object) -> None:
        if not self.armed:
            return  # stale: a signal of an earlier run
        left = self.limit - (time.process_time() - self.started)
        if left > 0.001:
            # early by this clock (the timer's CPU accounting is sampled; a busy machine shows it):
            # arm it again for what is left rather than let the method run on unbounded
            signal.setitimer(signal.ITIMER_PROF, left)
            return
        if self.fired:
            os._exit(EXIT_CPU)  # the method swallowed the first one
        self.fired = True
        signal.setitimer(signal.ITIMER_PROF, CPU_GRACE)
        if self.critical:
            self.pending = True
            return
        raise CpuLimit(self.message())


TIMER = CpuTimer()

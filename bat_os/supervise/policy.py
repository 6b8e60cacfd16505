"""The watchdog's restart policy: a small state machine with backoff and crash-loop detection.

Standard library only and no I/O: the watchdog (``min_watchdog_service.py``)
owns the processes, sockets and logs, and tells the policy what happened.
Time is injected: every method takes ``now`` (monotonic seconds); when it is
None the ``clock`` given to the constructor is read, as supervisor's
``tick(now=None)`` does. Jitter comes from an injectable ``random.Random``.
Tests drive it with plain numbers and never sleep.

States and the transitions the policy allows (anything else raises
:class:`TransitionError`)::

    STOPPED  --start-->    STARTING   first start, or a restart after a clean stop
    UPGRADING --start-->   STARTING   the upgrade's new kernel (or the rolled-back old one)
    STARTING --ready-->    RUNNING    the kernel answered its first ping
    STARTING --failed-->   BACKOFF    it died or never answered (or FATAL: crash loop)
    RUNNING  --failed-->   BACKOFF    it died or stopped answering (or FATAL: crash loop)
    BACKOFF  --start-->    STARTING   the backoff delay has passed (see :meth:`due`)
    STARTING/RUNNING/BACKOFF --fatal-->  FATAL     restarting cannot help (bad config, unreadable image)
    STARTING/RUNNING/BACKOFF/FATAL/UPGRADING --stop-->  STOPPING  the watchdog was told to stop
    STOPPING --stopped-->  STOPPED    the kernel is gone
    STOPPED/STARTING/RUNNING/BACKOFF/FATAL --upgrade-->  UPGRADING  a gated upgrade takes over:
                                      the kernel is (being) stopped; the crash-loop count and
                                      the backoff start afresh
    FATAL                             no restarts: the watchdog waits for an operator (stop)
                                      or an upgrade instruction (or exits, if told to)

Defaults (each a constructor argument):

* ``max_restarts=5`` within ``window=60.0`` seconds: a failure that would be
  the sixth restart inside one minute is a crash loop, and the state becomes
  FATAL instead of BACKOFF. ``max_restarts=0`` means never restart.
* backoff before restart *n* (n = 0, 1, 2, ...) is
  ``min(backoff_max, backoff_initial * backoff_factor ** n)`` with
  ``backoff_initial=1.0``, ``backoff_factor=2.0``, ``backoff_max=60.0``,
  then shortened by a random fraction of at most ``jitter=0.2`` (the delay
  lies in ``[d * (1 - jitter), d]``, so it never exceeds the cap) so that
  several watchdogs do not retry in lockstep.
* the first restart after a healthy run has no delay: a kernel that failed while RUNNING, with no restart
  since the backoff was last reset (``attempt`` 0), having run at least ``backoff_initial`` seconds, is
  started again at once (a killed kernel is back in the time it takes to start). The next failure, before
  the backoff is reset, waits as above (``backoff_initial * backoff_factor``, ...).
* after the kernel has been RUNNING for ``healthy_after=60.0`` seconds
  without failing, :meth:`tick` resets the backoff to ``backoff_initial``.
  The crash-loop window is not reset: old failures simply age out of it.

A gated upgrade (see :mod:`bat_os.supervise.upgrade`) is ``upgrade`` -> (stop the
kernel, back up, run the steps) -> ``start`` -> ``ready``; a rollback is
``upgrade`` again -> (restore) -> ``start``.
"""

from __future__ import annotations

import enum
import random
import time
from collections import deque
from typing import Any, Callable, Iterable

__all__ = ["RestartPolicy", "State", "TransitionError"]


class State(enum.Enum):
    STARTING = "starting"  # the kernel process was spawned; it has not answered a ping yet
    RUNNING = "running"  # it answers pings
    BACKOFF = "backoff"  # it failed; waiting before the next start
    STOPPING = "stopping"  # the watchdog is stopping it on purpose
    STOPPED = "stopped"  # no kernel, none wanted (initial state, and after a clean stop)
    UPGRADING = "upgrading"  # a gated upgrade (or its rollback) holds the kernel stopped
    FATAL = "fatal"  # given up: crash loop, or a failure restarting cannot fix


#: States in which a kernel process exists (or is being started).
LIVE = frozenset({State.STARTING, State.RUNNING})


class TransitionError(RuntimeError):
    """A transition the state machine does not allow (a bug in the caller)."""


class RestartPolicy:
    """Decides whether and when to restart the kernel. See the module docstring."""

    def __init__(
        self,
        *,
        max_restarts: int = 5,
        window: float = 60.0,
        backoff_initial: float = 1.0,
        backoff_factor: float = 2.0,
        backoff_max: float = 60.0,
        jitter: float = 0.2,
        healthy_after: float = 60.0,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        listener: Callable[[State, State, str], None] | None = None,
    ) -> None:
        if max_restarts < 0:
            raise ValueError("max_restarts must be 0 or more")
        if window <= 0:
            raise ValueError("window must be positive")
        if backoff_initial < 0 or backoff_max < backoff_initial:
            raise ValueError("need 0 <= backoff_initial <= backoff_max")
        if backoff_factor < 1:
            raise ValueError("backoff_factor must be at least 1")
        if not 0 <= jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        if healthy_after < 0:
            raise ValueError("healthy_after must be 0 or more")
        self.max_restarts = max_restarts
        self.window = float(window)
        self.backoff_initial = float(backoff_initial)
        self.backoff_factor = float(backoff_factor)
        self.backoff_max = float(backoff_max)
        self.jitter = float(jitter)
        self.healthy_after = float(healthy_after)
        self.rng = rng if rng is not None else random.Random()
        self.clock = clock
        self.listener = listener

        self.state = State.STOPPED
        self.reason = "not started"  # why the last transition happened
        self.attempt = 0  # restarts since the last healthy run: the backoff exponent
        self.restarts = 0  # restarts over the watchdog's whole life
        self.starts = 0
        self.failures: deque[float] = deque()  # times of recent failures, for the crash-loop window
        self.since: float | None = None  # when the current state was entered (None: never started)
        self.restart_at: float | None = None  # BACKOFF: when the next start is due
        self.last_delay: float | None = None

    # --- the transitions --------------------------------------------------------------
    def start(self, now: float | None = None) -> None:
        """The watchdog is spawning the kernel."""
        now = self._now(now)
        self._require("start", State.STOPPED, State.BACKOFF, State.UPGRADING)
        restarting = self.state is State.BACKOFF
        if restarting:
            self.restarts += 1
        self.starts += 1
        self.restart_at = None
        # STOPPED -> STARTING (first start) / BACKOFF -> STARTING (the delay has passed)
        # UPGRADING -> STARTING (the upgraded kernel, or the old one after a rollback)
        reason = f"restart #{self.restarts}" if restarting else "starting after the upgrade" if self.state is State.UPGRADING else "starting"
        self._enter(State.STARTING, now, reason)

    def ready(self, now: float | None = None) -> None:
        """The kernel answered its first ping."""
        now = self._now(now)
        self._require("ready", State.STARTING)
        # STARTING -> RUNNING
        self._enter(State.RUNNING, now, "answering pings")

    def failed(self, reason: str, now: float | None = None) -> float | None:
        """The kernel died or stopped answering. Returns the backoff delay, or None if FATAL."""
        now = self._now(now)
        self._require("failed", State.STARTING, State.RUNNING)
        self.failures.append(now)
        self._forget_old_failures(now)
        if len(self.failures) > self.max_restarts:
            # STARTING/RUNNING -> FATAL: too many restarts inside the window
            self._enter(
                State.FATAL,
                now,
                f"crash loop: {reason}; {len(self.failures)} failures within {self.window:g}s "
                f"(at most {self.max_restarts} restarts allowed)",
            )
            return None
        delay = self.next_delay()
        if self.state is State.RUNNING and self.attempt == 0 and self.since is not None and now - self.since >= self.backoff_initial:
            delay = 0.0  # the first failure after a healthy run longer than its back-off: restarted at once
        self.attempt += 1
        self.restart_at = now + delay
        self.last_delay = delay
        # STARTING/RUNNING -> BACKOFF
        self._enter(State.BACKOFF, now, f"{reason}; restarting in {delay:.2f}s")
        return delay

    def fatal(self, reason: str, now: float | None = None) -> None:
        """A failure that restarting cannot fix (bad configuration, unreadable image)."""
        now = self._now(now)
        self._require("fatal", State.STARTING, State.RUNNING, State.BACKOFF)
        self.restart_at = None
        # STARTING/RUNNING/BACKOFF -> FATAL
        self._enter(State.FATAL, now, reason)

    def stop(self, reason: str = "stop requested", now: float | None = None) -> None:
        """The watchdog is stopping the kernel on purpose (no restart follows)."""
        now = self._now(now)
        self._require("stop", State.STARTING, State.RUNNING, State.BACKOFF, State.FATAL, State.UPGRADING)
        self.restart_at = None
        # STARTING/RUNNING/BACKOFF/FATAL/UPGRADING -> STOPPING
        self._enter(State.STOPPING, now, reason)

    def stopped(self, now: float | None = None) -> None:
        """The kernel is gone after :meth:`stop`."""
        now = self._now(now)
        self._require("stopped", State.STOPPING)
        # STOPPING -> STOPPED
        self._enter(State.STOPPED, now, "stopped")

    def upgrade(self, reason: str, now: float | None = None) -> None:
        """A gated upgrade (or its rollback) takes over; the next start is a fresh one."""
        now = self._now(now)
        self._require("upgrade", State.STOPPED, State.STARTING, State.RUNNING, State.BACKOFF, State.FATAL, State.UPGRADING)
        self.restart_at = None
        self.failures.clear()  # old crashes say nothing about the new code
        self.attempt = 0
        # STOPPED/STARTING/RUNNING/BACKOFF/FATAL -> UPGRADING (UPGRADING -> UPGRADING: the rollback)
        self._enter(State.UPGRADING, now, reason)

    # --- questions the watchdog asks ---------------------------------------------------
    def due(self, now: float | None = None) -> bool:
        """In BACKOFF: has the delay passed, so that :meth:`start` may be called?"""
        now = self._now(now)
        return self.state is State.BACKOFF and self.restart_at is not None and now >= self.restart_at

    def remaining(self, now: float | None = None) -> float:
        """In BACKOFF: seconds until the restart is due (0 otherwise)."""
        now = self._now(now)
        if self.state is not State.BACKOFF or self.restart_at is None:
            return 0.0
        return max(0.0, self.restart_at - now)

    def tick(self, now: float | None = None) -> bool:
        """Call now and then while RUNNING. Returns True when it reset the backoff."""
        now = self._now(now)
        self._forget_old_failures(now)
        if self.state is State.RUNNING and self.attempt and self.since is not None and now - self.since >= self.healthy_after:
            self.attempt = 0
            return True
        return False

    def next_delay(self) -> float:
        """The delay the next failure would get: capped exponential, shortened by jitter."""
        base = min(self.backoff_max, self.backoff_initial * self.backoff_factor**self.attempt)
        return base * (1.0 - self.jitter * self.rng.random())

    def snapshot(self, now: float | None = None) -> dict[str, Any]:
        """Plain values for a log line, a state file or a status command."""
        now = self._now(now)
        return {
            "state": self.state.value,
            "reason": self.reason,
            "in_state_for": None if self.since is None else round(now - self.since, 3),
            "starts": self.starts,
            "restarts": self.restarts,
            "recent_failures": len(self.failures),
            "restart_in": round(self.remaining(now), 3) if self.state is State.BACKOFF else None,
        }

    # --- internals -------------------------------------------------------------------------
    def _now(self, now: float | None) -> float:
        return self.clock() if now is None else float(now)

    def _require(self, action: str, *allowed: State) -> None:
        if self.state not in allowed:
            raise TransitionError(f"cannot {action} in state {self.state.name} (allowed from {_names(allowed)})")

    def _enter(self, state: State, now: float, reason: str) -> None:
        old = self.state
        self.state = state
        self.since = now
        self.reason = reason
        if self.listener is not None:
            self.listener(old, state, reason)

    def _forget_old_failures(self, now: float) -> None:
        while self.failures and now - self.failures[0] > self.window:
            self.failures.popleft()


def _names(states: Iterable[State]) -> str:
    return ", ".join(s.name for s in states)

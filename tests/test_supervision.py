"""The restart policy, driven with plain numbers: no processes, no sleeps."""

from __future__ import annotations

import random

import pytest

from bat_os.supervise.policy import RestartPolicy, State, TransitionError


class FixedRandom(random.Random):
    """A jitter source that always draws the same fraction."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def policy(**kwargs) -> RestartPolicy:
    kwargs.setdefault("jitter", 0.0)
    kwargs.setdefault("clock", lambda: pytest.fail("the policy read the clock although now was given"))
    return RestartPolicy(**kwargs)


def fail_and_restart(p: RestartPolicy, at: float) -> float | None:
    """Fail at ``at``; if a delay comes back, start again once it has passed."""
    delay = p.failed("exited with code 1", now=at)
    if delay is not None:
        assert not p.due(now=at + delay - 0.001)
        assert p.due(now=at + delay)
        p.start(now=at + delay)
    return delay


def test_defaults_are_the_documented_ones():
    p = RestartPolicy()
    assert (p.max_restarts, p.window) == (5, 60.0)
    assert (p.backoff_initial, p.backoff_factor, p.backoff_max, p.jitter, p.healthy_after) == (1.0, 2.0, 60.0, 0.2, 60.0)
    assert p.state is State.STOPPED


def test_backoff_doubles_then_stays_at_the_cap():
    p = policy(max_restarts=100, window=1.0, backoff_initial=1.0, backoff_factor=2.0, backoff_max=10.0)
    p.start(now=0.0)
    delays = []
    t = 0.0
    for _ in range(6):
        t += 100.0  # far apart: never a crash loop
        delays.append(fail_and_restart(p, t))
    assert delays == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert p.restarts == 6 and p.starts == 7


def test_jitter_only_shortens_and_never_exceeds_the_cap():
    low = policy(backoff_initial=4.0, backoff_max=4.0, jitter=0.25, rng=FixedRandom(0.999999))
    low.start(now=0.0)
    assert low.failed("died", now=1.0) == pytest.approx(3.0, abs=1e-4)

    high = policy(backoff_initial=4.0, backoff_max=4.0, jitter=0.25, rng=FixedRandom(0.0))
    high.start(now=0.0)
    assert high.failed("died", now=1.0) == 4.0

    seeded = policy(max_restarts=1000, window=1.0, backoff_initial=0.5, backoff_max=8.0, jitter=0.2, rng=random.Random(42))
    seeded.start(now=0.0)
    seen = set()
    t = 0.0
    for _ in range(50):
        t += 10.0
        cap = min(8.0, 0.5 * 2.0**seeded.attempt)
        delay = fail_and_restart(seeded, t)
        assert cap * 0.8 <= delay <= cap
        seen.add(round(delay, 6))
    assert len(seen) > 10  # it really varies


def test_crash_loop_is_fatal_after_max_restarts_within_the_window():
    p = policy(max_restarts=3, window=10.0, backoff_initial=0.1, backoff_max=0.1)
    p.start(now=0.0)
    assert fail_and_restart(p, 1.0) == 0.1
    assert fail_and_restart(p, 2.0) == 0.1
    assert fail_and_restart(p, 3.0) == 0.1
    assert p.state is State.STARTING and p.restarts == 3
    assert p.failed("exited with code 1", now=4.0) is None
    assert p.state is State.FATAL
    assert "crash loop" in p.reason and "exited with code 1" in p.reason and "4 failures within 10s" in p.reason
    with pytest.raises(TransitionError):
        p.start(now=100.0)


def test_failures_spread_wider_than_the_window_are_not_a_crash_loop():
    p = policy(max_restarts=2, window=10.0, backoff_initial=0.1, backoff_max=0.1)
    p.start(now=0.0)
    for i in range(1, 20):
        assert fail_and_restart(p, i * 6.0) is not None  # at most 2 failures in any 10 s
    assert p.state is State.STARTING
    assert p.restarts == 19


def test_the_window_boundary():
    p = policy(max_restarts=1, window=10.0, backoff_initial=0.0, backoff_max=0.0)
    p.start(now=0.0)
    assert fail_and_restart(p, 0.0) == 0.0
    # the first failure is exactly 10 s old: still inside the window, so two failures: crash loop
    assert fail_and_restart(p, 10.0) is None
    assert p.state is State.FATAL

    q = policy(max_restarts=1, window=10.0, backoff_initial=0.0, backoff_max=0.0)
    q.start(now=0.0)
    assert fail_and_restart(q, 0.0) == 0.0
    assert fail_and_restart(q, 10.001) == 0.0
    assert q.state is State.STARTING


def test_max_restarts_zero_never_restarts():
    p = policy(max_restarts=0)
    p.start(now=0.0)
    p.ready(now=1.0)
    assert p.failed("killed by SIGKILL", now=500.0) is None
    assert p.state is State.FATAL


def test_a_healthy_run_resets_the_backoff():
    p = policy(max_restarts=100, window=1.0, backoff_initial=1.0, backoff_max=60.0, healthy_after=30.0)
    p.start(now=0.0)
    t = 0.0
    for expected in (1.0, 2.0, 4.0):
        t += 5.0
        assert fail_and_restart(p, t) == expected
    p.ready(now=t + 1.0)  # RUNNING since t + 1
    assert p.tick(now=t + 30.0) is False  # 29 s: not yet
    assert p.attempt == 3
    assert p.tick(now=t + 31.0) is True  # 30 s healthy
    assert p.attempt == 0
    assert p.tick(now=t + 40.0) is False  # nothing left to reset
    assert p.failed("stopped answering", now=t + 50.0) == 0.0  # the first failure after a healthy run: at once


def test_the_first_restart_after_a_healthy_run_is_at_once_and_the_next_ones_back_off():
    p = policy(max_restarts=100, window=1.0, backoff_initial=1.0, backoff_max=60.0, healthy_after=30.0)
    p.start(now=0.0)
    p.ready(now=0.2)
    assert p.failed("killed by SIGKILL", now=10.0) == 0.0 and p.due(now=10.0)
    p.start(now=10.0)
    p.ready(now=10.2)
    assert p.failed("killed by SIGKILL", now=20.0) == 2.0  # no healthy reset since: the back-off goes on
    p.start(now=22.0)
    p.ready(now=22.2)
    assert p.tick(now=52.2) is True  # healthy again: reset
    assert p.failed("killed by SIGKILL", now=60.0) == 0.0


def test_a_kernel_that_fails_sooner_after_starting_than_its_back_off_waits_it():
    p = policy(max_restarts=100, window=1.0, backoff_initial=1.0, backoff_max=60.0)
    p.start(now=0.0)
    p.ready(now=0.2)
    assert p.failed("killed by SIGKILL", now=0.9) == 1.0  # RUNNING 0.7 s: not healthy longer than its back-off
    q = policy(max_restarts=100, window=1.0, backoff_initial=1.0, backoff_max=60.0)
    q.start(now=0.0)
    assert q.failed("exited with code 1", now=50.0) == 1.0  # never answered: no healthy run at all


def test_a_kernel_that_never_gets_ready_keeps_backing_off():
    p = policy(max_restarts=100, window=1.0, backoff_initial=1.0, backoff_max=60.0, healthy_after=0.0)
    p.start(now=0.0)
    assert p.tick(now=1000.0) is False  # STARTING, not RUNNING: no reset
    assert fail_and_restart(p, 1000.0) == 1.0
    assert fail_and_restart(p, 2000.0) == 2.0


def test_due_and_remaining():
    p = policy(backoff_initial=2.0, backoff_max=2.0)
    assert not p.due(now=0.0) and p.remaining(now=0.0) == 0.0  # STOPPED
    p.start(now=0.0)
    p.failed("died", now=10.0)
    assert p.state is State.BACKOFF
    assert p.remaining(now=10.5) == 1.5
    assert not p.due(now=11.9)
    assert p.due(now=12.0)
    assert p.remaining(now=13.0) == 0.0


def test_exit_codes_that_restarting_cannot_fix_are_fatal_at_once():
    p = policy()
    p.start(now=0.0)
    p.fatal("the image cannot be opened (exit code 3)", now=0.5)
    assert p.state is State.FATAL
    assert p.reason == "the image cannot be opened (exit code 3)"
    assert p.restarts == 0
    for action in (lambda: p.start(now=1.0), lambda: p.failed("x", now=1.0), lambda: p.ready(now=1.0)):
        with pytest.raises(TransitionError):
            action()
    # FATAL waits for an operator: stop ends it (FATAL -> STOPPING -> STOPPED) ...
    p.stop("stop requested", now=2.0)
    p.stopped(now=3.0)
    assert p.state is State.STOPPED


def test_an_upgrade_takes_over_from_fatal_and_starts_afresh():
    p = policy(max_restarts=1, window=100.0, backoff_initial=1.0, backoff_max=8.0)
    p.start(now=0.0)
    fail_and_restart(p, 1.0)
    assert p.failed("died again", now=3.0) is None and p.state is State.FATAL
    p.upgrade("upgrade 1: stopping the kernel", now=4.0)  # FATAL -> UPGRADING
    assert p.state is State.UPGRADING and p.reason == "upgrade 1: stopping the kernel"
    assert len(p.failures) == 0 and p.attempt == 0
    with pytest.raises(TransitionError):
        p.ready(now=5.0)
    p.start(now=5.0)  # UPGRADING -> STARTING: the new kernel
    assert p.state is State.STARTING and p.reason == "starting after the upgrade" and p.restarts == 1
    assert p.failed("the new kernel died", now=6.0) == 1.0  # a fresh count: backoff, not FATAL
    p.upgrade("rolling back", now=7.0)  # BACKOFF -> UPGRADING
    p.upgrade("rolling back, again", now=7.5)  # UPGRADING -> UPGRADING
    p.stop("SIGTERM received", now=8.0)  # UPGRADING -> STOPPING
    assert p.state is State.STOPPING
    with pytest.raises(TransitionError, match="cannot upgrade in state STOPPING"):
        p.upgrade("too late", now=9.0)


def test_stop_from_each_live_state_and_start_again():
    for setup in ("starting", "running", "backoff"):
        p = policy()
        p.start(now=0.0)
        if setup in ("running",):
            p.ready(now=1.0)
        if setup == "backoff":
            p.failed("died", now=1.0)
        p.stop("SIGTERM received", now=2.0)
        assert p.state is State.STOPPING and p.reason == "SIGTERM received"
        assert not p.due(now=1000.0)  # no restart is pending any more
        p.stopped(now=3.0)
        assert p.state is State.STOPPED
        p.start(now=4.0)  # STOPPED -> STARTING: e.g. after an upgrade
        assert p.state is State.STARTING


@pytest.mark.parametrize(
    "state_setup, action",
    [
        ("stopped", "ready"),
        ("stopped", "failed"),
        ("stopped", "stopped"),
        ("stopped", "stop"),
        ("starting", "start"),
        ("running", "ready"),
        ("running", "stopped"),
        ("backoff", "failed"),
        ("backoff", "ready"),
        ("stopping", "start"),
        ("stopping", "failed"),
        ("stopping", "fatal"),
    ],
)
def test_guarded_transitions(state_setup, action):
    p = policy()
    if state_setup != "stopped":
        p.start(now=0.0)
    if state_setup == "running":
        p.ready(now=1.0)
    if state_setup == "backoff":
        p.failed("died", now=1.0)
    if state_setup == "stopping":
        p.stop(now=1.0)
    before = p.state
    calls = {
        "start": lambda: p.start(now=5.0),
        "ready": lambda: p.ready(now=5.0),
        "failed": lambda: p.failed("x", now=5.0),
        "fatal": lambda: p.fatal("x", now=5.0),
        "stop": lambda: p.stop(now=5.0),
        "stopped": lambda: p.stopped(now=5.0),
    }
    with pytest.raises(TransitionError, match=f"cannot {action} in state {before.name}"):
        calls[action]()
    assert p.state is before


def test_listener_sees_every_transition_with_its_reason():
    seen = []
    p = policy(backoff_initial=1.0, backoff_max=1.0, listener=lambda old, new, why: seen.append((old, new, why)))
    p.start(now=0.0)
    p.ready(now=1.0)
    p.failed("killed by SIGKILL", now=1.5)  # RUNNING for less than its back-off: it waits it
    p.start(now=3.0)
    p.stop("SIGINT received", now=4.0)
    p.stopped(now=5.0)
    assert [(o.name, n.name) for o, n, _ in seen] == [
        ("STOPPED", "STARTING"),
        ("STARTING", "RUNNING"),
        ("RUNNING", "BACKOFF"),
        ("BACKOFF", "STARTING"),
        ("STARTING", "STOPPING"),
        ("STOPPING", "STOPPED"),
    ]
    assert seen[2][2] == "killed by SIGKILL; restarting in 1.00s"
    assert seen[3][2] == "restart #1"


def test_the_injected_clock_is_used_when_now_is_omitted():
    now = [100.0]
    p = RestartPolicy(jitter=0.0, backoff_initial=3.0, clock=lambda: now[0])
    p.start()
    now[0] = 101.0
    assert p.failed("died") == 3.0
    now[0] = 103.9
    assert not p.due()
    now[0] = 104.0
    assert p.due()
    snap = p.snapshot()
    assert snap["state"] == "backoff" and snap["restart_in"] == 0.0 and snap["recent_failures"] == 1
    assert snap["in_state_for"] == 3.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_restarts": -1},
        {"window": 0},
        {"backoff_initial": 5.0, "backoff_max": 1.0},
        {"backoff_factor": 0.5},
        {"jitter": 1.0},
        {"healthy_after": -1},
    ],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        RestartPolicy(**kwargs)

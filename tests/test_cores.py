"""One budget of cores (bat_os.models.cores): a generation gets the cores the kernel's other CPU work does not hold."""

from __future__ import annotations

from bat_os.models.cores import CoreBudget


def test_a_generation_gets_every_core_nobody_holds():
    budget = CoreBudget(cores=4)
    assert budget.threads() == 4
    assert budget.status() == {"cores": 4, "generation_threads": 4, "wanted": 4, "held": {}}


def test_held_cores_are_taken_from_the_generation_and_it_keeps_one():
    budget = CoreBudget(cores=4)
    runs = [0]
    budget.count("jail", lambda: runs[0])
    budget.count("forge", lambda: 0)
    for running, threads in ((1, 3), (2, 2), (3, 1), (7, 1), (0, 4)):
        runs[0] = running
        assert budget.threads() == threads, running
    runs[0] = 2
    assert budget.status()["held"] == {"jail": 2}  # a source holding nothing is left out


def test_models_threads_caps_the_generation_and_cannot_pass_the_cores():
    assert CoreBudget(cores=8, threads=2).threads() == 2
    budget = CoreBudget(cores=2, threads=16)
    assert budget.wanted == 2 and budget.threads() == 2
    capped = CoreBudget(cores=8, threads=3)
    capped.count("jail", lambda: 6)
    assert capped.threads() == 2  # 8 cores less 6 held: fewer than asked for


def test_a_source_that_fails_counts_nothing_and_registering_again_replaces_it():
    budget = CoreBudget(cores=2)

    def broken() -> int:
        raise RuntimeError("gone")

    budget.count("forge", broken)
    assert budget.threads() == 2 and budget.held() == {}
    budget.count("forge", lambda: 1)
    assert budget.threads() == 1 and budget.held() == {"forge": 1}


def test_the_default_is_this_machines_cores():
    import os

    assert CoreBudget().cores == (os.cpu_count() or 1)

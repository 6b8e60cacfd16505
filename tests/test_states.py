"""The cycle's state table: the one truth, mirrored by the image's state objects and obeyed by cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bat_os.cognition.cycle import states, steps
from bat_os.cognition.cycle.record import Cycle
from bat_os.cognition.cycle.states import FIRST, NAMES, STATES, TERMINAL, TransitionError, check_move


@pytest.fixture
def image(awake_image):
    return awake_image


def test_the_table_is_closed_and_every_state_is_reachable():
    assert NAMES[0] == FIRST and set(TERMINAL) == {"COMPLETE", "FAILED"}
    reached, frontier = {FIRST}, [FIRST]
    while frontier:
        for target in STATES[frontier.pop()].next:
            assert target in STATES, f"{target} is not a state"
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(NAMES)
    for name, state in STATES.items():
        assert state.terminal == (state.step is None), name
        if not state.terminal:
            assert "FAILED" in state.next or name == FIRST, f"{name} cannot fail"


def test_every_step_the_table_names_is_a_step_and_every_step_is_named():
    named = {state.step for state in STATES.values() if state.step is not None}
    assert named == set(steps.STEPS) and all(callable(steps.STEPS[name]) for name in named)


def test_each_move_is_commented_in_the_table():
    """supervisor's habit: '# A -> B: why' beside every transition."""
    source = Path(states.__file__).read_text()
    for name, state in STATES.items():
        for target in state.next:
            assert f"# {name} -> {target}" in source, f"{name} -> {target} has no comment"


def test_the_module_is_stdlib_only():
    tree = ast.parse(Path(states.__file__).read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "dataclasses", "typing"}


def test_the_images_states_mirror_the_table(image):
    def read():
        objects = image.connection.root()["psm_prototypes_obj"]
        return {
            name: (obj.slots["description"], tuple(obj.slots["next"]), obj.slots["terminal"])
            for name, obj in objects.slots.items() if name != "name"
        }

    assert image.read(read) == {name: (s.description, s.next, s.terminal) for name, s in STATES.items()}


def test_a_cycle_moves_only_as_the_table_allows(image):
    def play():
        root = image.connection.root()
        objects = root["psm_prototypes_obj"].slots
        cycle = Cycle("c1", root["genesis_obj"], {"selector": "fly"}, objects[FIRST], 1.0)
        with pytest.raises(TransitionError, match="cycle c1: IDLE -> VALIDATING is not allowed"):
            cycle.move(objects["VALIDATING"], 2.0)
        for target in ("DECOMPOSING", "DELEGATING", "SPECIFYING", "SYNTHESIZING", "VALIDATING", "SYNTHESIZING", "VALIDATING", "COMPLETE"):
            cycle.move(objects[target], 3.0)
        assert cycle.terminal and [h["state"] for h in cycle.history][-1] == "COMPLETE"
        with pytest.raises(TransitionError):
            cycle.move(objects["FAILED"], 4.0)

    image.read(play)
    with pytest.raises(TransitionError, match=r"only \['DELEGATING', 'FAILED'\]"):
        check_move("DECOMPOSING", "COMPLETE")
    with pytest.raises(TransitionError):
        check_move("NOWHERE", "IDLE")


def test_migration_6_brings_an_older_images_states_to_the_table(tmp_path):
    from bat_os.image.image import SCHEMA_KEY, Image
    from bat_os.image.migrations import MigrationContext, default_migrations, newest_version

    image = Image(tmp_path / "old.fs")
    image.awaken(default_migrations()[:5], MigrationContext(codex_path=None))

    def as_before(root):  # what the previous code left: no SPECIFYING, DELEGATING moving straight to SYNTHESIZING
        psm = root["psm_prototypes_obj"]
        del psm.slots["SPECIFYING"]
        psm.slots["DELEGATING"].set_slot("next", ["SYNTHESIZING", "FAILED"])

    image.run(lambda: as_before(image.connection.root()))
    assert image.schema_version == 5
    ran = image.awaken(default_migrations(), MigrationContext(codex_path=None))
    assert ran == ["the cycle's states follow the table (SPECIFYING: tests before code)",
        "traits learn clone, new and dispatch (objects made by methods; a message chosen at run time)",
        "the cycle's states follow the table (PLANNING: a hard request learned in parts)",
        "plans are gone: a planning cycle writes its method whole, its parts end, PLANNING leaves the table",
        "the cycle's states follow the table (without PLANNING)"]
    assert image.schema_version == newest_version() == 10
    psm = image.read(lambda: {name: dict(s.slots) for name, s in image.connection.root()["psm_prototypes_obj"].slots.items()
                              if name in STATES})
    assert set(psm) == set(STATES)
    assert list(psm["DELEGATING"]["next"]) == list(STATES["DELEGATING"].next)
    assert psm["SPECIFYING"]["description"] == STATES["SPECIFYING"].description
    assert image.awaken(default_migrations(), MigrationContext(codex_path=None)) == []  # once
    assert SCHEMA_KEY in image.read(lambda: list(image.connection.root().keys()))
    image.close()


def test_migrations_9_and_10_take_plans_out_of_an_image_of_the_previous_code(tmp_path):
    """An image the previous code made (schema 8: a PLANNING state, a cycle planning with its whole candidates set
    aside, one of its parts under way, an ended plan) follows the table after awakening: the planning cycle writes its
    method whole from the candidates it had, the part ends, the ended cycle is as it was. tests/test_cycles_image.py
    opens a real image of that code."""
    from bat_os.image.image import Image
    from bat_os.image.migrations import MigrationContext, default_migrations
    from bat_os.image.objects import UvmObject

    image = Image(tmp_path / "old.fs")
    image.awaken(default_migrations()[:8], MigrationContext(codex_path=None))

    def as_before(root):
        psm = root["psm_prototypes_obj"]
        traits = root["traits_obj"]
        psm.set_slot("PLANNING", UvmObject({"name": "PLANNING", "description": "in parts", "next": ["SYNTHESIZING", "FAILED"],
                                            "terminal": False}, parents=[traits]))
        psm.slots["VALIDATING"].set_slot("next", [*STATES["VALIDATING"].next, "PLANNING"])
        registry = root["orchestrator_obj"].slots["cycles"]
        planning = Cycle("c1", root["genesis_obj"], {"selector": "payday"}, psm.slots["PLANNING"], 1.0)
        planning.artifacts.update(before_plan=[{"code": "def payday(self): ...", "attempt": 4}], candidates=[],
                                  plan={"helpers": [{"name": "is_friday", "cycle": "c2"}]})
        part = Cycle("c2", root["genesis_obj"], {"selector": "is_friday", "part_of": "c1"}, psm.slots["VALIDATING"], 1.0)
        ended = Cycle("c3", root["genesis_obj"], {"selector": "done"}, psm.slots["COMPLETE"], 1.0)
        for cycle in (planning, part, ended):
            registry.add(cycle)

    image.run(lambda: as_before(image.connection.root()))
    assert image.awaken(default_migrations(), MigrationContext(codex_path=None)) == [
        "plans are gone: a planning cycle writes its method whole, its parts end, PLANNING leaves the table",
        "the cycle's states follow the table (without PLANNING)"]

    def read(root):
        psm = root["psm_prototypes_obj"].slots
        cycles = root["orchestrator_obj"].slots["cycles"]
        return ({name: list(psm[name].slots["next"]) for name in STATES if STATES[name].next},
                "PLANNING" in psm, [(c.id, c.state_name, list(c.reasons)) for c in cycles.by_id.values()],
                [dict(c) for c in cycles.get("c1").artifacts["candidates"]], "before_plan" in cycles.get("c1").artifacts)

    moves, planning_state, cycles, candidates, set_aside = image.read(lambda: read(image.connection.root()))
    assert moves == {name: list(state.next) for name, state in STATES.items() if state.next} and not planning_state
    assert cycles == [("c1", "SYNTHESIZING", []), ("c2", "FAILED", ["plans are no longer made: the method is written whole"]),
                      ("c3", "COMPLETE", [])]
    assert candidates == [{"code": "def payday(self): ...", "attempt": 4}] and not set_aside
    image.close()

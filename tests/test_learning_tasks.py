"""The learning benchmark's task files (bench/tasks/): listed in their manifest, well formed, ids unique across
files; every task's reference, the method the benchmark answers the cycle's questions with, passes the guardian and
its task's hidden checks in the real jail; the forge gate's default held-out tasks (package data) are the first
file's pure tasks."""

from __future__ import annotations

import asyncio
import json
import re
import sys

from support import ROOT

BENCH = ROOT / "bench"
TASKS = BENCH / "tasks"
MANIFEST = json.loads((TASKS / "MANIFEST.json").read_text())
FILES = [entry["file"] for entry in MANIFEST["files"]]
FIELDS = {"id", "kind", "selector", "intent", "args", "slots", "checks", "reference"}
ENTRY = {"file", "tasks", "written", "written_at", "written_for", "first_run", "seen", "seen_because"}


def _tasks(name: str) -> list[dict]:
    return [json.loads(line) for line in (TASKS / name).read_text().splitlines() if line.strip()]


def test_every_task_file_is_well_formed_and_ids_are_unique_across_them():
    seen: set[str] = set()
    for name in FILES:
        tasks = _tasks(name)
        assert len(tasks) >= 20, name
        for task in tasks:
            assert set(task) == FIELDS, (name, task["id"])
            assert task["kind"] in ("pure", "slots") and task["checks"], task["id"]
            assert all(set(check) & {"result", "slots", "raises", "type"} for check in task["checks"]), task["id"]
            assert task["id"] not in seen, f"{task['id']} is in two task files"
            seen.add(task["id"])


def test_the_manifest_lists_every_task_file_once_with_its_history():
    assert sorted(FILES) == sorted(p.name for p in TASKS.glob("*.jsonl")) and len(set(FILES)) == len(FILES)
    for entry in MANIFEST["files"]:
        assert set(entry) == ENTRY, entry["file"]
        assert entry["tasks"] == len(_tasks(entry["file"])), entry["file"]
        assert re.fullmatch(r"2\d{3}-\d\d-\d\d", entry["written"]), entry["file"]
        assert all(re.fullmatch(r"[0-9a-f]{7,40}", entry[key]) for key in ("written_at", "first_run")), entry["file"]
        assert isinstance(entry["seen"], bool) and (entry["seen_because"] or not entry["seen"]), entry["file"]


def test_the_forge_gates_default_tasks_are_the_first_files_pure_tasks():
    from bat_os.kernel.commands.forge import HELD_OUT

    gate = [json.loads(line) for line in HELD_OUT.read_text().splitlines() if line.strip()]
    pure = [{k: v for k, v in t.items() if k != "reference"} for t in _tasks(FILES[0]) if t["kind"] == "pure"]
    assert gate == pure and len(gate) >= 12  # the gate asks 12 by default (forge_held_out)


def test_every_reference_passes_the_guardian_and_its_task_in_the_real_jail():
    """The learning call (the task's arguments and slots) does not raise, and every hidden check holds."""
    sys.path.insert(0, str(BENCH / "learning"))
    from bench_learning import check_code

    from bat_os.jail.guardian import audit
    from bat_os.jail.runner import Jail

    tasks = [task for name in FILES for task in _tasks(name)]
    refused = {t["id"]: [r.message for r in audit(t["reference"], t["selector"]).reasons] for t in tasks}
    assert not {k: v for k, v in refused.items() if v}, "the guardian refuses these references"

    async def main() -> dict[str, list[str]]:
        jail = Jail()
        await jail.start()
        try:
            failed = {}
            for task in tasks:
                learning_call = {"args": task["args"]}  # no expectation: only "should not raise" is judged
                why = await check_code(jail, task["reference"], {**task, "checks": [learning_call] + task["checks"]})
                if why:
                    failed[task["id"]] = why
            return failed
        finally:
            await jail.close()

    assert asyncio.run(main()) == {}

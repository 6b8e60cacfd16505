"""The learning benchmark's task files (bench/): well formed, ids unique across files, and the files no rule
was written from are what bench/make_task_files.py writes, every hidden answer checked against its reference; every
task's reference, the method the benchmark answers the cycle's questions with, passes the guardian and its task's
hidden checks in the real jail."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from support import ROOT

BENCH = ROOT / "bench"
FILES = ["learning_tasks.jsonl", "learning_tasks_fresh.jsonl", "learning_tasks_unseen.jsonl", "learning_tasks_holdout.jsonl",
         "learning_tasks_novel.jsonl", "learning_tasks_novel2.jsonl", "learning_tasks_novel3.jsonl",
         "learning_tasks_novel4.jsonl", "learning_tasks_novel5.jsonl", "learning_tasks_novel6.jsonl",
         "learning_tasks_novel7.jsonl", "learning_tasks_novel8.jsonl", "learning_tasks_novel9.jsonl",
         "learning_tasks_novel10.jsonl", "learning_tasks_novel11.jsonl", "learning_tasks_novel12.jsonl"]
WRITTEN = FILES[1:-1]  # the files bench/make_task_files.py writes (novel12 is written by hand)
FIELDS = {"id", "kind", "selector", "intent", "args", "slots", "checks", "reference"}


def _tasks(name: str) -> list[dict]:
    return [json.loads(line) for line in (BENCH / name).read_text().splitlines() if line.strip()]


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


def test_the_untuned_task_files_are_the_checked_ones(tmp_path):
    made = subprocess.run([sys.executable, str(BENCH / "make_task_files.py"), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr  # a reference disagreeing with a hidden answer fails here
    for name in WRITTEN:
        assert (tmp_path / name).read_text() == (BENCH / name).read_text(), f"{name} differs from what make_task_files.py writes"


def test_every_reference_passes_the_guardian_and_its_task_in_the_real_jail():
    """The learning call (the task's arguments and slots) does not raise, and every hidden check holds."""
    sys.path.insert(0, str(BENCH))
    from bench_learning import check_code

    from bat_os.cognition.guardian import audit
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

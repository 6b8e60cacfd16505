"""The recorded benchmark runs (bench/runs/): kept in the repository, described by their manifest, and one of them run
again through today's kernel from its cassette, asking its models exactly what the recorded run asked.

``bench/runs/b51_user`` was recorded on 2026-11-28 with the real models (ALFRED and BRICK on Qwen2.5-Coder-1.5B in
llama.cpp, one thread each) by the code of ``a831248``::

    bench/learning/bench_learning.py --tasks 4 --user --set BATOS_MODELS_THREADS=1 --json b51_user.json --record b51_user.cassette.jsonl

Run again from its cassette (``--cassette``), today's cycle must come to the same outcomes with the same number of
questions. (Until issue 64 it also made the same model calls in the same order: the pipeline changed nothing a
recorded run could see. The coverage calls and giving up early do change what is asked: from the twelfth call on,
a cycle stops writing where the recorded one wrote one more candidate.)
"""

from __future__ import annotations

import json
import subprocess
import sys

from support import ROOT

RUNS = ROOT / "bench" / "runs"


def test_every_recorded_run_is_in_the_manifest_with_its_cassette():
    manifest = json.loads((RUNS / "MANIFEST.json").read_text())
    named = {entry["run"] for entry in manifest["runs"]}
    assert named == {p.name.removesuffix(".json") for p in RUNS.glob("*.json") if p.name != "MANIFEST.json"}
    for entry in manifest["runs"]:
        run = json.loads((RUNS / f"{entry['run']}.json").read_text())
        assert set(run["cycle"]) == set(entry["tasks"]) and (RUNS / f"{entry['run']}.cassette.jsonl").is_file(), entry["run"]
        assert (ROOT / "bench" / "tasks" / entry["task_file"]).is_file() and entry["arm"] in ("user", "nobody")


def test_a_recorded_run_again_from_its_cassette_asks_the_same_prompts_and_learns_the_same(tmp_path):
    recorded = json.loads((RUNS / "b51_user.json").read_text())
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "learning" / "bench_learning.py"), "--only", ",".join(recorded["tasks"]),
                           "--user", "--cassette", str(RUNS / "b51_user.cassette.jsonl"), "--record", str(tmp_path / "again.jsonl"),
                           "--json", str(tmp_path / "again.json")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "PROMPTS asked as the cassette's, in order = no: call 12 was ALFRED's prompt" in done.stdout, done.stdout[-2000:]
    again = json.loads((tmp_path / "again.json").read_text())["cycle"]
    assert {t: r["outcome"] for t, r in again.items()} == {t: r["outcome"] for t, r in recorded["cycle"].items()}
    assert [r["questions"] for r in again.values()] == [r["questions"] for r in recorded["cycle"].values()]


def test_with_nobody_to_ask_two_readings_sharing_a_misreading_install_nothing_their_calls_never_ran(tmp_path):
    """``bench/runs/n21_nobody`` (novel21 with nobody to ask, recorded at 59ec91c with the real models) installed three
    wrong methods, each two greedy voices agreeing: a refund whose "gold" branch stands behind an exhaustive test of
    the hours and whose 15.00 cap no call reached, a class spot that raises KeyError for a first strike at its own
    boundary of 2 hours, a miles credit whose tier bonus no call reached. Run again from the cassette, each cycle
    refuses to install on agreement alone and says why (the cassette then has no further candidate: the cycle fails),
    its best try kept as a draft."""
    tasks = ["class_cancel_refund", "cancel_class_spot", "credit_flight_miles"]
    recorded = json.loads((RUNS / "n21_nobody.json").read_text())["cycle"]
    assert [recorded[t]["outcome"] for t in tasks] == ["false install"] * 3
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "learning" / "bench_learning.py"), "--only", ",".join(tasks),
                           "--tasks-file", str(ROOT / "bench" / "tasks" / "learning_tasks_novel21.jsonl"), "--skip-baseline",
                           "--cassette", str(RUNS / "n21_nobody.cassette.jsonl"), "--json", str(tmp_path / "again.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    again = json.loads((tmp_path / "again.json").read_text())["cycle"]
    assert [again[t]["outcome"] for t in tasks] == ["failed"] * 3, again
    why = [" ".join(again[t]["why"]) for t in tasks]
    assert "agree, but no call runs its line \"if membership == 'gold':\"" in why[0]
    assert "agree, but it raises KeyError at a boundary of its own" in why[1]
    assert "agree, but no call runs its line 'miles += miles * 0.25'" in why[2]
    assert all(again[t]["draft"] == {"failing": 0, "calls": 0} for t in tasks)  # each kept as a draft (nobody said anything)
    states = [h["state"] for h in again[tasks[0]]["cycle"]["history"]]  # its states with their times: where the time goes
    assert states[:2] == ["IDLE", "DECOMPOSING"] and "VALIDATING" in states and states[-1] == "FAILED"
    assert "CYCLE time before the first candidate p50" in done.stdout


def test_with_handover_the_person_gives_the_answer_at_the_call_asked_and_the_cycle_goes_on(tmp_path):
    """``--handover 1``: at a failed cycle's hand-over the simulated person gives the answer at the call they asked
    (``draft_example``, from the task's reference), and a new cycle goes on from the failed one; the recorded run's
    cassette has no reply for it, so it fails too, its draft kept. Both cycles' examples are the person's."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "learning" / "bench_learning.py"), "--only", "direct_debit_date",
                           "--tasks-file", str(ROOT / "bench" / "tasks" / "learning_tasks_novel21.jsonl"), "--skip-baseline",
                           "--user", "--handover", "1", "--cassette", str(RUNS / "n21_user.cassette.jsonl"),
                           "--json", str(tmp_path / "again.json")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "HAND-OVER examples given (the answer at the call asked) = 1 of 1 tasks" in done.stdout, done.stdout[-2000:]
    record = json.loads((tmp_path / "again.json").read_text())["cycle"]["direct_debit_date"]
    assert record["handovers"] == 1 and record["outcome"] == "failed" and record["draft"]["calls"] >= 1
    assert {"args": [2024, 2, 31], "kwargs": {}, "result": "2024-02-29"} in record["cycle"]["examples"]  # the call asked

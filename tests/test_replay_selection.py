"""Choosing again among a real run's recorded candidates (bench/learning/replay_selection.py): the kernel's own cycle,
on the real jail and image, its author a stand-in that hands out the recorded candidates.

``cassettes/qwen2.5-coder-0.5b_learning_run.json`` is an excerpt of what
``bench/learning/bench_learning.py --json`` wrote at ``bec2bf6``: the candidates the
real 0.5B model wrote for three tasks, none of them installed then. Today's
cycle installs nothing wrong without a person, and learns two of them with
one answer each from the simulated person (the task's reference, in the jail):

- ``is_leap_year``: two right candidates (attempts 2 and 4, one wording of the
  request), against 16 generated cases that alternate True and False year after
  year, and a wrong one (``year % 4``, attempt 1) that answers every call as they
  do but ``is_leap_year(100)``, a call made of their constants: disputed. Without
  a person nothing is installed (``unanswered``); asked, one answer settles it;
- ``days_between``: three right candidates of the two wordings that agree, and
  generated cases that all say otherwise: not installed without a person, shown
  to one and confirmed (before the fixed dates were taken out of the probes, one
  right candidate answered a probe of a date otherwise: disputed, one answer);
- ``clamp``: two wrong candidates of one wording (the signature hint's
  misreading, ``max(min(number, number2), number3)``) that answer their third
  argument, 10, for every number: refused as doing nothing (before: they
  agreed, but failed most generated cases).
"""

from __future__ import annotations

import json
import subprocess
import sys

from support import ROOT

RUN = ROOT / "cassettes" / "qwen2.5-coder-0.5b_learning_run.json"


def test_a_recorded_run_is_judged_again_by_todays_choosing_and_its_hidden_checks():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "learning" / "replay_selection.py"), str(RUN), "--oracle",
                           "--max-attempts", "6", "--candidates", "4"],  # the limits it was recorded with
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line.split()[1]: line for line in done.stdout.splitlines() if line.startswith("qwen2.5-coder-0.5b_learning_run ")}
    assert rows["is_leap_year"].split()[2] == "unanswered" and "E- E+ x E+ E- | q=0 candidates 2, 4 and 2 other(s)" in rows["is_leap_year"]
    # three right candidates that agree, and generated cases that all say otherwise: nobody to say which is right
    assert rows["days_between"].split()[2] == "unanswered" and (
        "x E+ x x E+ E+ | q=0 candidates 2, 5, 6 agree, but pass none of the generated cases") in rows["days_between"]
    # its wrong pair answers its third argument, 10, whatever the number: refused as doing nothing
    assert rows["clamp"].split()[2] == "failed" and "x x x x x x | q=0 no candidate held the trial and the examples" in rows["clamp"]
    assert done.stdout.strip().splitlines()[-1].endswith("failed 1, unanswered 2")


def test_with_the_simulated_person_one_answer_each_settles_the_disputes():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "learning" / "replay_selection.py"), str(RUN), "--user",
                           "--max-attempts", "6", "--candidates", "4"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line.split()[1]: line.split()[2:4] for line in done.stdout.splitlines() if line.startswith("qwen2.5-coder-0.5b_learning_run ")}
    # is_leap_year: the answer settles the dispute, then one look before install at the boundaries of its code
    # (4, 400, 0 and the year asked), which no answer of the person's supported, and a second look at what the
    # first had no room for
    assert rows == {"is_leap_year": ["learned", "q=3"], "days_between": ["learned", "q=1"], "clamp": ["failed", "q=0"]}, done.stdout


def test_written_right_counts_the_tasks_some_recorded_candidate_was_right_on():
    # is_leap_year: two right candidates; days_between: three; clamp: none (its pair answers its third argument)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "learning" / "replay_selection.py"), str(RUN), "--written"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1].endswith(
        "written right 2 of 3, single shot 2, bound 1.00x (target 1.5x)"), done.stdout


def test_written_right_judges_every_distinct_candidate_on_the_hidden_checks():
    sys.path.insert(0, str(ROOT / "bench" / "learning"))
    from bench_learning import TASK_FILES, judge_written, load_tasks

    run = json.loads(RUN.read_text())
    tasks = [t for path in TASK_FILES for t in load_tasks(None, path) if t["id"] in run["cycle"]]
    counts = judge_written(tasks, run["cycle"])
    assert counts == {"is_leap_year": 2, "days_between": 3, "clamp": 0}
    # a task whose cycle recorded nothing (a failed start) has no candidate right
    assert judge_written(tasks[:1], {}) == {tasks[0]["id"]: 0}


def test_without_names_only_the_sources_of_calls_there_are():
    from importlib import import_module

    sys.path.insert(0, str(ROOT / "bench" / "learning"))
    replay = import_module("replay_selection")
    for part, name in replay.WITHOUT.items():
        assert name is None or callable(getattr(replay.calls_module, name)), part
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "learning" / "replay_selection.py"), str(RUN), "--without",
                           "probes_of_nothing"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no source of calls named probes_of_nothing" in done.stderr


def test_without_the_calls_of_their_constants_the_year_4_rule_is_installed():
    """What the constants' calls pay, measured as docs/journal/learning.md says: is_leap_year's ``year % 4`` answers
    every other call as the Gregorian rule does, so without ``is_leap_year(100)`` it is installed, wrongly."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "learning" / "replay_selection.py"), str(RUN), "--without", "constant_calls",
                           "--only", "is_leap_year", "--max-attempts", "6", "--candidates", "4"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1].endswith("false install 1"), done.stdout



def test_the_simulated_person_chooses_by_the_answer_and_the_slots_the_reference_wrote():
    sys.path.insert(0, str(ROOT / "bench" / "learning"))
    from bench_learning import person_answer

    question = {"choices": [{"result": None, "candidates": 2},
                            {"result": None, "slots": {"watered": {"": "2024-05-04"}}, "candidates": 1}]}
    # water_plant('', ...): the reference stored the date; the choice that changed no slot is not its answer
    assert person_answer(question, {"value": None}, {"watered": {"": "2024-05-04"}}) == {"choose": 1}
    assert person_answer(question, {"value": None}, {}) == {"choose": 0}
    assert person_answer(question, {"value": None}, {"watered": {"x": "2024-05-04"}}) == {
        "result": None, "slots": {"watered": {"x": "2024-05-04"}}}
    assert person_answer({"choices": [{"result": 75, "candidates": 1}]}, {"value": 75.0}, {}) == {"choose": 0}


def test_a_paced_replay_meets_the_time_to_give_up_where_the_models_would_have():
    """With the person there, is_leap_year's cycle, paced as the models were on this machine, writes its first candidate
    after 100 s of research: past a 50 s time to give up, it writes no other (``year % 4``, one reading: shown, and
    the person's calls never reach a century: the false install a lone reading risks); unpaced, the same replay writes
    on, and the right candidates split from it at 100. Each paced line starts with its paced seconds."""
    def run(*extra: str) -> list[str]:
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "learning" / "replay_selection.py"), str(RUN), "--user",
                               "--oracle", "--only", "is_leap_year", "--max-attempts", "6", "--candidates", "4", "--give-up", "50",
                               *extra], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        line = next(line for line in done.stdout.splitlines() if line.startswith("qwen2.5-coder-0.5b_learning_run "))
        return line.split(" | ")[0].split()[-1:] + line.split(" | ")[1].split()

    marks, paced, *why = run("--pace", "100", "5", "5.4")
    assert marks == "E-" and paced.endswith("s") and int(paced[:-1]) >= 105, (marks, paced)  # 100 s, 5 s, then its tokens
    assert "the last that could be written" in " ".join(why)
    marks, *why = run()
    assert marks == "E+" and not why[0].endswith("s") and "2 agree" in " ".join(why), why  # written on: its second

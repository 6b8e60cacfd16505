"""Hard requests, replayed from real sessions: the conditions a request states turned into calls, a labelled look
corrected by the person, and a cycle killed in its middle that resumes to the same end.

The cassettes were recorded on 2026-11-26 with the real embedded models (ALFRED and BRICK on
Qwen2.5-Coder-1.5B in llama.cpp, one thread each, 2 CPUs), one task of ``bench/tasks/learning_tasks_novel12.jsonl``
per run, the simulated person answering every question from the task's reference::

    bench/learning/bench_learning.py --tasks-file bench/tasks/learning_tasks_novel12.jsonl --only TASK --user --skip-baseline \\
        --set BATOS_MODELS_THREADS=1 --record cassettes/qwen2.5-coder-1.5b_TASK.jsonl

What each real run did (cycle time on the real models):

- ``clock_duration`` (286 s, learned): the request's seven clauses listed, each with a call. The first two
  candidates disagreed at the trial and the person typed the answer; the look before install showed the method's
  answer at the call of "the minutes and the seconds always with two digits", labelled, and the person agreed.
  The case writer's calls for the later clauses are 3600 to 3604, one after another: the calls exist, but most do
  not reach their clause (a negative number is never tried): the limit of the 1.5B case writer. Replayed, the look
  now shows first where the method raises (-3, a probe), which is that clause.
- ``shipping_cost`` (389 s, failed): the look showed the chosen candidate's answer at the trial and at three
  conditions' calls, labelled; the person corrected it (7.99); no candidate held the correction, and nothing was
  installed. Replayed, the look shows first where the method raises (a weight of 0), then the three labelled calls;
  the person corrects the first of those (7.99), and the same candidates fail it.
- The sessions were recorded with plans on; plans are gone (docs/journal/learning.md), and the planner's line of each
  cassette is never asked for: every other line is, as before.

Replayed here, every model prompt gets the reply the real model gave; the person's answers are computed again from
the references (``bench/learning/bench_learning.py``'s simulated person), in a real kernel, jail and image.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from support import ROOT, KernelProcess
from test_cycle import wait_for_end

sys.path.insert(0, str(ROOT / "bench" / "learning"))
from bench_learning import JailThread, kernel_checks, load_tasks, send_as_person

CASSETTES = ROOT / "cassettes"
TASKS = {t["id"]: t for t in load_tasks(None, ROOT / "bench" / "tasks" / "learning_tasks_novel12.jsonl")}


def cassette(name: str) -> list[dict]:
    return [json.loads(line) for line in (CASSETTES / f"qwen2.5-coder-1.5b_{name}.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


def write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def person():
    person = JailThread()
    yield person
    person.close()


@pytest.fixture
def replay(tmp_path):
    started: list[KernelProcess] = []

    def start(lines: list[dict], **env: str) -> KernelProcess:
        path = write(tmp_path / f"cassette{len(started)}.jsonl", lines)
        started.append(KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(path), **env}).start())
        return started[-1]

    yield start
    for kernel in started:
        kernel.stop()


def learn(kernel: KernelProcess, name: str, person: JailThread) -> tuple[dict, dict]:
    """The task's request as the person sends it, every question answered from its reference; the reply and the cycle."""
    task = TASKS[name]
    reply, _ = send_as_person(kernel, {"command": "send", "target": "genesis_obj", "selector": task["selector"],
                                       "args": task["args"], "intent": task["intent"]}, task, person, 120)
    cycle_id = reply["result"]["cycle"] if reply["status"] == "ok" else reply["error"]["cycle"]
    return reply, kernel.request({"command": "cycle", "cycle": cycle_id})["result"]


def methods(kernel: KernelProcess) -> set[str]:
    return set(kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["methods"])


def test_every_stated_condition_gets_a_call_and_the_look_shows_one_labelled(replay, person):
    kernel = replay(cassette("clock_duration"))
    reply, cycle = learn(kernel, "clock_duration", person)
    assert reply["status"] == "ok", reply
    conditions = cycle["artifacts"]["conditions"]
    assert [c["label"] for c in conditions] == [
        "write a number of seconds as a text like '1h 05m 09s'", "the hours without leading zeros",
        "the minutes and the seconds always with two digits", "the parts separated by single spaces",
        "the hours part is left out under one hour", "but the minutes and seconds are always shown",
        "a negative number raises ValueError"]
    assert all(c["calls"] for c in conditions)  # each clause got an input from BRICK's numbered asserts
    asked = cycle["artifacts"]["questions"]
    assert [q["kind"] for q in asked] == ["disagreement", "confirm"]
    assert asked[0]["answer"] == {"result": "1h 02m 05s"}  # no candidate's answer: the person typed it
    look = asked[1]
    # first the call where the method raises (a probe: the case writer's call for "a negative number raises
    # ValueError" was 3604), then one call for each condition nothing settled, labelled
    assert look["call"]["args"] == [-3] and look["choices"] == [{"raises": "ValueError", "candidates": 2}]
    assert [(c["condition"], c["call"]["args"], c["result"]) for c in look["also"]] == [
        ("the minutes and the seconds always with two digits", [3600], "1h 00m 00s"),
        ("the parts separated by single spaces", [3601], "1h 00m 01s"),
        ("the hours part is left out under one hour", [3602], "1h 00m 02s")]
    assert look["answer"] == {"choose": 0}
    assert kernel_checks(kernel, TASKS["clock_duration"]) == []  # the checks the cycle never saw


def test_a_look_corrected_at_a_conditions_call_installs_nothing_the_correction_refutes(replay, person):
    kernel = replay(cassette("shipping_cost"))
    reply, cycle = learn(kernel, "shipping_cost", person)
    assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed", reply
    [look] = cycle["artifacts"]["questions"]
    assert look["kind"] == "confirm" and look["call"]["args"] == [0.0, 30]  # where the method raises, first
    assert look["choices"] == [{"raises": "ValueError", "candidates": 2}]
    assert [(c["condition"], c["call"]["args"], c["result"]) for c in look["also"]] == [  # the conditions' calls, labelled
        ("4.99 for up to 1 kg", [2.5, 4.99], 7.24), ("1 kg included", [1, 4.99], 4.99),
        ("plus 1.50 for each started kg above the first", [2, 4.99], 6.49)]
    # the two candidates shown counted 1.5 started kg as 1.5 (7.24): the person agreed with the first call and
    # said what is right at the second; both are examples now
    assert look["answer"] == {"result": 7.99, "at": 1}
    assert look["examples"] == [{"args": [0.0, 30], "kwargs": {}, "raises": "ValueError"},
                                {"args": [2.5, 4.99], "kwargs": {}, "result": 7.99}]
    candidates = cycle["artifacts"]["candidates"]
    assert len(candidates) == 12 and not any(c["eligible"] for c in candidates)
    assert all("shipping_cost(2.5, 4.99) should return 7.99" in " ".join(c["failed"])
               or "takes 1 positional argument" in " ".join(c["failed"]) for c in candidates)
    assert "shipping_cost" not in methods(kernel)


@pytest.mark.parametrize("resume", ["resume", "fail"])
def test_a_kill_9_in_the_middle_of_a_real_cycle_resumes_it_to_the_same_end_or_fails_it(replay, tmp_path, person, resume):
    lines = cassette("shipping_cost")
    at = [i for i, line in enumerate(lines) if line["persona"] == "ALFRED"][2]
    # the third candidate takes as long as a model may: the kernel is killed while it waits for it
    kernel = replay([*lines[:at], {**lines[at], "delay_s": 60}, *lines[at + 1:]], BATOS_CYCLE_RESUME=resume)
    task = TASKS["shipping_cost"]
    with kernel.client() as client:
        client.send({"command": "send", "target": "genesis_obj", "selector": task["selector"], "args": task["args"],
                     "intent": task["intent"], "id": "learn", "events": True})
        cycle_id = wait_for_attempt(kernel, 2)
        kernel.kill()
    kernel.env["BATOS_CASSETTE"] = str(write(tmp_path / "after.jsonl", lines[at:]))  # what the models had not yet said
    kernel.start()
    final = wait_for_end(kernel, cycle_id)
    assert final["state"] == "FAILED"
    if resume == "resume":  # it went on from where it was (nobody listening now), every candidate the models wrote judged
        assert len(final["artifacts"]["candidates"]) == 12 and final["attempts"] == 12, final["reasons"]
        assert final["reasons"][-1].startswith("no candidate could be chosen"), final["reasons"]
    else:
        assert final["reasons"] == ["interrupted"]
    assert kernel.request({"command": "status"})["result"]["cycles"]["unfinished"] == []
    assert "shipping_cost" not in methods(kernel)


def wait_for_attempt(kernel, attempts: int, timeout: float = 60) -> str:
    """The id of the one cycle running, once it has written ``attempts`` candidates."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for cycle_id in kernel.request({"command": "status"})["result"]["cycles"]["unfinished"]:
            if kernel.request({"command": "cycle", "cycle": cycle_id})["result"]["attempts"] >= attempts:
                return cycle_id
        time.sleep(0.05)
    raise TimeoutError(f"no cycle wrote {attempts} candidates")

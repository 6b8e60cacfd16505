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
- ``top_k_names`` (recorded in ``bench/runs/bn12_user``, failed): its lines of that run's cassette.
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
    conditions_labels = [c["label"] for c in conditions]
    asked = cycle["artifacts"]["questions"]
    assert [q["kind"] for q in asked] == ["disagreement", "confirm", "confirm"]
    assert asked[0]["answer"] == {"result": "1h 02m 05s"}  # no candidate's answer: the person typed it
    look = asked[1]
    # first the call where the method raises (a probe: the case writer's call for "a negative number raises
    # ValueError" was 3604), then where its code changes course under an hour (no hours part), and at 0: the side
    # of the raise at -1 that answers (one raise is shown: agreeing on refusals says little of the rest)
    assert look["call"]["args"] == [-3] and look["choices"] == [{"raises": "ValueError", "candidates": 2}]
    shown = [(c.get("coverage"), c["call"]["args"], c.get("result", c.get("raises"))) for c in look["also"]]
    assert shown[:2] == [("where it changes course (arg 1 = 3599 / 3600)", [3599], "59m 59s"),
                         (None, [0], "00m 00s")], shown  # the other side of -1 / 0: a probe of the run too, shown as the run's
    assert all(raised != "ValueError" for _why, _args, raised in shown)
    assert look["answer"] == {"choose": 0}
    # a second look: what the first had no room for, the calls of the conditions no answer settled, one each
    second = asked[2]
    assert [second["call"]["args"], *(c["call"]["args"] for c in second["also"])] == [[3601], [3602], [3603], [3604]]
    assert [second["condition"], *(c["condition"] for c in second["also"])] == conditions_labels[3:]
    assert second["answer"] == {"choose": 0} and len(second["examples"]) == 4
    assert kernel_checks(kernel, TASKS["clock_duration"]) == []  # the checks the cycle never saw


def test_an_answer_no_candidate_gives_at_an_edge_installs_nothing_it_refutes(replay, person):
    """shipping_cost: where the order total is 0 (an edge of its second argument) one candidate raises and the other
    answers 7.24 (1.5 started kg counted as 1.5); the person types 7.99, and no candidate after holds it."""
    kernel = replay(cassette("shipping_cost"))
    reply, cycle = learn(kernel, "shipping_cost", person)
    assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed", reply
    [asked] = cycle["artifacts"]["questions"]
    assert asked["kind"] == "disagreement" and asked["call"]["args"] == [2.5, 0]
    assert sorted(map(json.dumps, asked["choices"])) == sorted(map(json.dumps, [
        {"raises": "ValueError", "candidates": 1}, {"result": 7.24, "candidates": 1}]))
    assert asked["answer"] == {"result": 7.99} and asked["examples"] == [{"args": [2.5, 0], "kwargs": {}, "result": 7.99}]
    candidates = cycle["artifacts"]["candidates"]  # a third failing as two before it: no more of the same, handed over
    assert reply["error"]["reasons"][0] == "gave up: a third candidate failed so"
    assert len(candidates) < 12 and not any(c["eligible"] for c in candidates)
    assert all("shipping_cost(2.5, 0) should return 7.99" in " ".join(c["failed"])
               or "takes 1 positional argument" in " ".join(c["failed"]) for c in candidates)
    assert "shipping_cost" not in methods(kernel)


def test_the_look_shows_an_edge_the_request_speaks_of_and_the_answer_there_refuses_the_shared_misreading(replay, person):
    """top_k_names (novel12, recorded with the person by the code before coverage): its first two candidates, one
    text in both voices, take the first k names and drop the players tied with the k-th ("every further player whose
    score equals the k-th best one's also included"). Before coverage the recorded cycle failed later on other
    grounds; now the one look before install shows the boundary of k (0), the edge the request speaks of (empty), the
    call asked (a side of a boundary) and a tie, and the person's answer at the call asked refuses both: nothing is
    installed."""
    kernel = replay(cassette("top_k_names"))
    reply, cycle = learn(kernel, "top_k_names", person)
    assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed", reply
    [look] = cycle["artifacts"]["questions"]
    pairs = [["ann", 80], ["bob", 95], ["cat", 80], ["dan", 70]]
    assert look["kind"] == "confirm" and look["call"]["args"] == [pairs, 0]  # where it changes course (k = -1 / 0)
    asked, tie = look["also"][1:3]  # the call asked is a side of a boundary too: shown, not left out as the trial
    assert asked["call"]["args"] == [pairs, 2] and asked["result"] == ["bob", "ann"]
    assert tie["call"]["args"] == [[*pairs, ["zzann", 80]], 2] and tie["result"] == ["bob", "ann"]
    assert tie["coverage"].startswith("an edge the request speaks of, tie")
    assert look["answer"] == {"result": ["bob", "ann", "cat"], "at": 2}  # the first right, the call asked not
    first_two = cycle["artifacts"]["candidates"][:2]
    assert all("should return [\"bob\", \"ann\", \"cat\"], but it returned [\"bob\", \"ann\"]" in c["failed"][0]
               for c in first_two)
    assert not any(c["eligible"] for c in cycle["artifacts"]["candidates"]) and "top_k_names" not in methods(kernel)


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

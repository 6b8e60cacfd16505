"""A real session replayed: the models' candidates disagree, one question settles it, and without anyone to ask
nothing is installed.

``cassettes/qwen2.5-coder_questions.jsonl`` was recorded on 2026-11-25 with the real embedded models (ALFRED on
Qwen2.5-Coder-1.5B, BRICK on the 0.5B, llama.cpp, 2 CPUs) by::

    bench/learning/bench_learning.py --only extract_numbers,merge_counts --skip-baseline --user --record FILE

For ``extract_numbers('a1b22c333')`` ("find all the whole numbers written in a text") the first two candidates
answered ``[1, 2, 2, 3, 3, 3]`` (every digit) and ``[1, 22, 333]``; for ``merge_counts({"a": 1}, {"a": 2, "b": 1})``
("add the counts of keys in both") ``{"a": 2, "b": 1}`` (the second map wins) and ``{"a": 3, "b": 1}``. The
simulated person (the task's reference) chose the second each time, and the method installed holds the hidden
checks. The replies are the models'; the person's answers are computed here from the tasks' references.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support import ROOT, KernelProcess

CASSETTE = ROOT / "cassettes" / "qwen2.5-coder_questions.jsonl"
TASKS = {t["id"]: t for t in (json.loads(line) for line in (ROOT / "bench" / "tasks" / "learning_tasks.jsonl").read_text().splitlines() if line.strip())}


def reference(task: dict, args: list) -> object:
    """What the person knows: the task's reference method's answer (trusted source from this repository)."""
    space: dict = {}
    exec(task["reference"], space)  # noqa: S102 - the benchmark's own reference, not a model's code
    return space[task["selector"]](None, *json.loads(json.dumps(args)))


def learn(kernel: KernelProcess, task: dict, person: bool) -> tuple[dict, list[dict]]:
    request = {"command": "send", "target": "genesis_obj", "selector": task["selector"], "args": task["args"],
               "intent": task["intent"], "id": "learn", "events": True, **({} if person else {"ask": False})}
    seen: list[dict] = []
    with kernel.client() as client:
        client.send(request)
        while True:
            reply = client.recv(120)
            if reply.get("id") == "learn" and reply.get("status") != "event":
                return reply, seen
            event = reply.get("event") or {}
            if event.get("type") == "question":
                seen.append(event)
                if event.get("waiting"):
                    known = reference(task, event["question"]["call"]["args"])
                    choice = next(i for i, c in enumerate(event["question"]["choices"]) if c.get("result") == known)
                    client.send({"command": "answer", "id": "a", "cycle": event["cycle"], "question": event["question"]["id"], "choose": choice})


def hidden(kernel: KernelProcess, task: dict) -> list:
    return [kernel.request({"command": "send", "target": "genesis_obj", "selector": task["selector"], "args": c["args"],
                            "learn": False}, timeout=30).get("result") for c in task["checks"]]


def test_one_answer_settles_what_the_models_disagreed_on(tmp_path: Path) -> None:
    cassette = shutil.copy(CASSETTE, tmp_path / "questions.jsonl")
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette)}).start()
    try:
        for name, wrong in (("extract_numbers", [1, 2, 2, 3, 3, 3]), ("merge_counts", {"a": 2, "b": 1})):
            task = TASKS[name]
            reply, questions = learn(kernel, task, person=True)
            assert reply["status"] == "ok", reply
            asked = [q["question"] for q in questions]
            assert [q["kind"] for q in asked] == ["disagreement"] and asked[0]["call"]["args"] == task["args"]
            assert [c["result"] for c in asked[0]["choices"]] == [wrong, reference(task, task["args"])]
            assert hidden(kernel, task) == [c["result"] for c in task["checks"]], name
    finally:
        kernel.stop()


def test_without_anyone_to_ask_the_disputed_methods_are_not_installed(tmp_path: Path) -> None:
    cassette = shutil.copy(CASSETTE, tmp_path / "questions.jsonl")
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette)}).start()
    try:
        for name in ("extract_numbers", "merge_counts"):
            reply, questions = learn(kernel, TASKS[name], person=False)
            assert reply["status"] == "error" and reply["error"]["reasons"][0] == "unanswered", reply
            assert questions and all(q["waiting"] is False for q in questions)  # shown to watchers, not waited for
            methods = kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["methods"]
            assert name not in methods
    finally:
        kernel.stop()

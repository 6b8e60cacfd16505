"""A real model's learning cycles, replayed: what Qwen2.5-Coder-0.5B said in the cycle of issue 15.

``cassettes/qwen2.5-coder-0.5b_learning.jsonl`` was recorded with
``bench/bench_learning.py --only TASKS --skip-baseline --record ...``: a kernel
running the embedded model (CPU, int8) learning the benchmark's tasks on a
fresh image. Replayed, every prompt of the cycle (BRICK's queries and tests,
ALFRED's candidates, greedy and sampled) gets the reply the real model gave,
so the fast tests see the real model's habits (wrong generated tests,
candidates that disagree) going through the cases, the agreement and the
refusals. The hidden checks are the benchmark's, which the cycle never saw.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support import ROOT, KernelProcess

CASSETTE = ROOT / "cassettes" / "qwen2.5-coder-0.5b_learning.jsonl"
TASKS = {t["id"]: t for t in (json.loads(line) for line in (ROOT / "bench" / "learning_tasks.jsonl").read_text().splitlines() if line.strip())}


def _learn(kernel: KernelProcess, task: dict) -> tuple[dict, dict | None]:
    for slot, value in task["slots"].items():
        kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": slot, "value": value})
    reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": task["selector"],
                            "args": task["args"], "intent": task["intent"]}, timeout=120)
    cycle_id = reply["result"]["cycle"] if reply["status"] == "ok" else reply["error"].get("cycle")
    cycle = kernel.request({"command": "cycle", "cycle": cycle_id})["result"] if cycle_id else None
    return reply, cycle


def _hidden(kernel: KernelProcess, task: dict) -> list:
    answers = []
    for check in task["checks"]:
        for slot, value in (check.get("given") or {}).items():
            kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": slot, "value": value})
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": task["selector"],
                                "args": check["args"], "learn": False}, timeout=60)
        answers.append(reply.get("result") if reply["status"] == "ok" else reply["error"]["code"])
    return answers

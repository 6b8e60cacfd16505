#!/usr/bin/env python3
"""One real forge run, end to end (issue 41's measure): grow an image, train the author's adapter, gate it.

    python bench/forge/forge_run.py --work DIR [--model qwen2.5-coder-0.5b] [--minutes 20] [--margin 2]

1. **Grow.** A real kernel on a new image in ``DIR`` learns the training split (:func:`split`) the way
   ``bench_learning.py --user`` does: each task's unknown selector sent with its intent, the cycle's questions
   answered by a simulated person from the task's reference, the hidden checks run after.
2. **Train.** The same image, a new kernel: ``forge dataset`` (the golden pairs it curated) then ``forge train
   ALFRED`` on the persona's base model (the GGUF model's Hugging Face form), ``--minutes`` at most.
3. **Gate.** ``forge gate`` with the held-out split as its tasks: the base and the base with the adapter asked
   the same prompts greedily, every answer tried on the task's hidden checks in the jail, plus the image's own
   methods on their stored tests. Installed only when better by ``--margin`` and worse on none of its own.

The split is fixed (no task is in both): the **training split** is ``learning_tasks.jsonl``'s tasks at even
positions and every task of ``learning_tasks_fresh.jsonl`` and ``learning_tasks_novel.jsonl``; the **held-out
split** is ``learning_tasks.jsonl``'s tasks at odd positions (the gate asks the pure ones). A step already done
in ``DIR`` (its figures in ``DIR/forge_run.json``) is not done again: the run can be resumed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from _common import BENCH, ROOT, TASKS, KernelProcess  # noqa: E402

sys.path.insert(0, str(BENCH / "learning"))
from bench_learning import cycles, load_tasks  # noqa: E402

TRAIN_FILES = ("learning_tasks_fresh.jsonl", "learning_tasks_novel.jsonl")


def split() -> tuple[list[dict], list[dict]]:
    """(training split, held-out split); see the module docstring."""
    main = load_tasks(None, TASKS / "learning_tasks.jsonl")
    train = main[0::2] + [t for name in TRAIN_FILES for t in load_tasks(None, TASKS / name)]
    held = main[1::2]
    assert not {t["selector"] for t in train} & {t["selector"] for t in held}, "a selector in both splits"
    return train, held


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, required=True, help="the image and the figures (kept: a run resumes)")
    p.add_argument("--model", default="qwen2.5-coder-0.5b", help="every persona's embedded model")
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--margin", type=int, default=2)
    p.add_argument("--tasks", type=int, default=None, help="only the first N of the training split (a quick look)")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from gguf_support import model_env

    args.work.mkdir(parents=True, exist_ok=True)
    figures_path = args.work / "forge_run.json"
    figures = json.loads(figures_path.read_text()) if figures_path.exists() else {}

    def keep() -> None:
        figures_path.write_text(json.dumps(figures, indent=1))

    train, held = split()
    train = train[:args.tasks] if args.tasks else train
    held_file = args.work / "held_out.jsonl"
    held_file.write_text("".join(json.dumps(t) + "\n" for t in held))
    print(f"training split: {len(train)} tasks; held out: {len(held)} ({sum(t['kind'] == 'pure' for t in held)} pure)")
    if "grow" not in figures:
        started = time.monotonic()
        learned = cycles(train, args.model, args.work, user=True)
        outcomes = [r["outcome"] for r in learned.values()]
        figures["grow"] = {"tasks": len(train), "seconds": round(time.monotonic() - started),
                           **{o: outcomes.count(o) for o in ("learned", "false install", "failed")}}
        keep()
    print("grow:", figures["grow"])
    kernel = KernelProcess(args.work, env=model_env(BATOS_EMBEDDED_MODEL=args.model, BATOS_FORGE_MARGIN=str(args.margin)))
    kernel.start(timeout=120)
    try:
        if "dataset" not in figures:
            reply = kernel.request({"command": "forge", "action": "dataset", "out": str(args.work / "dataset.jsonl")}, timeout=600)
            assert reply["status"] == "ok", reply
            figures["dataset"] = {k: reply["result"][k] for k in ("pairs", "sha256", "duplicates", "left_out", "tests")}
            keep()
        print("dataset:", figures["dataset"])
        if "train" not in figures:
            reply = kernel.request({"command": "forge", "action": "train", "persona": "ALFRED", "rank": args.rank,
                                    "minutes": args.minutes}, timeout=args.minutes * 60 + 900)
            assert reply["status"] == "ok", reply
            figures["train"] = reply["result"]
            keep()
        print("train:", figures["train"])
        if "gate" not in figures:
            started = time.monotonic()
            reply = kernel.request({"command": "forge", "action": "gate", "persona": "ALFRED", "adapter": figures["train"]["adapter"],
                                    "tasks": str(held_file), "held_out": len(held), "margin": args.margin}, timeout=7200)
            assert reply["status"] == "ok", reply
            figures["gate"] = {**reply["result"], "seconds": round(time.monotonic() - started)}
            keep()
        gate = figures["gate"]
        print(f"gate: held out {gate['held_out']}; own {gate['own']}; installed: {gate['installed']} ({gate['why']})")
    finally:
        kernel.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

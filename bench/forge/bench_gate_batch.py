"""The gate's questions asked one at a time and in batches (bat_os.forge.evaluate), in the same run.

::

    python bench/forge/bench_gate_batch.py --base MODEL_DIR --prompts GATE.jsonl [--n 16] [--batches 1,8]
                                     [--max-new-tokens 256]

``GATE.jsonl`` is a gate's questions (the forge writes one beside each adapter it gates:
``live_image.forge/NAME.gate.jsonl``). The first ``n`` are asked at each batch size; printed: seconds, the
speed against batch 1, and how many answers are the same text as batch 1's (a padded batch's arithmetic may
tip a greedy choice now and then, so not always all; base and adapter are asked the same way, so the gate
stays fair either way).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bat_os.forge.evaluate import answers  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path)
    parser.add_argument("--prompts", required=True, type=Path)
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    args = parser.parse_args()
    prompts = [json.loads(line) for line in args.prompts.read_text(encoding="utf-8").splitlines() if line.strip()][:args.n]
    rows, first = [], None
    for batch in [int(b) for b in args.batches.split(",")]:
        started = time.perf_counter()
        got = answers(args.base, prompts, max_new_tokens=args.max_new_tokens, batch=batch)
        seconds = time.perf_counter() - started
        texts = [line["text"] for line in got]
        first = first or (seconds, texts)
        same = sum(a == b for a, b in zip(texts, first[1]))
        rows.append((batch, seconds, first[0] / seconds, same))
    print(f"{len(prompts)} prompts, max_new_tokens {args.max_new_tokens}")
    print("| batch | seconds | speed vs batch 1 | answers the same as batch 1's |")
    print("|---|---|---|---|")
    for batch, seconds, ratio, same in rows:
        print(f"| {batch} | {seconds:.1f} | {ratio:.2f}x | {same} of {len(prompts)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

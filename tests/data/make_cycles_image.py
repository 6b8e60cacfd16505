#!/usr/bin/env python3
"""Build the cycles fixture: an image whose cognitive cycles stopped in every state, made by the code of a checkout.

    PYTHONPATH=CHECKOUT python tests/data/make_cycles_image.py --out tests/data/cycles_image_a831248.tar.gz

Run with the code of the commit before the cognition wing was laid out as a pipeline (``a831248``): it drives that
code's own orchestrator in process, on a fresh image with the real jail, its models the repository's recorded real
sessions (``cassettes/``, replayed), and stops each cycle where a ``kill -9`` would have left it: before the step of
a given state (the orchestrator's ``pause`` hook, awaited before every step), or at a given model call (the call
never returns). Every move a cycle made was committed, so the image holds what a kernel killed there leaves behind.
``manifest.json``, packed beside the image, says for each cycle its task, its cassette, how many of the cassette's
lines it used and where it stopped; ``tests/test_cycles_image.py`` opens the image with today's code and drives
every unfinished cycle on from there with the rest of its cassette.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TASKS = {t["id"]: t for name in ("learning_tasks.jsonl", "learning_tasks_novel12.jsonl")
         for t in (json.loads(line) for line in (ROOT / "bench" / "tasks" / name).read_text().splitlines() if line.strip())}

#: (name, task, cassette, lines of it that are this task's, how it stops, plans on, the person listens)
#: stops: ("state", NAME): before the step of NAME; ("call", N): at the Nth model call (1-based); None: to its end.
CYCLES: list[tuple[str, str, str, tuple[int, int], tuple | None, bool, bool]] = [
    ("idle", "extract_numbers", "qwen2.5-coder_questions.jsonl", (0, 8), ("state", "IDLE"), False, True),
    ("decomposing", "extract_numbers", "qwen2.5-coder_questions.jsonl", (0, 8), ("call", 1), False, True),
    ("delegating", "extract_numbers", "qwen2.5-coder_questions.jsonl", (0, 8), ("state", "DELEGATING"), False, True),
    ("specifying", "extract_numbers", "qwen2.5-coder_questions.jsonl", (0, 8), ("call", 2), False, True),
    ("synthesizing", "extract_numbers", "qwen2.5-coder_questions.jsonl", (0, 8), ("call", 4), False, True),
    ("validating", "extract_numbers", "qwen2.5-coder_questions.jsonl", (0, 8), ("state", "VALIDATING"), False, True),
    ("asking", "extract_numbers", "qwen2.5-coder_questions.jsonl", (0, 8), ("state", "ASKING"), False, True),
    ("unanswered", "merge_counts", "qwen2.5-coder_questions.jsonl", (8, 16), None, False, False),
    ("planning", "payday", "qwen2.5-coder-1.5b_payday.jsonl", (0, 20), ("state", "PLANNING"), True, True),
    ("in_a_part", "payday", "qwen2.5-coder-1.5b_payday.jsonl", (0, 20), ("call", 10), True, True),
    ("after_the_parts", "compare_release_versions", "qwen2.5-coder-1.5b_compare_release_versions_plan.jsonl", (0, 16),
     ("call", 14), True, True),
    ("learned", "compare_release_versions", "qwen2.5-coder-1.5b_compare_release_versions_plan.jsonl", (0, 16), None,
     True, True),
]


class Stop(Exception):
    """Where the maker leaves a cycle, as a kill would (not an LLMError: the cycle must not take it for a model's)."""


async def make(image_path: Path) -> list[dict]:
    sys.path.insert(0, str(ROOT / "bench" / "learning"))
    from bench_learning import person_reply

    from bat_os.cognition import asking
    from bat_os.cognition.orchestrator import CycleSettings, Orchestrator
    from bat_os.errors import CycleFailed
    from bat_os.image.image import Image
    from bat_os.jail.runner import Jail
    from bat_os.models.backends import ReplayBackend

    image = Image(image_path)
    image.awaken()
    jail = Jail()
    await jail.start()
    made = []
    try:
        for name, task_id, cassette_name, (first, last), stop, plan, person in CYCLES:
            task = TASKS[task_id]
            lines = (ROOT / "cassettes" / cassette_name).read_text().splitlines()[first:last]
            cassette = Path(tempfile.mkdtemp()) / "cassette.jsonl"
            cassette.write_text("\n".join(lines) + "\n")
            backend = ReplayBackend(cassette)
            calls = 0

            class Stopping:  # the backend, stopped at a model call
                name = backend.name

                async def complete(self, *args: Any, **kwargs: Any) -> Any:
                    nonlocal calls
                    calls += 1
                    if stop == ("call", calls):
                        raise Stop(f"stopped at model call {calls}")
                    return await backend.complete(*args, **kwargs)

                async def close(self) -> None:
                    return None

            orchestrator = Orchestrator(image, Stopping(), jail, CycleSettings(plan=plan))

            def receiver() -> bytes:
                genesis = image.connection.root()["genesis_obj"]
                for slot, value in task["slots"].items():
                    genesis.set_slot(slot, value)
                return genesis._p_oid

            oid = image.run(receiver)
            if stop == ("state", "IDLE"):
                orchestrator.records.create(oid, task["selector"], task["args"], {}, None, task["intent"])
                made.append({"name": name, "task": task_id, "cassette": cassette_name, "lines": [first, last], "used": 0,
                             "stopped": "IDLE", "cycle": _newest(image, orchestrator)})
                continue

            async def pause() -> None:
                if stop is not None and stop[0] == "state" and _state(image, orchestrator, task["selector"]) == stop[1]:
                    raise Stop(f"stopped before {stop[1]}")

            def listen(event: dict) -> None:
                if event.get("type") == "question" and event.get("waiting"):
                    asyncio.ensure_future(answer(event["question"]))

            async def answer(question: dict) -> None:
                given = asking.read_answer(question, await person_reply(jail, task, question))
                orchestrator.waiting.answer(question["cycle"], question["id"], given)

            reply_to = {"identity": b"fixture", "id": name, "events": person}
            try:
                outcome = await orchestrator.learn(oid, task["selector"], task["args"], {}, intent=task["intent"],
                                                   reply_to=reply_to, on_event=listen if person else None, ask=person,
                                                   pause=pause)
                ended = f"complete: {outcome.get('result')!r}"
            except CycleFailed as exc:
                ended = f"failed: {exc}"
            except Stop as exc:
                ended = str(exc)
            cycles = image.read(lambda: [(c.id, c.state_name, c.selector) for c in
                                         orchestrator.records.registry(image.connection.root()).by_id.values()])
            made.append({"name": name, "task": task_id, "cassette": cassette_name, "lines": [first, last],
                         "used": backend.used_count, "stopped": ended, "cycle": _newest_of(cycles, task["selector"]),
                         "cycles": [c for c in cycles if c[2] != task["selector"] or c[0] == _newest_of(cycles, task["selector"])]})
            print(name, ended[:150], made[-1]["used"], flush=True)
    finally:
        await jail.close()
        image.close()
    return made


def _newest(image: Any, orchestrator: Any) -> str:
    return image.read(lambda: "c%d" % orchestrator.records.registry(image.connection.root()).count)


def _newest_of(cycles: list, selector: str) -> str:
    return max((c for c in cycles if c[2] == selector), key=lambda c: int(c[0][1:]))[0]


def _state(image: Any, orchestrator: Any, selector: str) -> str:
    """The state of the newest cycle for ``selector`` (a plan's parts learn other selectors)."""
    def newest() -> str:
        cycles = orchestrator.records.registry(image.connection.root()).by_id.values()
        return max((c for c in cycles if c.selector == selector), key=lambda c: int(c.id[1:])).state_name
    return image.read(newest)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        image_path = Path(tmp) / "live_image.fs"
        made = asyncio.run(make(image_path))
        (Path(tmp) / "manifest.json").write_text(json.dumps(made, indent=1))
        with tarfile.open(args.out, "w:gz") as tar:
            for path in sorted(Path(tmp).iterdir()):
                if path.name.endswith((".lock", ".tmp")) or path.name.endswith(".index"):
                    continue
                tar.add(path, arcname=path.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""An image made by the code before the cognition wing was a pipeline, its cycles stopped in every state, opens under
today's code, and every one of them is resumable.

``tests/data/cycles_image_a831248.tar.gz`` was made by ``tests/data/make_cycles_image.py`` with the code of
``a831248``: its orchestrator, on the repository's recorded real sessions (cassettes), stopped each cycle as a
``kill -9`` would have (before the step of a state, or at a model call). Its pickles name the classes where that code
kept them (``bat_os.cognition.cycle.Cycle``), its candidates are kept as that code kept them (positions and JSON
keys), and it holds cycles that were planning, a plan's parts, and a failed cycle with a question nobody answered.
Here each unfinished cycle is driven on by today's orchestrator with the rest of its cassette, the person answering
from the task's reference, as the old code would have gone on (``manifest.json`` says where each stopped).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from support import ROOT, KernelProcess

sys.path.insert(0, str(ROOT / "bench" / "learning"))
from bench_learning import TASK_FILES, load_tasks, person_reply  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "data" / "cycles_image_a831248.tar.gz"
TASKS = {t["id"]: t for path in TASK_FILES for t in load_tasks(None, path)}


@pytest.fixture
def cycles_image(tmp_path: Path) -> tuple[Path, list[dict]]:
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(tmp_path / "image", filter="data")
    return tmp_path / "image" / "live_image.fs", json.loads((tmp_path / "image" / "manifest.json").read_text())


def _resumed(image_path: Path, made: list[dict], tmp_path: Path) -> dict[str, tuple[str, str, Any]]:
    """Each cycle of the fixture driven on from where it stopped: name -> (state before, state after, result or why)."""
    from bat_os.cognition.cycle.driver import CycleSettings, Orchestrator
    from bat_os.errors import CycleFailed
    from bat_os.image.image import Image
    from bat_os.jail.runner import Jail
    from bat_os.kernel.commands.cycles import read_answer
    from bat_os.models.backends import ReplayBackend

    async def main() -> dict[str, tuple[str, str, Any]]:
        image = Image(image_path)
        image.awaken()
        jail = Jail()
        await jail.start()
        found: dict[str, tuple[str, str, Any]] = {}
        try:
            for entry in made:
                task = TASKS[entry["task"]]
                lines = (ROOT / "cassettes" / entry["cassette"]).read_text().splitlines()
                rest = tmp_path / f"{entry['name']}.jsonl"
                rest.write_text("\n".join(lines[entry["lines"][0]:entry["lines"][1]][entry["used"]:]) + "\n")
                orchestrator = Orchestrator(image, ReplayBackend(rest), jail, CycleSettings())
                before = image.read(lambda: orchestrator.store.get(image.connection.root(), entry["cycle"]).state_name)

                def listen(event: dict, orchestrator: Any = orchestrator, task: dict = task) -> None:
                    if event.get("type") == "question" and event.get("waiting"):
                        asyncio.ensure_future(answer(orchestrator, task, event["question"]))

                async def answer(orchestrator: Any, task: dict, question: dict) -> None:
                    given = read_answer(question, await person_reply(jail, task, question))
                    orchestrator.waiting.answer(question["cycle"], question["id"], given)

                try:
                    ended = await orchestrator.drive(entry["cycle"], listen, ask=True)
                    found[entry["name"]] = (before, "COMPLETE", ended["result"])
                except CycleFailed as exc:
                    found[entry["name"]] = (before, "FAILED", exc.details["reasons"])
        finally:
            await jail.close()
            image.close()
        return found

    return asyncio.run(main())


def test_every_cycle_of_an_image_of_the_previous_code_resumes_from_its_state(cycles_image, tmp_path):
    image_path, made = cycles_image
    found = _resumed(image_path, made, tmp_path)
    # as the previous code went on: every cycle of the questions session learns [1, 22, 333] from where it stopped,
    # asked again where it was asking; the failed cycle and the learned one stay as they ended
    for name in ("idle", "decomposing", "delegating", "specifying", "synthesizing", "validating", "asking"):
        assert found[name][1:] == ("COMPLETE", [1, 22, 333]), (name, found[name])
    assert found["unanswered"][:2] == ("FAILED", "FAILED") and "unanswered" in found["unanswered"][2]
    assert found["learned"] == ("COMPLETE", "COMPLETE", -1)
    # plans are gone: a cycle that was planning, or was writing its method with its parts' helpers, writes it whole
    # from where it was. What its cassette holds next was written for the plan: a part's candidates (no whole one
    # holds: it fails, nothing installed), or the method the parts' helpers were shown for, which here does not call
    # them (the previous code installed it with them; written whole, its look before install, one raise of each error,
    # reaches the call where it returns -1 for an empty version, the person says ValueError there, and with no
    # further candidate in its cassette it fails, nothing installed)
    for name in ("planning", "in_a_part", "after_the_parts"):
        assert found[name][:2] == ("SYNTHESIZING", "FAILED"), (name, found[name])
        assert not any("PLANNING" in str(why) for why in found[name][2]), found[name]
    assert any("compare_release_versions('', '1.4.10') should raise ValueError" in why for why in found["after_the_parts"][2])


def test_an_image_of_the_previous_code_opens_in_a_kernel_its_parts_ended_and_its_open_question_answered(cycles_image, tmp_path):
    image_path, made = cycles_image
    failed = next(entry for entry in made if entry["name"] == "unanswered")
    env = {"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(ROOT / "cassettes" / "seed_scenarios.jsonl"),
           "BATOS_PULL_DEFAULTS": "never", "BATOS_CYCLE_RESUME": "fail"}
    kernel = KernelProcess(tmp_path, image=image_path, env=env).start(timeout=60)
    try:
        check = kernel.request({"command": "selfcheck"}, timeout=30)["result"]
        assert check["healthy"] is True and check["schema_version"] == 10
        status = kernel.request({"command": "status"})["result"]
        assert status["cycles"]["unfinished"] == []  # resume = fail: every interrupted cycle failed, none left behind
        for entry in made:  # every record reads, its old candidates too
            cycle = kernel.request({"command": "cycle", "cycle": entry["cycle"]})["result"]
            assert cycle["state"] in ("COMPLETE", "FAILED"), (entry["name"], cycle["state"])
        parts = [kernel.request({"command": "cycle", "cycle": "c11"})["result"]]  # a part under way
        assert all("plans are no longer made: the method is written whole" in p["reasons"] for p in parts), parts
        # the question the failed cycle could not ask, answered now: a retry from its candidates, installed
        question = kernel.request({"command": "cycle", "cycle": failed["cycle"]})["result"]["artifacts"]["questions"][-1]
        reply = kernel.request({"command": "answer", "cycle": failed["cycle"], "question": question["id"],
                                "choose": next(i for i, c in enumerate(question["choices"]) if c["result"] == {"a": 3, "b": 1})},
                               timeout=120)
        assert reply["status"] == "ok" and reply["result"]["result"] == {"a": 3, "b": 1}, reply
        assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "merge_counts",
                               "args": [{"x": 1}, {"x": 1}], "learn": False})["result"] == {"x": 2}
    finally:
        kernel.stop()

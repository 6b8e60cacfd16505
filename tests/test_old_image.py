"""An image written by earlier code still opens and works (persistent class paths moved since).

``tests/data/old_image_0.1.0.tar.gz`` was made by ``tests/data/make_old_image.py``
with the code of commit 294aa08, before the package was laid out by concern:
its pickles name ``bat_os.objects.UvmObject``, ``bat_os.cycle.Cycle``,
``bat_os.catalog.KnowledgeCatalog``, ``bat_os.chronicle.Chronicle`` and
``bat_os.model_store.ModelRecord``. It holds three slots on ``genesis_obj``,
the generated method ``report_the_current_system_time`` learned by cycle
``c1``, the document ``skerryvore`` in the catalog, a backup's chronicle
entry, and a tiny model for ROBIN in the model store's blobs.

Real parts: the fixture is unpacked into a temp dir (never changed in place)
and served by a real kernel subprocess with the transformers backend.
"""

from __future__ import annotations

import json
import re
import tarfile
import time
from pathlib import Path

import pytest

from support import KernelProcess

FIXTURE = Path(__file__).resolve().parent / "data" / "old_image_0.1.0.tar.gz"


@pytest.fixture
def old_image(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(tmp_path / "image", filter="data")
    return tmp_path / "image" / "live_image.fs"


def _kernel(tmp_path: Path, image: Path) -> KernelProcess:
    env = {"BATOS_LLM_BACKEND": "transformers", "BATOS_LLM_DEVICE": "cpu", "BATOS_PULL_DEFAULTS": "never"}
    return KernelProcess(tmp_path, image=image, env=env)


def _ok(reply: dict) -> object:
    assert reply["status"] == "ok", reply
    return reply["result"]


def test_an_image_from_before_the_move_opens_and_works(tmp_path: Path, old_image: Path) -> None:
    kernel = _kernel(tmp_path, old_image).start(timeout=60)
    try:
        check = _ok(kernel.request({"command": "selfcheck"}, timeout=30))
        assert check["healthy"] is True and check["failures"] == []
        assert check["methods"] >= 5  # the four traits methods and the learned one

        genesis = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))
        assert genesis["type"] == "UvmObject"
        assert genesis["slots"]["visits"] == 3
        assert genesis["slots"]["ledger"] == {"keeper": "Ada", "nights": [1, 4, 7], "lamp": {"wound": True}}
        assert genesis["slots"]["tags"] == ["fog", "lamp"]
        learned = genesis["methods"]["report_the_current_system_time"]
        assert learned["origin"] == "generated" and learned["provenance"]["cycle"] == "c1"

        # The learned method runs (in the jail) without a new cycle.
        answer = _ok(kernel.request({"command": "send", "target": "genesis_obj", "selector": "report_the_current_system_time"}, timeout=30))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?", answer)
        status = _ok(kernel.request({"command": "status"}))
        assert status["cycles"]["total"] == 1 and status["cycles"]["unfinished"] == []
        assert _ok(kernel.request({"command": "cycle", "cycle": "c1"}))["state"] == "COMPLETE"

        hits = _ok(kernel.request({"command": "search", "query": "lighthouse keeper ledger", "mode": "text"}))["hits"]
        assert hits and hits[0]["doc_id"] == "skerryvore" and hits[0]["metadata"]["source"] == "fixture"

        entries = _ok(kernel.request({"command": "chronicle"}))["entries"]
        assert [e["reason"] for e in entries if e["event"] == "backup"] == ["old-image fixture"]

        reply = _ok(kernel.request({"command": "ask", "persona": "ROBIN", "prompt": "hello"}, timeout=120))
        assert reply["persona"] == "ROBIN" and reply["model"].endswith("tiny-llama") and isinstance(reply["text"], str)

        # Migrations 6 to 10: the old image's state objects follow the table (SPECIFYING added, PLANNING added then
        # gone, the moves).
        check = _ok(kernel.request({"command": "selfcheck"}, timeout=30))
        assert check["schema_version"] == check["expected_schema_version"] == 10
        assert [m["version"] for m in check["migrations"]][-5:] == [6, 7, 8, 9, 10]
        # Migration 7: the old traits learn clone and new; a client clones the old genesis_obj.
        traits = _ok(kernel.request({"command": "inspect", "target": "traits_obj"}))["methods"]
        assert {"clone", "new", "dispatch", "describe"} <= set(traits) and traits["clone"]["origin"] == "system"
        made = _ok(kernel.request({"command": "clone", "target": "genesis_obj", "name": "lamp_keeper", "slots": {"shift": 2}}))
        assert made["name"] == "lamp_keeper" and made["parent"]["name"] == "genesis"
        states = _ok(kernel.request({"command": "inspect", "target": "psm_prototypes_obj"}))["slots"]
        assert "SPECIFYING" in states and "PLANNING" not in states
        validating = _ok(kernel.request({"command": "inspect", "target": states["VALIDATING"]["$oid"]}))["slots"]
        assert "PLANNING" not in validating["next"] and "ASKING" in validating["next"]
        delegating = _ok(kernel.request({"command": "inspect", "target": states["DELEGATING"]["$oid"]}))["slots"]
        assert "SPECIFYING" in delegating["next"]
        # A method learned before tests existed has none: selfcheck --tests runs nothing for it and stays healthy.
        tested = _ok(kernel.request({"command": "selfcheck", "tests": True}, timeout=60))
        assert tested["healthy"] is True and tested["tests"] == {"methods": 0, "cases": 0, "failures": 0}

        # A method learned before histories existed is version 1 of its history; an edit adds version 2.
        clock = "report_the_current_system_time"
        history = _ok(kernel.request({"command": "history", "target": "genesis_obj", "selector": clock}))
        assert [(v["version"], v["change"], v["current"]) for v in history["versions"]] == [(1, "learned", True)]
        edited = _ok(kernel.request({"command": "set_method", "target": "genesis_obj", "selector": clock,
                                     "source": learned["source"].rstrip() + "\n# kept, with a note\n"}, timeout=60))
        assert edited["version"] == 2

        # New objects written by this code sit beside the old ones, and both read back after a restart.
        _ok(kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "after", "value": {"nested": [1]}}))
    finally:
        kernel.stop()
    kernel = _kernel(tmp_path, old_image).start(timeout=60)
    try:
        genesis = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))
        assert genesis["slots"]["after"] == {"nested": [1]} and genesis["slots"]["visits"] == 3
        keeper = _ok(kernel.request({"command": "inspect", "target": "lamp_keeper"}))
        assert keeper["slots"] == {"shift": 2} and keeper["parents"][0]["name"] == "genesis"
        history = _ok(kernel.request({"command": "history", "target": "genesis_obj", "selector": "report_the_current_system_time"}))
        assert [(v["author"], v["change"]) for v in history["versions"]][1] == ("architect", "edited")
        assert history["versions"][0]["author"] == learned["author"] and history["current"] == 2
        assert _ok(kernel.request({"command": "selfcheck"}, timeout=30))["healthy"] is True
    finally:
        kernel.stop()


def test_the_heartbeat_works_on_an_image_from_before_the_move(tmp_path: Path, old_image: Path) -> None:
    """Old cycles (no origin, a brief of the old shape), an old catalog and a learned method with no stored cases:
    the heartbeat beats on it; what cannot be done here (BRICK has no model) fails once, and is not asked again."""
    kernel = KernelProcess(tmp_path, image=old_image, env={"BATOS_LLM_BACKEND": "transformers", "BATOS_LLM_DEVICE": "cpu",
                                                           "BATOS_PULL_DEFAULTS": "never", "BATOS_HEARTBEAT_EVERY": "0.3"})
    kernel.start(timeout=60)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            beat = _ok(kernel.request({"command": "status"}))["heartbeat"]
            if beat["beats"] >= 4:
                break
            time.sleep(1.0)  # a request holds the heartbeat back half a second: ask seldom
        assert beat["beats"] >= 4, beat
        record = _ok(kernel.request({"command": "cycle", "cycle": "c1"}))
        assert record["origin"] == "user" and len(record["brief_sha256"]) == 64
        assert _ok(kernel.request({"command": "selfcheck"}, timeout=30))["healthy"] is True
    finally:
        kernel.stop()
    lines = [json.loads(line) for line in kernel.audit.read_text().splitlines()]
    failed = [line for line in lines if line["event"] == "heartbeat" and line["outcome"] == "failed"]
    assert [line["action"] for line in failed] == ["cases"] and "BRICK" in failed[0]["error"]

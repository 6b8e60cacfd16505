"""The forge's curator: the image's golden dataset, through a real kernel (``forge`` and ``batos.py forge dataset``).

A method learned by a cycle (the replay backend playing texts the real 0.5B model wrote, the person's answer
choosing among them) becomes a pair; a method a person wrote, or one whose stored tests fail now, does not.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bat_os.forge.curator import Pair, deduplicated
from support import ROOT, KernelProcess, free_port, kernel_env
from test_questions import AKL, AKL_TOO, AL, LEARN, cassette, learn


def pair(n: int = 0, prompt: str = "Write initials.") -> Pair:
    return Pair("You are ALFRED.", prompt, f"```python\ndef f(self):\n    return {n}\n```",
                {"receiver": "genesis_obj", "selector": "f", "answered": 0})


def test_a_pair_repeated_a_thousand_times_is_one_and_the_bounds_hold():
    dataset = deduplicated([pair()] * 1000)
    assert len(dataset.pairs) == 1 and dataset.duplicates == 999
    dataset = deduplicated([pair(n) for n in range(10)] + [pair(99, "x" * 20_000)], limit=4)
    assert len(dataset.pairs) == 4 and [p.completion for p in dataset.pairs] == [pair(n).completion for n in range(4)]
    whys = [left["why"] for left in dataset.left_out]
    assert whys.count("past the 4 pairs a dataset holds") == 6 and any("characters" in why for why in whys)
    assert deduplicated([pair(1), pair(2)]).sha256 != deduplicated([pair(2), pair(1)]).sha256  # order is identity


@pytest.fixture
def learned(tmp_path):
    """A kernel where genesis_obj learned initials (the person chose the reading) and a person wrote double."""
    (tmp_path / "cassette").mkdir()
    settings = {"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette(tmp_path / "cassette", AL, AKL, AKL_TOO)),
                "BATOS_JAIL_WALL_SECONDS": "5", "BATOS_CYCLE_QUESTION_SECONDS": "20"}
    kernel = KernelProcess(tmp_path, env=settings).start()
    with kernel.client() as client:
        reply, seen = learn(client, lambda q: {"choose": next(i for i, c in enumerate(q["choices"]) if c.get("result") == "AKL")})
    assert reply["status"] == "ok" and seen, reply
    assert kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "double",
                           "source": "def double(self, x):\n    return x * 2", "cases": [{"args": [2], "result": 4}]})["status"] == "ok"
    yield kernel
    kernel.stop()


def test_the_dataset_holds_what_a_cycle_learned_right_with_its_prompt_and_provenance(learned, tmp_path):
    out = tmp_path / "golden.jsonl"
    reply = learned.request({"command": "forge", "action": "dataset", "out": str(out)}, timeout=60)
    assert reply["status"] == "ok", reply
    result = reply["result"]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert result["pairs"] == len(lines) == 1 and result["answered"] == 1 and result["out"] == str(out)
    [only] = lines
    source = learned.request({"command": "source", "target": "genesis_obj", "selector": "initials"})["result"]
    assert only["completion"] == f"```python\n{source['source'].strip()}\n```"
    assert "initials" in only["prompt"] and "Ada King Lovelace" in only["prompt"]
    assert 'returns "AKL"' in only["prompt"]  # the person's answer is among the examples shown
    assert only["system"].startswith("You are ALFRED")
    provenance = only["provenance"]
    assert provenance["cycle"] == "c1" and provenance["persona"] == "ALFRED" and provenance["selector"] == "initials"
    assert provenance["receiver"] == "genesis_obj" and provenance["change"] == "learned" and provenance["tests"] >= 1
    assert provenance["answered"] == 1 and isinstance(provenance["prompt_matches"], bool)
    assert result["tests"]["failures"] == 0 and result["tests"]["methods"] == 2  # initials and double, run again
    left = {(item["selector"], item["why"]) for item in result["left_out_listed"]}
    assert ("double", "its current version was edited by a person, not learned by a cycle") in left
    again = learned.request({"command": "forge", "action": "dataset"}, timeout=60)["result"]
    assert again["sha256"] == result["sha256"] and again["out"] is None  # the same image, the same dataset


def test_a_method_whose_stored_tests_fail_now_is_left_out(learned):
    from bat_os.forge.curator import gather
    from bat_os.image.image import Image

    learned.stop()  # the image, opened here as the kernel would (a real FileStorage)
    image = Image(learned.image)
    try:
        passing = image.read(lambda: gather(image.connection.root()))
        failing = image.read(lambda: gather(image.connection.root(), {("genesis_obj", "initials")}))
    finally:
        image.close()
    assert len(passing.pairs) == 1 and failing.pairs == []
    assert {"where": "genesis_obj", "selector": "initials", "why": "its stored tests fail now"} in failing.left_out


def test_a_method_a_person_edited_or_reverted_is_left_out(learned, tmp_path):
    # a person's edit replaces the learned version: no longer the image's own work
    edit = learned.request({"command": "set_method", "target": "genesis_obj", "selector": "initials", "force": True,
                            "source": "def initials(self, name):\n    return ''.join(w[0] for w in name.split()).upper()"},
                           timeout=60)
    assert edit["status"] == "ok", edit
    result = learned.request({"command": "forge", "action": "dataset"}, timeout=60)["result"]
    assert result["pairs"] == 0
    assert any(i["selector"] == "initials" and "edited" in i["why"] for i in result["left_out_listed"])
    # reverted to the learned version: a person's choice again, not the cycle's install
    assert learned.request({"command": "revert", "target": "genesis_obj", "selector": "initials", "version": 1},
                           timeout=60)["status"] == "ok"
    result = learned.request({"command": "forge", "action": "dataset"}, timeout=60)["result"]
    assert result["pairs"] == 0 and any("reverted" in i["why"] for i in result["left_out_listed"])


def test_bad_requests_are_refused_and_write_nothing(learned, tmp_path):
    for request, code in (({"action": "train"}, "bad_request"), ({"action": "dataset", "limit": 0}, "bad_request"),
                          ({"action": "dataset", "out": str(tmp_path / "no" / "such" / "x.jsonl")}, "not_found"),
                          ({}, "bad_request")):
        reply = learned.request({"command": "forge", **request}, timeout=30)
        assert reply["status"] == "error" and reply["error"]["code"] == code, (request, reply)
    assert not (tmp_path / "no").exists()


def test_batos_py_forge_dataset_writes_the_file_through_the_kernel(learned, tmp_path):
    out = tmp_path / "cli.jsonl"
    run = subprocess.run([sys.executable, str(ROOT / "batos.py"), "forge", "dataset", "--out", str(out),
                          "--endpoint", learned.endpoint], cwd=tmp_path, env=kernel_env(), capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "1 pair(s) written to" in run.stdout and "left out genesis_obj.double" in run.stdout
    assert len(out.read_text().splitlines()) == 1
    nobody = subprocess.run([sys.executable, str(ROOT / "batos.py"), "forge", "dataset", "--out", str(out),
                             "--endpoint", f"tcp://127.0.0.1:{free_port()}", "--timeout", "1"], cwd=tmp_path,
                            env=kernel_env(), capture_output=True, text=True, timeout=60)
    assert nobody.returncode == 2 and "no kernel answered" in nobody.stderr

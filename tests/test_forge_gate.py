"""The forge's gate: its rule on known outcomes (an adapter not better, one worse on the image's own work, one
better), and the questions it asks a real tiny model with and without an adapter (bat_os.forge.evaluate)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bat_os.forge.gate import decide
from support import ROOT

HELD = ["a", "b", "c", "d", "e"]
OWN = ["own1", "own2"]


def test_an_adapter_no_better_than_its_base_by_the_margin_is_rejected_with_its_scores():
    tie = decide(HELD, {"a", "b"}, {"a", "b"}, OWN, {"own1"}, {"own1"})
    assert tie.installed is False and "a gain of 0, under the margin of 2" in tie.why
    assert tie.held_out == {"tasks": 5, "base": 2, "adapter": 2}
    one = decide(HELD, {"a"}, {"a", "b"}, OWN, set(), set())
    assert one.installed is False and "a gain of 1" in one.why
    worse = decide(HELD, {"a", "b", "c"}, {"a"}, OWN, set(), set())
    assert worse.installed is False and worse.held_out["adapter"] == 1


def test_an_adapter_worse_on_the_images_own_methods_is_rejected_however_it_gains():
    verdict = decide(HELD, set(), set(HELD), OWN, {"own1", "own2"}, {"own2"})
    assert verdict.installed is False and verdict.own["regressions"] == ["own1"] and "own1" in verdict.why


def test_an_adapter_better_by_the_margin_and_worse_on_nothing_is_installed():
    verdict = decide(HELD, {"a"}, {"a", "b", "c"}, OWN, {"own1"}, {"own1", "own2"})
    assert verdict.installed is True and "+2" in verdict.why
    assert verdict.to_json()["own"] == {"tasks": 2, "base": 1, "adapter": 2, "regressions": []}
    assert decide(HELD, set(), {"a", "b", "c"}, OWN, set(), set(), margin=4).installed is False  # the margin is a setting
    assert decide(["x"], {"y"}, {"y", "z"}, [], set(), set(), margin=1).installed is False  # only held-out ids count


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from bat_os.models.tiny import make_tiny, make_tiny_adapter

    root = tmp_path_factory.mktemp("gate")
    base = make_tiny(root, names=["tiny-qwen2"])["tiny-qwen2"]
    return base, make_tiny_adapter(base, root / "noisy", seed=3)


def ask(base, prompts_file, adapter=None):
    args = [sys.executable, "-m", "bat_os.forge.evaluate", "--base", str(base), "--prompts", str(prompts_file),
            "--max-new-tokens", "12"] + (["--adapter", str(adapter)] if adapter else [])
    run = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert lines[-1] == {"done": True, "answers": len(lines) - 1}
    return {line["id"]: line["text"] for line in lines[:-1]}


def test_the_same_questions_are_asked_greedily_with_and_without_the_adapter(tiny, tmp_path):
    base, noisy = tiny
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": i, "system": "You are ALFRED.", "prompt": f"Write a method named {name}."}) + "\n"
                               for i, name in (("t1", "double"), ("t2", "shout"))))
    plain, again, adapted = ask(base, prompts), ask(base, prompts), ask(base, prompts, noisy)
    assert set(plain) == set(adapted) == {"t1", "t2"}
    assert plain == again  # greedy: the same question, the same answer
    assert plain != adapted  # the adapter, and only the adapter, changed what was answered

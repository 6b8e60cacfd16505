"""The forge's gate: its rule on known outcomes (an adapter not better, one worse on the image's own work, one
better), and the gate through a real kernel on SmolLM2-135M: the same questions asked greedily with and without
the adapter (bat_os.forge.evaluate), every answer tried in the jail, a taught adapter installed, switched by hand
(``forge use``: a noisy one refused for breaking the image's own method) and run by both engines (llama.cpp with
its GGUF form, transformers with PEFT). (A rejection through the kernel, with a tiny model:
tests/test_forge_runs.py.)"""

from __future__ import annotations

import json
import subprocess
import sys

from pathlib import Path

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


# --- the gate through a real kernel, on SmolLM2-135M (its HF form), with outcomes constructed to be known -----

HELD_OUT = [  # names and meanings no base model knows: only an adapter taught them can pass
    {"id": "zorp", "kind": "pure", "selector": "zorp", "intent": "the zorp of a number", "args": [3], "slots": {},
     "checks": [{"args": [3], "result": 24}, {"args": [0], "result": 3}], "reference": "def zorp(self, n):\n    return n * 7 + 3"},
    {"id": "blip", "kind": "pure", "selector": "blip", "intent": "the blip of a word", "args": ["ab"], "slots": {},
     "checks": [{"args": ["ab"], "result": "ba!"}, {"args": [""], "result": "!"}],
     "reference": "def blip(self, word):\n    return word[::-1] + \"!\""},
]


@pytest.fixture
def smol_kernel(tmp_path):
    """A kernel whose ALFRED runs SmolLM2-135M and whose genesis_obj learned initials (the image's own work)."""
    from gguf_support import real_gguf
    from test_questions import AKL, AKL_TOO, AL, cassette, learn

    from support import KernelProcess, kernel_env

    image = tmp_path / "image" / "live_image.fs"
    image.parent.mkdir()
    done = subprocess.run([sys.executable, str(ROOT / "batos.py"), "models", "--image", str(image), "import", "ALFRED",
                           str(real_gguf("smollm2-135m"))], capture_output=True, text=True, timeout=300, env=kernel_env(), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    from bat_os.models.tiny import make_tiny_adapter

    noise = make_tiny_adapter(smol_base(), tmp_path / "noise", seed=5)  # lora_B of normal noise: SmolLM2 garbled
    done = subprocess.run([sys.executable, str(ROOT / "batos.py"), "models", "--image", str(image), "import-adapter", "noise",
                           str(noise)], capture_output=True, text=True, timeout=300, env=kernel_env(), cwd=ROOT)
    assert done.returncode == 0 and "noise\tstored" in done.stdout, done.stderr
    (tmp_path / "cassette").mkdir()
    kernel = KernelProcess(tmp_path, image=image, env={
        "BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette(tmp_path / "cassette", AL, AKL, AKL_TOO)),
        "BATOS_JAIL_WALL_SECONDS": "5", "BATOS_CYCLE_QUESTION_SECONDS": "20", "BATOS_FORGE_MIN_PAIRS": "1"}).start()
    with kernel.client() as client:
        reply, _ = learn(client, lambda q: {"choose": next(i for i, c in enumerate(q["choices"]) if c.get("result") == "AKL")})
    assert reply["status"] == "ok", reply
    yield kernel
    kernel.stop()


def smol_base():
    from gguf_support import real_gguf

    from bat_os.models import gguf
    from bat_os.models.embedded import cache_dir

    info = gguf.inspect(real_gguf("smollm2-135m"))
    return gguf.convert(info, gguf.converted_dir(cache_dir(), info, "bfloat16"))


@pytest.mark.timeout(900)  # a real training run, five rounds of the gate's questions and both engines, on 2 cores
def test_the_gate_installs_an_adapter_better_on_held_out_tasks_and_worse_on_nothing(smol_kernel, tmp_path):
    from bat_os.cognition.author.prompts import pure_prompt
    from bat_os.image.primordial import PERSONAS

    kernel = smol_kernel
    work = Path(kernel.image).with_name("live_image.forge")
    work.mkdir()
    tasks = tmp_path / "held_out.jsonl"
    tasks.write_text("".join(json.dumps(t) + "\n" for t in HELD_OUT))
    base = smol_base()
    gate = {"command": "forge", "action": "gate", "persona": "ALFRED", "tasks": str(tasks), "max_new_tokens": 56}
    # better: taught the held-out tasks' right methods in the very prompts the gate asks, and the image's own pair
    system = PERSONAS["ALFRED"]["system_prompt"]
    pairs = tmp_path / "taught.jsonl"
    assert kernel.request({"command": "forge", "action": "dataset", "out": str(pairs)}, timeout=120)["status"] == "ok"
    with pairs.open("a") as taught_pairs:
        taught_pairs.write("".join(json.dumps({"system": system, "completion": f"```python\n{t['reference']}\n```",
                                               "prompt": pure_prompt({"selector": t["selector"], "args": t["args"], "kwargs": {},
                                                                      "intent": t["intent"]}, [])}) + "\n" for t in HELD_OUT))
    taught = work / "taught-adapter"
    run = subprocess.run([sys.executable, "-m", "bat_os.forge.trainer", "--base", str(base), "--data", str(pairs),
                          "--out", str(taught), "--rank", "16", "--max-steps", "15", "--lr", "3e-3"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    reply = kernel.request({**gate, "adapter": str(taught)}, timeout=600)
    assert reply["status"] == "ok", reply
    installed = reply["result"]
    assert installed["installed"] is True and installed["held_out"] == {"tasks": 2, "base": 0, "adapter": 2}
    assert installed["own"] == {"tasks": 1, "base": 1, "adapter": 1, "regressions": []}  # initials, written right by both
    assert installed["installed_as"] == "forge-taught-adapter" and installed["dataset"]["pairs"] == 1
    assert kernel.request({"command": "status"})["result"]["models"]["personas"]["ALFRED"]["adapter"] == "forge-taught-adapter"
    decisions = kernel.request({"command": "forge", "action": "status"})["result"]["decisions"]
    assert [d["installed_as"] for d in decisions] == ["forge-taught-adapter"]  # kept in the image
    # a folder the forge did not make is refused
    refused = kernel.request({"command": "forge", "action": "gate", "persona": "ALFRED", "adapter": str(tmp_path)}, timeout=60)
    assert refused["error"]["code"] == "not_found"
    # the installed adapter in both engines: its llama.cpp form was made at install (SmolLM2 is a GGUF persona)
    assert installed["llama_cpp"] == "adapter.gguf made"
    # by hand: the base back; an adapter worse on the image's own initials refused, nothing changed; the taught one again
    use = {"command": "forge", "action": "use", "persona": "ALFRED", "max_new_tokens": 56}
    assert kernel.request({**use, "adapter": "none"}, timeout=60)["result"]["adapter"] is None
    assert kernel.request({"command": "status"})["result"]["models"]["personas"]["ALFRED"]["adapter"] is None
    noisy = kernel.request({**use, "adapter": "noise"}, timeout=600)
    assert noisy["error"]["code"] == "tests_failed" and "worse than ALFRED's base on 1" in noisy["error"]["message"], noisy
    assert kernel.request({"command": "status"})["result"]["models"]["personas"]["ALFRED"]["adapter"] is None
    used = kernel.request({**use, "adapter": "forge-taught-adapter"}, timeout=600)
    assert used["status"] == "ok", used
    assert used["result"]["own"]["regressions"] == [] and used["result"]["llama_cpp"] == "adapter.gguf kept"
    assert kernel.request({"command": "status"})["result"]["models"]["personas"]["ALFRED"]["adapter"] == "forge-taught-adapter"
    adapters = {a["name"]: a for a in kernel.request({"command": "forge", "action": "status"})["result"]["adapters"]}
    assert adapters["forge-taught-adapter"]["forms"] == ["peft", "gguf"] and adapters["forge-taught-adapter"]["used_by"] == ["ALFRED"]
    assert adapters["noise"]["forms"] == ["peft"] and adapters["noise"]["used_by"] == []
    assert kernel.request({**use, "adapter": "nosuch"})["error"]["code"] == "not_found"
    kernel.stop()
    assert both_engines_answer(kernel.image, HELD_OUT[0]) == {"llama.cpp": True, "transformers": True, "base": False}


def both_engines_answer(image_path, task) -> dict:
    """Whether ALFRED writes ``task``'s reference through llama.cpp (the adapter's GGUF form applied at load) and
    through transformers (PEFT), and whether its base model alone does; the image read as the kernel left it."""
    import asyncio
    from dataclasses import replace

    from gguf_support import cache, need_llama

    from bat_os.cognition.author.prompts import pure_prompt
    from bat_os.image.image import Image
    from bat_os.image.primordial import PERSONAS
    from bat_os.models.manager import ModelManager
    from bat_os.models.personas import spec_for

    need_llama()
    image = Image(image_path)
    image.awaken()
    try:
        alfred = image.read(lambda: spec_for(image.connection.root(), "ALFRED"))
    finally:
        image.close()
    alfred = replace(alfred, generation={"max_new_tokens": 40, "temperature": 0})
    assert alfred.adapter is not None and alfred.adapter.gguf_file is not None and alfred.adapter.peft
    prompt = pure_prompt({"selector": task["selector"], "args": task["args"], "kwargs": {}, "intent": task["intent"]}, [])
    wanted = task["reference"].splitlines()[-1].strip()  # "return n * 7 + 3"

    async def answer(engine: str, spec) -> tuple[str, str]:
        manager = ModelManager(device="cpu", engine=engine, cache=cache())
        try:
            out = await manager.generate(spec, PERSONAS["ALFRED"]["system_prompt"], prompt)
            return out.text, manager.status()["resident"][0]["engine"]
        finally:
            await manager.close()

    found = {}
    for name, engine, spec in (("llama.cpp", "auto", alfred), ("transformers", "transformers", alfred),
                               ("base", "auto", replace(alfred, adapter=None))):
        text, ran = asyncio.run(answer(engine, spec))
        assert ran == ("transformers" if name == "transformers" else "llama.cpp")
        found[name] = wanted in text
    return found

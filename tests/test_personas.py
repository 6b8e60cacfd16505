"""Persona models end to end: make-tiny -> models import (CLI subprocess) -> a real kernel -> ask over ZeroMQ.

Real parts: tiny random-weight transformers models built locally (no download), the
`batos.py models` CLI in subprocesses, a kernel subprocess with the transformers
backend, ZeroMQ on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from support import ROOT, KernelProcess, kernel_env

# tiny-llama ~0.9 MB and tiny-qwen2 ~1.5 MB of float32 weights: a 2 MiB budget holds exactly one
ONE_MODEL_MB = "2"


def models_cli(image: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "batos.py"), "models", "--image", str(image), *args],
        capture_output=True, text=True, timeout=timeout, env=kernel_env(), cwd=ROOT,
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("personas")
    done = models_cli(root / "unused" / "x.fs", "make-tiny", "--out", str(root / "tiny"))
    assert done.returncode == 0, done.stderr
    paths = dict(line.split("\t") for line in done.stdout.splitlines())
    assert set(paths) == {"tiny-llama", "tiny-qwen2"}
    from bat_os.models.tiny import make_tiny_adapter

    adapters = root / "lora_adapters"
    make_tiny_adapter(Path(paths["tiny-llama"]), adapters / "alfred", seed=1)
    make_tiny_adapter(Path(paths["tiny-llama"]), adapters / "brick", seed=2)
    return {"llama": paths["tiny-llama"], "qwen": paths["tiny-qwen2"], "adapters": adapters}


def kernel(workdir: Path, memory_mb: str = ONE_MODEL_MB) -> KernelProcess:
    # float32 weights: the budgets here are counted in the tiny models' float32 bytes (int8 would fit both)
    return KernelProcess(workdir, env={"BATOS_LLM_BACKEND": "transformers", "BATOS_MODELS_MEMORY_MB": memory_mb, "BATOS_LLM_DEVICE": "cpu",
                                       "BATOS_CPU_FORM": "fp32"})


def kernel_with(workdir: Path, imports: dict[str, str], memory_mb: str = "64") -> KernelProcess:
    """A kernel (not started yet) whose image holds ``imports`` (persona -> model dir), imported by the CLI."""
    k = kernel(workdir, memory_mb)
    for persona, source in imports.items():
        done = models_cli(k.image, "import", persona, source)
        assert done.returncode == 0, done.stderr
    return k


def ask(k: KernelProcess, timeout: float = 120, **fields) -> dict:
    return k.request({"command": "ask", **fields}, timeout=timeout)


def models_status(k: KernelProcess) -> dict:
    return k.request({"command": "status"})["result"]["models"]


def test_import_restart_ask_each_swaps_with_a_one_model_budget(tiny, tmp_path):
    k = kernel(tmp_path)
    for persona, source in (("ALFRED", tiny["llama"]), ("ROBIN", tiny["qwen"])):
        done = models_cli(k.image, "import", persona, source)
        assert done.returncode == 0, done.stderr
        assert f"{persona}\timported" in done.stdout
    listed = models_cli(k.image, "list", "--json")
    assert listed.returncode == 0 and "tiny-llama" in listed.stdout and "tiny-qwen2" in listed.stdout

    k.start(timeout=60)
    try:
        before = models_status(k)
        assert before["personas"]["ALFRED"]["model"] == tiny["llama"] and before["manager"]["resident"] == []
        assert "BRICK" in before["hint"] and "models import" in before["hint"]
        # one budget of cores (bat_os.models.cores): nothing queued, nothing held, every core for a generation
        assert before["manager"]["queue"] == {"running": None, "waiting": []}
        cores = os.cpu_count() or 1
        assert before["manager"]["cores"] == {"cores": cores, "generation_threads": cores, "wanted": cores, "held": {}}
    finally:
        k.stop()

    k.start(timeout=60)  # a restart: everything comes from the image
    try:
        first = ask(k, persona="ALFRED", prompt="Who are you?")
        assert first["status"] == "ok", first
        assert first["result"]["persona"] == "ALFRED" and first["result"]["model"] == tiny["llama"]
        assert isinstance(first["result"]["text"], str)
        status = models_status(k)
        assert [r["model"] for r in status["manager"]["resident"]] == [tiny["llama"]]

        second = ask(k, persona="robin", prompt="And you?")
        assert second["status"] == "ok", second
        assert second["result"]["model"] == tiny["qwen"]
        status = models_status(k)
        assert [r["model"] for r in status["manager"]["resident"]] == [tiny["qwen"]]  # the first was unloaded
        assert status["manager"]["counts"]["evictions"] == 1
        assert status["manager"]["last_swap"]["persona"] == "ROBIN"
        linked = list((k.image.parent / "live_image.loaded").rglob("model.safetensors"))
        assert linked and all(p.is_symlink() and str(p.resolve()).startswith(str(k.image.parent / "live_image.blobs")) for p in linked)
    finally:
        k.stop()


def test_adapters_on_one_base_switch_without_reloading(tiny, tmp_path):
    k = kernel_with(tmp_path, {"ALFRED": tiny["llama"], "BRICK": tiny["llama"]})
    synced = models_cli(k.image, "adapters", "sync", "--folder", str(tiny["adapters"]))
    assert synced.returncode == 0, synced.stderr
    assert "alfred\tstored" in synced.stdout and "brick\tstored" in synced.stdout
    again = models_cli(k.image, "adapters", "sync", "--folder", str(tiny["adapters"]))
    assert "alfred\tunchanged" in again.stdout
    k.start(timeout=60)
    try:
        for persona in ("ALFRED", "BRICK", "ALFRED"):
            reply = ask(k, persona=persona, prompt="hello")
            assert reply["status"] == "ok", reply
        manager = models_status(k)["manager"]
        assert manager["counts"]["loads"] == 1  # one base for both personas
        assert manager["counts"]["adapter_loads"] == 2 and manager["counts"]["adapter_switches"] == 3
        assert manager["resident"][0]["adapters"] == ["alfred", "brick"] and manager["resident"][0]["active_adapter"] == "alfred"
        assert manager["last_adapter_switch"]["persona"] == "ALFRED"
    finally:
        k.stop()


def test_tokens_stream_as_events_and_ping_is_answered_meanwhile(tiny, tmp_path):
    k = kernel_with(tmp_path, {"ROBIN": tiny["llama"]})
    k.start(timeout=60)
    try:
        codex = k.request({"command": "inspect", "target": "robin_prototype_obj"})["result"]["slots"]["codex"]
        codex["generation"] = {"max_new_tokens": 400, "min_new_tokens": 400, "temperature": 0}
        assert k.request({"command": "set_slot", "target": "robin_prototype_obj", "slot": "codex", "value": codex})["status"] == "ok"
        asker = k.client()
        asker.send({"command": "ask", "persona": "ROBIN", "prompt": "talk for a while", "events": True, "id": "long"})
        pings: list[float] = []
        events: list[dict] = []
        final: dict = {}
        generating = threading.Event()
        finished = threading.Event()

        def ping_while_generating() -> None:
            with k.client() as pinger:
                generating.wait(60)
                while not finished.is_set():
                    started = time.monotonic()
                    ok = pinger.request({"command": "ping"}, timeout=5)["status"] == "ok"
                    if not finished.is_set() and ok:
                        pings.append(time.monotonic() - started)
                    time.sleep(0.05)

        thread = threading.Thread(target=ping_while_generating)
        thread.start()
        try:
            deadline = time.monotonic() + 120
            while not final and time.monotonic() < deadline:
                message = asker.recv(timeout=60)
                if message.get("status") == "event":
                    events.append(message["event"])
                    if message["event"].get("type") == "token":
                        generating.set()
                else:
                    final = message
        finally:
            finished.set()
            generating.set()
            thread.join(30)
        asker.close()
        assert final.get("status") == "ok", final
        tokens = [e["text"] for e in events if e.get("type") == "token"]
        assert len(tokens) > 50 and all(e["persona"] == "ROBIN" for e in events if e.get("type") == "token")
        assert "".join(tokens).strip() == final["result"]["text"].strip()
        assert len(pings) >= 5 and max(pings) < 1.0  # answered while the model was generating
    finally:
        k.stop()


def test_contrapunto_and_bad_input(tiny, tmp_path):
    k = kernel_with(tmp_path, {"ROBIN": tiny["qwen"], "BRICK": tiny["llama"]})
    k.start(timeout=60)
    try:
        both = ask(k, personas=["ROBIN", "BRICK"], prompt="What is a living image?")
        assert both["status"] == "ok", both
        answers = both["result"]["answers"]
        assert [a["persona"] for a in answers] == ["ROBIN", "BRICK"] and both["result"]["persona"] == "BRICK"
        assert answers[0]["model"] == tiny["qwen"] and answers[1]["model"] == tiny["llama"]

        missing = ask(k, persona="BABS", prompt="hi")
        assert missing["status"] == "error" and missing["error"]["code"] == "no_model"
        assert "models import BABS" in missing["error"]["message"]
        for bad in ({"persona": "JOKER", "prompt": "hi"}, {"persona": "ROBIN", "prompt": ""}, {"persona": "ROBIN"},
                    {"personas": [], "prompt": "x"}, {"persona": 5, "prompt": "x"}):
            reply = ask(k, **bad)
            assert reply["status"] == "error" and reply["error"]["code"] == "bad_request", (bad, reply)
        assert k.request({"command": "ping"})["status"] == "ok"
    finally:
        k.stop()


def test_a_damaged_blob_makes_the_persona_unavailable_and_the_kernel_serves_on(tiny, tmp_path):
    k = kernel_with(tmp_path, {"ROBIN": tiny["qwen"], "BRICK": tiny["llama"]})
    blobs = [p for p in (k.image.parent / "live_image.blobs").rglob("*.blob") if p.stat().st_size > 1_000_000]
    assert blobs
    target = max(blobs, key=lambda p: p.stat().st_size)  # tiny-qwen2's weights
    target.chmod(0o644)
    with open(target, "r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    k.start(timeout=60)
    try:
        reply = ask(k, persona="ROBIN", prompt="hi")
        assert reply["status"] == "error" and reply["error"]["code"] == "model_unavailable"
        assert "sha256" in reply["error"]["message"]
        assert ask(k, persona="BRICK", prompt="hi")["status"] == "ok"
        assert models_status(k)["manager"]["unavailable"]
    finally:
        k.stop()


def wait_for_pull(k: KernelProcess, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pull = models_status(k)["pull"]
        if pull["state"] not in ("running",):
            return pull
        time.sleep(0.2)
    raise AssertionError(f"the pull did not end: {pull}")


def pulling_kernel(tmp_path: Path, defaults: dict[str, str]) -> KernelProcess:
    """A kernel (started) whose new image pulls ``defaults`` (persona -> model directory) in the background."""
    config = tmp_path / "batos.toml"
    lines = "".join(f'{persona} = "{source}"\n' for persona, source in defaults.items())
    config.write_text(f"[models]\n{lines}memory_mb = 64\n", encoding="utf-8")
    return KernelProcess(tmp_path, extra_args=["--config", str(config)], env={"BATOS_LLM_DEVICE": "cpu"}).start(timeout=60)


def test_first_awakening_pulls_the_defaults_in_the_background(tiny, tmp_path):
    k = pulling_kernel(tmp_path, {"ALFRED": tiny["llama"], "BRICK": tiny["llama"], "ROBIN": tiny["qwen"], "BABS": tiny["qwen"]})
    try:
        assert k.request({"command": "ping"})["status"] == "ok"  # answering while it pulls
        pull = wait_for_pull(k)
        assert pull["state"] == "done" and sorted(pull["done"]) == ["ALFRED", "BABS", "BRICK", "ROBIN"], pull
        personas = models_status(k)["personas"]
        assert personas["ROBIN"]["key"] == personas["BABS"]["key"] != personas["ALFRED"]["key"]  # shared, stored once
        assert ask(k, persona="BABS", prompt="hi")["status"] == "ok"
    finally:
        k.stop()
    removed = models_cli(k.image, "remove", "BABS")
    assert removed.returncode == 0, removed.stderr
    k.start(timeout=60)
    try:
        assert models_status(k)["pull"]["state"] == "idle"  # pulled once, never again: the removal stands
        assert models_status(k)["personas"]["BABS"]["model"] is None
    finally:
        k.stop()


def test_a_request_for_a_model_on_its_way_waits_for_it_with_progress_and_fails_only_with_its_import(tiny, tmp_path):
    """Sent the moment the kernel answers, while it still stores its first models: ROBIN's ask waits for ROBIN's
    model (progress events, then its answer); BABS's, whose model cannot be had, fails with why, not at once with
    the advice to import a model the kernel was importing."""
    missing = tmp_path / "no-such-model"
    k = pulling_kernel(tmp_path, {"ALFRED": tiny["llama"], "BRICK": tiny["llama"], "ROBIN": tiny["qwen"], "BABS": str(missing)})
    try:
        with k.client() as robin, k.client() as babs:
            robin.send({"command": "ask", "persona": "ROBIN", "prompt": "hi", "events": True, "id": "r"})
            babs.send({"command": "ask", "persona": "BABS", "prompt": "hi", "id": "b"})
            frames = []
            while not frames or frames[-1]["status"] == "event":
                frames.append(robin.recv(timeout=120))
            failed = babs.recv(timeout=120)
        assert frames[-1]["status"] == "ok", frames[-1]
        waits = [f["event"] for f in frames if f["status"] == "event" and f["event"].get("type") == "model"]
        assert waits and waits[0]["persona"] == "ROBIN" and waits[0]["state"] == "arriving", frames
        assert waits[-1]["state"] == "stored" and "ROBIN's model" in waits[0]["text"]
        assert failed["error"]["code"] == "no_model" and "could not be stored" in failed["error"]["message"], failed
        assert models_status(k)["personas"]["ROBIN"]["model"] == tiny["qwen"]
    finally:
        k.stop()
    assert "a request waits for ROBIN's model" in k.log.read_text(encoding="utf-8")


def test_without_a_network_the_kernel_starts_and_says_how_to_import(tmp_path):
    k = KernelProcess(tmp_path, env={"BATOS_LLM_DEVICE": "cpu"})  # default hub ids; HF_HUB_OFFLINE=1 in tests
    started = time.monotonic()
    k.start(timeout=60)
    try:
        assert time.monotonic() - started < 30
        pull = wait_for_pull(k, timeout=30)
        assert pull["state"] == "offline" and "models import" in pull["reason"]
        status = models_status(k)
        assert "models import PERSONA" in status["hint"]
        reply = ask(k, persona="ROBIN", prompt="hi")
        assert reply["status"] == "error" and reply["error"]["code"] == "no_model"
    finally:
        k.stop()
    assert "could not pull the default models" in k.log.read_text(encoding="utf-8")
    assert "python batos.py models import PERSONA" in k.log.read_text(encoding="utf-8")


def test_a_cycle_asks_the_personas_models(tiny, tmp_path):
    """With the transformers backend the cycle's DECOMPOSING asks BRICK's own model. A tiny random
    model writes noise, so the cycle searches with the selector's words instead (research never sinks
    a cycle) and fails where ALFRED, who has no model, must write; nothing is installed."""
    k = kernel_with(tmp_path, {"BRICK": tiny["llama"]})
    k.start(timeout=60)
    try:
        reply = k.request({"command": "send", "target": "genesis_obj", "selector": "report_the_time"}, timeout=120)
        assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed", reply
        assert reply["error"]["state"] == "SYNTHESIZING" and "ALFRED has no model" in reply["error"]["reasons"][0]
        manager = models_status(k)["manager"]
        assert manager["counts"]["generations"] >= 1 and manager["resident"][0]["model"] == tiny["llama"]
        inspect = k.request({"command": "inspect", "target": "genesis_obj"})["result"]
        assert "report_the_time" not in inspect["methods"]
    finally:
        k.stop()


def test_awakening_stores_staged_adapters(tiny, tmp_path):
    staged = tmp_path / "staged_adapters"
    shutil.copytree(tiny["adapters"] / "alfred", staged / "alfred")
    k = KernelProcess(tmp_path, env={"BATOS_LLM_DEVICE": "cpu", "BATOS_ADAPTERS_DIR": str(staged), "BATOS_MODELS_MEMORY_MB": "64"})
    assert models_cli(k.image, "import", "ALFRED", tiny["llama"]).returncode == 0
    k.start(timeout=60)
    try:
        assert models_status(k)["personas"]["ALFRED"]["adapter"] == "alfred"
        assert ask(k, persona="ALFRED", prompt="hi")["status"] == "ok"
        assert models_status(k)["manager"]["resident"][0]["active_adapter"] == "alfred"
    finally:
        k.stop()
    assert "adapter alfred stored in the image" in k.log.read_text(encoding="utf-8")

"""The forge's training runs through a real kernel: ``forge train`` on a persona whose base is a real tiny model
(tiny-qwen2, imported by ``batos.py models import``), the pairs a cycle learned (replayed), progress on the event
stream, one run at a time, cancel, a worker out of memory, kill -9, and the refusals: too few pairs, no base
model. And a probe worker: the memory cap it sets itself, its stderr read beside its stdout, a cancelled task."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from support import ROOT, KernelProcess, kernel_env, watch_stream
from test_questions import AKL, AKL_TOO, AL, cassette, learn


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from bat_os.models.tiny import make_tiny

    return make_tiny(tmp_path_factory.mktemp("tiny"), names=["tiny-qwen2"])["tiny-qwen2"]


@pytest.fixture(scope="module")
def learned_image(tiny, tmp_path_factory):
    """An image whose ALFRED has tiny-qwen2 for a base and whose genesis_obj learned initials (one pair), and the
    kernel settings to open it with; made once for the file."""
    root = tmp_path_factory.mktemp("forged")
    (root / "cassette").mkdir()
    image = root / "image" / "live_image.fs"
    image.parent.mkdir()
    done = subprocess.run([sys.executable, str(ROOT / "batos.py"), "models", "--image", str(image), "import", "ALFRED",
                           str(tiny)], capture_output=True, text=True, timeout=120, env=kernel_env(), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    settings = {"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette(root / "cassette", AL, AKL, AKL_TOO)),
                "BATOS_JAIL_WALL_SECONDS": "5", "BATOS_CYCLE_QUESTION_SECONDS": "20", "BATOS_FORGE_MIN_PAIRS": "1"}
    kernel = KernelProcess(root, image=image, env=settings).start()
    try:
        with kernel.client() as client:
            reply, _ = learn(client, lambda q: {"choose": next(i for i, c in enumerate(q["choices"]) if c.get("result") == "AKL")})
        assert reply["status"] == "ok", reply
    finally:
        kernel.stop()
    shutil.copytree(image.parent, root / "pristine")  # as learned, before the file's tests gate and train on it
    return image, settings


@pytest.fixture
def forged(learned_image, tmp_path):
    """start(pristine=False, **env) -> a kernel on the learned image (a restart when one runs already): the one
    the file's tests share, or (pristine) a copy of it as it was learned, before any test trained or gated."""
    image, settings = learned_image
    started = []

    def start(pristine: bool = False, **env):
        if started:
            started[-1].stop()
        where = image
        if pristine:
            where = tmp_path / "pristine" / image.name
            if not where.parent.exists():
                shutil.copytree(image.parent.with_name("pristine"), where.parent)
        kernel = KernelProcess(tmp_path, image=where, env={**settings, **env}).start()
        started.append(kernel)
        return kernel

    yield start
    for kernel in started:
        kernel.stop()


def adapters(kernel) -> set[str]:
    forge_dir = Path(kernel.image).with_name("live_image.forge")
    return {p.name for p in forge_dir.iterdir() if p.name.endswith(("-adapter", ".training"))} if forge_dir.exists() else set()


def watch(kernel) -> tuple[list[dict], threading.Event]:
    return watch_stream(kernel, b"forge.")


def heard_of(heard: list[dict], topic: str, count: int = 1, timeout: float = 10.0) -> None:
    """Wait until ``count`` events of ``topic`` were heard: a reply and the stream's events come on two sockets,
    and either may arrive first (a full run saw the reply before the watcher had read forge.done)."""
    deadline = time.monotonic() + timeout
    while sum(e["topic"] == topic for e in heard) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_run_trains_the_personas_adapter_from_the_images_pairs_with_progress_on_the_stream(forged):
    kernel = forged()
    heard, stop = watch(kernel)
    reply = kernel.request({"command": "forge", "action": "train", "persona": "alfred", "max_steps": 3, "rank": 4},
                           timeout=300)
    heard_of(heard, "forge.done")
    stop.set()
    assert reply["status"] == "ok", reply
    result = reply["result"]
    assert result["persona"] == "ALFRED" and result["steps"] == 3 and result["rank"] == 4 and result["installed"] is False
    assert result["dataset"]["pairs"] == 1
    adapter = Path(result["adapter"])
    assert (adapter / "adapter_model.safetensors").is_file() and adapter.parent.name == "live_image.forge"
    progress = [e for e in heard if e["topic"] == "forge.progress"]
    assert [e["step"] for e in progress] == [1, 2, 3] and all(e["persona"] == "ALFRED" and e["loss"] > 0 for e in progress)
    assert [e["topic"] for e in heard][-1] == "forge.done"
    assert kernel.request({"command": "forge", "action": "status"})["result"]["running"] is None
    # not installed: the gate alone may put an adapter into the image, and this one is no better than its base
    tasks = [json.loads(line) for line in (ROOT / "bench" / "tasks" / "learning_tasks.jsonl").read_text().splitlines() if line.strip()]
    held = adapter.parent / "held.jsonl"
    held.write_text("".join(json.dumps(t) + "\n" for t in [t for t in tasks if t["kind"] == "pure" and t["selector"] != "initials"][:2]))
    gated = kernel.request({"command": "forge", "action": "gate", "persona": "ALFRED", "adapter": str(adapter),
                            "tasks": str(held), "max_new_tokens": 16}, timeout=300)
    assert gated["status"] == "ok", gated
    verdict = gated["result"]
    assert verdict["installed"] is False and verdict["installed_as"] is None
    assert verdict["held_out"] == {"tasks": 2, "base": 0, "adapter": 0} and "under the margin of 2" in verdict["why"]
    assert verdict["own"]["tasks"] == 1 and verdict["own"]["regressions"] == []
    status = kernel.request({"command": "forge", "action": "status"})["result"]
    assert status["decisions"][-1]["why"] == verdict["why"]  # rejected, and kept in the image with its scores
    listed = kernel.request({"command": "status"})["result"]["models"]["personas"]["ALFRED"]
    assert listed["adapter"] is None
    deadline = time.monotonic() + 10  # the audit trail: the training and the decision, with the data they were on
    while len(lines := [line for line in map(json.loads, kernel.audit.read_text().splitlines()) if line["event"] == "forge"]) < 2:
        assert time.monotonic() < deadline, lines
        time.sleep(0.2)
    trained, decided = lines
    assert trained["action"] == "train" and trained["outcome"] == "trained" and trained["pairs"] == 1
    assert decided["action"] == "gate" and decided["installed"] is False and decided["held_out"]["tasks"] == 2
    assert trained["dataset_sha256"] == decided["dataset_sha256"] == result["dataset"]["sha256"]


def test_one_run_at_a_time_and_a_cancelled_run_leaves_no_adapter(forged):
    kernel = forged()
    before = adapters(kernel)
    outcome: dict = {}

    def first() -> None:
        outcome.update(kernel.request({"command": "forge", "action": "train", "persona": "ALFRED", "minutes": 5}, timeout=300))

    runner = threading.Thread(target=first)
    runner.start()
    deadline = time.monotonic() + 60
    while kernel.request({"command": "forge", "action": "status"})["result"]["running"] is None:
        assert time.monotonic() < deadline, "the first run never started"
        time.sleep(0.1)
    second = kernel.request({"command": "forge", "action": "train", "persona": "ALFRED"}, timeout=120)
    assert second["status"] == "error" and second["error"]["code"] == "busy"
    assert kernel.request({"command": "ping"})["status"] == "ok"  # the kernel serves while it trains
    assert kernel.request({"command": "forge", "action": "cancel"})["result"] == {"cancelled": True}
    runner.join(120)
    assert outcome["status"] == "error" and "stopped" in outcome["error"]["message"]
    assert adapters(kernel) == before  # nothing of the cancelled run is left
    assert kernel.request({"command": "forge", "action": "cancel"})["result"] == {"cancelled": False}


def test_too_few_pairs_and_a_persona_without_a_base_are_refused(forged):
    kernel = forged(BATOS_FORGE_MIN_PAIRS="5")
    before = adapters(kernel)
    reply = kernel.request({"command": "forge", "action": "train", "persona": "ALFRED"}, timeout=120)
    assert reply["error"]["code"] == "bad_request" and "1 pair(s)" in reply["error"]["message"] and "at least 5" in reply["error"]["message"]
    reply = kernel.request({"command": "forge", "action": "train", "persona": "BRICK"}, timeout=60)
    assert reply["error"]["code"] == "no_model"
    for bad in ({"rank": 0}, {"minutes": -1}, {"max_steps": 0}, {"persona": "NOBODY"}):
        reply = kernel.request({"command": "forge", "action": "train", "persona": "ALFRED", **bad}, timeout=60)
        assert reply["status"] == "error" and reply["error"]["code"] == "bad_request", (bad, reply)
    assert adapters(kernel) == before  # nothing was trained
    # the same through batos.py forge: status, use of an adapter the image lacks, the base by hand
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "batos.py"), "forge", *args, "--endpoint", kernel.endpoint,
                               "--timeout", "60"], capture_output=True, text=True, timeout=120, cwd=ROOT, env=kernel_env())

    status = cli("status")
    assert status.returncode == 0 and "running: nothing" in status.stdout, status.stderr
    nosuch = cli("use", "alfred", "nosuch")
    assert nosuch.returncode == 1 and "not_found" in nosuch.stderr and "nosuch" in nosuch.stderr
    base = cli("use", "alfred", "none")
    assert base.returncode == 0 and "ALFRED uses its base model" in base.stdout, base.stderr
    assert "use\tALFRED" in cli("status").stdout  # the decision, kept


def test_a_worker_out_of_memory_fails_cleanly_and_the_kernel_lives(forged):
    kernel = forged(BATOS_FORGE_MEMORY_MB="300")  # the worker's address space: too small for torch
    heard, stop = watch(kernel)
    before = adapters(kernel)
    for _ in range(2):  # a failed run leaves the forge free: the second is tried, not "busy"
        reply = kernel.request({"command": "forge", "action": "train", "persona": "ALFRED", "max_steps": 1}, timeout=120)
        assert reply["error"]["code"] == "internal" and "out of memory" in reply["error"]["message"], reply
    heard_of(heard, "forge.failed", 2)
    stop.set()
    assert [e["topic"] for e in heard] == ["forge.failed", "forge.failed"] and "out of memory" in heard[0]["error"]
    assert kernel.request({"command": "ping"})["status"] == "ok"
    assert kernel.request({"command": "forge", "action": "status"})["result"]["running"] is None
    assert adapters(kernel) == before  # no adapter, no staging


@pytest.mark.timeout(900)  # a round trains and asks two worker processes: minutes on a busy machine
def test_the_heartbeat_starts_a_forge_round_when_the_dataset_grew_and_not_again_until_it_grows(forged):
    kernel = forged(pristine=True,  # the shared image was gated at this size by the file's first test: no round due
                    BATOS_HEARTBEAT_EVERY="0.5", BATOS_HEARTBEAT_RUNS="100000", BATOS_FORGE_EVERY_PAIRS="1",
                    BATOS_FORGE_MINUTES="0.05", BATOS_FORGE_HELD_OUT="1")

    def rounds() -> list[dict]:  # the heartbeat's forge lines in the audit trail (its events say the same)
        text = kernel.audit.read_text() if kernel.audit.exists() else ""  # (written a moment after it starts)
        return [line for line in map(json.loads, text.splitlines()) if line["event"] == "heartbeat" and line.get("action") == "forge"]

    deadline = time.monotonic() + 120
    heard = rounds()
    while not any(line.get("started") for line in heard):  # due at the first beats
        assert time.monotonic() < deadline, kernel.request({"command": "status"})["result"].get("heartbeat")
        time.sleep(0.5)
        heard = rounds()
    deadline = time.monotonic() + 800
    while not any("persona" in line for line in heard):  # the round starts, then (in the background, the beats
        assert time.monotonic() < deadline, [{k: v for k, v in line.items() if k not in ("event", "level")} for line in heard]  # going on) it ends
        time.sleep(0.5)
        heard = rounds()
    [started] = [line for line in heard if line.get("started")]
    [ended] = [line for line in heard if "persona" in line]
    assert started["pairs"] == 1 and started["since"] == 0, heard
    assert ended["outcome"] == "ok" and ended["persona"] == "ALFRED" and ended["installed"] is False, heard
    assert "under the margin" in ended["why"]  # a tiny model's adapter: gated, and not better
    decisions = kernel.request({"command": "forge", "action": "status"})["result"]["decisions"]
    assert len(decisions) == 1 and decisions[0]["dataset"]["pairs"] == 1
    time.sleep(3)  # several beats more: the dataset has not grown since that round, so none starts
    assert rounds() == heard and kernel.request({"command": "forge", "action": "status"})["result"]["running"] is None


def test_kill_9_of_the_kernel_stops_its_training_and_a_restart_trains_again(forged):
    import os
    import signal

    kernel = forged()
    before = adapters(kernel)
    client = kernel.client()
    client.send({"command": "forge", "action": "train", "persona": "ALFRED", "minutes": 5, "id": "long"})
    deadline = time.monotonic() + 60
    while (running := kernel.request({"command": "forge", "action": "status"})["result"]["running"]) is None:
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.1)
    trainer = running["pid"]
    os.kill(kernel.proc.pid, signal.SIGKILL)
    kernel.proc.wait(10)
    client.close()
    deadline = time.monotonic() + 60
    while _alive(trainer):  # the trainer sees its kernel gone and stops between steps, saving nothing
        assert time.monotonic() < deadline, "the trainer outlived its kernel"
        time.sleep(0.2)
    assert adapters(kernel) == before  # the killed kernel's trainer left no half adapter and no staging
    kernel = forged()  # the same image
    reply = kernel.request({"command": "forge", "action": "train", "persona": "ALFRED", "max_steps": 1}, timeout=300)
    assert reply["status"] == "ok", reply
    assert (Path(reply["result"]["adapter"]) / "adapter_model.safetensors").is_file()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_a_run_cancelled_before_its_worker_can_say_so_is_reported_stopped(tmp_path):
    # the worker says "stopped" when SIGTERM finds its handler; cancelled while it still imports (the CI's race), it
    # dies of the signal with nothing said: the kernel knows it cancelled, and says stopped all the same
    import asyncio

    from bat_os.errors import Internal
    from bat_os.forge.runs import Forge, ForgeSettings

    async def run() -> str:
        forge = Forge(ForgeSettings(), tmp_path)
        worker = asyncio.create_task(forge._worker("ALFRED", "training", ["http.server", "0", "--bind", "127.0.0.1"]))
        while forge.running is None:
            await asyncio.sleep(0.01)
        assert forge.cancel() is True
        with pytest.raises(Internal) as failed:
            await worker
        assert forge.running is None and forge.cancel() is False
        return str(failed.value)

    assert asyncio.run(run()) == "the forge's training for ALFRED did not finish: stopped"


PROBE = '''
import json, resource, sys
print(json.dumps({"step": 1, "address_space": list(resource.getrlimit(resource.RLIMIT_AS))}), flush=True)
sys.stderr.write("x" * 2**20 + "\\n" + "y" * 2**20 + "\\nthe last of the noise\\n")  # far past a pipe's 64 KiB
sys.stderr.flush()
if "grab" in sys.argv:
    bytearray(400 * 2**20)
if "hang" in sys.argv:
    __import__("time").sleep(600)
print(json.dumps({"done": "fail" not in sys.argv}), flush=True)
sys.exit(3 if "fail" in sys.argv else 0)
'''


def test_a_worker_caps_its_own_address_space_and_two_mib_on_stderr_stall_nothing(tmp_path, monkeypatch):
    # a real worker process (a probe module, started as the trainer is): its limit read back from inside it, and its
    # stderr read beside its stdout (read after it, the worker blocks on a full pipe and the run hangs)
    import asyncio
    import os
    import resource

    from bat_os.errors import Internal
    from bat_os.forge.runs import Forge, ForgeSettings

    (tmp_path / "forge_probe.py").write_text(PROBE)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))

    def run(memory_mb: int, *args: str) -> tuple[list[dict], list[dict]]:
        heard: list[dict] = []
        forge = Forge(ForgeSettings(memory_mb=memory_mb), tmp_path)
        lines = asyncio.run(asyncio.wait_for(forge._worker("ALFRED", "training", ["forge_probe", *args], heard.append), 60))
        return lines, heard

    lines, heard = run(300)
    assert lines == heard == [{"step": 1, "address_space": [300 * 2**20] * 2}, {"done": True}]
    lines, _ = run(0)  # no cap: the worker's limit is the kernel's own
    assert lines[0]["address_space"] == list(resource.getrlimit(resource.RLIMIT_AS))
    with pytest.raises(Internal) as failed:  # exit 3 with nothing said: why is stderr's last line, read to its end
        run(300, "fail")
    assert str(failed.value) == "the forge's training for ALFRED did not finish: the last of the noise"
    with pytest.raises(Internal) as failed:  # 400 MiB wanted under a 300 MiB cap: it fails in the worker
        run(300, "grab")
    assert str(failed.value).endswith(": MemoryError")

    async def cancelled() -> tuple[int, dict | None]:  # the kernel's task cancelled mid-run: the worker goes with it
        forge = Forge(ForgeSettings(memory_mb=300), tmp_path)
        spoke = asyncio.Event()
        worker = asyncio.create_task(forge._worker("ALFRED", "training", ["forge_probe", "hang"], lambda line: spoke.set()))
        await asyncio.wait_for(spoke.wait(), 60)
        pid = forge.running["pid"]
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(worker, 60)
        return pid, forge.running

    pid, running = asyncio.run(cancelled())
    assert running is None and not _alive(pid)


THREADS_PROBE = '''
import json, os
import torch
print(json.dumps({"torch_threads": torch.get_num_threads(), "omp": os.environ.get("OMP_NUM_THREADS")}), flush=True)
print(json.dumps({"done": True}), flush=True)
'''


def test_a_worker_trains_on_every_core_but_one_and_holds_them_while_it_runs(tmp_path, monkeypatch):
    # the kernel's generations keep a core (bat_os.models.cores): the worker's torch uses the forge's threads, and
    # the forge says it holds them only while a worker runs
    import asyncio
    import os

    from bat_os.forge.runs import Forge, ForgeSettings

    (tmp_path / "threads_probe.py").write_text(THREADS_PROBE)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    assert Forge(ForgeSettings(), tmp_path).threads == max(1, (os.cpu_count() or 1) - 1)

    async def run() -> tuple[list[dict], list[int]]:
        forge = Forge(ForgeSettings(), tmp_path, threads=1)
        held = [forge.cores_held()]
        lines = await asyncio.wait_for(forge._worker("ALFRED", "training", ["threads_probe"], lambda line: held.append(forge.cores_held())), 120)
        return lines, held + [forge.cores_held()]

    lines, held = asyncio.run(run())
    assert lines[0] == {"torch_threads": 1, "omp": "1"}
    assert held == [0, 1, 1, 0]  # none before, its threads while it runs, none after

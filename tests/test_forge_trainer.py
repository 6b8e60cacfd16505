"""The forge's trainer: a real LoRA trained with peft on a real (tiny) model, in a process of its own.

tiny-qwen2 (``batos.py models make-tiny``) is the base; the pairs are the curator's format. A short run changes
the adapter's weights; kill -9 leaves no half adapter; SIGTERM stops it saving nothing; no pairs is an error;
out of memory is known by the error's type (a worker capped too small for torch says so).
(A trained adapter imported into an image and put into use: tests/test_forge_gate.py.)
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from contextlib import redirect_stdout

import pytest

from bat_os.models.tiny import make_tiny
from support import ROOT

PAIRS = [
    {"system": "You are ALFRED.", "prompt": f"Write a Python method named {name}.",
     "completion": f"```python\ndef {name}(self, x):\n    return {body}\n```"}
    for name, body in (("double", "x * 2"), ("square", "x * x"), ("negate", "-x"))
]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_tiny(tmp_path_factory.mktemp("tiny"), names=["tiny-qwen2"])["tiny-qwen2"]


def data(tmp_path, pairs=PAIRS):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pairs))
    return path


def trainer(*args):
    return subprocess.Popen([sys.executable, "-m", "bat_os.forge.trainer", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(run, timeout=300):
    """(exit code, stdout): the process waited for, its pipes read and closed."""
    stdout, _ = run.communicate(timeout=timeout)
    return run.returncode, stdout


def test_a_short_run_trains_the_adapters_weights_and_reports_each_step(base, tmp_path):
    from safetensors.torch import load_file

    out = tmp_path / "adapter"
    run = trainer("--base", base, "--data", data(tmp_path), "--out", out, "--rank", 4, "--max-steps", 12, "--lr", "5e-3")
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    lines = [json.loads(line) for line in stdout.splitlines()]
    steps, done = lines[:-1], lines[-1]
    assert [s["step"] for s in steps] == list(range(1, 13)) and all(s["loss"] > 0 for s in steps)
    assert done["done"] is True and done["steps"] == 12 and done["pairs"] == 3 and done["tokens"] == steps[-1]["tokens"]
    # the pairs, shown four times each: the loss falls
    assert sum(s["loss"] for s in steps[-3:]) < sum(s["loss"] for s in steps[:3])
    weights = load_file(str(out / "adapter_model.safetensors"))
    lora_b = [tensor for name, tensor in weights.items() if "lora_B" in name]
    assert lora_b and any(float(t.abs().sum()) > 0 for t in lora_b)  # a fresh LoRA's B is zero: trained, it is not
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["r"] == 4 and config["lora_alpha"] == 8
    assert not (tmp_path / ("adapter" + ".training")).exists()


def test_kill_9_leaves_no_half_adapter_and_the_next_run_cleans_up(base, tmp_path):
    out = tmp_path / "adapter"
    run = trainer("--base", base, "--data", data(tmp_path), "--out", out, "--minutes", 5)
    first = json.loads(run.stdout.readline())  # training: one step done
    assert first["step"] == 1
    run.kill()
    finish(run, 30)
    assert not out.exists()
    again = trainer("--base", base, "--data", data(tmp_path), "--out", out, "--max-steps", 1)
    assert finish(again)[0] == 0
    assert (out / "adapter_model.safetensors").is_file() and not (tmp_path / "adapter.training").exists()


def test_sigterm_stops_it_saving_nothing_and_no_pairs_is_an_error(base, tmp_path):
    out = tmp_path / "adapter"
    run = trainer("--base", base, "--data", data(tmp_path), "--out", out, "--minutes", 5)
    assert json.loads(run.stdout.readline())["step"] == 1
    run.send_signal(signal.SIGTERM)
    stdout, _ = run.communicate(timeout=60)
    assert run.returncode == 130 and json.loads(stdout.splitlines()[-1]) == {"done": False, "error": "stopped"}
    assert not out.exists() and not (tmp_path / "adapter.training").exists()
    from bat_os.forge.trainer import main  # no pairs: refused before torch is even imported, so here in-process

    said = io.StringIO()
    with redirect_stdout(said):
        assert main(["--base", str(base), "--data", str(data(tmp_path, [])), "--out", str(out)]) == 1
    assert "holds no pairs" in json.loads(said.getvalue().splitlines()[-1])["error"] and not out.exists()


def test_out_of_memory_is_known_by_the_errors_type_never_its_text(base, tmp_path):
    import errno

    import torch

    from bat_os.forge.trainer import out_of_memory

    assert out_of_memory(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert out_of_memory(MemoryError()) and out_of_memory(OSError(errno.ENOMEM, "Cannot allocate memory"))
    assert not out_of_memory(RuntimeError("CUDA out of memory"))  # the words alone decide nothing
    assert not out_of_memory(OSError(errno.ENOENT, "out of memory"))
    # a worker capped at 300 MiB, started as the kernel starts it: torch's library cannot be mapped into what is left
    out = tmp_path / "adapter"
    run = subprocess.run([sys.executable, "-m", "bat_os.forge.limits", "--memory-mb", "300", "bat_os.forge.trainer",
                          "--base", str(base), "--data", str(data(tmp_path)), "--out", str(out)],
                         check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert json.loads(run.stdout.splitlines()[-1])["error"].startswith("out of memory: ImportError: "), run.stdout
    assert not out.exists()

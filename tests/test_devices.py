"""bat_os.models.devices: the device persona models run on and their default memory budget (torch itself, and
stand-ins for a machine with CUDA, which this one may not have)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bat_os.errors import LLMError
from bat_os.models.devices import auto_budget, decide, pick_device


def torch_with(cuda: bool, total: int = 0) -> SimpleNamespace:
    """What the two functions read of torch: whether CUDA is there, and the first device's memory."""
    return SimpleNamespace(cuda=SimpleNamespace(is_available=lambda: cuda,
                                                get_device_properties=lambda index: SimpleNamespace(total_memory=total)))


def ram_bytes() -> int:
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal in /proc/meminfo")


def test_auto_takes_cuda_where_torch_sees_it_and_the_cpu_elsewhere():
    assert pick_device("auto", torch_with(cuda=True)) == "cuda"
    assert pick_device("auto", torch_with(cuda=False)) == "cpu"
    assert pick_device("cpu", torch_with(cuda=True)) == "cpu"  # asked for: kept
    assert pick_device("cuda", torch_with(cuda=True)) == "cuda"


def test_cuda_asked_for_where_torch_sees_none_is_an_error_that_says_so():
    with pytest.raises(LLMError, match="llm.device is cuda but torch sees no CUDA device"):
        pick_device("cuda", torch_with(cuda=False))


def test_the_budget_is_most_of_the_gpu_or_half_the_ram():
    assert auto_budget("cuda", torch_with(cuda=True, total=80 * 2**30)) == int(80 * 2**30 * 0.9)
    budget = auto_budget("cpu", torch_with(cuda=False))
    assert abs(budget - ram_bytes() / 2) < 0.01 * ram_bytes()  # the same total, read another way


def test_decide_asks_the_real_torch_and_keeps_a_budget_it_is_given():
    import torch

    device, budget = decide("auto", None)
    assert device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert budget == auto_budget(device, torch) and budget > 0
    assert decide("cpu", 123) == ("cpu", 123)

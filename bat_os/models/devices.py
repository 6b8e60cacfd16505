"""Where persona models run and how much memory they may take: the device and the default budget.

The :class:`~bat_os.models.manager.ModelManager` decides both once, on its
worker thread, at its first load (:func:`decide`): torch tells whether CUDA is
here, and importing it takes seconds, so it is imported there and never when
this module is.

- The device (``llm.device``): ``auto`` takes CUDA where torch sees a device,
  else the CPU; ``cuda`` where torch sees none is an error that says so.
- The budget, unless ``models.memory_mb`` sets one: 90% of the GPU's memory
  on CUDA, half of the machine's RAM on a CPU (8 GiB where the RAM cannot be
  read).

:func:`pick_device` and :func:`auto_budget` take torch as an argument, so a
test can hand them a stand-in with or without CUDA.
"""

from __future__ import annotations

import os
from typing import Any

from bat_os.errors import LLMError

CUDA_SHARE = 0.9  # of the GPU's memory
RAM_SHARE = 0.5  # of the machine's RAM
UNKNOWN_RAM_BUDGET = 8 * 2**30  # where the RAM cannot be read


def decide(requested: str, budget: int | None) -> tuple[str, int]:
    """``(device, budget in bytes)``: ``requested`` checked against what torch sees; ``budget``, or the default."""
    import torch

    device = pick_device(requested, torch)
    return device, budget if budget is not None else auto_budget(device, torch)


def pick_device(requested: str, torch: Any) -> str:
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise LLMError("llm.device is cuda but torch sees no CUDA device")
    return requested


def auto_budget(device: str, torch: Any) -> int:
    """90% of the GPU's memory on CUDA; on CPU half of the machine's RAM."""
    if device == "cuda":
        return int(torch.cuda.get_device_properties(0).total_memory * CUDA_SHARE)
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * RAM_SHARE)
    except (ValueError, OSError, AttributeError):
        return UNKNOWN_RAM_BUDGET


__all__ = ["auto_budget", "decide", "pick_device"]

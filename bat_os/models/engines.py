"""Which engine runs a persona's model: llama.cpp or transformers (standard library only).

Two engines run persona models (``models.engine``, :data:`SETTINGS`):

- **llama.cpp** (:mod:`bat_os.models.llamacpp`, the ``llama-cpp-python``
  package, built by set-up): a GGUF model straight from its committed blob
  file, memory-mapped, in its own 4-bit (or other) quantization. On a CPU it
  is the fast path: about twice the tokens per second of the int8
  transformers form, and the prompt evaluated once for all of a cycle's
  candidates (docs/models.md); a LoRA adapter in its GGUF form
  (:mod:`bat_os.models.lora_gguf`) is applied at load.
- **transformers** (:mod:`bat_os.models.generation`): a Hugging Face model
  directory; the path on CUDA (4-bit nf4) and for PEFT LoRA adapters.

:func:`engine_for` decides, for one stored model::

    setting        a GGUF model                                  a Hugging Face model
    auto           llama.cpp, where it imports, there is no      transformers
                   CUDA and no adapter without its GGUF form
                   (adapter.gguf); else transformers
    llama          llama.cpp (no import: the persona is          transformers
                   unavailable, with the reason)
    transformers   transformers (the GGUF file converted once,   transformers
                   into the cache)

What an import stores follows the same rule (:func:`stores_gguf`): a GGUF
file that llama.cpp will run is stored as it is, one blob; one that
transformers will run is converted once and stored as a model directory.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

SETTINGS = ("auto", "llama", "transformers")  # models.engine
LLAMA = "llama.cpp"  # the names status and models list show
TRANSFORMERS = "transformers"
GGUF = "gguf"  # a stored model's format: one GGUF file
HF = "hf"  # ... or a Hugging Face model directory


def llama_installed() -> bool:
    """The ``llama_cpp`` package can be imported here (found, not imported: no native library is loaded)."""
    try:
        return importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):
        return False


def cuda_hint() -> bool:
    """Is there CUDA here, without importing torch: torch's own answer where torch is already imported, else
    whether an NVIDIA driver is present (Linux ``/proc/driver/nvidia``, WSL 2 its ``libcuda.so``, Windows
    ``nvcuda.dll``)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            return bool(torch.cuda.is_available())
        except Exception:  # noqa: BLE001 - a broken CUDA install is no CUDA
            return False
    if sys.platform == "win32":
        return (Path(os.environ.get("SystemRoot", r"C:\Windows")) / "System32" / "nvcuda.dll").is_file()
    return Path("/proc/driver/nvidia/version").is_file() or Path("/usr/lib/wsl/lib/libcuda.so").exists()


def engine_for(format: str, setting: str, *, cuda: bool, llama: bool, adapter: bool = False) -> str:
    """The engine that runs a stored model of ``format`` (:data:`GGUF` or :data:`HF`); see the module docstring.
    ``adapter``: the persona's adapter has only the PEFT form (llama.cpp cannot apply it)."""
    if setting not in SETTINGS:
        raise ValueError(f"models.engine must be one of {', '.join(SETTINGS)}, not {setting!r}")
    if format != GGUF or setting == "transformers":
        return TRANSFORMERS
    if setting == "llama":
        return LLAMA
    return LLAMA if llama and not cuda and not adapter else TRANSFORMERS


def stores_gguf(setting: str, *, cuda: bool, llama: bool) -> bool:
    """Whether an import keeps a GGUF file as it is (llama.cpp will run it) rather than converting it."""
    return engine_for(GGUF, setting, cuda=cuda, llama=llama) == LLAMA


__all__ = ["GGUF", "HF", "LLAMA", "SETTINGS", "TRANSFORMERS", "cuda_hint", "engine_for", "llama_installed", "stores_gguf"]

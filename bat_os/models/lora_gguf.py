"""A PEFT LoRA adapter in llama.cpp's form: a GGUF adapter file, made with llama.cpp's own converter.

llama.cpp applies LoRA adapters stored as GGUF files (``general.type = adapter``); llama.cpp's
``convert_lora_to_gguf.py`` makes one from a PEFT adapter directory and its base model's Hugging Face
configuration. The converter is not installed with ``llama-cpp-python``; its source package carries it
(``vendor/llama.cpp/``). :func:`fetch` (set-up: ``./run.sh setup``, or ``python -m bat_os.models.lora_gguf
fetch``) downloads that source package once from the package index, for the llama-cpp-python version
installed, and keeps only the converter and what it imports beside that install, in the environment::

    <sys.prefix>/share/batos/llama-src/<version>/convert_lora_to_gguf.py, conversion/, gguf-py/

:func:`convert` runs it in a process of its own (it imports torch and transformers) and writes the GGUF file
whole or not at all. Nothing downloads at run time: without the converter, :func:`convert` raises
:class:`~bat_os.errors.ModelError` saying to run the set-up.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from bat_os.errors import ModelError

GGUF_FILE = "adapter.gguf"  # an adapter's llama.cpp form, beside (or instead of) its PEFT files
SCRIPT = "convert_lora_to_gguf.py"
KEPT = (SCRIPT, "convert_hf_to_gguf.py", "conversion/", "gguf-py/")  # under vendor/llama.cpp/ in the source package
TIMEOUT = 900.0


def llama_version() -> str | None:
    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return None


HOME = Path(sys.prefix) / "share" / "batos" / "llama-src"  # beside the llama-cpp-python it belongs to


def converter(version: str | None = None, home: Path = HOME) -> Path | None:
    """The converter fetched for ``version`` (default: the installed llama-cpp-python's), or None."""
    version = version or llama_version()
    script = Path(home) / version / SCRIPT if version else None
    return script if script is not None and script.is_file() else None


def fetch(version: str | None = None, home: Path = HOME, *, python: str = sys.executable) -> Path:
    """Download llama-cpp-python ``version``'s source package and keep its converter in ``home`` (once)."""
    version = version or llama_version()
    if version is None:
        raise ModelError("llama-cpp-python is not installed: there is no llama.cpp to convert an adapter for")
    found = converter(version, home)
    if found is not None:
        return found
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home) as work:
        done = subprocess.run([python, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--dest", work,
                               f"llama-cpp-python=={version}"], capture_output=True, text=True, timeout=1800)
        packages = sorted(Path(work).glob("llama_cpp_python-*.tar.gz"))
        if done.returncode != 0 or not packages:
            raise ModelError(f"llama-cpp-python {version}'s source package could not be downloaded: "
                             f"{(done.stderr.strip().splitlines() or ['no package'])[-1]}")
        staging = Path(work) / "converter"
        _extract(packages[0], staging)
        if not (staging / SCRIPT).is_file():
            raise ModelError(f"llama-cpp-python {version}'s source package holds no {SCRIPT}")
        target = home / version
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    return target / SCRIPT


def _extract(package: Path, into: Path) -> None:
    """Only the converter's files, and only plain files and folders inside ``into`` (no links, no ``..``)."""
    with tarfile.open(package, "r:gz") as tar:
        for member in tar.getmembers():
            parts = member.name.split("/", 3)  # llama_cpp_python-V / vendor / llama.cpp / rest
            if len(parts) < 4 or parts[1:3] != ["vendor", "llama.cpp"] or not (member.isfile() or member.isdir()):
                continue
            rest = parts[3]
            if ".." in rest.split("/") or not any(rest == k or (k.endswith("/") and rest.startswith(k)) for k in KEPT):
                continue
            target = into / rest
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)


def convert(adapter: Path, base: Path, out: Path, home: Path = HOME) -> Path:
    """Write ``adapter`` (a PEFT directory) as llama.cpp's GGUF adapter ``out``, for the base model whose Hugging
    Face form is ``base`` (its configuration and tokenizer are read; f16 weights)."""
    script = converter(home=home)
    if script is None:
        raise ModelError("llama.cpp's adapter converter is not installed: run ./run.sh setup "
                         "(or python -m bat_os.models.lora_gguf fetch) once")
    partial = out.with_name(out.name + ".partial")
    try:
        done = subprocess.run([sys.executable, str(script), "--base", str(base), "--outfile", str(partial),
                               "--outtype", "f16", str(adapter)], capture_output=True, text=True, timeout=TIMEOUT,
                              env={**os.environ, "HF_HUB_OFFLINE": "1"})
        if done.returncode != 0 or not partial.is_file():
            why = [line for line in done.stderr.splitlines() if line.strip()]
            raise ModelError(f"the adapter {adapter.name} could not be converted for llama.cpp: {(why or ['no file'])[-1][:300]}")
        check(partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out


def check(path: Path) -> None:
    """ModelError unless ``path`` is a GGUF LoRA adapter (what llama.cpp's ``lora_path`` takes)."""
    import gguf

    try:
        reader = gguf.GGUFReader(str(path))
        kinds = [reader.fields[k].contents() if k in reader.fields else None for k in ("general.type", "adapter.type")]
    except Exception as exc:  # noqa: BLE001 - whatever the reader trips on, the file is not one
        raise ModelError(f"{path.name} is not a GGUF file: {type(exc).__name__}: {str(exc)[:200]}") from exc
    if kinds != ["adapter", "lora"]:
        raise ModelError(f"{path.name} is a GGUF file but not a LoRA adapter (general.type {kinds[0]!r}, adapter.type {kinds[1]!r})")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bat_os.models.lora_gguf", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("fetch",))
    parser.parse_args(argv)
    if llama_version() is None:
        print("llama-cpp-python is not installed: no converter is needed")
        return 0
    try:
        print(fetch())
    except (ModelError, subprocess.TimeoutExpired) as exc:
        print(f"the adapter converter could not be fetched: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

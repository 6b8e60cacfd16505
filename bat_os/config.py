"""One frozen, typed configuration, loaded once at the entry point.

Sources, in rising priority:

1. the defaults below;
2. ``batos.toml`` (or the file named by ``--config`` / ``BATOS_CONFIG``);
3. environment variables (``BATOS_IMAGE``, ``BATOS_ENDPOINT``, ...);
4. command-line flags (``--image PATH --endpoint EP``).

A bad value raises :class:`~bat_os.errors.ConfigError` naming the setting.
Relative paths are resolved against ``cwd`` (injected, for tests).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from bat_os.errors import ConfigError
from bat_os.protocol import DEFAULT_ENDPOINT

LLM_BACKENDS = ("transformers", "replay")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRANSLATORS = ("model", "local")  # the translate command's first stage (see bat_os.translate.model)
RETIRED = {"cycle_plan": "plans were removed (docs/journal/learning.md): a method is always written whole"}
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LLMConfig:
    backend: str = "transformers"  # "transformers" (real models) or "replay" (recorded answers)
    cassette: Path | None = None  # replay backend: the recorded answers file
    record_to: Path | None = None  # append every model call to this cassette (to replay a real session)
    device: str = "auto"  # "auto", "cpu" or "cuda"


#: Default persona models by hardware profile: ungated and permissively licensed. See docs/models.md.
PROFILE_MODELS = {
    # with CUDA, in 4-bit nf4: each fits 8 GB of VRAM; ROBIN and BABS share one base (adapters tell them apart)
    "gpu": {
        "ALFRED": "Qwen/Qwen2.5-Coder-7B-Instruct",  # Apache-2.0, ~5.5 GB in nf4: writes the methods
        "BRICK": "microsoft/Phi-3.5-mini-instruct",  # MIT, ~2.3 GB in nf4: decomposes missions
        "ROBIN": "Qwen/Qwen2.5-1.5B-Instruct",  # Apache-2.0, ~1.2 GB in nf4
        "BABS": "Qwen/Qwen2.5-1.5B-Instruct",  # Apache-2.0, same base as ROBIN
    },
    # on a CPU: models small enough to answer in seconds (int8 weights, the w8 form: see bat_os.models.cpu_forms)
    "cpu": {
        "ALFRED": "Qwen/Qwen2.5-Coder-1.5B-Instruct",  # Apache-2.0, ~1.5 GB in int8: writes the methods
        "BRICK": "Qwen/Qwen2.5-Coder-0.5B-Instruct",  # Apache-2.0, ~0.6 GB in int8
        "ROBIN": "Qwen/Qwen2.5-0.5B-Instruct",  # Apache-2.0
        "BABS": "Qwen/Qwen2.5-0.5B-Instruct",  # Apache-2.0, same base as ROBIN
    },
    # a machine with little memory: the 0.5B models alone
    "small": {
        "ALFRED": "Qwen/Qwen2.5-Coder-0.5B-Instruct",
        "BRICK": "Qwen/Qwen2.5-Coder-0.5B-Instruct",
        "ROBIN": "Qwen/Qwen2.5-0.5B-Instruct",
        "BABS": "Qwen/Qwen2.5-0.5B-Instruct",
    },
}
PROFILES = ("auto", "cpu", "gpu", "small")  # small: a machine with little memory (the 0.5B models alone)
CPU_FORMS = ("auto", "w8", "int8", "bf16", "fp32")  # see bat_os.models.cpu_forms
ENGINES = ("auto", "llama", "transformers")  # bat_os.models.engines.SETTINGS (a test ties them)
#: BATOS_EMBEDDED_MODEL values that turn the embedded models off, and those that mean the profile's.
EMBEDDED_OFF = ("", "0", "false", "no", "off")
EMBEDDED_ON = ("1", "true", "yes", "on", "auto")
EMBEDDED_MODELS = ("qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b", "smollm2-135m")  # bat_os.models.embedded.MODELS (a test ties them)
EMBEDDED_DEFAULT = EMBEDDED_MODELS[0]  # bat_os.models.embedded.DEFAULT: every profile's fallback
PERSONA_NAMES = ("ALFRED", "BRICK", "ROBIN", "BABS")  # bat_os.image.primordial.PERSONAS (a test ties them)
#: The offline models a new image's personas get, by resolved profile (models.embedded = "auto"), chosen by
#: bench/learning/bench_learning.py (docs/models.md, docs/journal/learning.md): ALFRED writes the methods with the larger coder
#: (it learned more of the benchmark's tasks than the small one); BRICK writes each condition's calls and plans with it
#: too (the small one copied the request's call under every condition). Where llama.cpp runs it (embedded.wanted).
_WRITERS = {**dict.fromkeys(PERSONA_NAMES, EMBEDDED_DEFAULT), "ALFRED": EMBEDDED_MODELS[1], "BRICK": EMBEDDED_MODELS[1]}
EMBEDDED_PROFILES: dict[str, dict[str, str]] = {
    "cpu": _WRITERS,
    "gpu": _WRITERS,
    "small": dict.fromkeys(PERSONA_NAMES, EMBEDDED_DEFAULT),
}


@dataclass(frozen=True)
class ModelsConfig:
    memory_mb: int = 0  # budget for resident models (VRAM on CUDA, RAM on CPU); 0 = auto (see docs/models.md)
    generation_timeout: float = 300.0  # seconds one generation may take before it is stopped
    pull_defaults: str = "auto"  # "auto": first awakening with network pulls the defaults in the background; "never"
    adapters_dir: Path | None = Path("lora_adapters")  # LoRA adapters staged here are stored in the image at awakening
    profile: str = "auto"  # whose defaults: "gpu", "cpu", "small", or "auto" (gpu where CUDA is; small under 6 GiB of RAM; cpu)
    cpu_form: str = "auto"  # weights' form on CPU: "auto" (w8 where the CPU has bf16, else fp32), "w8", "int8", "bf16", "fp32"
    engine: str = "auto"  # who runs a GGUF model: "auto" (llama.cpp on a CPU where it is built), "llama", "transformers"
    context: int = 4096  # llama.cpp's context window, in tokens (prompt and reply together)
    threads: int = 0  # llama.cpp's threads; 0: every core
    embedded: str = "auto"  # GGUF models a new image's personas get: "auto" (the profile's), a name, "ALFRED=name,name", "0"
    cache_dir: Path | None = None  # fetched and converted models; None: $BATOS_CACHE_DIR, else ~/.cache/batos
    alfred: str = ""  # "" = the profile's default (PROFILE_MODELS); or a Hugging Face id, a directory, a GGUF file
    brick: str = ""
    robin: str = ""
    babs: str = ""

    def default_for(self, persona: str, profile: str = "gpu") -> str:
        """``persona``'s default model: its own setting, else ``profile``'s (a resolved profile: cpu or gpu)."""
        return getattr(self, persona.lower()) or PROFILE_MODELS[profile][persona.upper()]

    def embedded_for(self, profile: str) -> dict[str, str]:
        """Each persona's embedded model (``bat_os.models.embedded.MODELS``) under a resolved ``profile``; {} when
        they are off. ``embedded``: ``auto`` (:data:`EMBEDDED_PROFILES`), one name for every persona, or
        ``PERSONA=name`` pairs and a bare name for the rest, comma-separated (``ALFRED=qwen2.5-coder-1.5b,qwen2.5-coder-0.5b``)."""
        value = self.embedded.strip()
        if value.lower() in EMBEDDED_OFF:
            return {}
        if value.lower() in EMBEDDED_ON:
            return dict(EMBEDDED_PROFILES[profile])
        chosen: dict[str, str] = {}
        rest = None
        for item in (part.strip() for part in value.split(",") if part.strip()):
            persona, _, name = item.rpartition("=")
            if persona:
                chosen[persona.strip().upper()] = name.strip().lower()
            else:
                rest = name.lower()
        return {p: chosen.get(p, rest) for p in PERSONA_NAMES if chosen.get(p, rest)}


@dataclass(frozen=True)
class Config:
    image: Path = Path("data/live_image.fs")  # ZODB FileStorage; blobs in <image minus .fs>.blobs/
    endpoint: str = DEFAULT_ENDPOINT  # ZeroMQ ROUTER endpoint; loopback unless you mean otherwise
    events_endpoint: str = "tcp://127.0.0.1:*"  # the event stream's PUB socket (*: a free port, in status); "off": none
    events_hwm: int = 1000  # events queued per subscriber before the stream drops for it (the kernel never waits)
    remote_endpoint: str = ""  # a second door for other machines, CURVE only (bat_os.kernel.remote); "": off
    remote_events_endpoint: str = ""  # the event stream for them, CURVE only; "": none
    log_file: Path | None = Path("data/batos.log")  # kernel log (also on stderr); "" for stderr only
    audit_file: Path = Path("data/metacognition.jsonl")  # one JSON object per request/cycle event
    log_level: str = "INFO"
    max_frame_bytes: int = 16 * 1024 * 1024  # larger request frames get "too_large"
    queue_size: int = 1000  # requests waiting beyond this get "busy"
    conflict_retries: int = 3  # ConflictError retries per request before "busy"
    request_timeout: float = 120.0  # seconds a request may wait in the queue before "timeout"
    shutdown_grace: float = 5.0  # seconds to finish in-flight work on SIGTERM
    codex: Path | None = None  # persona codex ingested on first awakening (default: bundled file)
    cycle_max_attempts: int = 12  # syntheses a cognitive cycle may try before FAILED
    cycle_candidates: int = 8  # candidates that may stand for the agreement vote (after the second: sampled)
    cycle_seed: int = 0  # the series of sampled candidates (another number: other samples for the same prompts)
    cycle_resume: str = "resume"  # a cycle interrupted by a crash: "resume" or "fail"
    cycle_questions: int = 3  # questions one cycle may ask the person who sent the message (0: never asks)
    cycle_confirm: str = "auto"  # show the chosen method before installing it: auto (no example given, or a case doubts it), always, never
    cycle_question_seconds: float = 300.0  # how long a question waits for its answer before it counts as skipped
    cycle_feedback: int = 1  # 1: the author is shown a candidate that failed the person's answer, with how; 0: not
    cycle_coverage: int = 1  # 1: the method to install first meets calls at every branch and boundary of its code; 0: not
    cycle_give_up_seconds: float = 60.0  # someone listening: no candidate past this since a cycle began
    cycle_give_up_answered_seconds: float = 30.0  # ... nor past this since the person last answered
    translator: str = "model"  # translate: "model" (ALFRED first, the local translator as fallback) or "local" (no model)
    jail_workers: int = 2  # warm jail worker processes
    jail_wall_seconds: float = 5.0  # a generated method's wall-clock limit per run
    jail_cpu_seconds: float = 2.0  # ... and CPU-time limit
    jail_memory_mb: int = 256  # ... and address-space limit
    capability_tokens: int = 512  # model tokens a run's personas.ask calls may spend, all together
    capability_calls: int = 8  # personas.ask and memory.search calls in one run
    capability_seconds: float = 120.0  # one personas.ask's wall-clock limit (not counted against the run's)
    memory_max_bytes: int = 10 * 2**20  # the largest document "ingest" takes (bigger: too_large)
    embedding_model: Path | None = None  # sentence-transformer directory; None: the bundled all-MiniLM-L6-v2
    memory_warmup: int = 1  # 1: load the embedder and embed pending chunks in the background at start; 0: on first use
    backup_dir: Path | None = None  # repozo backups, blob mirror, chronicle.jsonl; None: <image dir>/backups
    heartbeat_every: float = 900.0  # seconds between the heartbeat's beats (bat_os.kernel.heartbeat); 0: no heartbeat
    heartbeat_runs: int = 12  # heartbeat actions in any hour, at most
    heartbeat_model_seconds: float = 600.0  # seconds of heartbeat cycles (model calls and trials) in any hour, at most
    memory_trim_every: float = 60.0  # seconds between giving the C allocator's freed memory back (bat_os.kernel.trim); 0: never
    backup_every: float = 86400.0  # seconds between scheduled backups (after the last one, or the start); 0: none
    backup_keep: int = 7  # newest backups kept after each backup the kernel takes (whole older chains go); 0: all
    pack_days: float = 1.0  # pack's default history depth: revisions newer than this many days stay
    watchdog_state: Path | None = Path("data/watchdog.json")  # pack refuses while this state file says an upgrade runs
    forge_minutes: float = 30.0  # a forge training run's time budget (bat_os.forge)
    forge_min_pairs: int = 8  # the fewest training pairs the forge trains on
    forge_rank: int = 8  # the LoRA rank the forge trains
    forge_margin: int = 2  # held-out tasks an adapter must gain over its base before the gate installs it
    forge_held_out: int = 12  # held-out learning-benchmark tasks the gate asks base and adapter
    forge_memory_mb: int = 0  # a forge worker's address space at most (POSIX; 0: no cap): it fails, the kernel lives
    forge_every_pairs: int = 50  # the heartbeat trains and gates when the dataset grew by this many pairs (0: never)
    llm: LLMConfig = field(default_factory=LLMConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)

    @property
    def blob_dir(self) -> Path:
        return self.image.with_name(self.image.stem + ".blobs")


# setting name -> environment variable
ENV_NAMES = {
    "image": "BATOS_IMAGE",
    "endpoint": "BATOS_ENDPOINT",
    "events_endpoint": "BATOS_EVENTS_ENDPOINT",
    "events_hwm": "BATOS_EVENTS_HWM",
    "remote_endpoint": "BATOS_REMOTE_ENDPOINT",
    "remote_events_endpoint": "BATOS_REMOTE_EVENTS_ENDPOINT",
    "log_file": "BATOS_LOG_FILE",
    "audit_file": "BATOS_AUDIT_FILE",
    "log_level": "BATOS_LOG_LEVEL",
    "max_frame_bytes": "BATOS_MAX_FRAME_BYTES",
    "queue_size": "BATOS_QUEUE_SIZE",
    "conflict_retries": "BATOS_CONFLICT_RETRIES",
    "request_timeout": "BATOS_REQUEST_TIMEOUT",
    "shutdown_grace": "BATOS_SHUTDOWN_GRACE",
    "codex": "BATOS_CODEX",
    "cycle_max_attempts": "BATOS_CYCLE_MAX_ATTEMPTS",
    "cycle_candidates": "BATOS_CYCLE_CANDIDATES",
    "cycle_seed": "BATOS_CYCLE_SEED",
    "cycle_resume": "BATOS_CYCLE_RESUME",
    "cycle_questions": "BATOS_CYCLE_QUESTIONS",
    "cycle_confirm": "BATOS_CYCLE_CONFIRM",
    "cycle_feedback": "BATOS_CYCLE_FEEDBACK",
    "cycle_coverage": "BATOS_CYCLE_COVERAGE",
    "cycle_give_up_seconds": "BATOS_CYCLE_GIVE_UP_SECONDS",
    "cycle_give_up_answered_seconds": "BATOS_CYCLE_GIVE_UP_ANSWERED_SECONDS",
    "cycle_question_seconds": "BATOS_CYCLE_QUESTION_SECONDS",
    "translator": "BATOS_TRANSLATOR",
    "jail_workers": "BATOS_JAIL_WORKERS",
    "jail_wall_seconds": "BATOS_JAIL_WALL_SECONDS",
    "jail_cpu_seconds": "BATOS_JAIL_CPU_SECONDS",
    "jail_memory_mb": "BATOS_JAIL_MEMORY_MB",
    "capability_tokens": "BATOS_CAPABILITY_TOKENS",
    "capability_calls": "BATOS_CAPABILITY_CALLS",
    "capability_seconds": "BATOS_CAPABILITY_SECONDS",
    "memory_max_bytes": "BATOS_MEMORY_MAX_BYTES",
    "embedding_model": "BATOS_EMBEDDING_MODEL",
    "memory_warmup": "BATOS_MEMORY_WARMUP",
    "backup_dir": "BATOS_BACKUP_DIR",
    "heartbeat_every": "BATOS_HEARTBEAT_EVERY",
    "heartbeat_runs": "BATOS_HEARTBEAT_RUNS",
    "heartbeat_model_seconds": "BATOS_HEARTBEAT_MODEL_SECONDS",
    "memory_trim_every": "BATOS_MEMORY_TRIM_EVERY",
    "backup_every": "BATOS_BACKUP_EVERY",
    "backup_keep": "BATOS_BACKUP_KEEP",
    "pack_days": "BATOS_PACK_DAYS",
    "watchdog_state": "BATOS_WATCHDOG_STATE",
    "forge_minutes": "BATOS_FORGE_MINUTES",
    "forge_min_pairs": "BATOS_FORGE_MIN_PAIRS",
    "forge_rank": "BATOS_FORGE_RANK",
    "forge_margin": "BATOS_FORGE_MARGIN",
    "forge_held_out": "BATOS_FORGE_HELD_OUT",
    "forge_memory_mb": "BATOS_FORGE_MEMORY_MB",
    "forge_every_pairs": "BATOS_FORGE_EVERY_PAIRS",
    "llm.backend": "BATOS_LLM_BACKEND",
    "llm.cassette": "BATOS_CASSETTE",
    "llm.record_to": "BATOS_RECORD_TO",
    "llm.device": "BATOS_LLM_DEVICE",
    "models.memory_mb": "BATOS_MODELS_MEMORY_MB",
    "models.generation_timeout": "BATOS_GENERATION_TIMEOUT",
    "models.pull_defaults": "BATOS_PULL_DEFAULTS",
    "models.adapters_dir": "BATOS_ADAPTERS_DIR",
    "models.profile": "BATOS_MODELS_PROFILE",
    "models.cpu_form": "BATOS_CPU_FORM",
    "models.engine": "BATOS_MODELS_ENGINE",
    "models.context": "BATOS_MODELS_CONTEXT",
    "models.threads": "BATOS_MODELS_THREADS",
    "models.embedded": "BATOS_EMBEDDED_MODEL",
    "models.cache_dir": "BATOS_CACHE_DIR",
}

SECTIONS = ("llm", "models")  # [llm] and [models] tables in batos.toml; "llm.backend" etc. elsewhere

_ENDPOINT_RE = re.compile(r"^(tcp://(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-*]+):(?P<port>\d+)|ipc://.+|inproc://.+)$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags every entry point that starts a kernel accepts."""
    parser.add_argument("--config", help="TOML file (default: ./batos.toml if present; env BATOS_CONFIG)")
    parser.add_argument("--image", help="image file (default data/live_image.fs; env BATOS_IMAGE)")
    parser.add_argument("--endpoint", help="ZeroMQ endpoint (default tcp://127.0.0.1:5555; env BATOS_ENDPOINT)")
    parser.add_argument("--remote", dest="remote_endpoint", help="also serve other machines here, CURVE only (docs/operations.md)")
    parser.add_argument("--log-file", dest="log_file", help="kernel log file ('' for stderr only)")
    parser.add_argument("--audit-file", dest="audit_file", help="audit trail (JSON lines)")
    parser.add_argument("--backup-dir", dest="backup_dir", help="backups of the image (default: backups/ beside the image; env BATOS_BACKUP_DIR)")
    parser.add_argument("--log-level", dest="log_level", help="DEBUG, INFO, WARNING, ERROR")
    parser.add_argument("--llm-backend", dest="llm.backend", help="transformers or replay")
    parser.add_argument("--cassette", dest="llm.cassette", help="replay backend's recorded answers")


def load(
    args: argparse.Namespace | Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Build the configuration from defaults, TOML, environment and flags."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    flags = vars(args) if isinstance(args, argparse.Namespace) else dict(args or {})

    values: dict[str, Any] = {}
    config_path = flags.get("config") or environ.get("BATOS_CONFIG")
    if config_path:
        path = _resolve(Path(config_path), cwd)
        if not path.is_file():
            raise ConfigError("config", f"no such file: {path}")
        values.update(_read_toml(path))
    elif (cwd / "batos.toml").is_file():
        values.update(_read_toml(cwd / "batos.toml"))

    for setting, env_name in ENV_NAMES.items():
        if env_name in environ:
            values[setting] = environ[env_name]
    for setting in ENV_NAMES:
        if flags.get(setting) is not None:
            values[setting] = flags[setting]
    return build(values, cwd)


def build(values: Mapping[str, Any], cwd: Path) -> Config:
    """Validate flat ``{"setting" or "section.setting": value}`` pairs into a Config."""
    top: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    known = {f.name: f for f in dataclasses.fields(Config)}
    section_fields = {name: {f.name: f for f in dataclasses.fields(known[name].default_factory())} for name in SECTIONS}
    for key, raw in values.items():
        if key in RETIRED:  # an older configuration still starts; the setting does nothing now
            logger.warning("setting %s is no longer used: %s", key, RETIRED[key])
            continue
        section, _, name = key.partition(".")
        if name and section in sections:
            name = name.lower() if section == "models" else name  # [models] ALFRED = "..." as in the docs
            if name not in section_fields[section]:
                raise ConfigError(key, "unknown setting")
            sections[section][name] = _convert(key, section_fields[section][name].type, raw, cwd)
        else:
            if key not in known or key in SECTIONS:
                raise ConfigError(key, "unknown setting")
            top[key] = _convert(key, known[key].type, raw, cwd)

    for name, spec in known.items():  # default paths are relative to cwd too
        if name not in top and "Path" in str(spec.type) and isinstance(spec.default, Path):
            top[name] = _resolve(spec.default, cwd)
    config = Config(**top, llm=LLMConfig(**sections["llm"]), models=ModelsConfig(**sections["models"]))
    if config.backup_dir is None:  # beside the image unless set
        config = dataclasses.replace(config, backup_dir=config.image.parent / "backups")
    _validate(config)
    return config


def _validate(config: Config) -> None:
    if not _ENDPOINT_RE.match(config.endpoint):
        raise ConfigError("endpoint", f"{config.endpoint!r} is not tcp://HOST:PORT, ipc://PATH or inproc://NAME")
    match = _ENDPOINT_RE.match(config.endpoint)
    if match and match.group("port") is not None and not 0 < int(match.group("port")) < 65536:
        raise ConfigError("endpoint", f"port {match.group('port')} is out of range")
    for name in ("events_endpoint", "remote_endpoint", "remote_events_endpoint"):
        value = getattr(config, name)
        if value not in ("off", "") and not _ENDPOINT_RE.match(value.replace(":*", ":0")):
            raise ConfigError(name, f"{value!r} is not off, tcp://HOST:PORT (or :*), ipc://PATH or inproc://NAME")
    if config.events_hwm < 1:
        raise ConfigError("events_hwm", "must be at least 1")
    if config.image.suffix != ".fs":
        raise ConfigError("image", f"{str(config.image)!r} must be a FileStorage file ending in .fs")
    if config.image.exists() and not config.image.is_file():
        raise ConfigError("image", f"{str(config.image)!r} exists and is not a file")
    for setting, kind in (("log_file", "file"), ("audit_file", "file"), ("backup_dir", "directory")):
        path = getattr(config, setting)
        if path is not None and path.exists() and not (path.is_file() if kind == "file" else path.is_dir()):
            raise ConfigError(setting, f"{str(path)!r} exists and is not a {kind}")
    for name, off in (("backup_every", "no scheduled backups"), ("memory_trim_every", "never"), ("heartbeat_every", "no heartbeat")):
        if not (math.isfinite(getattr(config, name)) and getattr(config, name) >= 0):
            raise ConfigError(name, f"must be 0 ({off}) or a number of seconds")
    if config.backup_keep < 0:
        raise ConfigError("backup_keep", "must be 0 (keep every backup) or the number of newest backups to keep")
    if not (math.isfinite(config.pack_days) and 0 <= config.pack_days <= 36_500):
        raise ConfigError("pack_days", "must be a number of days from 0 to 36500")
    if config.log_level not in LOG_LEVELS:
        raise ConfigError("log_level", f"{config.log_level!r} is not one of {', '.join(LOG_LEVELS)}")
    if small := next((n for n in ("max_frame_bytes", "memory_max_bytes") if getattr(config, n) < 1024), None):
        raise ConfigError(small, "must be at least 1024")
    if config.queue_size < 1 or config.conflict_retries < 0:
        raise ConfigError("queue_size" if config.queue_size < 1 else "conflict_retries", "must be at least 1 (0 for retries)")
    if config.cycle_max_attempts < 1 or config.cycle_candidates < 1:
        raise ConfigError("cycle_max_attempts" if config.cycle_max_attempts < 1 else "cycle_candidates", "must be at least 1")
    for name, allowed in (("cycle_resume", ("resume", "fail")), ("cycle_confirm", ("auto", "always", "never")),
                          ("translator", TRANSLATORS), ("cycle_feedback", (1, 0)), ("cycle_coverage", (1, 0))):
        if getattr(config, name) not in allowed:
            raise ConfigError(name, f"{getattr(config, name)!r} is not {', '.join(map(str, allowed[:-1]))} or {allowed[-1]}")
    if config.cycle_questions < 0:
        raise ConfigError("cycle_questions", "must be 0 or more")
    if not 1 <= config.jail_workers <= 64:
        raise ConfigError("jail_workers", "must be between 1 and 64")
    positive = ("request_timeout", "shutdown_grace", "cycle_question_seconds", "cycle_give_up_seconds",
                "cycle_give_up_answered_seconds", "jail_wall_seconds", "jail_cpu_seconds", "capability_seconds")
    if late := next((n for n in positive if not getattr(config, n) > 0), None):
        raise ConfigError(late, "must be positive")
    if config.embedding_model is not None and not config.embedding_model.is_dir():
        raise ConfigError("embedding_model", f"no such directory: {config.embedding_model}")
    if config.jail_memory_mb < 32:
        raise ConfigError("jail_memory_mb", "must be at least 32")
    if config.capability_tokens < 0 or config.capability_calls < 0:
        raise ConfigError("capability_tokens" if config.capability_tokens < 0 else "capability_calls", "must be 0 or more")
    if not config.forge_minutes > 0:
        raise ConfigError("forge_minutes", "must be a positive number of minutes")
    if config.forge_margin < 1:
        raise ConfigError("forge_margin", "must be at least 1: an adapter no better than its base is never installed")
    if config.forge_held_out < 1:
        raise ConfigError("forge_held_out", "must be at least 1: a gate asks at least one task it never trained on")
    if config.forge_memory_mb < 0 or config.forge_every_pairs < 0:
        raise ConfigError("forge_memory_mb" if config.forge_memory_mb < 0 else "forge_every_pairs", "must be 0 or more")
    if config.forge_min_pairs < 1 or config.forge_rank < 1:
        raise ConfigError("forge_min_pairs" if config.forge_min_pairs < 1 else "forge_rank", "must be at least 1")
    if config.heartbeat_runs < 0 or config.heartbeat_model_seconds < 0:
        raise ConfigError("heartbeat_runs" if config.heartbeat_runs < 0 else "heartbeat_model_seconds", "must be 0 or more")
    if config.llm.backend not in LLM_BACKENDS:
        raise ConfigError("llm.backend", f"{config.llm.backend!r} is not one of {', '.join(LLM_BACKENDS)}")
    if config.llm.device not in ("auto", "cpu", "cuda"):
        raise ConfigError("llm.device", f"{config.llm.device!r} is not auto, cpu or cuda")
    if config.models.memory_mb < 0:
        raise ConfigError("models.memory_mb", "must be 0 (auto) or a number of MiB")
    if config.models.generation_timeout <= 0:
        raise ConfigError("models.generation_timeout", "must be positive")
    if config.models.pull_defaults not in ("auto", "never"):
        raise ConfigError("models.pull_defaults", f"{config.models.pull_defaults!r} is not auto or never")
    if config.models.profile not in PROFILES:
        raise ConfigError("models.profile", f"{config.models.profile!r} is not one of {', '.join(PROFILES)}")
    if config.models.cpu_form not in CPU_FORMS:
        raise ConfigError("models.cpu_form", f"{config.models.cpu_form!r} is not one of {', '.join(CPU_FORMS)}")
    if config.models.engine not in ENGINES:
        raise ConfigError("models.engine", f"{config.models.engine!r} is not one of {', '.join(ENGINES)}")
    if not 256 <= config.models.context <= 131_072:
        raise ConfigError("models.context", "must be a number of tokens from 256 to 131072")
    if not 0 <= config.models.threads <= 1024:
        raise ConfigError("models.threads", "must be 0 (every core) or a number of threads")
    for part in config.models.embedded.split(","):
        persona, _, name = part.strip().rpartition("=")
        if persona and persona.strip().upper() not in PERSONA_NAMES:
            raise ConfigError("models.embedded", f"{persona.strip()!r} is not a persona ({', '.join(PERSONA_NAMES)})")
        if not persona and name.strip().lower() in EMBEDDED_OFF + EMBEDDED_ON and len(config.models.embedded.split(",")) == 1:
            continue
        if name.strip().lower() not in EMBEDDED_MODELS:
            raise ConfigError("models.embedded", f"{config.models.embedded!r} names no embedded model"
                              f" ({', '.join(EMBEDDED_MODELS)}); auto for the profile's, 0 to turn them off")
    if config.codex is not None and not config.codex.is_file():
        raise ConfigError("codex", f"no such file: {config.codex}")


def binds_all_interfaces(endpoint: str) -> bool:
    match = _ENDPOINT_RE.match(endpoint)
    return bool(match and match.group("host") in ("*", "0.0.0.0", "[::]"))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("config", f"cannot read {path}: {exc}") from exc
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECTIONS and isinstance(value, dict):
            for sub, subvalue in value.items():
                flat[f"{key}.{sub}"] = subvalue
        else:
            flat[key] = value
    return flat


def _convert(setting: str, annotation: Any, raw: Any, cwd: Path) -> Any:
    kind = str(annotation)
    try:
        if "Path" in kind:
            if raw is None or raw == "":
                if "None" in kind:
                    return None
                raise ConfigError(setting, "a path is required")
            if not isinstance(raw, (str, os.PathLike)):
                raise ConfigError(setting, f"expected a path, got {type(raw).__name__}")
            return _resolve(Path(raw).expanduser(), cwd)
        if kind == "int":
            if isinstance(raw, bool) or isinstance(raw, float):
                raise ValueError(raw)
            return int(raw)
        if kind == "float":
            if isinstance(raw, bool):
                raise ValueError(raw)
            return float(raw)
        if kind == "str":
            if not isinstance(raw, str):
                raise ValueError(raw)
            return raw.upper() if setting == "log_level" else raw
    except (TypeError, ValueError) as exc:
        raise ConfigError(setting, f"{raw!r} is not a valid {kind}") from exc
    raise ConfigError(setting, f"unsupported type {kind}")


def _resolve(path: Path, cwd: Path) -> Path:
    return path if path.is_absolute() else (cwd / path)


def parse_flags(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="batos.py")
    add_arguments(parser)
    return parser.parse_args(argv)

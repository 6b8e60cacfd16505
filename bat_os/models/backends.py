"""Language-model access behind one small interface.

The cognitive cycle asks an :class:`LLM` for a :class:`Completion` and does
not care which model answers::

    completion = await llm.complete("BRICK", prompt, system=codex, on_token=print)
    completion.text, completion.model, completion.prompt_sha256, completion.seconds

Backends (:func:`make_backend` picks one from :class:`~bat_os.config.LLMConfig`):

- :class:`ReplayBackend` answers from a *cassette*, a JSON-lines file of
  recorded answers. Deterministic and instant: tests, demos, CI.
- :class:`TransformersBackend` (named ``models``; ``llm.backend =
  "transformers"`` picks it) is the real model: each persona's own model from
  the image, loaded and swapped by :mod:`bat_os.models.manager`, in llama.cpp
  or transformers as :mod:`bat_os.models.engines` decides per model.
- :class:`RecordingBackend` wraps any backend and appends each call to a
  cassette, so a real session can be replayed later.

Cassette format (other tools depend on it exactly). One JSON object per line::

    {"persona": "BRICK", "contains": "def greet", "response": "...", "delay_s": 0.5}

- ``response`` (string, required): the answer.
- ``persona`` (string, optional; null or absent = any persona): compared
  case-insensitively with the caller's persona.
- ``contains`` (string, optional): must be a substring of the *prompt*; the
  system text does not count (it is the same persona codex for many calls,
  so matching it would tell lines apart by nothing).
- ``delay_s`` (non-negative finite number, optional, default 0): how long
  the call takes, waited with the injected ``sleep``.
- Any other key is ignored (a recording adds ``prompt_sha256``).
- Blank lines are skipped. There are no comments: JSON lines has none, and a
  cassette stays readable by any JSON-lines tool. ``#`` lines are errors.

Each call takes the FIRST UNUSED line that matches, marks it used, and
returns its ``response``; no match raises :class:`~bat_os.errors.LLMError`.
Matching and marking happen with no ``await`` between them, so concurrent
calls on one event loop never take the same line. A bad cassette fails at
construction, naming the file and line, and the kernel refuses to start.

Stdlib only: torch and transformers are imported lazily, by the real backend,
so the kernel answers ``ping`` within moments of starting.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Protocol, runtime_checkable

from bat_os.config import LLMConfig
from bat_os.errors import LLMError, NoModel

if TYPE_CHECKING:  # types only: the manager imports torch lazily, but it is not needed to replay a cassette
    from bat_os.models.manager import LoadSpec, ModelManager

logger = logging.getLogger(__name__)

TokenCallback = Callable[[str], None]

#: Longest ``contains`` a recording writes (from the prompt's last non-empty line).
RECORD_CONTAINS_CHARS = 200
#: How much of a prompt an error message shows.
EXCERPT_CHARS = 120


@dataclass(frozen=True)
class Completion:
    text: str  # the model's reply
    model: str  # "replay:<cassette file name>" or the HF model id
    prompt_sha256: str  # sha256 hex of (system + "\n\n" + prompt)
    seconds: float  # wall time of the call


@runtime_checkable
class LLM(Protocol):
    name: str

    async def complete(
        self,
        persona: str,
        prompt: str,
        *,
        system: str = "",
        on_token: TokenCallback | None = None,
        temperature: float | None = None,
        until_block: bool = False,
        seed: int | None = None,
    ) -> Completion: ...

    async def close(self) -> None: ...


def prompt_sha256(system: str, prompt: str) -> str:
    """The digest a :class:`Completion` carries: sha256 of ``system + "\\n\\n" + prompt``."""
    return hashlib.sha256((system + "\n\n" + prompt).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True)
class CassetteLine:
    lineno: int  # 1-based line number in the cassette file
    response: str
    persona: str | None = None  # None: any persona
    contains: str | None = None  # None: any prompt
    delay_s: float = 0.0

    def matches(self, persona: str, prompt: str) -> bool:
        if self.persona is not None and self.persona.casefold() != persona.casefold():
            return False
        return self.contains is None or self.contains in prompt


def read_cassette(path: Path) -> list[CassetteLine]:
    """Parse and validate a cassette; any problem is an LLMError naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise LLMError(f"cassette {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise LLMError(f"cannot read cassette {path}: {exc}") from exc

    lines: list[CassetteLine] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        lines.append(_parse_line(path, lineno, raw))
    return lines


def _parse_line(path: Path, lineno: int, raw: str) -> CassetteLine:
    where = f"cassette {path} line {lineno}"
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise LLMError(f"{where}: not JSON ({exc})") from exc
    if not isinstance(entry, dict):
        raise LLMError(f"{where}: expected a JSON object, got {type(entry).__name__}")
    response = entry.get("response")
    if not isinstance(response, str):
        raise LLMError(f'{where}: "response" must be a string')
    for key in ("persona", "contains"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise LLMError(f'{where}: "{key}" must be a string')
    delay = entry.get("delay_s", 0.0)
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not math.isfinite(delay) or delay < 0:
        raise LLMError(f'{where}: "delay_s" must be a non-negative number, got {delay!r}')
    return CassetteLine(
        lineno=lineno,
        response=response,
        persona=entry.get("persona"),
        contains=entry.get("contains"),
        delay_s=float(delay),
    )


class ReplayBackend:
    """Answers from a cassette: first unused matching line, each line once.

    Use from one event loop (the kernel's); matching and marking a line used
    run with no ``await`` between them, so concurrent calls take different lines.
    """

    def __init__(
        self,
        cassette: Path,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cassette = Path(cassette)
        self.name = f"replay:{self.cassette.name}"
        self._lines = read_cassette(self.cassette)
        self._used = [False] * len(self._lines)
        self._sleep = sleep
        self._clock = clock
        logger.info("replay cassette %s: %d lines", self.cassette, len(self._lines))

    @property
    def used_count(self) -> int:
        return sum(self._used)

    @property
    def remaining(self) -> int:
        return len(self._lines) - self.used_count

    async def complete(
        self,
        persona: str,
        prompt: str,
        *,
        system: str = "",
        on_token: TokenCallback | None = None,
        temperature: float | None = None,
        until_block: bool = False,
        seed: int | None = None,
    ) -> Completion:
        started = self._clock()
        line = self._take(persona, prompt)  # atomic: no await inside
        logger.debug("%s: %s takes line %d", self.name, persona, line.lineno)
        await self._sleep(line.delay_s)
        if on_token is not None:
            for chunk in _chunks(line.response):
                on_token(chunk)
        return Completion(
            text=line.response,
            model=self.name,
            prompt_sha256=prompt_sha256(system, prompt),
            seconds=self._clock() - started,
        )

    def _take(self, persona: str, prompt: str) -> CassetteLine:
        for index, line in enumerate(self._lines):
            if not self._used[index] and line.matches(persona, prompt):
                self._used[index] = True
                return line
        raise LLMError(
            f"no unused line in cassette {self.cassette.name} matches persona {persona!r} "
            f"and prompt {_excerpt(prompt)!r} ({self.remaining} of {len(self._lines)} lines unused)"
        )

    async def close(self) -> None:
        return None


def _chunks(text: str) -> list[str]:
    """Split a reply into word-sized pieces that join back to exactly ``text``."""
    return re.findall(r"\s*\S+\s*", text) or ([text] if text else [])


def _excerpt(prompt: str) -> str:
    flat = " ".join(prompt.split())
    if len(flat) <= EXCERPT_CHARS:
        return flat
    half = EXCERPT_CHARS // 2
    return flat[:half] + " ... " + flat[-half:]


# --------------------------------------------------------------------------- recording


class RecordingBackend:
    """Wraps another LLM and appends every successful call to a cassette.

    Each line is ``{"persona", "contains", "response", "prompt_sha256"}``, where
    ``contains`` is the prompt's last non-empty line (stripped, at most 200
    characters), so replaying the file gives the same answers in the same order.
    A failed inner call records nothing and its error passes through.
    """

    def __init__(self, inner: LLM, record_to: Path) -> None:
        self.inner = inner
        self.record_to = Path(record_to)
        self.name = inner.name
        try:
            self.record_to.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LLMError(f"cannot create the directory for recording {self.record_to}: {exc}") from exc

    async def complete(
        self,
        persona: str,
        prompt: str,
        *,
        system: str = "",
        on_token: TokenCallback | None = None,
        temperature: float | None = None,
        until_block: bool = False,
        seed: int | None = None,
    ) -> Completion:
        completion = await self.inner.complete(persona, prompt, system=system, on_token=on_token, temperature=temperature,
                                               until_block=until_block, seed=seed)
        entry = {
            "persona": persona,
            "contains": _last_line(prompt)[:RECORD_CONTAINS_CHARS],
            "response": completion.text,
            "prompt_sha256": completion.prompt_sha256,
        }
        try:  # one short synchronous append per call, on the loop thread: lines never interleave
            with self.record_to.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
                fh.flush()
        except OSError as exc:
            raise LLMError(f"cannot append to recording {self.record_to}: {exc}") from exc
        return completion

    async def close(self) -> None:
        await self.inner.close()


#: What a model call is made for, as its caller sets it (the orchestrator: ``{"cycle": id, "brief_sha256": h}``):
#: :class:`AuditedBackend` adds it to the call's audit line. A context variable: each asyncio task has its own.
CALL_CONTEXT: ContextVar[dict[str, Any]] = ContextVar("batos_model_call_context", default={})


#: Where a request's progress events go while it waits for a persona's model on its way into the image
#: (:meth:`bat_os.models.provision.Provisioner.arrival`): the awaited request's ``on_event``, set by
#: bat_os.kernel.awaited in the request's task (tasks it starts inherit it). None: nobody listens.
PROGRESS: ContextVar[Callable[[dict], None] | None] = ContextVar("batos_model_progress", default=None)


class AuditedBackend:
    """Wraps another LLM and records every call, failed or not, in the audit trail: ``record("model_call",
    persona=, model=, prompt_sha256=, tokens=, seconds=, outcome=)`` (``tokens``: the pieces streamed).
    ``record`` is set once the kernel has an audit trail (None: nothing recorded)."""

    def __init__(self, inner: LLM, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.name = inner.name
        self.record: Callable[..., None] | None = None
        self._clock = clock

    async def complete(self, persona: str, prompt: str, *, system: str = "", on_token: TokenCallback | None = None,
                       **options: Any) -> Completion:
        pieces = 0

        def counted(text: str) -> None:
            nonlocal pieces
            pieces += 1
            if on_token is not None:
                on_token(text)

        started = self._clock()
        entry: dict[str, Any] = {**CALL_CONTEXT.get(), "persona": persona, "prompt_sha256": prompt_sha256(system, prompt)}
        try:
            completion = await self.inner.complete(persona, prompt, system=system, on_token=counted, **options)
        except BaseException as exc:
            entry["outcome"] = type(exc).__name__
            raise
        else:
            entry.update(outcome="ok", model=completion.model)
            return completion
        finally:
            if self.record is not None:
                self.record("model_call", **entry, tokens=pieces, seconds=round(self._clock() - started, 3))

    async def close(self) -> None:
        await self.inner.close()


def _last_line(prompt: str) -> str:
    for line in reversed(prompt.splitlines()):
        if line.strip():
            return line.strip()
    return ""


# --------------------------------------------------------------------------- transformers


class TransformersBackend:
    """The personas' own models, from the image, through a :class:`~bat_os.models.manager.ModelManager`.

    ``resolve(persona)`` runs on the event-loop thread and returns the
    persona's :class:`~bat_os.models.manager.LoadSpec` (or raises
    :class:`~bat_os.errors.NoModel`); generation runs on the manager's worker
    thread, with tokens handed to ``on_token`` on the loop as they come.
    Without a resolver (no image: tools) every call raises NoModel.

    Its name is ``models``, not an engine's: each persona's model runs in the
    engine :mod:`bat_os.models.engines` picks for it (a GGUF model in
    llama.cpp on a CPU), and ``status`` names those under ``models.engines``.
    """

    def __init__(
        self, config: LLMConfig, *, manager: "ModelManager | None" = None,
        resolve: Callable[[str], "LoadSpec"] | None = None, timeout: float = 300.0,
        arrive: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self.config = config
        self.name = "models"  # the personas' own models, whichever engine runs each
        self.manager = manager
        self.resolve = resolve
        self.arrive = arrive  # waits for a persona's model on its way into the image (bat_os.models.provision)
        self.timeout = timeout

    async def complete(
        self,
        persona: str,
        prompt: str,
        *,
        system: str = "",
        on_token: TokenCallback | None = None,
        temperature: float | None = None,
        until_block: bool = False,
        seed: int | None = None,
    ) -> Completion:
        if self.resolve is None or self.manager is None:
            raise NoModel(persona)
        try:
            spec = self.resolve(persona)
        except NoModel:
            if self.arrive is None or not await self.arrive(persona):
                raise
            spec = self.resolve(persona)  # stored meanwhile
        if temperature is not None or until_block or seed is not None:
            # this call samples (a cycle's later candidates; ``seed``: the same sample each time it is asked
            # again), or ends with its code block (what follows is prose a small model goes on writing):
            # the persona's settings otherwise
            extra: dict[str, Any] = {"temperature": float(temperature)} if temperature is not None else {}
            if seed is not None:
                extra["seed"] = int(seed)
            if until_block:
                extra["stop_after_block"] = True
            spec = replace(spec, generation={**spec.generation, **extra})
        started = time.perf_counter()
        generated = await self.manager.generate(spec, system, prompt, on_token=on_token, timeout=self.timeout)
        return Completion(generated.text, spec.model, prompt_sha256(system, prompt), time.perf_counter() - started)

    async def close(self) -> None:
        if self.manager is not None:
            await self.manager.close()


def make_backend(
    config: LLMConfig, *, record_to: Path | None = None, manager: "ModelManager | None" = None,
    resolve: Callable[[str], "LoadSpec"] | None = None,
    timeout: float = 300.0, arrive: Callable[[str], Awaitable[bool]] | None = None,
) -> LLM:
    """The backend ``config`` names, wrapped in a recorder when ``record_to`` is given."""
    backend: LLM
    if config.backend == "replay":
        if config.cassette is None:
            raise LLMError("the replay backend needs a cassette: set BATOS_CASSETTE or [llm] cassette")
        backend = ReplayBackend(config.cassette)
    elif config.backend == "transformers":
        backend = TransformersBackend(config, manager=manager, resolve=resolve, timeout=timeout, arrive=arrive)
    else:
        raise LLMError(f"unknown LLM backend {config.backend!r}")
    if record_to is not None:
        backend = RecordingBackend(backend, record_to)
    return backend


__all__ = [
    "LLM",
    "Completion",
    "RecordingBackend",
    "ReplayBackend",
    "TransformersBackend",
    "make_backend",
    "prompt_sha256",
    "read_cassette",
]

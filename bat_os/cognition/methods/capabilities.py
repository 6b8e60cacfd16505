"""What a learned method may ask beyond its slots: a persona's words and the memory's hits, granted and counted.

Inside a generated method two names are there, not imported::

    personas.ask(persona, prompt)           -> the persona's answer (text): a real model call
    memory.search(query, k=5, mode="hybrid") -> [{"doc_id", "chunk", "text", "score"}, ...]: the knowledge catalog

A method uses only what its provenance grants (:func:`used_by` of its source, written at install; a candidate on
trial, what its source uses). Each call is answered on the event-loop thread by the run's :class:`RunCapabilities`
(a send and all it sends): at most :attr:`CapabilitySettings.calls` calls and :attr:`CapabilitySettings.tokens`
model tokens, each ``ask`` within :attr:`CapabilitySettings.seconds` of wall clock; a refusal raises
``BudgetExceeded``, ``PermissionError``, ``TypeError`` or ``ValueError`` in the method. Every call is a
``capability`` line of the audit trail.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any, Callable

from bat_os.image.primordial import PERSONAS

#: Each capability: its name in a method (``object.method``).
CAPABILITIES: tuple[str, ...] = ("personas.ask", "memory.search")
MAX_PROMPT_CHARS = 4000
MAX_QUERY_CHARS = 1000
MAX_HITS = 20
MODES = ("hybrid", "text", "vector")


def used_by(source: str) -> list[str]:
    """The capabilities ``source`` names (``personas.ask``, ``memory.search``): what installing it grants."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = {f"{node.value.id}.{node.attr}" for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)}
    return [name for name in CAPABILITIES if name in found]


def grants_of(method: Any) -> list[str]:
    """What an installed method's provenance grants (nothing, for one installed before grants existed)."""
    provenance = getattr(method, "provenance", None) or {}
    return [str(g) for g in (provenance.get("grants") or []) if g in CAPABILITIES]


@dataclass(frozen=True)
class CapabilitySettings:
    tokens: int = 512  # config.capability_tokens
    calls: int = 8  # config.capability_calls
    seconds: float = 120.0  # config.capability_seconds


class BudgetExceeded(Exception):
    """A run asked for more than its budget (calls, or model tokens). The method sees it by this name."""


class RunCapabilities:
    """One run's capabilities: its grants, what it has spent, and the calls it made."""

    def __init__(self, llm: Any, memory: Any, settings: CapabilitySettings, granted: list[str] | None = None, *,
                 record: Callable[..., None] | None = None, clock: Callable[[], float] = time.perf_counter,
                 method: str = "") -> None:
        self.method = method  # what the run is, for its audit lines ("kind_word", "robin_word (cycle c3, trial)")
        self.llm = llm
        self.memory = memory
        self.settings = settings
        self.granted: set[str] = set(granted or [])
        self.record = record
        self.clock = clock
        self.calls = 0
        self.tokens = 0
        self.log: list[dict] = []

    def new_case(self) -> None:
        """A run of cases spends a budget per case (each is a call of the method), not one for them all."""
        self.calls = self.tokens = 0

    def grant(self, names: list[str]) -> None:
        self.granted.update(n for n in names if n in CAPABILITIES)

    async def call(self, name: Any, args: list, kwargs: dict) -> Any:
        """Answer one call (refusals raise); every call is recorded, refused or not."""
        started = self.clock()
        entry: dict[str, Any] = {"capability": str(name)[:100], **({"method": self.method} if self.method else {})}
        try:
            if name not in CAPABILITIES:
                raise AttributeError(f"there is no capability {name!r}; there are {', '.join(CAPABILITIES)}")
            if name not in self.granted:
                raise PermissionError(f"{name} is not granted to this method (its source must name it when it is installed)")
            if self.calls >= self.settings.calls:
                raise BudgetExceeded(f"more than {self.settings.calls} capability calls in one run")
            self.calls += 1
            if name == "personas.ask":
                result = await self._ask(entry, *args, **kwargs)
            else:
                result = await self._search(entry, *args, **kwargs)
            entry["outcome"] = "ok"
            return result
        except Exception as exc:
            entry["outcome"] = type(exc).__name__
            raise
        finally:
            entry["seconds"] = round(self.clock() - started, 3)
            self.log.append(entry)
            if self.record is not None:
                self.record("capability", **entry)

    async def _ask(self, entry: dict, persona: Any, prompt: Any) -> str:
        if not isinstance(persona, str) or persona.upper() not in PERSONAS:
            raise ValueError(f"personas.ask: no persona {persona!r}; the personas are {', '.join(PERSONAS)}")
        if not isinstance(prompt, str) or not prompt.strip():
            raise TypeError("personas.ask: the prompt must be a text")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise ValueError(f"personas.ask: a prompt of at most {MAX_PROMPT_CHARS} characters, not {len(prompt)}")
        if self.tokens >= self.settings.tokens:
            raise BudgetExceeded(f"the run's {self.settings.tokens} model tokens are spent ({self.tokens} used)")
        persona = persona.upper()
        entry.update(persona=persona, prompt_sha256=hashlib.sha256(prompt.encode()).hexdigest())
        pieces: list[str] = []
        try:
            async with asyncio.timeout(self.settings.seconds):
                completion = await self.llm.complete(persona, prompt, on_token=pieces.append)
        except TimeoutError:
            raise TimeoutError(f"personas.ask: {persona} took longer than {self.settings.seconds}s") from None
        spent = len(pieces) or estimate_tokens(completion.text)  # streamed pieces are tokens; else an estimate
        self.tokens += spent
        entry.update(model=completion.model, tokens=spent)
        return completion.text

    async def _search(self, entry: dict, query: Any, k: Any = 5, mode: Any = "hybrid") -> list[dict]:
        if not isinstance(query, str) or not query.strip():
            raise TypeError("memory.search: the query must be a text")
        if len(query) > MAX_QUERY_CHARS:
            raise ValueError(f"memory.search: a query of at most {MAX_QUERY_CHARS} characters, not {len(query)}")
        if type(k) is not int or not 1 <= k <= MAX_HITS:
            raise ValueError(f"memory.search: k is a whole number from 1 to {MAX_HITS}, not {k!r}")
        if mode not in MODES:
            raise ValueError(f"memory.search: mode is one of {', '.join(MODES)}, not {mode!r}")
        if self.memory is None:
            raise PermissionError("memory.search: this kernel has no memory")
        hits = await self.memory.search(query, top_k=k, mode=mode)
        entry.update(query_sha256=hashlib.sha256(query.encode()).hexdigest(), hits=len(hits))
        return [{"doc_id": h.get("doc_id"), "chunk": h.get("chunk"), "text": h.get("text"), "score": h.get("score")}
                for h in hits]


def estimate_tokens(text: str) -> int:
    """About a token per four characters (a backend that streams nothing), at least one."""
    return max(1, (len(text) + 3) // 4)

"""The jail's interface: its limits, the Host a method's ``self`` talks to, and the JailRunner seam.

Stdlib only. Re-exported by :mod:`bat_os.jail.runner`, where the rest of the
project imports these names from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Protocol


@dataclass(frozen=True)
class JailLimits:
    cpu_seconds: float = 2.0  # RLIMIT_CPU (whole seconds, rounded up); SIGXCPU -> JailTimeout
    wall_seconds: float = 5.0  # the kernel kills the run after this
    memory_bytes: int = 256 * 2**20  # RLIMIT_AS above the warm interpreter's own address space
    max_result_bytes: int = 1 * 2**20  # packed result, and any single value sent to the kernel
    max_host_calls: int = 10_000  # get_slot/set_slot/send round trips per run
    max_depth: int = 50  # nested generated-method calls inside one run

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value > 0:
                raise ValueError(f"JailLimits.{name} must be positive, not {value!r}")


class Host(Protocol):
    """What the kernel offers a running method; called synchronously on the event-loop thread.

    ``ref`` is ``"self"`` (the receiver) or an oid string. Values are plain
    msgpack data in which ``{"$oid": ref}`` marks an object reference (the
    receiver itself crosses as ``{"$oid": "self"}``).
    """

    def get_slot(self, ref: str, name: str) -> tuple[str, Any]:
        """("value", data) | ("method", {"origin": "system"}) | ("generated", {"source": str}).

        Raises KeyError or AttributeError when the object does not have ``name``.
        """

    def set_slot(self, ref: str, name: str, value: Any) -> None: ...

    def send(self, ref: str, selector: str, args: list, kwargs: dict) -> Any:
        """Run a system method in the kernel and return plain data, or an awaitable of it (a system method
        that sends a generated one waits for that run)."""


class SnapshotHost(Host, Protocol):
    """A host that may also offer this (optional: the jail looks for it with ``getattr``)."""

    def snapshot(self, ref: str) -> dict[str, Any]:
        """``{slot: plain value}`` of the object's OWN data slots (no methods, no inherited slots, no
        names starting with ``_``), each value exactly as ``get_slot(ref, slot)`` would give it.

        Called on the event-loop thread with ``ref == "self"`` as a run starts. A host may leave
        any slot out (a large one, say); the jail drops values over ``SNAPSHOT_VALUE_BYTES``
        packed and stops at ``SNAPSHOT_TOTAL_BYTES`` (:mod:`bat_os.jail.conversation`); if it
        raises, the run goes on without.
        """


class JailRunner(Protocol):
    """The seam generated code runs through: :class:`~bat_os.jail.runner.Jail`,
    :class:`~bat_os.jail.unavailable.UnavailableJail`, or a test's fake.

    ``run`` starts the run at once and returns an awaitable of its plain-data
    result; it raises (when awaited) a :class:`~bat_os.errors.JailError`.
    ``available`` is False where nothing can run (``reason`` says why).
    ``running``: runs in flight now, each a child process busy on a core (read from
    any thread: the model manager's budget of cores counts them, :mod:`bat_os.models.cores`).
    """

    available: bool
    reason: str
    running: int

    async def start(self) -> None: ...

    def run(
        self, source: str, selector: str, args: list, kwargs: dict, host: Host, limits: "JailLimits | None" = None,
        *, fresh: bool = True, nested: bool = False,
    ) -> Awaitable[Any]: ...

    def run_cases(
        self, source: str, selector: str, cases: list[dict], host: Host, limits: "JailLimits | None" = None,
        trace: bool = False,
    ) -> Awaitable[list[dict]]: ...

    def protections(self) -> dict[str, bool | str]: ...

    def health(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...

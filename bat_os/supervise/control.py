"""The seam between the watchdog and a gated upgrade: the settings, the files, :class:`KernelControl`.

The watchdog (:mod:`bat_os.supervise.watchdog`) implements :class:`KernelControl`;
an upgrade (:mod:`bat_os.supervise.upgrade`) sees the watchdog only through it.
So the imports run one way: ``watchdog -> upgrade -> control`` and
``watchdog -> control``; nothing here imports either of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

HERE = Path(__file__).resolve().parents[2]  # the checkout: batos.py, min_watchdog_service.py
INSTRUCTIONS = "update_instructions.json"  # in Settings.workdir: an upgrade to carry out
RESULT = "update_result.json"  # beside it: how the last upgrade went


@dataclass(frozen=True)
class Settings:
    kernel_args: list[str] = field(default_factory=list)  # flags for batos.py
    endpoint: str = ""  # where the kernel binds and the watchdog pings; set by resolve()
    image_args: list[str] = field(default_factory=list)  # --image/--config: for batos.py backup/restore
    image: Path | None = None  # the image file (resolved like the kernel does); set by resolve()
    blob_dir: Path | None = None  # its blob directory
    ping_interval: float = 5.0  # seconds between pings; also how long a reply is awaited
    hang_timeout: float = 60.0  # seconds without an answer before the kernel is killed
    start_timeout: float = 120.0  # seconds a new kernel may take to answer its first ping
    stop_grace: float = 15.0  # seconds between SIGTERM and SIGKILL
    max_restarts: int = 5  # restarts allowed within restart_window before FATAL
    restart_window: float = 60.0
    backoff_initial: float = 1.0  # first restart delay; doubles per restart
    backoff_max: float = 60.0
    healthy_after: float = 60.0  # seconds of answered pings that reset the backoff
    exit_on_fatal: bool = False  # FATAL: exit (for a service manager) instead of waiting
    state_file: Path | None = Path("data/watchdog.json")  # pid, state, kernel pid, last upgrade
    workdir: Path = Path(".")  # where update_instructions.json is looked for
    gate_timeout: float = 120.0  # seconds an upgraded kernel has to pass ping, status and selfcheck
    step_timeout: float = 600.0  # default limit of one upgrade step
    log_file: Path | None = None
    log_level: str = "INFO"


class KernelControl(Protocol):
    """What a gated upgrade needs from whoever runs the kernel.

    An upgrade calls :meth:`stop_for_upgrade` before its backup (and again
    before a rollback), :meth:`start_and_gate` for the new kernel (or the old
    one after a rollback), and :meth:`publish_upgrade` at each stage.
    """

    @property
    def settings(self) -> Settings:
        """The image and blob dir, ``image_args``, ``workdir``, the gate and step timeouts."""
        ...

    def wall_clock(self) -> float:
        """Epoch seconds (injected): the upgrade's id and its timestamps."""
        ...

    def stop_for_upgrade(self, reason: str) -> str | None:
        """Stop the kernel and restart none until :meth:`start_and_gate`; how it ended (None: none ran)."""
        ...

    def start_and_gate(self, timeout: float) -> dict:
        """Start a kernel that must answer ``ping``, ``status`` and ``selfcheck`` within ``timeout`` seconds.

        Returns ``{"ok", "checks", "seconds", "why", "kernel_pid"}``. Passed: the
        kernel runs under the usual supervision; failed: it is left for
        :meth:`stop_for_upgrade` to stop.
        """
        ...

    def publish_upgrade(self, upgrading: dict | None) -> None:
        """Say which upgrade is under way (``{"id", "stage"}``; None: none) where ``status`` reads it."""
        ...

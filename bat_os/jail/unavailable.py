"""Where the jail cannot run: :func:`unavailable_reason` says why, :class:`UnavailableJail` stands in.

Re-exported by :mod:`bat_os.jail.runner` (``Jail.start`` looks the reason up there,
so a test may replace ``bat_os.jail.runner.unavailable_reason``).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from typing import Any, Awaitable

from bat_os.errors import JailUnavailable

from .awaitables import Pending
from .interface import Host, JailLimits


def unavailable_reason(
    *, has_fork: bool | None = None, has_send_fds: bool | None = None, has_resource: bool | None = None,
    platform: str = sys.platform,
) -> str | None:
    """Why the jail cannot run on this platform, or None when it can.

    The template forks each child (``os.fork``), hands it its socket over SCM_RIGHTS
    (``socket.send_fds``), and the worker limits it with the ``resource`` module
    (RLIMIT_CPU, RLIMIT_AS, ...). Windows has none of the three. Each ``has_*`` is
    looked up here when not given (tests pass them).
    """
    if has_fork is None:
        has_fork = hasattr(os, "fork")
    if has_send_fds is None:
        has_send_fds = hasattr(socket, "send_fds")
    if has_resource is None:
        has_resource = importlib.util.find_spec("resource") is not None
    missing = [what for what, present in (
        ("fork", has_fork), ("SCM_RIGHTS (socket.send_fds)", has_send_fds), ("POSIX resource limits", has_resource),
    ) if not present]
    if not missing:
        return None
    return f"the jail needs {', '.join(missing)}, which {platform} does not offer"


class UnavailableJail:
    """Stands in for :class:`~bat_os.jail.runner.Jail` where it cannot run: every run fails with
    :class:`JailUnavailable`.

    The same interface (:class:`~bat_os.jail.interface.JailRunner`: ``run`` returns an awaitable;
    ``protections``, ``health``, ``close``), so the kernel keeps its cognition (memory, persona
    models) and answers generated methods with the reason instead of running them anywhere else.
    """

    available = False
    running = 0  # nothing ever runs here

    def __init__(self, reason: str, limits: JailLimits = JailLimits()) -> None:
        self.reason = reason
        self.limits = limits

    async def start(self) -> None:
        """Nothing to start."""

    def run(
        self, source: str, selector: str, args: list, kwargs: dict, host: Host, limits: JailLimits | None = None,
        *, fresh: bool = True, nested: bool = False,
    ) -> Awaitable[Any]:
        return Pending(self._refuse)

    def run_cases(
        self, source: str, selector: str, cases: list[dict], host: Host, limits: JailLimits | None = None,
        trace: bool = False,
    ) -> Awaitable[list[dict]]:
        return Pending(self._refuse)

    async def _refuse(self) -> Any:
        raise JailUnavailable(self.reason)

    def protections(self) -> dict[str, bool | str]:
        return {"separate_process": False, "available": False, "reason": self.reason}

    def health(self) -> dict[str, Any]:
        return {"ok": False, "available": False, "reason": self.reason, "template_alive": False, "template_pid": None,
                "running": 0, "warm_idle": 0, "warm_pids": [], "counts": {}}

    @property
    def workdir(self) -> str | None:
        return None

    async def close(self) -> None:
        """Nothing to stop."""

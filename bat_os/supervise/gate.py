"""The upgrade gate: what a freshly started kernel must answer before it is trusted.

``ping`` (it listens), ``status`` (it serves its image) and ``selfcheck``
(the image opened, migrations ran, every installed method compiles and
passes the guardian), in that order, each asked again until answered or the
gate's deadline passes. :meth:`bat_os.supervise.watchdog.Watchdog.start_and_gate`
starts the kernel and runs this.
"""

from __future__ import annotations

import subprocess
from typing import Any, Callable

from bat_os.supervise.process import describe_exit

CHECKS = ("ping", "status", "selfcheck")


def run_checks(
    proc: subprocess.Popen,
    ask: Callable[[dict, float], dict | None],
    *,
    deadline: float,
    timeout: float,
    interval: float,
    clock: Callable[[], float],
    on_ping: Callable[[], None],
) -> tuple[list[dict], str | None]:
    """Ask each of :data:`CHECKS` until answered; ``(checks, why)``, ``why`` None when all passed.

    ``ask(message, seconds)`` is one request (None: no reply in time);
    ``on_ping()`` runs once the kernel has answered ``ping``; ``timeout`` is
    the gate's length, for the messages.
    """
    checks: list[dict] = []
    for command in CHECKS:
        while True:
            code = proc.poll()
            if code is not None:
                checks.append({"check": command, "ok": False, "error": f"the kernel {describe_exit(code)}"})
                return checks, f"the new kernel {describe_exit(code)} before answering {command}"
            left = deadline - clock()
            if left <= 0:
                checks.append({"check": command, "ok": False, "error": f"no answer within the gate's {timeout:g}s"})
                return checks, f"{command} not answered within {timeout:g}s"
            reply = ask({"command": command}, min(left, max(1.0, interval)))
            if reply is None:
                continue  # still starting (ping), or busy: ask again until the deadline
            if reply.get("status") != "ok":
                error = reply.get("error") or {}
                checks.append({"check": command, "ok": False, "error": error})
                return checks, f"{command} answered {error.get('code', 'an error')}: {error.get('message', reply)}"
            checks.append({"check": command, "ok": True, "result": summary(command, reply.get("result"))})
            if command == "ping":
                on_ping()
            break
    return checks, None


def summary(command: str, result: Any) -> Any:
    """The part of a gate reply worth keeping in update_result.json."""
    if not isinstance(result, dict):
        return result
    if command == "status":
        return {k: result.get(k) for k in ("pid", "version", "uptime", "objects") if k in result} | {"image": result.get("image")}
    if command == "selfcheck":
        return {k: result.get(k) for k in ("healthy", "schema_version", "expected_schema_version", "objects", "methods")}
    return result

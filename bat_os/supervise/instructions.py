"""``update_instructions.json``: what a gated upgrade is asked to do, checked before anything is touched.

The file (see docs/operations.md for the schema)::

    {"reason": "pick up the new memory code",            # required, for the chronicle
     "ref": "v0.7.0",                                     # optional: a git ref to move the checkout to
     "steps": [["python", "-m", "pip", "install", "-r", "requirements.txt"],
               {"argv": ["python", "tools/migrate.py"], "timeout": 900}],
     "rollback_steps": [["python", "-m", "pip", "install", "-r", "requirements.txt"]],  # optional
     "gate_timeout": 120,                                 # optional (default: --gate-timeout)
     "full_backup": false}                                # optional: repozo full instead of incremental

``"python"`` as a step's first word means the interpreter that runs BAT OS
(the virtual environment's); :func:`bat_os.supervise.checkout.run_step` runs a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class InvalidInstructions(ValueError):
    """update_instructions.json cannot be acted on; the message says why."""


@dataclass(frozen=True)
class Step:
    argv: tuple[str, ...]
    timeout: float


@dataclass(frozen=True)
class Instructions:
    reason: str
    ref: str | None
    steps: tuple[Step, ...]
    rollback_steps: tuple[Step, ...]
    gate_timeout: float
    full_backup: bool


def parse_instructions(data: Any, *, step_timeout: float, gate_timeout: float) -> Instructions:
    """Check the JSON document against the schema. Raises :class:`InvalidInstructions`."""
    if not isinstance(data, dict):
        raise InvalidInstructions("the instructions must be a JSON object")
    unknown = set(data) - {"reason", "ref", "steps", "rollback_steps", "gate_timeout", "full_backup"}
    if unknown:
        raise InvalidInstructions(f"unknown field(s): {', '.join(sorted(unknown))}")
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInstructions('"reason" is required: a non-empty string saying why')
    ref = data.get("ref")
    if ref is not None and (not isinstance(ref, str) or not ref.strip() or ref.startswith("-")):
        raise InvalidInstructions('"ref" must be a git ref (branch, tag or commit), not an option')
    gate = data.get("gate_timeout", gate_timeout)
    if isinstance(gate, bool) or not isinstance(gate, (int, float)) or not 0 < gate <= 3600:
        raise InvalidInstructions('"gate_timeout" must be a number of seconds in (0, 3600]')
    full = data.get("full_backup", False)
    if not isinstance(full, bool):
        raise InvalidInstructions('"full_backup" must be true or false')
    return Instructions(
        reason=reason.strip(),
        ref=ref.strip() if ref else None,
        steps=_steps(data.get("steps", []), "steps", step_timeout),
        rollback_steps=_steps(data.get("rollback_steps", []), "rollback_steps", step_timeout),
        gate_timeout=float(gate),
        full_backup=full,
    )


def _steps(value: Any, name: str, default_timeout: float) -> tuple[Step, ...]:
    if not isinstance(value, list):
        raise InvalidInstructions(f'"{name}" must be a list of steps')
    steps = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        timeout = default_timeout
        if isinstance(item, dict):
            extra = set(item) - {"argv", "timeout"}
            if extra:
                raise InvalidInstructions(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
            timeout = item.get("timeout", default_timeout)
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 24 * 3600:
                raise InvalidInstructions(f"{where}: \"timeout\" must be a positive number of seconds")
            item = item.get("argv")
        if not isinstance(item, list) or not item or not all(isinstance(a, str) for a in item):
            raise InvalidInstructions(f"{where} must be a command as a non-empty list of strings (no shell), e.g. [\"python\", \"-m\", \"pip\", \"install\", \"-r\", \"requirements.txt\"]")
        steps.append(Step(tuple(item), float(timeout)))
    return tuple(steps)

"""The checkout's code: its version (``git``), putting it back, and running an upgrade's steps in it.

Steps run one after another in the checkout, each with a timeout; their
output is kept (the end of it). A command that fails is a record that says
so, not an exception.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bat_os.supervise.instructions import Step

OUTPUT_TAIL = 4000  # characters of a step's output kept in the result


def git(repo: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=timeout)


def code_version(repo: Path) -> dict | None:
    """``{"commit", "branch", "dirty"}`` of a git checkout; None when it is not one (or git is missing)."""
    try:
        head = git(repo, "rev-parse", "--verify", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    branch = git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    dirty = git(repo, "status", "--porcelain", "--untracked-files=no")
    return {
        "commit": head.stdout.strip(),
        "branch": branch.stdout.strip() if branch.returncode == 0 else None,
        "dirty": [line[3:] for line in dirty.stdout.splitlines() if line.strip()],
    }


def restore_code(repo: Path, version: dict) -> dict:
    """Put the checkout back at ``version`` (its branch, at its commit). Returns what was done."""
    commands = []
    if version.get("branch"):
        commands.append(["checkout", "-f", version["branch"]])
        commands.append(["reset", "--hard", version["commit"]])
    else:
        commands.append(["checkout", "-f", "--detach", version["commit"]])
    for args in commands:
        done = git(repo, *args)
        if done.returncode != 0:
            return {"ok": False, "command": ["git", *args], "output": (done.stdout + done.stderr)[-OUTPUT_TAIL:]}
    after = code_version(repo)
    ok = after is not None and after["commit"] == version["commit"]
    return {"ok": ok, "commit": after["commit"] if after else None, "branch": after["branch"] if after else None}


def run_step(step: Step, cwd: Path) -> dict:
    """Run one step; never raises. Returns argv, exit code, seconds, the end of its output."""
    argv = [sys.executable if i == 0 and a == "python" else a for i, a in enumerate(step.argv)]
    started = time.monotonic()
    record: dict[str, Any] = {"argv": list(step.argv), "timeout": step.timeout}
    try:
        done = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=step.timeout)
        record.update(exit_code=done.returncode, ok=done.returncode == 0, output=tail(done.stdout))
    except subprocess.TimeoutExpired as exc:
        record.update(exit_code=None, ok=False, timed_out=True, output=tail(exc.stdout or b""), error=f"did not finish within {step.timeout:g}s (killed)")
    except OSError as exc:
        record.update(exit_code=None, ok=False, output="", error=f"cannot run it: {exc}")
    record["seconds"] = round(time.monotonic() - started, 3)
    return record


def tail(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text[-OUTPUT_TAIL:]

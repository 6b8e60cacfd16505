"""Gated upgrades ("allopoietic upgrade"): change the kernel's code without losing the image.

The watchdog (:mod:`bat_os.supervise.watchdog`) looks for ``update_instructions.json``
in its work directory. The file (see docs/operations.md for the schema)::

    {"reason": "pick up the new memory code",            # required, for the chronicle
     "ref": "v0.7.0",                                     # optional: a git ref to move the checkout to
     "steps": [["python", "-m", "pip", "install", "-r", "requirements.txt"],
               {"argv": ["python", "tools/migrate.py"], "timeout": 900}],
     "rollback_steps": [["python", "-m", "pip", "install", "-r", "requirements.txt"]],  # optional
     "gate_timeout": 120,                                 # optional (default: --gate-timeout)
     "full_backup": false}                                # optional: repozo full instead of incremental

``"python"`` as a step's first word means the interpreter that runs BAT OS
(the virtual environment's). Steps run in the checkout, one after another,
each with a timeout; their output is kept (the end of it).

What happens, in order (:meth:`Upgrade.run`):

1. *Claim*: the file is renamed into ``upgrades/`` (atomic: acted on once).
   Invalid instructions are rejected there and then; nothing is touched.
2. *Code version*: the checkout's commit and branch (``git``). A checkout with
   uncommitted changes to tracked files is refused: a rollback could not put
   them back.
3. *Stop* the kernel gracefully, then *back up* the image (``batos.py backup
   --json``: repozo, blobs, an entry in the image's chronicle and the plain
   log). The backup comes after the stop, so that no acknowledged write can
   fall between the backup and the stop and be lost by a restore.
4. *Fingerprint* the image as it is now: its length and SHA-256, a copy of
   its ``.index``, the list of blob files.
5. Move to ``ref`` (``git checkout``), run the *steps*.
6. Start the new kernel: the *gate* is ``ping``, ``status`` and ``selfcheck``
   (image opened, migrations ran, every installed method compiles and passes
   the guardian) within ``gate_timeout``.
7. Any failure: stop the new kernel; put the code back (``git checkout`` of
   the recorded branch, ``git reset --hard`` to the recorded commit); run the
   ``rollback_steps``; put the image back: FileStorage only appends, so when
   the first bytes are still the fingerprinted ones the file is cut back to
   its old length (byte for byte what it was), new blob files are removed and
   the old index restored; otherwise (the new code packed or rewrote it) the
   image is restored from the backup. Then the old kernel is started and must
   pass the same gate.

The outcome goes to ``update_result.json`` beside the instructions, to
``upgrades/<id>.result.json`` and to the log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bat_os.supervise.backup import blob_files
from bat_os.cli import backup as backup_cli  # noqa: F401 (imported now: the fallback when the checkout's batos.py cannot run)
from bat_os.image import chronicle as _chronicle
from bat_os.image import image as _image
from bat_os.supervise.watchdog import HERE, INSTRUCTIONS, RESULT, Watchdog

logger = logging.getLogger("bat_os.supervise.upgrade")

OUTPUT_TAIL = 4000  # characters of a step's output kept in the result
HASH_CHUNK = 1 << 20


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


# --- the code version -----------------------------------------------------------------------


def _git(repo: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=timeout)


def code_version(repo: Path) -> dict | None:
    """``{"commit", "branch", "dirty"}`` of a git checkout; None when it is not one (or git is missing)."""
    try:
        head = _git(repo, "rev-parse", "--verify", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    branch = _git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    dirty = _git(repo, "status", "--porcelain", "--untracked-files=no")
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
        done = _git(repo, *args)
        if done.returncode != 0:
            return {"ok": False, "command": ["git", *args], "output": (done.stdout + done.stderr)[-OUTPUT_TAIL:]}
    after = code_version(repo)
    ok = after is not None and after["commit"] == version["commit"]
    return {"ok": ok, "commit": after["commit"] if after else None, "branch": after["branch"] if after else None}


# --- steps --------------------------------------------------------------------------------------


def run_step(step: Step, cwd: Path) -> dict:
    """Run one step; never raises. Returns argv, exit code, seconds, the end of its output."""
    argv = [sys.executable if i == 0 and a == "python" else a for i, a in enumerate(step.argv)]
    started = time.monotonic()
    record: dict[str, Any] = {"argv": list(step.argv), "timeout": step.timeout}
    try:
        done = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=step.timeout)
        record.update(exit_code=done.returncode, ok=done.returncode == 0, output=_tail(done.stdout))
    except subprocess.TimeoutExpired as exc:
        record.update(exit_code=None, ok=False, timed_out=True, output=_tail(exc.stdout or b""), error=f"did not finish within {step.timeout:g}s (killed)")
    except OSError as exc:
        record.update(exit_code=None, ok=False, output="", error=f"cannot run it: {exc}")
    record["seconds"] = round(time.monotonic() - started, 3)
    return record


def _tail(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text[-OUTPUT_TAIL:]


# --- the image's fingerprint ---------------------------------------------------------------------


def _sha256(path: Path, length: int | None = None) -> str:
    digest = hashlib.sha256()
    left = length
    with open(path, "rb") as f:
        while left is None or left > 0:
            chunk = f.read(HASH_CHUNK if left is None else min(HASH_CHUNK, left))
            if not chunk:
                break
            digest.update(chunk)
            if left is not None:
                left -= len(chunk)
    return digest.hexdigest()


def _blob_files(blob_dir: Path) -> set[str]:
    return set(blob_files(blob_dir))


@dataclass(frozen=True)
class Fingerprint:
    """The image as it was before the upgrade touched anything."""

    size: int
    sha256: str
    index_copy: Path | None
    blobs: frozenset[str]

    @classmethod
    def take(cls, image: Path, blob_dir: Path, aside: Path) -> "Fingerprint":
        index = image.with_name(image.name + ".index")
        copy = None
        if index.exists():
            copy = aside / (image.name + ".index")
            shutil.copy2(index, copy)
        return cls(image.stat().st_size, _sha256(image), copy, frozenset(_blob_files(blob_dir)))

    def to_dict(self) -> dict:
        return {"size": self.size, "sha256": self.sha256, "blob_files": len(self.blobs)}

    def put_back(self, image: Path, blob_dir: Path) -> str | None:
        """Make the image byte-for-byte what it was, if only appended to. Returns what was done, or None."""
        if not image.exists() or image.stat().st_size < self.size or _sha256(image, self.size) != self.sha256:
            return None
        grown = image.stat().st_size - self.size
        if grown:
            with open(image, "r+b") as f:
                f.truncate(self.size)
                f.flush()
                os.fsync(f.fileno())
        index = image.with_name(image.name + ".index")
        if self.index_copy is not None:
            shutil.copy2(self.index_copy, index)
        elif index.exists():
            index.unlink()  # FileStorage rebuilds it
        removed = 0
        for rel in _blob_files(blob_dir) - self.blobs:
            (blob_dir / rel).unlink()
            removed += 1
        missing = len(self.blobs - _blob_files(blob_dir))
        if missing:
            return None  # blobs the old image needs are gone: only the backup can help
        if not grown and not removed:
            return "unchanged"
        return f"cut back to its {self.size} bytes before the upgrade ({grown} bytes of new transactions dropped, {removed} new blob file(s) removed)"


# --- the upgrade -----------------------------------------------------------------------------------


class Upgrade:
    """One upgrade, start to finish. :meth:`run` never raises; it returns the result written out."""

    def __init__(self, watchdog: Watchdog, repo: Path = HERE) -> None:
        self.wd = watchdog
        self.settings = watchdog.settings
        self.repo = repo
        self.workdir = self.settings.workdir
        self.id = time.strftime("%Y%m%d-%H%M%S", time.gmtime(watchdog.wall_clock())) + f"-{os.getpid()}"
        self.dir = self.workdir / "upgrades"
        self.fingerprint: Fingerprint | None = None
        self.instructions: Instructions | None = None
        self.result: dict[str, Any] = {"id": self.id, "started": _iso(watchdog.wall_clock()), "status": "running", "rolled_back": False}

    # --- the flow ---------------------------------------------------------------------
    def run(self) -> dict:
        try:
            self._run()
        except Exception as exc:  # a bug: still put things back and say so
            logger.exception("upgrade %s: unexpected error", self.id)
            self.result.setdefault("why", f"unexpected error: {type(exc).__name__}: {exc}")
            if self.result.get("stage") in ("steps", "gate") and not self.result["rolled_back"]:
                self._roll_back(self.result["why"], self.fingerprint, self.instructions)
            self.result["status"] = self.result.get("status") if self.result["status"] != "running" else "failed"
        finally:
            self._finish()
        return self.result

    def _run(self) -> None:
        claimed = self._claim()
        if claimed is None:
            self.result.update(status="rejected", why="the instructions file vanished before it could be claimed")
            return
        try:
            data = json.loads(claimed.read_text(encoding="utf-8"))
            ins = parse_instructions(data, step_timeout=self.settings.step_timeout, gate_timeout=self.settings.gate_timeout)
        except (OSError, ValueError) as exc:  # JSONDecodeError and InvalidInstructions are ValueErrors
            self.result.update(status="rejected", why=f"invalid instructions: {exc}")
            return
        self.instructions = ins
        self.result.update(reason=ins.reason, ref=ins.ref)
        logger.warning("upgrade %s: %s%s", self.id, ins.reason, f" (to {ins.ref})" if ins.ref else "")

        before = code_version(self.repo)
        self.result["code_before"] = before
        if before is None and (ins.ref or ins.steps):
            self.result.update(status="rejected", why=f"{self.repo} is not a git checkout (or git is missing): the code could not be put back after a failure")
            return
        if before is not None and before["dirty"]:
            self.result.update(status="rejected", why=f"uncommitted changes to tracked files ({', '.join(before['dirty'][:5])}): commit or stash them first, or a rollback could not restore them")
            return

        self._stage("backup")
        self.result["kernel_stopped"] = self.wd.stop_for_upgrade(f"upgrade {self.id}: stopping the kernel")
        aside = self.dir / self.id
        aside.mkdir(parents=True, exist_ok=True)
        fingerprint: Fingerprint | None = None
        if not self.settings.image.exists():  # e.g. a kernel that crashed before it ever opened it
            self.result["backup"] = {"ok": True, "skipped": f"there is no image at {self.settings.image} yet"}
            self.result["image_before"] = None
        else:
            backup = self._backup(ins)
            self.result["backup"] = backup
            if not backup.get("ok"):
                self.result["why"] = f"the backup failed: {backup.get('error')}"
                self._restart_old("the backup failed; nothing was changed")
                self.result["status"] = "failed"
                return
            fingerprint = self.fingerprint = Fingerprint.take(self.settings.image, self.settings.blob_dir, aside)
            self.result["image_before"] = fingerprint.to_dict()

        self._stage("steps")
        steps: list[dict] = []
        self.result["steps"] = steps
        if ins.ref:
            moved = _git(self.repo, "-c", "advice.detachedHead=false", "checkout", ins.ref, timeout=120)
            steps.append({"argv": ["git", "checkout", ins.ref], "exit_code": moved.returncode, "ok": moved.returncode == 0, "output": _tail(moved.stdout + moved.stderr)})
            if moved.returncode != 0:
                return self._fail(f"git checkout {ins.ref} failed", fingerprint, ins)
        for step in ins.steps:
            record = run_step(step, self.repo)
            steps.append(record)
            logger.info("upgrade %s: step %s %s in %.1fs", self.id, step.argv, "ok" if record["ok"] else "FAILED", record["seconds"])
            if not record["ok"]:
                return self._fail(f"step {list(step.argv)} failed: {record.get('error') or 'exit code %s' % record['exit_code']}", fingerprint, ins)
        self.result["code_after"] = code_version(self.repo)

        self._stage("gate")
        gate = self.wd.start_and_gate(ins.gate_timeout)
        self.result["gate"] = gate
        if not gate["ok"]:
            return self._fail(f"the new kernel failed the health gate: {gate['why']}", fingerprint, ins)
        self.result["status"] = "upgraded"
        logger.warning("upgrade %s: done; the new kernel pid %s passed ping, status and selfcheck in %.1fs", self.id, gate["kernel_pid"], gate["seconds"])

    def _fail(self, why: str, fingerprint: Fingerprint | None, ins: Instructions) -> None:
        self.result["why"] = why
        logger.error("upgrade %s: %s; rolling back", self.id, why)
        self._roll_back(why, fingerprint, ins)
        self.result["status"] = "rolled_back"

    def _roll_back(self, why: str, fingerprint: Fingerprint | None = None, ins: Instructions | None = None) -> None:
        self.result["rolled_back"] = True
        rollback: dict[str, Any] = {}
        self.result["rollback"] = rollback
        rollback["kernel_stopped"] = self.wd.stop_for_upgrade(f"upgrade {self.id}: rolling back ({why})")
        before = self.result.get("code_before")
        if before is not None:
            rollback["code"] = restore_code(self.repo, before)
        if ins is not None and ins.rollback_steps:
            rollback["steps"] = [run_step(step, self.repo) for step in ins.rollback_steps]
        rollback["image"] = self._put_image_back(fingerprint)
        rollback["gate"] = self.wd.start_and_gate(ins.gate_timeout if ins else self.settings.gate_timeout)
        if rollback["gate"]["ok"]:
            logger.warning("upgrade %s: rolled back; the old kernel pid %s serves again", self.id, rollback["gate"]["kernel_pid"])
        else:
            logger.critical("upgrade %s: rolled back, but the old kernel failed the gate too: %s", self.id, rollback["gate"]["why"])

    def _put_image_back(self, fingerprint: Fingerprint | None) -> dict:
        image, blob_dir = self.settings.image, self.settings.blob_dir
        if self.result.get("image_before", False) is None:  # there was none: move what the new kernel made aside
            moved = []
            for path in (image, image.with_name(image.name + ".index"), blob_dir):
                if path.exists():
                    target = path.with_name(f"{path.name}.from-upgrade-{self.id}")
                    os.replace(path, target)
                    moved.append(str(target))
            return {"how": "there was no image before the upgrade; what the new kernel created was moved aside", "moved": moved, "byte_for_byte": True}
        if fingerprint is None:
            return {"how": "untouched (the upgrade failed before the image could change)"}
        done = fingerprint.put_back(image, blob_dir)
        if done is not None:
            return {"how": done, "sha256": _sha256(image), "size": image.stat().st_size, "byte_for_byte": True}
        backup_id = (self.result.get("backup") or {}).get("id")
        logger.error("upgrade %s: the image was rewritten, not only appended to: restoring backup %s", self.id, backup_id)
        restored = self._batos("restore", str(backup_id), "--no-record", "--json")
        return {"how": f"restored from backup {backup_id}", "ok": restored.get("ok", False), "restore": restored, "byte_for_byte": False}

    def _restart_old(self, why: str) -> None:
        self.result["rollback"] = {"gate": self.wd.start_and_gate(self.settings.gate_timeout), "why": why}

    # --- helpers ---------------------------------------------------------------------------
    def _stage(self, name: str) -> None:
        self.result["stage"] = name
        self.wd.upgrading = {"id": self.id, "stage": name}
        self.wd.publish()

    def _claim(self) -> Path | None:
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self.dir / f"{self.id}.instructions.json"
        try:
            os.replace(self.workdir / INSTRUCTIONS, target)  # atomic: whoever renames first owns it
        except FileNotFoundError:
            return None
        self.result["instructions"] = str(target)
        return target

    def _backup(self, ins: Instructions) -> dict:
        args = ["backup", "--reason", f"upgrade {self.id}: {ins.reason}", "--json"]
        if ins.full_backup:
            args.append("--full")
        return self._batos(*args)

    def _batos(self, *args: str) -> dict:
        """``batos.py ARGS --json`` with the kernel's image flags: its JSON record, plus ok/exit_code.

        First as ``python batos.py`` from the checkout (the code that owns the image
        now); if that fails, with the watchdog's own copy of the same code, imported
        at its start (the checkout may be the broken version a FATAL watchdog waits on).
        """
        command = [sys.executable, str(self.repo / "batos.py"), *args, *self.settings.image_args]
        try:
            done = subprocess.run(command, cwd=self.repo, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=self.settings.step_timeout)
            record = _last_json(done.stdout)
            record.update(ok=done.returncode == 0, exit_code=done.returncode, via="checkout")
            if done.returncode == 0:
                return record
            record["error"] = _tail(done.stderr or done.stdout).strip()[-1000:] or f"exit code {done.returncode}"
        except (OSError, subprocess.SubprocessError) as exc:
            record = {"ok": False, "error": f"cannot run {' '.join(command)}: {exc}"}
        logger.warning("upgrade %s: batos.py %s failed with the checkout's code (%s); trying the watchdog's own", self.id, args[0], record["error"])
        lines: list[str] = []
        try:
            code = backup_cli.main([*args, *self.settings.image_args], out=lines.append)
        except Exception as exc:  # a report, not a crash: the upgrade must still finish
            logger.exception("upgrade %s: batos %s in the watchdog failed", self.id, args[0])
            return {"ok": False, "error": f"{record['error']}; and in the watchdog: {type(exc).__name__}: {exc}"}
        second = _last_json("\n".join(lines))
        second.update(ok=code == 0, exit_code=code, via="watchdog", checkout_error=record["error"])
        if code != 0:
            second["error"] = f"{record['error']}; and in the watchdog: exit code {code} (see its log)"
        return second

    def _finish(self) -> None:
        self.result["finished"] = _iso(self.wd.wall_clock())
        self.result.pop("stage", None)
        text = json.dumps(self.result, indent=1, sort_keys=True, default=str)
        for path in (self.workdir / RESULT, self.dir / f"{self.id}.result.json"):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(path.name + ".tmp")
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, path)
            except OSError as exc:
                logger.error("upgrade %s: cannot write %s: %s", self.id, path, exc)
        level = logging.WARNING if self.result["status"] == "upgraded" else logging.ERROR
        logger.log(level, "upgrade %s: %s%s (result in %s)", self.id, self.result["status"],
                   f": {self.result['why']}" if self.result.get("why") else "", self.workdir / RESULT)


def _last_json(text: str) -> dict:
    lines = text.strip().splitlines()
    try:
        record = json.loads(lines[-1]) if lines else {}
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {"output": record}


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))

"""Gated upgrades ("allopoietic upgrade"): change the kernel's code without losing the image.

The watchdog (:mod:`bat_os.supervise.watchdog`) looks for ``update_instructions.json``
in its work directory (the schema: :mod:`bat_os.supervise.instructions`) and
runs an :class:`Upgrade`, which sees the watchdog only as a
:class:`~bat_os.supervise.control.KernelControl`: stop the kernel, start one
behind the gate, publish the stage.

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

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

# The in-process fallback of _batos(): imported now, with the watchdog, so that it runs the
# code the watchdog started with even after the checkout moved (bat_os.supervise.backup
# imports bat_os.image and the chronicle at its top for the same reason).
from bat_os import config
from bat_os.errors import BatosError
from bat_os.supervise.backup import backup_image, restore_image
from bat_os.supervise.backup.records import sha256_of
from bat_os.supervise.checkout import code_version, git, restore_code, run_step, tail
from bat_os.supervise.control import HERE, INSTRUCTIONS, RESULT, KernelControl
from bat_os.supervise.fingerprint import Fingerprint
from bat_os.supervise.instructions import Instructions, parse_instructions

logger = logging.getLogger(__name__)


class Upgrade:
    """One upgrade, start to finish. :meth:`run` never raises; it returns the result written out."""

    def __init__(self, control: KernelControl, repo: Path = HERE) -> None:
        self.control = control
        self.settings = control.settings
        self.repo = repo
        self.workdir = self.settings.workdir
        self.id = time.strftime("%Y%m%d-%H%M%S", time.gmtime(control.wall_clock())) + f"-{os.getpid()}"
        self.dir = self.workdir / "upgrades"
        self.fingerprint: Fingerprint | None = None
        self.instructions: Instructions | None = None
        self.result: dict[str, Any] = {"id": self.id, "started": _iso(control.wall_clock()), "status": "running", "rolled_back": False}

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
        self.result["kernel_stopped"] = self.control.stop_for_upgrade(f"upgrade {self.id}: stopping the kernel")
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
            moved = git(self.repo, "-c", "advice.detachedHead=false", "checkout", ins.ref, timeout=120)
            steps.append({"argv": ["git", "checkout", ins.ref], "exit_code": moved.returncode, "ok": moved.returncode == 0, "output": tail(moved.stdout + moved.stderr)})
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
        gate = self.control.start_and_gate(ins.gate_timeout)
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
        rollback["kernel_stopped"] = self.control.stop_for_upgrade(f"upgrade {self.id}: rolling back ({why})")
        before = self.result.get("code_before")
        if before is not None:
            rollback["code"] = restore_code(self.repo, before)
        if ins is not None and ins.rollback_steps:
            rollback["steps"] = [run_step(step, self.repo) for step in ins.rollback_steps]
        rollback["image"] = self._put_image_back(fingerprint)
        rollback["gate"] = self.control.start_and_gate(ins.gate_timeout if ins else self.settings.gate_timeout)
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
            return {"how": done, "sha256": sha256_of(image), "size": image.stat().st_size, "byte_for_byte": True}
        backup_id = (self.result.get("backup") or {}).get("id")
        logger.error("upgrade %s: the image was rewritten, not only appended to: restoring backup %s", self.id, backup_id)
        restored = self._batos(
            ["restore", str(backup_id), "--no-record", "--json"],
            lambda cfg: restore_image(cfg.image, cfg.blob_dir, cfg.backup_dir, str(backup_id), record=False),
        )
        return {"how": f"restored from backup {backup_id}", "ok": restored.get("ok", False), "restore": restored, "byte_for_byte": False}

    def _restart_old(self, why: str) -> None:
        self.result["rollback"] = {"gate": self.control.start_and_gate(self.settings.gate_timeout), "why": why}

    # --- helpers ---------------------------------------------------------------------------
    def _stage(self, name: str) -> None:
        self.result["stage"] = name
        self.control.publish_upgrade({"id": self.id, "stage": name})

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
        reason = f"upgrade {self.id}: {ins.reason}"
        args = ["backup", "--reason", reason, "--json"]
        if ins.full_backup:
            args.append("--full")
        return self._batos(args, lambda cfg: backup_image(cfg.image, cfg.blob_dir, cfg.backup_dir, full=ins.full_backup, reason=reason))

    def _batos(self, args: list[str], in_watchdog: Callable[[config.Config], dict]) -> dict:
        """``batos.py ARGS --json`` with the kernel's image flags: its JSON record, plus ok/exit_code.

        First as ``python batos.py`` from the checkout (the code that owns the image
        now); if that fails, ``in_watchdog(configuration)`` does the same in this
        process, with the code the watchdog imported at its start (the checkout
        may be the broken version a FATAL watchdog waits on).
        """
        command = [sys.executable, str(self.repo / "batos.py"), *args, *self.settings.image_args]
        try:
            done = subprocess.run(command, cwd=self.repo, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=self.settings.step_timeout)
            record = _last_json(done.stdout)
            record.update(ok=done.returncode == 0, exit_code=done.returncode, via="checkout")
            if done.returncode == 0:
                return record
            record["error"] = tail(done.stderr or done.stdout).strip()[-1000:] or f"exit code {done.returncode}"
        except (OSError, subprocess.SubprocessError) as exc:
            record = {"ok": False, "error": f"cannot run {' '.join(command)}: {exc}"}
        logger.warning("upgrade %s: batos.py %s failed with the checkout's code (%s); trying the watchdog's own", self.id, args[0], record["error"])
        try:
            second = in_watchdog(config.load(_image_flags(self.settings.image_args)))
        except BatosError as exc:  # ConfigError, ImageError, BackupError: their message says why
            logger.error("upgrade %s: batos %s in the watchdog failed: %s", self.id, args[0], exc)
            return {"ok": False, "via": "watchdog", "checkout_error": record["error"], "error": f"{record['error']}; and in the watchdog: {exc}"}
        except Exception as exc:  # a report, not a crash: the upgrade must still finish
            logger.exception("upgrade %s: batos %s in the watchdog failed", self.id, args[0])
            return {"ok": False, "error": f"{record['error']}; and in the watchdog: {type(exc).__name__}: {exc}"}
        second.update(ok=True, exit_code=0, via="watchdog", checkout_error=record["error"])
        return second

    def _finish(self) -> None:
        self.result["finished"] = _iso(self.control.wall_clock())
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


def _image_flags(image_args: list[str]) -> dict[str, Any]:
    """``--image``/``--config`` from the kernel's image flags, as :func:`bat_os.config.load` takes them."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--image")
    parser.add_argument("--config")
    flags, _ = parser.parse_known_args(image_args)
    return vars(flags)

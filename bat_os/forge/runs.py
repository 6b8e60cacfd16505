"""One forge training run at a time, in a worker process (:mod:`bat_os.forge.trainer`), watched from the loop.

:class:`Forge` is the kernel's service: :meth:`Forge.train` starts ``python -m bat_os.forge.trainer`` with
asyncio's subprocess support (the loop never waits on it), passes each step it prints to ``on_step`` (the
kernel publishes them as ``forge.progress``) and answers the trainer's summary; :meth:`Forge.cancel` sends it
SIGTERM (it stops between steps, saving nothing). A second run while one trains is :class:`~bat_os.errors.Busy`.
The trainer stops by itself when the kernel is gone (``--parent``: a kill -9 of the kernel leaves no orphan
training), and writes its adapter whole or not at all. No ZODB here: the caller reads the image and stores the
adapter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bat_os.errors import Busy, Internal, NotFound

logger = logging.getLogger(__name__)

PACKAGE_HOME = Path(__file__).resolve().parent.parent.parent  # where "python -m bat_os..." finds the package


@dataclass(frozen=True)
class ForgeSettings:
    minutes: float = 30.0  # a training run's time budget
    min_pairs: int = 8  # fewer pairs than this: refused (a LoRA learns nothing worth a gate from three examples)
    rank: int = 8


class Forge:
    def __init__(self, settings: ForgeSettings, work: Path) -> None:
        self.settings = settings
        self.work = Path(work)  # datasets and adapters being made (beside the image)
        self._proc: asyncio.subprocess.Process | None = None
        self.running: dict | None = None  # {"persona", "started", "pid"} while a run trains

    @classmethod
    def configured(cls, config: Any, image_path: Path) -> "Forge":
        """The kernel's forge: ``config``'s forge settings, its work beside the image (``<image>.forge/``)."""
        image_path = Path(image_path)
        return cls(ForgeSettings(config.forge_minutes, config.forge_min_pairs, config.forge_rank),
                   image_path.with_name(image_path.stem + ".forge"))

    async def train(self, persona: str, base: Path, data: Path, out: Path, *, rank: int | None = None,
                    minutes: float | None = None, max_steps: int | None = None,
                    on_step: Callable[[dict], None] = lambda step: None) -> dict:
        """Train ``persona``'s adapter from ``data`` into ``out``; the trainer's summary (``done``: True), or
        Internal with its reason when it failed or was cancelled (the adapter is then absent)."""
        if self._proc is not None:
            raise Busy(f"the forge is training {self.running['persona']}'s adapter; one run at a time")
        if not Path(base).is_dir():
            raise NotFound(f"no base model directory {base}")
        args = [sys.executable, "-m", "bat_os.forge.trainer", "--base", str(base), "--data", str(data), "--out", str(out),
                "--rank", str(rank or self.settings.rank), "--minutes", str(minutes or self.settings.minutes),
                "--parent", str(os.getpid())]
        if max_steps is not None:
            args += ["--max-steps", str(max_steps)]
        self._proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                          stderr=asyncio.subprocess.PIPE, cwd=PACKAGE_HOME)
        self.running = {"persona": persona, "pid": self._proc.pid}
        last: dict = {}
        try:
            assert self._proc.stdout is not None
            async for raw in self._proc.stdout:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                if "step" in line:
                    on_step(line)
                else:
                    last = line
            stderr = await self._proc.stderr.read() if self._proc.stderr is not None else b""
            code = await self._proc.wait()
        finally:
            if self._proc.returncode is None:  # the awaiting task was cancelled: the run goes with it
                self._proc.terminate()
                await self._proc.wait()
            self._proc, self.running = None, None
        if code != 0 or not last.get("done"):
            why = last.get("error") or stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {code}"]
            raise Internal(f"the forge's training of {persona}'s adapter did not finish: {why if isinstance(why, str) else why[0]}")
        return last

    def cancel(self) -> bool:
        """Stop the run under way (it saves nothing); False when none runs."""
        if self._proc is None or self._proc.returncode is not None:
            return False
        self._proc.terminate()
        return True

    def status(self) -> dict[str, Any]:
        return {"running": dict(self.running) if self.running else None, "minutes": self.settings.minutes,
                "min_pairs": self.settings.min_pairs, "rank": self.settings.rank}

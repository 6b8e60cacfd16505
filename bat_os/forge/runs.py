"""One forge training run at a time, in a worker process (:mod:`bat_os.forge.trainer`), watched from the loop.

:class:`Forge` is the kernel's service: :meth:`Forge.train` starts ``python -m bat_os.forge.trainer`` with
asyncio's subprocess support (the loop never waits on it), passes each step it prints to ``on_step`` (the
kernel publishes them as ``forge.progress``) and answers the trainer's summary; :meth:`Forge.cancel` sends it
SIGTERM (it stops between steps, saving nothing). A second run while one trains is :class:`~bat_os.errors.Busy`.
The trainer stops by itself when the kernel is gone (``--parent``: a kill -9 of the kernel leaves no orphan
training), and writes its adapter whole or not at all. Every worker starts through :mod:`bat_os.forge.limits`,
which caps its own address space (``memory_mb``) before it runs its module; its stdout and stderr are read
together, so neither fills and stalls it. No ZODB here: the caller reads the image and stores the adapter.
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
    margin: int = 2  # held-out tasks an adapter must gain over its base to be installed (bat_os.forge.gate)
    memory_mb: int = 0  # a worker's address space at most (RLIMIT_AS, POSIX); 0: no cap
    held_out: int = 12  # held-out tasks the gate asks


class Forge:
    def __init__(self, settings: ForgeSettings, work: Path, threads: int = 0) -> None:
        self.settings = settings
        self.work = Path(work)  # datasets and adapters being made (beside the image)
        # a worker's torch threads: every core but one, left to the kernel's generations (bat_os.models.cores)
        self.threads = threads or max(1, (os.cpu_count() or 1) - 1)
        self._proc: asyncio.subprocess.Process | None = None
        self._stopped = False  # the run under way was cancelled
        self.running: dict | None = None  # {"persona", "what", "pid"} while a worker runs
        self._plain: dict[tuple, dict[tuple, str]] = {}  # the last base's answers, by (system, prompt): asked once

    @classmethod
    def configured(cls, config: Any, image_path: Path) -> "Forge":
        """The kernel's forge: ``config``'s forge settings, its work beside the image (``<image>.forge/``)."""
        image_path = Path(image_path)
        return cls(ForgeSettings(config.forge_minutes, config.forge_min_pairs, config.forge_rank, config.forge_margin,
                                 config.forge_memory_mb, config.forge_held_out), image_path.with_name(image_path.stem + ".forge"))

    async def train(self, persona: str, base: Path, data: Path, out: Path, *, rank: int | None = None,
                    minutes: float | None = None, max_steps: int | None = None,
                    on_step: Callable[[dict], None] = lambda step: None) -> dict:
        """Train ``persona``'s adapter from ``data`` into ``out``; the trainer's summary (``done``: True), or
        Internal with its reason when it failed or was cancelled (the adapter is then absent)."""
        if not Path(base).is_dir():
            raise NotFound(f"no base model directory {base}")
        args = ["bat_os.forge.trainer", "--base", str(base), "--data", str(data), "--out", str(out),
                "--rank", str(rank or self.settings.rank), "--minutes", str(minutes or self.settings.minutes),
                "--parent", str(os.getpid())]
        if max_steps is not None:
            args += ["--max-steps", str(max_steps)]
        lines = await self._worker(persona, "training", args, lambda line: "step" in line and on_step(line))
        return lines[-1]

    async def ask(self, persona: str, base: Path, prompts: Path, adapter: Path | None = None,
                  max_new_tokens: int = 256) -> dict[str, str]:
        """The gate's questions asked of ``base`` (with ``adapter`` on it): ``{id: answer}``. Greedy, so the base's
        answer to a question (its system text and prompt) is asked once and kept: a gate, then a ``use`` of the
        image's own methods, ask the base only what it was not asked yet."""
        key = (str(base), max_new_tokens)
        items = [json.loads(line) for line in Path(prompts).read_text(encoding="utf-8").splitlines() if line.strip()]
        known = self._plain.get(key, {}) if adapter is None else {}
        wanted = [item for item in items if (item["system"], item["prompt"]) not in known]
        if wanted:
            if len(wanted) < len(items):
                prompts = prompts.with_name(prompts.name + ".new")
                prompts.write_text("".join(json.dumps(item) + "\n" for item in wanted), encoding="utf-8")
            args = ["bat_os.forge.evaluate", "--base", str(base), "--prompts", str(prompts),
                    "--max-new-tokens", str(max_new_tokens)] + (["--adapter", str(adapter)] if adapter else [])
            lines = await self._worker(persona, "evaluation", args)
            by_id = {item["id"]: item for item in wanted}
            fresh = {(by_id[line["id"]]["system"], by_id[line["id"]]["prompt"]): line["text"]
                     for line in lines if "text" in line}
            if adapter is None:
                self._plain = {key: {**known, **fresh}}  # the last base asked
            known = {**known, **fresh}
        return {item["id"]: known.get((item["system"], item["prompt"]), "") for item in items}

    async def _worker(self, persona: str, what: str, args: list[str],
                      on_line: Callable[[dict], Any] = lambda line: None) -> list[dict]:
        """Run ``python -m ARGS`` (one at a time: Busy), each JSON line it prints to ``on_line``; every line, the
        last saying ``done``, or Internal with why it did not finish."""
        if self._proc is not None:
            raise Busy(f"the forge is busy with {self.running['persona']}'s {self.running['what']}; one run at a time")
        self._stopped = False
        # the worker caps itself as it starts (bat_os.forge.limits): no preexec_fn in the kernel, which runs threads
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bat_os.forge.limits", "--memory-mb", str(self.settings.memory_mb), *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=PACKAGE_HOME,
            env={**os.environ, "OMP_NUM_THREADS": str(self.threads), "MKL_NUM_THREADS": str(self.threads)})
        self.running = {"persona": persona, "what": what, "pid": self._proc.pid}
        assert self._proc.stdout is not None and self._proc.stderr is not None
        errors = asyncio.create_task(self._proc.stderr.read())  # read beside stdout: a full stderr pipe stalls no one
        lines: list[dict] = []
        try:
            async for raw in self._proc.stdout:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                lines.append(line)
                on_line(line)
            stderr = await errors
            code = await self._proc.wait()
        finally:
            if self._proc.returncode is None:  # the awaiting task was cancelled: the run goes with it
                self._proc.terminate()
                await self._proc.wait()
            if not errors.done():
                errors.cancel()
            self._proc, self.running = None, None
        last = lines[-1] if lines else {}
        if code != 0 or not last.get("done"):
            # cancelled before the worker could say so (SIGTERM while it was still importing): stopped all the same
            why = "stopped" if self._stopped else last.get("error") or (
                stderr.decode(errors="replace").strip().splitlines() or [f"exit {code}"])[-1]
            raise Internal(f"the forge's {what} for {persona} did not finish: {why}")
        return lines

    def cores_held(self) -> int:
        """The cores a worker holds now: its threads while one runs (read from the model manager's thread)."""
        return self.threads if self._proc is not None else 0

    def cancel(self) -> bool:
        """Stop the run under way (it saves nothing); False when none runs."""
        if self._proc is None or self._proc.returncode is not None:
            return False
        self._stopped = True
        self._proc.terminate()
        return True

    def status(self) -> dict[str, Any]:
        return {"running": dict(self.running) if self.running else None, "minutes": self.settings.minutes,
                "min_pairs": self.settings.min_pairs, "rank": self.settings.rank, "margin": self.settings.margin,
                "held_out": self.settings.held_out}


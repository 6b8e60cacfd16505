"""``forge``: the image's golden dataset (:mod:`bat_os.forge.curator`), training an adapter from it
(:mod:`bat_os.forge.runs`), and the gate (:mod:`bat_os.forge.gate`) that installs one only when it beats its base.

::

    {"command": "forge", "action": "dataset", "out"?: "/path/dataset.jsonl", "limit"?: 5000}
        -> {"pairs", "sha256", "duplicates", "answered", "left_out": N,
            "left_out_listed": [{"where", "selector", "why"}] (the first 50),
            "tests": {"methods", "cases", "failures"}, "out": path | null}
    {"command": "forge", "action": "train", "persona": "ALFRED", "rank"?: 8, "minutes"?: 30, "max_steps"?: N}
        -> {"persona", "adapter": folder, "dataset": {"pairs", "sha256"}, "steps", "tokens", "seconds",
            "loss_first", "loss_last", "rank", "device", "installed": false}
    {"command": "forge", "action": "gate", "persona": "ALFRED", "adapter": FOLDER, "margin"?: 2, "tasks"?: FILE,
     "held_out"?: 12, "max_new_tokens"?: 256}
        -> {"persona", "adapter", "dataset", "at", "installed", "installed_as", "why", "held_out", "own", "margin"}
    {"command": "forge", "action": "cancel"} -> {"cancelled": true | false}
    {"command": "forge", "action": "status"} -> {"running": {"persona", "pid"} | null, "minutes", "min_pairs", "rank"}

Every generated method's stored tests are run again first (in the jail, as ``selfcheck`` does): a method whose
tests fail now is left out. With ``out`` the pairs are written there as JSON lines (a new file, written whole
and then renamed into place: a reader never sees half of it); its folder must exist.

``train`` gathers the dataset the same way (fewer than ``forge_min_pairs`` pairs: ``bad_request``, nothing
trained), and trains the persona's base model (its Hugging Face form: a GGUF model's conversion, made once into
the cache) in a worker process; each step is published as ``forge.progress`` (``{"persona", "step", "loss",
"tokens", "tokens_per_second", "left_seconds"}``), the end as ``forge.done`` or ``forge.failed``. One run at a
time (``busy``). The adapter is written beside the image (``<image>.forge/``) and not installed: only the gate
may put one into the image and into use. ``gate`` asks the base and the base with the adapter the same held-out
tasks and the image's own methods, tries every answer in the jail, and installs the adapter when it wins
(imported as ``forge-<folder>``, made the persona's ``lora_adapter``); every decision is kept in the image's
forge log (``status``) and published as ``forge.gate``.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bat_os.cognition.retest import rerun
from bat_os.errors import BadRequest, Internal, NotFound
from bat_os.forge.curator import MAX_PAIRS, Dataset, gather
from bat_os.forge.gate import decide
from bat_os.kernel.commands.base import Command, Context, Later, field
from bat_os.kernel.commands.selfcheck import tested_methods

LISTED = 50
ACTIONS = ("dataset", "train", "gate", "cancel", "status")
HELD_OUT = Path(__file__).resolve().parents[3] / "bench" / "learning_tasks.jsonl"  # the learning benchmark's tasks
LOG_KEY = "batos_forge"  # the root's list of the gate's decisions (created by the first; older images have none)


def forge(ctx: Context, request: dict) -> Any:
    action = field(request, "action", str)
    if action not in ACTIONS:
        raise BadRequest(f"forge's actions are {', '.join(ACTIONS)} (the gate is to come), not {action!r}")
    if ctx.forge is None:
        raise Internal("this process runs no forge")
    if action == "status":
        root = ctx.image.connection.root()
        return {**ctx.forge.status(), "decisions": [dict(d) for d in list(root.get(LOG_KEY, []))[-20:]]}
    if action == "cancel":
        return {"cancelled": ctx.forge.cancel()}
    if ctx.cognition is None:
        raise Internal("this process runs no jail: the methods' tests cannot run here")
    if action == "gate":
        return _gate(ctx, request)
    return _train(ctx, request) if action == "train" else _dataset(ctx, request)


def _curated(ctx: Context, limit: int = MAX_PAIRS):
    """An awaitable of (dataset, tests figures): the stored tests run again, then the pairs gathered."""
    cognition, image = ctx.cognition, ctx.image
    targets = tested_methods(image.connection.root())

    async def curate() -> tuple[Dataset, dict]:
        ran, failures = await rerun(cognition.image, cognition.jail, targets, cognition.capabilities_for)
        failing = {(f.get("object"), f.get("selector")) for f in failures}
        dataset = image.read(lambda: gather(image.connection.root(), failing, limit=limit))
        return dataset, {"methods": len(targets), "cases": ran, "failures": len(failures)}

    return curate()


def _write(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _dataset(ctx: Context, request: dict) -> Later:
    limit = field(request, "limit", int, default=MAX_PAIRS)
    if not 1 <= limit <= MAX_PAIRS:
        raise BadRequest(f"'limit' must be between 1 and {MAX_PAIRS}, not {limit}")
    out = field(request, "out", str, default=None)
    path = Path(out).expanduser() if out else None
    if path is not None and not path.parent.is_dir():
        raise NotFound(f"no folder {str(path.parent)!r} to write the dataset in")
    curation = _curated(ctx, limit)

    async def run(call: Any) -> dict:
        dataset, tests = await curation
        if path is not None:
            _write(path, dataset.jsonl())
        return {**dataset.summary(), "left_out_listed": dataset.left_out[:LISTED], "tests": tests,
                "out": str(path) if path is not None else None}

    return Later(run)


def _train(ctx: Context, request: dict) -> Later:
    from bat_os.models.personas import canonical_persona, spec_for

    persona = canonical_persona(field(request, "persona", str))
    rank = field(request, "rank", int, default=None)
    minutes = field(request, "minutes", (int, float), default=None)
    max_steps = field(request, "max_steps", int, default=None)
    if rank is not None and not 1 <= rank <= 256:
        raise BadRequest(f"'rank' must be between 1 and 256, not {rank}")
    if minutes is not None and not 0 < minutes <= 24 * 60:
        raise BadRequest(f"'minutes' must be more than 0 and at most a day, not {minutes}")
    if max_steps is not None and max_steps < 1:
        raise BadRequest(f"'max_steps' must be at least 1, not {max_steps}")
    spec = spec_for(ctx.image.connection.root(), persona)  # NoModel: no trainable base
    forge, publish, settings = ctx.forge, ctx.publish, ctx.forge.settings
    curation = _curated(ctx)

    async def run(call: Any) -> dict:
        dataset, _tests = await curation
        if len(dataset.pairs) < settings.min_pairs:
            raise BadRequest(f"the image's dataset has {len(dataset.pairs)} pair(s); the forge trains on at least "
                             f"{settings.min_pairs} (forge_min_pairs)")
        forge.work.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        data = forge.work / f"{persona.lower()}-{stamp}.jsonl"
        _write(data, dataset.jsonl())
        out = forge.work / f"{persona.lower()}-{stamp}-adapter"
        with tempfile.TemporaryDirectory(dir=forge.work) as links:
            base = await asyncio.to_thread(_base_dir, spec, Path(links) / "base")

            def step(event: dict) -> None:
                publish("forge.progress", {"persona": persona, **{k: event.get(k) for k in (
                    "step", "loss", "tokens", "tokens_per_second", "left_seconds")}})

            try:
                summary = await forge.train(persona, base, data, out, rank=rank, minutes=minutes, max_steps=max_steps,
                                            on_step=step)
            except Exception as exc:
                publish("forge.failed", {"persona": persona, "error": str(exc)})
                raise
        result = {"persona": persona, "adapter": str(out), "dataset": {"pairs": len(dataset.pairs), "sha256": dataset.sha256},
                  **{k: summary.get(k) for k in ("steps", "tokens", "seconds", "loss_first", "loss_last", "rank", "device")},
                  "installed": False}
        publish("forge.done", result)
        return result

    return Later(run)


def _gate(ctx: Context, request: dict) -> Later:
    """Ask the base and the adapter the same held-out tasks and the image's own, try each answer in the jail,
    decide (bat_os.forge.gate), install the adapter only when it wins, and keep the decision in the image."""
    from bat_os.cognition.prompts import pure_prompt
    from bat_os.models.personas import canonical_persona, spec_for

    persona = canonical_persona(field(request, "persona", str))
    forge, image, jail, publish = ctx.forge, ctx.image, ctx.cognition.jail, ctx.publish
    adapter = Path(field(request, "adapter", str)).expanduser()
    if not (adapter / "adapter_config.json").is_file() or adapter.resolve().parent != forge.work.resolve():
        raise NotFound(f"{adapter} is not an adapter the forge trained (one under {forge.work})")
    margin = field(request, "margin", int, default=forge.settings.margin)
    if margin < 1:
        raise BadRequest("'margin' must be at least 1: an adapter no better than its base is never installed")
    tasks_path = Path(field(request, "tasks", str, default=str(HELD_OUT))).expanduser()
    if not tasks_path.is_file():
        raise NotFound(f"no held-out tasks file {tasks_path}")
    held_count = field(request, "held_out", int, default=12)
    tokens = field(request, "max_new_tokens", int, default=256)
    if not 16 <= tokens <= 4096:
        raise BadRequest(f"'max_new_tokens' must be between 16 and 4096, not {tokens}")
    spec = spec_for(image.connection.root(), persona)
    system = str(spec_codex(image, persona).get("system_prompt", ""))
    curation = _curated(ctx)

    async def run(call: Any) -> dict:
        dataset, _tests = await curation
        trained = {pair.provenance["selector"] for pair in dataset.pairs}
        held = [{"id": f"held:{t['id']}", "system": system, "selector": t["selector"], "checks": t["checks"],
                 "slots": t.get("slots") or {}, "prompt": pure_prompt({"selector": t["selector"], "args": t["args"],
                                                                      "kwargs": {}, "intent": t["intent"]}, [])}
                for t in _tasks(tasks_path) if t.get("kind") == "pure" and t["selector"] not in trained][:held_count]
        own = [pair.task() for pair in dataset.pairs if pair.checks]
        asked = [*held, *own]
        forge.work.mkdir(parents=True, exist_ok=True)
        prompts = forge.work / f"{adapter.name}.gate.jsonl"
        _write(prompts, "".join(json.dumps({k: t[k] for k in ("id", "system", "prompt")}) + "\n" for t in asked))
        with tempfile.TemporaryDirectory(dir=forge.work) as links:
            base = await asyncio.to_thread(_base_dir, spec, Path(links) / "base")
            plain = await forge.ask(persona, base, prompts, max_new_tokens=tokens)
            adapted = await forge.ask(persona, base, prompts, adapter, max_new_tokens=tokens)
        passed_base = {t["id"] for t in asked if await _passes(jail, t, plain.get(t["id"], ""))}
        passed_adapter = {t["id"] for t in asked if await _passes(jail, t, adapted.get(t["id"], ""))}
        verdict = decide([t["id"] for t in held], passed_base, passed_adapter, [t["id"] for t in own],
                         passed_base, passed_adapter, margin)
        name = f"forge-{adapter.name}".lower()[:64]
        decision = {"persona": persona, "adapter": str(adapter), "dataset": {"pairs": len(dataset.pairs), "sha256": dataset.sha256},
                    "at": time.time(), "installed_as": name if verdict.installed else None, **verdict.to_json()}
        if verdict.installed:
            from bat_os.models.adapters import import_adapter

            import_adapter(image, name, adapter)
        image.run(lambda: _record(image.connection.root(), persona, decision, name if verdict.installed else None),
                  note=f"forge: gate for {persona}")
        publish("forge.gate", decision)
        return decision

    return Later(run)


def spec_codex(image: Any, persona: str) -> dict:
    from bat_os.models.personas import codex_of

    return codex_of(image.connection.root(), persona)


def _tasks(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def _passes(jail: Any, task: dict, answer: str) -> bool:
    """Whether ``answer`` holds a method the guardian accepts that passes every one of the task's checks."""
    from bat_os.cognition import guardian, mending
    from bat_os.forge.checks import check_code
    from bat_os.jail.contract import ALLOWED_MODULES

    if not task["checks"]:
        return False
    arity = len(task["checks"][0].get("args", [])) + len(task["checks"][0].get("kwargs", {}))
    code, _ = mending.candidate_code(answer, task["selector"], arity, ALLOWED_MODULES, set(task["slots"]))
    if not code or not guardian.audit(code, task["selector"]).accepted:
        return False
    return not await check_code(jail, code, task)


def _record(root: Any, persona: str, decision: dict, installed: str | None) -> None:
    """The decision in the image's forge log; an installed adapter becomes the persona's."""
    from persistent.list import PersistentList
    from persistent.mapping import PersistentMapping

    from bat_os.image.primordial import PERSONAS

    if LOG_KEY not in root:
        root[LOG_KEY] = PersistentList()
    root[LOG_KEY].append(PersistentMapping(json.loads(json.dumps(decision))))
    if installed:
        holder = root[PERSONAS[persona]["root"]]
        holder.slots["codex"] = {**dict(holder.slots["codex"]), "lora_adapter": installed}


def _base_dir(spec: Any, into: Path) -> Path:
    """The persona's base model as a Hugging Face directory: its stored files linked, or a GGUF's conversion."""
    from bat_os.models.embedded import cache_dir
    from bat_os.models.files import link_files
    from bat_os.models.hf_loading import converted_gguf

    if spec.gguf_file is not None:
        return converted_gguf(spec.gguf_file.path, spec.provenance or {}, cache_dir())
    return link_files(spec.files, into)


COMMANDS = (Command("forge", forge, writes=False),)

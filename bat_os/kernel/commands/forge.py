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
     "held_out"?: forge_held_out (12), "max_new_tokens"?: 256}
        -> {"persona", "adapter", "dataset", "at", "installed", "installed_as", "why", "held_out", "own", "margin"}
    {"command": "forge", "action": "use", "persona": "ALFRED", "adapter": NAME | "none", "max_new_tokens"?: 256}
        -> {"persona", "adapter", "installed": true, "own", "llama_cpp"?, ...} | tests_failed (nothing changed)
    {"command": "forge", "action": "cancel"} -> {"cancelled": true | false}
    {"command": "forge", "action": "status"}
        -> {"running": {"persona", "pid"} | null, "minutes", "min_pairs", "rank", "margin",
            "adapters": [{"name", "forms": ["peft", "gguf"], "used_by", ...}], "decisions": [the last 20]}

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
forge log (``status``) and published as ``forge.gate``. An installed adapter of a persona whose model is a GGUF
file also gets its llama.cpp form (``adapter.gguf``, :mod:`bat_os.models.lora_gguf`), so llama.cpp runs it.
``use`` switches by hand: a stored adapter is first asked the image's own methods, as the gate asks them, and
refused (``tests_failed``, nothing changed) when it is worse than the base on any; ``none`` gives the persona its
base model back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bat_os.cognition.methods.tests import rerun
from bat_os.errors import BadRequest, Internal, NotFound, TestsFailed
from bat_os.forge.curator import MAX_PAIRS, Dataset, gather
from bat_os.forge.gate import decide
from bat_os.kernel.commands.base import Command, Context, Later, field
from bat_os.kernel.commands.selfcheck import tested_methods

logger = logging.getLogger(__name__)

LISTED = 50
ACTIONS = ("dataset", "train", "gate", "use", "cancel", "status")
HELD_OUT = Path(__file__).resolve().parents[2] / "forge" / "held_out.jsonl"  # pure requests with hidden checks, package data
LOG_KEY = "batos_forge"  # the root's list of the gate's decisions (created by the first; older images have none)


def forge(ctx: Context, request: dict) -> Any:
    action = field(request, "action", str)
    if action not in ACTIONS:
        raise BadRequest(f"forge's actions are {', '.join(ACTIONS)}, not {action!r}")
    if ctx.forge is None:
        raise Internal("this process runs no forge")
    if action == "status":
        root = ctx.image.connection.root()
        return {**ctx.forge.status(), "adapters": _adapters(root),
                "decisions": [dict(d) for d in list(root.get(LOG_KEY, []))[-20:]]}
    if action == "cancel":
        return {"cancelled": ctx.forge.cancel()}
    if ctx.cognition is None:
        raise Internal("this process runs no jail: the methods' tests cannot run here")
    if action == "gate":
        return _gate(ctx, request)
    if action == "use":
        return _use(ctx, request)
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
                ctx.audit("forge", action="train", persona=persona, outcome="failed", error=str(exc)[:500])
                publish("forge.failed", {"persona": persona, "error": str(exc)})
                raise
        result = {"persona": persona, "adapter": str(out), "dataset": {"pairs": len(dataset.pairs), "sha256": dataset.sha256},
                  **{k: summary.get(k) for k in ("steps", "tokens", "seconds", "loss_first", "loss_last", "rank", "device")},
                  "installed": False}
        ctx.audit("forge", action="train", outcome="trained", **{k: v for k, v in result.items() if k != "dataset"},
                  dataset_sha256=dataset.sha256, pairs=len(dataset.pairs))
        publish("forge.done", result)
        return result

    return Later(run)


def _gate(ctx: Context, request: dict) -> Later:
    """Ask the base and the adapter the same held-out tasks and the image's own, try each answer in the jail,
    decide (bat_os.forge.gate), install the adapter only when it wins, and keep the decision in the image."""
    from bat_os.cognition.author.prompts import pure_prompt
    from bat_os.models.personas import canonical_persona, spec_for

    persona = canonical_persona(field(request, "persona", str))
    forge, image, jail, publish, audit = ctx.forge, ctx.image, ctx.cognition.jail, ctx.publish, ctx.audit
    adapter = Path(field(request, "adapter", str)).expanduser()
    if not (adapter / "adapter_config.json").is_file() or adapter.resolve().parent != forge.work.resolve():
        raise NotFound(f"{adapter} is not an adapter the forge trained (one under {forge.work})")
    margin = field(request, "margin", int, default=forge.settings.margin)
    if margin < 1:
        raise BadRequest("'margin' must be at least 1: an adapter no better than its base is never installed")
    tasks_path = Path(field(request, "tasks", str, default=str(HELD_OUT))).expanduser()
    if not tasks_path.is_file():
        raise NotFound(f"no held-out tasks file {tasks_path}")
    held_count = field(request, "held_out", int, default=forge.settings.held_out)
    if held_count < 1:
        raise BadRequest(f"'held_out' must be at least 1, not {held_count}")
    tokens = _tokens(request)
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
            llama_form = await asyncio.to_thread(gguf_form, adapter, spec, base) if verdict.installed else None
        name = f"forge-{adapter.name}".lower()[:64]
        decision = {"persona": persona, "adapter": str(adapter), "dataset": {"pairs": len(dataset.pairs), "sha256": dataset.sha256},
                    "at": time.time(), "installed_as": name if verdict.installed else None, **verdict.to_json(),
                    **({"llama_cpp": llama_form} if verdict.installed else {})}
        if verdict.installed:
            from bat_os.models.adapters import import_adapter

            import_adapter(image, name, adapter)
        image.run(lambda: _record(image.connection.root(), persona, decision, name if verdict.installed else None),
                  note=f"forge: gate for {persona}")
        audit("forge", **_audited(decision))
        publish("forge.gate", decision)
        return decision

    return Later(run)


def _use(ctx: Context, request: dict) -> Any:
    """``use``: a stored adapter made the persona's by hand, once it is worse on none of the image's own methods
    (each asked again with and without it, every answer tried on the method's stored tests); ``none``: the base."""
    from bat_os.models.files import committed_files
    from bat_os.models.personas import canonical_persona, spec_for
    from bat_os.models.records import store_of

    persona = canonical_persona(field(request, "persona", str))
    wanted = field(request, "adapter", str).lower()
    forge, image, jail, publish, audit = ctx.forge, ctx.image, ctx.cognition.jail, ctx.publish, ctx.audit
    root = image.connection.root()
    spec = spec_for(root, persona)
    if wanted == "none":
        decision = {"action": "use", "persona": persona, "adapter": None, "at": time.time(), "installed_as": None,
                    "installed": True, "why": "the base model alone, by hand"}

        async def base_alone(call: Any) -> dict:  # awaited: the command's own handler writes nothing
            image.run(lambda: _record(image.connection.root(), persona, decision, None, clear=True),
                      note=f"forge: {persona} uses its base")
            audit("forge", **_audited(decision))
            publish("forge.use", decision)
            return decision

        return Later(base_alone)
    store = store_of(root, create=False)
    record = store.adapters.get(wanted) if store is not None else None
    if record is None:
        raise NotFound(f"no adapter {wanted!r} in the image (forge status lists them)")
    if "peft" not in record.forms():
        raise BadRequest(f"{wanted} holds only llama.cpp's form: it cannot be tried on the stored tests here; "
                         "import its PEFT form (adapter_config.json and adapter_model.safetensors) too")
    files = committed_files(record)
    system = str(spec_codex(image, persona).get("system_prompt", ""))
    tokens = _tokens(request)
    curation = _curated(ctx)

    async def run(call: Any) -> dict:
        from bat_os.models.adapters import import_adapter
        from bat_os.models.files import link_files

        dataset, _tests = await curation
        own = [pair.task() for pair in dataset.pairs if pair.checks]
        forge.work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=forge.work) as work:
            adapter = link_files(files, Path(work) / wanted)
            base = await asyncio.to_thread(_base_dir, spec, Path(work) / "base")
            passed_base = passed_adapter = set()
            if own:
                prompts = Path(work) / "own.jsonl"
                _write(prompts, "".join(json.dumps({"id": t["id"], "system": system, "prompt": t["prompt"]}) + "\n" for t in own))
                plain = await forge.ask(persona, base, prompts, max_new_tokens=tokens)
                adapted = await forge.ask(persona, base, prompts, adapter, max_new_tokens=tokens)
                passed_base = {t["id"] for t in own if await _passes(jail, t, plain.get(t["id"], ""))}
                passed_adapter = {t["id"] for t in own if await _passes(jail, t, adapted.get(t["id"], ""))}
            verdict = decide([], set(), set(), [t["id"] for t in own], passed_base, passed_adapter, margin=0)
            llama_form = await asyncio.to_thread(gguf_form, adapter, spec, base) if verdict.installed else None
            if verdict.installed and llama_form == "adapter.gguf made":
                import_adapter(image, wanted, adapter)  # the same adapter, now with its llama.cpp form
        decision = {"action": "use", "persona": persona, "adapter": wanted, "at": time.time(),
                    "installed_as": wanted if verdict.installed else None, **verdict.to_json(),
                    "why": f"by hand, no worse than the base on the image's own {len(own)} method(s)",
                    **({"llama_cpp": llama_form} if verdict.installed else {})}
        if not verdict.installed:  # nothing changed
            raise TestsFailed(f"{wanted} is worse than {persona}'s base on {len(verdict.own['regressions'])} of the image's "
                              f"own methods: not used", failures=[{"method": i} for i in verdict.own["regressions"]])
        image.run(lambda: _record(image.connection.root(), persona, decision, wanted), note=f"forge: {persona} uses {wanted}")
        audit("forge", **_audited(decision))
        publish("forge.use", decision)
        return decision

    return Later(run)


def due(ctx: Context, every: int) -> dict | None:
    """The heartbeat's question: has the image's dataset grown by ``every`` pairs since the last gate decision (or
    since none)? ``{"pairs", "since"}`` when a forge round is due, else None. Counted without running the tests
    again (the round does run them)."""
    if every <= 0 or ctx.forge is None or ctx.cognition is None or ctx.forge.running is not None:
        return None
    root = ctx.image.connection.root()
    pairs = len(gather(root).pairs)
    since = next((d["dataset"]["pairs"] for d in reversed(list(root.get(LOG_KEY, [])))
                  if d.get("dataset") and d.get("action") != "use"), 0)
    return {"pairs": pairs, "since": since} if pairs - since >= every else None


async def forge_round(ctx: Context, persona: str = "ALFRED") -> dict:
    """A heartbeat's forge round: the author's adapter trained on the image's pairs, then gated (installed only
    when it wins), in the forge's worker processes (the kernel answers while they run)."""
    trained = await _train(ctx, {"persona": persona}).run(None)
    decision = await _gate(ctx, {"persona": persona, "adapter": trained["adapter"]}).run(None)
    return {"persona": persona, "adapter": trained["adapter"], "steps": trained["steps"], "pairs": trained["dataset"]["pairs"],
            "installed": decision["installed"], "why": decision["why"], "held_out": decision["held_out"]}


def _tokens(request: dict) -> int:
    tokens = field(request, "max_new_tokens", int, default=256)
    if not 16 <= tokens <= 4096:
        raise BadRequest(f"'max_new_tokens' must be between 16 and 4096, not {tokens}")
    return tokens


def _audited(decision: dict) -> dict:
    """A decision's audit line: what was decided, on what data, with which scores."""
    return {"action": decision.get("action", "gate"), "persona": decision["persona"], "adapter": decision["adapter"],
            "installed": decision["installed"], "installed_as": decision["installed_as"], "why": decision["why"],
            "dataset_sha256": (decision.get("dataset") or {}).get("sha256"), "held_out": decision.get("held_out"),
            "own": decision.get("own")}


def _adapters(root: Any) -> list[dict]:
    """Every stored adapter, its forms, and the personas whose codex names it."""
    from bat_os.image.primordial import PERSONAS
    from bat_os.models.personas import codex_of
    from bat_os.models.records import store_of

    store = store_of(root, create=False)
    if store is None:
        return []
    users = {p: codex_of(root, p).get("lora_adapter") for p in PERSONAS}
    return [{"name": name, "base": record.base, "size": record.total_size, "sha256": record.sha256,
             "imported_at": record.imported_at, "used_by": sorted(p for p, a in users.items() if a == name),
             "forms": record.forms()}
            for name, record in store.adapters.items()]


def spec_codex(image: Any, persona: str) -> dict:
    from bat_os.models.personas import codex_of

    return codex_of(image.connection.root(), persona)


def _tasks(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def _passes(jail: Any, task: dict, answer: str) -> bool:
    """Whether ``answer`` holds a method the guardian accepts that passes every one of the task's checks."""
    from bat_os.cognition.author import mending
    from bat_os.jail import guardian
    from bat_os.forge.checks import check_code
    from bat_os.jail.contract import ALLOWED_MODULES

    if not task["checks"]:
        return False
    arity = len(task["checks"][0].get("args", [])) + len(task["checks"][0].get("kwargs", {}))
    code, _ = mending.candidate_code(answer, task["selector"], arity, ALLOWED_MODULES, set(task["slots"]))
    if not code or not guardian.audit(code, task["selector"]).accepted:
        return False
    return not await check_code(jail, code, task)


def _record(root: Any, persona: str, decision: dict, installed: str | None, clear: bool = False) -> None:
    """The decision in the image's forge log; an installed adapter becomes the persona's (``clear``: none)."""
    from persistent.list import PersistentList
    from persistent.mapping import PersistentMapping

    from bat_os.image.primordial import PERSONAS

    if LOG_KEY not in root:
        root[LOG_KEY] = PersistentList()
    root[LOG_KEY].append(PersistentMapping(json.loads(json.dumps(decision))))
    if installed or clear:
        holder = root[PERSONAS[persona]["root"]]
        holder.slots["codex"] = {**dict(holder.slots["codex"]), "lora_adapter": installed}


def gguf_form(adapter: Path, spec: Any, base: Path) -> str:
    """For a persona whose model is a GGUF file (run by llama.cpp), the adapter's llama.cpp form written beside its
    PEFT files (``adapter.gguf``); what was done, or why not (the adapter then runs in the transformers engine)."""
    from bat_os.errors import ModelError
    from bat_os.models.lora_gguf import GGUF_FILE, convert

    if spec.gguf_file is None:
        return "not needed: the base model is a Hugging Face model (transformers runs it)"
    if (adapter / GGUF_FILE).is_file():
        return f"{GGUF_FILE} kept"
    try:
        convert(adapter, base, adapter / GGUF_FILE)
    except (ModelError, OSError, subprocess.TimeoutExpired) as exc:
        logger.warning("the adapter %s has no llama.cpp form: %s", adapter.name, exc)
        return f"not made: {exc}"
    return f"{GGUF_FILE} made"


def _base_dir(spec: Any, into: Path) -> Path:
    """The persona's base model as a Hugging Face directory: its stored files linked, or a GGUF's conversion."""
    from bat_os.models.embedded import cache_dir
    from bat_os.models.files import link_files
    from bat_os.models.hf_loading import converted_gguf

    if spec.gguf_file is not None:
        return converted_gguf(spec.gguf_file.path, spec.provenance or {}, cache_dir())
    return link_files(spec.files, into)


COMMANDS = (Command("forge", forge, writes=False),)

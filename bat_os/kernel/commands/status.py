"""``status``: how the kernel and its image are doing.

::

    {"command": "status"}
    -> {"uptime", "version", "pid", "endpoint", "queue_depth", "queue_size",
        "requests": {"received", "answered", "errors", "busy"},
        "image": {"path", "blob_dir", "size_bytes", "schema_version", "last_transaction"}, "objects",
        "active_cycles", "cycles": {"total", "unfinished"}, "llm": "models" | "replay:<cassette>",
        "models": {"personas", "engines": {engine: [persona]}, "manager", "pull"?, "hint"?},
        "jail": {protections} | null, "capabilities_built",
        "knowledge": {documents, chunks, pending, embedder, index_bytes, ...} | null,
        "upkeep": {"image_bytes", "history", "last_backup", "next_backup_at", "pack", ...} | null}
"""

from __future__ import annotations

from typing import Any

from bat_os.image.objects import UvmObject
from bat_os.kernel.commands.base import Command, Context
from bat_os.models.personas import engines_in_use, persona_table


def status(ctx: Context, request: dict) -> dict:
    """``{"command": "status"}`` -> uptime, image, object count, queue depth, cycles, model, version."""
    image = ctx.image
    root = image.connection.root()
    orchestrator = root.get("orchestrator_obj")
    registry = orchestrator.slots.get("cycles") if isinstance(orchestrator, UvmObject) else None
    active = [c.id for c in registry.unfinished()] if registry is not None else []
    cognition = ctx.cognition
    figures = dict(ctx.stats())
    figures.update(
        {
            "image": {
                "path": str(image.path),
                "blob_dir": str(image.blob_dir),
                "size_bytes": image.size_bytes(),
                "schema_version": image.schema_version,
                "last_transaction": image.last_transaction(),
            },
            "objects": image.object_count(),
            "active_cycles": len(active),
            "cycles": {"total": len(registry.by_id) if registry is not None else 0, "unfinished": active},
            # the backend's name; the engine each persona's model runs on is under models (personas, engines)
            "llm": cognition.backend.name if cognition is not None and cognition.backend is not None else None,
            "models": _models_status(ctx),
            "jail": dict(cognition.protections) if cognition is not None else None,
            "capabilities_built": cognition.capabilities_built if cognition is not None else 0,
            "knowledge": _knowledge_status(ctx, root.get("knowledge_catalog_obj")),
            "upkeep": ctx.backups.status(root) if ctx.backups is not None else None,  # bat_os.kernel.backups
        }
    )
    return figures


def _knowledge_status(ctx: Context, catalog: Any) -> dict | None:
    """Documents, chunks, pending embeddings; the embedder and the vector index (see bat_os.memory.service)."""
    if not hasattr(catalog, "summary"):
        return None
    report = dict(catalog.summary())
    memory = ctx.cognition.memory if ctx.cognition is not None else None
    if memory is not None:
        report.update(embedder=memory.state, index_bytes=memory.index_bytes(), **memory.stats)
    return report


def _models_status(ctx: Context) -> dict:
    """Persona models: which persona has which and the engine that runs it, what is resident, downloads (see
    bat_os.models.personas). Without the models backend no engine runs them: ``engines`` is empty."""
    models = ctx.cognition.models if ctx.cognition is not None else None
    if models is None:
        table = persona_table(ctx.image.connection.root())
        return {"personas": table, "engines": engines_in_use(table), "manager": None}
    return models.status()


COMMANDS = (Command("status", status, writes=False),)

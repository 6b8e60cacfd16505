"""The migrations, in order: what each schema version of the image adds.

:meth:`bat_os.image.image.Image.awaken` runs every migration above the
image's ``batos_schema_version``, each in its own transaction (see there).
A migration's ``apply(root, context)`` must be safe to run on an image that
already has what it adds (it only creates what is missing). New versions are
appended here, never renumbered; ``selfcheck`` expects an image at the last one.

This module assembles the world: it imports the persistent classes of the
other concerns (the catalog, the cycle registry, the model store, the
chronicle) to create them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bat_os.cognition.cycle.record import add_cycle_registry, drop_plans
from bat_os.image import chronicle, primordial
from bat_os.memory import catalog
from bat_os.models import records


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Any, "MigrationContext"], None]  # (root, context)


@dataclass(frozen=True)
class MigrationContext:
    codex_path: Path | None  # the persona codex seeding the catalog (None: the bundled one)
    now: Callable[[], float] = time.time


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "incarnate the primordial objects", primordial.incarnate),
    Migration(2, "a registry of cognitive cycles", add_cycle_registry),
    Migration(3, "a store for persona models and adapters", records.ensure_store),
    Migration(4, "semantic memory: metadata index, embeddings, change log", catalog.upgrade_catalog),
    Migration(5, "the chronicle of backups and restores", chronicle.ensure_chronicle),
    Migration(6, "the cycle's states follow the table (SPECIFYING: tests before code)", primordial.refresh_states),
    Migration(7, "traits learn clone, new and dispatch (objects made by methods; a message chosen at run time)",
              primordial.refresh_traits),
    Migration(8, "the cycle's states follow the table (PLANNING: a hard request learned in parts)", primordial.refresh_states),
    Migration(9, "plans are gone: a planning cycle writes its method whole, its parts end, PLANNING leaves the table",
              drop_plans),
    Migration(10, "the cycle's states follow the table (without PLANNING)", primordial.refresh_states),
)


def default_migrations() -> list[Migration]:
    """A fresh list of :data:`MIGRATIONS` (callers slice or extend it)."""
    return list(MIGRATIONS)


def newest_version() -> int:
    """The schema version an image has once every migration here has run."""
    return max(m.version for m in MIGRATIONS)

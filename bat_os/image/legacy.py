"""Where persistent classes lived before: pickles in an image name classes by module path.

An image written by earlier code names its objects' classes by the paths they
had then (``bat_os.objects.UvmObject``, ...). :data:`MOVED` maps every such
path to where the class lives now, and :class:`~bat_os.image.image.Image`
opens its database with :func:`find_class` as ZODB's class factory, so an old
image opens, and its objects load as the current classes. New records are
written with the new paths; old records keep theirs until they are next
written, so this table only ever grows. ``tests/test_old_image.py`` opens an
image made before the first move, ``tests/test_cycles_image.py`` one made before the second.
"""

from __future__ import annotations

from typing import Any

from ZODB.broken import find_global

#: (old module, class name) -> (module, class name) now.
MOVED: dict[tuple[str, str], tuple[str, str]] = {
    # 0.1.0 (up to commit 294aa08): one flat package
    ("bat_os.objects", "UvmObject"): ("bat_os.image.objects", "UvmObject"),
    ("bat_os.objects", "Method"): ("bat_os.image.objects", "Method"),
    ("bat_os.objects", "CovenantList"): ("bat_os.image.objects", "CovenantList"),
    ("bat_os.objects", "CovenantMapping"): ("bat_os.image.objects", "CovenantMapping"),
    ("bat_os.chronicle", "Chronicle"): ("bat_os.image.chronicle", "Chronicle"),
    ("bat_os.cycle", "Cycle"): ("bat_os.cognition.cycle.record", "Cycle"),
    ("bat_os.cycle", "CycleRegistry"): ("bat_os.cognition.cycle.record", "CycleRegistry"),
    ("bat_os.catalog", "Chunk"): ("bat_os.memory.catalog", "Chunk"),
    ("bat_os.catalog", "KnowledgeCatalog"): ("bat_os.memory.catalog", "KnowledgeCatalog"),
    ("bat_os.model_store", "StoredFile"): ("bat_os.models.records", "StoredFile"),
    ("bat_os.model_store", "ModelRecord"): ("bat_os.models.records", "ModelRecord"),
    ("bat_os.model_store", "AdapterRecord"): ("bat_os.models.records", "AdapterRecord"),
    ("bat_os.model_store", "ModelStore"): ("bat_os.models.records", "ModelStore"),
    # up to a831248: the cognition wing flat, its cycles in bat_os.cognition.cycle (now a package of the pipeline)
    ("bat_os.cognition.cycle", "Cycle"): ("bat_os.cognition.cycle.record", "Cycle"),
    ("bat_os.cognition.cycle", "CycleRegistry"): ("bat_os.cognition.cycle.record", "CycleRegistry"),
}


def find_class(module: str, name: str) -> Any:
    """The class a pickle names, where it lives now (ZODB's ``Broken`` stand-in if it is gone)."""
    module, name = MOVED.get((module, name), (module, name))
    return find_global(module, name)

"""Old class paths: an image names its classes by the paths they had when it was written."""

from __future__ import annotations

import importlib

import ZODB.broken

from bat_os.image import legacy
from bat_os.image.image import ImageDB


def test_every_moved_class_is_found_where_it_lives_now():
    for (old_module, old_name), (module, name) in legacy.MOVED.items():
        cls = getattr(importlib.import_module(module), name)
        assert legacy.find_class(old_module, old_name) is cls, (old_module, old_name)
        assert legacy.find_class(module, name) is cls  # new paths as they are


def test_anything_else_is_found_as_zodb_finds_it():
    from persistent.mapping import PersistentMapping

    assert legacy.find_class("persistent.mapping", "PersistentMapping") is PersistentMapping
    missing = legacy.find_class("bat_os.nowhere", "Gone")
    assert issubclass(missing, ZODB.broken.Broken)


def test_the_image_database_uses_it():
    db = ImageDB(None)
    try:
        assert db.classFactory(None, "bat_os.objects", "UvmObject") is legacy.find_class("bat_os.objects", "UvmObject")
    finally:
        db.close()

"""Values between the image and the wire: references out, references in."""

from __future__ import annotations

import pytest

from bat_os.errors import BadRequest, NotFound
from bat_os.image.codec import MAX_DEPTH, from_wire, reference, render
from bat_os.image.objects import UvmObject


@pytest.fixture
def image(awake_image):
    return awake_image


def test_objects_render_as_references_and_plain_data_as_itself(image):
    def read():
        genesis = image.connection.root()["genesis_obj"]
        traits = image.connection.root()["traits_obj"]
        return render({"g": genesis, "m": traits.slots["echo"], "n": [1, "x", None], "new": UvmObject()})

    out = image.read(read)
    assert out["g"]["$oid"].startswith("0x") and out["g"]["type"] == "UvmObject" and out["g"]["name"] == "genesis"
    assert out["m"] == {"$method": "echo", "origin": "system"}
    assert out["n"] == [1, "x", None]
    assert out["new"]["unsaved"] is True and "$repr" in out["new"]
    assert reference(42) is None and reference({"a": 1}) is None


def test_references_in_become_objects_through_resolve(image):
    def read():
        genesis = image.connection.root()["genesis_obj"]
        oid = render(genesis)["$oid"]
        value = from_wire({"list": [{"$oid": oid}], "keep": {"$oid": oid, "extra": 1}}, image.resolve)
        assert value["list"][0] is genesis
        assert value["keep"] == {"$oid": oid, "extra": 1}  # not exactly {"$oid"}: kept as data
        with pytest.raises(NotFound):
            from_wire([{"$oid": "0xffffff"}], image.resolve)

    image.read(read)
    deep: object = 1
    for _ in range(MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(BadRequest, match="nested too deeply"):
        from_wire(deep, lambda ref: ref)
    assert from_wire([{"$oid": "self"}], lambda ref: f"<{ref}>") == ["<self>"]

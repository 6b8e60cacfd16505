"""Packing an image (bat_os.image.packing): real FileStorage files in tmp_path, packs on a real thread."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from persistent.mapping import PersistentMapping
from ZODB.blob import Blob
from ZODB.serialize import referencesf
from ZODB.utils import z64

from bat_os.image import packing
from bat_os.image.image import Image


@pytest.fixture
def image(tmp_path):
    opened = Image(tmp_path / "live_image.fs")
    try:
        yield opened
    finally:
        opened.close()


def _put(image, **values):
    def work():
        root = image.connection.root()
        for key, value in values.items():
            if isinstance(value, bytes):
                blob = Blob()
                with blob.open("w") as fh:
                    fh.write(value)
                root[key] = blob
            else:
                root[key] = value
    image.run(work)


def _get(image, key):
    return image.read(lambda: image.connection.root()[key])


def _revisions(image, key) -> int:
    oid = image.read(lambda: image.connection.root()[key]._p_oid)
    return len(image.storage.history(oid, size=1000))


def _files(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir() if p.is_file())


def test_a_pack_drops_replaced_revisions_and_unreachable_objects_and_keeps_what_the_root_reaches(image, tmp_path):
    _put(image, box=PersistentMapping({"v": "x" * 50_000}))
    for i in range(20):  # history: 20 replaced revisions of one object, and 20 objects nothing reaches
        _put(image, box=PersistentMapping({"v": str(i) * 50_000}))
    before = packing.measure_history(image.path)
    assert before["bytes"] > 20 * 50_000 and before["records"] >= 20
    size_before = image.size_bytes()
    watch = packing.PackWatch()
    outcome = packing.pack_storage(image.storage, image.path, time.time(), watch)
    assert outcome.packed and outcome.size_before == size_before and outcome.size_after == image.size_bytes()
    assert outcome.size_after < size_before - before["bytes"] * 0.9  # about what the measure said a pack drops
    assert watch.stage == "done" and watch.total == size_before and 0 < watch.done <= size_before
    assert _get(image, "box")["v"] == "19" * 50_000
    after = packing.measure_history(image.path)
    assert after["bytes"] < 1_000 and after["objects"] == before["objects"]  # a root, a box, its mapping... all stay
    assert _files(tmp_path) == ["live_image.fs", "live_image.fs.index", "live_image.fs.lock", "live_image.fs.tmp"]


def test_a_pack_keeps_the_history_newer_than_its_pack_time(image):
    _put(image, slot=PersistentMapping({"v": 1}))
    _put(image, slot=PersistentMapping({"v": 2}))
    root_revisions = _revisions(image, "slot")
    box = image.read(lambda: image.connection.root()["slot"])

    def change(value):
        def work():
            image.connection.root()["slot"]["v"] = value
        image.run(work)

    change(3)
    change(4)
    pack_time = time.time()
    time.sleep(0.01)
    change(5)
    change(6)
    assert _revisions(image, "slot") == root_revisions + 4
    packing.pack_storage(image.storage, image.path, pack_time, packing.PackWatch())
    # the revision current at the pack time stays, and every later one; the earlier ones go
    assert _revisions(image, "slot") == 3
    assert image.read(lambda: dict(image.connection.root()["slot"])) == {"v": 6}
    assert box._p_oid == image.read(lambda: image.connection.root()["slot"]._p_oid)


def test_a_pack_with_nothing_to_drop_changes_nothing(image):
    _put(image, a=1)
    image.storage.pack(time.time(), referencesf)  # ZODB's own pack: nothing older is left
    size = image.size_bytes()
    time.sleep(0.01)
    outcome = packing.pack_storage(image.storage, image.path, time.time(), packing.PackWatch())
    assert not outcome.packed and image.size_bytes() == size == outcome.size_after
    assert not (image.path.parent / "live_image.fs.pack").exists()
    assert not (image.path.parent / "live_image.fs.packing").exists()


def test_a_pack_drops_the_blob_files_of_unreachable_objects_and_keeps_no_old_file(image, tmp_path):
    _put(image, weights=b"w" * 10_000)
    _put(image, weights=b"v" * 20_000)  # a new Blob: the first one is garbage now
    assert packing.tree_bytes(image.blob_dir) == 30_000
    packing.pack_storage(image.storage, image.path, time.time(), packing.PackWatch())
    assert packing.tree_bytes(image.blob_dir) == 20_000
    with image.read(lambda: image.connection.root()["weights"]).open("r") as fh:
        assert fh.read() == b"v" * 20_000
    assert not (tmp_path / "live_image.fs.old").exists() and not (tmp_path / "live_image.blobs.old").exists()


def test_a_pack_asked_to_stop_leaves_the_image_as_it_was(image, tmp_path):
    for i in range(30):
        _put(image, **{f"k{i % 3}": "y" * 10_000 + str(i)})
    size, content = image.size_bytes(), image.path.read_bytes()
    watch = packing.PackWatch(stop=True)
    with pytest.raises(packing.PackStopped):
        packing.pack_storage(image.storage, image.path, time.time(), watch)
    assert image.size_bytes() == size and image.path.read_bytes() == content
    assert "live_image.fs.pack" not in _files(tmp_path) and "live_image.fs.packing" not in _files(tmp_path)
    _put(image, after="stop")  # the storage serves on, and packs later
    assert packing.pack_storage(image.storage, image.path, time.time(), packing.PackWatch()).packed
    assert _get(image, "k2") == "y" * 10_000 + "29" and _get(image, "after") == "stop"


def test_the_packer_runs_on_a_thread_while_the_image_commits(image):
    for i in range(200):
        _put(image, **{f"k{i % 10}": PersistentMapping({"v": "z" * 20_000})})
    watch = packing.PackWatch()
    done: list = []
    thread = threading.Thread(target=lambda: done.append(packing.pack_storage(image.storage, image.path, time.time(), watch)))
    thread.start()
    written = 0
    while thread.is_alive() or written < 5:
        _put(image, **{f"during{written}": written})  # commits meanwhile, on this thread
        written += 1
    thread.join()
    assert done and done[0].packed
    assert [_get(image, f"during{i}") for i in range(written)] == list(range(written))


def _image_with_history(path):
    image = Image(path)
    for i in range(10):
        _put(image, data=PersistentMapping({"v": str(i) * 10_000}))
    image.close()


@pytest.mark.parametrize("state", ["copying", "between the renames", "after the renames"])
def test_what_a_pack_cut_short_leaves_is_put_right_when_the_image_opens(tmp_path, state):
    path = tmp_path / "live_image.fs"
    _image_with_history(path)
    whole = path.read_bytes()
    marker, pack, old, index = (tmp_path / f"live_image.fs{ext}" for ext in (".packing", ".pack", ".old", ".index"))
    marker.write_text('{"started": 1.0, "pid": 99, "pack_time": 2.0, "size": %d}' % len(whole))
    if state == "copying":  # a half-written .pack beside the untouched image
        pack.write_bytes(whole[:1000])
    elif state == "between the renames":  # the image renamed to .old; the .pack not yet renamed to the image
        shutil.move(path, old)
        pack.write_bytes(whole[:1000])
    else:  # the packed file in place (here: the same bytes), the old one beside it, the index perhaps stale
        old.write_bytes(whole)
    image = Image(path)
    try:
        found = image.pack_recovery
        assert found["state"] == {"copying": "before", "between the renames": "before", "after the renames": "after"}[state]
        assert (found["pid"], found["pack_time"], found["size_before"]) == (99, 2.0, len(whole))
        assert (state == "between the renames") == any(a.startswith("put live_image.fs.old back") for a in found["actions"])
        assert _get(image, "data")["v"] == "9" * 10_000
        assert not marker.exists() and not pack.exists() and not old.exists()
        assert packing.pack_storage(image.storage, image.path, time.time(), packing.PackWatch()).packed  # packs again
    finally:
        image.close()
    again = Image(path)
    try:
        assert again.pack_recovery is None and _get(again, "data")["v"] == "9" * 10_000
    finally:
        again.close()


def test_nothing_is_recovered_while_another_process_holds_the_image(tmp_path):
    path = tmp_path / "live_image.fs"
    holder = Image(path)
    try:
        (tmp_path / "live_image.fs.pack").write_bytes(b"a pack under way")
        assert packing.recover_interrupted_pack(path) is None
        assert (tmp_path / "live_image.fs.pack").read_bytes() == b"a pack under way"  # not ours to touch
        reader = Image(path, read_only=True)  # a reader never recovers
        assert reader.pack_recovery is None
        reader.close()
    finally:
        holder.close()


def test_the_history_measure_counts_replaced_and_unreachable_records(image):
    _put(image, keep=PersistentMapping({"v": "a" * 1000}))
    base = packing.measure_history(image.path)
    _put(image, keep=PersistentMapping({"v": "b" * 1000}))  # the first mapping is unreachable now
    measure = packing.measure_history(image.path, image.blob_dir)
    grew = measure["bytes"] - base["bytes"]
    assert 1000 + 2 * packing.DATA_HEADER < grew < 1000 + 500  # the old mapping, and the root's old revision
    assert measure["objects"] == base["objects"] and measure["blob_bytes"] == 0
    assert measure["transactions"] == base["transactions"] + 1
    assert image.read(lambda: image.connection.root()._p_oid) == z64

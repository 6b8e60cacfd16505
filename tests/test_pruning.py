"""Retention (bat_os.supervise.backup.pruning): chains of real repozo backups in tmp_path, pruned and restored."""

from __future__ import annotations

import time

import pytest
from ZODB.blob import Blob
from ZODB.serialize import referencesf

from bat_os.image.image import Image
from bat_os.supervise import backup as backups
from bat_os.supervise.backup.pruning import chains, doomed

F1, I2, I3, F4, I5, F6 = ("2025-01-01-00-00-01.fs", "2025-01-01-00-00-02.deltafs", "2025-01-01-00-00-03.deltafs",
                          "2025-01-01-00-00-04.fsz", "2025-01-01-00-00-05.deltafsz", "2025-01-01-00-00-06.fs")


def test_chains_start_at_each_full_backup():
    assert chains([I3, F4, F1, I2, I5]) == [[F1, I2, I3], [F4, I5]]
    assert chains([I2, I3, F4]) == [[I2, I3], [F4]]  # incrementals whose full is gone: a chain of their own
    assert chains([]) == []


@pytest.mark.parametrize("keep, gone", [
    (0, []),  # keep all
    (1, [[F1, I2, I3], [F4, I5]]),
    (2, [[F1, I2, I3]]),  # the newest two are I5 and F6: I5 needs F4, so F4's chain stays whole
    (3, [[F1, I2, I3]]),
    (4, []),  # the fourth newest, I3, needs F1 and I2
    (10, []),
])
def test_only_chains_none_of_the_newest_backups_needs_go(keep, gone):
    assert doomed([F1, I2, I3, F4, I5, F6], keep) == gone


@pytest.fixture
def paths(tmp_path):
    return tmp_path / "data" / "live_image.fs", tmp_path / "data" / "live_image.blobs", tmp_path / "backups"


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


def _clock(start=1_700_000_000.0):
    ticks = iter(range(1000))
    return lambda: start + next(ticks)


def test_prune_keeps_the_newest_backups_restorable_and_removes_whole_older_chains(paths):
    image_path, blob_dir, backup_dir = paths
    image = Image(image_path)
    taken = []
    try:
        for i, full in enumerate([True, False, False, True, False]):  # F I I F I
            if i == 3:  # the image drops the blobs nothing reaches (a pack): only the mirror holds them now
                image.storage.pack(time.time(), referencesf)
            _put(image, mark=i, weights=b"w%d" % i * 1000)  # a new blob each time: the old ones stay until a pack
            taken.append(backups.backup(image_path, backup_dir, full=full, now=_clock()))
    finally:
        image.close()
    assert [t.kind for t in taken] == ["full", "incremental", "incremental", "full", "incremental"]
    first_blobs = set(backups.read_manifest(backup_dir, taken[1].id)) - set(backups.read_manifest(backup_dir, taken[3].id))
    assert len(first_blobs) == 2  # w0 and w1, dropped by the pack

    record = backups.prune(backup_dir, 2, now=lambda: 42.0)
    assert record is not None and record.ids == ",".join(t.id for t in taken[:3]) and record.count == 3
    assert (record.keep, record.kept, record.time, record.event) == (2, 2, 42.0, "pruned")
    assert backups.backup_ids(backup_dir) == [taken[3].id, taken[4].id]
    repo = sorted(p.name for p in (backup_dir / "repozo").iterdir())
    assert not any(p.startswith(tuple(t.id for t in taken[:3])) for p in repo), repo  # data, .dat, .index: all gone
    assert not any((backup_dir / "manifests" / f"{t.id}.json").exists() for t in taken[:3])
    mirror = backups.blob_files(backup_dir / "blobs")
    assert not first_blobs & set(mirror)  # the first backups' blobs, which no manifest left lists
    assert set(backups.read_manifest(backup_dir, taken[4].id)) <= set(mirror)
    assert record.bytes >= sum(t.size for t in taken[:3]) and record.blob_files == 2
    assert backups.read_log(backup_dir)[-1] == record.as_dict()  # logged, after the five backups
    assert backups.prune(backup_dir, 2) is None  # nothing more to remove

    for kept in taken[3:]:  # both kept backups restore (the incremental with its full)
        backups.restore(backup_dir, image_path, blob_dir, kept.id)
        restored = Image(image_path)
        try:
            assert restored.read(lambda: restored.connection.root()["mark"]) == taken.index(kept)
            with restored.read(lambda: restored.connection.root()["weights"]).open("r") as fh:
                assert fh.read() == b"w%d" % taken.index(kept) * 1000
        finally:
            restored.close()


def test_the_newest_chain_length_says_when_a_full_backup_is_due(paths):
    image_path, _blob_dir, backup_dir = paths
    assert backups.chain_length(backup_dir) == 0
    image = Image(image_path)
    try:
        for i, full in enumerate([True, False, False]):
            _put(image, mark=i)
            backups.backup(image_path, backup_dir, full=full)
            assert backups.chain_length(backup_dir) == i + 1
        _put(image, mark="full")
        backups.backup(image_path, backup_dir, full=True)
        assert backups.chain_length(backup_dir) == 1
    finally:
        image.close()


def test_a_manifest_that_cannot_be_read_keeps_the_mirror_whole(paths):
    image_path, _blob_dir, backup_dir = paths
    image = Image(image_path)
    try:
        ids = []
        for i in range(3):
            _put(image, weights=b"x%d" % i * 500)
            ids.append(backups.backup(image_path, backup_dir, full=True).id)
    finally:
        image.close()
    mirrored = backups.blob_files(backup_dir / "blobs")
    (backup_dir / "manifests" / f"{ids[2]}.json").write_text("not json")
    record = backups.prune(backup_dir, 1)
    assert record.count == 2 and record.blob_files == 0
    assert backups.blob_files(backup_dir / "blobs") == mirrored

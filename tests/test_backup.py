"""Backups of an image: real FileStorage and blobs in tmp_path, real repozo subprocesses."""

import json
import os
import shutil
from pathlib import Path

import pytest
from ZODB.blob import Blob

from bat_os.supervise import backup as backups
from bat_os.errors import BackupError, BackupNotFound, ImageInUse
from bat_os.image.image import Image


@pytest.fixture
def paths(tmp_path):
    image = tmp_path / "data" / "live_image.fs"
    return image, tmp_path / "data" / "live_image.blobs", tmp_path / "backups"


def clock(start=1_700_000_000.0):
    ticks = iter(range(1000))
    return lambda: start + next(ticks)


def put(image, **values):
    def work():
        root = image.connection.root()
        for key, value in values.items():
            if isinstance(value, bytes):
                blob = root.get(key) if isinstance(root.get(key), Blob) else Blob()
                with blob.open("w") as fh:
                    fh.write(value)
                root[key] = blob
            else:
                root[key] = value
    image.run(work)


def read(image, key):
    def work():
        value = image.connection.root().get(key)
        if isinstance(value, Blob):
            with value.open("r") as fh:
                return fh.read()
        return value
    return image.read(work)


def blob_listing(blob_dir):
    return {rel: size for rel, size in backups.blob_files(blob_dir).items() if rel.endswith(".blob")}


def test_full_then_incremental_backup_and_their_records(paths):
    image_path, blob_dir, backup_dir = paths
    image = Image(image_path)
    try:
        put(image, colour="blue", weights=b"w" * 1000)
        first = backups.backup(image_path, backup_dir, reason="first", now=clock())
        assert first.kind == "full" and first.reason == "first"
        assert first.time == 1_700_000_000.0 and first.time_iso == "2023-11-14T22:13:20+00:00"
        assert Path(first.file) == backup_dir / "repozo" / f"{first.id}.fs"
        assert first.size == Path(first.file).stat().st_size == first.image_size == image_path.stat().st_size
        assert first.sha256 == backups.sha256_of(Path(first.file))
        assert first.image == str(image_path)
        assert (first.blob_count, first.blob_bytes, first.blobs_new) == (1, 1000, 1)

        size_before = image_path.stat().st_size
        put(image, colour="green")
        second = backups.backup(image_path, backup_dir, reason="second", now=clock())
        assert second.kind == "incremental" and second.id > first.id
        assert Path(second.file).name == f"{second.id}.deltafs"
        assert second.image_size == image_path.stat().st_size
        assert second.size == second.image_size - size_before == Path(second.file).stat().st_size
        assert second.sha256 == backups.sha256_of(Path(second.file))
        assert (second.blob_count, second.blobs_new) == (1, 0)  # already mirrored

        forced = backups.backup(image_path, backup_dir, full=True, now=clock())
        assert forced.kind == "full" and forced.size == forced.image_size
    finally:
        image.close()
    log = backups.read_log(backup_dir)
    assert [(e["event"], e["id"], e["kind"]) for e in log] == [
        ("backup", first.id, "full"), ("backup", second.id, "incremental"), ("backup", forced.id, "full")
    ]
    assert log[0] == first.as_dict()
    assert backups.backup_ids(backup_dir) == [first.id, second.id, forced.id]


def test_a_backup_of_an_unchanged_image_points_at_the_latest(paths):
    image_path, _blob_dir, backup_dir = paths
    Image(image_path).close()
    first = backups.backup(image_path, backup_dir)
    again = backups.backup(image_path, backup_dir, reason="nothing new")
    assert again.kind == "unchanged" and again.id == first.id and again.file == first.file
    assert again.sha256 == first.sha256
    assert backups.backup_ids(backup_dir) == [first.id]  # repozo wrote nothing


def test_blobs_are_mirrored_once_by_hard_links_with_a_manifest_per_backup(paths):
    image_path, blob_dir, backup_dir = paths
    image = Image(image_path)
    try:
        put(image, a=b"alpha", b=b"beta!")
        (blob_dir / "tmp" / "uncommitted.blob").write_bytes(b"not yet")
        first = backups.backup(image_path, backup_dir)
        present = blob_listing(blob_dir)
        assert len(present) == 2 and first.blob_bytes == 10
        for rel in present:
            original, mirrored = blob_dir / rel, backup_dir / "blobs" / rel
            assert os.stat(original).st_ino == os.stat(mirrored).st_ino  # a link, not a copy
        assert not list((backup_dir / "blobs").rglob("uncommitted.blob"))
        assert backups.read_manifest(backup_dir, first.id) == backups.blob_files(blob_dir)

        put(image, a=b"alpha, second revision")
        second = backups.backup(image_path, backup_dir)
        assert (second.blob_count, second.blobs_new) == (3, 1)
        assert set(backups.read_manifest(backup_dir, second.id)) > set(backups.read_manifest(backup_dir, first.id))
    finally:
        image.close()


def test_restore_brings_back_the_committed_data_and_blobs(paths):
    image_path, blob_dir, backup_dir = paths
    image = Image(image_path)
    put(image, colour="blue", weights=b"version one")
    record = backups.backup(image_path, backup_dir)
    image_then = image_path.read_bytes()
    blobs_then = blob_listing(blob_dir)
    put(image, colour="red", weights=b"version two, longer", extra=b"an extra blob")
    image.db.pack()  # the first revision's blob file is gone from the blob dir now
    assert not set(blobs_then) & set(blob_listing(blob_dir))
    image.close()

    restored = backups.restore(backup_dir, image_path, blob_dir, record.id, reason="oops", now=clock(42.0))
    assert image_path.read_bytes() == image_then  # exactly the backed-up bytes
    assert blob_listing(blob_dir) == blobs_then
    assert (restored.id, restored.event, restored.reason, restored.time) == (record.id, "restored", "oops", 42.0)
    assert (restored.image_size, restored.blob_count, restored.blobs_restored, restored.blobs_removed) == (len(image_then), 1, 1, 2)
    assert not list(image_path.parent.glob("*.restoring*"))
    image = Image(image_path)
    try:
        assert read(image, "colour") == "blue"
        assert read(image, "weights") == b"version one"
        assert read(image, "extra") is None
    finally:
        image.close()
    assert backups.read_log(backup_dir)[-1] == restored.as_dict()


def test_restore_picks_the_state_of_the_backup_named(paths):
    image_path, blob_dir, backup_dir = paths
    image = Image(image_path)
    try:
        put(image, n=1)
        first = backups.backup(image_path, backup_dir)
        put(image, n=2)
        second = backups.backup(image_path, backup_dir)
        put(image, n=3)
    finally:
        image.close()
    backups.restore(backup_dir, image_path, blob_dir, first.id)
    image = Image(image_path)
    assert read(image, "n") == 1
    image.close()
    latest = backups.restore(backup_dir, image_path, blob_dir)  # None: the latest
    assert latest.id == second.id and latest.image_size == second.image_size
    image = Image(image_path)
    assert read(image, "n") == 2
    image.close()


def test_restore_into_a_lost_image_and_blob_dir(paths):
    image_path, blob_dir, backup_dir = paths
    image = Image(image_path)
    put(image, weights=b"precious")
    record = backups.backup(image_path, backup_dir)
    image.close()
    for path in image_path.parent.iterdir():
        if path.is_file():
            path.unlink()
    shutil.rmtree(blob_dir)
    backups.restore(backup_dir, image_path, blob_dir, record.id)
    image = Image(image_path)
    try:
        assert read(image, "weights") == b"precious"
    finally:
        image.close()


def test_restore_refuses_while_the_image_is_open_and_changes_nothing(paths):
    image_path, blob_dir, backup_dir = paths
    image = Image(image_path)
    try:
        put(image, n=1, weights=b"one")
        record = backups.backup(image_path, backup_dir)
        put(image, n=2, weights=b"two")
        before, blobs_before = image_path.read_bytes(), blob_listing(blob_dir)
        log_before = backups.read_log(backup_dir)
        assert backups.image_holder(image_path) == str(os.getpid())
        with pytest.raises(ImageInUse, match="stop the kernel first") as info:
            backups.restore(backup_dir, image_path, blob_dir, record.id)
        assert info.value.holder == str(os.getpid())
        assert image_path.read_bytes() == before and blob_listing(blob_dir) == blobs_before
        assert backups.read_log(backup_dir) == log_before
        assert read(image, "n") == 2
    finally:
        image.close()
    assert backups.image_holder(image_path) is None


def test_unknown_backups_are_clear_errors(paths):
    image_path, blob_dir, backup_dir = paths
    with pytest.raises(BackupNotFound, match="no backups"):
        backups.restore(backup_dir, image_path, blob_dir)
    with pytest.raises(BackupNotFound, match="holds no backups"):
        backups.restore(backup_dir, image_path, blob_dir, "2024-01-01-00-00-00")
    image = Image(image_path)
    put(image, n=1)
    record = backups.backup(image_path, backup_dir)
    image.close()
    with pytest.raises(BackupNotFound, match=f"no backup '2024-01-01-00-00-00'.*the latest is {record.id}"):
        backups.restore(backup_dir, image_path, blob_dir, "2024-01-01-00-00-00")
    with pytest.raises(BackupNotFound):
        backups.restore(backup_dir, image_path, blob_dir, "../../etc/passwd")
    with pytest.raises(BackupError, match="no image"):
        backups.backup(image_path.with_name("missing.fs"), backup_dir)


def test_a_damaged_backup_is_refused_and_the_image_is_untouched(paths):
    image_path, blob_dir, backup_dir = paths
    image = Image(image_path)
    put(image, n=1)
    record = backups.backup(image_path, backup_dir)
    put(image, n=2)
    image.close()
    before = image_path.read_bytes()
    data = bytearray(Path(record.file).read_bytes())
    data[len(data) // 2] ^= 0xFF
    Path(record.file).write_bytes(bytes(data))
    with pytest.raises(BackupError, match="repozo -R failed"):
        backups.restore(backup_dir, image_path, blob_dir, record.id)
    assert image_path.read_bytes() == before
    assert not list(image_path.parent.glob("*.restoring*"))


def test_a_missing_mirrored_blob_is_refused_before_anything_changes(paths):
    image_path, blob_dir, backup_dir = paths
    image = Image(image_path)
    put(image, weights=b"w")
    record = backups.backup(image_path, backup_dir)
    image.close()
    before = image_path.read_bytes()
    for path in (backup_dir / "blobs").rglob("*.blob"):
        path.unlink()
    with pytest.raises(BackupError, match="lacks 1 file"):
        backups.restore(backup_dir, image_path, blob_dir, record.id)
    assert image_path.read_bytes() == before


def test_the_log_skips_a_torn_line(tmp_path):
    backups.append_log(tmp_path, {"event": "backup", "id": "a"})
    with open(tmp_path / backups.LOG_NAME, "a") as fh:
        fh.write('{"event": "backup", "id": "b"')  # killed mid-write
    assert backups.read_log(tmp_path) == [{"event": "backup", "id": "a"}]
    assert backups.read_log(tmp_path / "nothing") == []
    assert json.loads((tmp_path / backups.LOG_NAME).read_text().splitlines()[0])["id"] == "a"

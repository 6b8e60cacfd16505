"""The image's chronicle: migration 5, plain entries, the backup and chronicle commands in process."""

import asyncio

import pytest

from bat_os.supervise import backup as backups
from bat_os.image.chronicle import CHRONICLE_KEY, Chronicle, chronicle_entries, record_entry
from bat_os.kernel.backups import KernelBackups
from bat_os.kernel.commands.backup import backup_command, chronicle_command
from bat_os.kernel.commands.base import Context, Later
from bat_os.errors import BackupFailed, BadRequest, Internal
from bat_os.image.image import SCHEMA_KEY, Image
from bat_os.image.migrations import newest_version, MigrationContext, default_migrations as _default_migrations


@pytest.fixture
def image(tmp_path):
    image = Image(tmp_path / "live_image.fs")
    try:
        yield image
    finally:
        image.close()


def test_migration_5_on_a_fresh_image(image):
    ran = image.awaken(context=MigrationContext(codex_path=None, now=lambda: 7.0))
    assert "the chronicle of backups and restores" in ran
    assert image.schema_version == newest_version()
    assert image.read(lambda: isinstance(image.connection.root()[CHRONICLE_KEY], Chronicle))
    assert image.read(lambda: chronicle_entries(image.connection.root())) == []
    assert image.awaken() == []


def test_migration_5_upgrades_a_schema_4_image(tmp_path):
    path = tmp_path / "old.fs"
    image = Image(path)
    image.awaken(_default_migrations()[:4], MigrationContext(codex_path=None))  # what the previous kernel left
    image.run(lambda: image.connection.root()["genesis_obj"].set_slot("mark", "kept"))
    assert image.schema_version == 4 and image.read(lambda: CHRONICLE_KEY not in image.connection.root())
    image.close()

    image = Image(path)
    try:
        assert image.awaken(_default_migrations()[:5]) == ["the chronicle of backups and restores"]
        assert image.schema_version == 5
        root = image.connection.root()
        assert image.read(lambda: (root[SCHEMA_KEY], root["genesis_obj"].send("mark"), len(root[CHRONICLE_KEY].entries))) == (5, "kept", 0)
    finally:
        image.close()


def test_an_image_recorded_into_before_migration_5_keeps_its_entries(image):
    image.awaken(_default_migrations()[:4], MigrationContext(codex_path=None))
    image.run(lambda: record_entry(image.connection.root(), {"event": "restored", "id": "x", "time": 1.5}))
    image.awaken()
    assert image.read(lambda: chronicle_entries(image.connection.root())) == [{"event": "restored", "id": "x", "time": 1.5}]


def test_entries_are_plain_data(image):
    root = image.connection.root()
    assert image.run(lambda: record_entry(root, {"event": "backup", "id": "a", "size": 3, "time": 1.0})) == 1
    with pytest.raises(TypeError):
        image.run(lambda: record_entry(root, {"event": "backup", "nested": {"no": 1}}))
    with pytest.raises(TypeError):
        image.run(lambda: record_entry(root, {"event": "backup", "flag": True}))
    assert image.read(lambda: root[CHRONICLE_KEY].summary()) == {"entries": 1, "last": {"event": "backup", "id": "a", "size": 3, "time": 1.0}}


def test_the_chronicle_command_filters_and_limits(image):
    root = image.connection.root()
    for i in range(5):
        image.run(lambda i=i: record_entry(root, {"event": "backup" if i % 2 == 0 else "restored", "id": str(i)}))
    ctx = Context(image=image, stats=lambda: {})
    result = image.read(lambda: chronicle_command(ctx, {"command": "chronicle"}))
    assert [e["id"] for e in result["entries"]] == ["4", "3", "2", "1", "0"] and result["total"] == 5  # newest first
    result = image.read(lambda: chronicle_command(ctx, {"command": "chronicle", "event": "backup", "limit": 2}))
    assert [e["id"] for e in result["entries"]] == ["4", "2"] and result["total"] == 3
    result = image.read(lambda: chronicle_command(ctx, {"command": "chronicle", "event": "backup", "offset": 2}))
    assert [e["id"] for e in result["entries"]] == ["0"] and (result["offset"], result["limit"]) == (2, 100)
    for bad in ({"limit": 0}, {"limit": 10_001}, {"offset": -1}):
        with pytest.raises(BadRequest):
            chronicle_command(ctx, {"command": "chronicle", **bad})


def test_the_backup_command_backs_up_then_records_in_the_image(image, tmp_path):
    image.awaken(context=MigrationContext(codex_path=None))
    ctx = Context(image=image, stats=lambda: {})
    with pytest.raises(Internal):
        backup_command(ctx, {"command": "backup"})  # no service: not a kernel
    ctx.backups = KernelBackups(image, tmp_path / "backups", now=lambda: 5.0)
    with pytest.raises(BadRequest, match="serves"):
        backup_command(ctx, {"command": "backup", "image": str(tmp_path / "other.fs")})
    with pytest.raises(BadRequest):
        backup_command(ctx, {"command": "backup", "full": "yes"})
    later = backup_command(ctx, {"command": "backup", "reason": "before upgrade", "image": str(image.path)})
    assert isinstance(later, Later)  # awaited by the kernel (it was a raised Deferred before issue 13)
    result = asyncio.run(later.run(None))
    assert result["via"] == "kernel" and result["recorded_in_image"] is True and result["reason"] == "before upgrade"
    assert result["backup_dir"] == str(tmp_path / "backups") and result["time"] == 5.0
    entries = image.read(lambda: chronicle_entries(image.connection.root()))
    assert entries == [backups.read_log(tmp_path / "backups")[0]]
    assert entries[0]["id"] == result["id"] and entries[0]["kind"] == "full"


def test_a_failed_backup_answers_backup_failed(image, tmp_path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the backup directory should be")
    service = KernelBackups(image, blocker)
    with pytest.raises(BackupFailed):
        asyncio.run(service.backup(full=False, reason=""))
    assert image.read(lambda: chronicle_entries(image.connection.root())) == []

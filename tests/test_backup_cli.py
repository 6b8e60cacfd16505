"""``batos.py backup|restore|backups``: on a stopped image in process, through a real kernel subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ZODB.blob import Blob

from bat_os.supervise import backup as backups
from bat_os.cli import backup as backup_cli
from bat_os.image.chronicle import chronicle_entries
from bat_os.image.image import Image
from bat_os.image.migrations import MigrationContext
from support import ROOT, KernelProcess, kernel_env


def cli(*argv, environ=None, now=None):
    lines = []
    kwargs = {"now": now} if now else {}
    code = backup_cli.main(list(argv), environ=environ or {}, out=lines.append, **kwargs)
    return code, lines


def cli_json(*argv, **kwargs):
    code, lines = cli(*argv, "--json", **kwargs)
    assert len(lines) <= 1
    return code, json.loads(lines[0]) if lines else None


def batos(cwd, *argv, timeout=60):
    """The real entry point in a subprocess: (exit code, stdout, stderr)."""
    done = subprocess.run([sys.executable, str(ROOT / "batos.py"), *argv], cwd=cwd, env=kernel_env(),
                          capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def stopped(tmp_path):
    """An awakened image with a blob, not held by any process."""
    path = tmp_path / "data" / "live_image.fs"
    image = Image(path)
    image.awaken(context=MigrationContext(codex_path=None))

    def add():
        blob = Blob()
        with blob.open("w") as fh:
            fh.write(b"weights")
        image.connection.root()["weights"] = blob
        image.connection.root()["genesis_obj"].set_slot("mark", 1)
    image.run(add)
    image.close()
    return path


def image_chronicle(path):
    image = Image(path)
    try:
        return image.read(lambda: chronicle_entries(image.connection.root()))
    finally:
        image.close()


def test_backup_and_restore_a_stopped_image(stopped):
    backup_dir = stopped.parent / "backups"  # the default: beside the image
    code, record = cli_json("backup", "--image", str(stopped), "--reason", "upgrade: v2", now=lambda: 100.0)
    assert code == 0
    assert record["via"] == "image" and record["recorded_in_image"] is True and record["backup_dir"] == str(backup_dir)
    assert record["kind"] == "full" and record["reason"] == "upgrade: v2" and record["time"] == 100.0
    assert record["blob_count"] == 1 and record["sha256"] == backups.sha256_of(Path(record["file"]))
    assert image_chronicle(stopped) == [{k: v for k, v in record.items() if k not in ("backup_dir", "via", "recorded_in_image")}]
    backed_up = Path(record["file"]).read_bytes()

    image = Image(stopped)  # later work the restore undoes
    image.run(lambda: image.connection.root()["genesis_obj"].set_slot("mark", 2))
    image.close()

    code, restored = cli_json("restore", record["id"], "--image", str(stopped), "--no-record", "--reason", "rollback")
    assert code == 0
    assert restored["event"] == "restored" and restored["id"] == record["id"] and restored["recorded_in_image"] is False
    assert stopped.read_bytes() == backed_up  # exactly the backup's content
    assert backups.read_log(backup_dir)[-1]["event"] == "restored"

    code, restored = cli_json("restore", "--latest", "--image", str(stopped))
    assert code == 0 and restored["recorded_in_image"] is True
    kept = image_chronicle(stopped)
    assert [e["event"] for e in kept] == ["restored"]  # the backup's own entry came after the backup
    image = Image(stopped)
    assert image.read(lambda: image.connection.root()["genesis_obj"].send("mark")) == 1
    image.close()

    code, listing = cli_json("backups", "--image", str(stopped))
    assert code == 0 and listing["image_chronicle"] == "image"
    assert [(e["event"], e["available"], e["in_image"]) for e in listing["entries"]] == [
        ("backup", True, False), ("restored", True, False), ("restored", True, True)
    ]
    code, lines = cli("backups", "--image", str(stopped))
    assert code == 0 and len(lines) == 3 and "upgrade: v2" in lines[0] and "in image" in lines[2]


def test_usage_and_configuration_errors(stopped, tmp_path, capsys):
    assert cli("restore", "--image", str(stopped))[0] == 2  # neither an id nor --latest
    assert cli("restore", "2024-01-01-00-00-00", "--latest", "--image", str(stopped))[0] == 2
    assert cli("backup", "--bogus")[0] == 2
    (tmp_path / "a_file").write_text("")
    assert cli("backup", "--image", str(stopped), environ={"BATOS_BACKUP_DIR": str(tmp_path / "a_file")})[0] == 2
    assert "'backup_dir'" in capsys.readouterr().err
    assert cli("backup", "--image", str(tmp_path / "missing.fs"))[0] == 3
    corrupt = tmp_path / "corrupt.fs"
    corrupt.write_bytes(b"this is not a FileStorage" * 100)
    assert cli("backup", "--image", str(corrupt))[0] == 3
    code, lines = cli("restore", "2024-01-01-00-00-00", "--image", str(stopped))
    assert code == 1 and lines == []
    assert "no backup '2024-01-01-00-00-00'" in capsys.readouterr().err
    code, _ = cli("backups", "--image", str(stopped), "--backup-dir", str(tmp_path / "elsewhere"))
    assert code == 0


def test_backup_through_a_running_kernel(tmp_path):
    kernel = KernelProcess(tmp_path).start()
    try:
        backup_dir = kernel.image.parent / "backups"
        code, out, err = batos(tmp_path, "backup", "--image", str(kernel.image), "--endpoint", kernel.endpoint,
                               "--json", "--reason", "upgrade: test")
        assert code == 0, err
        record = json.loads(out)
        assert record["via"] == "kernel" and record["recorded_in_image"] is True
        assert record["kind"] == "full" and record["backup_dir"] == str(backup_dir)
        assert record["image"] == str(kernel.image) and record["reason"] == "upgrade: test"

        reply = kernel.request({"command": "chronicle"})
        assert reply["status"] == "ok"
        assert [e["id"] for e in reply["result"]["entries"]] == [record["id"]]
        assert reply["result"]["entries"][0]["sha256"] == record["sha256"]

        code, second = cli_json("backup", "--image", str(kernel.image), "--endpoint", kernel.endpoint)
        assert code == 0 and second["kind"] == "incremental"  # the chronicle entry itself was a commit

        code, listing = cli_json("backups", "--image", str(kernel.image), "--endpoint", kernel.endpoint)
        assert code == 0 and listing["image_chronicle"] == "kernel"
        assert [(e["id"], e["in_image"]) for e in listing["entries"]] == [(record["id"], True), (second["id"], True)]

        # restore refuses while the kernel holds the image, and changes nothing
        image_before = kernel.image.read_bytes()
        blobs_before = backups.blob_files(kernel.image.with_name("live_image.blobs"))
        log_before = backups.read_log(backup_dir)
        code, out, err = batos(tmp_path, "restore", record["id"], "--image", str(kernel.image), "--json")
        assert code == 1 and out == ""
        assert "stop the kernel first" in err
        assert kernel.image.read_bytes() == image_before
        assert backups.blob_files(kernel.image.with_name("live_image.blobs")) == blobs_before
        assert backups.read_log(backup_dir) == log_before

        bad = kernel.request({"command": "backup", "image": str(tmp_path / "other.fs")})
        assert bad["status"] == "error" and bad["error"]["code"] == "bad_request"
        assert kernel.request({"command": "ping"})["status"] == "ok"
    finally:
        kernel.stop()

    code, restored = cli_json("restore", record["id"], "--image", str(kernel.image))  # stopped now: allowed
    assert code == 0 and restored["recorded_in_image"] is True


def test_backup_when_the_image_is_held_but_no_kernel_answers(stopped, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(backup_cli, "PING_TIMEOUT", 0.3)
    image = Image(stopped)  # held by this process, which serves nothing
    try:
        code, lines = cli("backup", "--image", str(stopped), "--endpoint", "tcp://127.0.0.1:1")
    finally:
        image.close()
    assert code == 1 and lines == []
    assert "no kernel answers at tcp://127.0.0.1:1" in capsys.readouterr().err

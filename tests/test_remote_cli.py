"""``python batos.py remote add|revoke|list`` (bat_os.cli.remote): the keys beside a real image's path, as a
person manages them; the kernel's side is tests/test_remote.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import zmq.auth

from bat_os.cli.remote import EXIT_NOTHING, EXIT_OK, EXIT_USAGE, main

ROOT = Path(__file__).resolve().parent.parent


def test_add_list_and_revoke_a_client(tmp_path):
    image = tmp_path / "data" / "live.fs"
    lines: list[str] = []
    assert main(["--image", str(image), "add", "laptop", "--out", str(tmp_path / "out")], environ={}, out=lines.append) == EXIT_OK
    secret = tmp_path / "out" / "laptop.key_secret"
    public, private = zmq.auth.load_certificate(str(secret))
    assert private is not None and (secret.stat().st_mode & 0o077) == 0  # the person's secret: readable by its owner
    allowed = image.with_name("live.keys") / "clients" / "laptop.key"
    assert zmq.auth.load_certificate(str(allowed)) == (public, None)
    assert "laptop.key_secret" in lines[0] and "server.key" in lines[1]
    server_secret = image.with_name("live.keys") / "server.key_secret"
    assert (server_secret.stat().st_mode & 0o077) == 0
    assert main(["--image", str(image), "add", "laptop"], environ={}, out=lines.append) == EXIT_USAGE  # allowed already

    listed: list[str] = []
    assert main(["--image", str(image), "list"], environ={}, out=listed.append) == EXIT_OK
    assert listed[0] == "laptop" and listed[1].startswith("server key: ")
    assert main(["--image", str(image), "revoke", "laptop"], environ={}, out=lines.append) == EXIT_OK
    assert not allowed.exists()
    assert main(["--image", str(image), "revoke", "laptop"], environ={}, out=lines.append) == EXIT_NOTHING


def test_bad_names_and_usage_are_refused(tmp_path):
    image = str(tmp_path / "live.fs")
    for bad in ("../evil", ".hidden", "a b", ""):
        assert main(["--image", image, "add", bad, "--out", str(tmp_path)], environ={}, out=lambda _l: None) == EXIT_USAGE
    assert main(["--image", image], environ={}, out=lambda _l: None) == EXIT_USAGE  # no action


def test_batos_py_dispatches_to_it(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "batos.py"), "remote", "--image", str(tmp_path / "x.fs"), "list"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("server key: ")

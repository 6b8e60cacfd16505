"""Gated upgrades: the instructions schema, the image's fingerprint, git, and whole upgrades
with real processes (a watchdog and kernels running from a git checkout copied into tmp_path)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import ZODB
import ZODB.FileStorage

from bat_os.supervise.checkout import code_version, restore_code, run_step
from bat_os.supervise.fingerprint import Fingerprint
from bat_os.supervise.instructions import InvalidInstructions, Step, parse_instructions
from support import ROOT, Client, free_port, kernel_env

posix_only = pytest.mark.skipif(os.name != "posix", reason="real-process tests use POSIX signals")


# --- the instructions --------------------------------------------------------------------------


def parse(data):
    return parse_instructions(data, step_timeout=600.0, gate_timeout=120.0)


def test_instructions_with_every_field():
    ins = parse({
        "reason": " new memory code ", "ref": "v2", "full_backup": True, "gate_timeout": 30,
        "steps": [["python", "-m", "pip", "install", "-r", "requirements.txt"], {"argv": ["python", "x.py"], "timeout": 5}],
        "rollback_steps": [["python", "-m", "pip", "install", "-r", "requirements.txt"]],
    })
    assert ins.reason == "new memory code" and ins.ref == "v2" and ins.full_backup is True and ins.gate_timeout == 30.0
    assert ins.steps == (Step(("python", "-m", "pip", "install", "-r", "requirements.txt"), 600.0), Step(("python", "x.py"), 5.0))
    assert len(ins.rollback_steps) == 1
    assert parse({"reason": "just restart"}).steps == ()


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "must be a JSON object"),
        ({}, '"reason" is required'),
        ({"reason": "  "}, '"reason" is required'),
        ({"reason": "x", "stepz": []}, "unknown field(s): stepz"),
        ({"reason": "x", "ref": "--upload-pack=evil"}, '"ref" must be a git ref'),
        ({"reason": "x", "steps": "pip install"}, '"steps" must be a list'),
        ({"reason": "x", "steps": ["pip install x"]}, "steps[0] must be a command as a non-empty list of strings"),
        ({"reason": "x", "steps": [[]]}, "steps[0] must be a command"),
        ({"reason": "x", "steps": [["ok"], ["python", 3]]}, "steps[1] must be a command"),
        ({"reason": "x", "steps": [{"argv": ["a"], "timeout": 0}]}, 'steps[0]: "timeout" must be a positive'),
        ({"reason": "x", "steps": [{"argv": ["a"], "shell": True}]}, "steps[0]: unknown field(s) shell"),
        ({"reason": "x", "gate_timeout": True}, '"gate_timeout" must be a number'),
        ({"reason": "x", "full_backup": "yes"}, '"full_backup" must be true or false'),
    ],
)
def test_bad_instructions_say_what_is_wrong(data, message):
    with pytest.raises(InvalidInstructions) as caught:
        parse(data)
    assert message in str(caught.value)


def test_a_step_runs_with_this_python_and_keeps_its_output(tmp_path):
    ok = run_step(Step(("python", "-c", "import sys; print(sys.executable); print('done')"), 30.0), tmp_path)
    assert ok["ok"] and ok["exit_code"] == 0 and ok["output"].split() == [sys.executable, "done"]
    failing = run_step(Step(("python", "-c", "import sys; sys.stderr.write('boom'); sys.exit(7)"), 30.0), tmp_path)
    assert not failing["ok"] and failing["exit_code"] == 7 and "boom" in failing["output"]
    slow = run_step(Step(("python", "-c", "import time; print('started', flush=True); time.sleep(30)"), 0.5), tmp_path)
    assert not slow["ok"] and slow["timed_out"] and slow["seconds"] < 10 and "did not finish within 0.5s" in slow["error"]
    missing = run_step(Step(("no-such-program-here",), 5.0), tmp_path)
    assert not missing["ok"] and "cannot run it" in missing["error"]


# --- the image's fingerprint ---------------------------------------------------------------------


def commit_value(image: Path, key: str, value) -> None:
    db = ZODB.DB(ZODB.FileStorage.FileStorage(str(image), blob_dir=str(image.with_suffix(".blobs"))))
    try:
        with db.transaction() as conn:
            conn.root()[key] = value
    finally:
        db.close()


def add_blob(image: Path, key: str, data: bytes) -> None:
    from ZODB.blob import Blob

    db = ZODB.DB(ZODB.FileStorage.FileStorage(str(image), blob_dir=str(image.with_suffix(".blobs"))))
    try:
        with db.transaction() as conn:
            blob = Blob()
            with blob.open("w") as f:
                f.write(data)
            conn.root()[key] = blob
    finally:
        db.close()


def test_an_appended_image_is_cut_back_byte_for_byte(tmp_path):
    image = tmp_path / "live.fs"
    commit_value(image, "kept", 1)
    add_blob(image, "old_blob", b"old")
    original = image.read_bytes()
    aside = tmp_path / "aside"
    aside.mkdir()
    fp = Fingerprint.take(image, image.with_suffix(".blobs"), aside)
    assert fp.put_back(image, image.with_suffix(".blobs")) == "unchanged"

    commit_value(image, "added_by_the_new_kernel", 2)
    add_blob(image, "new_blob", b"new")
    assert image.stat().st_size > len(original)
    done = fp.put_back(image, image.with_suffix(".blobs"))
    assert done.startswith(f"cut back to its {len(original)} bytes") and "1 new blob file(s) removed" in done
    assert image.read_bytes() == original
    db = ZODB.DB(ZODB.FileStorage.FileStorage(str(image), blob_dir=str(image.with_suffix(".blobs")), read_only=True))
    try:
        with db.transaction() as conn:
            root = conn.root()
            assert root["kept"] == 1 and "added_by_the_new_kernel" not in root
            with root["old_blob"].open() as f:
                assert f.read() == b"old"
    finally:
        db.close()


def test_a_rewritten_image_cannot_be_cut_back(tmp_path):
    image = tmp_path / "live.fs"
    commit_value(image, "a", 1)
    commit_value(image, "a", 2)
    (tmp_path / "aside").mkdir()
    fp = Fingerprint.take(image, image.with_suffix(".blobs"), tmp_path / "aside")
    db = ZODB.DB(ZODB.FileStorage.FileStorage(str(image)))
    db.pack(time.time() + 1)  # rewrites the file: the old bytes are gone
    db.close()
    assert fp.put_back(image, image.with_suffix(".blobs")) is None


# --- git -------------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def init_repo(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@batos.invalid")
    git(repo, "config", "user.name", "BAT OS tests")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the running version")


def test_code_version_and_restore(tmp_path):
    assert code_version(tmp_path) is None  # not a checkout
    (tmp_path / "f.txt").write_text("one\n")
    init_repo(tmp_path)
    first = code_version(tmp_path)
    assert first["branch"] == "main" and len(first["commit"]) == 40 and first["dirty"] == []
    (tmp_path / "f.txt").write_text("two\n")
    assert code_version(tmp_path)["dirty"] == ["f.txt"]
    git(tmp_path, "commit", "-qam", "two")
    git(tmp_path, "tag", "v2")
    git(tmp_path, "checkout", "-q", "--detach", "v2")
    (tmp_path / "f.txt").write_text("scribbled by a step\n")
    done = restore_code(tmp_path, first)
    assert done["ok"] and done["commit"] == first["commit"] and done["branch"] == "main"
    assert (tmp_path / "f.txt").read_text() == "one\n"


# --- whole upgrades, real processes ---------------------------------------------------------------

CODE = ["batos.py", "min_watchdog_service.py", "persona_codex.jsonl", "bat_os", "lora_adapters", "requirements.txt", "constraints.txt"]


class Rig:
    """A git checkout of BAT OS in tmp_path/repo, a watchdog running from it, its image in tmp_path/work."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.repo = tmp_path / "repo"
        self.work = tmp_path / "work"
        self.image = self.work / "image" / "live.fs"
        self.endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.stderr = self.work / "watchdog-stderr.txt"
        self.proc: subprocess.Popen | None = None
        self.repo.mkdir()
        self.work.mkdir()
        for name in CODE:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, self.repo / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, self.repo / name)
        (self.repo / ".gitignore").write_text("__pycache__/\n")
        init_repo(self.repo)
        self.first_commit = git(self.repo, "rev-parse", "HEAD")

    def start(self, *flags: str) -> "Rig":
        args = [
            sys.executable, str(self.repo / "min_watchdog_service.py"), "run",
            "--image", str(self.image), "--endpoint", self.endpoint, "--workdir", str(self.work),
            "--state-file", str(self.work / "watchdog.json"),
            "--ping-interval", "0.2", "--hang-timeout", "5", "--start-timeout", "30", "--stop-grace", "5",
            "--backoff-initial", "0.1", "--backoff-max", "0.5", "--gate-timeout", "40", *flags,
            "--", "--log-file", str(self.work / "kernel.log"), "--audit-file", str(self.work / "audit.jsonl"),
        ]
        with open(self.stderr, "ab") as err:
            self.proc = subprocess.Popen(args, cwd=self.work, env=kernel_env(), stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        return self

    def log(self) -> str:
        return self.stderr.read_text(errors="replace") if self.stderr.exists() else ""

    def request(self, message: dict, timeout: float = 10.0) -> dict:
        with Client(self.endpoint) as client:
            return client.request(message, timeout)

    def wait_serving(self, timeout: float = 40.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the watchdog exited with {self.proc.returncode}:\n{self.log()}"
            try:
                reply = self.request({"command": "status"}, timeout=0.5)
                if reply["status"] == "ok":
                    return reply["result"]
            except TimeoutError:
                pass
        raise AssertionError(f"no kernel answered within {timeout}s:\n{self.log()}")

    def upgrade(self, instructions: dict | str, timeout: float = 120.0) -> dict:
        result = self.work / "update_result.json"
        if result.exists():
            result.unlink()
        text = instructions if isinstance(instructions, str) else json.dumps(instructions)
        tmp = self.work / "update_instructions.json.tmp"
        tmp.write_text(text)
        os.replace(tmp, self.work / "update_instructions.json")
        deadline = time.monotonic() + timeout
        while not result.exists():
            assert time.monotonic() < deadline, f"no update_result.json within {timeout}s:\n{self.log()}"
            assert self.proc.poll() is None, f"the watchdog exited:\n{self.log()}"
            time.sleep(0.1)
        assert not (self.work / "update_instructions.json").exists()  # claimed
        return json.loads(result.read_text())

    def commit_on_branch(self, branch: str, path: str, text: str) -> None:
        git(self.repo, "checkout", "-q", "-b", branch)
        (self.repo / path).write_text(text)
        git(self.repo, "commit", "-qam", f"{branch}: change {path}")
        git(self.repo, "checkout", "-q", "main")

    def chronicle_backups(self) -> list[dict]:
        lines = (self.image.parent / "backups" / "chronicle.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)


@pytest.fixture
def rig(tmp_path):
    made = Rig(tmp_path)
    yield made
    made.stop()


@posix_only
def test_an_upgrade_with_good_steps_serves_the_new_kernel_with_a_backup(rig):
    rig.commit_on_branch("v2", "bat_os/__init__.py", (rig.repo / "bat_os" / "__init__.py").read_text() + "\nUPGRADED_MARK = 2\n")
    rig.start()
    old = rig.wait_serving()
    assert rig.request({"command": "set_slot", "target": "genesis_obj", "slot": "before_upgrade", "value": 41})["status"] == "ok"

    result = rig.upgrade({
        "reason": "move to v2", "ref": "v2",
        "steps": [["python", "-c", "import bat_os; assert bat_os.UPGRADED_MARK == 2; print('v2 is checked out')"]],
    })

    assert result["status"] == "upgraded", result
    assert result["rolled_back"] is False and result.get("why") is None
    assert result["code_before"]["commit"] == rig.first_commit
    assert result["code_after"]["commit"] == git(rig.repo, "rev-parse", "v2") != rig.first_commit
    assert result["steps"][1]["ok"] and "v2 is checked out" in result["steps"][1]["output"]
    assert [c["check"] for c in result["gate"]["checks"]] == ["ping", "status", "selfcheck"] and result["gate"]["ok"]
    new = rig.wait_serving()
    assert new["pid"] != old["pid"] and new["pid"] == result["gate"]["kernel_pid"]
    slots = rig.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]
    assert slots["before_upgrade"] == 41  # the image came through

    backup = result["backup"]
    assert backup["ok"] and backup["reason"].endswith("move to v2")
    backup_file = Path(backup["file"])
    assert backup_file.is_file() and backup_file.stat().st_size == backup["size"]
    import hashlib

    assert hashlib.sha256(backup_file.read_bytes()).hexdigest() == backup["sha256"]
    assert any(entry.get("id") == backup["id"] for entry in rig.chronicle_backups())  # the plain log
    in_image = rig.request({"command": "chronicle"})
    assert in_image["status"] == "ok" and any(e.get("id") == backup["id"] for e in in_image["result"]["entries"]), in_image
    assert (rig.work / "upgrades" / f"{result['id']}.result.json").is_file()
    assert f"upgrade {result['id']}: upgraded" in rig.log()


@posix_only
def test_a_failing_step_rolls_back_and_the_image_is_byte_for_byte_what_it_was(rig):
    rig.start()
    old = rig.wait_serving()
    assert rig.request({"command": "set_slot", "target": "genesis_obj", "slot": "kept", "value": "yes"})["status"] == "ok"
    scribble = (
        "import ZODB, ZODB.FileStorage, sys\n"
        "db = ZODB.DB(ZODB.FileStorage.FileStorage(sys.argv[1]))\n"
        "with db.transaction() as c: c.root()['written_by_the_upgrade'] = 1\n"
        "db.close()\n"
        "open('bat_os/__init__.py', 'a').write('\\nBROKEN = 1\\n')\n"
    )
    result = rig.upgrade({
        "reason": "a step that changes things and then fails",
        "steps": [["python", "-c", scribble, str(rig.image)], ["python", "-c", "import sys; print('about to fail'); sys.exit(3)"]],
    })

    assert result["status"] == "rolled_back", result
    assert "exit code 3" in result["why"] and result["steps"][1]["exit_code"] == 3 and "about to fail" in result["steps"][1]["output"]
    rollback = result["rollback"]
    assert rollback["code"]["ok"] and rollback["code"]["commit"] == rig.first_commit
    assert "BROKEN" not in (rig.repo / "bat_os" / "__init__.py").read_text()  # the code is back
    assert rollback["image"]["byte_for_byte"] is True and rollback["image"]["how"].startswith("cut back")
    assert rollback["image"]["sha256"] == result["image_before"]["sha256"]
    assert rollback["gate"]["ok"]
    served = rig.wait_serving()
    assert served["pid"] != old["pid"]
    slots = rig.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]
    assert slots["kept"] == "yes"
    import hashlib

    assert rig.image.stat().st_size == result["image_before"]["size"]
    assert hashlib.sha256(rig.image.read_bytes()).hexdigest() == result["image_before"]["sha256"]


@posix_only
def test_a_new_kernel_that_fails_the_gate_is_rolled_back(rig):
    rig.commit_on_branch("broken", "batos.py", "import sys\nsys.stderr.write('this version cannot start\\n')\nsys.exit(1)\n")
    rig.start()
    old = rig.wait_serving()
    result = rig.upgrade({"reason": "a version that cannot start", "ref": "broken"})

    assert result["status"] == "rolled_back", result
    assert result["gate"]["ok"] is False and "exited with code 1" in result["why"]
    assert result["rollback"]["code"]["commit"] == rig.first_commit and result["rollback"]["code"]["branch"] == "main"
    assert result["rollback"]["gate"]["ok"]
    assert rig.wait_serving()["pid"] != old["pid"]
    assert git(rig.repo, "rev-parse", "HEAD") == rig.first_commit
    assert "this version cannot start" in rig.log()


@posix_only
def test_a_kernel_that_rewrites_the_image_is_rolled_back_from_the_backup(rig):
    rig.start()
    rig.wait_serving()
    for i in range(3):
        assert rig.request({"command": "set_slot", "target": "genesis_obj", "slot": "n", "value": i})["status"] == "ok"
    pack = (
        "import ZODB, ZODB.FileStorage, sys, time\n"
        "db = ZODB.DB(ZODB.FileStorage.FileStorage(sys.argv[1], blob_dir=sys.argv[1][:-3] + '.blobs'))\n"
        "db.pack(time.time() + 1)\n"
        "db.close()\n"
    )
    result = rig.upgrade({"reason": "packs, then fails", "steps": [["python", "-c", pack, str(rig.image)], ["python", "-c", "raise SystemExit(1)"]]})

    assert result["status"] == "rolled_back", result
    image = result["rollback"]["image"]
    assert image["byte_for_byte"] is False and image["how"] == f"restored from backup {result['backup']['id']}" and image["ok"], image
    assert result["rollback"]["gate"]["ok"]
    rig.wait_serving()
    assert rig.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]["n"] == 2


@posix_only
def test_invalid_or_unsafe_instructions_are_rejected_and_touch_nothing(rig):
    rig.start()
    pid = rig.wait_serving()["pid"]
    result = rig.upgrade("{not json")
    assert result["status"] == "rejected" and "invalid instructions" in result["why"]
    result = rig.upgrade({"reason": "x", "steps": "pip install"})
    assert result["status"] == "rejected" and '"steps" must be a list' in result["why"]
    (rig.repo / "batos.py").write_text((rig.repo / "batos.py").read_text() + "\n# a local edit\n")
    result = rig.upgrade({"reason": "with a local edit", "steps": [["python", "-c", "pass"]]})
    assert result["status"] == "rejected" and "uncommitted changes to tracked files (batos.py)" in result["why"]
    assert rig.wait_serving()["pid"] == pid  # the kernel was never stopped
    assert not (rig.image.parent / "backups" / "chronicle.jsonl").exists()


@posix_only
def test_an_upgrade_brings_a_fatal_watchdog_back(rig):
    rig.commit_on_branch("crashes", "batos.py", "import sys\nsys.exit(1)\n")
    git(rig.repo, "checkout", "-q", "crashes")  # the running version crashes at once
    rig.start("--max-restarts", "1")
    deadline = time.monotonic() + 30
    while "waiting for an operator" not in rig.log():
        assert time.monotonic() < deadline, rig.log()
        time.sleep(0.1)
    result = rig.upgrade({"reason": "the fix", "ref": "main"})
    assert result["status"] == "upgraded", result
    assert rig.wait_serving()["pid"] == result["gate"]["kernel_pid"]
    state = json.loads((rig.work / "watchdog.json").read_text())
    assert state["state"] == "running" and state["last_upgrade"]["status"] == "upgraded"

"""``selfcheck``: migrations ran and every installed method still compiles (the upgrade gate's last check)."""

from __future__ import annotations

from bat_os.kernel.commands import selfcheck
from bat_os.image.image import SCHEMA_KEY, Image
from bat_os.image.migrations import MigrationContext, default_migrations as _default_migrations
from bat_os.image.objects import Method, UvmObject
from support import KernelProcess


def open_image(path):
    image = Image(path)
    image.awaken(context=MigrationContext(codex_path=None))
    return image


def report(image):
    return image.read(lambda: selfcheck.check(image))


def test_a_fresh_image_is_healthy(tmp_path):
    image = open_image(tmp_path / "i.fs")
    try:
        result = report(image)
    finally:
        image.close()
    newest = max(m.version for m in _default_migrations())
    assert result["healthy"] is True and result["failures"] == []
    assert result["schema_version"] == result["expected_schema_version"] == newest
    assert [m["version"] for m in result["migrations"]] == list(range(1, newest + 1))
    assert result["methods"] >= 1 and result["objects"] >= 2


def test_methods_that_no_longer_compile_are_each_listed(tmp_path):
    image = open_image(tmp_path / "i.fs")
    try:
        def install():
            root = image.connection.root()
            genesis = root["genesis_obj"]
            genesis.slots["ok_generated"] = Method("ok_generated", "def ok_generated(self):\n    return 1\n", origin="generated")
            genesis.slots["now_refused"] = Method("now_refused", "import os\ndef now_refused(self):\n    return os.getcwd()\n", origin="generated")
            clone = UvmObject(parents=[genesis])
            clone.slots["broken_system"] = Method("broken_system", "def broken_system(self):\n    return (\n")
            genesis.slots["children"] = [clone]  # reachable only through a plain list in a slot
        image.run(install)
        result = report(image)
    finally:
        image.close()
    assert result["healthy"] is False
    failing = {(f["selector"], f["origin"]) for f in result["failures"]}
    assert failing == {("now_refused", "generated"), ("broken_system", "system")}
    by_selector = {f["selector"]: f for f in result["failures"]}
    assert by_selector["now_refused"]["object"] == "genesis_obj"
    assert by_selector["broken_system"]["object"].startswith("0x")  # not a root object: its id
    assert "SyntaxError" in by_selector["broken_system"]["message"] or "compile" in by_selector["broken_system"]["message"]


def test_an_image_from_a_later_kernel_is_not_healthy(tmp_path):
    image = open_image(tmp_path / "i.fs")
    try:
        image.run(lambda: image.connection.root().__setitem__(SCHEMA_KEY, 999))
        result = report(image)
    finally:
        image.close()
    assert not result["healthy"]
    assert "newer than this kernel knows" in result["failures"][0]["message"]


def test_the_kernel_answers_selfcheck(tmp_path):
    kernel = KernelProcess(tmp_path).start()
    try:
        ok = kernel.request({"command": "selfcheck", "id": 7})
        assert ok["status"] == "ok" and ok["id"] == 7 and ok["result"]["healthy"] is True, ok
        refused = "import os\ndef sneaky(self):\n    return os.getcwd()\n"
        kernel.stop()
        image = Image(kernel.image)
        image.run(lambda: image.connection.root()["genesis_obj"].slots.__setitem__("sneaky", Method("sneaky", refused, origin="generated")))
        image.close()
        kernel.start()
        failed = kernel.request({"command": "selfcheck"})
        assert failed["status"] == "error", failed
        error = failed["error"]
        assert error["code"] == "self_check_failed" and "sneaky" in error["message"]
        assert error["failure_count"] == 1 and error["failures"][0]["selector"] == "sneaky"
    finally:
        kernel.stop()

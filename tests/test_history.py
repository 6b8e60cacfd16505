"""Every version of a learned method kept in the image (bat_os.image.history), on a real FileStorage."""

from __future__ import annotations

from bat_os.image import history
from bat_os.image.image import Image
from bat_os.image.objects import Method, UvmObject

V1 = "def square(self, x):\n    return x * x\n"
V2 = "def square(self, x):\n    return x ** 2\n"


def _open(path):
    image = Image(path / "h.fs")
    image.awaken()
    return image


def test_each_generated_install_is_a_new_version_and_survives_a_restart(tmp_path):
    image = _open(tmp_path)
    try:
        def learn():
            obj = UvmObject()
            image.connection.root()["thing"] = obj
            obj.add_method("square", V1, origin="generated", author="ALFRED")
            obj.add_method("square", V2, origin="generated", author="architect", change="edited")
        image.run(learn)
    finally:
        image.close()
    image = _open(tmp_path)
    try:
        obj = image.connection.root()["thing"]
        versions = history.versions_of(obj, "square")
        assert [v.source for v in versions] == [V1, V2]
        assert obj.slots["square"] is versions[-1]
        log = [dict(e) for e in history.history_of(obj, "square").log]
        assert [(e["event"], e["version"], e["author"], e["change"]) for e in log] == [
            ("installed", 1, "ALFRED", "learned"), ("installed", 2, "architect", "edited")]
    finally:
        image.close()


def test_a_removal_keeps_the_history_and_logs_the_version_removed(tmp_path):
    image = _open(tmp_path)
    try:
        def work():
            obj = UvmObject()
            image.connection.root()["thing"] = obj
            obj.add_method("square", V1, origin="generated")
            assert obj.remove_method("square", "architect") == 1
        image.run(work)
        obj = image.connection.root()["thing"]
        assert "square" not in obj.slots
        assert [v.source for v in history.versions_of(obj, "square")] == [V1]
        assert dict(history.history_of(obj, "square").log[-1])["event"] == "removed"
    finally:
        image.close()


def test_a_method_from_before_histories_is_version_one_and_kept_when_changed(tmp_path):
    image = _open(tmp_path)
    try:
        def old_style():  # what the previous code wrote: the Method in its slot, no _histories attribute
            obj = UvmObject()
            image.connection.root()["thing"] = obj
            obj.slots["square"] = Method("square", V1, origin="generated", author="BRICK", created=1.0)
        image.run(old_style)
        obj = image.connection.root()["thing"]
        assert "_histories" not in obj.__dict__ and obj._histories is None
        assert [v.source for v in history.versions_of(obj, "square")] == [V1]
        assert history.history_of(obj, "square") is None  # reading creates nothing

        image.run(lambda: obj.add_method("square", V2, origin="generated", author="architect", change="edited"))
        versions = history.versions_of(obj, "square")
        assert [v.source for v in versions] == [V1, V2] and versions[0].author == "BRICK"
        first = dict(history.history_of(obj, "square").log[0])
        assert first["time"] == 1.0 and first["change"] == "learned"
    finally:
        image.close()


def test_system_methods_have_no_history(tmp_path):
    image = _open(tmp_path)
    try:
        def work():
            obj = UvmObject()
            image.connection.root()["thing"] = obj
            obj.add_method("hello", "def hello(self):\n    return 'hi'\n")
        image.run(work)
        obj = image.connection.root()["thing"]
        assert history.history_of(obj, "hello") is None and history.versions_of(obj, "hello") == []
    finally:
        image.close()


def test_an_aborted_install_leaves_no_version(tmp_path):
    image = _open(tmp_path)
    try:
        image.run(lambda: image.connection.root().__setitem__("thing", UvmObject()))
        obj = image.connection.root()["thing"]
        image.run(lambda: obj.add_method("square", V1, origin="generated"))
        tm = image.connection.transaction_manager
        tm.begin()
        obj.add_method("square", V2, origin="generated", change="edited")
        tm.abort()
        assert [v.source for v in history.versions_of(obj, "square")] == [V1]
        assert obj.slots["square"].source == V1
    finally:
        image.close()

"""The object model against a real FileStorage: delegation, cloning, the covenant, methods as source."""

import pickle

import pytest
import transaction
import ZODB
import ZODB.FileStorage
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from bat_os.errors import BadRequest, DoesNotUnderstand, MethodError, RunsInJail
from bat_os.image.objects import Method, UvmObject, covenant, hex_to_oid, oid_to_hex


class Store:
    """Open, use and reopen a FileStorage in a temp dir."""

    def __init__(self, path):
        self.path = str(path / "objects.fs")
        self.db = None

    def open(self):
        self.db = ZODB.DB(ZODB.FileStorage.FileStorage(self.path))
        self.conn = self.db.open()
        return self.conn.root()

    def reopen(self):
        self.close()
        return self.open()

    def close(self):
        transaction.abort()
        self.conn.close()
        self.db.close()


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path)
    s.open()
    yield s
    s.close()


def test_slot_lookup_delegates_depth_first():
    base = UvmObject({"colour": "grey", "size": 1})
    left = UvmObject({"colour": "red"}, parents=[base])
    right = UvmObject({"colour": "blue", "shape": "round"})
    child = UvmObject({}, parents=[left, right])
    # depth first: left, then left's parent base, then right
    assert child.send("colour") == "red"
    assert child.send("size") == 1
    assert child.send("shape") == "round"
    holder, _ = child.lookup("size")
    assert holder is base


def test_lookup_is_safe_against_cycles():
    a = UvmObject({"a": 1})
    b = UvmObject({"b": 2}, parents=[a])
    a.parents.append(b)  # a -> b -> a
    assert a.send("b") == 2 and b.send("a") == 1
    with pytest.raises(DoesNotUnderstand):
        a.send("missing")
    assert [o for o in a.delegation_chain()] == [a, b]


def test_does_not_understand_carries_the_message():
    obj = UvmObject({"name": "thing"})
    with pytest.raises(DoesNotUnderstand) as info:
        obj.send("fly", 1, 2, height=3)
    exc = info.value
    assert exc.receiver is obj
    assert exc.selector == "fly"
    assert exc.args_ == (1, 2)
    assert exc.kwargs == {"height": 3}
    assert exc.code == "not_understood"


def test_clone_delegates_to_the_original():
    proto = UvmObject({"greeting": "hello"})
    proto.add_method("greet", "def greet(self, who):\n    return self.greeting + ', ' + who\n")
    clone = proto.clone()
    assert clone.parents[0] is proto
    assert dict(clone.slots) == {}
    assert clone.send("greet", "bob") == "hello, bob"
    clone.set_slot("greeting", "hi")  # overriding in the clone leaves the original alone
    assert clone.send("greet", "bob") == "hi, bob"
    assert proto.send("greet", "bob") == "hello, bob"
    proto.set_slot("greeting", "hey")  # changing the original shows through un-overridden clones
    assert proto.clone().send("greet", "x") == "hey, x"


def test_deep_clone_copies_containers():
    shared = UvmObject({"n": 1})
    proto = UvmObject({"items": [1, [2, 3]], "meta": {"k": "v"}, "ref": shared}, parents=[shared])
    twin = proto.clone(deep=True)
    twin.send("items")[1].append(4)
    twin.send("meta")["k"] = "changed"
    assert list(proto.send("items")[1]) == [2, 3]
    assert proto.send("meta")["k"] == "v"
    assert twin.send("ref") is shared  # referenced objects are shared, not duplicated
    assert list(twin.parents) == [shared]


def test_covenant_makes_containers_persistent():
    value = covenant({"a": [1, {"b": [2]}], "t": (1, [2]), "s": {1, 2}, "ba": bytearray(b"x")})
    assert isinstance(value, PersistentMapping)
    assert isinstance(value["a"], PersistentList)
    assert isinstance(value["a"][1], PersistentMapping)
    assert isinstance(value["a"][1]["b"], PersistentList)
    assert isinstance(value["t"][1], PersistentList)
    assert value["s"] == frozenset({1, 2})
    assert value["ba"] == b"x"


def test_setting_a_slot_marks_the_object_changed(store):
    root = store.conn.root()
    root["obj"] = UvmObject({"x": 1})
    transaction.commit()
    obj = root["obj"]
    assert not obj.slots._p_changed
    obj.set_slot("x", 2)
    assert obj.slots._p_changed  # the object's slot record is marked without help
    obj.y = 3  # attribute sugar sets a slot too
    assert obj.slots["y"] == 3
    transaction.commit()
    root = store.reopen()
    assert (root["obj"].send("x"), root["obj"].send("y")) == (2, 3)


def test_in_place_mutation_survives_a_restart(store):
    root = store.conn.root()
    root["obj"] = UvmObject({"todo": ["a"], "counts": {"a": 1}, "nested": {"list": [1]}})
    transaction.commit()
    obj = root["obj"]
    obj.send("todo").append("b")  # nobody sets _p_changed
    obj.send("counts")["b"] = 2
    obj.send("nested")["list"].append(2)
    transaction.commit()

    root = store.reopen()
    obj = root["obj"]
    assert list(obj.send("todo")) == ["a", "b"]
    assert dict(obj.send("counts")) == {"a": 1, "b": 2}
    assert list(obj.send("nested")["list"]) == [1, 2]


def test_methods_are_stored_as_source_and_recompiled_after_restart(store):
    root = store.conn.root()
    obj = UvmObject({"n": 2})
    method = obj.add_method(
        "double", "def double(self, k=1):\n    return self.n * 2 * k\n", author="ALFRED", origin="system", provenance={"cycle": "c1"}
    )
    root["obj"] = obj
    assert obj.send("double") == 4
    assert method._v_function is not None
    transaction.commit()

    # What was pickled is the source, never a function object.
    state = obj.slots["double"].__getstate__()
    assert "_v_function" not in state
    assert state["source"].startswith("def double")
    pickle.dumps(state)

    root = store.reopen()
    obj = root["obj"]
    method = obj.slots["double"]
    assert getattr(method, "_v_function", None) is None  # not compiled until first use
    assert obj.send("double", k=3) == 12
    assert method._v_function is not None
    assert (method.selector, method.author, method.origin) == ("double", "ALFRED", "system")
    assert method.provenance["cycle"] == "c1"
    assert method.created > 0


def test_receiver_is_self_in_inherited_methods():
    proto = UvmObject({"name": "proto"})
    proto.add_method("who", "def who(self):\n    return self.name\n")
    child = UvmObject({"name": "child"}, parents=[proto])
    assert child.send("who") == "child"
    assert child.who() == "child"  # attribute sugar calls methods as bound


def test_method_source_is_checked():
    obj = UvmObject()
    with pytest.raises(MethodError):
        obj.add_method("broken", "def broken(self)\n    return 1\n")
    with pytest.raises(MethodError):
        obj.add_method("named", "def other(self):\n    return 1\n")
    assert "broken" not in obj.slots and "named" not in obj.slots
    with pytest.raises(ValueError):
        Method("m", "def m(self):\n    pass\n", origin="alien")


def test_slot_names_are_checked():
    obj = UvmObject()
    for bad in ("_p_secret", "parents", "slots", "not an identifier", "class", 3):
        with pytest.raises(BadRequest):
            obj.set_slot(bad, 1)


def test_data_slot_refuses_arguments():
    obj = UvmObject({"x": 1})
    with pytest.raises(BadRequest):
        obj.send("x", 2)


def test_oid_hex_round_trip():
    oid = (26).to_bytes(8, "big")
    assert oid_to_hex(oid) == "0x1a"
    assert hex_to_oid("0x1a") == oid
    assert hex_to_oid("0x001A") == oid
    for bad in ("1a", "0xZZ", "0x" + "f" * 17, None):
        with pytest.raises(ValueError):
            hex_to_oid(bad)


def test_generated_methods_never_run_in_the_kernel_process():
    obj = UvmObject({"n": 1})
    # even the module-level code of generated source is not executed on install
    obj.add_method("sneaky", "def sneaky(self):\n    return 1\nraise SystemExit('ran at install')\n", origin="generated")
    with pytest.raises(RunsInJail):
        obj.send("sneaky")
    with pytest.raises(RunsInJail):
        obj.sneaky()
    with pytest.raises(MethodError):
        obj.add_method("bad", "def bad(self)\n", origin="generated")


def test_values_put_into_slot_containers_later_are_converted_too(store):
    root = store.conn.root()
    root["obj"] = UvmObject({"log": [], "index": {}})
    transaction.commit()
    obj = root["obj"]
    obj.send("log").append({"event": "a", "tags": []})  # a plain dict put in later
    obj.send("index").setdefault("k", []).append(1)
    obj.send("index").update({"j": {"n": 1}})
    obj.send("log").extend([[1]])
    transaction.commit()
    obj.send("log")[0]["tags"].append("late")  # edits deep inside, nobody marks anything
    obj.send("index")["j"]["n"] = 2
    obj.send("log")[1].append(2)
    transaction.commit()

    obj = store.reopen()["obj"]
    assert list(obj.send("log")[0]["tags"]) == ["late"]
    assert list(obj.send("index")["k"]) == [1]
    assert obj.send("index")["j"]["n"] == 2
    assert list(obj.send("log")[1]) == [1, 2]

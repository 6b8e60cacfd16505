"""Objects made by clients (``clone``) and by methods (``self.clone()``, ``self.new(**slots)``), end to end:
a real kernel, the real jail, a cassette for the learned one; they commit with the request and survive kill -9."""

from __future__ import annotations

import json

from support import KernelProcess

SPEC = "Answer with the asserts in one ```python block."
ADOPT = ("def adopt_pet(self, name):\n    pet = self.new(name=name, sound='woof')\n    self.pet = pet\n"
         "    return pet.sound + ' says ' + pet.name")


def _ok(reply):
    assert reply["status"] == "ok", reply
    return reply["result"]


def _kernel(tmp_path, image=None):
    lines = [
        {"persona": "BRICK", "contains": "Selector: adopt_pet", "response": '["pets"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\nassert obj.adopt_pet('Bo') == 'woof says Bo'\n```"},
        {"persona": "ALFRED", "contains": " adopt_pet(", "response": f"```python\n{ADOPT}\n```"},
    ]
    cassette = tmp_path / "c.jsonl"
    cassette.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return KernelProcess(tmp_path, image=image, env={"BATOS_JAIL_WALL_SECONDS": "5", "BATOS_LLM_BACKEND": "replay",
                                                    "BATOS_CASSETTE": str(cassette)}).start()


def test_a_client_clones_an_object_and_the_root_lists_its_name(tmp_path):
    kernel = _kernel(tmp_path)
    try:
        genesis = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))
        made = _ok(kernel.request({"command": "clone", "target": "genesis_obj", "name": "lamp",
                                   "slots": {"colour": "amber", "maker": {"$oid": genesis["oid"]}}}))
        assert made["name"] == "lamp" and made["parent"]["$oid"] == genesis["oid"]
        lamp = _ok(kernel.request({"command": "inspect", "target": "lamp"}))
        assert lamp["oid"] == made["object"]["$oid"] and lamp["slots"]["colour"] == "amber"
        assert lamp["slots"]["maker"]["$oid"] == genesis["oid"] and lamp["parents"][0]["$oid"] == genesis["oid"]
        assert "describe" in lamp["understands"]  # it delegates to genesis_obj, and so to the traits
        assert _ok(kernel.request({"command": "send", "target": "lamp", "selector": "colour"})) == "amber"

        roots = _ok(kernel.request({"command": "inspect", "target": "root"}))
        assert roots["type"] == "root" and roots["roots"]["lamp"]["$oid"] == made["object"]["$oid"]
        assert "genesis_obj" in roots["roots"] and not any(name.startswith("batos_") for name in roots["roots"])

        unnamed = _ok(kernel.request({"command": "clone", "target": "lamp"}))
        assert unnamed["name"] is None
        child = _ok(kernel.request({"command": "inspect", "target": unnamed["object"]["$oid"]}))
        assert child["slots"] == {} and child["parents"][0]["$oid"] == lamp["oid"]
        assert _ok(kernel.request({"command": "send", "target": child["oid"], "selector": "colour"})) == "amber"

        # a system method makes objects too, and a client's send of it gets a committed reference
        pup = _ok(kernel.request({"command": "send", "target": "lamp", "selector": "new", "kwargs": {"colour": "red"}}))
        assert _ok(kernel.request({"command": "inspect", "target": pup["$oid"]}))["slots"] == {"colour": "red"}
    finally:
        kernel.stop()


def test_bad_clones_are_refused_and_change_nothing(tmp_path):
    kernel = _kernel(tmp_path)
    try:
        _ok(kernel.request({"command": "clone", "target": "genesis_obj", "name": "taken"}))
        before = _ok(kernel.request({"command": "inspect", "target": "root"}))["roots"]
        status = _ok(kernel.request({"command": "status"}))["objects"]
        for message, code in [
            ({"target": "knowledge_catalog_obj"}, "bad_request"),  # not an object one can clone
            ({"target": "nowhere"}, "not_found"),
            ({"target": "genesis_obj", "name": "taken"}, "bad_request"),
            ({"target": "genesis_obj", "name": "batos_x"}, "bad_request"),
            ({"target": "genesis_obj", "name": "root"}, "bad_request"),
            ({"target": "genesis_obj", "name": "two words"}, "bad_request"),
            ({"target": "genesis_obj", "slots": {"_hidden": 1}}, "bad_request"),
            ({"target": "genesis_obj", "slots": {"ref": {"$oid": "0xffffff"}}}, "not_found"),
            ({"target": "genesis_obj", "slots": [1]}, "bad_request"),
        ]:
            reply = kernel.request({"command": "clone", **message})
            assert reply["status"] == "error" and reply["error"]["code"] == code, (message, reply)
        assert _ok(kernel.request({"command": "inspect", "target": "root"}))["roots"] == before
        assert _ok(kernel.request({"command": "status"}))["objects"] == status
    finally:
        kernel.stop()


def test_methods_make_objects_that_commit_with_the_request_and_survive_kill_9(tmp_path):
    kernel = _kernel(tmp_path)
    try:
        # learned by a cycle: self.new(...) makes the pet, a slot holds it
        learned = _ok(kernel.request({"command": "send", "target": "genesis_obj", "selector": "adopt_pet", "args": ["Rex"],
                                      "examples": [{"args": ["Ada"], "result": "woof says Ada"},
                                                   {"args": ["Max"], "result": "woof says Max"}]}, timeout=60))
        assert learned["result"] == "woof says Rex"
        # written by hand: self.clone() in a generated method, its child changed through its proxy
        _ok(kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "spawn",
                            "source": "def spawn(self):\n    child = self.clone()\n    child.generation = 2\n"
                                      "    self.child = child\n    return child.generation",
                            "cases": [{"args": [], "result": 2}]}, timeout=60))
        assert _ok(kernel.request({"command": "send", "target": "genesis_obj", "selector": "spawn"}, timeout=30)) == 2
        with kernel.client() as client:
            reply = client.request({"command": "send", "target": "genesis_obj", "selector": "adopt_pet", "args": ["Fido"]},
                                   timeout=30)
            kernel.proc.kill()  # the moment "ok" arrived
        assert reply["status"] == "ok" and reply["result"] == "woof says Fido"
        kernel.wait()
    finally:
        kernel.stop()
    kernel = _kernel(tmp_path, image=kernel.image)
    try:
        slots = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["slots"]
        pet = _ok(kernel.request({"command": "inspect", "target": slots["pet"]["$oid"]}))
        assert pet["slots"] == {"name": "Fido", "sound": "woof"} and pet["parents"][0]["name"] == "genesis"
        child = _ok(kernel.request({"command": "inspect", "target": slots["child"]["$oid"]}))
        assert child["slots"] == {"generation": 2}
        # the trial and the tried cases ran in views that were thrown away: only the sends' objects exist
        assert _ok(kernel.request({"command": "send", "target": slots["pet"]["$oid"], "selector": "name"})) == "Fido"
    finally:
        kernel.stop()

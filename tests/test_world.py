"""The ``world`` command: every named root at a glance in one read, with the recent cycles and an open question.

A real kernel subprocess; the question comes from a replayed cassette (bat_os's own test cassette format).
"""

from __future__ import annotations

import json

from support import KernelProcess

DOUBLE = "def double(self, x):\n    return x * 2"


def test_the_world_lists_named_roots_with_their_learned_methods(kernel):
    assert kernel.request({"command": "clone", "target": "genesis_obj", "name": "zeta_obj"})["status"] == "ok"
    reply = kernel.request({"command": "set_method", "target": "zeta_obj", "selector": "double", "source": DOUBLE,
                            "cases": [{"args": [2], "result": 4}]})
    assert reply["status"] == "ok", reply
    assert kernel.request({"command": "set_method", "target": "zeta_obj", "selector": "double",
                           "source": DOUBLE.replace("x * 2", "x + x")})["status"] == "ok"
    world = kernel.request({"command": "world"})["result"]
    names = [root["name"] for root in world["roots"]]
    assert names == sorted(names) and {"genesis_obj", "traits_obj", "zeta_obj", "knowledge_catalog_obj"} <= set(names)
    assert not any(name.startswith("batos_") for name in names)
    zeta = next(root for root in world["roots"] if root["name"] == "zeta_obj")
    assert zeta["parents"] == ["genesis_obj"] and zeta["type"] == "UvmObject"
    [double] = zeta["methods"]
    assert double["selector"] == "double" and double["version"] == 2 and double["versions"] == 2
    assert double["cases"] >= 1 and double["origin"] != "system"
    traits = next(root for root in world["roots"] if root["name"] == "traits_obj")
    assert traits["methods"] == [] and traits["system"] >= 5  # the kernel's own are counted, not listed
    catalog = next(root for root in world["roots"] if root["name"] == "knowledge_catalog_obj")
    assert set(catalog) == {"name", "oid", "type"}  # not an object of the graph
    assert world["total"] == len(world["roots"]) and world["offset"] == 0 and world["cycles"] == []


def test_the_world_is_read_in_pages_and_refuses_bad_pages(kernel):
    world = kernel.request({"command": "world", "limit": 2})["result"]
    assert len(world["roots"]) == 2 and (world["offset"], world["limit"]) == (0, 2) and world["total"] > 2
    whole = kernel.request({"command": "world"})["result"]
    assert whole["total"] == len(whole["roots"]) == world["total"]
    rest = kernel.request({"command": "world", "offset": 2, "limit": 1000})["result"]
    assert [r["name"] for r in world["roots"] + rest["roots"]] == [r["name"] for r in whole["roots"]]
    assert kernel.request({"command": "world", "offset": 10**6})["result"]["roots"] == []  # past the end: empty
    for bad in (-1, 0, 10_001, "many", True):
        reply = kernel.request({"command": "world", "limit": bad})
        assert reply["status"] == "error" and reply["error"]["code"] == "bad_request", bad
    for bad in (-1, "many", True, 1.5):
        reply = kernel.request({"command": "world", "offset": bad})
        assert reply["status"] == "error" and reply["error"]["code"] == "bad_request", bad


def test_a_cycle_waiting_for_an_answer_shows_its_open_question(tmp_path):
    one = "def shout(self, text):\n    return text.upper() + '!'"
    lines = [{"persona": "BRICK", "contains": "Selector: shout", "response": json.dumps(["shout"])},
             {"persona": "ALFRED", "contains": " shout(", "response": f"```python\n{one}\n```"}]
    cassette = tmp_path / "shout.jsonl"
    cassette.write_text("".join(json.dumps(line) + "\n" for line in lines))
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette),
                                          "BATOS_CYCLE_QUESTION_SECONDS": "30"}).start()
    try:
        with kernel.client() as client:
            client.send({"command": "send", "target": "genesis_obj", "selector": "shout", "args": ["hi"],
                         "intent": "the text in capitals with an exclamation mark", "id": "learn", "events": True})
            while True:  # one candidate: a confirm, waiting for the person
                event = client.recv(60).get("event") or {}
                if event.get("type") == "question" and event.get("waiting"):
                    break
            world = kernel.request({"command": "world"})["result"]
            [cycle] = world["cycles"]
            assert cycle["state"] == "ASKING" and cycle["selector"] == "shout" and cycle["receiver"] == "genesis_obj"
            assert cycle["question"]["id"] == event["question"]["id"] and cycle["question"]["kind"] == "confirm"
            assert "winner" not in cycle["question"]  # as the person is shown it
            client.send({"command": "answer", "id": "yes", "cycle": cycle["cycle"], "question": cycle["question"]["id"], "choose": 0})
            while (reply := client.recv(60)).get("id") != "learn" or reply.get("status") == "event":
                pass
            assert reply["status"] == "ok", reply
        [cycle] = kernel.request({"command": "world"})["result"]["cycles"]
        assert cycle["state"] == "COMPLETE" and cycle["question"] is None and cycle["outcome"] == "complete"
    finally:
        kernel.stop()

"""The heartbeat (bat_os.kernel.heartbeat): the image's own work between requests. A real kernel with a short
interval and the replay backend, real event-stream subscribers; and the loop on its own with a host that fails."""

from __future__ import annotations

import asyncio
import json
import time

import zmq

from bat_os import protocol
from bat_os.kernel.heartbeat import Heartbeat, HeartbeatHost, HeartbeatSettings
from support import KernelProcess

SPEC = "Answer with the asserts in one ```python block."
WRONG = "```python\ndef triple(self, n):\n    return n + 3\n```"
RIGHT = "```python\ndef triple(self, n):\n    return n * 3\n```"


def _subscriber(endpoint: str, *topics: str) -> zmq.Socket:
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(endpoint)
    for topic in topics:
        sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
    return sub


def _wait_for(sub: zmq.Socket, topic: str, timeout: float, where=lambda e: True) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sub.poll(100):
            _topic, payload = sub.recv_multipart()
            event = protocol.decode(payload)
            if event["topic"] == topic and where(event):
                return event
    raise AssertionError(f"no {topic} event within {timeout}s")


def _kernel(tmp_path, lines: list[dict], **env: str) -> KernelProcess:
    cassette = tmp_path / "c.jsonl"
    cassette.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette),
                                        "BATOS_HEARTBEAT_EVERY": "0.5", **env}).start()


def _ok(reply: dict) -> dict:
    assert reply["status"] == "ok", reply
    return reply["result"]


def test_a_stored_case_broken_by_changed_slot_data_is_reported_and_cleared_when_it_holds_again(tmp_path):
    kernel = _kernel(tmp_path, [])
    try:
        status = _ok(kernel.request({"command": "status"}))
        assert status["heartbeat"]["enabled"] and status["heartbeat"]["every"] == 0.5
        sub = _subscriber(status["events"]["endpoint"], "heartbeat.")
        time.sleep(0.3)
        _ok(kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "items", "value": [1, 2, 3]}))
        _ok(kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "total",
                            "source": "def total(self):\n    return sum(self.items)\n",
                            "cases": [{"args": [], "result": 6}]}, timeout=30))
        _wait_for(sub, "heartbeat.selfcheck", 15, lambda e: e["outcome"] == "ok" and e["failures"] == 0)
        _ok(kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "items", "value": [1, 1]}))
        regression = _wait_for(sub, "heartbeat.regression", 15)
        assert regression["selector"] == "total" and "no longer holds" in regression["message"]
        shown = _ok(kernel.request({"command": "status"}))["heartbeat"]
        assert [r["selector"] for r in shown["regressions"]] == ["total"]
        assert "selfcheck: the stored cases of 1 method(s)" in shown["plan"] and shown["last"]
        _ok(kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "items", "value": [2, 4]}))
        _wait_for(sub, "heartbeat.selfcheck", 15, lambda e: e["failures"] == 0)
        assert _ok(kernel.request({"command": "status"}))["heartbeat"]["regressions"] == []
        sub.close()
    finally:
        kernel.stop()
    lines = [json.loads(line) for line in kernel.audit.read_text().splitlines()]
    beats = [line for line in lines if line["event"] == "heartbeat"]
    assert any(line["outcome"] == "regression" and line["selector"] == "total" for line in beats)


def test_a_failed_mission_is_retried_after_a_document_about_it_is_ingested_and_is_learned(tmp_path):
    lines = [
        {"persona": "BRICK", "contains": "triple", "response": '["triple a number"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\n```"},
        {"persona": "ALFRED", "contains": "named triple for", "response": WRONG},
        {"persona": "ALFRED", "contains": "named triple for", "response": WRONG},
        # the retry: its author is shown the new document, and only then writes the right method (slowly)
        {"persona": "BRICK", "contains": "triple", "response": '["triple a number"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\n```"},
        {"persona": "ALFRED", "contains": "Notes from the knowledge catalog:\n- To triple a number, multiply it by three",
         "response": RIGHT, "delay_s": 1.5},
    ]
    kernel = _kernel(tmp_path, lines, BATOS_CYCLE_MAX_ATTEMPTS="2")
    try:
        sub = _subscriber(_ok(kernel.request({"command": "status"}))["events"]["endpoint"], "heartbeat.", "cycle.")
        time.sleep(0.3)
        failed = kernel.request({"command": "send", "target": "genesis_obj", "selector": "triple", "args": [4],
                                 "intent": "triple a number",
                                 "examples": [{"args": [1], "result": 3}, {"args": [2], "result": 6}]}, timeout=60)
        assert failed["status"] == "error" and failed["error"]["code"] == "cycle_failed"
        time.sleep(1.2)  # beats with nothing new: no retry
        assert _ok(kernel.request({"command": "status"}))["heartbeat"]["beats"] >= 1
        _ok(kernel.request({"command": "ingest", "text": "To triple a number, multiply it by three: n * 3.",
                            "doc_id": "note:triple"}, timeout=120))
        retry = _wait_for(sub, "heartbeat.retrying", 30)
        assert retry["cycle"] == failed["error"]["cycle"] and retry["because"] == ["note:triple"]
        # while the heartbeat's cycle waits for its author, users are answered
        asked = time.monotonic()
        _ok(kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "n", "value": 1}))
        assert time.monotonic() - asked < 2.0
        done = _wait_for(sub, "heartbeat.retry", 30, lambda e: e.get("outcome") == "ok")
        assert done["result"] == "learned"
        record = _ok(kernel.request({"command": "cycle", "cycle": done["retry"]}))
        assert record["origin"] == "heartbeat" and record["state"] == "COMPLETE"
        assert _ok(kernel.request({"command": "send", "target": "genesis_obj", "selector": "triple", "args": [5]})) == 15
        # asked again, the same mission (now answered) is not retried
        time.sleep(1.2)
        seen = _drain(sub)
        assert not [e for e in seen if e["topic"] == "heartbeat.retrying"]
        # the day's episodes summed up: the failure and the method learned since
        hits = _ok(kernel.request({"command": "search", "query": "triple", "mode": "text", "filter": {"kind": "digest"}}))["hits"]
        assert len(hits) == 1 and hits[0]["doc_id"].startswith("digest:")
        assert "Learned 1: triple." in hits[0]["text"] and "Failed triple: attempt 1" in hits[0]["text"]
        sub.close()
    finally:
        kernel.stop()
    lines = [json.loads(line) for line in kernel.audit.read_text().splitlines()]
    installs = [line for line in lines if line["event"] == "install"]
    assert [(i["selector"], i["origin"]) for i in installs] == [("triple", "heartbeat")]


def _drain(sub: zmq.Socket) -> list[dict]:
    events = []
    while sub.poll(200):
        events.append(protocol.decode(sub.recv_multipart()[1]))
    return events


class _Broken:
    """An image whose every read fails: each action fails on its own and the beat goes on."""

    def read(self, work):
        raise RuntimeError("the disk is gone")

    def run(self, work, note=None):
        raise RuntimeError("the disk is gone")


def test_actions_that_fail_or_hang_are_reported_and_the_beat_goes_on_within_its_budget():
    published, recorded = [], []
    host = HeartbeatHost(_Broken(), type("C", (), {"orchestrator": object(), "jail": None})(), lambda: False, lambda: 9.0,
                         lambda topic, event: published.append((topic, event)), lambda event, **f: recorded.append(f))
    heartbeat = Heartbeat(host, HeartbeatSettings(every=1, runs_per_hour=2))
    asyncio.run(heartbeat.beat())
    failed = [e for t, e in published if t == "heartbeat.failed"]
    assert [e["action"] for e in failed] == ["selfcheck", "retry"] and "the disk is gone" in failed[0]["error"]
    skipped = [e for t, e in published if t == "heartbeat.digest"]
    assert skipped and skipped[0]["outcome"] == "skipped" and skipped[0]["why"] == "over budget"
    assert heartbeat.status()["budget"]["runs_used"] == 2

    async def hangs() -> dict:
        await asyncio.sleep(60)
        return {}

    stuck = Heartbeat(host, HeartbeatSettings(every=1, action_timeout=0.2))
    stuck._selfcheck = hangs
    started = time.monotonic()
    asyncio.run(stuck.beat())
    assert time.monotonic() - started < 5
    assert any(t == "heartbeat.failed" and e["action"] == "selfcheck" and "ran past" in e["error"] for t, e in published)


def test_the_heartbeat_waits_while_users_are_answered():
    waiting = {"busy": True}
    published = []
    host = HeartbeatHost(_Broken(), None, lambda: waiting["busy"], lambda: 9.0, lambda t, e: published.append(t), lambda *a, **f: None)
    heartbeat = Heartbeat(host, HeartbeatSettings(every=1))

    async def go() -> None:
        beat = asyncio.ensure_future(heartbeat.beat())
        await asyncio.sleep(0.3)
        assert published == ["heartbeat.beat"]  # nothing done while a user waits
        waiting["busy"] = False
        await asyncio.wait_for(beat, 5)

    asyncio.run(go())
    assert "heartbeat.failed" in published


def test_a_method_set_without_cases_gets_the_cases_brick_writes_that_it_passes(tmp_path):
    lines = [{"persona": "BRICK", "contains": "Here is the Python method double of a BAT OS object:\n```python\ndef double",
              "response": "```python\nassert obj.double(2) == 4\nassert obj.double(5) == 11\nassert obj.double(0) == 0\n```"}]
    kernel = _kernel(tmp_path, lines)
    try:
        endpoint = _ok(kernel.request({"command": "status"}))["events"]["endpoint"]
        sub, methods = _subscriber(endpoint, "heartbeat.cases"), _subscriber(endpoint, "method.")
        time.sleep(0.3)
        _ok(kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "double",
                            "source": "def double(self, n):\n    return n * 2\n"}, timeout=30))
        done = _wait_for(sub, "heartbeat.cases", 20, lambda e: e["outcome"] == "ok")
        assert (done["selector"], done["written"], done["kept"], done["version"]) == ("double", 3, 2, 2)
        installed = _wait_for(methods, "method.installed", 5, lambda e: e.get("change") == "cases")
        assert installed["selector"] == "double" and installed["version"] == 2
        history = _ok(kernel.request({"command": "history", "target": "genesis_obj", "selector": "double"}))
        last = history["log"][-1]
        assert (last["version"], last["change"], last["author"]) == (2, "cases", "BRICK")
        source = _ok(kernel.request({"command": "source", "target": "genesis_obj", "selector": "double"}))
        assert source["source"] == "def double(self, n):\n    return n * 2\n"
        report = _ok(kernel.request({"command": "selfcheck", "tests": True}, timeout=30))
        assert report["tests"] == {"methods": 1, "cases": 2, "failures": 0}
        sub.close()
        methods.close()
    finally:
        kernel.stop()

"""The kernel's event stream (bat_os.kernel.stream): a real PUB socket, real subscribers, a real kernel."""

from __future__ import annotations

import json
import time

import zmq

from bat_os import protocol
from bat_os.kernel.stream import EventStream, topic_of
from support import KernelProcess


def _subscriber(endpoint: str, *topics: str, hwm: int = 10_000) -> zmq.Socket:
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, hwm)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(endpoint)
    for topic in topics or ("",):
        sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
    return sub


def _drain(sub: zmq.Socket, wait_ms: int = 300) -> list[dict]:
    events = []
    while sub.poll(wait_ms):
        topic, payload = sub.recv_multipart()
        event = protocol.decode(payload)
        assert event["topic"] == topic.decode()
        events.append(event)
    return events


def test_events_carry_a_count_overall_and_per_topic_and_a_topic_of_their_kind():
    stream = EventStream("tcp://127.0.0.1:*", clock=lambda: 12.5)
    sub = _subscriber(stream.endpoint)
    try:
        time.sleep(0.2)  # the subscription reaches the publisher
        stream.publish("cycle.c1.state", {"cycle": "c1", "state": "DECOMPOSING"})
        stream.publish("commit", {"note": "x"})
        stream.publish("cycle.c1.state", {"cycle": "c1", "state": "DELEGATING"})
        events = _drain(sub)
        assert [(e["seq"], e["topic_seq"], e["topic"]) for e in events] == [
            (1, 1, "cycle.c1.state"), (2, 1, "commit"), (3, 2, "cycle.c1.state")]
        assert events[0]["at"] == 12.5 and events[2]["state"] == "DELEGATING"
        assert stream.status() == {"endpoint": stream.endpoint, "published": 3, "dropped": 0}
        stream.publish("bad", {"value": object()})  # cannot be encoded: counted, never raised
        assert stream.dropped == 1
    finally:
        sub.close()
        stream.close()
    assert topic_of({"type": "state", "cycle": "c2", "state": "COMPLETE"}) == "cycle.c2.state"
    assert topic_of({"type": "token", "cycle": "c2", "persona": "ALFRED", "text": "def"}) == "persona.ALFRED.token"
    assert topic_of({"type": "started"}) is None


def test_a_subscriber_that_falls_behind_loses_events_not_the_publisher_s_time_and_sees_the_gap():
    stream = EventStream("tcp://127.0.0.1:*", hwm=10)
    stalled = _subscriber(stream.endpoint, hwm=10)
    try:
        time.sleep(0.2)
        for i in range(20_000):  # 20 MB: more than the queues and the socket buffers hold
            stream.publish("commit", {"note": "x" * 1000, "i": i})
        events = _drain(stalled)
        seqs = [e["seq"] for e in events]
        assert 0 < len(seqs) < 20_000 and seqs == sorted(seqs)
        assert any(b - a > 1 for a, b in zip(seqs, seqs[1:])) or seqs[0] > 1 or seqs[-1] < 20_000  # a gap it can see
    finally:
        stalled.close()
        stream.close()


SPEC = "Answer with the asserts in one ```python block."


def _kernel(tmp_path, **env):
    lines = [
        {"persona": "BRICK", "contains": "Selector: triple", "response": '["triples"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\nassert obj.triple(2) == 6\n```"},
        {"persona": "ALFRED", "contains": " triple(", "response": "```python\ndef triple(self, n):\n    return n * 3\n```"},
    ]
    cassette = tmp_path / "c.jsonl"
    cassette.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette), **env}).start()


def _endpoint(kernel) -> str:
    return kernel.request({"command": "status"})["result"]["events"]["endpoint"]


def test_two_watchers_see_one_cycle_in_order_while_a_third_client_drives_it(tmp_path):
    kernel = _kernel(tmp_path)
    try:
        endpoint = _endpoint(kernel)
        everything, cycles = _subscriber(endpoint), _subscriber(endpoint, "cycle.", "method.")
        time.sleep(0.3)
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "triple", "args": [4],
                                "examples": [{"args": [1], "result": 3}, {"args": [5], "result": 15}]}, timeout=60)
        assert reply["status"] == "ok" and reply["result"]["result"] == 12
        cycle = reply["result"]["cycle"]
        seen_all, seen_cycles = _drain(everything), _drain(cycles)
        states = [e["state"] for e in seen_cycles if e["topic"] == f"cycle.{cycle}.state"]
        assert states[0] == "IDLE" and states[1] == "DECOMPOSING" and states[-1] == "COMPLETE" and "VALIDATING" in states
        for seen in (seen_all, seen_cycles):  # both, in order, with consecutive counts of the cycle's topic
            mine = [e for e in seen if e["topic"] == f"cycle.{cycle}.state"]
            assert [e["state"] for e in mine] == states
            assert [e["topic_seq"] for e in mine] == list(range(1, len(mine) + 1))
        assert [e["seq"] for e in seen_all] == list(range(seen_all[0]["seq"], seen_all[0]["seq"] + len(seen_all)))
        installed = [e for e in seen_cycles if e["topic"] == "method.installed"]
        assert [(e["cycle"], e["selector"], e["version"]) for e in installed] == [(cycle, "triple", 1)]
        assert any(e["topic"] == f"cycle.{cycle}.trial" and e["eligible"] for e in seen_cycles)
        assert any(e["topic"] == "commit" for e in seen_all) and not any(e["topic"] == "commit" for e in seen_cycles)
        assert any(e["topic"] == "persona.ALFRED.token" for e in seen_all)
        # the life cycle's changes are events too
        kernel.request({"command": "remove_method", "target": "genesis_obj", "selector": "triple"}, timeout=60)
        removed = [e for e in _drain(cycles) if e["topic"] == "method.removed"]
        assert removed and removed[0]["selector"] == "triple" and removed[0]["version"] == 1
        everything.close()
        cycles.close()
    finally:
        kernel.stop()


def test_a_watcher_that_never_reads_does_not_hold_the_kernel(tmp_path):
    kernel = _kernel(tmp_path, BATOS_EVENTS_HWM="20")
    try:
        stalled = _subscriber(_endpoint(kernel), hwm=5)
        time.sleep(0.3)
        with kernel.client() as client:
            for i in range(500):
                client.send({"command": "set_slot", "target": "genesis_obj", "slot": "n", "value": i, "id": i})
            answered = {client.recv(timeout=30)["id"] for _ in range(500)}
        assert answered == set(range(500))
        assert kernel.request({"command": "ping"})["status"] == "ok"
        events = _drain(stalled)  # what its queues and the socket buffers held, in order
        seqs = [e["seq"] for e in events]
        assert seqs and seqs == sorted(seqs)
        stalled.close()
    finally:
        kernel.stop()


def test_the_stream_can_be_off_and_status_says_so(tmp_path):
    kernel = _kernel(tmp_path, BATOS_EVENTS_ENDPOINT="off")
    try:
        assert kernel.request({"command": "status"})["result"]["events"] is None
        assert kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "x", "value": 1})["status"] == "ok"
    finally:
        kernel.stop()


def test_the_audit_trail_holds_every_move_of_a_cycle_and_every_model_call(tmp_path):
    kernel = _kernel(tmp_path, BATOS_EVENTS_ENDPOINT="off")  # audited with or without the stream
    try:
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "triple", "args": [4],
                                "examples": [{"args": [1], "result": 3}, {"args": [5], "result": 15}]}, timeout=60)
        assert reply["status"] == "ok"
        cycle = reply["result"]["cycle"]
    finally:
        kernel.stop()
    lines = [json.loads(line) for line in kernel.audit.read_text().splitlines()]
    moves = [line["state"] for line in lines if line["event"] == "cycle" and line["cycle"] == cycle]
    assert moves[0] == "IDLE" and moves[1] == "DECOMPOSING" and moves[-1] == "COMPLETE" and "SYNTHESIZING" in moves
    calls = [line for line in lines if line["event"] == "model_call"]
    assert [c["persona"] for c in calls] == ["BRICK", "BRICK", "ALFRED"]  # DECOMPOSING, SPECIFYING, SYNTHESIZING
    assert all(c["outcome"] == "ok" and c["model"] == "replay:c.jsonl" and len(c["prompt_sha256"]) == 64
               and c["tokens"] >= 1 and c["seconds"] >= 0 for c in calls)
    # every line of the cycle names it and its brief's hash: moves, model calls, the trial, the install
    key = {line["brief_sha256"] for line in lines if line["event"] == "cycle" and line["cycle"] == cycle}
    assert len(key) == 1 and len(next(iter(key))) == 64
    assert all(c["cycle"] == cycle and c["brief_sha256"] in key for c in calls)
    trials = [line for line in lines if line["event"] == "trial"]
    assert len(trials) == 1 and trials[0]["cycle"] == cycle and trials[0]["brief_sha256"] in key
    assert trials[0]["accepted"] and trials[0]["eligible"] and trials[0]["passes"] >= 1 and len(trials[0]["code_sha256"]) == 64
    installs = [line for line in lines if line["event"] == "install"]
    assert [(i["cycle"], i["selector"], i["version"], i["origin"]) for i in installs] == [(cycle, "triple", 1, "user")]
    assert installs[0]["code_sha256"] == trials[0]["code_sha256"] and installs[0]["brief_sha256"] in key
    assert not [line for line in lines if line["event"] == "cycle_failed"]


def test_a_failed_cycle_s_reasons_are_a_line_of_the_audit_trail(tmp_path):
    kernel = _kernel(tmp_path, BATOS_EVENTS_ENDPOINT="off", BATOS_CYCLE_MAX_ATTEMPTS="1")
    try:
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "triple", "args": [4],
                                "examples": [{"args": [1], "result": 4}]}, timeout=60)  # the candidate triples: refused
        assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed"
        cycle = reply["error"]["cycle"]
    finally:
        kernel.stop()
    lines = [json.loads(line) for line in kernel.audit.read_text().splitlines()]
    failed = [line for line in lines if line["event"] == "cycle_failed"]
    assert len(failed) == 1 and failed[0]["cycle"] == cycle and failed[0]["failed_state"] == "VALIDATING"
    assert failed[0]["reasons"] and "example" in " ".join(failed[0]["reasons"])
    trials = [line for line in lines if line["event"] == "trial" and line["cycle"] == cycle]
    assert trials and not trials[0]["eligible"] and trials[0]["failed"]
    assert [line["state"] for line in lines if line["event"] == "cycle" and line["cycle"] == cycle][-1] == "FAILED"


def test_malformed_subscriptions_and_garbage_on_the_stream_s_port_change_nothing(tmp_path):
    import socket

    kernel = _kernel(tmp_path)
    try:
        endpoint = _endpoint(kernel)
        host, port = endpoint.removeprefix("tcp://").rsplit(":", 1)
        for junk in (b"\xff" * 64, b"GET / HTTP/1.1\r\n\r\n", bytes(range(256)) * 40):  # not ZMTP at all
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                raw.sendall(junk)
        odd = _subscriber(endpoint, "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"))  # bytes no topic has
        odd.setsockopt(zmq.SUBSCRIBE, b"\x00\xff\xfe")
        odd.setsockopt(zmq.UNSUBSCRIBE, b"never subscribed")
        good = _subscriber(endpoint, "commit")
        time.sleep(0.3)
        for i in range(3):
            assert kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "x", "value": i})["status"] == "ok"
        assert kernel.request({"command": "ping"})["status"] == "ok"
        assert [e["topic"] for e in _drain(good)] == ["commit"] * 3
        assert _drain(odd) == []
        assert kernel.request({"command": "status"})["result"]["events"]["dropped"] == 0
        good.close()
        odd.close()
    finally:
        kernel.stop()

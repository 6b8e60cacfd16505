"""Cognitive cycles end to end: a real kernel subprocess, the replay backend, the real guardian and jail.

The model is the project's replay backend (a cassette of recorded answers):
hub models cannot be downloaded here. Everything else is real.
"""

import datetime
import json
import threading
import time

import pytest

from bat_os.image.image import Image
from support import ROOT, KernelProcess

SEED_CASSETTE = ROOT / "cassettes" / "seed_scenarios.jsonl"


def write_cassette(path, lines):
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def brick(selector, queries=("how to write it",), **extra):
    return {"persona": "BRICK", "contains": f"Selector: {selector}", "response": json.dumps(list(queries)), **extra}


def alfred(selector, code, **extra):
    return {"persona": "ALFRED", "contains": f" {selector}(", "response": f"```python\n{code}\n```", **extra}


def replay_kernel(tmp_path, cassette, **env):
    settings = {"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette), "BATOS_JAIL_WALL_SECONDS": "2"}
    settings.update(env)
    return KernelProcess(tmp_path, env=settings)


@pytest.fixture
def seed_kernel(tmp_path):
    # the seed cassette was recorded with six attempts a cycle (the default then): its list_files cycle is refused six times
    kernel = replay_kernel(tmp_path, SEED_CASSETTE, BATOS_CYCLE_MAX_ATTEMPTS="6").start()
    yield kernel
    kernel.stop()


def methods_of(kernel, target="genesis_obj"):
    return kernel.request({"command": "inspect", "target": target})["result"]["methods"]


def test_seed_scenario_report_the_current_system_time(seed_kernel):
    with seed_kernel.client() as client:
        reply = client.request({"command": "send", "target": "genesis_obj", "selector": "report_the_current_system_time", "id": 1}, timeout=60)
        assert reply["status"] == "ok", reply
        result = reply["result"]
        assert result["selector"] == "report_the_current_system_time"
        assert result["cycle"].startswith("c")
        genesis = client.request({"command": "inspect", "target": "genesis_obj"})["result"]
        assert result["installed_on"] == genesis["oid"]
        stamp = datetime.datetime.fromisoformat(result["result"])
        assert abs((datetime.datetime.now() - stamp).total_seconds()) < 60

        # The second send runs the installed method at once: no model call
        # (the cassette has no line left for it, so a cycle would fail).
        again = client.request({"command": "send", "target": "genesis_obj", "selector": "report_the_current_system_time"}, timeout=10)
        assert again["status"] == "ok"
        assert datetime.datetime.fromisoformat(again["result"]) >= stamp

    method = methods_of(seed_kernel)["report_the_current_system_time"]
    assert method["origin"] == "generated" and method["author"] == "ALFRED"
    provenance = method["provenance"]
    assert provenance["cycle"] == result["cycle"]
    assert provenance["persona"] == "ALFRED" and provenance["model"].startswith("replay")
    assert len(provenance["prompt_sha256"]) == 64
    assert provenance["verdict"]["accepted"] is True
    cycle = seed_kernel.request({"command": "cycle", "cycle": result["cycle"]})["result"]
    assert cycle["state"] == "COMPLETE" and cycle["outcome"] == "complete"
    assert [h["state"] for h in cycle["history"]] == [
        "IDLE", "DECOMPOSING", "DELEGATING", "SPECIFYING", "SYNTHESIZING", "VALIDATING", "SYNTHESIZING", "VALIDATING", "COMPLETE"]
    # two candidates, each answering the clock differently twice: they agree on the kind of answer
    first, second = cycle["artifacts"]["candidates"]
    assert first["deterministic"] is False and first["signature"] == second["signature"]
    assert cycle["artifacts"]["queries"] == ["report the current system time", "datetime now isoformat"]
    assert cycle["artifacts"]["context"], "DELEGATING found nothing in the catalog"


def test_seed_scenario_list_files_is_refused(seed_kernel):
    reply = seed_kernel.request({"command": "send", "target": "genesis_obj", "selector": "teach_yourself_to_list_files"}, timeout=60)
    assert reply["status"] == "error"
    error = reply["error"]
    assert error["code"] == "cycle_failed"
    assert error["state"] == "VALIDATING"
    *refused, last = error["reasons"]
    assert len(refused) == 6  # six attempts (cycle_max_attempts, as the cassette was recorded), each refused
    assert all(reason.startswith(f"attempt {n}: static: import") and "'os'" in reason for n, reason in enumerate(refused, 1))
    assert last == "no candidate could be chosen: no candidate held the trial and the examples"
    assert "teach_yourself_to_list_files" not in methods_of(seed_kernel)
    cycle = seed_kernel.request({"command": "cycle", "cycle": error["cycle"]})["result"]
    assert cycle["state"] == "FAILED" and cycle["attempts"] == 6


def test_the_seed_message_shape_and_learn_false(tmp_path):
    cassette = write_cassette(tmp_path / "c.jsonl", [
        brick("double_it"),
        # one text, written by attempts 1 and 2 (the two voices): two readings that agree
        alfred("double_it", "def double_it(self, n):\n    return n * 2"),
        alfred("double_it", "def double_it(self, n):\n    return n * 2"),
    ])
    kernel = replay_kernel(tmp_path, cassette).start()
    try:
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "double_it", "args": [4], "learn": False})
        assert reply["error"]["code"] == "not_understood"
        reply = kernel.request({
            "command": "initiate_cognitive_cycle", "target_oid": "genesis_obj",
            "mission_brief": {"type": "unhandled_message", "selector": "double_it", "args": [21], "kwargs": {}},
        }, timeout=60)
        assert reply["status"] == "ok", reply
        assert reply["result"]["result"] == 42
        assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "double_it", "args": [5]})["result"] == 10
        for bad in (
            {"command": "initiate_cognitive_cycle", "target_oid": "genesis_obj", "mission_brief": {"type": "other", "selector": "x"}},
            {"command": "initiate_cognitive_cycle", "target_oid": "genesis_obj", "mission_brief": {"type": "unhandled_message", "selector": "_x"}},
            {"command": "initiate_cognitive_cycle", "target_oid": "genesis_obj", "mission_brief": "nope"},
            {"command": "initiate_cognitive_cycle", "target_oid": "nobody", "mission_brief": {"type": "unhandled_message", "selector": "x"}},
            {"command": "cycle", "cycle": "c999"},
            {"command": "cycle"},
        ):
            assert kernel.request(bad)["status"] == "error"
    finally:
        kernel.stop()


def test_events_follow_the_state_machine(tmp_path):
    cassette = write_cassette(tmp_path / "c.jsonl", [brick("greet"), alfred("greet", "def greet(self, who):\n    return 'hello ' + who"),
                                                      alfred("greet", "def greet(self, who):\n    return 'hello %s' % who")])
    kernel = replay_kernel(tmp_path, cassette).start()
    try:
        with kernel.client() as client:
            client.send({"command": "send", "target": "genesis_obj", "selector": "greet", "args": ["bob"], "events": True, "id": "e"})
            events, final, answered = [], None, None
            while final is None:
                reply = client.recv(timeout=60)
                if reply["id"] == "yes":  # the answer command's own reply
                    answered = reply
                    continue
                assert reply["id"] == "e"
                if reply["status"] == "event":
                    events.append(reply["event"])
                    if reply["event"]["type"] == "question" and reply["event"]["waiting"]:
                        # a listening requester who gave no example is shown the method before it is installed
                        client.send({"command": "answer", "id": "yes", "cycle": reply["event"]["cycle"],
                                     "question": reply["event"]["question"]["id"], "choose": 0})
                else:
                    final = reply
        assert final["status"] == "ok" and final["result"]["result"] == "hello bob"
        assert answered is not None and answered["status"] == "ok", answered
        states = [e["state"] for e in events if e["type"] == "state"]
        assert states == ["IDLE", "DECOMPOSING", "DELEGATING", "SPECIFYING", "SYNTHESIZING", "VALIDATING",
                          "SYNTHESIZING", "VALIDATING", "ASKING", "COMPLETE"]
        question = next(e for e in events if e["type"] == "question")
        # one call, and the answer both candidates give there (the call is the kernel's to pick: the trial or a probe)
        (shown,) = question["question"]["call"]["args"]
        assert question["question"]["kind"] == "confirm" and isinstance(shown, str)
        assert question["question"]["choices"] == [{"result": "hello " + shown, "candidates": 2}]
        answer = next(e for e in events if e["type"] == "answered")
        assert answer["by"] == "answer" and answer["answer"] == {"choose": 0}
        kinds = [e["type"] for e in events]  # asked in ASKING, answered before COMPLETE
        assert kinds.index("question") < kinds.index("answered") < max(i for i, e in enumerate(events) if e.get("state") == "COMPLETE")
        tokens = "".join(e["text"] for e in events if e["type"] == "token" and e["persona"] == "ALFRED")
        assert "def greet" in tokens  # the persona's words stream as they come
    finally:
        kernel.stop()


def test_a_refused_attempt_is_retried_with_its_reasons(tmp_path):
    cassette = write_cassette(tmp_path / "c.jsonl", [
        brick("count_words"),
        alfred("count_words", "def count_words(self, text):\n    return eval('len(text.split())')"),
        # the second greedy candidate is written apart from the first: it hears no refusal
        alfred("count_words", "def count_words(self, text):\n    return exec('len(text.split())')"),
        {"persona": "ALFRED", "contains": "refused", "response": "```python\ndef count_words(self, text):\n    return len(text.split())\n```"},
        # the fourth attempt, in the other voice, hears no refusal (the third was eligible) and writes the same text:
        # two readings agree
        alfred("count_words", "def count_words(self, text):\n    return len(text.split())"),
    ])
    kernel = replay_kernel(tmp_path, cassette).start()
    try:
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "count_words", "args": ["a b c"]}, timeout=60)
        assert reply["status"] == "ok", reply
        assert reply["result"]["result"] == 3
        method = methods_of(kernel)["count_words"]
        assert "eval" not in method["source"] and "len(text.split())" in method["source"]
        cycle = kernel.request({"command": "cycle", "cycle": reply["result"]["cycle"]})["result"]
        assert cycle["attempts"] == 4
        refusals = cycle["artifacts"]["refusals"]
        assert "eval" in json.dumps(refusals[0]) and "exec" in json.dumps(refusals[1])
        assert refusals[0]["feedback"] and refusals[1]["feedback"]  # the refusals' reasons go back to the author
        assert cycle["artifacts"]["decision"] == "candidate 3: 2 agree, none otherwise"
    finally:
        kernel.stop()


def test_a_method_that_fails_its_trial_is_refused(tmp_path):
    cassette = write_cassette(tmp_path / "c.jsonl", [
        brick("halve"),
        {"persona": "BRICK", "contains": "Answer with the asserts", "response": "```python\nassert obj.halve(4) == 2\n```"},
        alfred("halve", "def halve(self, n):\n    return n / 0"),
        alfred("halve", "def halve(self, n):\n    while True:\n        pass"),
        alfred("halve", "def halve(self, n):\n    return n / 2"),
        alfred("halve", "def halve(self, n):\n    return n * 0.5"),
    ])
    kernel = replay_kernel(tmp_path, cassette, BATOS_CYCLE_MAX_ATTEMPTS="4").start()  # the fourth is the last attempt
    try:
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "halve", "args": [9]}, timeout=60)
        assert reply["status"] == "ok", reply
        assert reply["result"]["result"] == 4.5
        refusals = kernel.request({"command": "cycle", "cycle": reply["result"]["cycle"]})["result"]["artifacts"]["refusals"]
        assert "ZeroDivisionError" in refusals[0]["reasons"][0]
        assert "ran past its CPU-time limit" in refusals[1]["reasons"][0]
        artifacts = kernel.request({"command": "cycle", "cycle": reply["result"]["cycle"]})["result"]["artifacts"]
        assert [c["eligible"] for c in artifacts["candidates"]] == [False, False, True, True]
        assert all(c["passes"] == [True] for c in artifacts["candidates"][2:])  # both answer obj.halve(4) == 2
        assert artifacts["decision"] == "candidate 3: 2 agree, none otherwise"  # the refused ones have no vote
        assert "n / 2" in methods_of(kernel)["halve"]["source"]  # the first of the agreeing pair is installed
    finally:
        kernel.stop()


def test_an_installed_method_that_changes_state_commits_with_its_first_run(tmp_path):
    cassette = write_cassette(tmp_path / "c.jsonl", [
        brick("remember"),
        # the same text from attempts 1 and 2 (the two voices): two readings agree
        alfred("remember", "def remember(self, item):\n    self.memories = self.memories + [item]\n    return len(self.memories)"),
        alfred("remember", "def remember(self, item):\n    self.memories = self.memories + [item]\n    return len(self.memories)"),
    ])
    kernel = replay_kernel(tmp_path, cassette).start()
    try:
        assert kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "memories", "value": ["a"]})["status"] == "ok"
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "remember", "args": ["b"]}, timeout=60)
        assert reply["result"]["result"] == 2  # the trial's change was rolled back; the re-send's was kept
        assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "remember", "args": ["c"]})["result"] == 3
        assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "memories"})["result"] == ["a", "b", "c"]
    finally:
        kernel.stop()


def synthesizing_kernel(tmp_path, identity: bytes | None = None):
    """A kernel whose cycle for ``triple`` waits in SYNTHESIZING (ALFRED takes 60 s); killed -9 there. ``identity``:
    the one the sending client chose (else libzmq gives one)."""
    slow = write_cassette(tmp_path / "slow.jsonl", [brick("triple"), alfred("triple", "def triple(self, n):\n    return n * 3", delay_s=60)])
    kernel = replay_kernel(tmp_path, slow)
    kernel.start()
    with kernel.client(identity=identity) as client:
        client.send({"command": "send", "target": "genesis_obj", "selector": "triple", "args": [5], "id": "t"})
        cycle_id = wait_for_state(kernel, "SYNTHESIZING")
        assert kernel.request({"command": "status"})["result"]["cycles"]["unfinished"] == [cycle_id]
        kernel.kill()  # kill -9 while ALFRED is "thinking"
    return kernel, cycle_id


def test_crash_during_synthesis_then_resume(tmp_path):
    kernel, cycle_id = synthesizing_kernel(tmp_path)

    image = Image(kernel.image)  # the world shows nothing half-installed
    try:
        assert image.read(lambda: "triple" not in image.connection.root()["genesis_obj"].slots)
    finally:
        image.close()

    fast = write_cassette(tmp_path / "fast.jsonl", [alfred("triple", "def triple(self, n):\n    return n * 3")] * 2)
    kernel.env["BATOS_CASSETTE"] = str(fast)
    kernel.start()
    try:
        final = wait_for_end(kernel, cycle_id)
        assert final["state"] == "COMPLETE" and final["result"] == 15
        assert "SYNTHESIZING" in [h["state"] for h in final["history"]]
        assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "triple", "args": [2]})["result"] == 6
        assert "interrupted; resuming" in kernel.log.read_text()
    finally:
        kernel.stop()


def restart_slowly(kernel, tmp_path) -> None:
    """Start the killed kernel again; its resumed cycle takes ~2 s (ALFRED's line), time to connect clients first."""
    slowish = write_cassette(tmp_path / "slowish.jsonl", [alfred("triple", "def triple(self, n):\n    return n * 3", delay_s=2)] * 2)
    kernel.env["BATOS_CASSETTE"] = str(slowish)
    kernel.start()


def test_a_resumed_cycles_answer_goes_to_no_client_of_the_new_kernel(tmp_path):
    """The client that waited was connected to the killed kernel. libzmq numbers connections the same way in every
    process, so the new kernel gives that client's identity to whoever connects in its place: the answer must not
    go there (it once reached a test's `cycle` request)."""
    kernel, cycle_id = synthesizing_kernel(tmp_path)
    restart_slowly(kernel, tmp_path)
    strangers = [kernel.client() for _ in range(12)]
    try:
        for stranger in strangers:  # connected, each with the identity the new kernel gave it
            stranger.send({"command": "ping", "id": "mine"})
            assert stranger.recv()["id"] == "mine"
        final = wait_for_end(kernel, cycle_id)
        assert final["state"] == "COMPLETE" and final["result"] == 15
        time.sleep(0.5)
        unsolicited = [stranger.recv(0) for stranger in strangers if stranger.sock.poll(0)]
        assert unsolicited == [], unsolicited
        assert "its answer is not sent" in kernel.log.read_text()
    finally:
        for stranger in strangers:
            stranger.close()
        kernel.stop()


def test_a_client_with_an_identity_of_its_own_gets_the_resumed_cycles_answer(tmp_path):
    kernel, cycle_id = synthesizing_kernel(tmp_path, identity=b"waiting-client")
    restart_slowly(kernel, tmp_path)
    try:
        with kernel.client(identity=b"waiting-client") as client:  # back, as a client that reconnects would be
            client.send({"command": "ping", "id": "p"})
            assert client.recv()["id"] == "p"
            reply = client.recv(30)
        assert reply["id"] == "t" and reply["status"] == "ok", reply
        assert reply["result"]["cycle"] == cycle_id and reply["result"]["result"] == 15
    finally:
        kernel.stop()


def test_crash_then_fail_when_configured(tmp_path):
    kernel, cycle_id = synthesizing_kernel(tmp_path)
    kernel.env["BATOS_CYCLE_RESUME"] = "fail"
    kernel.start()
    try:
        final = wait_for_end(kernel, cycle_id)
        assert final["state"] == "FAILED" and final["reasons"] == ["interrupted"]
        assert final["failed_state"] == "SYNTHESIZING"
        assert "triple" not in methods_of(kernel)
        status = kernel.request({"command": "status"})["result"]
        assert status["cycles"]["unfinished"] == []
    finally:
        kernel.stop()


def test_status_lists_an_interrupted_cycle(tmp_path):
    kernel, cycle_id = synthesizing_kernel(tmp_path)
    kernel.start()  # resumes with the same slow cassette: still running, listed
    try:
        status = kernel.request({"command": "status"})["result"]
        assert status["cycles"]["unfinished"] == [cycle_id] and status["active_cycles"] == 1
    finally:
        kernel.stop()


def test_concurrent_cycles_and_clients(tmp_path):
    cassette = write_cassette(tmp_path / "c.jsonl", [
        brick("first_thing"), brick("second_thing"),
        alfred("first_thing", "def first_thing(self):\n    return 1", delay_s=1.0),
        alfred("second_thing", "def second_thing(self):\n    return 2", delay_s=1.0),
        alfred("first_thing", "def first_thing(self):\n    return 1", delay_s=0.5),
        alfred("second_thing", "def second_thing(self):\n    return 2", delay_s=0.5),
    ])
    kernel = replay_kernel(tmp_path, cassette).start()
    try:
        results = {}

        def learn(selector):
            results[selector] = kernel.request({"command": "send", "target": "genesis_obj", "selector": selector}, timeout=60)

        threads = [threading.Thread(target=learn, args=(s,)) for s in ("first_thing", "second_thing")]
        for t in threads:
            t.start()
        time.sleep(0.3)
        clients = [kernel.client() for _ in range(10)]
        try:
            for i, c in enumerate(clients):
                c.send({"command": "send", "target": "genesis_obj", "selector": "echo", "args": [i], "id": i})
                c.send({"command": "ping", "id": f"p{i}"})
            for i, c in enumerate(clients):
                replies = {c.recv(timeout=10)["id"] for _ in range(2)}
                assert replies == {i, f"p{i}"}
        finally:
            for c in clients:
                c.close()
        for t in threads:
            t.join(60)
        assert results["first_thing"]["result"]["result"] == 1
        assert results["second_thing"]["result"]["result"] == 2
    finally:
        kernel.stop()


def wait_for_state(kernel, state, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        unfinished = kernel.request({"command": "status"})["result"]["cycles"]["unfinished"]
        for cycle_id in unfinished:
            if kernel.request({"command": "cycle", "cycle": cycle_id})["result"]["state"] == state:
                return cycle_id
        time.sleep(0.05)
    raise TimeoutError(f"no cycle reached {state}")


def wait_for_end(kernel, cycle_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = kernel.request({"command": "cycle", "cycle": cycle_id})
        if reply.get("error", {}).get("code") in ("timeout", "busy"):
            continue  # a loaded machine: the request waited in the queue past its time (seen once, two test files at a time)
        assert "result" in reply, reply  # any other error reply says which
        summary = reply["result"]
        assert isinstance(summary, dict) and "state" in summary, reply  # a full run once saw a result without it
        if summary["state"] in ("COMPLETE", "FAILED"):
            return summary
        time.sleep(0.05)
    raise TimeoutError(f"cycle {cycle_id} did not end")


def test_a_method_can_pass_self_around(tmp_path):
    cassette = write_cassette(tmp_path / "c.jsonl", [
        brick("befriend"),
        # the same text from attempts 1 and 2 (the two voices): two readings agree
        alfred("befriend", "def befriend(self, other):\n    other.friend = self\n    return self"),
        alfred("befriend", "def befriend(self, other):\n    other.friend = self\n    return self"),
    ])
    kernel = replay_kernel(tmp_path, cassette).start()
    try:
        traits = kernel.request({"command": "inspect", "target": "traits_obj"})["result"]["oid"]
        genesis = kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["oid"]
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "befriend", "args": [{"$oid": traits}]}, timeout=60)
        assert reply["status"] == "ok", reply
        assert reply["result"]["result"]["$oid"] == genesis
        friend = kernel.request({"command": "send", "target": "traits_obj", "selector": "friend"})["result"]
        assert friend["$oid"] == genesis and friend["name"] == "genesis"
    finally:
        kernel.stop()


def test_model_calls_can_be_recorded_and_replayed(tmp_path):
    cassette = write_cassette(tmp_path / "c.jsonl", [brick("square"), *[alfred("square", "def square(self, n):\n    return n * n")] * 2])
    recorded = tmp_path / "recorded.jsonl"
    kernel = replay_kernel(tmp_path, cassette, BATOS_RECORD_TO=str(recorded)).start()
    try:
        assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "square", "args": [3]}, timeout=60)["result"]["result"] == 9
    finally:
        kernel.stop()
    lines = [json.loads(line) for line in recorded.read_text().splitlines()]
    assert [line["persona"] for line in lines] == ["BRICK", "ALFRED", "ALFRED"]
    assert all("def square" in line["response"] for line in lines[1:])
    again = KernelProcess(tmp_path / "again", env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(recorded)})
    again.workdir.mkdir()
    again.start()
    try:  # the recording replays the same session
        assert again.request({"command": "send", "target": "genesis_obj", "selector": "square", "args": [4]}, timeout=60)["result"]["result"] == 16
    finally:
        again.stop()


def test_a_reply_without_queries_searches_with_the_selector_and_an_unmatched_cassette_fails(tmp_path):
    """Research never sinks a cycle (issue 14): BRICK's prose gives no queries, so the selector's words are searched
    and the cycle goes on, to fail only where no model answers: ALFRED has no line. BRICK with none fails at once."""
    cassette = write_cassette(tmp_path / "c.jsonl", [
        {"persona": "BRICK", "contains": "Selector: ponder_deeply", "response": "I would rather not say."},
    ])
    kernel = replay_kernel(tmp_path, cassette).start()
    try:
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "ponder_deeply"}, timeout=60)
        assert reply["error"]["code"] == "cycle_failed" and reply["error"]["state"] == "SYNTHESIZING"
        assert "ALFRED" in reply["error"]["reasons"][0] and "cassette" in reply["error"]["reasons"][0]
        artifacts = kernel.request({"command": "cycle", "cycle": reply["error"]["cycle"]})["result"]["artifacts"]
        assert artifacts["queries"] == ["ponder deeply"] and artifacts["queries_from"] == "fallback"
        reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "unrecorded"}, timeout=60)
        assert reply["error"]["code"] == "cycle_failed" and reply["error"]["state"] == "DECOMPOSING"
        assert "BRICK" in reply["error"]["reasons"][0] and "cassette" in reply["error"]["reasons"][0]
        assert "ponder_deeply" not in methods_of(kernel) and "unrecorded" not in methods_of(kernel)
    finally:
        kernel.stop()


def test_a_bad_cassette_stops_the_kernel_at_start(tmp_path):
    cassette = tmp_path / "bad.jsonl"
    cassette.write_text('{"persona": "BRICK"}\n')
    kernel = replay_kernel(tmp_path, cassette).start(wait=False)
    assert kernel.wait(timeout=30) != 0
    assert "bad.jsonl" in kernel.stderr() and "line 1" in kernel.stderr()

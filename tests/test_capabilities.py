"""What a learned method may ask: personas.ask (the replay backend, a real LLM seam) and memory.search (the real
catalog), granted, budgeted and recorded (bat_os.cognition.capabilities); end to end through a real kernel and jail."""

from __future__ import annotations

import asyncio
import json

import pytest

from bat_os.cognition.methods.capabilities import BudgetExceeded, CapabilitySettings, RunCapabilities, grants_of, used_by
from bat_os.image.objects import Method
from bat_os.memory.service import Memory
from bat_os.models.backends import ReplayBackend
from support import KernelProcess

ASK = "def kind_word(self, topic):\n    return personas.ask('ROBIN', 'One kind word about ' + topic).strip()"
SEARCH = "def codex_ids(self, query):\n    return [hit['doc_id'] for hit in memory.search(query, 3, 'text')]"


def _cassette(path, lines):
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def robin(response="  Gentle  ", delay=0.0):
    return {"persona": "ROBIN", "contains": "One kind word about", "response": response, "delay_s": delay}


def test_a_source_grants_what_it_names():
    assert used_by(ASK) == ["personas.ask"] and used_by(SEARCH) == ["memory.search"]
    assert used_by("def f(self):\n    return self.memory\n") == []  # a slot of that name is not the capability
    assert used_by("def f(self:\n") == []
    assert grants_of(Method("f", ASK, origin="generated", provenance={"grants": ["personas.ask", "os.system"]})) == [
        "personas.ask"]
    assert grants_of(Method("f", ASK, origin="generated")) == []  # installed before grants existed


def test_calls_are_granted_checked_budgeted_and_recorded(tmp_path, awake_image):
    llm = ReplayBackend(_cassette(tmp_path / "c.jsonl", [robin(), robin("Kind and warm, a long answer")]))
    recorded = []

    async def main():
        memory = Memory(awake_image)
        caps = RunCapabilities(llm, memory, CapabilitySettings(tokens=6, calls=3), ["personas.ask"],
                               record=lambda event, **fields: recorded.append((event, fields)))
        word = await caps.call("personas.ask", ["robin", "One kind word about rain"], {})
        with pytest.raises(PermissionError, match="memory.search is not granted"):
            await caps.call("memory.search", ["ALFRED"], {})
        caps.grant(["memory.search", "os.system"])
        hits = await caps.call("memory.search", ["steward butler", 2, "text"], {})
        with pytest.raises(ValueError, match="no persona 'NOBODY'"):
            await caps.call("personas.ask", ["NOBODY", "hi"], {})
        spent = caps.tokens
        with pytest.raises(BudgetExceeded, match="more than 3 capability calls"):
            await caps.call("personas.ask", ["ROBIN", "One kind word about sea"], {})
        caps.new_case()
        long = await caps.call("personas.ask", ["ROBIN", "One kind word about sea"], {})
        with pytest.raises(BudgetExceeded, match="model tokens are spent"):
            await caps.call("personas.ask", ["ROBIN", "again"], {})
        with pytest.raises(AttributeError, match="no capability 'os.system'"):
            await caps.call("os.system", ["ls"], {})
        with pytest.raises(ValueError, match="k is a whole number from 1 to 20"):
            await caps.call("memory.search", ["x", 0], {})
        await memory.close()
        return word, hits, spent, long, caps.tokens

    word, hits, spent, long, tokens = asyncio.run(main())
    assert word == "  Gentle  " and spent == 1  # one streamed piece
    assert [h["doc_id"] for h in hits][:1] == ["codex:alfred:01"] and set(hits[0]) == {"doc_id", "chunk", "text", "score"}
    assert long.startswith("Kind") and tokens >= 6
    asks = [fields for event, fields in recorded if fields["capability"] == "personas.ask"]
    assert asks[0]["persona"] == "ROBIN" and asks[0]["outcome"] == "ok" and asks[0]["tokens"] == 1
    assert len(asks[0]["prompt_sha256"]) == 64 and asks[0]["model"].startswith("replay:")
    assert [f["outcome"] for _, f in recorded] == ["ok", "PermissionError", "ok", "ValueError", "BudgetExceeded", "ok",
                                                   "BudgetExceeded", "AttributeError", "ValueError"]


def _kernel(tmp_path, lines, **env):
    cassette = _cassette(tmp_path / "k.jsonl", lines)
    return KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette),
                                        "BATOS_JAIL_WALL_SECONDS": "2", "BATOS_MEMORY_WARMUP": "0", **env}).start()


def _ok(reply):
    assert reply["status"] == "ok", reply
    return reply["result"]


def _install(kernel, selector, source):
    return _ok(kernel.request({"command": "set_method", "target": "genesis_obj", "selector": selector, "source": source},
                              timeout=60))


def _send(kernel, selector, *args):
    return kernel.request({"command": "send", "target": "genesis_obj", "selector": selector, "args": list(args)}, timeout=60)


def test_methods_ask_a_persona_and_search_the_memory_through_the_kernel(tmp_path):
    # ROBIN takes 3 s to answer: longer than the run's 2 s wall clock, which stops while the run waits
    kernel = _kernel(tmp_path, [robin("  Gentle  ", delay=3.0), robin("Calm")])
    try:
        _install(kernel, "kind_word", ASK)
        _install(kernel, "codex_ids", SEARCH)
        source = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["methods"]
        assert source["kind_word"]["provenance"]["grants"] == ["personas.ask"]
        assert _ok(_send(kernel, "kind_word", "rain")) == "Gentle"
        assert _ok(_send(kernel, "codex_ids", "steward butler auditor"))[0] == "codex:alfred:01"
        # a composed call: the nested method's grants come with it
        _install(kernel, "both", "def both(self, topic):\n    return self.kind_word(topic) + '!'")
        assert _ok(_send(kernel, "both", "sea")) == "Calm!"
    finally:
        kernel.stop()
    lines = [json.loads(line) for line in kernel.audit.read_text().splitlines()]
    calls = [line for line in lines if line.get("event") == "capability"]
    assert [c["capability"] for c in calls] == ["personas.ask", "memory.search", "personas.ask"]
    assert calls[0]["persona"] == "ROBIN" and calls[0]["seconds"] >= 3 and calls[0]["outcome"] == "ok"
    assert [c["method"] for c in calls] == ["kind_word", "codex_ids", "both"]  # the send that made the call


def test_a_method_past_its_budget_or_in_a_loop_is_refused_cleanly_and_changes_nothing(tmp_path):
    kernel = _kernel(tmp_path, [robin(f"word {i}") for i in range(12)], BATOS_CAPABILITY_TOKENS="1",
                     BATOS_CAPABILITY_CALLS="4")
    try:
        _install(kernel, "twice", "def twice(self, topic):\n    self.first = personas.ask('ROBIN', 'One kind word about ' + topic)\n"
                                  "    return personas.ask('ROBIN', 'One kind word about ' + topic + ' again')")
        _install(kernel, "chatter", "def chatter(self):\n    found = []\n    while True:\n"
                                    "        found.append(memory.search('steward ' + str(len(found)), 1, 'text'))")
        over = _send(kernel, "twice", "rain")
        assert over["error"]["code"] == "method_error" and over["error"]["error_type"] == "BudgetExceeded", over
        assert "model tokens are spent" in over["error"]["message"]
        looping = _send(kernel, "chatter")
        assert looping["error"]["error_type"] == "BudgetExceeded" and "more than 4 capability calls" in looping["error"]["message"]
        assert "first" not in _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["slots"]
        # capabilities the guardian does not know, and bad arguments
        refused = kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "leak",
                                  "source": "def leak(self):\n    return personas.models()"}, timeout=30)
        assert refused["error"]["code"] == "code_refused" and "personas.models" in refused["error"]["message"]
        _install(kernel, "nobody", "def nobody(self):\n    return personas.ask('NOBODY', 'hi')")
        assert _send(kernel, "nobody")["error"]["error_type"] == "ValueError"
        assert _ok(kernel.request({"command": "ping"}))["pong"] is True
    finally:
        kernel.stop()


def test_a_cycle_learns_a_method_that_asks_a_persona_its_trial_asking_through_the_replay_backend(tmp_path):
    spec = "Answer with the asserts in one ```python block."
    code = "def robin_word(self, topic):\n    return personas.ask('ROBIN', 'One word about ' + topic).strip().lower()"
    lines = [
        {"persona": "BRICK", "contains": "Selector: robin_word", "response": '["robin words"]'},
        {"persona": "BRICK", "contains": spec, "response": "```python\nassert obj.robin_word('sun') == 'calm'\n```"},
        # the author was told of the helpers: the request names ROBIN
        {"persona": "ALFRED", "contains": "personas.ask('ROBIN', prompt)", "response": f"```python\n{code}\n```"},
        *[{"persona": "ROBIN", "contains": "One word about", "response": " Calm "} for _ in range(40)],
    ]
    kernel = _kernel(tmp_path, lines)
    try:
        learned = _ok(kernel.request({"command": "send", "target": "genesis_obj", "selector": "robin_word", "args": ["rain"],
                                      "intent": "ask ROBIN for one word about a topic, in lower case",
                                      "examples": [{"args": ["rain"], "result": "calm"}, {"args": ["sea"], "result": "calm"}]},
                                     timeout=120))
        assert learned["result"] == "calm"
        method = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["methods"]["robin_word"]
        assert method["provenance"]["grants"] == ["personas.ask"]
        assert method["provenance"]["tests"]["cases"] == [{"args": ["sun"], "kwargs": {}, "result": "calm"}]
        assert _ok(_send(kernel, "robin_word", "snow")) == "calm"
        # its stored cases run again with its grants: they ask ROBIN too
        assert _ok(kernel.request({"command": "selfcheck", "tests": True}, timeout=60))["tests"]["failures"] == 0
    finally:
        kernel.stop()

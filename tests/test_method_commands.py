"""The life cycle of a learned method, end to end: a real kernel, the real jail, cycles from a cassette.

A learned ``square``, then a learned ``sum_of_squares`` whose code sends ``self.square``; then ``methods``,
``source``, ``set_method`` (refused when it breaks its own or a caller's stored case, made when it holds),
``history``, ``revert``, ``remove_method``; system methods protected; bad input answered with a code and
nothing changed; ``kill -9`` during ``set_method`` leaves the old version or the new one.
"""

from __future__ import annotations

import json
import random
import threading

from support import KernelProcess

SPEC = "Answer with the asserts in one ```python block."
SQUARE = "def square(self, x):\n    return x * x"
SUM = "def sum_of_squares(self, n):\n    total = 0\n    for k in range(1, n + 1):\n        total = total + self.square(k)\n    return total"


def _cassette(path):
    lines = [
        {"persona": "BRICK", "contains": "Selector: square", "response": '["squares"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\nassert obj.square(5) == 25\n```"},
        {"persona": "ALFRED", "contains": " square(", "response": f"```python\n{SQUARE}\n```"},
        {"persona": "BRICK", "contains": "Selector: sum_of_squares", "response": '["sums"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\nassert obj.sum_of_squares(2) == 5\n```"},
        {"persona": "ALFRED", "contains": " sum_of_squares(", "response": f"```python\n{SUM}\n```"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _kernel(tmp_path, cassette=True):
    env = {"BATOS_JAIL_WALL_SECONDS": "5"}
    if cassette:
        env.update(BATOS_LLM_BACKEND="replay", BATOS_CASSETTE=str(_cassette(tmp_path / "c.jsonl")))
    return KernelProcess(tmp_path, env=env).start()


def _ok(reply):
    assert reply["status"] == "ok", reply
    return reply["result"]


def _send(kernel, selector, *args, **extra):
    return kernel.request({"command": "send", "target": "genesis_obj", "selector": selector, "args": list(args), **extra},
                          timeout=60)


def _learn_both(kernel):
    square = _ok(_send(kernel, "square", 7, examples=[{"args": [3], "result": 9}, {"args": [4], "result": 16}]))
    assert square["result"] == 49
    total = _ok(_send(kernel, "sum_of_squares", 3, intent="add up the squares of 1..n using square",
                      examples=[{"args": [3], "result": 14}, {"args": [1], "result": 1}]))
    assert total["result"] == 14


def _history(kernel, selector="square"):
    return _ok(kernel.request({"command": "history", "target": "genesis_obj", "selector": selector}))


def test_a_learned_method_composes_and_is_edited_reverted_and_removed_with_its_tests(tmp_path):
    kernel = _kernel(tmp_path)
    try:
        _learn_both(kernel)
        assert "self.square(k)" in _ok(kernel.request({"command": "source", "target": "genesis_obj",
                                                      "selector": "sum_of_squares"}))["source"]
        assert _ok(_send(kernel, "sum_of_squares", 4)) == 30  # it runs, composed, and again

        listed = {m["selector"]: m for m in _ok(kernel.request({"command": "methods", "target": "genesis_obj"}))["methods"]}
        assert listed["square"]["origin"] == "generated" and listed["square"]["inherited"] is False
        assert listed["square"]["version"] == 1 and listed["square"]["cases"] == 3  # two examples, one generated case
        assert listed["sum_of_squares"]["calls"] == 1  # the send above; the cycle's own re-send is no client send
        inherited = [m for m in listed.values() if m["inherited"]]
        assert inherited and all(m["origin"] == "system" for m in inherited)

        # an edit that breaks square's own examples and its caller's cases is refused; nothing changes
        wrong = _send_edit(kernel, "square", "def square(self, x):\n    return x * 3")
        assert wrong["status"] == "error" and wrong["error"]["code"] == "tests_failed", wrong
        broken = {f["selector"] for f in wrong["error"]["failures"]}
        assert broken == {"square", "sum_of_squares"}
        messages = [f["message"] for f in wrong["error"]["failures"]]
        assert "square(4) should return 16, but it returned 12" in messages  # 3 * 3 is 9: that example held
        assert "sum_of_squares(3) should return 14, but it returned 18" in messages  # the caller, through the edit
        assert wrong["error"]["failures"][0]["case"].startswith("square(")
        assert len(_history(kernel)["versions"]) == 1 and _ok(_send(kernel, "square", 2)) == 4

        # an edit that keeps every case is made: version 2, kept with its reason
        made = _ok(_send_edit(kernel, "square", "def square(self, x):\n    return x ** 2", reason="the power reads better"))
        assert made["version"] == 2 and made["cases_run"] == 3 + 2 + 1 and made["forced"] == []
        history = _history(kernel)
        assert [v["version"] for v in history["versions"]] == [1, 2] and history["current"] == 2
        assert [v["change"] for v in history["versions"]] == ["learned", "edited"]
        assert history["versions"][0]["reason"].startswith("learned in cycle c")
        assert history["versions"][1]["reason"] == "the power reads better"
        assert history["versions"][1]["author"] == "architect"
        assert _ok(kernel.request({"command": "source", "target": "genesis_obj", "selector": "square", "version": 1}))["source"] == SQUARE

        # revert to version 1: its source runs again, as version 3
        reverted = _ok(kernel.request({"command": "revert", "target": "genesis_obj", "selector": "square", "version": 1}, timeout=60))
        assert reverted["version"] == 3
        assert _ok(kernel.request({"command": "source", "target": "genesis_obj", "selector": "square"}))["source"] == SQUARE
        history = _history(kernel)
        assert history["current"] == 3 and history["log"][-1]["reverted_to"] == 1
        assert history["versions"][2]["reason"] == "reverted to version 1"
        assert _ok(_send(kernel, "sum_of_squares", 2)) == 5

        # removing it would break its caller: refused, then forced; the history stays and a revert brings it back
        refused = kernel.request({"command": "remove_method", "target": "genesis_obj", "selector": "square"}, timeout=60)
        assert refused["error"]["code"] == "tests_failed" and refused["error"]["failures"][0]["selector"] == "sum_of_squares"
        removed = _ok(kernel.request({"command": "remove_method", "target": "genesis_obj", "selector": "square", "force": True},
                                     timeout=60))
        assert removed["removed_version"] == 3 and removed["forced"]
        assert _send(kernel, "sum_of_squares", 2, learn=False)["status"] == "error"  # square is gone
        history = _history(kernel)
        assert history["current"] is None and history["log"][-1]["event"] == "removed"
        back = _ok(kernel.request({"command": "revert", "target": "genesis_obj", "selector": "square", "version": 2}, timeout=60))
        assert back["version"] == 4 and _ok(_send(kernel, "sum_of_squares", 3)) == 14
    finally:
        kernel.stop()
    # everything above was committed: a restart finds the same history
    kernel = KernelProcess(tmp_path, image=kernel.image, env={"BATOS_JAIL_WALL_SECONDS": "5"}).start()
    try:
        assert [v["change"] for v in _history(kernel)["versions"]] == ["learned", "edited", "reverted", "reverted"]
    finally:
        kernel.stop()


def _send_edit(kernel, selector, source, **extra):
    return kernel.request({"command": "set_method", "target": "genesis_obj", "selector": selector, "source": source, **extra},
                          timeout=60)


def test_a_forced_edit_sets_aside_the_cases_it_fails_but_never_a_given_one(tmp_path):
    kernel = _kernel(tmp_path)
    try:
        _learn_both(kernel)
        cube = "def square(self, x):\n    return x * x * x"
        given = kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "square", "source": cube,
                                "cases": [{"args": [2], "result": 4}], "force": True}, timeout=60)
        assert given["error"]["code"] == "tests_failed"  # the user's own case, never forced past
        assert [f["selector"] for f in given["error"]["failures"]] == ["square"]
        forced = _ok(_send_edit(kernel, "square", cube, force=True))
        assert forced["version"] == 2 and {f["selector"] for f in forced["forced"]} == {"square", "sum_of_squares"}
        tests = _ok(kernel.request({"command": "source", "target": "genesis_obj", "selector": "square"}))["tests"]
        assert tests == []  # every case it kept failed: set aside
        method = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["methods"]["square"]
        assert len(method["provenance"]["tests"]["discarded"]) == 3
    finally:
        kernel.stop()


def test_system_methods_are_protected_and_bad_changes_change_nothing(tmp_path):
    kernel = _kernel(tmp_path)
    try:
        _learn_both(kernel)
        before = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))
        system = next(m["selector"] for m in _ok(kernel.request({"command": "methods", "target": "genesis_obj"}))["methods"]
                      if m["origin"] == "system")
        bad = [
            ({"command": "set_method", "selector": system, "source": f"def {system}(self):\n    return 1"}, "protected"),
            ({"command": "remove_method", "selector": system}, "protected"),
            ({"command": "revert", "selector": system, "version": 1}, "protected"),
            ({"command": "revert", "selector": "square", "version": 9}, "not_found"),
            ({"command": "revert", "selector": "square", "version": "1"}, "bad_request"),
            ({"command": "set_method", "selector": "square", "source": "import os\ndef square(self, x):\n    return os.getpid()"},
             "code_refused"),
            ({"command": "set_method", "selector": "square", "source": "def other(self):\n    return 1"}, "code_refused"),
            ({"command": "set_method", "selector": "square"}, "bad_request"),
            ({"command": "set_method", "selector": "square", "source": SQUARE, "cases": [{"args": 3}]}, "bad_request"),
            ({"command": "set_method", "selector": "square", "source": SQUARE, "cases": [{"result": 1}] * 65}, "bad_request"),
            ({"command": "set_method", "selector": "2bad", "source": SQUARE}, "bad_request"),
            ({"command": "remove_method", "selector": "nothing_here"}, "not_found"),
            ({"command": "history", "selector": "nothing_here"}, "not_found"),
            ({"command": "source", "selector": "square", "version": 0}, "not_found"),
            ({"command": "set_method", "target": "no_such_obj", "selector": "square", "source": SQUARE}, "not_found"),
        ]
        for message, code in bad:
            reply = kernel.request({"target": "genesis_obj", **message}, timeout=60)
            assert reply["status"] == "error" and reply["error"]["code"] == code, (message, reply)
        # a slot of data is not a method to edit
        _ok(kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "colour", "value": "red"}))
        data = _send_edit(kernel, "colour", "def colour(self):\n    return 'blue'")
        assert data["error"]["code"] == "bad_request" and "data slot" in data["error"]["message"]
        after = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))
        assert after["methods"] == before["methods"]
        assert len(_history(kernel)["versions"]) == 1
        assert _ok(kernel.request({"command": "ping"}))["pong"] is True
    finally:
        kernel.stop()


def test_kill_9_during_set_method_leaves_the_old_version_or_the_new_one(tmp_path):
    rng = random.Random(20261125)
    kernel = KernelProcess(tmp_path, env={"BATOS_JAIL_WALL_SECONDS": "5"})
    sources = [f"def tally(self, x):\n    return x + {n}" for n in range(9)]
    kernel.start()
    _ok(kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "tally", "source": sources[0],
                        "cases": [{"args": [0], "type": "int"}]}, timeout=60))
    kernel.stop()
    state, count, acknowledged = sources[0], 1, False
    for n in range(1, len(sources) + 1):
        kernel.start()
        history = _history(kernel, "tally")
        current = _ok(kernel.request({"command": "source", "target": "genesis_obj", "selector": "tally"}))["source"]
        # after a kill during the edit to sources[n - 1]: the version before it, or that one, never neither
        assert current in (state, sources[n - 1]), (n, current)
        assert not acknowledged or current == sources[n - 1]  # "ok" means committed
        assert len(history["versions"]) == count + (current != state)
        assert history["versions"][history["current"] - 1]["sha256"] == _sha(current)
        state, count = current, len(history["versions"])
        if n == len(sources):
            break
        killer = threading.Timer(rng.uniform(0.0, 0.15), kernel.proc.kill)
        killer.start()
        try:
            reply = kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "tally",
                                    "source": sources[n]}, timeout=5)
            acknowledged = reply["status"] == "ok"
        except TimeoutError:
            acknowledged = False
        killer.join()
        kernel.wait()
    try:
        assert _ok(_send(kernel, "tally", 1)) == 1 + sources.index(state)
    finally:
        kernel.stop()


def _sha(text):
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _relearn_cassette(path):
    hello = "def greet(self, name):\n    return 'Hello, ' + name"
    hi = "def greet(self, name):\n    return 'Hi, ' + name"
    lines = [
        {"persona": "BRICK", "contains": "Selector: greet", "response": '["greetings"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\nassert obj.greet('Cy') == 'Hello, Cy'\n```"},
        {"persona": "ALFRED", "contains": " greet(", "response": f"```python\n{hello}\n```"},
    ]
    for _ in range(2):  # two relearns: the author is shown the version it replaces
        lines += [
            {"persona": "BRICK", "contains": "Selector: greet", "response": '["greetings"]'},
            {"persona": "BRICK", "contains": SPEC, "response": "```python\nassert obj.greet('Cy') == 'Hi, Cy'\n```"},
            {"persona": "ALFRED", "contains": "This earlier version is wrong: it should say Hi.",
             "response": f"```python\n{hi}\n```"},
        ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_relearn_is_a_new_cycle_shown_the_old_version_and_guarded_by_its_callers(tmp_path):
    cassette = _relearn_cassette(tmp_path / "c.jsonl")
    kernel = KernelProcess(tmp_path, env={"BATOS_JAIL_WALL_SECONDS": "5", "BATOS_LLM_BACKEND": "replay",
                                          "BATOS_CASSETTE": str(cassette)}).start()
    hellos = [{"args": ["Ann"], "result": "Hello, Ann"}, {"args": ["Bo"], "result": "Hello, Bo"}]
    his = [{"args": ["Ann"], "result": "Hi, Ann"}, {"args": ["Bo"], "result": "Hi, Bo"}]
    try:
        assert _ok(_send(kernel, "greet", "Al", examples=hellos))["result"] == "Hello, Al"
        # a caller whose stored case says "Hello": the relearned version would break it, so it is not installed
        _ok(kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "welcome",
                            "source": "def welcome(self, name):\n    return self.greet(name) + '!'",
                            "cases": [{"args": ["Ann"], "result": "Hello, Ann!"}]}, timeout=60))
        guarded = kernel.request({"command": "relearn", "target": "genesis_obj", "selector": "greet",
                                  "reason": "it should say Hi", "examples": his}, timeout=60)
        assert guarded["error"]["code"] == "cycle_failed", guarded
        assert guarded["error"]["reasons"][-1] == ("the new version breaks a stored case of welcome: "
                                                   "welcome('Ann') should return 'Hello, Ann!', but it returned 'Hi, Ann!'")
        assert _ok(_send(kernel, "greet", "Al")) == "Hello, Al" and len(_history(kernel, "greet")["versions"]) == 1

        _ok(kernel.request({"command": "remove_method", "target": "genesis_obj", "selector": "welcome"}, timeout=60))
        relearned = _ok(kernel.request({"command": "relearn", "target": "genesis_obj", "selector": "greet",
                                        "reason": "it should say Hi", "examples": his}, timeout=60))
        assert relearned["result"] == "Hi, Ann"  # called with its first stored case's arguments
        cycle = _ok(kernel.request({"command": "cycle", "cycle": relearned["cycle"]}))
        assert cycle["brief"]["relearn"]["version"] == 1 and cycle["brief"]["examples"] == [
            {**e, "kwargs": {}} for e in his]
        history = _history(kernel, "greet")
        assert [(v["version"], v["change"], v["current"]) for v in history["versions"]] == [
            (1, "learned", False), (2, "relearned", True)]
        assert _ok(_send(kernel, "greet", "Zed")) == "Hi, Zed"
        assert "Hello" in _ok(kernel.request({"command": "source", "target": "genesis_obj", "selector": "greet",
                                              "version": 1}))["source"]
        # bad input: a system method, one it does not have, a call it cannot make up
        for message, code in [({"selector": "describe"}, "protected"), ({"selector": "nothing"}, "not_found"),
                              ({"selector": "greet", "args": "Ann"}, "bad_request")]:
            reply = kernel.request({"command": "relearn", "target": "genesis_obj", **message}, timeout=30)
            assert reply["error"]["code"] == code, reply
    finally:
        kernel.stop()

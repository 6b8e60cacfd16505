"""Drafts (bat_os.kernel.commands.drafts): a failed cycle's best try handed over on a real kernel (the replay
backend): listed, shown with the calls it fails, edited and installed with the person's calls as its tests, an
example given that lets the cycle go on and learn, dropped; a kill -9 while it is being edited installs nothing."""

from __future__ import annotations

import json

import pytest

from bat_os.kernel.commands.drafts import best_try
from support import KernelProcess

AKL = "def initials(self, name):\n    return ''.join(part[0] for part in name.split()).upper()"
AKL_TOO = "def initials(self, name):\n    return ''.join([word[0].upper() for word in name.split()])"
AL = "def initials(self, name):\n    parts = name.split()\n    return parts[0][0].upper() + parts[1][0].upper()"
DOTTED = "def initials(self, name):\n    return ''.join(word[0].upper() + '.' for word in name.split())"
DOTTED_TOO = "def initials(self, name):\n    return ''.join(f'{part[0]}.' for part in name.split()).upper()"
#: the person said it first: initials with dots; the first candidates leave them out
LEARN = {"command": "send", "target": "genesis_obj", "selector": "initials", "args": ["Ada King Lovelace"],
         "intent": "the initials of a full name in capitals", "examples": [{"args": ["Grace Hopper"], "result": "G.H."}]}


def cassette(tmp_path, *codes):
    lines = [{"persona": "BRICK", "contains": "Selector: initials", "response": json.dumps(["initials of a name"])}]
    lines += [{"persona": "ALFRED", "contains": " initials(", "response": f"```python\n{code}\n```"} for code in codes]
    path = tmp_path / f"initials{len(codes)}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.fixture
def failed(tmp_path):
    """A kernel whose cycle for initials failed: two candidates, both without the dots the person's example has."""
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette(tmp_path, AKL, AL, DOTTED, DOTTED_TOO)),
                                          "BATOS_CYCLE_MAX_ATTEMPTS": "2", "BATOS_JAIL_WALL_SECONDS": "2"}).start()
    reply = kernel.request(LEARN, timeout=60)
    assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed", reply
    yield kernel, reply["error"]["cycle"]
    kernel.stop()


def test_the_best_try_held_the_call_asked_then_the_most_of_the_persons_examples():
    accepted = {"verdict": {"accepted": True}, "code": "x"}
    candidates = [{**accepted, "failed": ["trial: f() should not raise"]},
                  {**accepted, "failed": ["example: a", "example: b", "... and 3 more"]},
                  {**accepted, "failed": ["example: a"], "passes": [True, False]},
                  {**accepted, "failed": ["example: a"], "passes": [True, True]},
                  {"verdict": {"accepted": False}, "code": "y", "failed": []}]
    assert best_try(candidates) == 3
    assert best_try(candidates[:3]) == 2 and best_try(candidates[:1]) == 0 and best_try(candidates[4:]) is None


def test_a_failed_cycle_hands_over_its_best_try_with_the_calls_it_fails(failed):
    kernel, cycle = failed
    listed = kernel.request({"command": "drafts"})["result"]
    assert [d["cycle"] for d in listed["drafts"]] == [cycle] and listed["total"] == 1
    draft = kernel.request({"command": "draft", "cycle": cycle}, timeout=30)["result"]
    assert draft["code"] == AKL and draft["selector"] == "initials" and draft["state"] == "open"
    assert draft["failing"] == [{"call": {"args": ["Grace Hopper"], "kwargs": {}}, "wanted": {"result": "G.H."},
                                 "why": "initials('Grace Hopper') should return 'G.H.', but it returned 'GH'"}]
    assert kernel.request({"command": "draft", "cycle": "c99"})["error"]["code"] == "not_found"


def test_an_edit_that_fails_the_persons_calls_changes_nothing_and_one_that_holds_them_is_installed(failed):
    kernel, cycle = failed
    wrong = kernel.request({"command": "draft_edit", "cycle": cycle, "source": AKL_TOO}, timeout=30)
    assert wrong["status"] == "error" and wrong["error"]["code"] == "tests_failed", wrong
    assert kernel.request({"command": "source", "target": "genesis_obj", "selector": "initials"})["status"] == "error"
    refused = kernel.request({"command": "draft_edit", "cycle": cycle, "source": "import os\ndef initials(self, n):\n    return os.name"})
    assert refused["error"]["code"] == "code_refused"
    done = kernel.request({"command": "draft_edit", "cycle": cycle, "source": DOTTED}, timeout=30)
    assert done["status"] == "ok" and done["result"]["version"] == 1, done
    source = kernel.request({"command": "source", "target": "genesis_obj", "selector": "initials"})["result"]
    assert source["source"] == DOTTED and {"args": ["Grace Hopper"], "kwargs": {}, "result": "G.H."} in source["tests"]
    assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "initials", "args": ["Alan Turing"]})["result"] == "A.T."
    assert kernel.request({"command": "drafts"})["result"]["drafts"] == []
    again = kernel.request({"command": "draft_edit", "cycle": cycle, "source": DOTTED})
    assert again["error"]["code"] in ("answered", "not_found")  # settled in the install's own transaction


def test_an_example_given_at_the_hand_over_lets_the_cycle_go_on_and_learn(failed):
    kernel, cycle = failed
    reply = kernel.request({"command": "draft_example", "cycle": cycle, "args": ["Ada King Lovelace"], "result": "A.K.L."},
                           timeout=60)
    assert reply["status"] == "ok" and reply["result"]["result"] == "A.K.L.", reply
    learned = kernel.request({"command": "cycle", "cycle": reply["result"]["cycle"]})["result"]
    assert learned["artifacts"]["inherited"]["cycle"] == cycle
    assert {"args": ["Ada King Lovelace"], "kwargs": {}, "result": "A.K.L."} in learned["brief"]["examples"]
    assert kernel.request({"command": "drafts"})["result"]["drafts"] == []
    bad = kernel.request({"command": "draft_example", "cycle": cycle, "args": ["x"]})
    assert bad["error"]["code"] in ("bad_request", "answered", "not_found")


def test_a_dropped_draft_is_listed_no_more_and_cannot_be_installed(failed):
    kernel, cycle = failed
    assert kernel.request({"command": "draft_drop", "cycle": cycle})["result"] == {"cycle": cycle, "state": "dropped"}
    assert kernel.request({"command": "drafts"})["result"]["drafts"] == []
    assert kernel.request({"command": "draft_edit", "cycle": cycle, "source": DOTTED})["error"]["code"] == "answered"
    assert kernel.request({"command": "draft_drop", "cycle": cycle})["error"]["code"] == "answered"


def test_a_kill_9_while_a_draft_is_edited_installs_nothing_and_the_draft_stays(failed, tmp_path):
    kernel, cycle = failed
    shown = kernel.request({"command": "draft", "cycle": cycle}, timeout=30)["result"]  # the person opens the editor
    kernel.kill()  # ... and the kernel dies under it
    again = KernelProcess(tmp_path, image=kernel.image, env=kernel.env).start()
    try:
        assert again.request({"command": "source", "target": "genesis_obj", "selector": "initials"})["status"] == "error"
        assert [d["cycle"] for d in again.request({"command": "drafts"})["result"]["drafts"]] == [cycle]
        done = again.request({"command": "draft_edit", "cycle": cycle, "source": shown["code"].replace("upper()", "upper() + '.'")},
                             timeout=30)
        assert done["status"] == "error" and done["error"]["code"] == "tests_failed"  # "A.K.L." not "A.K.L.": still refused
        done = again.request({"command": "draft_edit", "cycle": cycle, "source": DOTTED}, timeout=30)
        assert done["status"] == "ok", done
    finally:
        again.stop()

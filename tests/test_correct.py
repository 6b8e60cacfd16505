"""Answers the person corrects (``correct``, the console's ``/wrong``): the person's answer joins the examples the
method kept and the method is relearned with it; nothing changes unless the new version holds it (a real kernel, the
replay backend)."""

from __future__ import annotations

import pytest

from bat_os.console.errors import UsageError
from bat_os.console.parsing import parse_line
from support import KernelProcess
from test_drafts import AKL, AKL_TOO, DOTTED, DOTTED_TOO, cassette

WRONG = {"command": "correct", "target": "genesis_obj", "selector": "initials", "args": ["Ada King Lovelace"], "result": "A.K.L."}


def kernel_with(tmp_path, *codes: str) -> KernelProcess:
    """A kernel whose initials answers without dots (installed by hand), the cassette holding ``codes``."""
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette(tmp_path, *codes)),
                                          "BATOS_CYCLE_MAX_ATTEMPTS": "2", "BATOS_JAIL_WALL_SECONDS": "2"}).start()
    done = kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "initials", "source": AKL}, timeout=30)
    assert done["status"] == "ok", done
    return kernel


def test_slash_wrong_is_the_correct_command():
    assert parse_line("""/wrong genesis_obj initials ["Ada King Lovelace"] 'A.K.L.'""") == WRONG
    assert parse_line("/wrong genesis_obj initials [] raises KeyError")["raises"] == "KeyError"
    for bad, why in (("/wrong genesis_obj initials", "needs a TARGET"), ("/wrong genesis_obj initials 'x' 'y'", "JSON list"),
                     ("/wrong genesis_obj initials [1]", "then the right ANSWER"), ("/wrong genesis_obj initials [1] A", "quotes")):
        with pytest.raises(UsageError, match=why):
            parse_line(bad)


def test_a_corrected_answer_is_kept_as_a_test_of_the_method_relearned_with_it(tmp_path):
    kernel = kernel_with(tmp_path, DOTTED, DOTTED_TOO)
    try:
        reply = kernel.request(WRONG, timeout=60)
        assert reply["status"] == "ok" and reply["result"]["result"] == "A.K.L.", reply
        source = kernel.request({"command": "source", "target": "genesis_obj", "selector": "initials"})["result"]
        assert source["version"] == 2 and source["source"] in (DOTTED, DOTTED_TOO)
        assert {"args": ["Ada King Lovelace"], "kwargs": {}, "result": "A.K.L."} in source["tests"]  # kept as its test
        history = kernel.request({"command": "history", "target": "genesis_obj", "selector": "initials"})["result"]
        assert [v["version"] for v in history["versions"]] == [1, 2]  # the old version stays in its history
        cycle = kernel.request({"command": "cycle", "cycle": reply["result"]["cycle"]})["result"]
        assert cycle["brief"]["relearn"]["reason"] == "it answers initials('Ada King Lovelace') wrong"
    finally:
        kernel.stop()


def test_an_example_the_old_version_kept_stays_a_constraint(tmp_path):
    """The person's earlier word ("Grace Hopper" gives "GH") still binds: a correction that contradicts it (the dots)
    can be held by no version, and nothing changes."""
    kernel = kernel_with(tmp_path, DOTTED, DOTTED_TOO)
    try:
        kept = kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "initials", "source": AKL,
                               "cases": [{"args": ["Grace Hopper"], "result": "GH"}]}, timeout=30)
        assert kept["status"] == "ok" and kept["result"]["version"] == 2
        reply = kernel.request(WRONG, timeout=60)
        assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed", reply
        assert kernel.request({"command": "source", "target": "genesis_obj", "selector": "initials"})["result"]["version"] == 2
    finally:
        kernel.stop()


def test_nothing_changes_unless_the_new_version_holds_the_correction_and_a_draft_is_left(tmp_path):
    kernel = kernel_with(tmp_path, AKL, AKL_TOO)
    try:
        reply = kernel.request(WRONG, timeout=60)
        assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed", reply
        source = kernel.request({"command": "source", "target": "genesis_obj", "selector": "initials"})["result"]
        assert source["version"] == 1 and source["source"] == AKL
        # the relearn's best try is a draft: finished by hand, it must hold the correction
        assert [d["cycle"] for d in kernel.request({"command": "drafts"})["result"]["drafts"]] == [reply["error"]["cycle"]]
        held = kernel.request({"command": "draft_edit", "cycle": reply["error"]["cycle"], "source": DOTTED}, timeout=30)
        assert held["status"] == "ok" and held["result"]["version"] == 2, held
        bad = kernel.request({**WRONG, "result": None, "raises": None})
        assert bad["status"] == "error" and bad["error"]["code"] == "bad_request"
        missing = kernel.request({**WRONG, "selector": "nothing_here"})
        assert missing["status"] == "error" and missing["error"]["code"] == "not_found"
    finally:
        kernel.stop()

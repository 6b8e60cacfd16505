"""The hand-over at a real terminal (pexpect): a request that learns ends ``cycle_failed``, and the console shows the
best try in a few lines with the call it fails; the person fixes it in their editor (installed), or gives an example
(the cycle goes on and learns), or keeps it for later (``/drafts``). Also the pure parts: an example typed, a draft
shown."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import pexpect
import pytest

from bat_os.console.errors import UsageError
from bat_os.console.handover import edit_text, parse_example, render_draft
from console_support import client_env
from support import ROOT, KernelProcess
from test_drafts import AKL, AL, DOTTED, DOTTED_TOO, cassette

PROMPT = "Architect > "
SEND = """/send genesis_obj initials ["Ada King Lovelace"] {} [{"args": ["Grace Hopper"], "result": "G.H."}]"""


def test_an_example_is_typed_as_arguments_an_arrow_and_the_answer():
    assert parse_example("'Ada King Lovelace' -> 'A.K.L.'") == {"args": ["Ada King Lovelace"], "result": "A.K.L."}
    assert parse_example("3, 4 -> raises ValueError") == {"args": [3, 4], "raises": "ValueError"}
    assert parse_example(" -> 0") == {"args": [], "result": 0}
    for bad in ("'x'", "Ada -> 'A'", "'x' -> skip"):
        with pytest.raises(UsageError):
            parse_example(bad)


def test_a_draft_is_shown_in_a_few_lines_with_the_calls_it_fails():
    draft = {"cycle": "c1", "selector": "initials", "author": "ALFRED", "code": AKL,
             "failing": [{"call": {"args": ["Grace Hopper"], "kwargs": {}}, "wanted": {"result": "G.H."},
                          "why": "initials('Grace Hopper') should return 'G.H.', but it returned 'GH'"}]}
    shown = render_draft(draft).splitlines()
    assert shown[0] == "no method was learned for initials (cycle c1); the best try, by ALFRED:"
    assert shown[-1] == ("  it fails initials('Grace Hopper'): you said 'G.H.' "
                         "(initials('Grace Hopper') should return 'G.H.', but it returned 'GH')")
    assert len(shown) == 1 + len(AKL.splitlines()) + 1
    unsure = render_draft({**draft, "failing": [], "unsure": {"call": {"args": ["x"], "kwargs": {}},
                                                              "choices": [{"result": "X"}, {"raises": "KeyError"}]}})
    assert unsure.endswith("unsure at initials('x'): 'X' or raises KeyError?")


def test_an_edit_is_made_in_the_persons_editor(tmp_path):
    script = tmp_path / "editor.py"
    script.write_text("import sys\npath = sys.argv[1]\ntext = open(path).read()\nopen(path, 'w').write(text.upper())\n")
    os.environ["VISUAL"] = f"{sys.executable} {script}"
    try:
        assert edit_text("def f(self):\n    return 'a'\n") == "DEF F(SELF):\n    RETURN 'A'\n"
    finally:
        del os.environ["VISUAL"]


@pytest.fixture
def kernel(tmp_path):
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay",
                                          "BATOS_CASSETTE": str(cassette(tmp_path, AKL, AL, DOTTED, DOTTED_TOO)),
                                          "BATOS_CYCLE_MAX_ATTEMPTS": "2", "BATOS_JAIL_WALL_SECONDS": "2"}).start()
    yield kernel
    kernel.stop()


@contextlib.contextmanager
def console(kernel, tmp_path: Path, **env: str):
    """``chat_client.py`` at a 160x40 xterm against ``kernel``, at its first prompt; left with /exit at the end."""
    settings = client_env(TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1", BATOS_HISTORY=str(tmp_path / "history"), **env)
    child = pexpect.spawn(sys.executable, ["chat_client.py", "--endpoint", kernel.endpoint], cwd=str(ROOT), env=settings,
                          encoding="utf-8", timeout=60, dimensions=(40, 160))
    child.logfile_read = open(tmp_path / "terminal.log", "w", encoding="utf-8")
    try:
        child.expect_exact(PROMPT)
        yield child
        child.expect_exact(PROMPT)
        child.sendline("/exit")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)
        child.logfile_read.close()


def failed_and_handed_over(child: pexpect.spawn) -> None:
    child.sendline(SEND)
    child.expect_exact("error [cycle_failed]: cycle c1 failed in VALIDATING")
    child.expect_exact("no method was learned for initials (cycle c1); the best try, by ALFRED:")
    child.expect_exact("it fails initials('Grace Hopper'): you said 'G.H.'")
    child.expect_exact("hand-over c1 > ")


@pytest.mark.skipif(os.name != "posix", reason="pexpect drives a POSIX pseudo-terminal")
def test_the_person_fixes_the_best_try_in_their_editor_and_it_is_installed(kernel, tmp_path):
    editor = tmp_path / "editor.py"
    editor.write_text(f"import sys\nopen(sys.argv[1], 'w').write({DOTTED!r})\n")  # the person's fix: the dots
    with console(kernel, tmp_path, VISUAL=f"{sys.executable} {editor}") as child:
        failed_and_handed_over(child)
        child.sendline("f")
        child.expect_exact("installed initials version 1 on genesis_obj")
        child.expect_exact(PROMPT)
        child.sendline("/drafts")
        child.expect_exact("no drafts: every cycle that failed was settled")
    assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "initials", "args": ["Alan Turing"]})["result"] == "A.T."


@pytest.mark.skipif(os.name != "posix", reason="pexpect drives a POSIX pseudo-terminal")
def test_the_person_gives_an_example_and_the_cycle_goes_on_to_learn(kernel, tmp_path):
    with console(kernel, tmp_path) as child:
        failed_and_handed_over(child)
        child.sendline("e")
        child.expect_exact("example (")
        child.sendline("'Ada King Lovelace' -> 'A.K.L.'")
        while child.expect_exact(["answer q", "A.K.L."]) == 0:  # a look before install: accepted
            child.sendline("")
    source = kernel.request({"command": "source", "target": "genesis_obj", "selector": "initials"})["result"]
    assert source["source"] in (DOTTED, DOTTED_TOO) and {"args": ["Ada King Lovelace"], "kwargs": {}, "result": "A.K.L."} in source["tests"]


@pytest.mark.skipif(os.name != "posix", reason="pexpect drives a POSIX pseudo-terminal")
def test_kept_for_later_it_is_listed_and_comes_back_with_slash_draft(kernel, tmp_path):
    with console(kernel, tmp_path) as child:
        failed_and_handed_over(child)
        child.sendline("")
        child.expect_exact("kept: /drafts lists it, /draft c1 comes back to it")
        child.expect_exact(PROMPT)
        child.sendline("/drafts")
        child.expect_exact("c1     initials")
        child.sendline("/draft c1")
        child.expect_exact("hand-over c1 > ")
        child.sendline("d")
        child.expect_exact("draft of cycle c1 dropped")
    assert json.dumps(kernel.request({"command": "drafts"})["result"]["drafts"]) == "[]"

"""The console at a real terminal (a pseudo-terminal driven by pexpect), against a real kernel and a cassette."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import pexpect
import pytest

from console_support import TIME_SELECTOR, TIME_SENTENCE, client_env, replay_kernel, time_cassette
from support import ROOT

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pexpect drives a POSIX pseudo-terminal")

PROMPT = "Architect > "
STATES = ("DECOMPOSING", "DELEGATING", "SPECIFYING", "SYNTHESIZING", "VALIDATING", "SYNTHESIZING", "VALIDATING", "ASKING")

TIME_BRIEF = {"command": "initiate_cognitive_cycle", "target_oid": "genesis_obj",
              "mission_brief": {"type": "unhandled_message", "selector": TIME_SELECTOR, "args": [],
                                "kwargs": {"intent": TIME_SENTENCE}}}

EXTRA_LINES = [
    # ALFRED translates the acceptance sentence once (the kernel's model stage); the second time
    # there is no line left, so the local translator answers with the same brief.
    {"persona": "ALFRED", "contains": f"Sentence: {TIME_SENTENCE}\nJSON:",
     "response": f"Certainly.\n```json\n{json.dumps(TIME_BRIEF)}\n```"},
    # a slow BRICK, to interrupt
    {"persona": "BRICK", "contains": "Selector: wait_a_while", "response": json.dumps(["waiting"]), "delay_s": 5},
    # the selector the user types after 'e'
    {"persona": "BRICK", "contains": "Selector: say_hello", "response": json.dumps(["greeting"])},
    *[{"persona": "ALFRED", "contains": "Selector: say_hello",
       "response": "```python\ndef say_hello(self):\n    return 'hello'\n```"}] * 2,  # attempts 1 and 2: two readings
]


def confirm(child: pexpect.spawn, call: str, shown: str, typed: str) -> None:
    """The cycle shows the method it will install (a confirm: nothing the person said supports it yet); the person
    accepts it at the prompt with ``typed`` (Enter or 1)."""
    child.expect(r"question (q\d+) of cycle (c\d+): ")
    question = child.match.group(1)
    child.expect_exact(call)
    child.expect_exact(f"I will install it answering {shown}")
    child.expect_exact("Enter or 1 to accept")
    child.expect_exact(f"answer {question} > ")
    child.sendline(typed)
    child.expect_exact("answer accepted: choice a")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    process = replay_kernel(tmp_path_factory.mktemp("terminal"), [*time_cassette(), *EXTRA_LINES]).start()
    try:
        yield process
    finally:
        process.stop()


@contextlib.contextmanager
def terminal(kernel, tmp_path: Path, *, timeout: float = 30, columns: int = 120):
    """``python chat_client.py`` at a ``columns``x40 xterm against ``kernel``, at its first prompt; the pexpect child."""
    env = client_env(TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1", BATOS_HISTORY=str(tmp_path / "history"))
    child = pexpect.spawn(sys.executable, ["chat_client.py", "--endpoint", kernel.endpoint], cwd=str(ROOT), env=env,
                          encoding="utf-8", timeout=timeout, dimensions=(40, columns))
    child.logfile_read = open(tmp_path / "terminal.log", "w", encoding="utf-8")
    try:
        child.expect_exact(PROMPT)
        yield child
    finally:
        if child.isalive():
            child.terminate(force=True)
        child.logfile_read.close()


@pytest.fixture
def console(kernel, tmp_path):
    """``python chat_client.py`` at an 120x40 xterm; yields the pexpect child."""
    with terminal(kernel, tmp_path) as child:
        yield child


def leave(child: pexpect.spawn) -> None:
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_sentence_becomes_a_method_then_an_answer(console, tmp_path: Path) -> None:
    console.sendline(TIME_SENTENCE)
    console.expect_exact(f"brief: mission: send {TIME_SELECTOR}() to genesis_obj")
    console.expect_exact("from the model replay:")  # ALFRED's model translated it
    console.expect_exact(f'"selector": "{TIME_SELECTOR}"')
    console.expect_exact("Send it? [Y/n/e=edit selector]")
    console.sendline("")  # Enter: yes
    for state in STATES:
        console.expect_exact(f"● {state}")
    # the clock's answer is shown as it came; Enter accepts it
    confirm(console, f"{TIME_SELECTOR}()", "'", "")
    console.expect_exact("● COMPLETE")
    console.expect_exact(f"installed {TIME_SELECTOR} on genesis_obj (cycle c")
    console.expect(r"answer: \d\d:\d\d:\d\d")
    console.expect_exact(PROMPT)

    # The same sentence again: the method is installed, so it answers at once (no cycle, no states).
    console.sendline(TIME_SENTENCE)
    console.expect_exact("from the local translator (rule create)")  # the model's line is used up
    console.expect_exact(f'"selector": "{TIME_SELECTOR}"')
    console.expect_exact("Send it? [Y/n/e=edit selector]")
    console.sendline("y")
    console.expect(r"answer: \d\d:\d\d:\d\d")
    assert "●" not in console.before and "installed" not in console.before
    console.expect_exact(PROMPT)
    leave(console)
    assert TIME_SENTENCE in (tmp_path / "history").read_text()  # the history file kept it


def test_ctrl_c_abandons_the_wait_not_the_session(console) -> None:
    console.sendline("/send genesis_obj wait_a_while")
    console.expect_exact("● DECOMPOSING")  # BRICK is thinking for 5 s
    console.sendintr()
    console.expect_exact("interrupted: stopped waiting")
    console.expect_exact(PROMPT)
    console.sendline("/ping")
    console.expect(r"pong \(uptime [\d.]+s\)")
    console.expect_exact(PROMPT)
    leave(console)


def test_the_selector_can_be_edited_before_sending(console) -> None:
    console.sendline("create a method to greet the world")
    console.expect_exact("Send it? [Y/n/e=edit selector]")
    console.sendline("e")
    console.expect_exact("selector: ")
    console.expect_exact("greet_world")  # prefilled with the current one
    console.send("\x15")  # Ctrl+U: clear the line
    console.sendline("Not A Name!")
    console.expect_exact("is not a selector")
    console.expect_exact("selector: ")
    console.send("\x15")
    console.sendline("say_hello")
    console.expect_exact("brief: mission: send say_hello() to genesis_obj")
    console.expect_exact("Send it? [Y/n/e=edit selector]")
    console.sendline("")
    console.expect_exact("● ASKING")
    confirm(console, "say_hello()", "'hello'", "1")
    console.expect_exact("● COMPLETE")
    console.expect_exact("installed say_hello on genesis_obj")
    console.expect_exact("answer: hello")
    console.expect_exact(PROMPT)
    leave(console)


def test_no_means_not_sent_and_ctrl_d_leaves(console) -> None:
    console.sendline("what is the status?")
    console.expect_exact("Send it? [Y/n]")
    console.sendline("n")
    console.expect_exact("not sent")
    console.expect_exact(PROMPT)
    console.sendline("/help")
    console.expect_exact("/brief SENTENCE")
    console.expect_exact(PROMPT)
    console.sendeof()
    console.expect(pexpect.EOF)
    console.close()
    assert console.exitstatus == 0


def test_a_labelled_look_is_corrected_and_the_method_holding_the_correction_is_installed(tmp_path: Path) -> None:
    """Issue 50 at a real terminal: the look before install shows a call for each condition of the request, labelled
    with it; the person corrects the second; the candidates written next hold the correction and are installed."""
    from test_conditions import look_session

    request, lines = look_session()
    sentence = request["intent"]
    brief = {"command": "initiate_cognitive_cycle", "target_oid": "genesis_obj",
             "mission_brief": {"type": "unhandled_message", "selector": "parse_line", "args": request["args"],
                               "kwargs": {"intent": sentence}}}
    translated = {"persona": "ALFRED", "contains": f"Sentence: {sentence}\nJSON:", "response": f"```json\n{json.dumps(brief)}\n```"}
    kernel = replay_kernel(tmp_path, [translated, *lines]).start()
    try:
        with terminal(kernel, tmp_path, timeout=60, columns=160) as child:
            labelled_look_then_install(child, sentence)
    finally:
        kernel.stop()


def labelled_look_then_install(child: pexpect.spawn, sentence: str) -> None:
    """The person's way through :func:`test_conditions.look_session` at the console."""
    child.sendline(sentence)
    child.expect_exact("argument 1 is not in your sentence (guessed \"a,b\"); its value, or Enter to keep the guess")
    child.sendline("")  # the translator's guess, kept
    child.expect_exact("Send it? [Y/n/e=edit selector]")
    child.sendline("")
    child.expect_exact("question q1 of cycle c1: I will install a method that answers")
    child.expect_exact("1) [split a CSV line into its fields] parse_line('a,b')  on slots name='genesis'  ->  ['a', 'b']")
    child.expect_exact("""2) [a field in double quotes keeping its commas] parse_line('x,"y,z"')  on slots name='genesis'  """
                       """->  ['x', '"y', 'z"']""")
    child.expect_exact("answer q1 > ")
    child.sendline("2: ['x', 'y,z']")
    child.expect_exact("answer accepted")
    child.expect_exact("● SYNTHESIZING")
    child.expect_exact("● COMPLETE")
    child.expect_exact("installed parse_line on genesis_obj")
    child.expect_exact(PROMPT)
    leave(child)

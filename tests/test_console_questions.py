"""A learning cycle's questions in the console: reading answers, showing questions, answering mid-request.

The kernel is played by a real ROUTER socket on a free port (``ScriptedPeer``); the person by a line
source whose ``answer`` coroutine gives scripted lines (the seam the console reads questions' answers from).
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from bat_os.console.connection import Connection
from bat_os.console.errors import UsageError
from bat_os.console.parsing import HELP, parse_line
from bat_os.console.progress import Progress
from bat_os.console.questions import describe_answer, parse_answer, render_answered, render_question
from bat_os.console.render import format_result
from bat_os.console.screen import Screen
from bat_os.console.session import Options, Session
from bat_os.console.watch import line
from console_support import Reply, ScriptedPeer, client_env, ok, run_client
from support import ROOT

PLAIN = {"TERM": "xterm-256color"}
TERMINAL = {"TERM": "xterm-256color", "TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "80"}

DISAGREEMENT = {
    "cycle": "c3", "id": "q1", "selector": "initials", "kind": "disagreement",
    "call": {"args": ["Ada King Lovelace"], "kwargs": {}, "slots": {}},
    "choices": [{"result": "AKL", "candidates": 3}, {"result": "AL", "candidates": 2},
                {"raises": "ValueError", "candidates": 1}],
}
CONFIRM = {
    "cycle": "c4", "id": "q2", "selector": "bump", "kind": "confirm",
    "call": {"args": [2], "kwargs": {"by": 1}, "slots": {"count": 1}},
    "choices": [{"result": 3, "slots": {"count": 3}, "candidates": 2}],
}
SEND = {"command": "send", "target": "genesis_obj", "selector": "initials", "args": ["Ada King Lovelace"], "kwargs": {}}
LEARNED = {"cycle": "c3", "selector": "initials", "installed_on": "genesis_obj", "result": "AL"}


def event(request: dict, **fields: object) -> dict:
    return {"id": request["id"], "status": "event", "event": fields}


def error(request: dict, code: str, message: str) -> dict:
    return {"id": request["id"], "status": "error", "error": {"code": code, "message": message}}


class Person:
    """A line source at a 'terminal' whose answers to questions are scripted; None in the script: never
    answers (waits until cancelled)."""

    interactive = True

    def __init__(self, *answers: str | None, thinking: float = 0) -> None:
        self.answers = list(answers)
        self.thinking = thinking  # seconds before each answer
        self.prompts: list[str] = []
        self.cancelled = 0

    def read(self, prompt: str, default: str = "") -> str | None:
        raise AssertionError("the session reads no command line here")

    def ask(self, question: str, default: str = "") -> str | None:
        raise AssertionError("nothing is confirmed here")

    async def answer(self, question: str) -> str | None:
        self.prompts.append(question)
        line = self.answers.pop(0)
        await asyncio.sleep(self.thinking)
        if line is None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        return line


def session_on(peer: ScriptedPeer, person: Person | None, *, timeout: float = 10) -> tuple[Session, io.StringIO]:
    out = io.StringIO()
    connection = Connection(peer.endpoint, timeout=timeout, probe_after=30)
    return Session(connection, Screen(out, out, session=True, environ=PLAIN), Options(timeout=timeout), person), out


# --- reading what the person typed --------------------------------------------------------------------


@pytest.mark.parametrize("typed, fields", [
    ("b", {"choose": 1}),
    (" A ", {"choose": 0}),
    ("4", {"result": 4}),  # a number is the answer itself, as a person means it ("12 or 2?" 4)
    ("2", {"result": 2}),
    ("'AL'", {"result": "AL"}),
    ('"A. L."', {"result": "A. L."}),
    ("= 3", {"result": 3}),
    ("-1", {"result": -1}),
    ("[1, {'a': None}]", {"result": [1, {"a": None}]}),
    ("raises KeyError", {"raises": "KeyError"}),
    ("", {"skip": True}),
    ("skip", {"skip": True}),
])
def test_what_a_person_types_becomes_the_answer_command_s_fields(typed: str, fields: dict) -> None:
    assert parse_answer(typed, DISAGREEMENT) == fields


@pytest.mark.parametrize("typed, reason", [
    ("AKL", "strings need quotes: 'AKL'"),
    ("d", "d is not a choice (a to c); strings need quotes: 'd'"),
    ("raises", "raises takes an exception's name"),
    ("raises not a name", "not 'not a name'"),
    ("{1, 2}", "cannot be sent"),
    ("= ", "not a Python value"),
])
def test_what_cannot_be_an_answer_is_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_answer(typed, DISAGREEMENT)
    assert reason in str(caught.value)


def test_a_confirm_s_enter_accepts_and_its_only_number_is_1() -> None:
    assert parse_answer("", CONFIRM) == {"choose": 0}
    assert parse_answer("1", CONFIRM) == {"choose": 0}
    assert parse_answer("a", CONFIRM) == {"choose": 0}
    assert parse_answer("2", CONFIRM) == {"result": 2} and parse_answer("= 4", CONFIRM) == {"result": 4}
    with pytest.raises(UsageError, match="b is not a choice"):
        parse_answer("b", CONFIRM)


TWO_CALLS = {
    "cycle": "c5", "id": "q1", "selector": "initials", "kind": "confirm",
    "call": {"args": ["Jane Smith"], "kwargs": {}, "slots": {}}, "choices": [{"result": "JS", "candidates": 2}],
    "also": [{"call": {"args": ["Turing Alan extra"], "kwargs": {}, "slots": {}}, "result": "TA"}],
}


def test_a_confirm_of_two_calls_shows_both_and_n_colon_answers_another() -> None:
    shown = render_question(TWO_CALLS).splitlines()
    assert shown[:3] == ["question q1 of cycle c5: I will install a method that answers",
                         "  1) initials('Jane Smith')  ->  'JS'", "  2) initials('Turing Alan extra')  ->  'TA'"]
    assert "Enter to accept" in shown[3] and "2: 'AKL'" in shown[3]
    assert parse_answer("", TWO_CALLS) == {"choose": 0}
    assert parse_answer("2: 'TAE'", TWO_CALLS) == {"result": "TAE", "at": 1}
    assert parse_answer("2:raises ValueError", TWO_CALLS) == {"raises": "ValueError", "at": 1}
    assert parse_answer("1: 'J.S.'", TWO_CALLS) == {"result": "J.S."}
    for bad, why in (("3: 'X'", "3 is not a call shown (1 to 2)"), ("2:", "type the right answer"), ("2: skip", "type the right answer")):
        with pytest.raises(UsageError, match=re.escape(why)):
            parse_answer(bad, TWO_CALLS)
    assert parse_line("/answer c5 q1 2: 'TAE'") == {"command": "answer", "cycle": "c5", "question": "q1", "result": "TAE", "at": 1}
    watched = line({"topic": "cycle.c5.question", "cycle": "c5", "question": TWO_CALLS})
    assert "  2) initials('Turing Alan extra') -> 'TA'   (also shown: 2: VALUE if not)" in watched.splitlines()
    assert describe_answer({"result": "TAE", "at": 1}) == "'TAE' for call 2"


def test_the_answer_slash_command() -> None:
    base = {"command": "answer", "cycle": "c3", "question": "q1"}
    assert parse_line("/answer c3 q1 b") == base | {"choose": 1}
    assert parse_line("/answer c3 q1 2") == base | {"result": 2}
    assert parse_line("/answer c3 q1 'A L'") == base | {"result": "A L"}
    assert parse_line("/answer c3 q1 = 7") == base | {"result": 7}
    assert parse_line("/answer c3 q1 raises ValueError") == base | {"raises": "ValueError"}
    assert parse_line("/answer c3 q1 skip") == base | {"skip": True}
    for bad, why in (("/answer c3 q1", "needs a CYCLE, a QUESTION and an ANSWER"), ("/answer c3 q1 AKL", "strings need quotes"),
                     ("/answer c3 q1 ab", "not a Python value")):
        with pytest.raises(UsageError) as caught:
            parse_line(bad)
        assert why in str(caught.value) and "Usage: /answer CYCLE QUESTION ANSWER" in str(caught.value)
    assert "/answer CYCLE QUESTION ANSWER" in HELP


# --- showing questions --------------------------------------------------------------------------------


def test_a_disagreement_shows_the_call_and_numbered_choices() -> None:
    shown = render_question(DISAGREEMENT).splitlines()
    assert shown[0] == "question q1 of cycle c3: the candidate methods disagree. What should this answer?"
    assert shown[1:5] == ["  initials('Ada King Lovelace')", "  a) 'AKL'   (3 candidates)", "  b) 'AL'   (2 candidates)",
                          "  c) raises ValueError   (1 candidate)"]
    assert "Type a letter (a-c)" in shown[5] and "Enter to skip" in shown[5]


def test_a_confirm_says_what_it_will_install_with_the_slots_the_call_sees() -> None:
    shown = render_question(CONFIRM)
    assert shown.startswith("question q2 of cycle c4: bump(2, by=1)  on slots count=1\n")
    assert "I will install it answering 3, leaving slots count=3: Enter or 1 to accept, or type the right answer" in shown
    raising = render_question(CONFIRM | {"choices": [{"raises": "KeyError", "candidates": 1}]})
    assert "I will install it raising KeyError:" in raising


def test_the_watch_shows_questions_with_the_answer_line_and_how_they_were_settled() -> None:
    asked = line({"seq": 9, "topic_seq": 1, "at": 1.0, "topic": "cycle.c3.question", "cycle": "c3", "question": DISAGREEMENT})
    assert asked.splitlines() == [
        "cycle.c3.question q1 (disagreement): initials('Ada King Lovelace')",
        "  a) 'AKL'   (3 candidates)", "  b) 'AL'   (2 candidates)", "  c) raises ValueError   (1 candidate)",
        "  /answer c3 q1 <letter|value|raises NAME|skip>",
    ]
    confirm = line({"topic": "cycle.c4.question", "cycle": "c4", "question": CONFIRM, "waiting": False})
    assert "a) 3, leaving slots count=3   (2 candidates)   <- will be installed; a accepts" in confirm
    assert confirm.endswith("/answer c4 q2 <letter|value|raises NAME|skip>   (the cycle does not wait: answering tries it again)")
    assert line({"topic": "cycle.c3.answered", "cycle": "c3", "question": "q1", "answer": {"choose": 1}, "by": "answer"}) == \
        "cycle.c3.answered q1: answered choice b"
    assert line({"topic": "cycle.c3.answered", "cycle": "c3", "question": "q1", "answer": {"skip": True}, "by": "timeout"}) == \
        "cycle.c3.answered q1: nobody answered in time"
    assert render_answered({"cycle": "c3", "question": "q1", "answer": {"result": "AL"}, "by": "answer"}) == \
        "question q1 of cycle c3: answered 'AL'"


def test_the_answer_command_s_replies() -> None:
    assert format_result("answer", {"cycle": "c3", "question": "q1", "accepted": True, "answer": {"raises": "KeyError"}}) == \
        "answer to c3 q1 accepted: raises KeyError"
    assert format_result("answer", LEARNED) == "installed initials on genesis_obj (cycle c3)\nanswer: AL"  # a retry's end


def test_the_spinner_stops_for_a_question_and_comes_back() -> None:
    out = io.StringIO()
    with Progress(Screen(out, out, environ=TERMINAL), "working") as progress:
        progress.event({"id": 1, "status": "event", "event": {"type": "token", "persona": "BRICK", "text": "thinking"}})
        assert progress._live is not None
        progress.pause()
        assert progress._live is None and "BRICK: thinking" in out.getvalue()  # the words so far, before the question
        progress.resume()
        assert progress._live is not None


# --- two requests on one connection -------------------------------------------------------------------


def test_a_second_request_submitted_while_one_waits_is_routed_by_its_id() -> None:
    def script(request: dict) -> list[Reply]:
        if request["command"] == "status":
            return [(0.3, ok(request, "slow"))]
        return [(0, event(request, type="progress")), (0, ok(request, "quick"))]

    events: list[dict] = []
    with ScriptedPeer(script) as peer, Connection(peer.endpoint, timeout=5, probe_after=30) as connection:
        first = connection.submit({"command": "status"})
        second = connection.submit({"command": "ping"}, on_event=events.append)
        while connection.in_flight(second):
            connection.pump(0.1)
        assert connection.final(second)["result"] == "quick" and connection.final(second) is None  # taken once
        assert connection.in_flight(first) and [e["event"]["type"] for e in events] == ["progress"]
        assert connection.request({"command": "cycle"})["result"] == "quick"  # the first's reply is not taken for it
        while connection.final(first) is None:
            connection.pump(0.1)
        assert peer.identities[0] == peer.identities[1] == peer.identities[2]  # one socket


# --- a question while a request waits -----------------------------------------------------------------


def test_a_question_mid_request_is_answered_on_the_same_connection_and_the_wait_goes_on() -> None:
    sent: dict = {}

    def script(request: dict) -> list[Reply]:
        if request["command"] == "send":
            sent.update(request)
            return [(0.05, event(request, type="token", persona="ALFRED", text="def initials(self, name):")),
                    (0.1, event(request, type="question", cycle="c3", question=DISAGREEMENT, waiting=True))]
        assert request["command"] == "answer"
        return [(0, ok(request, {"cycle": "c3", "question": "q1", "accepted": True, "answer": {"choose": 1}})),
                (0.05, event(sent, type="answered", cycle="c3", question="q1", answer={"choose": 1}, by="answer")),
                (0.1, event(sent, type="state", cycle="c3", state="COMPLETE")),
                (0.15, ok(sent, LEARNED))]

    person = Person("AKL", "b")
    with ScriptedPeer(script) as peer:
        session, out = session_on(peer, person)
        with session.connection:
            reply = session.send(SEND, label="working")
    assert reply == {"id": 1, "status": "ok", "result": LEARNED}
    send, answer = peer.requests
    assert send["events"] is True and "ask" not in send  # a person can answer: the kernel may ask
    assert {k: answer[k] for k in ("command", "cycle", "question", "choose")} == \
        {"command": "answer", "cycle": "c3", "question": "q1", "choose": 1}
    assert answer["id"] != send["id"] and peer.identities[0] == peer.identities[1]  # the same connection, both in flight
    assert person.prompts == ["answer q1 > ", "answer q1 > "]  # "AKL" was asked again, never sent
    text = out.getvalue()
    assert text.index("ALFRED: def initials(self, name):") < text.index("question q1 of cycle c3")
    assert "  b) 'AL'   (2 candidates)" in text
    assert "not a Python value: AKL (strings need quotes: 'AKL')" in text
    assert "answer accepted: choice b ('AL')" in text
    assert text.index("answer accepted") < text.index("● COMPLETE")  # then the wait went on
    assert "answered choice b" not in text  # our own answer's event is not said twice


def test_time_spent_answering_is_not_the_kernel_s_silence() -> None:
    sent: dict = {}

    def script(request: dict) -> list[Reply]:
        if request["command"] == "send":
            sent.update(request)
            return [(0.05, event(request, type="question", cycle="c3", question=DISAGREEMENT))]
        return [(0, ok(request, {"cycle": "c3", "question": "q1", "accepted": True})), (0.1, ok(sent, LEARNED))]

    person = Person("a", thinking=0.8)  # longer than the whole wait allows the kernel to be silent
    with ScriptedPeer(script) as peer:
        session, out = session_on(peer, person, timeout=0.5)
        with session.connection:
            assert session.send(SEND)["result"] == LEARNED
    assert peer.requests[1]["choose"] == 0


def test_an_answered_event_abandons_the_prompt() -> None:
    def script(request: dict) -> list[Reply]:
        return [(0.05, event(request, type="question", cycle="c3", question=DISAGREEMENT)),
                (0.4, event(request, type="answered", cycle="c3", question="q1", answer={"skip": True}, by="timeout")),
                (0.5, error(request, "cycle_failed", "cycle c3 failed"))]

    person = Person(None)
    with ScriptedPeer(script) as peer:
        session, out = session_on(peer, person)
        with session.connection:
            reply = session.send(SEND)
    assert reply["error"]["code"] == "cycle_failed"
    assert [r["command"] for r in peer.requests] == ["send"]  # nothing was answered
    assert person.cancelled == 1
    assert "question q1 of cycle c3: nobody answered in time; not asking any more" in out.getvalue()


def test_the_request_ending_abandons_the_prompt_too() -> None:
    def script(request: dict) -> list[Reply]:
        return [(0.05, event(request, type="question", cycle="c4", question=CONFIRM)), (0.3, ok(request, 3))]

    person = Person(None)
    with ScriptedPeer(script) as peer:
        session, out = session_on(peer, person)
        with session.connection:
            assert session.send(SEND)["result"] == 3
    assert person.cancelled == 1 and "the request ended before question q2 was answered" in out.getvalue()
    assert "I will install it answering 3" in out.getvalue()


def test_an_answer_the_kernel_refuses_is_asked_again_and_an_answered_one_is_not() -> None:
    sent: dict = {}
    answers: list[dict] = []

    def script(request: dict) -> list[Reply]:
        if request["command"] == "send":
            sent.update(request)
            return [(0.05, event(request, type="question", cycle="c3", question=DISAGREEMENT))]
        answers.append(request)
        if len(answers) == 1:
            return [(0, error(request, "bad_request", "this answer contradicts the person's own"))]
        return [(0, error(request, "answered", "q1 of cycle c3 was answered already")), (0.05, ok(sent, LEARNED))]

    person = Person("'AK'", "raises ValueError")
    with ScriptedPeer(script) as peer:
        session, out = session_on(peer, person)
        with session.connection:
            assert session.send(SEND)["result"] == LEARNED
    assert [a.get("result", a.get("raises")) for a in answers] == ["AK", "ValueError"]
    text = out.getvalue()
    assert "error [bad_request]: this answer contradicts the person's own" in text
    assert "error [answered]: q1 of cycle c3 was answered already" in text
    assert len(person.prompts) == 2  # asked again after bad_request; not after answered


def test_with_nobody_to_answer_the_request_says_ask_false_and_a_question_only_shows_how_to_answer() -> None:
    def script(request: dict) -> list[Reply]:
        return [(0.05, event(request, type="question", cycle="c3", question=DISAGREEMENT)), (0.15, ok(request, LEARNED))]

    with ScriptedPeer(script) as peer:
        session, out = session_on(peer, None)
        with session.connection:
            assert session.send(SEND)["result"] == LEARNED
    assert peer.requests[0]["ask"] is False and peer.requests[0]["events"] is True
    assert len(peer.requests) == 1
    assert "(nobody can answer here; from a console: /answer c3 q1 <letter|value|raises NAME|skip>)" in out.getvalue()


def test_a_question_the_cycle_does_not_wait_for_is_shown_not_asked() -> None:
    def script(request: dict) -> list[Reply]:
        return [(0.05, event(request, type="question", cycle="c3", question=DISAGREEMENT, waiting=False)),
                (0.15, error(request, "cycle_failed", "cycle c3 failed"))]

    person = Person()
    with ScriptedPeer(script) as peer:
        session, out = session_on(peer, person)
        with session.connection:
            assert session.send(SEND)["status"] == "error"
    assert person.prompts == [] and "answering it later tries the cycle again: /answer c3 q1" in out.getvalue()


# --- the console as scripts run it ---------------------------------------------------------------------


def kernel_script(request: dict) -> list[Reply]:
    if request["command"] == "ping":
        return [(0, ok(request, {"pong": True, "uptime": 100.0}))]
    if request["command"] == "answer":
        return [(0, ok(request, {"cycle": "c3", "question": "q1", "accepted": True, "answer": {"choose": 1}}))]
    return [(0, ok(request, "AL"))]


def test_one_shot_on_a_pipe_says_ask_false() -> None:
    with ScriptedPeer(kernel_script) as peer:
        result = run_client("--endpoint", peer.endpoint, "-c", '/send genesis_obj initials ["Ada King Lovelace"]')
    assert result.returncode == 0, result.stdout + result.stderr
    send = next(r for r in peer.requests if r["command"] == "send")
    assert send["ask"] is False and send["events"] is True


def test_the_console_s_answer_command() -> None:
    with ScriptedPeer(kernel_script) as peer:
        result = run_client("--endpoint", peer.endpoint, input="/answer c3 q1 b\n/answer c3 q1 AKL\n")
    assert result.returncode == 0, result.stdout + result.stderr
    answers = [r for r in peer.requests if r["command"] == "answer"]
    assert len(answers) == 1  # the second line never became a request
    assert {k: answers[0][k] for k in ("cycle", "question", "choose", "ask")} == {"cycle": "c3", "question": "q1", "choose": 1,
                                                                                  "ask": False}
    assert "answer to c3 q1 accepted: choice b" in result.stdout
    assert "/answer cannot take 'AKL' as an answer" in result.stdout


# --- at a real terminal (a pseudo-terminal: prompt_toolkit reads the answer) ----------------------------

SEND_LINE = '/send genesis_obj initials ["Ada King Lovelace"]'


def terminal(peer: ScriptedPeer, tmp_path: Path, *args: str) -> Any:
    """``chat_client.py`` (the console, or with ``args`` one line) at a pseudo-terminal."""
    import pexpect

    env = client_env(TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1", BATOS_HISTORY=str(tmp_path / "history"))
    child = pexpect.spawn(sys.executable, ["chat_client.py", "--endpoint", peer.endpoint, *args], cwd=str(ROOT), env=env,
                          encoding="utf-8", timeout=20, dimensions=(40, 120))
    child.logfile_read = open(tmp_path / "terminal.log", "w", encoding="utf-8")
    if not args:
        child.expect_exact("Architect > ")
    return child


def leave(child: Any) -> None:
    import pexpect

    child.sendline("/exit")
    child.expect(pexpect.EOF)
    child.close()
    child.logfile_read.close()
    assert child.exitstatus == 0


@pytest.mark.skipif(os.name != "posix", reason="pexpect drives a POSIX pseudo-terminal")
def test_at_a_terminal_the_person_answers_while_the_request_waits(tmp_path: Path) -> None:
    sent: dict = {}

    def script(request: dict) -> list[Reply]:
        if request["command"] == "send":
            sent.update(request)
            return [(0.1, event(request, type="question", cycle="c3", question=DISAGREEMENT))]
        return [(0, ok(request, {"cycle": "c3", "question": "q1", "accepted": True, "answer": {"choose": 1}})),
                (0.2, ok(sent, LEARNED))]

    with ScriptedPeer(script) as peer:
        child = terminal(peer, tmp_path)
        child.sendline(SEND_LINE)
        child.expect_exact("b) 'AL'   (2 candidates)")
        child.expect_exact("answer q1 > ")
        child.sendline("AKL")
        child.expect_exact("strings need quotes: 'AKL'")
        child.expect_exact("answer q1 > ")
        child.sendline("b")
        child.expect_exact("answer accepted: choice b ('AL')")
        child.expect_exact("installed initials on genesis_obj (cycle c3)")
        child.expect_exact("Architect > ")
        leave(child)
    send, answer = (r for r in peer.requests if r["command"] in ("send", "answer"))
    assert "ask" not in send and answer["choose"] == 1


@pytest.mark.skipif(os.name != "posix", reason="pexpect drives a POSIX pseudo-terminal")
def test_at_a_terminal_a_question_settled_elsewhere_takes_the_prompt_away(tmp_path: Path) -> None:
    def script(request: dict) -> list[Reply]:
        if request["command"] != "send":
            return kernel_script(request)
        return [(0.1, event(request, type="question", cycle="c3", question=DISAGREEMENT)),
                (1.0, event(request, type="answered", cycle="c3", question="q1", answer={"result": "AL"}, by="answer")),
                (1.2, ok(request, LEARNED))]

    with ScriptedPeer(script) as peer:
        child = terminal(peer, tmp_path)
        child.sendline(SEND_LINE)
        child.expect_exact("answer q1 > ")
        child.send("'A")  # half typed when someone else answers
        child.expect_exact("question q1 of cycle c3: answered 'AL'; not asking any more")
        child.expect_exact("installed initials on genesis_obj (cycle c3)")
        child.expect_exact("Architect > ")
        child.sendline("/ping")  # the terminal is the console's again: the next line is a command
        child.expect_exact("pong (uptime 100.0s)")
        leave(child)
    assert [r["command"] for r in peer.requests] == ["send", "ping"]


@pytest.mark.skipif(os.name != "posix", reason="pexpect drives a POSIX pseudo-terminal")
def test_at_a_terminal_ctrl_c_at_a_question_stops_waiting_as_anywhere_else(tmp_path: Path) -> None:
    def script(request: dict) -> list[Reply]:
        if request["command"] != "send":
            return kernel_script(request)
        return [(0.1, event(request, type="question", cycle="c3", question=DISAGREEMENT))]

    with ScriptedPeer(script) as peer:
        child = terminal(peer, tmp_path)
        child.sendline(SEND_LINE)
        child.expect_exact("answer q1 > ")
        child.sendintr()
        child.expect_exact("(interrupted: stopped waiting; the request may still complete)")
        child.expect_exact("Architect > ")
        child.sendline("/ping")
        child.expect_exact("pong (uptime 100.0s)")
        leave(child)
    assert [r["command"] for r in peer.requests] == ["send", "ping"]


@pytest.mark.skipif(os.name != "posix", reason="pexpect drives a POSIX pseudo-terminal")
def test_one_shot_at_a_terminal_asks_and_a_confirm_s_enter_accepts(tmp_path: Path) -> None:
    import pexpect

    sent: dict = {}

    def script(request: dict) -> list[Reply]:
        if request["command"] == "send":
            sent.update(request)
            return [(0.1, event(request, type="question", cycle="c4", question=CONFIRM))]
        if request["command"] == "answer":
            return [(0, ok(request, {"cycle": "c4", "question": "q2", "accepted": True, "answer": {"choose": 0}})),
                    (0.1, ok(sent, 3))]
        return kernel_script(request)

    with ScriptedPeer(script) as peer:
        child = terminal(peer, tmp_path, "-c", "/send genesis_obj bump [2] {\"by\": 1}")
        child.expect_exact("I will install it answering 3, leaving slots count=3: Enter or 1 to accept")
        child.expect_exact("answer q2 > ")
        child.sendline("")
        child.expect_exact("answer accepted: choice a (3, leaving slots count=3)")
        child.expect(pexpect.EOF)
        child.close()
        child.logfile_read.close()
    assert child.exitstatus == 0
    send, answer = (r for r in peer.requests if r["command"] in ("send", "answer"))
    assert "ask" not in send and answer["choose"] == 0 and answer["question"] == "q2"


# --- issue 50: the conditions a confirm's calls test, and a plan's parts ---------------------------------
LABELLED = {"cycle": "c7", "id": "q1", "selector": "parse_line", "kind": "confirm",
            "call": {"args": ['x,"y,z"'], "kwargs": {}, "slots": {}}, "condition": "a quoted field keeps its commas",
            "choices": [{"result": ["x", "y,z"], "candidates": 2}],
            "also": [{"call": {"args": ['"a""b"'], "kwargs": {}, "slots": {}}, "result": ['a"b'],
                      "condition": "a doubled quote is one quote"},
                     {"call": {"args": [""], "kwargs": {}, "slots": {}}, "raises": "ValueError"}]}


def test_a_confirm_labels_each_call_with_the_condition_it_tests_and_n_answers_any_of_four() -> None:
    shown = render_question(LABELLED).splitlines()
    assert shown[:4] == ["question q1 of cycle c7: I will install a method that answers",
                         "  1) [a quoted field keeps its commas] parse_line('x,\"y,z\"')  ->  ['x', 'y,z']",
                         "  2) [a doubled quote is one quote] parse_line('\"a\"\"b\"')  ->  ['a\"b']",
                         "  3) parse_line('')  ->  raises ValueError"]
    assert parse_answer("3: ['']", LABELLED) == {"result": [""], "at": 2}
    watched = line({"topic": "cycle.c7.question", "cycle": "c7", "question": LABELLED}).splitlines()
    assert watched[0] == "cycle.c7.question q1 (confirm): [a quoted field keeps its commas] parse_line('x,\"y,z\"')"
    assert watched[2].startswith("  2) [a doubled quote is one quote] parse_line(")


def test_a_question_from_before_plans_were_removed_is_shown_like_any_other() -> None:
    # A kernel that still runs the code before plans were removed (an upgrade under way) can send
    # a question of a plan's part: it carries part_of, which the console no longer names.
    plain = DISAGREEMENT | {"cycle": "c9", "selector": "unquote"}
    part = plain | {"part_of": "c7"}
    assert render_question(part) == render_question(plain)
    assert render_question(part).splitlines()[0] == (
        "question q1 of cycle c9: the candidate methods disagree. What should this answer?")
    watched = line({"topic": "cycle.c9.question", "cycle": "c9", "question": part})
    assert watched == line({"topic": "cycle.c9.question", "cycle": "c9", "question": plain})
    assert watched.startswith("cycle.c9.question q1 (disagreement): unquote(")

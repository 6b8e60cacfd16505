"""chat_client.py: the pure line parser, the connection's waiting rules, and the CLI against a real kernel.

(The client's parts are tested one module at a time in tests/test_console_*.py.)
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

import chat_client
from chat_client import Connection, Local, NoReply, Sentence, UsageError, parse_line
from console_support import WITH_CTRL_C, Reply, ScriptedPeer, client_env, dead_endpoint, ok, run_client
from support import ROOT


# --- the pure parser ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        ("/ping", {"command": "ping"}),
        ("  /PING  ", {"command": "ping"}),
        ("/status", {"command": "status"}),
        ("/inspect genesis_obj", {"command": "inspect", "target": "genesis_obj"}),
        ("/inspect   0x03 ", {"command": "inspect", "target": "0x03"}),
        ("/inspect\tgenesis_obj", {"command": "inspect", "target": "genesis_obj"}),
        ('/set genesis_obj colour "blue"', {"command": "set_slot", "target": "genesis_obj", "slot": "colour", "value": "blue"}),
        ('/set genesis_obj colour "light blue"', {"command": "set_slot", "target": "genesis_obj", "slot": "colour", "value": "light blue"}),
        ("/set 0x03 n 42", {"command": "set_slot", "target": "0x03", "slot": "n", "value": 42}),
        ("/set genesis_obj flag null", {"command": "set_slot", "target": "genesis_obj", "slot": "flag", "value": None}),
        (
            '/set genesis_obj cfg {"a": [1, 2], "b": {"c": true}}',
            {"command": "set_slot", "target": "genesis_obj", "slot": "cfg", "value": {"a": [1, 2], "b": {"c": True}}},
        ),
        (
            '/set genesis_obj friend {"$oid": "0x01"}',
            {"command": "set_slot", "target": "genesis_obj", "slot": "friend", "value": {"$oid": "0x01"}},
        ),
        ("/send genesis_obj describe", {"command": "send", "target": "genesis_obj", "selector": "describe", "args": [], "kwargs": {}}),
        (
            '/send genesis_obj echo [1,2] {"a":3}',
            {"command": "send", "target": "genesis_obj", "selector": "echo", "args": [1, 2], "kwargs": {"a": 3}},
        ),
        (
            '/send genesis_obj echo [1, "two words", [3]]   {"a": {"b": null}}',
            {"command": "send", "target": "genesis_obj", "selector": "echo", "args": [1, "two words", [3]], "kwargs": {"a": {"b": None}}},
        ),
        ('/send genesis_obj understands ["echo"]', {"command": "send", "target": "genesis_obj", "selector": "understands", "args": ["echo"], "kwargs": {}}),
        ('/send genesis_obj echo {"a": 1}', {"command": "send", "target": "genesis_obj", "selector": "echo", "args": [], "kwargs": {"a": 1}}),
        (  # the examples a method to learn must answer (issue 15)
            '/send genesis_obj add [2, 3] [{"args": [1, 1], "result": 2}]',
            {"command": "send", "target": "genesis_obj", "selector": "add", "args": [2, 3], "kwargs": {},
             "examples": [{"args": [1, 1], "result": 2}]},
        ),
        (
            '/send genesis_obj pad ["a"] {"width": 3} [{"args": ["b"], "kwargs": {"width": 2}, "result": "b "}]',
            {"command": "send", "target": "genesis_obj", "selector": "pad", "args": ["a"], "kwargs": {"width": 3},
             "examples": [{"args": ["b"], "kwargs": {"width": 2}, "result": "b "}]},
        ),
        ("/ask robin what is a living image?", {"command": "ask", "persona": "ROBIN", "prompt": "what is a living image?"}),
        ("/ask ROBIN,brick why?", {"command": "ask", "personas": ["ROBIN", "BRICK"], "prompt": "why?"}),
        ("/selfcheck", {"command": "selfcheck"}),
        ("/selfcheck tests", {"command": "selfcheck", "tests": True}),
        ("/help", Local("help")),
        ("/exit", Local("exit")),
        ("/quit", Local("exit")),
    ],
)
def test_parse_line_builds_the_request(line: str, expected: Any) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    "line, says",
    [
        ("", "empty"),
        ("/inspect", "/inspect TARGET"),
        ("/inspect a b", "exactly one TARGET"),
        ("/set genesis_obj colour", "/set TARGET SLOT JSON"),
        ("/set genesis_obj", "/set TARGET SLOT JSON"),
        ("/set genesis_obj colour blue", 'double quotes'),
        ("/set genesis_obj colour 'blue'", 'double quotes'),
        ("/set genesis_obj colour 1 2", "one JSON value"),
        ('/set genesis_obj 2bad "x"', "SLOT must be a name"),
        ("/set genesis_obj n 100000000000000000000000000", "cannot send"),
        ("/send genesis_obj", "/send TARGET SELECTOR"),
        ("/send", "/send TARGET SELECTOR"),
        ("/send genesis_obj echo [1,", "bad JSON"),
        ('/send genesis_obj echo [1] {"a": }', "bad JSON"),
        ("/send genesis_obj echo 5", "ARGS must be a JSON list"),
        ('/send genesis_obj echo "x"', "ARGS must be a JSON list"),
        ("/send genesis_obj echo [1] [2]", "EXAMPLES must be a JSON list of objects"),
        ("/send genesis_obj echo [1] {} [{}] 4", "at most three JSON values"),
        ("/send genesis_obj echo [1] {} {}", "EXAMPLES must be a JSON list"),
        ("/send genesis_obj [1]", "SELECTOR must be a name"),
        ("/ask ROBIN", "/ask PERSONA"),
        ("/ask", "needs a PERSONA and a PROMPT"),
        ("/ping now", "takes no arguments"),
        ("/exit please", "takes no arguments"),
        ("/frobnicate x", "unknown command /frobnicate"),
        ("/", "unknown command"),
    ],
)
def test_parse_line_rejects_with_a_usage_message(line: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_line(line)
    assert says in str(caught.value)


def test_plain_text_is_a_sentence_for_the_translator() -> None:
    assert parse_line("  please describe genesis  ") == Sentence("please describe genesis")


def test_error_and_result_formatting() -> None:
    text = chat_client.format_error(
        {"id": 1, "status": "error", "error": {"code": "method_error", "message": "echo failed", "traceback": "line 1\nline 2\n"}}
    )
    assert text.splitlines() == ["error [method_error]: echo failed", "  traceback:", "    line 1", "    line 2"]
    assert chat_client.format_result("ping", {"pong": True, "uptime": 1.234}) == "pong (uptime 1.2s)"
    assert json.loads(chat_client.format_result("send", {"b": b"\x00\x01"})) == {"b": {"$bytes": "AAE="}}


# --- the connection's waiting rules, against a scripted ROUTER peer ---------------------------


def test_connection_skips_stale_and_garbled_frames_and_reports_events() -> None:
    def script(request: dict) -> list[Reply]:
        rid = request["id"]
        return [
            (0, {"id": rid + 100, "status": "ok", "result": "a reply to someone else"}),
            (0, b"\xc1 not msgpack"),
            (0, {"id": rid, "status": "event", "event": {"type": "started"}}),
            (0.05, ok(request, "the answer")),
        ]

    events: list[dict] = []
    with ScriptedPeer(script) as peer, Connection(peer.endpoint, timeout=5) as connection:
        reply = connection.request({"command": "status"}, on_event=events.append)
        assert reply == {"id": 1, "status": "ok", "result": "the answer"}
        assert events == [{"id": 1, "status": "event", "event": {"type": "started"}}]
        assert connection.discarded == 2
        sent = peer.requests[0]
        assert sent["events"] is True
        assert sent["timeout"] == 5  # the kernel should not run it after we gave up
        assert connection.request({"command": "ping"})["id"] == 2
        assert "timeout" not in peer.requests[1] and "events" not in peer.requests[1]


def test_connection_times_out_and_starts_afresh() -> None:
    def script(request: dict) -> list[Reply]:
        if request["command"] == "status":
            return [(0.6, ok(request, "too late"))]  # answered after the client gave up
        return [(0, ok(request, {"pong": True, "uptime": 1.0}))]

    with ScriptedPeer(script) as peer, Connection(peer.endpoint, timeout=0.2) as connection:
        started = time.monotonic()
        with pytest.raises(NoReply, match="within 0.2s"):
            connection.request({"command": "status"})
        assert time.monotonic() - started < 1.5
        time.sleep(0.6)  # the late answer has been sent by now
        reply = connection.request({"command": "ping"}, timeout=5)
        assert reply["result"] == {"pong": True, "uptime": 1.0}
        assert reply["id"] == 2
        assert peer.identities[0] != peer.identities[1]  # a new socket after the timeout


def test_connection_accepts_an_id_less_error_for_the_request_in_flight() -> None:
    def script(request: dict) -> list[Reply]:
        return [(0, {"id": None, "status": "error", "error": {"code": "too_large", "message": "frame too big"}})]

    with ScriptedPeer(script) as peer, Connection(peer.endpoint, timeout=5) as connection:
        reply = connection.request({"command": "set_slot", "target": "genesis_obj", "slot": "x", "value": 1})
        assert reply["error"]["code"] == "too_large"


# --- the command line, against nothing --------------------------------------------------------


def test_ping_without_a_kernel_fails_quickly_and_says_so() -> None:
    with dead_endpoint() as endpoint:
        started = time.monotonic()
        result = run_client("--endpoint", endpoint, "--ping", "--timeout", "1")
    assert time.monotonic() - started < 5
    assert result.returncode == 1
    assert "no reply from the kernel" in result.stderr and endpoint in result.stderr
    assert result.stdout == ""


def test_one_command_without_a_kernel_exits_2() -> None:
    with dead_endpoint() as endpoint:
        result = run_client("--endpoint", endpoint, "--timeout", "0.5", "-c", "/status")
    assert result.returncode == 2
    assert "no reply" in result.stderr


def test_usage_errors_exit_64_without_sending() -> None:
    with dead_endpoint() as endpoint:
        result = run_client("--endpoint", endpoint, "-c", "/send genesis_obj echo [1,")
    assert result.returncode == 64
    assert "bad JSON" in result.stderr
    result = run_client("--timeout", "-3", "--ping")
    assert result.returncode == 64
    assert "positive" in result.stderr


def test_the_session_survives_a_kernel_that_does_not_answer() -> None:
    with dead_endpoint() as endpoint:
        result = run_client("--endpoint", endpoint, "--timeout", "0.3", "--reconnect", "0.5", input="/ping\n/status\n/exit\n")
    assert result.returncode == 0
    out = result.stdout
    assert out.count("no reply from the kernel") == 1  # the first request; then it knows the kernel is down
    assert out.count(f"the kernel at {endpoint} is not answering") == 2
    assert out.count("still not answering") == 2
    assert "not sent again: /ping" in out and "not sent: /status" in out  # nothing typed is lost
    assert "Architect > /exit" in out


def test_ctrl_c_abandons_the_wait_not_the_session() -> None:
    def script(request: dict) -> list[Reply]:
        if request["command"] == "status":
            return []  # never answered
        return [(0, ok(request, {"pong": True, "uptime": 2.0}))]

    with ScriptedPeer(script) as peer:
        proc = subprocess.Popen(
            [sys.executable, "-c", WITH_CTRL_C, "chat_client.py", "--endpoint", peer.endpoint, "--timeout", "30"],
            cwd=ROOT, env=client_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            proc.stdin.write("/status\n")
            proc.stdin.flush()
            peer.wait_for_requests(1)  # the client is now waiting for the answer
            time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            try:
                out, err = proc.communicate("/ping\n/exit\n", timeout=15)
            except subprocess.TimeoutExpired as exc:
                proc.kill()
                out, err = proc.communicate()
                pytest.fail(f"the client did not finish after Ctrl+C: {exc}; stdout={out!r} stderr={err!r}")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err
    assert "interrupted: stopped waiting" in out
    assert "pong (uptime 2.0s)" in out
    assert [r["command"] for r in peer.requests] == ["status", "ping"]
    assert peer.identities[0] != peer.identities[1]  # a fresh socket after the abandoned wait


# --- the command line, against a real kernel ------------------------------------------------------


def test_ping_a_running_kernel(kernel) -> None:
    result = run_client("--endpoint", kernel.endpoint, "--ping")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pong (uptime ")
    as_json = run_client("--endpoint", kernel.endpoint, "--ping", "--json")
    assert json.loads(as_json.stdout)["result"]["pong"] is True


def test_inspect_shows_what_an_object_understands(kernel) -> None:
    result = run_client("--endpoint", kernel.endpoint, "-c", "/inspect genesis_obj")
    assert result.returncode == 0, result.stderr
    for selector in ("describe", "slot_names", "understands", "echo"):
        assert selector in result.stdout
    traits = run_client("--endpoint", kernel.endpoint, "-c", "/inspect traits_obj")
    assert "def echo(self, *args, **kwargs):" in traits.stdout  # method source shown as code
    as_json = json.loads(run_client("--endpoint", kernel.endpoint, "--json", "-c", "/inspect genesis_obj").stdout)
    assert as_json["status"] == "ok"
    assert {"describe", "echo", "slot_names", "understands"} <= set(as_json["result"]["understands"])


def test_send_echo_shows_the_arguments(kernel) -> None:
    result = run_client("--endpoint", kernel.endpoint, "-c", '/send genesis_obj echo [1,2] {"a":3}')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"args": [1, 2], "kwargs": {"a": 3}}
    with_events = run_client("--endpoint", kernel.endpoint, "--json", "--events", "-c", '/send genesis_obj echo ["x"]')
    lines = [json.loads(line) for line in with_events.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["event", "ok"]
    assert lines[0]["event"]["type"] == "started"
    assert lines[1]["result"] == {"args": ["x"], "kwargs": {}}


def test_set_then_send_reads_the_slot(kernel) -> None:
    result = run_client("--endpoint", kernel.endpoint, "-c", '/set genesis_obj colour "blue"')
    assert result.returncode == 0, result.stderr
    assert "colour" in result.stdout
    result = run_client("--endpoint", kernel.endpoint, "-c", "/send genesis_obj colour")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == "blue"


def test_error_replies_exit_1(kernel) -> None:
    result = run_client("--endpoint", kernel.endpoint, "-c", "/inspect no_such_thing")
    assert result.returncode == 1
    assert result.stderr.startswith("error [not_found]: ")
    # An unknown selector starts a cognitive cycle; with no model here (the
    # default transformers backend has none loaded) the cycle fails, saying why.
    as_json = run_client("--endpoint", kernel.endpoint, "--json", "--timeout", "30", "-c", "/send genesis_obj no_such_selector")
    assert as_json.returncode == 1
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == "cycle_failed" and error["state"] == "DECOMPOSING"
    assert "has no model in the image" in " ".join(error["reasons"]) and "models import BRICK" in " ".join(error["reasons"])


def test_repl_through_stdin(kernel) -> None:
    lines = "/ping\n/status\nhello kernel\n/send genesis_obj echo [1,\n/exit\n/set genesis_obj after_exit 1\n"
    result = run_client("--endpoint", kernel.endpoint, input=lines)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "pong (uptime " in out
    assert " objects" in out and kernel.endpoint in out  # the status figures
    assert "brief: " in out and "not sent: the input is not a terminal" in out  # a sentence: shown, not sent
    assert "bad JSON" in out
    # nothing after /exit ran
    inspected = kernel.request({"command": "inspect", "target": "genesis_obj"})
    assert "after_exit" not in inspected["result"]["slots"]


def test_repl_ends_at_end_of_input(kernel) -> None:
    result = run_client("--endpoint", kernel.endpoint, input="/ping\n")
    assert result.returncode == 0
    assert "pong" in result.stdout

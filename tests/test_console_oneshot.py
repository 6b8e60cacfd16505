"""One-shot mode as scripts use it: a sentence in, the answer out, an exit code that says how it went."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from console_support import (
    TIME_SELECTOR, TIME_SENTENCE, Reply, ScriptedPeer, client_env, dead_endpoint, ok, replay_kernel, run_client, time_cassette,
)
from support import ROOT, KernelProcess, free_port

FAILING = {"persona": "BRICK", "contains": "Selector: greet_world", "response": "I would rather not say."}


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One replay kernel for this module: the time scenario, and a mission whose BRICK answers no list (the
    cycle then searches with the selector's words and fails in SYNTHESIZING: ALFRED has no line for it)."""
    process = replay_kernel(tmp_path_factory.mktemp("oneshot"), [*time_cassette(), FAILING]).start()
    try:
        yield process
    finally:
        process.stop()


def test_a_sentence_is_translated_sent_and_answered(kernel) -> None:
    first = run_client("--endpoint", kernel.endpoint, "--yes", TIME_SENTENCE, timeout=60)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert f"brief: mission: send {TIME_SELECTOR}() to genesis_obj" in out
    assert f'"selector": "{TIME_SELECTOR}"' in out
    for state in ("DECOMPOSING", "DELEGATING", "SPECIFYING", "SYNTHESIZING", "VALIDATING", "COMPLETE"):
        assert f"● {state}\n" in out
    assert 'BRICK: ["current time"]' in out and f"  def {TIME_SELECTOR}(self):" in out
    assert f"installed {TIME_SELECTOR} on genesis_obj (cycle c" in out and "\nanswer: " in out
    assert "\x1b" not in out  # a pipe gets no escape codes
    # nobody can answer on a pipe: the request says so ("ask": false), and two readings that agree are installed unasked
    assert "● ASKING" not in out and "question q" not in out and "answer q" not in out

    # Understood now: the method answers at once, no cycle; --json prints one object.
    again = run_client("--endpoint", kernel.endpoint, "--yes", "--json", TIME_SENTENCE)
    assert again.returncode == 0, again.stderr
    reply = json.loads(again.stdout)
    assert reply["status"] == "ok" and time.strptime(reply["result"], "%H:%M:%S")
    assert "brief: " in again.stderr and "●" not in again.stderr


def test_an_error_reply_exits_1(kernel) -> None:
    result = run_client("--endpoint", kernel.endpoint, "--yes", "--json", "--local", "create a method to greet the world", timeout=60)
    assert result.returncode == 1, result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "cycle_failed" and error["state"] == "SYNTHESIZING"
    human = run_client("--endpoint", kernel.endpoint, "-c", "/send genesis_obj no_such_selector", "--timeout", "5")
    assert human.returncode == 1
    # a few lines, not every attempt: the last reason, and where the others are
    assert human.stderr.startswith("error [cycle_failed]: cycle ") and "  why: " in human.stderr and "in all: /cycle c" in human.stderr


def test_brief_only_asks_the_kernels_translator(kernel) -> None:
    result = run_client("--endpoint", kernel.endpoint, "--brief-only", TIME_SENTENCE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["mission_brief"]["selector"] == TIME_SELECTOR
    assert "translator" in result.stderr  # where it came from, on stderr


def test_brief_only_prints_what_the_kernels_translator_chose() -> None:
    chosen = {"command": "search", "query": "what the peer chose"}

    def script(request: dict) -> list[Reply]:
        if request["command"] == "translate":
            return [(0, ok(request, {"request": chosen, "source": "model", "model": "peer-model", "rule": None,
                                     "notes": [], "attempts": [], "fallback": None}))]
        return [(0, ok(request, {"pong": True, "uptime": 9.0}))]

    with ScriptedPeer(script) as peer:
        result = run_client("--endpoint", peer.endpoint, "--brief-only", "find notes about the living image")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == chosen
    assert "from the model peer-model" in result.stderr
    assert [r["command"] for r in peer.requests] == ["ping", "translate"]
    assert peer.requests[1]["text"] == "find notes about the living image" and peer.requests[1]["events"] is True


def test_brief_only_local_needs_no_kernel() -> None:
    with dead_endpoint() as endpoint:
        started = time.monotonic()
        result = run_client("--endpoint", endpoint, "--brief-only", "--local", TIME_SENTENCE)
    assert time.monotonic() - started < 5
    assert result.returncode == 0, result.stderr
    request = json.loads(result.stdout)
    assert request["command"] == "initiate_cognitive_cycle" and request["mission_brief"]["selector"] == TIME_SELECTOR
    assert "from the local translator" in result.stderr


def test_without_a_terminal_or_yes_nothing_is_sent() -> None:
    def script(request: dict) -> list[Reply]:
        if request["command"] == "translate":
            return [(0, {"id": request["id"], "status": "error", "error": {"code": "unknown_command", "message": "no"}})]
        return [(0, ok(request, {"pong": True, "uptime": 9.0}))]

    with ScriptedPeer(script) as peer:
        result = run_client("--endpoint", peer.endpoint, TIME_SENTENCE)
        time.sleep(0.2)
    assert result.returncode == 64
    assert "add --yes to send without confirmation" in result.stderr
    assert f"brief: mission: send {TIME_SELECTOR}()" in result.stdout  # shown, though
    assert "this kernel has no translate command yet; translated locally" in result.stdout
    assert [r["command"] for r in peer.requests] == ["ping", "translate"]


def test_a_kernel_that_cannot_be_reached_exits_2_quickly() -> None:
    with dead_endpoint() as endpoint:
        started = time.monotonic()
        result = run_client("--endpoint", endpoint, "--timeout", "0.5", "--yes", "what is the status?")
        assert time.monotonic() - started < 5
    assert result.returncode == 2
    assert f"no reply from the kernel at {endpoint} within 0.5s; is it running?" in result.stderr


@pytest.mark.parametrize(
    "args, says",
    [
        (["--wait", "3"], "--wait goes with --ping"),
        (["--brief-only"], "--brief-only needs a SENTENCE"),
        (["-c", "/status", "what now"], "not several"),
        (["--ping", "what now"], "not several"),
        (["--local", "--brief-only", "?!..."], "nothing to translate"),
        (["--local", "--yes", "   "], "empty line"),
        (["-c", "/ask NOBODY hi"], "has no persona NOBODY"),
        (["-c", "/ingest /no/such/file.md"], "no such file: /no/such/file.md"),
    ],
)
def test_usage_errors_exit_64(args: list[str], says: str) -> None:
    with dead_endpoint() as endpoint:
        result = run_client("--endpoint", endpoint, *args)
    assert result.returncode == 64, result.stderr
    assert says in result.stderr


def test_ping_wait_waits_for_a_kernel_that_starts_later(tmp_path) -> None:
    port = free_port()
    endpoint = f"tcp://127.0.0.1:{port}"
    waiting = subprocess.Popen([sys.executable, "chat_client.py", "--endpoint", endpoint, "--ping", "--wait", "10"],
                               cwd=ROOT, env=client_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kernel = KernelProcess(tmp_path, port=port)
    try:
        time.sleep(0.5)
        assert waiting.poll() is None  # still waiting: nothing answers yet
        kernel.start()
        out, err = waiting.communicate(timeout=15)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait()
        kernel.stop()
    assert waiting.returncode == 0, err
    assert out.startswith("pong (uptime ")


def test_ping_wait_gives_up_when_the_time_is_up() -> None:
    with dead_endpoint() as endpoint:
        started = time.monotonic()
        result = run_client("--endpoint", endpoint, "--ping", "--wait", "1")
        took = time.monotonic() - started
    assert result.returncode == 1
    assert "within 1s" in result.stderr
    assert 0.9 < took < 4


def test_the_method_life_cycle_from_the_console(kernel, tmp_path) -> None:
    code = tmp_path / "tally.py"
    code.write_text("def tally(self, x):\n    return x + 1\n")
    made = run_client("--endpoint", kernel.endpoint, "-c", f"/edit genesis_obj tally {code}")
    assert made.returncode == 0, made.stdout + made.stderr
    assert made.stdout.strip() == "installed tally version 1 on genesis_obj (0 case(s) run)"
    code.write_text("def tally(self, x):\n    return x + 2\n")
    assert run_client("--endpoint", kernel.endpoint, "-c", f"/edit genesis_obj tally {code}").returncode == 0

    shown = run_client("--endpoint", kernel.endpoint, "-c", "/source genesis_obj tally 1")
    assert shown.stdout.splitlines() == ["tally on genesis_obj, version 1 of 2 (generated, by architect):",
                                         "def tally(self, x):", "    return x + 1"]
    history = run_client("--endpoint", kernel.endpoint, "-c", "/history genesis_obj tally").stdout.splitlines()
    assert history[0] == "tally on genesis_obj: 2 version(s); version 2 runs"
    assert [line.split()[:2] for line in history[2:]] == [["1", "edited"], ["2", "edited"]]
    listed = run_client("--endpoint", kernel.endpoint, "-c", "/methods genesis_obj").stdout
    assert any(line.split()[:3] == ["tally", "generated", "2/2"] for line in listed.splitlines())

    reverted = run_client("--endpoint", kernel.endpoint, "-c", "/revert genesis_obj tally 1")
    assert reverted.stdout.strip() == "installed tally version 3 on genesis_obj (0 case(s) run)", reverted.stderr
    protected = run_client("--endpoint", kernel.endpoint, "-c", "/remove genesis_obj describe")
    assert protected.returncode == 1 and protected.stderr.startswith("error [protected]: ")

"""The console fed through a pipe (as scripts and CI feed it): bad input, odd kernels, a session that goes on."""

from __future__ import annotations

import re

from console_support import Reply, ScriptedPeer, ok, run_client


def transcript_after(out: str, line: str) -> str:
    """What the console printed after echoing ``Architect > line``, up to the next prompt."""
    start = out.index(f"Architect > {line}\n") + len(f"Architect > {line}\n")
    end = out.find("Architect > ", start)
    return out[start:] if end < 0 else out[start:end]


def test_bad_input_gets_a_clear_message_and_the_session_goes_on(kernel, tmp_path) -> None:
    long_sentence = "please create a method that " + " ".join(f"word{n % 97}" for n in range(5000))
    lines = [
        "",
        "?!...",
        long_sentence,
        "créer une méthode pour dire bonjour",
        "create a method to greet 世界",
        "/send genesis_obj echo [1,",
        "/ask NOBODY hi",
        "/inspect no_such_obj",
        f"/ingest {tmp_path / 'missing.md'}",
        "/frobnicate",
        "/ping",
    ]
    result = run_client("--endpoint", kernel.endpoint, input="\n".join(lines) + "\n", timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Architect > \nArchitect > ?!..." in out  # an empty line: nothing at all
    assert "nothing to translate" in transcript_after(out, "?!...")

    long = transcript_after(out, long_sentence)
    selector = re.search(r'"selector": "([^"]+)"', long).group(1)
    assert 0 < len(selector) <= 64
    assert "more characters)" in long  # the shown brief is shortened; the request itself is not
    assert "not sent: the input is not a terminal" in long

    for sentence in ("créer une méthode pour dire bonjour", "create a method to greet 世界"):
        shown = transcript_after(out, sentence)
        assert "brief: mission: send " in shown and re.search(r'"selector": "[a-z][a-z0-9_]*"', shown), shown
        assert sentence in shown  # the intent keeps the words as typed

    bad_json = transcript_after(out, "/send genesis_obj echo [1,")
    assert "bad JSON in '[1,'" in bad_json and "     ^" in bad_json
    assert "the personas are ALFRED, BRICK, ROBIN, BABS" in transcript_after(out, "/ask NOBODY hi")
    assert "error [not_found]" in transcript_after(out, "/inspect no_such_obj")
    assert "no such file" in transcript_after(out, f"/ingest {tmp_path / 'missing.md'}")
    assert "unknown command /frobnicate" in transcript_after(out, "/frobnicate")
    assert transcript_after(out, "/ping").startswith("pong (uptime ")
    assert "\x1b" not in out


def test_a_kernel_that_answers_nonsense() -> None:
    def script(request: dict) -> list[Reply]:
        command, rid = request["command"], request["id"]
        if command == "ping":
            return [(0, ok(request, {"pong": True, "uptime": 50.0}))]
        if command == "status":
            return [(0, b"\xc1\xc1 garbage"), (0, ["a", "list"]), (0, {"id": rid, "status": "sideways"})]
        if command == "search":
            return [(0, ok(request, {"hits": "not a list"}))]
        if command == "inspect":
            return [(0, {"id": rid, "status": "error", "error": "no details"})]
        if command == "translate":
            return [(0, ok(request, {"request": {"command": "format_disk"}, "source": "model"}))]
        return []

    lines = "/status\n/search anything\n/inspect genesis_obj\n/brief what is the status?\n/ping\n"
    with ScriptedPeer(script) as peer:
        result = run_client("--endpoint", peer.endpoint, input=lines)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "the kernel sent a reply this client does not understand: " in transcript_after(out, "/status")
    assert "the search result has a shape this client does not know" in transcript_after(out, "/search anything")
    assert "malformed reply from the kernel" in transcript_after(out, "/inspect genesis_obj")
    brief = transcript_after(out, "/brief what is the status?")
    assert "the kernel sent a translation this client does not understand" in brief and "translated locally" in brief
    assert '"command": "status"' in brief
    assert transcript_after(out, "/ping").startswith("pong (uptime 50.0s)")


def test_local_translation_can_be_switched_on(kernel) -> None:
    result = run_client("--endpoint", kernel.endpoint, input="/local on\n/brief what is the status?\n/local off\n")
    out = result.stdout
    assert "sentences are translated by the local translator only" in out
    brief = transcript_after(out, "/brief what is the status?")
    assert "brief: status" in brief and "from the local translator" in brief
    assert "no_model" not in brief  # the kernel was not asked


def test_a_session_s_asks_share_one_conversation_and_a_one_shot_ask_has_none() -> None:
    def script(request: dict) -> list[Reply]:
        if request["command"] == "ping":
            return [(0, ok(request, {"pong": True, "uptime": 1.0}))]
        if request["command"] == "ask":
            return [(0, ok(request, {"persona": "ROBIN", "model": "m", "text": "hello", "seconds": 0.0,
                                     "episode": "episode:ask:x:1"}))]
        return []

    with ScriptedPeer(script) as peer:
        first = run_client("--endpoint", peer.endpoint, input="/ask robin hi\n/ask ROBIN,BRICK and then?\n")
        second = run_client("--endpoint", peer.endpoint, input="/ask robin hi\n")
        once = run_client("--endpoint", peer.endpoint, "-c", "/ask robin hi")
    assert first.returncode == 0 and second.returncode == 0 and once.returncode == 0, (first.stderr, once.stderr)
    asks = [r for r in peer.requests if r["command"] == "ask"]
    assert len(asks) == 4 and "conversation" not in asks[3]
    assert re.fullmatch(r"console-[0-9a-f]{12}", asks[0]["conversation"])
    assert asks[1]["conversation"] == asks[0]["conversation"] != asks[2]["conversation"]  # one per session

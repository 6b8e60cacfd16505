"""A real model's session, replayed: what Qwen2.5-Coder-0.5B actually said, recorded with BATOS_RECORD_TO.

``cassettes/qwen2.5-coder-0.5b_session.jsonl`` was recorded from a kernel
running the embedded model on a fresh image (``BATOS_EMBEDDED_MODEL``, CPU,
int8): the README's sentence translated by ALFRED, the cycle it asked for
(BRICK's queries, ALFRED's method), and ROBIN answering a question. Replaying
it keeps the fast tests honest about real replies: ALFRED's JSON comes with a
copied example intent, BRICK repeats one query three times, and the method
comes wrapped in comments, and each must still come out right.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from support import ROOT, KernelProcess

CASSETTE = ROOT / "cassettes" / "qwen2.5-coder-0.5b_session.jsonl"
SENTENCE = "create a method to report the current system time"


def test_the_recorded_real_session_replays(tmp_path: Path) -> None:
    lines = [json.loads(line) for line in CASSETTE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [line["persona"] for line in lines] == ["ALFRED", "BRICK", "ALFRED", "ROBIN"]
    cassette = shutil.copy(CASSETTE, tmp_path / "session.jsonl")
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette)}).start()
    try:
        translated = kernel.request({"command": "translate", "text": SENTENCE}, timeout=30)["result"]
        assert translated["source"] == "model"
        request = translated["request"]
        assert request["mission_brief"]["selector"] == "report_the_current_system_time"
        assert request["mission_brief"]["kwargs"]["intent"] == SENTENCE  # the model copied an example's; the sentence won
        assert translated["notes"] == ["the model's kwargs.intent was not the sentence; the sentence replaced it"]
        # one candidate, and the cassette holds no second: the person is shown its answer before it is installed
        with kernel.client() as client:
            client.send({**request, "id": "learn", "events": True})
            questions = []
            while (learned := client.recv(60)).get("status") == "event" or learned.get("id") != "learn":
                event = learned.get("event") or {}
                if event.get("type") == "question" and event.get("waiting"):
                    questions.append(event["question"])
                    client.send({"command": "answer", "id": "yes", "cycle": event["cycle"], "question": event["question"]["id"], "choose": 0})
        assert learned["status"] == "ok", learned
        assert [q["kind"] for q in questions] == ["confirm"] and re.search(r"\d{4}-\d\d-\d\d", questions[0]["choices"][0]["result"])
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", learned["result"]["result"])
        cycle = kernel.request({"command": "cycle", "cycle": learned["result"]["cycle"]})["result"]
        assert cycle["artifacts"]["queries"] == ["report_the_current_system_time"]  # three copies, searched once
        assert cycle["attempts"] == 1
        again = kernel.request({"command": "send", "target": "genesis_obj", "selector": "report_the_current_system_time"})
        assert again["status"] == "ok" and isinstance(again["result"], str)
        answer = kernel.request({"command": "ask", "persona": "ROBIN", "prompt": "In one sentence: what is a living image?"})
        assert answer["result"]["text"] == lines[3]["response"]
    finally:
        kernel.stop()

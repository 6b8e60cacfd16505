"""A real session replayed: a mission the embedded model failed, learned by the heartbeat's retry once a
document about it was ingested.

``cassettes/qwen2.5-coder-0.5b_heartbeat_retry.jsonl`` was recorded on 2026-11-25 with the real embedded
Qwen2.5-Coder-0.5B (w8, 2 CPUs) by ``bench/learning/record_heartbeat_retry.py`` (a real kernel, ``BATOS_RECORD_TO``,
a beat every 3 s, 12 attempts): ``order_code("Ada")`` with the sentence "make the order code of a customer
name" and two examples failed after 12 candidates (they wrote ``'GRACE-5'``: the whole name); the document
"An order code is the first three letters ... in capital letters ..." was ingested; the next beat asked the
mission again, and two of its ten candidates held the examples and agreed: learned, and ``order_code("Linus")``
answered ``'LIN-5'``. Today those two are told apart by a coverage call (an empty name: one raises, one answers
``'-0'``) that nobody was there to settle; the person's answer to the question kept leaves one reading, which the
hand-over installs. The replies are the model's. One change to the file: the retry's ALFRED lines match on
the note their prompt must show (the recorder matches on a prompt's last line), so a retry whose author was not
shown the document would find no answer here.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import zmq

from bat_os import protocol
from support import KernelProcess

ROOT = Path(__file__).resolve().parent.parent
CASSETTE = ROOT / "cassettes" / "qwen2.5-coder-0.5b_heartbeat_retry.jsonl"
TASK = {"command": "send", "target": "genesis_obj", "selector": "order_code", "args": ["Ada"],
        "intent": "make the order code of a customer name",
        "examples": [{"args": ["Ada"], "result": "ADA-3"}, {"args": ["Grace"], "result": "GRA-5"}]}
RULE = ("An order code is the first three letters of the customer name in capital letters, then a dash, "
        "then the number of letters in the name.")


def test_the_recorded_retry_learns_what_the_first_cycle_could_not(tmp_path):
    lines = [json.loads(line) for line in CASSETTE.read_text().splitlines()]
    assert [line["persona"] for line in lines] == ["BRICK", "BRICK"] + ["ALFRED"] * 12 + ["BRICK", "BRICK"] + ["ALFRED"] * 10
    cassette = shutil.copy(CASSETTE, tmp_path / "retry.jsonl")
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette),
                                          "BATOS_HEARTBEAT_EVERY": "1"}).start()
    sub = zmq.Context.instance().socket(zmq.SUB)
    try:
        sub.connect(kernel.request({"command": "status"})["result"]["events"]["endpoint"])
        sub.setsockopt(zmq.SUBSCRIBE, b"heartbeat.retry")
        first = kernel.request(TASK, timeout=120)
        assert first["status"] == "error" and first["error"]["code"] == "cycle_failed"
        assert "'GRACE-5'" in first["error"]["message"]
        assert kernel.request({"command": "ingest", "text": RULE, "doc_id": "note:order-code"}, timeout=180)["status"] == "ok"
        deadline, done = time.monotonic() + 120, None
        while done is None and time.monotonic() < deadline:  # watched on the stream: a request would hold it back
            if sub.poll(200):
                event = protocol.decode(sub.recv_multipart()[1])
                done = event if event.get("outcome") == "ok" else None
        # the two candidates that held the examples differ where the name is empty (one raises, one answers "-0"),
        # a coverage call nobody was there to settle: nothing installed, the question kept for the person
        assert done is not None and done["result"] == "failed" and done["because"] == ["note:order-code"], done
        retry = kernel.request({"command": "cycle", "cycle": done["retry"]})["result"]
        assert retry["origin"] == "heartbeat" and [e["id"] for e in retry["artifacts"]["episodes"]] == [
            f"episode:cycle:{first['error']['cycle']}"]
        assert "unanswered" in retry["reasons"]
        question = retry["artifacts"]["questions"][-1]
        assert question["call"]["args"] == [""] and {"raises": "IndexError", "candidates": 1} in question["choices"]
        answered = kernel.request({"command": "answer", "cycle": retry["cycle"], "question": question["id"],
                                   "choose": question["choices"].index({"raises": "IndexError", "candidates": 1})}, timeout=120)
        # the answer leaves one reading, and the recording holds no other to agree: its best try is handed over,
        # and installed as it is, it holds every answer of the person's
        assert answered["status"] == "error" and "one reading, no other to agree" in answered["error"]["reasons"][-1]
        draft = kernel.request({"command": "draft", "cycle": answered["error"]["cycle"]}, timeout=30)["result"]
        assert draft["failing"] == [] and {"args": [""], "kwargs": {}, "raises": "IndexError"} in draft["calls"]
        installed = kernel.request({"command": "draft_edit", "cycle": draft["cycle"], "source": draft["code"]}, timeout=30)
        assert installed["status"] == "ok", installed
        # checks the cycle never saw
        for name, code in (("Linus", "LIN-5"), ("Bob", "BOB-3"), ("margaret", "MAR-8")):
            reply = kernel.request({"command": "send", "target": "genesis_obj", "selector": "order_code", "args": [name]},
                                   timeout=30)
            assert reply == {"id": None, "status": "ok", "result": code}
    finally:
        sub.close(0)
        kernel.stop()

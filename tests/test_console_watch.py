"""``chat_client.py --watch`` (bat_os.console.watch): the event stream as lines, from a real kernel."""

from __future__ import annotations

import json
import subprocess
import sys

from bat_os.console.watch import _missed, check_topics, line
from console_support import client_env
from support import ROOT, KernelProcess


def test_an_event_is_a_line_and_a_jump_in_its_topic_s_count_is_missed_events():
    assert line({"seq": 9, "topic_seq": 2, "at": 1.0, "topic": "cycle.c1.state", "cycle": "c1", "state": "SPECIFYING"}) == \
        'cycle.c1.state {"cycle": "c1", "state": "SPECIFYING"}'
    assert line({"topic": "persona.ALFRED.token", "cycle": "c1", "persona": "ALFRED", "text": "def "}) == \
        "persona.ALFRED.token 'def '"
    seen: dict = {}
    assert [_missed(seen, {"topic": "commit", "topic_seq": n}) for n in (1, 2, 5, 6)] == [0, 0, 2, 0]
    assert check_topics(["cycle.", "persona.ROBIN."]) is None
    assert "not 'two words'" in check_topics(["two words"])


def test_watch_prints_the_kernel_s_events_as_json_lines(tmp_path):
    kernel = KernelProcess(tmp_path).start()
    watcher = subprocess.Popen([sys.executable, "chat_client.py", "--endpoint", kernel.endpoint, "--watch", "commit",
                                "method.", "--json"], cwd=ROOT, env=client_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert "watching tcp://127.0.0.1:" in watcher.stderr.readline()
        kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "colour", "value": "red"})
        event = json.loads(watcher.stdout.readline())
        assert event["topic"] == "commit" and event["note"] == "set_slot genesis_obj colour" and event["topic_seq"] >= 1
    finally:
        watcher.terminate()
        watcher.communicate(timeout=10)  # reaps it and closes its pipes
        kernel.stop()
    bad = subprocess.run([sys.executable, "chat_client.py", "--endpoint", kernel.endpoint, "--watch", "two words"],
                         cwd=ROOT, env=client_env(), capture_output=True, text=True, timeout=30)
    assert bad.returncode == 64 and "a topic is a prefix" in bad.stderr

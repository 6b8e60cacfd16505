"""bat_os.console.render (pure): replies and briefs as text for people."""

from __future__ import annotations

import json

from bat_os.translate import briefs
from bat_os.console import render


def test_a_cycle_result_says_what_was_installed_then_the_answer() -> None:
    result = {"cycle": "c1", "selector": "greet", "installed_on": "0x03", "result": "hello"}
    assert render.format_answer(result, "genesis_obj") == "installed greet on genesis_obj (cycle c1)\nanswer: hello"
    joined = dict(result, joined=True)
    assert render.format_answer(joined, "genesis_obj").startswith("joined the cycle that installed greet")
    assert render.format_result("send", result).startswith("installed greet on 0x03 (cycle c1)")


def test_a_direct_result_is_the_answer() -> None:
    assert render.format_answer("12:00:01", "genesis_obj") == "answer: 12:00:01"
    assert render.format_answer({"a": [1]}, None) == 'answer: \n{\n  "a": [\n    1\n  ]\n}'
    # a method that happens to answer a map with some of a cycle's keys is still a plain answer
    assert render.format_answer({"cycle": "c1", "x": 1}, None).startswith("answer: ")


def test_search_hits_are_a_numbered_list() -> None:
    text = render.format_result("search", {"mode": "hybrid", "hits": [
        {"doc_id": "codex-1", "chunk": 0, "score": 0.8731, "text": "BRICK is the\n builder.", "metadata": {}},
        {"doc_id": "notes", "chunk": 3, "score": 0.5, "text": "x" * 500, "metadata": {}},
    ]})
    lines = text.splitlines()
    assert lines[0] == "2 hits (hybrid search):"
    assert lines[1] == "  1. codex-1 #0  score 0.873" and lines[2].strip() == "BRICK is the builder."
    assert lines[3].startswith("  2. notes #3") and lines[4].endswith("...")
    assert render.format_result("search", {"mode": "text", "hits": []}) == "no hits (text search)"


def test_status_is_compact() -> None:
    status = {"uptime": 12.34, "version": "0.1.0", "pid": 7, "endpoint": "tcp://127.0.0.1:5555", "queue_depth": 0,
              "queue_size": 1000, "requests": {"received": 3, "answered": 2, "errors": 1, "busy": 0},
              "image": {"path": "/x/live.fs", "size_bytes": 2048, "schema_version": 5}, "objects": 277,
              "cycles": {"total": 1, "unfinished": []}, "knowledge": {"documents": 24, "chunks": 24}, "llm": "replay:x"}
    text = render.format_result("status", status)
    assert "kernel 0.1.0 pid 7 at tcp://127.0.0.1:5555, up 12.3s" in text
    assert "image /x/live.fs (2.0 KiB, schema 5), 277 objects" in text
    assert "cycles 1 total, unfinished: none" in text and "knowledge 24 documents" in text


def test_the_llm_line_of_status_names_the_engines_the_personas_run_on() -> None:
    base = {"uptime": 1.0, "endpoint": "tcp://127.0.0.1:5555", "llm": "models"}
    personas = {p: {"model": "smollm2-135m.gguf", "engine": "llama.cpp"} for p in ("ALFRED", "BRICK", "ROBIN", "BABS")}

    def llm_line(**status) -> str:
        return render.format_result("status", {**base, **status}).splitlines()[-1]

    everyone = {"personas": personas, "engines": {"llama.cpp": ["ALFRED", "BRICK", "ROBIN", "BABS"]}, "manager": {}}
    assert llm_line(models=everyone) == "llm models on llama.cpp"
    mixed = {"personas": {**personas, "ROBIN": {"model": "tiny", "engine": "transformers"}, "BABS": {"model": None}},
             "engines": {"llama.cpp": ["ALFRED", "BRICK"], "transformers": ["ROBIN"]}, "manager": {}}
    assert llm_line(models=mixed) == "llm models on llama.cpp: ALFRED, BRICK; transformers: ROBIN; no model: BABS"
    nobody = {"personas": {p: {"model": None} for p in personas}, "engines": {}, "manager": {}}
    assert llm_line(models=nobody) == "llm models: no persona has a model"
    assert llm_line(llm="replay:demo.jsonl", models={"personas": {}, "engines": {}, "manager": None}) == "llm replay:demo.jsonl"


def test_an_unexpected_shape_is_shown_as_it_came() -> None:
    text = render.format_result("search", {"hits": "not a list"})
    assert text.startswith("(the search result has a shape this client does not know; as it came:)")
    assert json.loads(text.split("\n", 1)[1]) == {"hits": "not a list"}
    assert "does not know" in render.format_result("status", ["what"])
    assert "does not know" in render.format_result("ping", "pong?")
    assert render.format_strange({"id": 1, "status": "sideways"}).startswith(
        "the kernel sent a reply this client does not understand: ")


def test_cycle_failed_says_its_last_reason_and_where_the_others_are() -> None:
    text = render.format_error({"status": "error", "error": {
        "code": "cycle_failed", "message": "the cycle failed", "cycle": "c2", "state": "DECOMPOSING",
        "reasons": ["BRICK answered no list", "second"]}})
    assert text.splitlines() == ["error [cycle_failed]: cycle c2 failed in DECOMPOSING", "  why: second",
                                 "  (2 reason(s) in all: /cycle c2)"]
    bare = render.format_error({"status": "error", "error": {"code": "cycle_failed", "message": "the cycle failed"}})
    assert bare == "error [cycle_failed]: the cycle failed"  # no reasons: as any error


def test_a_cycle_report() -> None:
    text = render.format_result("cycle", {"cycle": "c1", "state": "COMPLETE", "selector": "greet", "receiver": "0x03",
                                          "history": [{"state": "IDLE"}, {"state": "COMPLETE"}], "result": "hi"})
    assert text.splitlines() == ["cycle c1: COMPLETE  (greet on 0x03)", "  history: IDLE -> COMPLETE", "  result: hi"]


def test_a_brief_summary_and_its_json() -> None:
    mission = briefs.mission("greet_the_world", [1], {"loud": True, "intent": "say hello"})
    assert render.summarize(mission) == (
        "mission: send greet_the_world(1, loud=true) to genesis_obj; a cycle writes the method if nothing understands it")
    assert render.summarize({"command": "search", "query": "living image"}) == "search the knowledge catalog for 'living image'"
    assert render.summarize({"command": "ask", "persona": "ROBIN", "prompt": "why?"}) == "ask ROBIN: why?"
    assert render.summarize({"command": "status"}) == "status"
    long = briefs.mission("x", [], {"intent": "word " * 1000})
    shown = json.loads(render.shown(long))
    intent = shown["mission_brief"]["kwargs"]["intent"]
    assert len(intent) < 400 and intent.endswith("(4700 more characters)")


def test_a_translated_mission_shows_the_examples_it_carries():
    from bat_os.console.render import summarize

    request = {"command": "initiate_cognitive_cycle", "target_oid": "genesis_obj", "mission_brief": {
        "type": "unhandled_message", "selector": "initials", "args": ["Alan Turing"], "kwargs": {"intent": "x"},
        "examples": [{"args": ["Ada Lovelace"], "kwargs": {}, "result": "AL"}, {"args": [""], "raises": "ValueError"}]}}
    line = summarize(request)
    assert line.endswith('; it must answer initials("Ada Lovelace") -> "AL"; initials("") raises ValueError'), line


def test_methods_and_history_are_tables() -> None:
    listed = render.format_result("methods", {"target": "genesis_obj", "methods": [
        {"selector": "square", "holder": "genesis_obj", "inherited": False, "origin": "generated", "author": "ALFRED",
         "created": 0.0, "version": 2, "versions": 3, "cases": 3, "calls": 12},
        {"selector": "describe", "holder": "traits_obj", "inherited": True, "origin": "system", "author": "system",
         "created": 0.0, "version": 1, "versions": 1, "cases": 0, "calls": 0},
    ]}).splitlines()
    assert listed[0] == "genesis_obj understands 2 method(s):"
    assert listed[1].split() == ["selector", "origin", "version", "cases", "calls", "author", "held", "by"]
    assert listed[2].split() == ["square", "generated", "2/3", "3", "12", "ALFRED", "genesis_obj"]
    assert listed[3].split()[-2:] == ["traits_obj", "(inherited)"]
    assert listed[1].index("origin") == listed[2].index("generated")  # columns line up

    history = render.format_result("history", {"selector": "square", "object": "genesis_obj", "current": None, "versions": [
        {"version": 1, "change": "learned", "author": "ALFRED", "created": 0.0, "lines": 2, "cases": 3, "current": False},
    ], "log": []}).splitlines()
    assert history[0] == "square on genesis_obj: 1 version(s); removed: none runs (/revert brings one back)"
    assert history[2].split()[:3] == ["1", "learned", "ALFRED"]


def test_a_source_is_a_header_and_its_code_and_a_change_says_what_it_ran() -> None:
    result = {"selector": "square", "holder": "genesis_obj", "origin": "generated", "author": "architect", "created": 0.0,
              "version": 2, "versions": 2, "source": "def square(self, x):\n    return x * x\n", "tests": [{"args": [2]}]}
    header, code = render.source_parts(result)
    assert header == "square on genesis_obj, version 2 of 2 (generated, by architect, 1 stored case(s)):"
    assert code == result["source"] and render.source_parts({"source": 3}) is None
    assert render.format_result("source", result).splitlines()[1:] == ["def square(self, x):", "    return x * x"]
    made = render.format_result("set_method", {"target": "genesis_obj", "selector": "square", "version": 2, "cases_run": 6,
                                               "forced": [{"selector": "sum_of_squares", "message": "it broke"}]})
    assert made.splitlines() == ["installed square version 2 on genesis_obj (6 case(s) run)",
                                 "forced past 1 failing case(s):", "  - sum_of_squares: it broke"]
    assert render.format_result("remove_method", {"target": "g", "selector": "s", "removed_version": 3, "cases_run": 0,
                                                  "forced": []}) == "removed s (version 3) from g; its history stays"


def test_a_clone_says_what_was_made() -> None:
    made = render.format_result("clone", {"object": {"$oid": "0x2a", "type": "UvmObject"}, "name": "lamp",
                                          "parent": {"$oid": "0x03", "type": "UvmObject", "name": "genesis"}})
    assert made == "made 0x2a (root lamp), delegating to genesis"
    assert render.format_result("clone", {"object": {"$oid": "0x2b"}, "name": None,
                                          "parent": {"$oid": "0x2a"}}) == "made 0x2b, delegating to 0x2a"


def test_a_pack_and_the_upkeep_line_of_status() -> None:
    packed = {"packed": True, "days": 0.0, "size_before": 3 * 2**20, "size_after": 2**20, "seconds": 0.4, "backup": "2025-01-31-12-00-05"}
    assert render.format_result("pack", packed) == "packed: 3.0 MiB -> 1.0 MiB in 0.4s, history kept 0.0 days; backed up first: 2025-01-31-12-00-05"
    assert render.format_result("pack", {"packed": False, "size_after": 2048, "backup": None}) == "nothing to drop: the image is 2.0 KiB"
    status = {"endpoint": "tcp://127.0.0.1:5555", "uptime": 1.0,
              "upkeep": {"history": {"bytes": 5 * 2**20}, "last_backup": {"id": "2025-01-31-12-00-05", "kind": "full"},
                         "next_backup_iso": "2025-02-01T12:00:05+00:00"}}
    assert render.format_result("status", status).splitlines()[-1] == (
        "upkeep: history 5.0 MiB, last backup 2025-01-31-12-00-05 (full), next 2025-02-01T12:00:05+00:00")


def test_the_heartbeat_lines_of_status() -> None:
    status = {"endpoint": "tcp://127.0.0.1:5555", "uptime": 1.0,
              "heartbeat": {"enabled": True, "every": 900.0, "beats": 3, "budget": {"runs_used": 4, "runs_per_hour": 12},
                            "regressions": [{"object": "genesis_obj", "selector": "total", "message": "a stored test no longer holds"}],
                            "plan": ["selfcheck: the stored cases of 2 method(s)", "digest: today's episodes"]}}
    assert render.format_result("status", status).splitlines()[-4:] == [
        "heartbeat every 900.0s, 3 beats; 4/12 actions this hour; 1 regression(s)",
        "  regression: genesis_obj.total: a stored test no longer holds",
        "  next: selfcheck: the stored cases of 2 method(s)",
        "  next: digest: today's episodes",
    ]
    assert render.format_result("status", {"endpoint": "e", "uptime": 1, "heartbeat": {"enabled": False}}).splitlines()[-1] == "heartbeat off"

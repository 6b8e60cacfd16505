"""Episodic memory (bat_os.cognition.episodes): a cycle's outcome becomes a document of the catalog, and
later missions like it cite it. A real catalog, and a real kernel with the replay backend."""

from __future__ import annotations

import json

from bat_os.cognition.cycle import memory as episodes
from bat_os.cognition.author.prompts import pure_prompt
from bat_os.memory import conversations
from bat_os.memory.catalog import KnowledgeCatalog
from support import KernelProcess

SPEC = "Answer with the asserts in one ```python block."
TRIPLE = "```python\ndef {name}(self, n):\n    return n * 3\n```"


def _catalog_with(*docs: tuple[str, str, dict]) -> KnowledgeCatalog:
    catalog = KnowledgeCatalog()
    for at, (doc_id, text, meta) in enumerate(docs):
        catalog.index_document(doc_id, [text], meta, now=1000.0 + at)
    return catalog


def _episode(cycle: str, selector: str, intent: str, outcome: str = "learned", receiver: str = "0x01") -> tuple:
    body = "The method:\ndef f(self): pass" if outcome == "learned" else "Why: attempt 1: wrong"
    text = f"Episode: cycle {cycle} {selector}.\nAsked: {intent}\n{body}"
    return (episodes.doc_id(cycle), text, {"kind": "episode", "event": "cycle", "outcome": outcome, "selector": selector,
                                           "cycle": cycle, "receiver": receiver})


def test_words_are_a_selector_s_parts_and_a_sentence_s_content_words():
    assert episodes.words("count_vowels") == {"count", "vowels"}
    assert episodes.words("Count the vowels of a text.") == {"count", "vowels", "text"}


def test_a_mission_cites_the_episodes_of_its_selector_or_of_its_words_newest_first_and_no_others():
    catalog = _catalog_with(
        _episode("c1", "count_vowels", "count the vowels of a text"),
        _episode("c2", "count_vowels", "count the vowels of a text", "failed"),
        _episode("c3", "shout", "shout a word"),
        ("codex:1", "count the vowels of a text please", {"source": "persona_codex"}),
    )
    brief = {"selector": "vowel_count", "intent": "count the vowels of a text", "args": ["abc"]}
    cited = episodes.recall(catalog, brief, "0x02", "c9")
    assert [e["id"] for e in cited] == ["episode:cycle:c2", "episode:cycle:c1"]  # newest first; not c3, not the codex
    assert cited[0]["outcome"] == "failed" and cited[1]["outcome"] == "learned"
    assert episodes.recall(catalog, {"selector": "shout_louder", "intent": "make the sound of a drum"}, "0x02", "c9") == []
    # research leaves the episodes out: only the codex chunk remains allowed
    allowed = conversations.research_exclusion(catalog)
    assert {catalog.chunks[c].doc_id for c in allowed} == {"codex:1"}
    assert conversations.research_exclusion(_catalog_with(("codex:1", "x y", {"source": "persona_codex"}))) is None


def test_a_relearn_does_not_cite_the_version_it_replaces_but_a_failure_it_does():
    catalog = _catalog_with(_episode("c1", "triple", "triple a number", receiver="0x01"),
                            _episode("c2", "triple", "triple a number", "failed", receiver="0x01"))
    brief = {"selector": "triple", "intent": "triple a number", "relearn": {"version": 1, "source": "..."}}
    assert [e["id"] for e in episodes.recall(catalog, brief, "0x01", "c9")] == ["episode:cycle:c2"]
    assert len(episodes.recall(catalog, brief, "0x07", "c9")) == 2  # learned on another object: worth seeing


def test_the_prompt_shows_what_is_recalled_and_is_unchanged_without():
    brief = {"selector": "triple", "intent": "triple a number", "args": [4]}
    plain = pure_prompt(brief, [])
    assert pure_prompt(brief, [], (), ()) == plain
    learned = {"outcome": "learned", "selector": "triple", "text": "Episode\nAsked: x\nThe method:\ndef triple(self, n):\n    return 3 * n"}
    failed = {"outcome": "failed", "selector": "triple", "text": "Episode\nWhy: attempt 1: returned 5, not 12"}
    shown = pure_prompt(brief, [], [learned, failed], ["Triple means three times: 3 * n."])
    assert "def triple(self, n):\n    return 3 * n" in shown and "failed: attempt 1: returned 5, not 12" in shown
    assert "Notes from the knowledge catalog:\n- Triple means three times: 3 * n." in shown
    assert shown.splitlines()[-1] == plain.splitlines()[-1]


def test_notes_are_the_user_s_documents_about_the_request_only():
    brief = {"selector": "greet", "intent": "greet a guest by name"}
    context = [{"text": "greet guests as 'Hi, NAME!'", "user": True},
               {"text": "weather is fine today", "user": True},
               {"text": "greet a guest by name with care", "score": 1.0}]  # the codex: not a note
    assert episodes.notes(context, brief) == ["greet guests as 'Hi, NAME!'"]


def _kernel(tmp_path, lines: list[dict]):
    cassette = tmp_path / "c.jsonl"
    cassette.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette),
                                        "BATOS_CYCLE_MAX_ATTEMPTS": "2"}).start()


def _send(kernel, selector: str, args: list, intent: str, result: int) -> dict:
    return kernel.request({"command": "send", "target": "genesis_obj", "selector": selector, "args": args,
                           "intent": intent, "examples": [{"args": [1], "result": result}, {"args": [2], "result": 2 * result}]},
                          timeout=60)


def test_a_cycle_s_episode_is_searchable_and_a_similar_mission_cites_it(tmp_path):
    lines = [
        {"persona": "BRICK", "contains": "triple", "response": '["triples"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\nassert obj.triple(2) == 6\n```"},
        # the first mission's author hears of no earlier work (a line that needs a recall would not match)
        {"persona": "ALFRED", "contains": "named triple for", "response": TRIPLE.format(name="triple")},
        {"persona": "BRICK", "contains": "triple_number", "response": '["triples"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\nassert obj.triple_number(2) == 6\n```"},
        # the second is answered only when its prompt shows the first method (learned earlier, a similar request)
        {"persona": "ALFRED", "contains": "A method learned earlier for a similar request (triple; it held its checks then):\n"
                                          "```python\ndef triple(self, n):\n    return n * 3\n```",
         "response": TRIPLE.format(name="triple_number")},
    ]
    kernel = _kernel(tmp_path, lines)
    try:
        first = _send(kernel, "triple", [4], "triple a number", 3)
        assert first["status"] == "ok", first
        hits = kernel.request({"command": "search", "query": "triple", "mode": "text", "filter": {"kind": "episode"}})
        episode = episodes.doc_id(first["result"]["cycle"])
        found = [h for h in hits["result"]["hits"] if h["doc_id"] == episode]
        assert found and found[0]["metadata"]["outcome"] == "learned" and found[0]["metadata"]["selector"] == "triple"
        assert "return n * 3" in found[0]["text"] and "Asked: triple a number" in found[0]["text"]
        second = _send(kernel, "triple_number", [5], "triple the number", 3)
        assert second["status"] == "ok" and second["result"]["result"] == 15, second
        record = kernel.request({"command": "cycle", "cycle": second["result"]["cycle"]})["result"]
        assert [e["id"] for e in record["artifacts"]["episodes"]] == [episode]
        assert not any(c["id"].startswith("episode:") for c in record["artifacts"]["context"])  # research leaves them out
    finally:
        kernel.stop()


def test_a_failure_is_an_episode_the_same_mission_hears_of_and_forgetting_it_silences_it(tmp_path):
    wrong = "```python\ndef triple(self, n):\n    return n + 3\n```"
    lines = [
        {"persona": "BRICK", "contains": "triple", "response": '["triples"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\n```"},
        {"persona": "ALFRED", "contains": "named triple for", "response": wrong},
        {"persona": "ALFRED", "contains": "named triple for", "response": wrong},
        {"persona": "BRICK", "contains": "triple", "response": '["triples"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\n```"},
        {"persona": "ALFRED", "contains": "An earlier attempt at a similar request (triple) failed: attempt 1",
         "response": TRIPLE.format(name="triple")},
        {"persona": "BRICK", "contains": "triple", "response": '["triples"]'},
        {"persona": "BRICK", "contains": SPEC, "response": "```python\n```"},
        {"persona": "ALFRED", "contains": "named triple for", "response": TRIPLE.format(name="triple")},
    ]
    kernel = _kernel(tmp_path, lines)
    try:
        failed = _send(kernel, "triple", [4], "triple a number", 3)
        assert failed["status"] == "error" and failed["error"]["code"] == "cycle_failed"
        episode = episodes.doc_id(failed["error"]["cycle"])
        hits = kernel.request({"command": "search", "query": "triple", "mode": "text", "filter": {"outcome": "failed"}})
        assert [h["doc_id"] for h in hits["result"]["hits"]] == [episode]
        again = _send(kernel, "triple", [4], "triple a number", 3)
        assert again["status"] == "ok" and again["result"]["result"] == 12, again
        record = kernel.request({"command": "cycle", "cycle": again["result"]["cycle"]})["result"]
        assert [e["id"] for e in record["artifacts"]["episodes"]] == [episode]
        # forgotten, it is cited no more (the method removed, the same mission is a cycle again)
        assert kernel.request({"command": "forget", "doc_id": episode})["status"] == "ok"
        assert kernel.request({"command": "remove_method", "target": "genesis_obj", "selector": "triple",
                               "force": True})["status"] == "ok"
        third = _send(kernel, "triple", [2], "triple a number", 3)
        assert third["status"] == "ok", third
        record = kernel.request({"command": "cycle", "cycle": third["result"]["cycle"]})["result"]
        assert [e["id"] for e in record["artifacts"]["episodes"]] == [episodes.doc_id(again["result"]["cycle"])]
    finally:
        kernel.stop()

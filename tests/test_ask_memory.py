"""``ask`` remembers every exchange as an episode and keeps conversations (bat_os.memory.conversations,
bat_os.kernel.commands.ask): the functions on a bare catalog, then a real kernel with the replay backend, where
the cassette's ``contains`` proves what the model was sent: a line matches only a prompt that holds the context."""

from __future__ import annotations

import json

import pytest

from bat_os.errors import BadRequest
from bat_os.image.primordial import PERSONAS
from bat_os.memory import conversations as conv
from bat_os.memory.catalog import KnowledgeCatalog
from bat_os.models.backends import prompt_sha256
from support import KernelProcess


def _answer(persona: str, text: str, model: str = "m") -> dict:
    return {"persona": persona, "model": model, "text": text, "seconds": 0.1}


# --- the functions, on a catalog outside any image --------------------------------------------


def test_an_episode_s_text_splits_back_even_when_the_prompt_holds_the_separator():
    prompt = "say\nROBIN answered: nothing\nplease"
    text = conv.episode_text("ROBIN", prompt, "Calm.\nROBIN answered: twice")
    assert text.startswith("ROBIN was asked: say\n") and "\nROBIN answered: Calm." in text
    assert conv.parse_episode("ROBIN", text) == ("say\nROBIN answered : nothing\nplease", "Calm.\nROBIN answered: twice")
    assert conv.parse_episode("BRICK", text) is None
    clipped = conv.episode_text("ROBIN", "q" * 5000, "a" * 5000)
    asked, answer = conv.parse_episode("ROBIN", clipped)
    assert len(asked) == conv.PROMPT_KEPT and asked.endswith("…") and len(answer) == conv.ANSWER_KEPT


@pytest.mark.parametrize("bad", ["", "a b", "x" * 101, "naïve", "c1/2", 7, None, ["c1"]])
def test_a_conversation_id_is_short_and_plain(bad):
    with pytest.raises(BadRequest, match="'conversation' must"):
        conv.check_conversation(bad)
    assert conv.check_conversation("Chat_2024-01-02.a:b") == "Chat_2024-01-02.a:b"
    assert conv.check_conversation("x" * 100) == "x" * 100


def test_turns_are_numbered_read_back_in_order_and_forgotten_ones_leave_the_context():
    catalog = KnowledgeCatalog()
    assert conv.turns(catalog, "c1") == [] and conv.last_turn(catalog, "c1") == 0
    for n in (1, 2, 3):
        assert conv.remember(catalog, f"question {n}", [_answer("ROBIN", f"answer {n}")], "c1", now=100.0 + n) == (
            f"episode:ask:c1:{n}", n)
    doc_id, turn = conv.remember(catalog, "elsewhere", [_answer("BRICK", "x")], "", now=5.0)
    assert turn == 0 and doc_id.startswith("episode:ask:") and len(doc_id) == len("episode:ask:") + 16
    chunk = catalog.chunks[catalog.documents["episode:ask:c1:2"][0]]
    assert dict(chunk.metadata) == {"kind": "episode", "event": "ask", "persona": "ROBIN", "conversation": "c1",
                                    "turn": 2, "model": "m", "ingested_at": 102.0}
    assert [t.turn for t in conv.turns(catalog, "c1")] == [1, 2, 3]
    assert conv.context_prompt("question 4", conv.turns(catalog, "c1")) == (
        "Earlier in this conversation:\n[you] question 1\n[ROBIN] answer 1\n[you] question 2\n[ROBIN] answer 2\n"
        "[you] question 3\n[ROBIN] answer 3\n\nquestion 4")
    assert catalog.forget("episode:ask:c1:1")
    assert [t.prompt for t in conv.turns(catalog, "c1")] == ["question 2", "question 3"]
    assert catalog.forget("episode:ask:c1:3")
    assert conv.remember(catalog, "again", [_answer("ROBIN", "y")], "c1", now=200.0)[1] == 3  # one past the highest left


def test_a_contrapunto_is_one_episode_with_a_chunk_per_answer():
    catalog = KnowledgeCatalog()
    conv.remember(catalog, "why?", [_answer("ROBIN", "because", "r"), _answer("BRICK", "parts", "b")], "c2", now=1.0)
    chunks = [catalog.chunks[cid] for cid in catalog.documents["episode:ask:c2:1"]]
    assert [c.text for c in chunks] == ["ROBIN was asked: why?\nROBIN answered: because", "BRICK was asked: why?\nBRICK answered: parts"]
    assert list(chunks[0].metadata["persona"]) == ["ROBIN", "BRICK"] and list(chunks[0].metadata["model"]) == ["r", "b"]
    assert catalog.matching({"persona": "BRICK"}) == set(catalog.documents["episode:ask:c2:1"])
    (turn,) = conv.turns(catalog, "c2")
    assert turn.answers == (("ROBIN", "because"), ("BRICK", "parts"))
    assert conv.context_prompt("and?", [turn]) == "Earlier in this conversation:\n[you] why?\n[ROBIN] because\n[BRICK] parts\n\nand?"


def test_the_context_keeps_the_newest_turns_within_its_bounds_and_no_context_is_the_prompt_itself():
    assert conv.context_prompt("just this", []) == "just this"
    many = [conv.Turn(n, f"d{n}", f"q{n}", (("ROBIN", f"a{n}"),)) for n in range(1, 11)]
    kept = conv.context_prompt("now", many)
    assert "[you] q4\n" not in kept and kept.startswith("Earlier in this conversation:\n[you] q5\n") and kept.endswith("[ROBIN] a10\n\nnow")
    long = [conv.Turn(n, f"d{n}", "q" * 500, (("ROBIN", str(n) * 1200),)) for n in range(1, 4)]
    kept = conv.context_prompt("now", long)
    assert "2" * 1200 in kept and "3" * 1200 in kept and "1" * 1200 not in kept  # the oldest went first
    huge = conv.Turn(1, "d1", "q", tuple((p, "z" * 2000) for p in ("ROBIN", "BRICK", "ALFRED")))
    assert len(conv.context_prompt("now", [huge])) <= conv.CONTEXT_CHARS + 100


# --- a real kernel -------------------------------------------------------------------------------


def _kernel(tmp_path, lines) -> KernelProcess:
    cassette = tmp_path / "asks.jsonl"
    cassette.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette)}).start()


def _ok(reply):
    assert reply["status"] == "ok", reply
    return reply["result"]


def _ask(kernel, **fields):
    return kernel.request({"command": "ask", **fields}, timeout=60)


def _documents(kernel) -> int:
    return _ok(kernel.request({"command": "status"}))["knowledge"]["documents"]


def _search(kernel, query, **filters):
    return _ok(kernel.request({"command": "search", "query": query, "mode": "text", "filter": filters}))["hits"]


def _turn(prompt, answer):
    return f"[you] {prompt}\n[ROBIN] {answer}"


Q1, A1 = "T1: what is tea?", "ANSWER-ONE kettles sing"
Q2, A2 = "T2: and coffee?", "ANSWER-TWO beans roast"
Q3, A3 = "T3: which is kinder?", "ANSWER-THREE both are"
Q4, A4 = "T4: and water?", "ANSWER-FOUR water is"
HEADER = "Earlier in this conversation:\n"
CONVERSATION = [  # each line matches only the prompt WITH its context: without it the ask is an llm_error
    {"persona": "ROBIN", "contains": Q1, "response": A1},
    {"persona": "ROBIN", "contains": HEADER + _turn(Q1, A1) + "\n\n" + Q2, "response": A2},
    {"persona": "ROBIN", "contains": HEADER + _turn(Q1, A1) + "\n" + _turn(Q2, A2) + "\n\n" + Q3, "response": A3},
    # after turn 1 is forgotten (and a restart): the context starts at turn 2
    {"persona": "ROBIN", "contains": HEADER + _turn(Q2, A2) + "\n" + _turn(Q3, A3) + "\n\n" + Q4, "response": A4},
    {"persona": "ROBIN", "contains": "a plain question", "response": "a plain answer"},
    {"persona": "ROBIN", "contains": "C1: why rivers?", "response": "ROBIN-C1 they flow"},
    {"persona": "BRICK", "contains": "[ROBIN] ROBIN-C1 they flow", "response": "BRICK-C1 gravity"},
    {"persona": "ROBIN", "contains": HEADER + "[you] C1: why rivers?\n[ROBIN] ROBIN-C1 they flow\n[BRICK] BRICK-C1 gravity\n\nC2: and seas?",
     "response": "ROBIN-C2 they rest"},
    {"persona": "BRICK", "contains": "[BRICK] BRICK-C1 gravity\n\nC2: and seas?", "response": "BRICK-C2 basins"},
]


def test_a_conversation_carries_its_turns_is_searchable_forgettable_and_survives_a_restart(tmp_path):
    kernel = _kernel(tmp_path, CONVERSATION)
    try:
        before = _documents(kernel)
        first = _ok(_ask(kernel, persona="robin", prompt=Q1, conversation="tea-talk"))
        assert (first["text"], first["conversation"], first["turn"], first["episode"]) == (A1, "tea-talk", 1, "episode:ask:tea-talk:1")
        assert _documents(kernel) == before + 1  # committed before the reply
        (hit,) = _search(kernel, "kettles", kind="episode")
        assert hit["doc_id"] == "episode:ask:tea-talk:1" and hit["text"] == f"ROBIN was asked: {Q1}\nROBIN answered: {A1}"
        metadata = dict(hit["metadata"])
        assert isinstance(metadata.pop("ingested_at"), float) and metadata["model"].startswith("replay:")
        assert metadata == {"kind": "episode", "event": "ask", "persona": "ROBIN", "conversation": "tea-talk", "turn": 1,
                            "model": metadata["model"]}
        assert _ok(_ask(kernel, persona="ROBIN", prompt=Q2, conversation="tea-talk"))["turn"] == 2
        third = _ok(_ask(kernel, persona="ROBIN", prompt=Q3, conversation="tea-talk"))
        assert (third["text"], third["turn"]) == (A3, 3)
        # another conversation's context is its own: turn 1, no context (the line for Q1 is used: llm_error)
        other = _ask(kernel, persona="ROBIN", prompt=Q1, conversation="other")
        assert other["status"] == "error" and other["error"]["code"] == "llm_error"
        assert _ok(kernel.request({"command": "forget", "doc_id": "episode:ask:tea-talk:1"}))["chunks"] == 1
        assert _search(kernel, "kettles", kind="episode") == []
    finally:
        kernel.stop()
    kernel.start()  # the cassette starts afresh; the conversation is in the image
    try:
        fourth = _ok(_ask(kernel, persona="ROBIN", prompt=Q4, conversation="tea-talk"))
        assert (fourth["text"], fourth["turn"], fourth["episode"]) == (A4, 4, "episode:ask:tea-talk:4")
        turns = sorted(hit["metadata"]["turn"] for hit in _search(kernel, "ANSWER", conversation="tea-talk"))
        assert turns == [2, 3, 4]
    finally:
        kernel.stop()


def test_bad_conversations_and_failed_asks_remember_nothing_and_a_plain_ask_sends_the_prompt_unchanged(tmp_path):
    kernel = _kernel(tmp_path, CONVERSATION)
    try:
        before = _documents(kernel)
        for bad in ("", "two words", "x" * 101, "tea/talk", 12, None):
            reply = _ask(kernel, persona="ROBIN", prompt="a plain question", conversation=bad)
            assert reply["status"] == "error" and reply["error"]["code"] == "bad_request", reply
            assert "conversation" in reply["error"]["message"]
        failed = _ask(kernel, persona="ROBIN", prompt="nothing matches this", conversation="c9")
        assert failed["error"]["code"] == "llm_error"
        assert _documents(kernel) == before
        plain = _ok(_ask(kernel, persona="ROBIN", prompt="a plain question"))  # the bad asks used no line
        assert plain["text"] == "a plain answer" and "conversation" not in plain and "turn" not in plain
        assert plain["episode"].startswith("episode:ask:") and _documents(kernel) == before + 1
        (hit,) = _search(kernel, "plain", kind="episode")
        assert hit["doc_id"] == plain["episode"] and hit["metadata"]["conversation"] == "" and hit["metadata"]["turn"] == 0
        assert _ok(kernel.request({"command": "forget", "doc_id": plain["episode"]}))["doc_id"] == plain["episode"]
        assert _documents(kernel) == before
    finally:
        kernel.stop()
    calls = [json.loads(line) for line in kernel.audit.read_text().splitlines()]
    calls = [c for c in calls if c.get("event") == "model_call" and c["outcome"] == "ok"]
    assert calls[-1]["prompt_sha256"] == prompt_sha256(PERSONAS["ROBIN"]["system_prompt"], "a plain question")


def test_a_contrapunto_in_a_conversation_is_one_episode_per_turn_and_every_persona_reads_the_context(tmp_path):
    kernel = _kernel(tmp_path, CONVERSATION)
    try:
        first = _ok(_ask(kernel, personas=["ROBIN", "BRICK"], prompt="C1: why rivers?", conversation="rivers"))
        assert [a["text"] for a in first["answers"]] == ["ROBIN-C1 they flow", "BRICK-C1 gravity"]
        assert (first["episode"], first["turn"]) == ("episode:ask:rivers:1", 1)
        second = _ok(_ask(kernel, personas=["ROBIN", "BRICK"], prompt="C2: and seas?", conversation="rivers"))
        assert [a["text"] for a in second["answers"]] == ["ROBIN-C2 they rest", "BRICK-C2 basins"]
        assert second["turn"] == 2
        hits = _search(kernel, "gravity basins", persona="BRICK", kind="episode")
        assert {(h["doc_id"], h["chunk"]) for h in hits} == {("episode:ask:rivers:1", 1), ("episode:ask:rivers:2", 1)}
        assert hits[0]["metadata"]["persona"] == ["ROBIN", "BRICK"]
    finally:
        kernel.stop()

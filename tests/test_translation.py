"""The translate command end to end: a real kernel subprocess, the replay backend, the real cycle.

ALFRED's model is the replay backend. Every translation line names the
persona and ``contains`` the sentence (``Sentence: <text>`` occurs once in a
translation prompt) or the refusal, so no translation takes a cycle's line
and no cycle takes a translation's (the backend takes the first unused line
that matches).
"""

import datetime
import json

import pytest

from bat_os.translate import briefs
from bat_os.translate import model as translation
from bat_os.translate import translator
from support import KernelProcess

SEED = "create a method to report the current system time"
SEED_BRIEF = briefs.mission("report_the_current_system_time", [], {"intent": SEED})


def said(sentence, answer, **extra):
    """A cassette line answering the first translation prompt for ``sentence``."""
    return {"persona": "ALFRED", "contains": f"Sentence: {sentence}\nJSON:", "response": answer, **extra}


def refused(error, answer):
    """A cassette line answering the second prompt, the one that quotes ``error``."""
    return {"persona": "ALFRED", "contains": f"Your answer was refused: {error}", "response": answer}


def error_of(candidate):
    with pytest.raises(briefs.BriefError) as info:
        briefs.validate(candidate)
    return str(info.value)


BAD_SELECTOR = {"command": "initiate_cognitive_cycle", "mission_brief": {"selector": "Double-It", "args": [21]}}
DOUBLE = briefs.mission("double_the_number", [21])  # no kwargs.intent: the kernel adds the sentence
MOON = briefs.mission("wave_hello", [], {"intent": "teach the moon to wave hello"}, target="moon_obj")

LINES = [
    said("how is the system doing today?", 'Certainly.\n```json\n{"command": "status"}\n```\nAnything else?'),
    said("double the number 21", json.dumps(BAD_SELECTOR)),
    refused(error_of(BAD_SELECTOR), "Apologies.\n" + json.dumps(DOUBLE)),
    said("paint the sky green", "I am afraid I cannot do that."),
    {"persona": "ALFRED", "contains": "Sentence: paint the sky green\nYour answer was: I am afraid", "response": '{"command": "launch"}'},
    said("teach the moon to wave hello", json.dumps(MOON)),
    refused("'target_oid': no object named moon_obj", json.dumps({**MOON, "target_oid": "genesis_obj"})),
    said("how many objects are there?", '{"command": "status"}'),
    # The end-to-end scenario: the translation, then the cycle that reads its intent.
    said(SEED, json.dumps(SEED_BRIEF)),
    {"persona": "BRICK", "contains": f"Arguments: [] {{}}\nIntent: {SEED}", "response": '["current system time"]'},
    # written by attempts 1 and 2 (the two voices), each prompt showing the intent: two readings agree
    *[{"persona": "ALFRED", "contains": f"for an object: {SEED}.\nSelector: report_the_current_system_time\nIt is called like this: "
                                        "obj.report_the_current_system_time()\nDefine it as (name the parameters after what they mean): "
                                        "def report_the_current_system_time(self):\n",
       "response": "```python\ndef report_the_current_system_time(self):\n    import datetime\n"
                   "    return datetime.datetime.now().isoformat()\n```"}] * 2,
]


def replay_kernel(path, lines, **env):
    path.mkdir(exist_ok=True)
    cassette = path / "translate.jsonl"
    cassette.write_text("".join(json.dumps(line) + "\n" for line in lines))
    settings = {"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette), "BATOS_JAIL_WALL_SECONDS": "2", **env}
    return KernelProcess(path, env=settings)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    process = replay_kernel(tmp_path_factory.mktemp("translate"), LINES).start()
    yield process
    process.stop()


def translate(kernel, text, **fields):
    reply = kernel.request({"command": "translate", "text": text, **fields}, timeout=30)
    assert reply["status"] == "ok", reply
    return reply["result"]


def with_events(kernel, request):
    with kernel.client() as client:
        client.send({**request, "events": True, "id": "t"})
        events = []
        while True:
            reply = client.recv(timeout=30)
            assert reply["id"] == "t"
            if reply["status"] != "event":
                return events, reply
            events.append(reply["event"])


def test_valid_model_json_is_the_answer_and_its_tokens_stream(kernel):
    events, reply = with_events(kernel, {"command": "translate", "text": "how is the system doing today?"})
    assert reply["status"] == "ok", reply
    assert reply["result"] == {
        "request": {"command": "status"}, "source": "model", "model": "replay:translate.jsonl",
        "rule": None, "notes": [], "attempts": [], "fallback": None,
    }
    assert {"type": "translation", "stage": "model", "attempt": 1} in events
    tokens = [e for e in events if e["type"] == "token"]
    assert tokens and all(e["persona"] == "ALFRED" for e in tokens)
    assert "".join(e["text"] for e in tokens).startswith("Certainly.\n```json")


def test_a_refused_answer_is_asked_again_with_the_error(kernel):
    events, reply = with_events(kernel, {"command": "translate", "text": "double the number 21"})
    result = reply["result"]
    assert result["source"] == "model" and result["fallback"] is None
    assert result["attempts"] == [{"error": error_of(BAD_SELECTOR), "reply": json.dumps(BAD_SELECTOR)}]
    brief = result["request"]["mission_brief"]
    assert brief["selector"] == "double_the_number" and brief["args"] == [21]
    assert brief["kwargs"] == {"intent": "double the number 21"}  # added: the model gave none
    assert result["notes"] == ["the model gave no kwargs.intent; the sentence was added"]
    stages = [e for e in events if e["type"] == "translation"]
    assert stages == [{"type": "translation", "stage": "model", "attempt": 1}, {"type": "translation", "stage": "model", "attempt": 2}]


def test_refused_twice_falls_back_to_the_local_translator(kernel):
    events, reply = with_events(kernel, {"command": "translate", "text": "paint the sky green"})
    result = reply["result"]
    local = translator.translate("paint the sky green")
    assert result["source"] == "local" and result["model"] is None
    assert result["request"] == local.request and result["rule"] == local.rule and result["notes"] == list(local.notes)
    assert [a["error"] for a in result["attempts"]] == ["the answer holds no JSON object", error_of({"command": "launch"})]
    assert result["attempts"][0]["reply"] == "I am afraid I cannot do that."
    assert "refused 2 times" in result["fallback"] and "'command' must be one of" in result["fallback"]
    assert [e["stage"] for e in events if e["type"] == "translation"] == ["model", "model", "local"]


def test_a_model_failure_falls_back_at_once(kernel):
    result = translate(kernel, "list the prime numbers below 20")  # no cassette line: LLMError
    assert result["source"] == "local" and result["attempts"] == []
    assert result["fallback"].startswith("llm_error: no unused line in cassette")
    assert result["request"] == translator.translate("list the prime numbers below 20").request


def test_a_mission_for_an_unknown_object_is_refused_and_retried(kernel):
    result = translate(kernel, "teach the moon to wave hello")
    assert result["source"] == "model"
    assert result["attempts"][0]["error"] == "'target_oid': no object named moon_obj"
    assert result["request"]["target_oid"] == "genesis_obj"
    assert result["request"]["mission_brief"]["kwargs"] == {"intent": "teach the moon to wave hello"}


def test_local_true_asks_no_model(kernel):
    events, reply = with_events(kernel, {"command": "translate", "text": "how many objects are there?", "local": True})
    result = reply["result"]
    assert result["source"] == "local" and result["fallback"] == "the request asked for the local translator"
    assert result["request"] == translator.translate("how many objects are there?").request
    assert not [e for e in events if e["type"] == "token"]
    # Its cassette line is still unused: the model answers the same sentence now.
    assert translate(kernel, "how many objects are there?")["source"] == "model"


def test_another_target(kernel):
    oid = kernel.request({"command": "inspect", "target": "traits_obj"})["result"]["oid"]
    result = translate(kernel, "count the stars", target=oid, local=True)
    assert result["request"]["target_oid"] == oid


@pytest.mark.parametrize("request_fields, code", [
    ({"text": ""}, "bad_request"),
    ({"text": "   \n\t "}, "bad_request"),
    ({"text": 5}, "bad_request"),
    ({}, "bad_request"),
    ({"text": "x" * (briefs.MAX_TEXT_CHARS + 1)}, "bad_request"),
    ({"text": "hello", "local": "yes"}, "bad_request"),
    ({"text": "hello", "target": 7}, "bad_request"),
    ({"text": "hello", "target": "knowledge_catalog_obj"}, "bad_request"),
    ({"text": "hello", "target": "nobody_obj"}, "not_found"),
    ({"text": "hello", "target": "0xffffff"}, "not_found"),
    ({"text": "?! ...", "local": True}, "bad_request"),  # nothing the local translator can act on
])
def test_bad_input_is_refused(kernel, request_fields, code):
    reply = kernel.request({"command": "translate", **request_fields})
    assert reply["status"] == "error" and reply["error"]["code"] == code, reply


def test_a_translated_mission_teaches_a_method_without_its_intent(kernel):
    translated = translate(kernel, SEED)
    assert translated["source"] == "model" and translated["request"] == SEED_BRIEF
    reply = kernel.request(translated["request"], timeout=60)
    assert reply["status"] == "ok", reply  # BRICK's and ALFRED's lines matched: both prompts showed the intent
    stamp = datetime.datetime.fromisoformat(reply["result"]["result"])
    method = kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["methods"]["report_the_current_system_time"]
    assert method["source"].startswith("def report_the_current_system_time(self):")
    cycle = kernel.request({"command": "cycle", "cycle": reply["result"]["cycle"]})["result"]
    assert cycle["brief"]["kwargs"] == {} and cycle["brief"]["intent"] == SEED
    assert [c["attempt"] for c in cycle["artifacts"]["candidates"]] == [1, 2]  # both lines matched

    again = kernel.request(translated["request"], timeout=10)  # understood now: sent at once, without the intent
    assert again["status"] == "ok", again
    assert datetime.datetime.fromisoformat(again["result"]) >= stamp
    plain = kernel.request({"command": "send", "target": "genesis_obj", "selector": "report_the_current_system_time", "intent": SEED})
    assert plain["status"] == "ok" and isinstance(plain["result"], str)
    bad = kernel.request({"command": "send", "target": "genesis_obj", "selector": "report_the_current_system_time", "intent": 3})
    assert bad["error"]["code"] == "bad_request"


def test_the_configured_local_translator_asks_no_model(tmp_path):
    line = said("how is the system doing today?", '{"command": "status"}')
    kernel = replay_kernel(tmp_path, [line], BATOS_TRANSLATOR="local").start()
    try:
        result = translate(kernel, "how is the system doing today?")
        assert result["source"] == "local" and "translator = \"local\"" in result["fallback"]
        # The line is still unused: ask takes it.
        ask = kernel.request({"command": "ask", "persona": "ALFRED", "prompt": "Sentence: how is the system doing today?\nJSON:"})
        assert ask["status"] == "ok" and ask["result"]["text"] == '{"command": "status"}'
    finally:
        kernel.stop()


# --- the pure parts ---------------------------------------------------------------------------


def test_the_prompt():
    prompt = translation.translation_prompt("  tell me a joke ", "0x1a")
    assert prompt.startswith(translation.MARKER + "\n")
    assert prompt.endswith("\nSentence: tell me a joke\nJSON:")
    assert prompt.count("Sentence: ") == 1
    assert '"target_oid": "0x1a"' in prompt and '"target_oid": "genesis_obj"' not in prompt
    again = translation.translation_prompt("tell me a joke", refused={"error": "'command' is wrong", "reply": "a\nb"})
    assert again.endswith("Your answer was: a b\nYour answer was refused: 'command' is wrong\nAnswer again with one JSON object only.\nJSON:")
    for _sentence, request in translation.EXAMPLES:
        assert briefs.validate(request) == request


@pytest.mark.parametrize("reply, found", [
    ('{"command": "ping"}', {"command": "ping"}),
    ('Here you are:\n```json\n{"command": "search", "query": "a {b}"}\n```', {"command": "search", "query": "a {b}"}),
    ('{not json} then {"command": "status"} and {"command": "ping"}', {"command": "status"}),
    ("[1, 2] no object", None),
    ('{"command": "status"', None),
])
def test_extract_json_object(reply, found):
    assert translation.extract_json_object(reply) == found


def test_accept():
    learner = {"genesis_obj": None}.get
    request, notes = translation.accept(json.dumps(briefs.mission("wave", [])), " wave\n at me ", lambda t: learner(t, f"no object named {t}"))
    assert request["mission_brief"]["kwargs"] == {"intent": "wave at me"} and notes
    with pytest.raises(briefs.BriefError, match="no object named moon_obj"):
        translation.accept(json.dumps(MOON), "x", lambda t: learner(t, f"no object named {t}"))
    with pytest.raises(briefs.BriefError, match="no JSON object"):
        translation.accept("nothing", "x", lambda t: None)

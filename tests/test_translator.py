"""bat_os/translate/translator.py: the local translator, phrasing by phrasing, with the request each must give.

Pure: no kernel, no model. Every request it returns must pass briefs.validate
(translate() validates before returning, and the table checks the exact shape).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bat_os.translate import briefs
from bat_os.translate.translator import Untranslatable, base_verb, selector_from, snake_name, translate


def mission(selector: str, args: list | None = None, target: str = "genesis_obj") -> dict:
    """What a mission brief for ``selector`` looks like, without its intent (checked separately)."""
    return {"command": "initiate_cognitive_cycle", "target_oid": target,
            "mission_brief": {"type": "unhandled_message", "selector": selector, "args": args or []}}


def without_intent(request: dict) -> dict:
    if request["command"] != "initiate_cognitive_cycle":
        return request
    brief = dict(request["mission_brief"])
    kwargs = dict(brief.pop("kwargs"))
    kwargs.pop("intent")
    assert kwargs == {}, "the local translator only ever sets kwargs.intent"
    return {**request, "mission_brief": brief}


# (sentence, rule, the request it must give; mission briefs without kwargs.intent)
PHRASINGS: list[tuple[str, str, dict]] = [
    # the seed's three examples
    ("Please write a method to greet a user.", "create", mission("greet_user")),
    ("Create a method to calculate the factorial of a number.", "create", mission("calculate_factorial")),
    ("create a method to report the current system time", "create", mission("report_the_current_system_time")),
    # create / write / make / teach yourself / learn (a method) to ...
    ("Create a method to calculate the factorial of 5.", "create", mission("calculate_factorial", [5])),
    ("teach yourself to say hello to \"Ada\"", "create", mission("say_hello", ["Ada"])),
    ("learn how to add 2 and 3", "create", mission("add", [2, 3])),
    ("make a function that reverses the string \"hello\"", "create", mission("reverse_string", ["hello"])),
    ("write me a method called greetUser", "create", mission("greet_user")),
    ("make a method named say-hi", "create", mission("say_hi")),
    ("teach ROBIN to write a haiku about rain", "create", mission("write_haiku_about_rain", target="robin_prototype_obj")),
    ("teach BABS how to summarise a paragraph", "create", mission("summarise_paragraph", target="babs_prototype_obj")),
    ("create a method on alfred_prototype_obj to list his duties", "create",
     mission("list_his_duties", target="alfred_prototype_obj")),
    ("could you please create a method that counts the words in \"to be or not to be\"", "create",
     mission("count_words", ["to be or not to be"])),
    ("can you make a method for calculating the average of a list of numbers", "create", mission("calculate_average")),
    ("add a method to return the sum of 1.5 and -2", "create", mission("return_sum", [1.5, -2])),
    ("write a function that returns the current year", "create", mission("return_the_current_year")),
    ("build a skill to flip a coin", "create", mission("flip_coin")),
    ("I'd like you to write a method to roll 2 dice", "create", mission("roll_dice", [2])),
    ("Teach yourself how to count vowels in \"banana\".", "create", mission("count_vowels", ["banana"])),
    ("create a method for the Fibonacci sequence", "create", mission("fibonacci_sequence")),
    ("write a method which sums 1, 2 and 3", "create", mission("sum", [1, 2, 3])),
    ("hello, create a method to greet a user", "create", mission("greet_user")),
    ("create a method to double a number for 0x1a", "create", mission("double_number", target="0x1a")),
    # imperatives: the message itself (answered directly once understood)
    ("greet the user", "imperative", mission("greet_user")),
    ("sort the list", "imperative", mission("sort_list")),
    ("double the number 21", "imperative", mission("double_number", [21])),
    ("convert 100 fahrenheit to celsius", "imperative", mission("convert_fahrenheit_to_celsius", [100])),
    ("Add 2 and 3.", "imperative", mission("add", [2, 3])),
    ("return the square root of 16", "imperative", mission("return_square_root", [16])),
    ("sort the list [3, 1, 2]", "imperative", mission("sort_list", [[3, 1, 2]])),
    ("find the largest number in a list", "imperative", mission("find_largest_number")),
    ("store a value in a slot", "imperative", mission("store_value_in_slot")),
    # search / find / what do you know about
    ("what do you know about the Watercourse Way?", "search", {"command": "search", "query": "Watercourse Way"}),
    ("search for persistence covenant", "search", {"command": "search", "query": "persistence covenant"}),
    ("find notes about ZODB blobs", "search", {"command": "search", "query": "ZODB blobs"}),
    ("look up \"living image\"", "search", {"command": "search", "query": "living image"}),
    ("tell me about the Persistence Covenant", "search", {"command": "search", "query": "Persistence Covenant"}),
    ("What does the codex say about blobs?", "search", {"command": "search", "query": "blobs"}),
    # ask PERSONA ...
    ("ask ROBIN how to find calm in a busy day", "ask", {"command": "ask", "persona": "ROBIN", "prompt": "How to find calm in a busy day?"}),
    ("ROBIN, what is the Watercourse Way?", "ask", {"command": "ask", "persona": "ROBIN", "prompt": "What is the Watercourse Way?"}),
    ("ask ROBIN and BRICK whether a method should ever write files", "ask",
     {"command": "ask", "personas": ["ROBIN", "BRICK"], "prompt": "Whether a method should ever write files?"}),
    ("what does BRICK think about recursion?", "ask", {"command": "ask", "persona": "BRICK", "prompt": "What do you think about recursion?"}),
    ("ALFRED: summarise the codex", "ask", {"command": "ask", "persona": "ALFRED", "prompt": "Summarise the codex"}),
    ("BABS, find sources on ZODB", "ask", {"command": "ask", "persona": "BABS", "prompt": "Find sources on ZODB"}),
    ("ask robin about the rain", "ask", {"command": "ask", "persona": "ROBIN", "prompt": "What do you think about the rain?"}),
    # how do I ... (BRICK breaks it down), other questions (ALFRED), statements (ALFRED)
    ("how do I report the current system time?", "how_to",
     {"command": "ask", "persona": "BRICK", "prompt": "How do I report the current system time?"}),
    ("How can I back up the image", "how_to", {"command": "ask", "persona": "BRICK", "prompt": "How can I back up the image?"}),
    ("why is the sky blue?", "question", {"command": "ask", "persona": "ALFRED", "prompt": "Why is the sky blue?"}),
    ("what is 6 times 7?", "question", {"command": "ask", "persona": "ALFRED", "prompt": "What is 6 times 7?"}),
    ("I like turtles", "chat", {"command": "ask", "persona": "ALFRED", "prompt": "I like turtles"}),
    # remember ...
    ("remember that the Architect's birthday is on 12 March", "remember",
     {"command": "ingest", "text": "The Architect's birthday is on 12 March.", "metadata": {"source": "architect"}}),
    ("Remember that BRICK prefers lists.", "remember",
     {"command": "ingest", "text": "BRICK prefers lists.", "metadata": {"source": "architect"}}),
    ("note that backups run at 3 am", "remember",
     {"command": "ingest", "text": "Backups run at 3 am.", "metadata": {"source": "architect"}}),
    ("learn that ROBIN likes tea", "remember", {"command": "ingest", "text": "ROBIN likes tea.", "metadata": {"source": "architect"}}),
    # status, ping, inspect, cycle
    ("what is the status?", "status", {"command": "status"}),
    ("status", "status", {"command": "status"}),
    ("what's the status of the system?", "status", {"command": "status"}),
    ("how's the kernel doing?", "status", {"command": "status"}),
    ("are you there?", "ping", {"command": "ping"}),
    ("hello", "ping", {"command": "ping"}),
    ("inspect genesis_obj", "inspect", {"command": "inspect", "target": "genesis_obj"}),
    ("what does genesis_obj understand?", "inspect", {"command": "inspect", "target": "genesis_obj"}),
    ("show me ROBIN", "inspect", {"command": "inspect", "target": "robin_prototype_obj"}),
    ("what can you do?", "inspect", {"command": "inspect", "target": "genesis_obj"}),
    ("show cycle c3", "cycle", {"command": "cycle", "cycle": "c3"}),
    ("what happened in cycle c12?", "cycle", {"command": "cycle", "cycle": "c12"}),
]


def test_there_are_at_least_forty_phrasings_of_every_kind() -> None:
    assert len(PHRASINGS) >= 40
    kinds = {rule for _s, rule, _r in PHRASINGS}
    assert kinds >= {"create", "imperative", "search", "ask", "how_to", "question", "remember", "status", "ping", "inspect", "cycle"}


@pytest.mark.parametrize(("sentence", "rule", "expected"), PHRASINGS, ids=[p[0][:50] for p in PHRASINGS])
def test_phrasing_gives_its_request(sentence: str, rule: str, expected: dict) -> None:
    translation = translate(sentence)
    assert translation.rule == rule
    assert without_intent(translation.request) == expected
    assert briefs.validate(translation.request) == translation.request
    json.dumps(translation.request)  # what --brief-only prints


@pytest.mark.parametrize("sentence", [p[0] for p in PHRASINGS if p[2]["command"] == "initiate_cognitive_cycle"])
def test_a_mission_brief_keeps_the_whole_sentence_as_its_intent(sentence: str) -> None:
    brief = translate(sentence).request["mission_brief"]
    assert brief["kwargs"] == {"intent": " ".join(sentence.split())}


def test_the_default_target_can_be_chosen() -> None:
    assert translate("greet the user", target="0x07").request["target_oid"] == "0x07"
    # an object named in the sentence wins
    assert translate("teach ROBIN to sing", target="0x07").request["target_oid"] == "robin_prototype_obj"


@pytest.mark.parametrize(("sentence", "says"), [
    ("", "empty"),
    ("   \t ", "empty"),
    ("?!...", "no words"),
    ("please", "politeness"),
    ("1,000,000", "only a value"),
    ('"just a quote"', "only a value"),
    ("create a method", "what should the method do"),
    ("search", "search for what"),
    ("ask NOBODY hi", "NOBODY is not a persona; ask one of ALFRED, BRICK, ROBIN, BABS"),
    ("create a method to greet 世界 こんにちは", None),  # non-Latin words vanish; "greet" is left: not an error
    ("create a method to 世界", "no method name can be made"),
    ("create a method called 123", "cannot be a method name"),
])
def test_sentences_with_nothing_to_act_on_say_why(sentence: str, says: str | None) -> None:
    if says is None:
        assert translate(sentence).request["mission_brief"]["selector"] == "greet"
        return
    with pytest.raises(Untranslatable, match=says):
        translate(sentence)


def test_non_ascii_text_is_folded_into_a_selector_or_asked_as_it_is() -> None:
    french = translate("créer une méthode pour dire bonjour")
    assert briefs.is_selector(french.request["mission_brief"]["selector"])
    assert french.request["mission_brief"]["selector"].startswith("creer_une_methode")
    assert french.request["mission_brief"]["kwargs"]["intent"] == "créer une méthode pour dire bonjour"
    japanese = translate("こんにちは、元気ですか")
    assert japanese.request == {"command": "ask", "persona": "ALFRED", "prompt": "こんにちは、元気ですか"}
    quoted = translate('say hello to "Zoë"')
    assert quoted.request["mission_brief"]["args"] == ["Zoë"]


def test_a_sentence_of_five_thousand_words_is_cut_to_size_quickly() -> None:
    sentence = "create a method to " + " ".join(["report the current system time"] * 1000)  # 5,004 words
    started = time.perf_counter()
    translation = translate(sentence)
    elapsed = time.perf_counter() - started
    brief = translation.request["mission_brief"]
    assert len(brief["selector"]) <= briefs.MAX_SELECTOR_CHARS and briefs.is_selector(brief["selector"])
    assert brief["selector"].startswith("report_the_current_system_time")
    assert len(brief["kwargs"]["intent"]) == briefs.MAX_INTENT_CHARS
    assert any("kwargs.intent keeps the first" in note for note in translation.notes)
    assert elapsed < 5  # a loose bound: a regex gone quadratic would take minutes
    rambling = translate(" ".join(["words"] * 5000))
    assert briefs.is_selector(rambling.request["mission_brief"]["selector"])


@pytest.mark.parametrize(("word", "base"), [
    ("reports", "report"), ("calculates", "calculate"), ("counts", "count"), ("does", "do"), ("fixes", "fix"),
    ("carries", "carry"), ("calculating", "calculate"), ("greeting", "greet"), ("writing", "write"),
    ("running", "run"), ("using", "use"), ("listening", "listen"), ("sorting", "sort"), ("adds", "add"),
])
def test_base_verb(word: str, base: str) -> None:
    assert base_verb(word) == base


@pytest.mark.parametrize(("name", "selector"), [
    ("greetUser", "greet_user"), ("say-hi", "say_hi"), ("Report Time", "report_time"), ("return", "return_it"),
    ("HTTPStatus", "httpstatus"),
])
def test_explicit_names_become_snake_case(name: str, selector: str) -> None:
    assert snake_name(name) == selector
    assert briefs.is_selector(selector)


def test_selector_rules() -> None:
    # articles go; "the" stays unless a parameter phrase was cut
    assert selector_from("report the current system time") == ("report_the_current_system_time", False)
    assert selector_from("calculate the factorial of a number") == ("calculate_factorial", True)
    assert selector_from("greet a user") == ("greet_user", False)


def test_every_translation_is_a_valid_request(tmp_path: Any) -> None:
    """Whatever the phrasing, what comes out validates (or the sentence is refused with a reason)."""
    samples = [p[0] for p in PHRASINGS] + [
        "", "create", "teach", "ask", "what", "?", "__init__", "import os", "def f(): pass", "x" * 300,
        "create a method called __class__", "do the thing with {\"a\": 1}", "[1, 2", "'", '"', "0x", "c1",
        "create a method to eval(open('/etc/passwd'))", "remember", "note that", "tell me about",
    ]
    for sentence in samples:
        try:
            translation = translate(sentence)
        except Untranslatable as exc:
            assert str(exc)
            continue
        assert briefs.validate(translation.request) == translation.request, sentence

"""bat_os/briefs.py: the schema every translated request must fit, and its error messages."""

from __future__ import annotations

from typing import Any

import pytest

from bat_os.translate import briefs
from bat_os.translate.briefs import BriefError, is_selector, mission, split_intent, validate


@pytest.mark.parametrize("request_", [
    mission("report_the_current_system_time", [], {"intent": "create a method to report the current system time"}),
    mission("calculate_factorial", [5], {}, "0x1a"),
    mission("sort_list", [[3, 1, 2], {"key": None}, 1.5, True]),
    {"command": "ask", "persona": "robin", "prompt": "hi"},
    {"command": "ask", "personas": ["ROBIN", "BRICK"], "prompt": "hi"},
    {"command": "search", "query": "Watercourse Way", "top_k": 3},
    {"command": "ingest", "text": "ROBIN likes tea.", "metadata": {"source": "architect"}},
    {"command": "status"},
    {"command": "ping"},
    {"command": "inspect", "target": "genesis_obj"},
    {"command": "cycle", "cycle": "c12"},
])
def test_valid_requests_come_back_clean(request_: dict) -> None:
    clean = validate(request_)
    assert clean["command"] == request_["command"]
    assert validate(clean) == clean  # idempotent
    if request_["command"] == "ask" and "persona" in request_:
        assert clean["persona"] == "ROBIN"  # persona names are upper-cased


def brief(**fields: Any) -> dict:
    request = mission("greet_user")
    request["mission_brief"].update(fields)
    return request


@pytest.mark.parametrize(("request_", "says"), [
    ("not a map", "must be a JSON object"),
    ({"command": "rm -rf"}, "'command' must be one of"),
    ({"command": "send", "target": "genesis_obj"}, "'command' must be one of"),
    (brief(selector="GreetUser"), "snake_case"),
    (brief(selector="greet user"), "snake_case"),
    (brief(selector="_private"), "snake_case"),
    (brief(selector="class"), "snake_case"),
    (brief(selector="x" * 65), "at most 64"),
    (brief(selector=None), "snake_case"),
    (brief(args={"a": 1}), "'mission_brief.args' must be a list"),
    (brief(kwargs=[1]), "'mission_brief.kwargs' must be a map"),
    (brief(kwargs={"not a name": 1}), "keys must be parameter names"),
    (brief(kwargs={"intent": ""}), "'mission_brief.kwargs.intent' must be a non-empty string"),
    (brief(kwargs={"intent": "x" * 5000}), "at most 4000"),
    (brief(type="something_else"), "'mission_brief.type' must be 'unhandled_message'"),
    (brief(persona="ROBIN"), "unexpected field persona in mission_brief"),
    (brief(args=[float("nan")]), "finite"),
    (brief(args=[2**70]), "64 bits"),
    ({**mission("greet_user"), "target_oid": "genesis obj; rm"}, "'target_oid' must be a root name"),
    ({"command": "initiate_cognitive_cycle", "mission_brief": "greet"}, "'mission_brief' must be an object"),
    ({"command": "ask", "persona": "NOBODY", "prompt": "hi"}, "'persona' must be one of ALFRED, BRICK, ROBIN, BABS"),
    ({"command": "ask", "persona": "ROBIN", "prompt": "  "}, "'prompt' must be a non-empty string"),
    ({"command": "ask", "personas": [], "prompt": "hi"}, "'personas' must be a list"),
    ({"command": "search", "query": ""}, "'query' must be a non-empty string"),
    ({"command": "search", "query": "x", "top_k": 1000}, "'top_k' must be a whole number"),
    ({"command": "ingest", "text": "x", "path": "/etc/passwd"}, "unexpected field path"),
    ({"command": "status", "verbose": True}, "unexpected field verbose"),
    ({"command": "inspect"}, "'target' must be a root name"),
    ({"command": "cycle", "cycle": "7"}, "'cycle' must be a cycle id"),
])
def test_invalid_requests_are_refused_with_a_message_naming_the_field(request_: Any, says: str) -> None:
    with pytest.raises(BriefError, match=r"(?s).*" + __import__("re").escape(says)):
        validate(request_)


def test_selectors() -> None:
    assert is_selector("report_the_current_system_time")
    assert is_selector("match")  # a soft keyword is a fine method name
    for bad in ("", "Report", "two__underscores", "trailing_", "1st", "def", "naïve", "a-b"):
        assert not is_selector(bad), bad


def test_split_intent_takes_the_sentence_out_of_the_arguments() -> None:
    assert split_intent({"intent": "say hi", "name": "Ada"}) == ({"name": "Ada"}, "say hi")
    assert split_intent({"name": "Ada"}) == ({"name": "Ada"}, None)
    assert split_intent({"intent": 3}) == ({"intent": 3}, None)  # not a sentence: an ordinary argument
    assert briefs.DEFAULT_TARGET == "genesis_obj"

"""bat_os.console.translating: the kernel's translation is checked, and the local one stands in when it cannot be used."""

from __future__ import annotations

import pytest

from bat_os.translate import briefs
from bat_os.console.translating import Untranslatable, from_reply, translate_locally, translate_request

SENTENCE = "create a method to report the current system time"


def ok(result: object) -> dict:
    return {"id": 1, "status": "ok", "result": result}


def test_the_request_asks_the_kernel_to_translate() -> None:
    assert translate_request("hi") == {"command": "translate", "text": "hi"}
    assert translate_request("hi", "0x07") == {"command": "translate", "text": "hi", "target": "0x07"}


def test_a_models_translation_is_used_as_it_came() -> None:
    request = {"command": "search", "query": "living image"}
    understood = from_reply(SENTENCE, ok({"request": request, "source": "model", "model": "qwen-tiny", "rule": None,
                                          "notes": ["n1"], "attempts": [], "fallback": None}))
    assert understood.request == request and understood.source == "model" and understood.model == "qwen-tiny"
    assert understood.notes == ("n1",) and understood.fallback is None
    assert understood.origin() == "from the model qwen-tiny" and not understood.is_mission


def test_the_kernels_own_local_fallback_says_why() -> None:
    request = briefs.mission("greet", [], {"intent": "greet"})
    understood = from_reply("greet", ok({"request": request, "source": "local", "model": None, "rule": "create",
                                         "notes": [], "attempts": [], "fallback": "llm_error: no model"}))
    assert understood.source == "local" and understood.is_mission
    assert understood.origin() == "from the local translator (rule create)" and understood.fallback == "llm_error: no model"


def test_a_kernel_without_translate_falls_back_to_the_local_translator() -> None:
    understood = from_reply(SENTENCE, {"id": 1, "status": "error", "error": {"code": "unknown_command", "message": "no"}})
    assert understood.source == "local" and understood.is_mission
    assert understood.request == translate_locally(SENTENCE).request
    assert understood.fallback == "this kernel has no translate command yet; translated locally"


@pytest.mark.parametrize(
    "reply, says",
    [
        ({"id": 1, "status": "error", "error": {"code": "busy", "message": "queue full"}}, "could not translate it (busy: queue full)"),
        (ok({"request": {"command": "rm -rf"}}), "the kernel sent a translation this client does not understand: 'command' must be"),
        (ok({"request": {"command": "search"}}), "does not understand: 'query' must be a non-empty string"),
        (ok(["not", "a", "map"]), "does not understand: not a map"),
        ({"id": 1, "status": "sideways"}, "a reply this client does not understand"),
    ],
)
def test_anything_else_falls_back_too_and_says_why(reply: dict, says: str) -> None:
    understood = from_reply(SENTENCE, reply)
    assert understood.source == "local"
    assert says in understood.fallback and understood.fallback.endswith("translated locally")


def test_nothing_to_translate() -> None:
    with pytest.raises(Untranslatable):
        translate_locally("?!...")
    with pytest.raises(Untranslatable):  # the fallback says so too
        from_reply("?!...", {"id": 1, "status": "error", "error": {"code": "unknown_command", "message": "no"}})

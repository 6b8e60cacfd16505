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


# --- the values a sentence never names (issue 64): asked, not guessed ---------------------------------------------


def test_an_argument_the_sentence_never_names_is_found():
    from bat_os.console.translating import unnamed
    from bat_os.translate import briefs

    guessed = briefs.mission("calculate_parking_fee", [30, 120])
    assert unnamed(guessed, "the parking fee for a stay of a given number of minutes, the first 30 minutes free") == [1]
    assert unnamed(briefs.mission("initials", ["Ada Lovelace", [1, 2.0], True]), "initials of ada lovelace, 1 and 2") == []
    assert unnamed({"command": "search", "query": "x"}, "") == []


def test_the_person_is_asked_for_an_argument_the_sentence_never_named_and_enter_keeps_the_guess():
    import io

    from bat_os.console.screen import Screen
    from bat_os.console.session import Options, Session
    from bat_os.console.translating import Understood
    from bat_os.translate import briefs

    class Typed:
        interactive = True

        def __init__(self, *lines: str) -> None:
            self.lines, self.asked = list(lines), []

        def ask(self, question: str, default: str = "") -> str | None:
            self.asked.append(question)
            return self.lines.pop(0)

    sentence = "the parking fee for a stay of a given number of minutes"
    understood = Understood(briefs.mission("calculate_parking_fee", [95]), "model", text=sentence)
    out = io.StringIO()
    person = Typed("not a value", "95", "")
    session = Session(None, Screen(out, out, session=True, environ={"NO_COLOR": "1", "TERM": "dumb"}), Options(), person)
    sent = session.confirm(understood)
    assert sent["mission_brief"]["args"] == [95] and person.asked[0].startswith(
        "calculate_parking_fee: argument 1 is not in your sentence (guessed 95); its value, or Enter to keep the guess")
    assert "not a Python value: not a value" in out.getvalue()
    person = Typed("120", "")
    assert session.__class__(None, session.screen, Options(), person).confirm(understood)["mission_brief"]["args"] == [120]
    person = Typed("", "")  # Enter: the guess stands
    assert Session(None, session.screen, Options(), person).confirm(understood)["mission_brief"]["args"] == [95]

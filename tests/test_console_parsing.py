"""bat_os.console.parsing (pure) and session.localize: lines -> requests, sentences and local actions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bat_os.console.errors import UsageError
from bat_os.console.parsing import HELP, USAGE, Local, Sentence, is_read_only, parse_line
from bat_os.console.session import localize


@pytest.mark.parametrize(
    "line, expected",
    [
        ("/search living image", {"command": "search", "query": "living image"}),
        ("/search   what is BRICK?  ", {"command": "search", "query": "what is BRICK?"}),
        ("/ingest notes.md", {"command": "ingest", "path": "notes.md"}),
        ('/ingest "my notes.md"', {"command": "ingest", "path": "my notes.md"}),
        ("/forget d1", {"command": "forget", "doc_id": "d1"}),
        ("/cycle c12", {"command": "cycle", "cycle": "c12"}),
        ("/selfcheck", {"command": "selfcheck"}),
        ("/ask babs hello there", {"command": "ask", "persona": "BABS", "prompt": "hello there"}),
        ("/brief create a method to greet", Local("brief", "create a method to greet")),
        ("/local ON", Local("local", "on")),
        ("/local off", Local("local", "off")),
        ("/?", Local("help")),
        ("create a method to greet 世界", Sentence("create a method to greet 世界")),
        ("?!...", Sentence("?!...")),  # the translator decides there is nothing in it
    ],
)
def test_new_commands_and_sentences(line: str, expected: Any) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    "line, says",
    [
        ("   ", "empty line"),
        ("/search", "/search TEXT"),
        ("/ingest", "/ingest FILE"),
        ("/cycle", "/cycle ID"),
        ("/cycle c1 c2", "exactly one ID"),
        ("/forget", "/forget DOC_ID"),
        ("/brief", "/brief SENTENCE"),
        ("/local", "on or off"),
        ("/local maybe", "on or off"),
        ("/selfcheck now", "takes no arguments"),
        ("/ask NOBODY hi", "has no persona NOBODY; the personas are ALFRED, BRICK, ROBIN, BABS"),
        ("/ask ROBIN,NOBODY hi", "has no persona NOBODY"),
    ],
)
def test_bad_lines_say_what_is_wrong(line: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_line(line)
    assert says in str(caught.value)


def test_bad_json_is_pointed_at() -> None:
    with pytest.raises(UsageError) as caught:
        parse_line("/send genesis_obj echo [1,")
    message = str(caught.value)
    assert "bad JSON in '[1,'" in message and "at character 4" in message
    shown, caret = message.splitlines()[-2:]
    assert shown.strip() == "[1," and caret.index("^") == shown.index("[1,") + 3  # under the missing value


def test_every_command_has_usage_and_help() -> None:
    for name in USAGE:
        assert f"/{name}" in HELP


def test_read_only_requests_may_be_sent_again() -> None:
    assert is_read_only({"command": "status"}) and is_read_only({"command": "translate"})
    assert is_read_only({"command": "search", "query": "x"}) and is_read_only({"command": "cycle", "cycle": "c1"})
    for command in ("send", "set_slot", "ingest", "initiate_cognitive_cycle", "ask", "forget"):
        assert not is_read_only({"command": command})


def test_ingest_sends_an_absolute_path(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Notes\n")
    request = localize({"command": "ingest", "path": "notes.md"}, cwd=tmp_path)
    assert request == {"command": "ingest", "path": str(tmp_path / "notes.md")}
    assert localize({"command": "status"}) == {"command": "status"}


def test_ingest_of_a_missing_file_is_a_local_message(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file: .*missing.md"):
        localize({"command": "ingest", "path": "missing.md"}, cwd=tmp_path)
    with pytest.raises(UsageError, match="not a file"):
        localize({"command": "ingest", "path": str(tmp_path)})


@pytest.mark.parametrize(
    "line, expected",
    [
        ("/methods genesis_obj", {"command": "methods", "target": "genesis_obj"}),
        ("/source genesis_obj square", {"command": "source", "target": "genesis_obj", "selector": "square"}),
        ("/source 0x03 square 2", {"command": "source", "target": "0x03", "selector": "square", "version": 2}),
        ("/history genesis_obj square", {"command": "history", "target": "genesis_obj", "selector": "square"}),
        ("/revert genesis_obj square 1", {"command": "revert", "target": "genesis_obj", "selector": "square", "version": 1}),
        ("/revert genesis_obj square 1 force",
         {"command": "revert", "target": "genesis_obj", "selector": "square", "version": 1, "force": True}),
        ("/remove genesis_obj square", {"command": "remove_method", "target": "genesis_obj", "selector": "square"}),
        ("/remove genesis_obj square force",
         {"command": "remove_method", "target": "genesis_obj", "selector": "square", "force": True}),
        ("/clone genesis_obj", {"command": "clone", "target": "genesis_obj"}),
        ("/clone genesis_obj lamp", {"command": "clone", "target": "genesis_obj", "name": "lamp"}),
        ('/clone genesis_obj lamp {"colour": "red"}',
         {"command": "clone", "target": "genesis_obj", "name": "lamp", "slots": {"colour": "red"}}),
        ('/clone 0x03 {"n": 1}', {"command": "clone", "target": "0x03", "slots": {"n": 1}}),
        ("/relearn genesis_obj square", {"command": "relearn", "target": "genesis_obj", "selector": "square"}),
        ("/relearn genesis_obj square it must square negatives too",
         {"command": "relearn", "target": "genesis_obj", "selector": "square", "reason": "it must square negatives too"}),
        ("/edit genesis_obj square sq.py",
         {"command": "set_method", "target": "genesis_obj", "selector": "square", "source_file": "sq.py"}),
        ('/edit genesis_obj square "my sq.py" force',
         {"command": "set_method", "target": "genesis_obj", "selector": "square", "source_file": "my sq.py", "force": True}),
    ],
)
def test_the_method_life_cycle_commands(line: str, expected: Any) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    "line, says",
    [
        ("/methods", "exactly one TARGET"),
        ("/source genesis_obj", "a TARGET, a SELECTOR and perhaps a VERSION"),
        ("/source genesis_obj square two", "VERSION must be a number such as 2, not 'two'"),
        ("/source genesis_obj 2bad", "SELECTOR must be a name"),
        ("/history genesis_obj square force", "a TARGET and a SELECTOR"),  # no force to a read
        ("/revert genesis_obj square", "a TARGET, a SELECTOR and a VERSION number"),
        ("/remove genesis_obj", "a TARGET and a SELECTOR"),
        ("/relearn genesis_obj", "a TARGET and a SELECTOR"),
        ("/clone", "needs a TARGET"),
        ("/clone genesis_obj two-words", "NAME must be a name"),
        ("/clone genesis_obj lamp [1]", "one JSON object of slots"),
        ("/edit genesis_obj square", "a FILE holding the method's code"),
        ("/edit genesis_obj square force", "a FILE holding the method's code"),
    ],
)
def test_bad_life_cycle_lines_say_what_is_wrong(line: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_line(line)
    assert says in str(caught.value)


def test_edit_sends_the_file_s_text_read_here(tmp_path: Path) -> None:
    (tmp_path / "sq.py").write_text("def square(self, x):\n    return x * x\n")
    request = localize(parse_line("/edit genesis_obj square sq.py force"), cwd=tmp_path)
    assert request == {"command": "set_method", "target": "genesis_obj", "selector": "square",
                       "source": "def square(self, x):\n    return x * x\n", "force": True}
    with pytest.raises(UsageError, match="/edit: cannot read"):
        localize(parse_line("/edit genesis_obj square missing.py"), cwd=tmp_path)
    assert is_read_only(parse_line("/history genesis_obj square")) and not is_read_only(parse_line("/remove genesis_obj square"))


def test_pack_takes_days_and_nobackup() -> None:
    assert parse_line("/pack") == {"command": "pack"}
    assert parse_line("/pack 0") == {"command": "pack", "days": 0.0}
    assert parse_line("/pack 7.5 nobackup") == {"command": "pack", "days": 7.5, "backup": False}
    with pytest.raises(UsageError, match="takes a number of days"):
        parse_line("/pack soon")
    assert not is_read_only({"command": "pack"})  # never sent again by itself after a restart

"""The one list of commands: every module listed, every command documented, nothing registered by import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bat_os.errors import UnknownCommand
from bat_os.kernel import commands
from bat_os.kernel.commands.base import Command

EXPECTED = {
    "ping", "status", "inspect", "set_slot", "send", "initiate_cognitive_cycle", "cycle", "ingest", "search", "forget",
    "ask", "translate", "backup", "chronicle", "selfcheck", "methods", "source", "history", "set_method", "remove_method",
    "revert", "relearn", "clone", "pack", "answer", "world", "forge", "get_slot", "cycles",
    "drafts", "draft", "draft_edit", "draft_example", "draft_drop", "correct",
}
PROTOCOL_DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def test_the_list_holds_every_command_once():
    found = commands.get_commands()
    assert set(found) == EXPECTED
    command_files = {p.stem for p in Path(commands.__file__).parent.glob("*.py")} - {"__init__", "base", "paging"}
    assert {m.__name__.rpartition(".")[2] for m in commands.MODULES} == command_files


def test_each_command_shows_its_wire_message_and_is_documented():
    doc = PROTOCOL_DOC.read_text()
    for module in commands.MODULES:
        for command in module.COMMANDS:
            shown = f'"command": "{command.name}"'
            assert shown in (module.__doc__ or "") or shown in (command.handler.__doc__ or ""), command.name
            assert f"`{command.name}`" in doc, f"{command.name} is not in docs/protocol.md"


def test_a_name_twice_is_refused_and_an_unknown_one_lists_the_known(monkeypatch):
    with pytest.raises(UnknownCommand, match="unknown command 'nope'; known: answer, ask, backup"):
        commands.lookup(commands.get_commands(), "nope")

    class Twice:
        __name__ = "twice"
        COMMANDS = (Command("ping", lambda ctx, request: None, writes=False),)

    monkeypatch.setattr(commands, "MODULES", commands.MODULES + (Twice,))
    with pytest.raises(ValueError, match="'ping' is defined twice"):
        commands.get_commands()


def test_no_command_registers_itself_on_import():
    package = Path(commands.__file__).resolve().parent.parent.parent
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "register"]
        assert calls == [], f"{path} registers at import"

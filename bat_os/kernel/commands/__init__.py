"""The kernel's commands: one module per concern, and :data:`MODULES`, the one list of them.

``base`` is the framework (:class:`~bat_os.kernel.commands.base.Command`,
``Context``, ``Later``, ``field``) and ``paging`` the one way a command reads
a long list in pages (``offset``, ``limit``, ``total``); every other module ends with a
``COMMANDS`` tuple and opens with a docstring showing each command's wire
message and reply. A command exists if and only if its module is listed in
:data:`MODULES` (nothing registers itself on import).

May import: everything below the kernel (image, cognition, memory, models,
translate, supervise.backup, errors, protocol).
"""

from __future__ import annotations

from bat_os.errors import UnknownCommand
from bat_os.kernel.commands import (
    ask, backup, cycles, drafts, forge, memory, methods, objects, pack, selfcheck, status, translate, world)
from bat_os.kernel.commands.base import Command

MODULES = (objects, methods, status, cycles, drafts, memory, ask, translate, backup, pack, selfcheck, world, forge)


def get_commands() -> dict[str, Command]:
    """Every command by name (a name twice is a bug: ValueError)."""
    commands: dict[str, Command] = {}
    for module in MODULES:
        for command in module.COMMANDS:
            if command.name in commands:
                raise ValueError(f"command {command.name!r} is defined twice (in {module.__name__})")
            commands[command.name] = command
    return commands


def lookup(commands: dict[str, Command], name: str) -> Command:
    """``commands[name]``, or UnknownCommand listing the known ones."""
    try:
        return commands[name]
    except KeyError:
        raise UnknownCommand(f"unknown command {name!r}; known: {', '.join(sorted(commands))}") from None

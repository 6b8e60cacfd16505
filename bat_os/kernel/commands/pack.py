"""Packing the image on the wire: ``pack`` (of this kernel's own image, while it serves).

::

    {"command": "pack", "days"?: 1.0, "backup"?: true}
        -> {"packed", "days", "pack_time", "pack_time_iso", "size_before", "size_after", "reclaimed",
            "blob_bytes_before", "blob_bytes_after", "seconds", "backup": ID | null}
        with "events": true, progress first: {"type": "progress", "stage": "backup" | "gc" | "copy" | "tail",
            "done", "total"}
        error "pack_refused" (an upgrade runs, or another pack: details "why"), "pack_failed" (the pack, or
        the backup before it, failed; the image is as it was), "bad_request" (days, backup)

``days`` (default: the setting ``pack_days``) is the history kept: revisions newer than that many days
stay; 0 keeps none. ``backup`` false skips the backup taken first. The service is
:class:`bat_os.kernel.packs.Packs`.
"""

from __future__ import annotations

from typing import Any

from bat_os.errors import BadRequest, Internal
from bat_os.kernel.commands.base import Call, Command, Context, Later, field
from bat_os.kernel.packs import check_days


def pack_command(ctx: Context, request: dict) -> Any:
    service = ctx.backups  # set by the kernel (bat_os.kernel.loop.Kernel)
    if service is None:
        raise Internal("this process packs no image")
    packs = service.packs
    days = request.get("days", packs.pack_days)
    try:
        days = check_days(days)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    backup = field(request, "backup", bool, default=True)
    packs.claim()  # pack_refused now, before anything is awaited

    async def run(call: Call | None) -> dict:
        return await packs.pack(days=days, backup=backup, on_event=call.on_event if call is not None else None)

    return Later(run)


COMMANDS = (Command("pack", pack_command, writes=False),)

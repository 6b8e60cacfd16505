"""Backups on the wire: ``backup`` (of this kernel's own image) and ``chronicle`` (the image's record of them).

::

    {"command": "backup", "full"?: false, "reason"?: "", "image"?: PATH}
        -> the backup record {"event": "backup", "id", "time", "time_iso", "kind", "reason", "file",
           "size", "sha256", "image", "image_size", "blob_count", "blob_bytes", "blobs_new"}
           plus {"backup_dir", "via": "kernel", "recorded_in_image": true}
        error "backup_failed" (repozo, the blob mirror, the backup directory), "bad_request"
        ("image" names another image than this kernel's)
    {"command": "chronicle", "offset"?: 0, "limit"?: 100, "event"?: "backup" | "restored"}
        -> {"entries": [entry, ...] (newest first), "offset", "limit", "total": all entries (of that event)}

The service is :class:`bat_os.kernel.backups.KernelBackups`; the chronicle
:mod:`bat_os.image.chronicle`. The chronicle is a log: read in pages
(:mod:`bat_os.kernel.commands.paging`) from the newest entry back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bat_os.errors import BadRequest, Internal
from bat_os.image.chronicle import chronicle_entries
from bat_os.kernel.commands.base import Call, Command, Context, Later, field
from bat_os.kernel.commands.paging import page_of

if TYPE_CHECKING:
    from bat_os.kernel.backups import KernelBackups



def _service(ctx: Context) -> "KernelBackups":
    service = ctx.backups  # set by the kernel (bat_os.kernel.loop.Kernel)
    if service is None:
        raise Internal("this process runs no backups")
    return service


def backup_command(ctx: Context, request: dict) -> Any:
    full = field(request, "full", bool, default=False)
    reason = field(request, "reason", str, default="")
    if len(reason) > 1000:
        raise BadRequest("'reason' is longer than 1000 characters")
    image = field(request, "image", str, default=None)
    if image is not None and Path(image).expanduser().resolve() != Path(ctx.image.path).resolve():
        raise BadRequest(f"this kernel serves {ctx.image.path}, not {image}")
    service = _service(ctx)

    async def run(call: Call) -> dict:
        return await service.backup(full=full, reason=reason)

    return Later(run)


def chronicle_command(ctx: Context, request: dict) -> dict:
    page = page_of(request, default=100)
    event = field(request, "event", str, default=None)
    entries = chronicle_entries(ctx.image.connection.root())
    if event is not None:
        entries = [e for e in entries if e.get("event") == event]
    return {"entries": page.take(entries[::-1]), **page.fields(len(entries))}


COMMANDS = (
    Command("backup", backup_command, writes=False),
    Command("chronicle", chronicle_command, writes=False),
)

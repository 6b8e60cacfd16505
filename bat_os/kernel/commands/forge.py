"""``forge``: the image's golden dataset (:mod:`bat_os.forge.curator`). Training and the gate come next (issue 41).

::

    {"command": "forge", "action": "dataset", "out"?: "/path/dataset.jsonl", "limit"?: 5000}
        -> {"pairs", "sha256", "duplicates", "answered", "left_out": N,
            "left_out_listed": [{"where", "selector", "why"}] (the first 50),
            "tests": {"methods", "cases", "failures"}, "out": path | null}

Every generated method's stored tests are run again first (in the jail, as ``selfcheck`` does): a method whose
tests fail now is left out. With ``out`` the pairs are written there as JSON lines (a new file, written whole
and then renamed into place: a reader never sees half of it); its folder must exist. Read only on the image.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bat_os.cognition.retest import rerun
from bat_os.errors import BadRequest, Internal, NotFound
from bat_os.forge.curator import MAX_PAIRS, gather
from bat_os.kernel.commands.base import Command, Context, Later, field
from bat_os.kernel.commands.selfcheck import tested_methods

LISTED = 50


def forge(ctx: Context, request: dict) -> Later:
    action = field(request, "action", str)
    if action != "dataset":
        raise BadRequest(f"forge knows the action 'dataset' (training and its gate are to come), not {action!r}")
    limit = field(request, "limit", int, default=MAX_PAIRS)
    if not 1 <= limit <= MAX_PAIRS:
        raise BadRequest(f"'limit' must be between 1 and {MAX_PAIRS}, not {limit}")
    out = field(request, "out", str, default=None)
    path = Path(out).expanduser() if out else None
    if path is not None and not path.parent.is_dir():
        raise NotFound(f"no folder {str(path.parent)!r} to write the dataset in")
    if ctx.cognition is None:
        raise Internal("this process runs no jail: the methods' tests cannot run here")
    cognition = ctx.cognition
    image = ctx.image
    targets = tested_methods(image.connection.root())

    async def curate(call: Any) -> dict:
        ran, failures = await rerun(cognition.image, cognition.jail, targets, cognition.capabilities_for)
        failing = {(f.get("object"), f.get("selector")) for f in failures}
        dataset = image.read(lambda: gather(image.connection.root(), failing, limit=limit))
        if path is not None:
            partial = path.with_name(path.name + ".partial")
            partial.write_text(dataset.jsonl(), encoding="utf-8")
            os.replace(partial, path)
        return {**dataset.summary(), "left_out_listed": dataset.left_out[:LISTED],
                "tests": {"methods": len(targets), "cases": ran, "failures": len(failures)},
                "out": str(path) if path is not None else None}

    return Later(curate)


COMMANDS = (Command("forge", forge, writes=False),)

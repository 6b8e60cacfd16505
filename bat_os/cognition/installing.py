"""COMPLETE: the chosen method installed with its provenance and tests (a plan's helpers with it), and the message
sent again, in ONE transaction; a part of a plan holds its method for its parent instead
(:class:`bat_os.cognition.planning.Planner`)."""

from __future__ import annotations

from typing import Any

from bat_os.cognition import capabilities, changes, episodes, specs
from bat_os.cognition.host import ImageHost
from bat_os.cognition.trials import code_sha256
from bat_os.errors import Busy, JailError, MethodRaised
from bat_os.image import transact
from bat_os.image.history import versions_of
from bat_os.image.objects import oid_to_hex


class Installer:
    """The COMPLETE step of an orchestrator's cycles (:class:`bat_os.cognition.orchestrator.Orchestrator`)."""

    def __init__(self, orchestrator: Any) -> None:
        self.o = orchestrator

    async def install(self, cycle_id: str, info: dict, chosen: dict) -> None:
        """COMPLETE with the chosen candidate; the generated cases it fails are not kept among its tests. A part of a
        plan holds it for its parent's install instead."""
        o = self.o
        if info["part_of"]:
            tests = specs.kept_tests(info["examples"], info["cases"], unheld(info, chosen))
            return o.records.write(lambda root: o.planner.hold(root, cycle_id, {**info, **chosen}, chosen, tests))
        await self.complete(cycle_id, chosen["code"], info["selector"], {**info, **chosen, "discarded": unheld(info, chosen)},
                             chosen["verdict"])

    async def complete(self, cycle_id: str, code: str, selector: str, info: dict, verdict: dict) -> None:
        """Install (a plan's helpers first) and re-send in ONE transaction; COMPLETE commits with them (retried after
        conflicting writes)."""
        o = self.o
        if info.get("relearn"):  # a relearn: the callers' stored cases must hold with the new version
            oid = o.records.read(lambda root: o.records.get(root, cycle_id).receiver._p_oid)
            if broken := (await changes.try_change(o.image, o.jail, oid, selector, code, [], o.trials.capabilities))[1]:
                why = f"the new version breaks a stored case of {broken[0].selector}: {broken[0].message}"
                return o.records.write(lambda root: o.records.fail(root, cycle_id, [why]))
        tm, conn = pair = o.image.acquire()
        installed: dict = {"type": "installed"}

        async def install() -> None:
            installed.clear()
            installed["type"] = "installed"
            root = conn.root()
            cycle = o.records.get(root, cycle_id)
            receiver = cycle.receiver
            helpers = o.planner.install_parts(root, cycle)  # a plan's helpers, with the method or not at all
            receiver.add_method(
                selector, code, author=info["author"], origin="generated", change="relearned" if info.get("relearn") else "learned",
                provenance={
                    "cycle": cycle_id, "persona": info["author"], "model": info["model"],
                    "prompt_sha256": info["prompt_sha256"],
                    "context_ids": [c["id"] for c in info["context"]],
                    "verdict": verdict, "grants": capabilities.used_by(code), **({"asked_by": cycle.origin} if cycle.origin != "user" else {}),
                    "tests": specs.kept_tests(info["examples"], info["cases"], info.get("discarded", [])),
                    **({"helpers": helpers} if helpers else {}),
                },
            )
            host = ImageHost(conn, receiver, jail=o.jail, capabilities=o.trials.granting(code, selector))
            # The trial passed: the re-send may use a warm worker.
            cycle.result = host.render_result(await o.jail.run(code, selector, info["args"], info["kwargs"], host, fresh=False))
            cycle.outcome = "complete"
            cycle.move(o.records.state(root, "COMPLETE"), o.now())
            episodes.remember(root, cycle, o.now(), code, info["author"])  # committed with the install
            installed.update(cycle=cycle_id, selector=selector, receiver=oid_to_hex(receiver._p_oid), author=info["author"],
                             version=len(versions_of(receiver, selector)),
                             code_sha256=code_sha256(code), origin=cycle.origin, brief_sha256=cycle.brief_sha256)

        try:
            await transact.run_async(tm, install, retries=(retries := o.settings.conflict_retries), note=f"cycle {cycle_id}: install {selector}")
            o._event(cycle_id, installed)  # committed
        except JailError as exc:
            why = f"{exc.error_type}: {exc.message}" if isinstance(exc, MethodRaised) else str(exc)
            o.records.write(lambda root: o.records.fail(root, cycle_id, [f"re-send after install: {why}"]))
        except Busy:
            o.records.write(lambda root: o.records.fail(root, cycle_id, [f"COMPLETE: conflicting writes, gave up after {retries + 1} tries"]))
        finally:
            o.image.release(pair)


def unheld(info: dict, chosen: dict) -> list[dict]:
    """The generated cases the chosen candidate fails: set aside, not kept among its tests (the case writer was
    wrong there, or the person's word overruled it), each with why."""
    return [{"case": case, "reason": "the method chosen answers otherwise"}
            for case, passed in zip(info["cases"], chosen.get("passes") or []) if not passed]


#!/usr/bin/env python3
"""The kernel's own Python per request, in process: ``Intake.accept`` to the reply's bytes, no sockets.

    .venv/bin/python bench/perf/profile_request.py [-n 20000] [--profile] [--top 25]

A real kernel (its commands, a real FileStorage image in a temp dir, the real jail and audit trail) is built
in this process; its bridge is replaced by a stub that keeps what would be sent, so what is timed is exactly
the work every request pays on the event-loop thread: decode, checks, the transaction, the command, the
reply, the audit line. Timed: ``n`` sends of ``genesis_obj.echo`` (a system method), then 500 of a generated
method (the jail: each awaited to its answer). ``--profile`` prints cProfile's view of the system sends by own
time. bench_send.py gives the round trips these add to; bench/perf/profile_send.py profiles a kernel process.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bat_os import config as config_module, protocol  # noqa: E402
from bat_os.image.image import Image  # noqa: E402
from bat_os.kernel.audit import Audit  # noqa: E402
from bat_os.kernel.loop import Kernel  # noqa: E402
from bat_os.kernel.startup import start_cognition  # noqa: E402

GENERATED = "def echo_generated(self, value):\n    return {'args': [value], 'name': self.name}\n"


class StubBridge:
    def __init__(self) -> None:
        self.sent: list[list[bytes]] = []

    def send(self, frames: list[bytes]) -> bool:
        self.sent.append(frames)
        return True

    def more_waiting(self) -> bool:
        return False


def frames(selector: str) -> list[bytes]:
    return [b"client", protocol.encode({"command": "send", "target": "genesis_obj", "selector": selector,
                                        "args": ["x" * 64], "id": 1})]


async def measure(config, image: Image, n: int, profile: bool, top: int) -> None:
    audit = Audit(Path(config.audit_file))
    kernel = Kernel(config, image, audit, cognition_factory=lambda: start_cognition(config, image))
    kernel.cognition = await kernel.cognition_factory()
    kernel.ctx.cognition = kernel.cognition
    kernel.cognition.record = audit.record
    bridge = StubBridge()
    kernel._attach(bridge)
    try:
        system = frames("echo")
        for _ in range(200):
            kernel.intake.accept(system)
        started = time.perf_counter()
        for _ in range(n):
            kernel.intake.accept(system)
        print(f"system send (genesis_obj.echo): {(time.perf_counter() - started) / n * 1e6:.1f} us of the kernel's Python each")
        await audit.flush()
        generated = frames("echo_generated")
        started = time.perf_counter()
        for _ in range(500):
            kernel.intake.accept(generated)
            while kernel.awaited.tasks:
                await asyncio.sleep(0)
        print(f"generated send (jailed):        {(time.perf_counter() - started) / 500 * 1e6:.1f} us each, to its answer")
        last = protocol.decode(bridge.sent[-1][-1])
        assert last["status"] == "ok", last
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(n):
                kernel.intake.accept(system)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(top)
    finally:
        await kernel.cognition.close()
        await audit.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", type=int, default=20000)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="batos-profile-request-") as tmp:
        parser = argparse.ArgumentParser()
        config_module.add_arguments(parser)
        config = config_module.load(parser.parse_args([
            "--image", str(Path(tmp) / "live_image.fs"), "--endpoint", "tcp://127.0.0.1:1",
            "--audit-file", str(Path(tmp) / "metacognition.jsonl")]),
            environ={"BATOS_HEARTBEAT_EVERY": "0", "BATOS_MEMORY_WARMUP": "0", "BATOS_EMBEDDED_MODEL": "0"})
        image = Image(config.image, config.blob_dir)
        try:
            image.awaken()
            image.run(lambda: image.connection.root()["genesis_obj"].add_method("echo_generated", GENERATED,
                                                                                origin="generated", author="ALFRED"))
            asyncio.run(measure(config, image, args.n, args.profile, args.top))
        finally:
            image.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

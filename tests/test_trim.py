"""Freed memory given back to the system (bat_os.kernel.trim): the rule, glibc's real trim, and a real kernel's status."""

from __future__ import annotations

import asyncio
import sys
import threading
import time

import pytest

from bat_os.kernel.trim import Trimmer, glibc_trim, resident_bytes
from support import KernelProcess


def test_a_trim_counts_what_it_gave_back_and_never_a_negative():
    readings = iter([1000, 400, 400, 900])  # the second trim's RSS grew meanwhile: it gave back nothing
    calls = []
    trimmer = Trimmer(60, trim=lambda: calls.append(1), rss=lambda: next(readings), clock=lambda: 5.0)
    assert trimmer.once() == 600 and trimmer.once() == 0
    assert calls == [1, 1] and trimmer.trims == 2 and trimmer.released == 600
    assert trimmer.last["rss_before"] == 400 and trimmer.last["rss_after"] == 900 and trimmer.last["at"] == 5.0


def test_no_trim_where_the_setting_is_0_or_the_c_library_has_none():
    assert not Trimmer(0, trim=lambda: None).enabled
    none = Trimmer(60, trim=None, rss=lambda: 7)
    assert not none.enabled and none.once() == 0 and none.trims == 0
    assert none.status() == {"trim_every": 60, "trim_available": False, "trims": 0, "released_bytes": 0,
                             "last_trim": None, "rss_bytes": 7}
    assert asyncio.run(_started(none)) is None


async def _started(trimmer: Trimmer):
    return trimmer.start(asyncio.get_running_loop())


def test_the_loop_trims_every_period_until_cancelled():
    calls = []

    async def main():
        task = Trimmer(0.05, trim=lambda: calls.append(time.monotonic()), rss=lambda: 1).start(asyncio.get_running_loop())
        await asyncio.sleep(0.32)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return task

    task = asyncio.run(main())
    assert task.cancelled() and 4 <= len(calls) <= 7


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_glibcs_trim_gives_back_what_a_thread_freed():
    """What the kernel's threads free stays in their arenas: the RSS holds it until malloc_trim gives it back."""
    kept = []

    def work():
        blocks = [bytearray(4000) for _ in range(30_000)]  # ~120 MB of malloc'd (not pymalloc'd) blocks
        kept.extend(blocks[::1000])  # a few kept: the arena cannot shrink from its top alone
        del blocks

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    trim = glibc_trim()
    assert trim is not None
    before = resident_bytes()
    trim()
    after = resident_bytes()
    assert before - after > 50 * 2**20, (before, after)


def test_a_kernel_trims_on_its_schedule_and_says_so_in_status(tmp_path):
    kernel = KernelProcess(tmp_path, env={"BATOS_MEMORY_TRIM_EVERY": "0.2"}).start()
    try:
        deadline = time.monotonic() + 10
        while (allocator := kernel.request({"command": "status"})["result"]["allocator"])["trims"] < 2:
            assert time.monotonic() < deadline, allocator
            time.sleep(0.1)
        assert allocator["trim_every"] == 0.2 and allocator["trim_available"] is True
        assert allocator["rss_bytes"] > 10 * 2**20 and allocator["released_bytes"] >= 0
        assert allocator["last_trim"]["rss_before"] > 0 and allocator["last_trim"]["seconds"] < 1
    finally:
        kernel.stop()
    (tmp_path / "off").mkdir()
    off = KernelProcess(tmp_path / "off", env={"BATOS_MEMORY_TRIM_EVERY": "0"}).start()
    try:
        time.sleep(0.5)
        allocator = off.request({"command": "status"})["result"]["allocator"]
        assert allocator["trims"] == 0 and allocator["trim_every"] == 0
    finally:
        off.stop()

"""Upkeep of a running kernel: scheduled backups pruned to backup_keep, ``pack``, and what status and the stream say.

Real kernels in subprocesses on free ports, real images and repozo backups in tmp_path, real subscribers.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import zmq
from persistent.mapping import PersistentMapping

from bat_os import protocol
from bat_os.image.chronicle import chronicle_entries
from bat_os.image.image import Image
from bat_os.image.migrations import MigrationContext
from bat_os.kernel.backups import next_backup_at
from bat_os.supervise import backup as backups
from support import ROOT, KernelProcess, kernel_env


def _subscribe(kernel: KernelProcess, *topics: str) -> zmq.Socket:
    endpoint = kernel.request({"command": "status"})["result"]["events"]["endpoint"]
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(endpoint)
    for topic in topics:
        sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
    time.sleep(0.3)  # the subscription reaches the publisher
    return sub


def _drain(sub: zmq.Socket, wait_ms: int = 300) -> list[dict]:
    events = []
    while sub.poll(wait_ms):
        _topic, payload = sub.recv_multipart()
        events.append(protocol.decode(payload))
    return events


def _ok(reply: dict):
    assert reply["status"] == "ok", reply
    return reply["result"]


def _fill(kernel: KernelProcess, times: int, size: int = 20_000) -> str:
    """Give the image history: one slot set ``times`` times, each value replacing the last."""
    with kernel.client() as client:
        for i in range(times):
            value = f"{i:04d}" * (size // 4)
            _ok(client.request({"command": "set_slot", "target": "genesis_obj", "slot": "ballast", "value": value}))
    return value


def _upkeep(kernel: KernelProcess) -> dict:
    return _ok(kernel.request({"command": "status"}))["upkeep"]


def _measured(kernel: KernelProcess, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        history = _upkeep(kernel)["history"]
        if history is not None:
            return history
        time.sleep(0.1)
    raise AssertionError("status never showed the image's history")


def test_the_schedule_is_due_every_so_often_after_the_last_backup_or_the_start():
    assert next_backup_at(None, 1000.0, 60.0) == 1060.0  # never backed up: counted from the start
    assert next_backup_at(900.0, 1000.0, 60.0) == 960.0  # after the last backup, even one before the start
    assert next_backup_at(500.0, 1000.0, 60.0) == 560.0  # overdue: due at once
    assert next_backup_at(900.0, 1000.0, 0.0) is None  # off


def test_pack_backs_up_first_then_shrinks_an_image_with_history_and_says_so_everywhere(tmp_path):
    kernel = KernelProcess(tmp_path).start()
    try:
        last = _fill(kernel, 60)
        history = _measured(kernel)
        size_before = _upkeep(kernel)["image_bytes"]
        assert history["bytes"] > 59 * 20_000 and history["bytes"] < size_before  # the 59 replaced values, at least
        assert history["size_measured"] == size_before and history["current_bytes"] < size_before - history["bytes"] + 1
        sub = _subscribe(kernel, "backup.", "pack.")
        with kernel.client() as client:
            client.send({"command": "pack", "days": 0, "events": True, "id": "p"})
            progress = []
            while True:
                reply = client.recv(60)
                if reply["status"] != "event":
                    break
                progress.append(reply["event"])
        result = _ok(reply)
        assert result["packed"] is True and result["days"] == 0 and result["backup"]
        assert result["size_after"] < result["size_before"] / 5 and result["reclaimed"] == result["size_before"] - result["size_after"]
        assert result["size_before"] >= size_before and abs(result["pack_time"] - time.time()) < 60
        steps = [e for e in progress if e["type"] == "progress"]
        assert [e["stage"] for e in steps][:2] == ["backup", "backup"] and steps[1]["backup"] == result["backup"]
        topics = [e["topic"] for e in _drain(sub) if e["topic"] != "pack.progress"]
        assert topics == ["pack.started", "backup.started", "backup.done", "pack.done"], topics
        sub.close()

        assert _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["slots"]["ballast"] == last
        upkeep = _upkeep(kernel)
        assert upkeep["image_bytes"] < size_before / 5  # the chronicle's entry came after
        assert upkeep["last_backup"]["id"] == result["backup"] and upkeep["last_backup"]["reason"].startswith("before pack")
        assert upkeep["pack"]["last"]["outcome"] == "packed" and upkeep["pack"]["last"]["backup"] == result["backup"]
        assert _measured(kernel)["bytes"] < history["bytes"] / 50
        entries = _ok(kernel.request({"command": "chronicle", "event": "pack"}))["entries"]
        assert [(e["outcome"], e["size_before"], e["size_after"]) for e in entries] == [
            ("packed", result["size_before"], result["size_after"])]
    finally:
        kernel.stop()
    # the backup taken first holds the history the pack dropped: restoring it gives back the image as it was
    restored = tmp_path / "restored" / "live_image.fs"
    backups.restore(tmp_path / "image" / "backups", restored, backup_id=result["backup"])
    assert restored.stat().st_size > size_before - 1
    image = Image(restored, read_only=True)
    try:
        assert image.read(lambda: image.connection.root()["genesis_obj"].slots["ballast"]) == last
    finally:
        image.close()


BAD = [{"days": -1}, {"days": "7"}, {"days": True}, {"days": math.nan}, {"days": math.inf}, {"days": 1e9},
       {"backup": "yes"}, {"backup": 1}]


def test_bad_input_answers_bad_request_and_changes_nothing(tmp_path):
    kernel = KernelProcess(tmp_path).start()
    try:
        _fill(kernel, 5)
        size = _upkeep(kernel)["image_bytes"]
        for fields in BAD:
            reply = kernel.request({"command": "pack", **fields})
            assert reply["status"] == "error" and reply["error"]["code"] == "bad_request", (fields, reply)
            assert f"'{next(iter(fields))}'" in reply["error"]["message"]
        assert _upkeep(kernel)["image_bytes"] == size and _upkeep(kernel)["pack"]["last"] is None
        assert not (tmp_path / "image" / "backups").exists()  # no backup was taken either
        _ok(kernel.request({"command": "pack", "days": 0}, timeout=30))  # and a good one is not refused after them
    finally:
        kernel.stop()


def _state_file(path: Path, upgrading: dict | None, pid: int) -> Path:
    """What the watchdog writes (bat_os.supervise.watchdog.Watchdog.status), for a watchdog at ``pid``."""
    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        started = 1.0
    path.write_text(json.dumps({"pid": pid, "process_started": started, "state": "upgrading" if upgrading else "running",
                                "upgrading": upgrading, "kernel_pid": None}))
    return path


def test_pack_refuses_while_an_upgrade_runs_or_another_pack_does(tmp_path):
    state = tmp_path / "watchdog.json"
    kernel = KernelProcess(tmp_path, env={"BATOS_WATCHDOG_STATE": str(state)}).start()
    try:
        _fill(kernel, 20)
        size = _upkeep(kernel)["image_bytes"]
        _state_file(state, {"id": "20250101-000000-1", "stage": "gate"}, os.getpid())  # a live watchdog, upgrading
        reply = kernel.request({"command": "pack", "days": 0})
        assert reply["status"] == "error" and reply["error"]["code"] == "pack_refused", reply
        assert reply["error"]["why"] == "upgrade" and reply["error"]["upgrade"]["stage"] == "gate"
        assert "upgrad" in reply["error"]["message"]
        assert _upkeep(kernel)["image_bytes"] == size and not (tmp_path / "image" / "backups").exists()

        dead = psutil.Popen(["true"])
        dead.wait()
        _state_file(state, {"id": "20250101-000000-1", "stage": "steps"}, dead.pid)  # its watchdog died mid-upgrade
        with kernel.client() as client:  # two packs at once: the second is refused while the first runs
            client.send({"command": "pack", "days": 0, "id": 1})
            client.send({"command": "pack", "days": 0, "id": 2})
            replies = {r["id"]: r for r in (client.recv(60), client.recv(60))}
        assert replies[2]["status"] == "error" and replies[2]["error"]["code"] == "pack_refused"
        assert replies[2]["error"]["why"] == "packing"
        assert _ok(replies[1])["size_after"] < size / 3

        _state_file(state, None, os.getpid())  # the watchdog runs, no upgrade
        _ok(kernel.request({"command": "pack", "days": 0}, timeout=30))
    finally:
        kernel.stop()


def test_scheduled_backups_are_pruned_to_backup_keep_and_the_newest_restores(tmp_path):
    kernel = KernelProcess(tmp_path, env={"BATOS_BACKUP_EVERY": "1", "BATOS_BACKUP_KEEP": "2"}).start()
    backup_dir = tmp_path / "image" / "backups"
    try:
        sub = _subscribe(kernel, "backup.")
        events: list[dict] = []
        deadline = time.monotonic() + 60
        while sum(e["topic"] == "backup.done" for e in events) < 4 and time.monotonic() < deadline:
            _ok(kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "tick", "value": len(events)}))
            events += _drain(sub, 200)
        sub.close()
        done = [e for e in events if e["topic"] == "backup.done"]
        assert len(done) >= 4, events
        assert all(e["origin"] == "schedule" and e["reason"] == "scheduled" for e in done)
        assert [e["kind"] for e in done[:4]] == ["full", "incremental", "full", "incremental"]  # a new chain at keep
        pruned = [e for e in events if e["topic"] == "backup.pruned"]
        assert pruned and pruned[0]["ids"] == [done[0]["id"], done[1]["id"]] and pruned[0]["keep"] == 2
        started = [e for e in events if e["topic"] == "backup.started"]
        assert len(started) >= len(done) and not [e for e in events if e["topic"] == "backup.failed"]
        held = backups.backup_ids(backup_dir)
        assert 2 <= len(held) <= 3 and done[0]["id"] not in held  # never more than 2 * keep - 1
        upkeep = _upkeep(kernel)
        assert upkeep["backup_keep"] == 2 and upkeep["last_prune"]["keep"] == 2
        assert upkeep["next_backup_at"] <= upkeep["last_backup"]["time"] + 1 + 1e-6
        tick = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["slots"]["tick"]
    finally:
        kernel.stop()
    log = backups.read_log(backup_dir)
    assert any(e["event"] == "pruned" for e in log)
    listing = subprocess.run(
        [sys.executable, str(ROOT / "batos.py"), "backups", "--image", str(kernel.image)],
        cwd=tmp_path, env=kernel_env(), capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0 and "pruned    2 backup(s), keeping the newest 2" in listing.stdout, listing
    # the newest backup restores, whatever chain it is in
    latest = backups.backup_ids(backup_dir)[-1]
    backups.restore(backup_dir, kernel.image)
    image = Image(kernel.image, read_only=True)
    try:
        assert image.read(lambda: image.connection.root()["genesis_obj"].slots["tick"]) <= tick
    finally:
        image.close()
    assert latest == backups.backup_ids(backup_dir)[-1]


def _big_image(path: Path, objects: int = 3_000, size: int = 100_000) -> None:
    """An awakened image with ``objects`` current values of ``size`` bytes and as much history: packing it takes a while."""
    image = Image(path)
    try:
        image.awaken(context=MigrationContext(codex_path=None))
        for rounds in range(2):
            for start in range(0, objects, 100):
                def work(start=start, rounds=rounds):
                    root = image.connection.root()
                    if "ballast" not in root:
                        root["ballast"] = PersistentMapping()
                    for i in range(start, start + 100):
                        root["ballast"][i] = PersistentMapping({"v": f"{rounds}{i}".encode() * (size // 8)})
                image.run(work)
    finally:
        image.close()


@pytest.mark.skipif(os.name != "posix", reason="kill -9")
def test_kill_9_during_pack_leaves_a_usable_image_with_every_acknowledged_write(tmp_path):
    image_path = tmp_path / "image" / "live_image.fs"
    _big_image(image_path)
    size = image_path.stat().st_size
    kernel = KernelProcess(tmp_path, image=image_path).start()
    acknowledged: list[int] = []
    stop = threading.Event()

    def write() -> None:  # a client that keeps writing through the pack, and notes what was acknowledged
        with kernel.client() as client:
            i = 0
            while not stop.is_set():
                client.send({"command": "set_slot", "target": "genesis_obj", "slot": f"w{i}", "value": i})
                try:
                    reply = client.recv(5)
                except TimeoutError:
                    return
                if reply["status"] == "ok":
                    acknowledged.append(i)
                i += 1

    writer = threading.Thread(target=write)
    writer.start()
    pack, marker = Path(f"{image_path}.pack"), Path(f"{image_path}.packing")
    try:
        with kernel.client() as client:
            client.send({"command": "pack", "days": 0, "backup": False})
            deadline = time.monotonic() + 120
            while not pack.exists():  # copying: kill it now
                assert time.monotonic() < deadline and not client.sock.poll(0), "the pack ended before it could be killed"
                time.sleep(0.001)
            kernel.proc.kill()
            kernel.wait(10)
    finally:
        stop.set()
        writer.join(10)
    assert marker.exists() and pack.exists() and image_path.stat().st_size >= size  # killed mid-pack
    assert len(acknowledged) > 0

    kernel.start()  # the same image and port
    try:
        upkeep = _upkeep(kernel)
        last = upkeep["pack"]["last"]
        assert last["outcome"] == "interrupted" and "interrupted" in last["error"], last
        assert not pack.exists() and not marker.exists()
        slots = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["slots"]
        assert all(slots.get(f"w{i}") == i for i in acknowledged), "an acknowledged write was lost"
        assert "was cut short" in kernel.log.read_text()
        result = _ok(kernel.request({"command": "pack", "days": 0, "backup": False}, timeout=120))  # a later pack works
        assert result["packed"] and result["size_after"] < size * 0.6
        slots = _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["slots"]
        assert all(slots.get(f"w{i}") == i for i in acknowledged)
        outcomes = [e["outcome"] for e in _ok(kernel.request({"command": "chronicle", "event": "pack"}))["entries"]]
        assert outcomes == ["packed", "interrupted"]  # newest first
    finally:
        kernel.stop()


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
def test_a_kernel_stopped_mid_pack_stops_the_pack_and_leaves_the_image_as_it_was(tmp_path):
    image_path = tmp_path / "image" / "live_image.fs"
    _big_image(image_path, objects=4_500)  # its pack takes ~0.6 s here
    # The stop lands ~2 graces after SIGTERM; a pack that had ended by then is answered packed (the test below).
    kernel = KernelProcess(tmp_path, image=image_path, env={"BATOS_SHUTDOWN_GRACE": "0.02"}).start()
    pack, marker = Path(f"{image_path}.pack"), Path(f"{image_path}.packing")
    _ok(kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "before", "value": "pack"}))
    size = image_path.stat().st_size
    with kernel.client() as client:
        client.send({"command": "pack", "days": 0, "backup": False, "id": "p"})
        deadline = time.monotonic() + 120
        while not pack.exists():
            assert time.monotonic() < deadline and not client.sock.poll(0), "the pack ended before the kernel was stopped"
            time.sleep(0.001)
        assert kernel.terminate(60) == 0  # a clean stop, within the grace period and a transaction
        reply = client.recv(5)
    assert reply["status"] == "error" and reply["error"]["code"] == "shutting_down", reply
    assert not pack.exists() and not marker.exists() and image_path.stat().st_size >= size  # the image as it was
    assert "pack of" in kernel.log.read_text() and "stopped" in kernel.log.read_text()
    kernel.start()
    try:
        assert _upkeep(kernel)["pack"]["last"]["outcome"] == "stopped"  # recorded before the kernel stopped
        assert _ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["slots"]["before"] == "pack"
    finally:
        kernel.stop()


def test_backups_are_not_pruned_while_an_upgrade_runs(tmp_path):
    """In process: the kernel's backup service on a real image; the upgrade's backup may be needed for a rollback."""
    import asyncio

    from bat_os.kernel.backups import KernelBackups

    state = tmp_path / "watchdog.json"
    image = Image(tmp_path / "live_image.fs")
    try:
        image.awaken(context=MigrationContext(codex_path=None))
        service = KernelBackups(image, tmp_path / "backups", keep=1, watchdog_state=state)
        events: list[tuple[str, dict]] = []
        service.publish = lambda topic, event: events.append((topic, event))

        async def backup(note: str) -> dict:
            image.run(lambda: image.connection.root()["genesis_obj"].set_slot("note", note))
            return await service.backup(full=False, reason=note)

        _state_file(state, {"id": "u1", "stage": "gate"}, os.getpid())
        first = asyncio.run(backup("one"))
        second = asyncio.run(backup("two"))
        assert first["kind"] == second["kind"] == "full"  # keep 1: every backup starts its own chain
        assert second["pruned"] == [] and backups.backup_ids(tmp_path / "backups") == [first["id"], second["id"]]
        _state_file(state, None, os.getpid())
        third = asyncio.run(backup("three"))
        assert third["pruned"] == [first["id"], second["id"]] and backups.backup_ids(tmp_path / "backups") == [third["id"]]
        assert [t for t, _e in events].count("backup.pruned") == 1
        entries = image.read(lambda: chronicle_entries(image.connection.root()))
        assert [e["event"] for e in entries] == ["backup", "backup", "backup", "pruned"]
    finally:
        image.close()


def test_a_pack_that_ended_as_the_kernel_stopped_is_answered_packed_not_as_stopped(tmp_path):
    """In process: the stop (a cancel) lands after the pack's thread ended. The image is packed, so the answer is the
    pack's result and the chronicle says packed (a shutting_down error would say the image is as it was)."""
    import asyncio

    from bat_os.kernel.backups import KernelBackups

    image = Image(tmp_path / "live_image.fs")
    try:
        image.awaken(context=MigrationContext(codex_path=None))
        for i in range(20):  # history to drop
            image.run(lambda i=i: image.connection.root()["genesis_obj"].set_slot("note", "x" * 10_000 + str(i)))
        service = KernelBackups(image, tmp_path / "backups")
        size = image.size_bytes()

        async def main() -> dict:
            packs = service.packs
            packs.claim()
            task = asyncio.get_running_loop().create_task(packs.pack(days=0, backup=False))
            while packs._thread is None:
                await asyncio.sleep(0)
            packs._thread.add_done_callback(lambda _f: task.cancel())  # after the pack's own wake-up is due
            return await task

        result = asyncio.run(main())
        assert result["packed"] and result["size_after"] < size / 2, result
        entries = image.read(lambda: chronicle_entries(image.connection.root()))
        assert [e["outcome"] for e in entries if e["event"] == "pack"] == ["packed"], entries
    finally:
        image.close()

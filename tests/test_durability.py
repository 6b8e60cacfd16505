"""Nothing the kernel answered "ok" to is ever lost: kill -9 at random moments, restart, check."""

import random
import threading
import time

from bat_os.image.image import Image
from support import KernelProcess


def slots_of(kernel):
    return kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]


def test_kill_right_after_ok_keeps_the_value(tmp_path):
    kernel = KernelProcess(tmp_path).start()
    with kernel.client() as client:
        reply = client.request({"command": "set_slot", "target": "genesis_obj", "slot": "precious", "value": {"v": [1, 2, 3]}})
        kernel.proc.kill()  # SIGKILL the moment "ok" arrived
    assert reply["status"] == "ok"
    kernel.wait()
    kernel.start()
    try:
        assert slots_of(kernel)["precious"] == {"v": [1, 2, 3]}
    finally:
        kernel.stop()


def test_twenty_kills_at_random_moments_lose_no_acknowledged_write(tmp_path):
    rng = random.Random(20261120)
    kernel = KernelProcess(tmp_path)
    acknowledged: dict[str, int] = {}
    sent: dict[str, int] = {}
    versions: list[list[int]] = [[]]  # every journal value sent, in order
    acked_version = 0
    n = 0
    kills = 0
    for round_ in range(22):
        kernel.start(timeout=30)  # the image opens every time
        if round_ == 0:
            kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "journal", "value": []})
        current = slots_of(kernel)
        for slot, value in acknowledged.items():
            # values only grow: a later write may have committed without its reply arriving
            assert value <= current.get(slot, -1) <= sent[slot], f"acknowledged write {slot}={value} lost after kill {kills}"
        journal = current["journal"]
        # the journal is the acknowledged version or one sent after it, never older
        assert journal in versions[acked_version:], f"acknowledged journal lost after kill {kills}"

        killer = threading.Timer(rng.uniform(0.02, 0.4), kernel.proc.kill)
        killer.start()
        with kernel.client() as client:
            while kernel.proc.poll() is None:
                n += 1
                slot = f"w{n % 50}"  # overwrite a rotating set of slots, so order matters too
                sent[slot] = n
                try:
                    reply = client.request({"command": "set_slot", "target": "genesis_obj", "slot": slot, "value": n}, timeout=1.0)
                except TimeoutError:
                    break
                if reply["status"] == "ok":
                    acknowledged[slot] = n
                # a container value: the journal's last 100 entries
                journal = journal[-99:] + [n]
                versions.append(journal)
                try:
                    reply = client.request({"command": "set_slot", "target": "genesis_obj", "slot": "journal", "value": journal}, timeout=1.0)
                except TimeoutError:
                    break
                if reply["status"] == "ok":
                    acked_version = len(versions) - 1
        killer.join()
        kernel.wait()
        kills += 1

    assert kills >= 20
    assert len(acknowledged) >= 20, "the client hardly wrote anything between kills"
    image = Image(kernel.image)
    try:
        slots = image.read(lambda: dict(image.connection.root()["genesis_obj"].slots))
        for slot, value in acknowledged.items():
            assert value <= slots[slot] <= sent[slot]
        assert list(slots["journal"]) in versions[acked_version:]
    finally:
        image.close()


def test_in_place_mutation_by_a_method_survives_kill(tmp_path):
    kernel = KernelProcess(tmp_path)
    image = Image(kernel.image)
    image.awaken()
    image.run(
        lambda: image.connection.root()["genesis_obj"].add_method(
            "remember", "def remember(self, item):\n    self.items.append(item)\n    return len(self.items)\n", origin="generated"
        )
    )
    image.run(lambda: image.connection.root()["genesis_obj"].set_slot("items", []))
    image.close()
    kernel.start()
    for i in range(5):
        assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "remember", "args": [i]})["result"] == i + 1
    kernel.kill()
    time.sleep(0.1)
    kernel.start()
    try:
        assert slots_of(kernel)["items"] == [0, 1, 2, 3, 4]
    finally:
        kernel.stop()

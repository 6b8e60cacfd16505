"""A read-only ``send`` leaves no trace but its answer and its audit line: no transaction written to the image, no
event on the stream, no capability object built. A real kernel process on a real image, with a system method and a
generated (jailed) one that only read, each sent many times; ``status`` says what the kernel wrote, published and
built, and a watcher on the event stream counts what it hears. The same figures do move when something is written,
so the test can fail."""

from __future__ import annotations

import time

import pytest

from support import KernelProcess, watch_stream

READS = "def describe(self, value):\n    return {'value': value, 'name': self.name}\n"


@pytest.fixture
def kernel(tmp_path):
    from bat_os.image.image import Image

    path = tmp_path / "image" / "live_image.fs"
    path.parent.mkdir()
    image = Image(path)
    try:
        image.awaken()
        image.run(lambda: image.connection.root()["genesis_obj"].add_method("describe", READS, origin="generated",
                                                                            author="ALFRED"))
    finally:
        image.close()
    kernel = KernelProcess(tmp_path, image=path).start()
    yield kernel
    kernel.stop()


def _figures(kernel) -> dict:
    status = kernel.request({"command": "status"})["result"]
    return {"last_transaction": status["image"]["last_transaction"], "published": status["events"]["published"],
            "capabilities_built": status["capabilities_built"]}


def test_a_read_only_send_writes_no_transaction_publishes_no_event_and_builds_no_capability(kernel):
    sends = [{"command": "send", "target": "genesis_obj", "selector": selector, "args": ["x"]}
             for selector in ("describe", "echo")]  # generated (the jail), then a system method
    for request in sends:  # the first of each may start what later ones reuse (a warm worker)
        assert kernel.request(request)["status"] == "ok"
    heard, stop = watch_stream(kernel)  # every topic
    before = _figures(kernel)
    with kernel.client() as client:
        for i in range(40):
            reply = client.request({**sends[i % 2], "args": [i]})
            assert reply["status"] == "ok", reply
            assert reply["result"] == ({"value": i, "name": "genesis"} if i % 2 == 0 else reply["result"])
    time.sleep(0.3)
    after = _figures(kernel)
    stop.set()
    assert after == before, (before, after)
    assert heard == []

    # the same figures move when a send writes: the test above can fail
    changed = kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": "n", "value": 1})
    assert changed["status"] == "ok", changed
    written = _figures(kernel)
    assert written["last_transaction"] != after["last_transaction"] and written["published"] > after["published"]

#!/usr/bin/env python3
"""Build the old-image fixture with the code of a given checkout (through its CLI and the wire only).

    python tests/data/make_old_image.py --checkout DIR --out tests/data/old_image_0.1.0.tar.gz

The checkout's ``batos.py`` makes a fresh image, then, through a real kernel
on a free port (replay backend, the checkout's own seed cassette):

* ``set_slot``: a number, a nested map and a list on ``genesis_obj``;
* a message nobody understands: a cognitive cycle learns
  ``report_the_current_system_time`` (cycle ``c1``, a generated method);
* ``ingest`` of one document (chunks with embeddings in the catalog);
* ``backup`` (an entry in the image's chronicle);

then, the kernel stopped, ``batos.py models import ROBIN`` of a tiny local
model (blobs in the model store). The image file and its blob directory are
packed into a tar.gz. Because only the CLI and the protocol are used, the
same script makes the fixture for whatever code a checkout holds: run it on
the commit *before* a change that moves persistent classes, and commit the
result (``tests/test_old_image.py`` then opens it with the new code).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import ormsgpack
import zmq

DOCUMENT = (
    "The lighthouse keeper of Skerryvore logs the fog horn's hours in a green ledger.\n\n"
    "Every third night the lamp's clockwork is wound by hand, and the ledger notes who wound it."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(endpoint: str, message: dict, timeout: float = 120.0) -> dict:
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    try:
        sock.send(ormsgpack.packb(message))
        while True:
            if not sock.poll(int(timeout * 1000)):
                raise TimeoutError(f"no reply to {message['command']}")
            reply = ormsgpack.unpackb(sock.recv_multipart()[-1])
            if reply.get("status") != "event":
                return reply
    finally:
        sock.close(0)
        ctx.term()


def ok(reply: dict) -> object:
    if reply.get("status") != "ok":
        raise SystemExit(f"unexpected reply: {reply}")
    return reply["result"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", required=True, type=Path, help="the code that writes the image")
    parser.add_argument("--out", required=True, type=Path, help="the tar.gz to write")
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    python = sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATOS_")}
    env.update(HF_HUB_OFFLINE="1", HF_HUB_DISABLE_PROGRESS_BARS="1", PYTHONUNBUFFERED="1",
               BATOS_LLM_BACKEND="replay", BATOS_CASSETTE=str(checkout / "cassettes" / "seed_scenarios.jsonl"))
    with tempfile.TemporaryDirectory(prefix="batos-old-image-") as tmp:
        work = Path(tmp)
        image = work / "image" / "live_image.fs"
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        kernel = subprocess.Popen(
            [python, str(checkout / "batos.py"), "--image", str(image), "--endpoint", endpoint,
             "--log-file", str(work / "kernel.log"), "--audit-file", str(work / "audit.jsonl"),
             "--backup-dir", str(work / "backups")],
            cwd=work, env=env,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    ok(request(endpoint, {"command": "ping"}, timeout=1))
                    break
                except TimeoutError:
                    if time.monotonic() > deadline or kernel.poll() is not None:
                        raise SystemExit("the kernel did not start")
            ok(request(endpoint, {"command": "set_slot", "target": "genesis_obj", "slot": "visits", "value": 3}))
            ok(request(endpoint, {"command": "set_slot", "target": "genesis_obj", "slot": "ledger",
                                  "value": {"keeper": "Ada", "nights": [1, 4, 7], "lamp": {"wound": True}}}))
            ok(request(endpoint, {"command": "set_slot", "target": "genesis_obj", "slot": "tags", "value": ["fog", "lamp"]}))
            learned = ok(request(endpoint, {"command": "send", "target": "genesis_obj", "selector": "report_the_current_system_time"}))
            print("learned:", json.dumps(learned)[:200])
            print("ingested:", ok(request(endpoint, {"command": "ingest", "text": DOCUMENT, "doc_id": "skerryvore",
                                                     "metadata": {"source": "fixture"}}, timeout=300)))
            print("backup:", ok(request(endpoint, {"command": "backup", "reason": "old-image fixture"}, timeout=300))["id"])
        finally:
            kernel.terminate()
            kernel.wait(60)
        tiny = work / "tiny"
        subprocess.run([python, str(checkout / "batos.py"), "models", "make-tiny", "--out", str(tiny)],
                       cwd=work, env=env, check=True)
        model = sorted(p for p in tiny.iterdir() if p.is_dir())[0]
        subprocess.run([python, str(checkout / "batos.py"), "models", "--image", str(image), "import", "ROBIN", str(model)],
                       cwd=work, env=env, check=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(args.out, "w:gz") as tar:
            tar.add(image, arcname="live_image.fs")
            tar.add(image.with_name("live_image.blobs"), arcname="live_image.blobs")
    print("wrote", args.out, args.out.stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

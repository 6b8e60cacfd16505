"""Helpers shared by the tests: a real kernel subprocess on a free port, and a real client socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import ormsgpack
import zmq

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kernel_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATOS_")}
    # Test kernels load the embedder on first use, not at start: importing sentence-transformers
    # costs 15-20 s of CPU, which most of the ~100 kernels the suite starts never need.
    # Nor do they give a new image's personas the embedded model (a tens-of-seconds conversion): the
    # tests about it turn it on.
    # And they have no heartbeat (its tests turn it on): background cycles would take a test's cassette lines.
    env.update({"HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "BATOS_MEMORY_WARMUP": "0", "BATOS_EMBEDDED_MODEL": "0",
                "BATOS_HEARTBEAT_EVERY": "0"})
    env.update(extra)
    return env


class Client:
    """A DEALER client speaking the wire protocol, with a timeout on every wait."""

    def __init__(self, endpoint: str, kind: int = zmq.DEALER, identity: bytes | None = None) -> None:
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(kind)
        self.sock.setsockopt(zmq.LINGER, 0)
        if identity is not None:  # chosen by the client (ZMQ_ROUTING_ID); otherwise the kernel's libzmq gives one
            self.sock.setsockopt(zmq.ROUTING_ID, identity)
        self.sock.connect(endpoint)
        self.kind = kind

    def send_raw(self, *frames: bytes) -> None:
        self.sock.send_multipart(list(frames))

    def send(self, message: dict) -> None:
        self.sock.send(ormsgpack.packb(message))

    def recv(self, timeout: float = 10.0) -> dict:
        if not self.sock.poll(int(timeout * 1000)):
            raise TimeoutError("no reply within %.1fs" % timeout)
        frames = self.sock.recv_multipart()  # a DEALER speaking REQ-style gets the empty delimiter too
        return ormsgpack.unpackb(frames[-1])

    def request(self, message: dict, timeout: float = 10.0) -> dict:
        """Send and wait for the final reply (skipping progress events)."""
        self.send(message)
        while True:
            reply = self.recv(timeout)
            if reply.get("status") != "event":
                return reply

    def close(self) -> None:
        self.sock.close(0)
        self.ctx.term()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class KernelProcess:
    """``python batos.py`` in a subprocess, with its own image and port."""

    started: list["KernelProcess"] = []  # every one started in this test process; conftest stops leftovers

    def __init__(
        self,
        workdir: Path,
        *,
        image: Path | None = None,
        port: int | None = None,
        extra_args: list[str] | None = None,
        env: dict | None = None,
        script: Path | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.script = script or (ROOT / "batos.py")
        self.image = image or (self.workdir / "image" / "live_image.fs")
        self.port = port or free_port()
        self.endpoint = f"tcp://127.0.0.1:{self.port}"
        self.audit = self.workdir / "metacognition.jsonl"
        self.log = self.workdir / "kernel.log"
        self.extra_args = extra_args or []
        self.env = env or {}
        self.proc: subprocess.Popen | None = None

    def start(self, wait: bool = True, timeout: float = 30.0) -> "KernelProcess":
        args = [
            sys.executable, str(self.script),
            "--image", str(self.image),
            "--endpoint", self.endpoint,
            "--log-file", str(self.log),
            "--audit-file", str(self.audit),
            *self.extra_args,
        ]
        self.stderr_path = self.workdir / f"stderr-{time.monotonic_ns()}.txt"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, cwd=self.workdir, env=kernel_env(**self.env), stdout=subprocess.DEVNULL, stderr=self._stderr)
        KernelProcess.started.append(self)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Ping until the kernel serves (a pong while it starts says ``"starting": true``: its door answers
        before the image is open, bat_os.kernel.door); returns the seconds it took."""
        start = time.monotonic()
        with Client(self.endpoint) as client:
            client.send({"command": "ping"})
            while time.monotonic() - start < timeout:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"kernel exited with {self.proc.returncode}: {self.stderr()}")
                if client.sock.poll(50):
                    reply = ormsgpack.unpackb(client.sock.recv_multipart()[-1])
                    if not (reply.get("result") or {}).get("starting"):
                        return time.monotonic() - start
                    time.sleep(0.02)
                    client.send({"command": "ping"})
            raise TimeoutError(f"kernel did not answer ping within {timeout}s: {self.stderr()}")

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def client(self, kind: int = zmq.DEALER, identity: bytes | None = None) -> Client:
        return Client(self.endpoint, kind, identity)

    def request(self, message: dict, timeout: float = 10.0) -> dict:
        with self.client() as client:
            return client.request(message, timeout)

    def terminate(self, timeout: float = 10.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        self.proc.kill()
        self.wait(10)

    def wait(self, timeout: float = 10.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._stderr.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                self.terminate(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            self._stderr.close()


def watch_stream(kernel: "KernelProcess", prefix: bytes = b"") -> tuple[list[dict], "threading.Event"]:
    """A watcher on ``kernel``'s event stream, in a thread, taking the topics that start with ``prefix``:
    (the events heard so far, an Event that stops it). Returns once its subscription has reached the publisher."""
    import threading

    endpoint = kernel.request({"command": "status"})["result"]["events"]["endpoint"]
    heard: list[dict] = []
    stop, ready = threading.Event(), threading.Event()

    def listen() -> None:
        sock = zmq.Context.instance().socket(zmq.SUB)
        sock.setsockopt(zmq.SUBSCRIBE, prefix)
        sock.connect(endpoint)
        ready.set()
        while not stop.is_set():
            if sock.poll(50):
                heard.append(ormsgpack.unpackb(sock.recv_multipart()[-1]))
        sock.close(0)

    threading.Thread(target=listen, daemon=True).start()
    ready.wait(5)
    time.sleep(0.3)  # the subscription reaches the publisher
    return heard, stop

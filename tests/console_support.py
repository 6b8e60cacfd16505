"""Helpers for the console's tests: the client as a user runs it, scripted peers, replay kernels."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import ormsgpack
import zmq

from support import ROOT, KernelProcess, kernel_env

#: What makes rich colour a pipe; the tests read plain text.
COLOUR_FORCING = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def client_env(**extra: str) -> dict[str, str]:
    """The kernel tests' environment, without anything that would colour a pipe."""
    env = {k: v for k, v in kernel_env().items() if k not in COLOUR_FORCING}
    env.update(extra)
    return env


def run_client(*args: str, input: str | None = None, timeout: float = 20, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python chat_client.py ARGS`` from the repo root, as a user would run it."""
    return subprocess.run(
        [sys.executable, "chat_client.py", *args],
        cwd=ROOT,
        env=client_env(**(env or {})),
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def dead_endpoint() -> Iterator[str]:
    """An endpoint where connections are refused: a port held bound, never listening.

    Holding it (rather than picking a free port and letting it go) means no
    kernel or peer started meanwhile by a parallel test can take it and answer.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield f"tcp://127.0.0.1:{held.getsockname()[1]}"


# A shell without job control starts background jobs with SIGINT ignored, and
# Python then installs no KeyboardInterrupt handler; put it back, as a terminal has it.
WITH_CTRL_C = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


Reply = tuple[float, Any]  # (delay in seconds, a dict to pack or raw bytes)


class ScriptedPeer:
    """A real ROUTER socket on a free port; ``script(request)`` says what to answer and when."""

    def __init__(self, script: Callable[[dict], list[Reply]]) -> None:
        self.script = script
        self.endpoint = ""
        self.requests: list[dict] = []
        self.identities: list[bytes] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "ScriptedPeer":
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)

    def wait_for_requests(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            assert time.monotonic() < deadline, f"the peer got {len(self.requests)} of {count} requests"
            time.sleep(0.02)

    def _serve(self) -> None:
        ctx = zmq.Context()
        sock = ctx.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        self.endpoint = f"tcp://127.0.0.1:{sock.bind_to_random_port('tcp://127.0.0.1')}"
        self._ready.set()
        pending: list[tuple[float, bytes, Any]] = []
        try:
            while not self._stop.is_set():
                if sock.poll(20):
                    identity, payload = sock.recv_multipart()
                    request = ormsgpack.unpackb(payload)
                    self.identities.append(identity)
                    self.requests.append(request)
                    now = time.monotonic()
                    pending.extend((now + delay, identity, reply) for delay, reply in self.script(request))
                now = time.monotonic()
                for item in [p for p in pending if p[0] <= now]:
                    pending.remove(item)
                    _, identity, reply = item
                    frame = reply if isinstance(reply, bytes) else ormsgpack.packb(reply)
                    sock.send_multipart([identity, frame])
        finally:
            sock.close(0)
            ctx.term()


def ok(request: dict, result: Any) -> dict:
    return {"id": request["id"], "status": "ok", "result": result}



def write_cassette(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def replay_kernel(workdir: Path, lines: list[dict], **env: str) -> KernelProcess:
    """A kernel (not started) whose personas answer from a cassette of ``lines``."""
    cassette = write_cassette(Path(workdir) / "cassette.jsonl", lines)
    settings = {"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette), "BATOS_JAIL_WALL_SECONDS": "2", **env}
    return KernelProcess(workdir, env=settings)


TIME_SELECTOR = "report_the_current_system_time"
TIME_SENTENCE = "create a method to report the current system time"


def time_cassette(**alfred_extra: Any) -> list[dict]:
    """BRICK's queries and ALFRED's method for the acceptance scenario: the same text written by attempts 1 and 2
    (the two voices), two readings that agree (one alone is never installed without the person)."""
    code = f"def {TIME_SELECTOR}(self):\n    import time\n    return time.strftime('%H:%M:%S')"
    alfred = {"persona": "ALFRED", "contains": f"Selector: {TIME_SELECTOR}", "response": f"```python\n{code}\n```", **alfred_extra}
    return [
        {"persona": "BRICK", "contains": f"Selector: {TIME_SELECTOR}", "response": json.dumps(["current time"])},
        alfred,
        dict(alfred),
    ]

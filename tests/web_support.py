"""The web inspector as the tests run it: ``chat_client.py --web`` in a subprocess, beside a kernel subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from support import ROOT, free_port, kernel_env


class WebProcess:
    """``python chat_client.py --web --no-browser`` against ``endpoint``: its URL, token, and HTTP helpers."""

    def __init__(self, endpoint: str, workdir: Path, *extra: str) -> None:
        self.endpoint = endpoint
        self.port = free_port()
        self.err_path = Path(workdir) / f"web-stderr-{time.monotonic_ns()}.txt"
        self.extra = list(extra)
        self.proc: subprocess.Popen | None = None
        self.url = self.base = self.token = ""

    def start(self, timeout: float = 30.0) -> "WebProcess":
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "chat_client.py"), "--web", "--port", str(self.port), "--no-browser",
             "--endpoint", self.endpoint, *self.extra],
            cwd=ROOT, env=kernel_env(), stdout=subprocess.PIPE, stderr=self._err, text=True)
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline and not line.startswith("inspector: "):
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"the inspector exited with {self.proc.returncode}: {self.stderr()}")
        if not line.startswith("inspector: "):
            raise RuntimeError(f"the inspector printed no URL within {timeout}s: {self.stderr()}")
        self.url = line.split(" ", 1)[1].strip()
        self.base, self.token = self.url.split("/?token=")
        return self

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace") if self.err_path.exists() else ""

    def http(self, path: str, body: object = None, *, token: str | None = None, raw: bytes | None = None,
             content_type: str = "application/json", timeout: float = 30.0) -> tuple[int, str]:
        """(HTTP status, body text) of GET ``path`` (POST with ``body`` as JSON, or ``raw`` bytes)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"Content-Type": content_type} if data is not None else {}
        if token is None:
            token = self.token
        if token:
            headers["X-Batos-Token"] = token
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method="POST" if data is not None else "GET")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def json(self, path: str, body: object = None, **kw) -> tuple[int, dict]:
        status, text = self.http(path, body, **kw)
        return status, json.loads(text)

    def wait_up(self, timeout: float = 20.0) -> None:
        """Until the inspector reads the world (its link to the kernel is up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _ = self.http("/api/world")
            if status == 200:
                return
            time.sleep(0.2)
        raise RuntimeError("the inspector never reached the kernel")

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()
        self._err.close()
        return self.proc.returncode

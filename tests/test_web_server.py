"""The web inspector's server over real HTTP: its token, its refusals, and a kernel that goes away and comes back.

A real kernel subprocess and ``chat_client.py --web`` in another; plain HTTP requests (the page itself is
driven in a browser by tests/test_web_page.py).
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time

import pytest

from support import ROOT, KernelProcess, kernel_env
from web_support import WebProcess

ROUTES = ["/", "/static/app.js", "/static/app.css", "/api/world", "/api/object?target=genesis_obj",
          "/api/events", "/no/such/route"]


@pytest.fixture
def web(kernel, tmp_path):
    server = WebProcess(kernel.endpoint, tmp_path).start()
    server.wait_up()
    yield server
    assert server.stop() == 0  # SIGTERM: a clean stop


def genesis(kernel):
    return kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]


def test_every_route_is_403_without_the_token_or_with_a_wrong_one(web, kernel):
    before = genesis(kernel)
    wrong = ("y" if web.token[0] == "x" else "x") + web.token[1:]
    for path in ROUTES:
        assert web.http(path, token="")[0] == 403, path
        assert web.http(path, token=wrong)[0] == 403, path
    for path in ("/api/request", "/api/translate"):
        status, text = web.http(path, {"command": "set_slot", "target": "genesis_obj", "slot": "x", "value": 1}, token="")
        assert status == 403 and "token" in text
    assert genesis(kernel) == before  # nothing changed
    # with it: the page, its script, the world
    assert web.http("/")[0] == 200 and "BAT OS" in web.http("/")[1]
    assert web.http("/static/app.js")[0] == 200
    status, world = web.json("/api/world")
    assert status == 200 and world["status"] == "ok"
    assert "genesis_obj" in [root["name"] for root in world["world"]["roots"]]
    assert world["kernel"]["pid"] == kernel.proc.pid


def test_the_token_in_the_url_sets_a_strict_cookie_that_later_requests_use(web):
    import urllib.request

    with urllib.request.urlopen(web.url) as response:
        cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("batos_token=" + web.token) and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    request = urllib.request.Request(web.base + "/api/world", headers={"Cookie": "batos_token=" + web.token})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


def test_each_launch_has_its_own_token(kernel, tmp_path):
    first = WebProcess(kernel.endpoint, tmp_path).start()
    second = WebProcess(kernel.endpoint, tmp_path).start()
    try:
        assert first.token != second.token and len(first.token) >= 24
        assert first.http("/api/world", token=second.token)[0] == 403
    finally:
        first.stop()
        second.stop()


def test_a_request_goes_to_the_kernel_and_its_coded_errors_come_back_as_they_are(web, kernel):
    status, reply = web.json("/api/request", {"command": "set_slot", "target": "genesis_obj", "slot": "colour", "value": "teal"})
    assert status == 200 and reply["status"] == "ok"
    assert genesis(kernel)["slots"]["colour"] == "teal"  # committed
    status, reply = web.json("/api/request", {"command": "set_slot", "target": "genesis_obj", "slot": "bad name", "value": 1})
    assert status == 200 and reply["error"]["code"] == "bad_request" and "bad name" in reply["error"]["message"]
    status, reply = web.json("/api/request", {"command": "set_slot", "target": "genesis_obj", "slot": "ref",
                                              "value": {"$oid": "0xdeadbeef"}})  # not plain data: a dangling reference
    assert reply["status"] == "error" and reply["error"]["code"] in ("not_found", "bad_request")
    assert "ref" not in genesis(kernel)["slots"]
    status, reply = web.json("/api/object?target=no_such_obj")
    assert reply["error"]["code"] == "not_found"


def test_forged_bodies_and_commands_the_page_does_not_send_are_refused_with_codes(web, kernel):
    before = genesis(kernel)
    cases = [
        (dict(raw=b"{not json"), 400, "bad_request"),
        (dict(raw=b"[1, 2]"), 400, "bad_request"),
        (dict(raw=b'{"command": "set_slot"}', content_type="text/plain"), 400, "bad_request"),
        (dict(body={"command": "ingest", "path": "/etc/passwd"}), 400, "bad_request"),
        (dict(body={"command": "backup"}), 400, "bad_request"),
        (dict(body={"nothing": 1}), 400, "bad_request"),
        (dict(raw=json.dumps({"command": "set_method", "target": "genesis_obj", "selector": "big",
                              "source": "x" * (2 << 20)}).encode()), 413, "too_large"),
    ]
    for kw, http, code in cases:
        status, text = web.http("/api/request", **kw)
        assert status == http, (kw, text[:200])
        assert json.loads(text)["error"]["code"] == code
    # a huge paste under the inspector's limit reaches the kernel, whose own frame limit or guardian refuses it
    status, reply = web.json("/api/request", {"command": "set_method", "target": "genesis_obj", "selector": "big",
                                              "source": "def big(self):\n    return 1\n" + "#" * 900_000})
    assert reply["status"] == "error" and reply["error"]["code"] in ("too_large", "code_refused", "bad_request")
    # a method the guardian refuses
    status, reply = web.json("/api/request", {"command": "set_method", "target": "genesis_obj", "selector": "sneaky",
                                              "source": "def sneaky(self):\n    import os\n    return os.getcwd()"})
    assert reply["status"] == "error" and reply["error"]["code"] == "code_refused"
    status, reply = web.json("/api/translate", {"text": ""})
    assert status == 400 and reply["error"]["code"] == "bad_request"
    assert genesis(kernel) == before  # nothing changed


def test_a_kernel_that_is_down_is_said_plainly_and_the_link_comes_back_after_a_restart(tmp_path):
    kernel = KernelProcess(tmp_path).start()
    web = WebProcess(kernel.endpoint, tmp_path).start()
    try:
        web.wait_up()
        first_pid = web.json("/api/world")[1]["kernel"]["pid"]
        kernel.stop()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            status, reply = web.json("/api/request", {"command": "status"})
            if status == 503:
                break
            time.sleep(0.2)
        assert status == 503 and reply["error"]["code"] == "kernel_down" and "not answering" in reply["error"]["message"]
        kernel.start()  # the same image, the same port: what the watchdog does
        web.wait_up()
        status, world = web.json("/api/world")
        assert status == 200 and world["kernel"]["pid"] == kernel.proc.pid != first_pid
    finally:
        web.stop()
        kernel.stop()


def test_binding_beyond_loopback_needs_expose_and_says_it_exposes_the_image(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "chat_client.py"), "--web", "--bind", "0.0.0.0", "--no-browser"],
                         cwd=ROOT, env=kernel_env(), capture_output=True, text=True, timeout=30)
    assert run.returncode == 64 and "--expose" in run.stderr and run.stdout == ""
    run = subprocess.run([sys.executable, str(ROOT / "chat_client.py"), "--port", "9"], cwd=ROOT, env=kernel_env(),
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 64 and "--port" in run.stderr  # a flag of --web's alone
    run = subprocess.run([sys.executable, str(ROOT / "chat_client.py"), "--web", "--port", "70000"], cwd=ROOT,
                         env=kernel_env(), capture_output=True, text=True, timeout=30)
    assert run.returncode == 64 and "0-65535" in run.stderr


def test_exposed_it_listens_beyond_loopback_and_warns(kernel, tmp_path):
    web = WebProcess(kernel.endpoint, tmp_path, "--bind", "0.0.0.0", "--expose").start()
    try:
        assert "anyone with the URL" in _wait_for(web.stderr, "anyone")
        with socket.create_connection(("127.0.0.1", web.port), timeout=5):
            pass
    finally:
        web.stop()


def _wait_for(read, text, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if text in value:
            return value
        time.sleep(0.1)
    return read()


def test_a_sentence_that_means_nothing_is_422_untranslatable(web):
    for text in ("create a method", "search for"):  # well formed, but no request the translator can make
        status, reply = web.json("/api/translate", {"text": text})
        assert status == 422, reply
        assert reply["status"] == "error" and reply["error"]["code"] == "untranslatable" and reply["error"]["message"]
    status, reply = web.json("/api/translate", {"text": "create a method to greet a user"})
    assert status == 200 and reply["status"] == "ok" and reply["request"]["command"] == "initiate_cognitive_cycle"


KERNEL_ROUTES = [  # every route that talks to the kernel, with a request for it
    ("GET", "/api/world", None),
    ("GET", "/api/object?target=genesis_obj", None),
    ("POST", "/api/request", {"command": "status"}),
    ("POST", "/api/request", {"command": "send", "target": "genesis_obj", "selector": "describe"}),  # work
    ("POST", "/api/translate", {"text": "double 21"}),
]


def test_a_silent_kernel_is_504_and_a_gone_one_503_on_every_route_that_talks_to_it():
    """The errors middleware, in process: a real ROUTER that answers ping (and status, once) but no request (504
    no_reply), then nothing at all (503 kernel_down)."""
    from aiohttp.test_utils import TestClient, TestServer

    from bat_os.web.link import KernelLink
    from bat_os.web.server import Waits, make_app
    from console_support import ScriptedPeer, ok

    alive = [True]

    def script(request: dict) -> list:
        if request["command"] == "ping" and alive[0]:
            return [(0, ok(request, {"pong": True, "uptime": 100.0}))]
        return []

    async def main(endpoint: str) -> None:
        link = KernelLink(endpoint, ping_every=0.1, down_after=0.6)
        await link.start()
        client = TestClient(TestServer(make_app(link, "s3cret", Waits(quick=0.3, work=0.3))))
        await client.start_server()

        async def each_route(status: int, code: str) -> None:
            for method, path, body in KERNEL_ROUTES:
                response = await client.request(method, path, json=body, headers={"X-Batos-Token": "s3cret"})
                reply = await response.json()
                assert (response.status, reply["status"], reply["error"]["code"]) == (status, "error", code), (path, body)

        try:
            deadline = time.monotonic() + 10
            while link.state != "up":
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            await each_route(504, "no_reply")
            alive[0] = False
            while link.state != "down":
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            await each_route(503, "kernel_down")
        finally:
            await client.close()
            await link.close()

    with ScriptedPeer(script) as peer:
        asyncio.run(main(peer.endpoint))

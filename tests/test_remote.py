"""Remote use over CURVE (bat_os.kernel.remote): a real kernel subprocess with ``--remote``, real sockets, two
allowed key pairs and one revoked; a stranger, a wrong server key and a plaintext client get nothing, and the
loopback endpoint on the same socket stays plain."""

from __future__ import annotations

import time

import pytest
import zmq
import zmq.auth

from bat_os.console.connection import Connection, Curve
from bat_os.kernel.remote import Keys
from support import KernelProcess, free_port


def _dealer(ctx: zmq.Context, endpoint: str, curve: Curve | None) -> zmq.Socket:
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if curve is not None:
        curve.apply(sock)
    sock.connect(endpoint)
    return sock


def _ask(sock: zmq.Socket, message: dict, wait: float) -> dict | None:
    import ormsgpack

    sock.send(ormsgpack.packb(message))
    if not sock.poll(int(wait * 1000)):
        return None
    return ormsgpack.unpackb(sock.recv())


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    work = tmp_path_factory.mktemp("remote")
    port, events = free_port(), free_port()
    kernel = KernelProcess(work, extra_args=["--remote", f"tcp://127.0.0.1:{port}"],
                           env={"BATOS_REMOTE_EVENTS_ENDPOINT": f"tcp://127.0.0.1:{events}"})
    keys = Keys.beside(kernel.image)
    made = {name: keys.add(name, work / "handed-out") for name in ("alice", "bob", "carol")}
    assert keys.revoke("carol") and not keys.revoke("carol")
    server = keys.folder / "server.key"
    curves = {name: Curve.from_files(server, secret) for name, (_public, secret) in made.items()}
    kernel.start()
    ctx = zmq.Context()
    yield {"kernel": kernel, "endpoint": f"tcp://127.0.0.1:{port}", "events": f"tcp://127.0.0.1:{events}",
           "curves": curves, "ctx": ctx, "work": work}
    ctx.term()
    kernel.stop()


def _remote_status(kernel: KernelProcess) -> dict:
    return kernel.request({"command": "status"})["result"]["remote"]


def test_two_allowed_clients_use_the_kernel_as_a_local_one_would(remote):
    for name in ("alice", "bob"):
        with Connection(remote["endpoint"], 10, curve=remote["curves"][name]) as connection:
            assert connection.request({"command": "ping"})["result"]["pong"] is True
            reply = connection.request({"command": "set_slot", "target": "genesis_obj", "slot": f"from_{name}", "value": 1})
            assert reply["status"] == "ok", reply
            assert connection.ping(5)["pong"] is True  # the liveness probe's own socket authenticates too
    slots = remote["kernel"].request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]
    assert slots["from_alice"] == slots["from_bob"] == 1
    status = _remote_status(remote["kernel"])
    assert status["allowed"] >= 2 and status["endpoint"] == remote["endpoint"] and status["events"] == remote["events"]


def test_a_revoked_key_a_wrong_server_key_and_plaintext_get_nothing_and_are_counted(remote):
    kernel, ctx, endpoint = remote["kernel"], remote["ctx"], remote["endpoint"]
    before = _remote_status(kernel)
    alice = remote["curves"]["alice"]
    impostor_public, _ = zmq.curve_keypair()
    strangers = {
        "revoked": remote["curves"]["carol"],
        "wrong server key": Curve(impostor_public, alice.public, alice.secret),
        "plaintext": None,
    }
    for why, curve in strangers.items():
        sock = _dealer(ctx, endpoint, curve)
        try:
            reply = _ask(sock, {"command": "set_slot", "target": "genesis_obj", "slot": "intruder", "value": why, "id": 1}, 2.0)
            assert reply is None, (why, reply)
        finally:
            sock.close(0)
    time.sleep(0.5)
    after = _remote_status(kernel)
    assert after["refused"] >= before["refused"] + 1 and after["last_refused"]["key"] == remote["curves"]["carol"].public.decode()
    assert after["failed"] >= before["failed"] + 2  # the wrong server key and the plaintext client
    assert after["allowed"] == before["allowed"]  # none of them got in
    assert "intruder" not in kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]
    log = kernel.log.read_text(errors="replace")
    assert "refused a client whose key is not allowed" in log and "a handshake failed" in log


def test_the_event_stream_reaches_allowed_subscribers_only(remote):
    ctx = remote["ctx"]
    subscribers = {}
    for name in ("alice", "carol"):
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        remote["curves"][name].apply(sub)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(remote["events"])
        subscribers[name] = sub
    try:
        got = {name: [] for name in subscribers}
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not got["alice"]:
            remote["kernel"].request({"command": "set_slot", "target": "genesis_obj", "slot": "tick", "value": time.time()})
            for name, sub in subscribers.items():
                while sub.poll(100):
                    got[name].append(sub.recv_multipart())
        assert got["alice"], "no event reached the allowed subscriber"
        assert got["carol"] == []
    finally:
        for sub in subscribers.values():
            sub.close(0)


def test_a_console_with_the_keys_reaches_the_kernel_and_one_with_half_of_them_is_told(remote, capsys):
    from bat_os.console.app import main

    work = remote["work"]
    server = Keys.beside(remote["kernel"].image).folder / "server.key"
    code = main(["--connect", remote["endpoint"], "--server-key", str(server), "--client-key",
                 str(work / "handed-out" / "bob.key_secret"), "--ping"], environ={})
    assert code == 0
    with pytest.raises(SystemExit) as usage:
        main(["--connect", remote["endpoint"], "--server-key", str(server), "--ping"], environ={})
    assert usage.value.code != 0 and "--server-key and --client-key go together" in capsys.readouterr().err

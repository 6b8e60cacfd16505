"""Frame classification: DEALER, REQ, and garbage."""

from bat_os.kernel.bridge import Bridge, Envelope, lasting, lasting_envelope, split


def test_dealer_frames():
    incoming = split([b"id", b"payload"])
    assert incoming.envelope == Envelope(b"id", req=False) and incoming.payload == b"payload" and incoming.problem is None
    assert incoming.envelope.frames(b"r") == [b"id", b"r"]


def test_req_frames():
    incoming = split([b"id", b"", b"payload"])
    assert incoming.envelope.req and incoming.payload == b"payload"
    assert incoming.envelope.frames(b"r") == [b"id", b"", b"r"]


def test_garbage():
    assert split([b"id"]).envelope is None
    incoming = split([b"id", b"a", b"b", b"c"])
    assert incoming.payload is None and "3 frames" in incoming.problem and not incoming.envelope.req
    incoming = split([b"id", b"", b"a", b"b"])
    assert incoming.envelope.req and "2 frames" in incoming.problem


def test_drain_waits_for_messages_still_on_their_way_until_quiet():
    """At shutdown the kernel answers what is in its socket; messages a client queued before the stop can
    still be crossing the connection when the socket first reads empty. A real ROUTER on a free port."""
    import threading
    import time

    import zmq

    from support import free_port

    endpoint = f"tcp://127.0.0.1:{free_port()}"
    bridge = Bridge(endpoint, 1 << 20, lambda frames: None)
    ctx = zmq.Context()
    client = ctx.socket(zmq.DEALER)
    client.setsockopt(zmq.LINGER, 0)
    try:
        client.connect(endpoint)

        def late() -> None:  # the first at once, the second 0.1 s later: after the socket has read empty
            client.send(b"first")
            time.sleep(0.1)
            client.send(b"second")

        sender = threading.Thread(target=late)
        started = time.monotonic()
        sender.start()
        drained = [frames[-1] for frames in bridge.drain(quiet=0.5)]
        took = time.monotonic() - started
        sender.join()
        assert drained == [b"first", b"second"]
        assert took >= 0.5  # it ended only after half a second with nothing
        assert list(bridge.drain(quiet=0.05)) == []  # and ends at once, quiet, when nothing comes
    finally:
        client.close()
        ctx.term()
        bridge.close(linger_ms=0)


def test_only_an_identity_a_client_chose_outlasts_the_kernel_process():
    """libzmq's own identities (a zero byte, then a counter that starts at the same value in every process, so two
    kernels one after the other give their first clients the same bytes: test_cycle shows what that did) name a
    connection; one a client chose (ZMQ_ROUTING_ID) is the client's own."""
    import zmq

    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    try:
        port = router.bind_to_random_port("tcp://127.0.0.1")
        given = []
        for identity in (None, b"alice"):
            dealer = ctx.socket(zmq.DEALER)
            if identity is not None:
                dealer.setsockopt(zmq.ROUTING_ID, identity)
            dealer.connect(f"tcp://127.0.0.1:{port}")
            dealer.send(b"x")
            assert router.poll(5000)
            given.append(router.recv_multipart()[0])
            dealer.close(0)
    finally:
        router.close(0)
        ctx.term()
    generated, chosen = given
    assert chosen == b"alice" and lasting(chosen)
    assert generated[0] == 0 and not lasting(generated) and not lasting(b"")
    assert lasting_envelope({"identity": chosen, "req": True, "id": 7}) == Envelope(chosen, True)
    assert lasting_envelope({"identity": generated, "req": False, "id": 7}) is None and lasting_envelope(None) is None

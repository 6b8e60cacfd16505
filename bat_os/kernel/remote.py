"""Remote use: a second door to the kernel, authenticated and encrypted with ZeroMQ's CURVE. Off by default.

With ``remote_endpoint`` set (``python batos.py --remote tcp://0.0.0.0:5556``) the kernel binds a ROUTER socket
there that speaks only CURVE (``zmq.auth``), and, with ``remote_events_endpoint``, an XPUB socket that relays its
event stream the same way. The loopback endpoint stays as it is.

**Keys** live beside the image, in ``<image>.keys/`` (:class:`Keys`; zmq.auth's certificate files):

- ``server.key`` and ``server.key_secret``: the kernel's pair, made at its first remote start. A client is given
  ``server.key`` (public) to be sure it talks to this kernel.
- ``clients/NAME.key``: the public keys allowed in. ``python batos.py remote add NAME`` makes a client's pair
  (its secret file goes to the person, once) and allows it; ``remote revoke NAME`` deletes its public key. The
  folder is read at every handshake: a revoked key is refused from its next connection on.

**What a stranger gets: nothing.** A client whose key is not allowed (ZAP refuses it), one that expects another
server key, or one speaking plaintext never completes the handshake: no frame of it reaches the relay, so no
reply, no event, no effect. Each attempt is logged and counted (``status``: ``remote``).

**The relay** (:class:`Relay`, a thread of its own; no ZODB here) carries an authenticated client's frames to the
kernel's own endpoint over a DEALER of its own per client, and the replies back: the kernel's handlers see an
ordinary local client, so every rule of the protocol holds unchanged (ids, events, ``too_large``, REQ clients).
A client's DEALER is closed after :data:`IDLE_SECONDS` without traffic.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

logger = logging.getLogger(__name__)

IDLE_SECONDS = 600.0  # a client's relay connection closed after this long without traffic
POLL_MS = 100
ZAP_DOMAIN = b"batos"  # the domain its sockets ask zmq.auth about (the callback is registered for it)


@dataclass
class Keys:
    """The kernel's CURVE key pair and the allow-list of client keys, in one folder beside the image."""

    folder: Path

    @classmethod
    def beside(cls, image: Path) -> "Keys":
        return cls(image.with_name(image.stem + ".keys"))

    @property
    def clients(self) -> Path:
        return self.folder / "clients"

    def server(self) -> tuple[bytes, bytes]:
        """The kernel's (public, secret) key, made on first use (the secret readable by its owner alone)."""
        import zmq.auth

        secret = self.folder / "server.key_secret"
        if not secret.is_file():
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.clients.mkdir(exist_ok=True, mode=0o700)
            zmq.auth.create_certificates(str(self.folder), "server")
            secret.chmod(0o600)
            logger.info("made the kernel's CURVE key pair in %s (give clients %s)", self.folder, self.folder / "server.key")
        public, private = zmq.auth.load_certificate(str(secret))
        return public, private

    def add(self, name: str, out: Path) -> tuple[Path, Path]:
        """Make a client key pair named ``name`` in ``out`` and allow its public key: (public file, secret file)."""
        import zmq.auth

        _check_name(name)
        if (self.clients / f"{name}.key").exists():
            raise ValueError(f"a client named {name!r} is allowed already (revoke it first)")
        self.server()  # the folder and the kernel's own pair
        out.mkdir(parents=True, exist_ok=True)
        public, secret = (Path(p) for p in zmq.auth.create_certificates(str(out), name))
        secret.chmod(0o600)
        (self.clients / f"{name}.key").write_bytes(public.read_bytes())
        return public, secret

    def revoke(self, name: str) -> bool:
        _check_name(name)
        allowed = self.clients / f"{name}.key"
        if not allowed.exists():
            return False
        allowed.unlink()
        return True

    def allowed(self) -> dict[bytes, str]:
        """Public key (z85) -> client name, read from the folder now."""
        import zmq.auth

        found: dict[bytes, str] = {}
        for path in sorted(self.clients.glob("*.key")) if self.clients.is_dir() else []:
            try:
                public, _secret = zmq.auth.load_certificate(str(path))
            except (OSError, ValueError) as exc:
                logger.warning("remote: cannot read the client key %s: %s", path, exc)
                continue
            found[public] = path.stem
        return found


def _check_name(name: str) -> None:
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise ValueError(f"a client's name is letters, digits, '-', '_' and '.', not {name!r}")


@dataclass
class Counts:
    """What ``status`` shows under ``remote``."""

    allowed: int = 0  # handshakes of allowed keys
    refused: int = 0  # keys not (or no longer) allowed
    failed: int = 0  # handshakes that failed before any key was offered: a wrong server key, plaintext, garbage
    relayed: int = 0  # messages carried to the kernel
    clients: int = 0  # relay connections open now
    last_refused: dict = field(default_factory=dict)


class Relay:
    """The CURVE ROUTER (and XPUB) and the thread that carries frames between them and the kernel's endpoints."""

    def __init__(self, endpoint: str, kernel_endpoint: str, keys: Keys, *, max_frame_bytes: int,
                 events_endpoint: str | None = None, kernel_events: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        import zmq
        from zmq.auth.thread import ThreadAuthenticator

        self.endpoint, self.kernel_endpoint, self.keys, self.clock = endpoint, kernel_endpoint, keys, clock
        self.counts = Counts()
        public, secret = keys.server()
        self.ctx = zmq.Context()
        self.auth = ThreadAuthenticator(self.ctx, log=logging.getLogger(__name__ + ".zap"))
        self.auth.start()
        self.auth.configure_curve_callback(ZAP_DOMAIN.decode(), credentials_provider=self)
        self.front = self._curve(zmq.ROUTER, public, secret)
        self.front.setsockopt(zmq.MAXMSGSIZE, max_frame_bytes * 4 + 65536)
        self.front.bind(endpoint)
        self.events: Any = None
        self.kernel_events = kernel_events
        if events_endpoint and kernel_events:
            self.events = self._curve(zmq.XPUB, public, secret)
            self.events.bind(events_endpoint)
        self._monitors = [sock.get_monitor_socket() for sock in (self.front, self.events) if sock is not None]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._serve, name="batos-remote", daemon=True)]
        if self.events is not None:
            self._threads.append(threading.Thread(target=self._relay_events, name="batos-remote-events", daemon=True))

    def _curve(self, kind: int, public: bytes, secret: bytes) -> Any:
        import zmq

        sock = self.ctx.socket(kind)
        sock.setsockopt(zmq.LINGER, 0)
        sock.curve_server = True
        sock.curve_publickey, sock.curve_secretkey = public, secret
        sock.setsockopt(zmq.ZAP_DOMAIN, ZAP_DOMAIN)
        return sock

    # --- ZAP: zmq.auth asks, for every handshake, whether a client's key may in ----------------
    def callback(self, domain: str, key: bytes) -> bool:
        name = self.keys.allowed().get(key)
        if name is None:
            self.counts.refused += 1
            self.counts.last_refused = {"key": key.decode("ascii", "replace"), "time": time.time()}
            logger.warning("remote: refused a client whose key is not allowed (%s)", key.decode("ascii", "replace"))
            return False
        self.counts.allowed += 1
        logger.info("remote: client %s connected", name)
        return True

    def start(self) -> "Relay":
        for thread in self._threads:
            thread.start()
        logger.info("remote clients (CURVE) on %s%s; keys in %s", self.endpoint,
                    f", events on {self.events.last_endpoint.decode()}" if self.events is not None else "", self.keys.folder)
        return self

    def status(self) -> dict:
        counts = self.counts
        return {"endpoint": self.front.last_endpoint.decode(), "keys": str(self.keys.folder),
                "events": self.events.last_endpoint.decode() if self.events is not None else None,
                "allowed": counts.allowed, "refused": counts.refused, "failed": counts.failed,
                "relayed": counts.relayed, "clients": counts.clients, "last_refused": dict(counts.last_refused) or None}

    # --- the relay thread ---------------------------------------------------------------------
    def _serve(self) -> None:
        import zmq

        poller = zmq.Poller()
        poller.register(self.front, zmq.POLLIN)
        for monitor in self._monitors:
            poller.register(monitor, zmq.POLLIN)
        dealers: dict[bytes, Any] = {}  # remote identity -> its DEALER to the kernel
        owner: dict[Any, bytes] = {}
        used: dict[bytes, float] = {}
        while not self._stop.is_set():
            for sock, _event in poller.poll(POLL_MS):
                if sock is self.front:
                    frames = self.front.recv_multipart(zmq.NOBLOCK)
                    identity = frames[0]
                    dealer = dealers.get(identity)
                    if dealer is None:
                        dealer = dealers[identity] = self.ctx.socket(zmq.DEALER)
                        dealer.setsockopt(zmq.LINGER, 0)
                        dealer.connect(self.kernel_endpoint)
                        owner[dealer] = identity
                        poller.register(dealer, zmq.POLLIN)
                    used[identity] = self.clock()
                    dealer.send_multipart(frames[1:], zmq.NOBLOCK)
                    self.counts.relayed += 1
                elif sock in owner:
                    frames = sock.recv_multipart(zmq.NOBLOCK)
                    used[owner[sock]] = self.clock()
                    try:
                        self.front.send_multipart([owner[sock], *frames], zmq.NOBLOCK)
                    except zmq.ZMQError as exc:
                        logger.debug("remote: a reply could not be sent back: %s", exc)
                else:
                    self._on_monitor(sock)
            now = self.clock()
            for identity in [i for i, at in used.items() if now - at > IDLE_SECONDS]:
                dealer = dealers.pop(identity)
                poller.unregister(dealer)
                owner.pop(dealer)
                used.pop(identity)
                dealer.close(0)
            self.counts.clients = len(dealers)
        for dealer in dealers.values():
            dealer.close(0)

    def _on_monitor(self, monitor: Any) -> None:
        import zmq
        from zmq.utils.monitor import recv_monitor_message

        event = recv_monitor_message(monitor, zmq.NOBLOCK)
        kind = event["event"]
        failed = {zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL}
        if kind in failed:
            self.counts.failed += 1
            logger.warning("remote: a handshake failed on %s (a wrong server key, or a client without CURVE)",
                           event.get("endpoint", b"").decode("utf-8", "replace"))

    def _relay_events(self) -> None:
        """The kernel's event stream out through the CURVE XPUB: subscriptions in, events out."""
        import zmq

        sub = self.ctx.socket(zmq.XSUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.connect(self.kernel_events)
        poller = zmq.Poller()
        poller.register(sub, zmq.POLLIN)
        poller.register(self.events, zmq.POLLIN)
        try:
            while not self._stop.is_set():
                for sock, _event in poller.poll(POLL_MS):
                    other = self.events if sock is sub else sub
                    other.send_multipart(sock.recv_multipart(zmq.NOBLOCK), zmq.NOBLOCK)
        except zmq.ZMQError as exc:
            if not self._stop.is_set():
                logger.warning("remote: the event relay stopped: %s", exc)
        finally:
            sub.close(0)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(2)
        for sock in (*self._monitors, self.front, self.events):
            if sock is not None:
                sock.close(0)
        self.auth.stop()
        self.ctx.term()

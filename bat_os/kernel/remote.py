"""Remote use: a second door to the kernel, authenticated and encrypted with ZeroMQ's CURVE. Off by default.

With ``remote_endpoint`` set (``python batos.py --remote tcp://0.0.0.0:5556``) the kernel's own ROUTER socket
binds a second endpoint there that speaks only CURVE (``zmq.auth``), and, with ``remote_events_endpoint``, so does
its event stream's PUB socket. The loopback endpoint stays as it is: libzmq takes a socket's security options when
an endpoint is bound, so the loopback listener (bound first) stays plain and the remote one (bound after the CURVE
options are set, which are then cleared) accepts CURVE alone. One socket serves both: a remote client is an
ordinary client to the kernel's handlers, and every rule of the protocol holds unchanged (ids, events,
``too_large``, REQ clients), with no relay between them.

**Keys** live beside the image, in ``<image>.keys/`` (:class:`Keys`; zmq.auth's certificate files):

- ``server.key`` and ``server.key_secret``: the kernel's pair, made at its first remote start. A client is given
  ``server.key`` (public) to be sure it talks to this kernel.
- ``clients/NAME.key``: the public keys allowed in. ``python batos.py remote add NAME`` makes a client's pair
  (its secret file goes to the person, once) and allows it; ``remote revoke NAME`` deletes its public key. The
  folder is read at every handshake: a revoked key is refused from its next connection on.

**What a stranger gets: nothing.** A client whose key is not allowed (ZAP refuses it), one that expects another
server key, or one speaking plaintext never completes the handshake: no frame of it reaches the kernel, so no
reply, no event, no effect. Each attempt is logged and counted (``status``: ``remote``), from ZAP's answers and
the sockets' monitor events, on a thread of their own (:class:`RemoteDoor`; no ZODB, and the kernel's sockets
stay the loop thread's).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

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
    connected: int = 0  # remote connections open now
    last_refused: dict = field(default_factory=dict)


class RemoteDoor:
    """The CURVE endpoints on the kernel's own sockets, their ZAP handler and their monitor.

    :meth:`open` runs on the loop thread (which owns the sockets) before the kernel serves; :meth:`close` before
    the sockets close. ``sockets``: (socket, endpoint) pairs to bind, the ROUTER's first."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self.counts = Counts()
        self.endpoints: list[str] = []
        self._auths: list[Any] = []
        self._monitors: list[Any] = []
        self._bound: list[tuple[Any, str]] = []  # (socket, endpoint): unbound first at close
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self, sockets: list[tuple[Any, str]]) -> "RemoteDoor":
        import zmq
        from zmq.auth.thread import ThreadAuthenticator

        public, secret = self.keys.server()
        contexts: list[Any] = []
        try:
            for sock, endpoint in sockets:
                if not any(sock.context is ctx for ctx in contexts):  # one ZAP handler per context
                    auth = ThreadAuthenticator(sock.context, log=logging.getLogger(__name__ + ".zap"))
                    auth.start()
                    auth.configure_curve_callback(ZAP_DOMAIN.decode(), credentials_provider=self)
                    self._auths.append(auth)
                    contexts.append(sock.context)
                sock.curve_server = True
                sock.curve_publickey, sock.curve_secretkey = public, secret
                sock.setsockopt(zmq.ZAP_DOMAIN, ZAP_DOMAIN)
                sock.setsockopt(zmq.ZAP_ENFORCE_DOMAIN, 1)  # no ZAP handler (stopping): refused, never let in
                try:
                    sock.bind(endpoint)
                finally:  # CURVE stays with this endpoint's listener alone: nothing bound later speaks it
                    sock.curve_server = False
                self.endpoints.append(sock.getsockopt(zmq.LAST_ENDPOINT).decode())
                self._bound.append((sock, self.endpoints[-1]))
                self._monitors.append((sock, sock.get_monitor_socket(
                    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                    | zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED), self.endpoints[-1]))
        except BaseException:
            self.close()
            raise
        self._thread = threading.Thread(target=self._watch, name="batos-remote", daemon=True)
        self._thread.start()
        logger.info("remote clients (CURVE) on %s; keys in %s", ", ".join(self.endpoints), self.keys.folder)
        return self

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

    def status(self) -> dict:
        counts = self.counts
        return {"endpoint": self.endpoints[0] if self.endpoints else None,
                "events": self.endpoints[1] if len(self.endpoints) > 1 else None, "keys": str(self.keys.folder),
                "allowed": counts.allowed, "refused": counts.refused, "failed": counts.failed,
                "connected": counts.connected, "last_refused": dict(counts.last_refused) or None}

    # --- the monitor thread -------------------------------------------------------------------
    def _watch(self) -> None:
        import zmq
        from zmq.utils.monitor import recv_monitor_message

        poller = zmq.Poller()
        remote_of = {}
        for _sock, monitor, endpoint in self._monitors:
            poller.register(monitor, zmq.POLLIN)
            remote_of[monitor] = endpoint
        failed = {zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL}
        try:
            while not self._stop.is_set():
                for monitor, _event in poller.poll(POLL_MS):
                    event = recv_monitor_message(monitor, zmq.NOBLOCK)
                    if not _same_listener(event.get("endpoint", b"").decode("utf-8", "replace"), remote_of[monitor]):
                        continue  # the loopback listener's: not this door's business
                    kind = event["event"]
                    if kind in failed:
                        self.counts.failed += 1
                        logger.warning("remote: a handshake failed on %s (a wrong server key, or a client without"
                                       " CURVE)", remote_of[monitor])
                    elif kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                        self.counts.connected += 1
                    elif kind == zmq.EVENT_DISCONNECTED:
                        self.counts.connected = max(0, self.counts.connected - 1)
        except zmq.ZMQError as exc:
            if not self._stop.is_set():
                logger.warning("remote: the monitor stopped: %s", exc)

    def close(self) -> None:
        """Before the kernel's sockets close (on the loop thread): the remote endpoints unbound, the monitor, then ZAP
        (in that order: a handshake never meets a door without its ZAP handler)."""
        import zmq

        for sock, endpoint in self._bound:
            try:
                sock.unbind(endpoint)
            except zmq.ZMQError as exc:
                logger.debug("remote: unbinding %s: %s", endpoint, exc)
        self._bound = []
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None
        for sock, monitor, _endpoint in self._monitors:
            try:
                sock.disable_monitor()
            except Exception:  # noqa: BLE001 - a socket closing anyway
                pass
            monitor.close(0)
        self._monitors = []
        for auth in self._auths:
            auth.stop()
        self._auths = []


def _same_listener(event_endpoint: str, bound: str) -> bool:
    """Whether a monitor event is about the remote listener: the same TCP port (a connection accepted on
    ``tcp://0.0.0.0:P`` reports the address it came in on), else the same endpoint."""
    if event_endpoint.startswith("tcp://") and bound.startswith("tcp://"):
        return event_endpoint.rpartition(":")[2] == bound.rpartition(":")[2]
    return event_endpoint == bound

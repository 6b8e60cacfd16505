"""What can go wrong in the console, as one tree::

    Exception
    ├── UsageError (ValueError)   a line or flag that cannot become a request; nothing was sent
    └── NoReply                   no answer from the kernel within the wait (down, or busy)
        └── KernelDown            while we waited, the kernel stopped answering ping, or it restarted

ZeroMQ and msgpack errors are translated into these in :mod:`.connection`,
the only module that touches the socket.
"""

from __future__ import annotations


class UsageError(ValueError):
    """A console line that cannot become a request; the message says why and how."""


class NoReply(Exception):
    """The kernel did not answer within the wait.

    ``alive`` is True when a liveness probe got a pong meanwhile (the kernel is
    up but has not answered this request), None when no probe was made.
    """

    def __init__(self, message: str, *, alive: bool | None = None) -> None:
        super().__init__(message)
        self.alive = alive


class KernelDown(NoReply):
    """While a request was in flight the kernel stopped answering ping, or came back as a new process.

    ``restarted`` is True when a new kernel answered: the request in flight is
    lost (it may or may not have been done).
    """

    def __init__(self, message: str, *, restarted: bool = False) -> None:
        super().__init__(message, alive=restarted)
        self.restarted = restarted


__all__ = ["KernelDown", "NoReply", "UsageError"]

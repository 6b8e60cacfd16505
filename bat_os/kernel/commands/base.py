"""The command framework: what a handler is given, what it may answer, how it reads its request.

A command is a function ``handler(ctx, request)`` in one of the modules
listed in :mod:`bat_os.kernel.commands`; its docstring shows its wire message
and reply. The kernel runs it on the event-loop thread inside one
transaction (:mod:`bat_os.image.transact`): for a command that ``writes``,
the transaction commits before the "ok" reply goes out and aborts if the
handler raises; for the others it is a read and always aborts.

A handler answers one of two ways:

* **a value**: plain Python data (objects become references when the kernel
  renders it, after the commit: :func:`bat_os.image.codec.render`);
* **a** :class:`Later`: work that must be awaited (the jail, a model, a
  cycle, a backup). Its transaction ends at once (the handler must not have
  changed anything in it); the kernel then awaits ``later.run(call)`` as a
  task, serving other requests meanwhile, and answers with its outcome.
  Awaited work uses connections of its own and answers plain data. A handler
  that finds midway that it must await raises :class:`Reroute` with its
  Later: its transaction is aborted, then the Later is awaited.

A handler fails by raising: a :class:`~bat_os.errors.BatosError` is answered
with its code (:data:`bat_os.errors.CODES`), anything else is ``internal``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field as _field
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from bat_os.errors import BadRequest
from bat_os.image import codec
from bat_os.image.image import Image
from bat_os.image.objects import UvmObject

if TYPE_CHECKING:  # types only: these services are built by bat_os.kernel.startup
    from bat_os.cognition.methods.service import Cognition
    from bat_os.forge.runs import Forge
    from bat_os.kernel.backups import KernelBackups


@dataclass(frozen=True)
class Command:
    name: str
    handler: Callable[["Context", dict], Any]
    writes: bool  # False: runs in a read-only view and commits nothing


@dataclass
class Context:
    """What a handler may use: the image, the kernel's live figures, its services.

    ``cognition`` runs generated methods in the jail, cognitive cycles, persona
    models and memory (:class:`bat_os.cognition.methods.service.Cognition`); ``backups``
    the backup command. Both are None in tools that only read the image.
    """

    image: Image
    stats: Callable[[], dict]
    cognition: "Cognition | None" = None
    backups: "KernelBackups | None" = None
    forge: "Forge | None" = None  # the forge's training runs (bat_os.forge.runs)
    calls: Counter = _field(default_factory=Counter)  # (holder oid, selector) -> sends that ran it since start
    publish: Callable[[str, dict], None] = lambda topic, event: None  # the event stream (bat_os.kernel.stream)
    audit: Callable[..., None] = lambda event, **fields: None  # the audit trail's record (bat_os.kernel.audit)


@dataclass(frozen=True)
class Call:
    """Who waits for an awaited answer: progress events go to ``on_event``; ``reply_to``
    (identity, request id, events) is kept with a cycle so that its answer can still
    reach the client after a kernel restart."""

    on_event: Callable[[dict], None] | None = None
    reply_to: dict | None = None
    asks: bool = False  # the client listens (events: true) and did not say "ask": false: a cycle may ask it questions


@dataclass(frozen=True)
class Later:
    """A handler's answer that must be awaited: the kernel awaits ``run(call)`` and answers its outcome."""

    run: Callable[[Call], Awaitable[Any]]


class Reroute(Exception):
    """Raised by a handler that finds midway that it must await after all (a system method that sent a
    generated one): the kernel aborts the handler's transaction, so nothing it did stays, and awaits
    ``later`` as if the handler had answered it. Not an error: it is never answered as one."""

    def __init__(self, later: Later) -> None:
        super().__init__("the request continues as awaited work")
        self.later = later


# --- reading a request --------------------------------------------------------------------


def field(request: dict, name: str, kind: type | tuple, default: Any = ..., what: str = "") -> Any:
    """``request[name]``, checked to be of ``kind`` (a bool is not an int); BadRequest otherwise.

    Without a ``default`` the field is required.
    """
    if name not in request:
        if default is ...:
            raise BadRequest(f"'{name}' is required")
        return default
    value = request[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
        raise BadRequest(f"'{name}' must be {what or _kind_name(kind)}, not {type(value).__name__}")
    return value


def _tuple(kind: type | tuple) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple) -> str:
    names = {str: "a string", list: "a list", dict: "a map", int: "an integer", bool: "a boolean"}
    return " or ".join(names.get(k, k.__name__) for k in _tuple(kind))


def target(ctx: Context, request: dict, name: str = "target") -> Any:
    """The object a request names (a root name or ``0x..`` id); NotFound when there is none."""
    return ctx.image.resolve(field(request, name, str))


def uvm_target(ctx: Context, request: dict, name: str = "target") -> UvmObject:
    obj = target(ctx, request, name)
    if not isinstance(obj, UvmObject):
        raise BadRequest(f"{request[name]!r} is a {type(obj).__name__}, not a UvmObject")
    return obj


def from_wire(image: Image, value: Any) -> Any:
    """A client's value with its ``{"$oid": "0x1a"}`` references turned into objects (NotFound if gone)."""
    return codec.from_wire(value, image.resolve)

"""The exception tree of BAT OS, in one place.

    BatosError                   code "internal" unless a subclass says otherwise
    ├── ConfigError              a setting has a bad value (names the setting)
    ├── ImageError               the image cannot be opened (corrupt, locked, unreadable)
    ├── BackupError              a backup or restore failed (repozo, the blob mirror, the backup directory)
    │   ├── BackupNotFound       no backup with that id, or none at all in the backup directory
    │   └── ImageInUse           restore refused: a process holds the image's lock (stop the kernel first)
    ├── RunsInJail               a generated method was about to run in the kernel process (it must not)
    ├── EmbedderUnavailable      the embedding model cannot be loaded (package missing, bad path or model)
    ├── LLMError                 "llm_error": a model call failed (no matching cassette line, backend down...)
    │   └── ModelError           "model_error": a persona model cannot be imported, stored, verified or loaded
    │       ├── NoModel          "no_model": the persona has no model in the image (says how to import one)
    │       ├── ModelUnavailable "model_unavailable": its stored files fail verification, or loading it failed
    │       ├── ModelTooLarge    "model_too_large": it does not fit the memory budget even alone
    │       └── DownloadFailed   "download_failed": the hub could not be reached or refused
    ├── JailError                generated code could not run to completion in the jail
    │   ├── JailTimeout          "timeout": past its wall-clock or CPU-time limit
    │   ├── JailMemory           past its memory limit
    │   ├── JailCrash            the worker died (signal, protocol violation)
    │   ├── JailUnavailable      "jail_unavailable": this platform cannot run the jail (Windows: no fork...)
    │   └── MethodRaised         "method_error": the code raised; ``error_type`` and ``message`` say what
    └── RequestError             answered to a client as {"status": "error", "error": {code, message, ...}}
        ├── BadRequest           "bad_request": malformed request or wrong field types
        │   └── DataSlotCalled   a data slot was sent arguments
        ├── UnknownCommand       "unknown_command"
        ├── NotFound             "not_found": unknown target, cycle, document or file
        ├── DoesNotUnderstand    "not_understood": no object in the delegation chain has the selector
        ├── MethodError          "method_error": the method ran and raised
        ├── TooLarge             "too_large": a frame or document over its limit
        ├── Busy                 "busy": the request queue is full, or conflicts outlived their retries
        ├── Timeout              "timeout": the request's deadline passed
        ├── ShuttingDown         "shutting_down": the kernel is stopping
        ├── CycleFailed          "cycle_failed": a cognitive cycle ended FAILED (state, reasons, cycle)
        ├── BadEncoding          "bad_encoding": ingest got binary data or text that is not UTF-8
        ├── NoJail               "jail_unavailable": a generated method or a new one, where the jail cannot run
        ├── BackupFailed         "backup_failed": the backup command failed (its BackupError's message)
        ├── PackRefused          "pack_refused": an upgrade or another pack is under way; nothing was done
        ├── PackFailed           "pack_failed": the pack failed or was stopped; the image is as it was
        ├── SelfCheckFailed      "self_check_failed": migrations missing or a method no longer compiles
        ├── Protected            "protected": a system method may not be changed or removed by a client
        ├── CodeRefused          "code_refused": the guardian refused a method's source (``reasons``)
        ├── TestsFailed          "tests_failed": a change breaks stored cases (``failures``); nothing changed
        ├── Answered             "answered": a cycle's question was answered (or skipped) already
        └── Internal             "internal": a bug; logged

Every error has a ``message`` and ``details`` (extra fields of its wire
reply) and a ``code``: :data:`CODES` maps exception types to wire codes, the
most specific first, and :func:`code_of` is the only place that decides a
code (never from a message's text). :func:`reply_of` turns any exception
into the ``(code, message, details)`` of an error reply; the kernel answers
every request through it. Every code is listed in ``docs/protocol.md`` and in
:data:`bat_os.protocol.ERROR_CODES`.

Errors of lower libraries are translated into these once, where they happen,
with ``raise ... from exc``: ZODB's open failures (:class:`ImageError`), a
conflict that outlived its retries (:class:`Busy`, in
:mod:`bat_os.image.transact`: ``ConflictError`` is a ``TransientError`` and is
retried by type), torch running out of memory (:class:`ModelTooLarge`), the
hub (:class:`DownloadFailed`), repozo (:class:`BackupError`), zmq binding the
endpoint. Jail errors become request errors with the selector in the message
where a jailed send or a trial is awaited (:mod:`bat_os.cognition.methods.service`).
"""

from __future__ import annotations

import logging
from typing import Any

from transaction.interfaces import TransientError

logger = logging.getLogger(__name__)


class BatosError(Exception):
    """Base of every error BAT OS raises on purpose: a message, and details for its wire reply."""

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def code(self) -> str:
        """The wire code (:data:`CODES`)."""
        return code_of(self)


class ConfigError(BatosError):
    """A configuration value is invalid. ``setting`` names it."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"invalid setting {setting!r}: {message}")
        self.setting = setting


class ImageError(BatosError):
    """The living image cannot be opened safely. The file is never overwritten."""


class BackupError(BatosError):
    """A backup or a restore failed; the message says why (see :mod:`bat_os.supervise.backup`)."""


class BackupNotFound(BackupError):
    """No backup has that id, or the backup directory holds none. Nothing was changed."""


class ImageInUse(BackupError):
    """Restore refused: a process (a kernel) holds the image's FileStorage lock. Nothing was changed."""

    def __init__(self, message: str, holder: str = "unknown") -> None:
        super().__init__(message)
        self.holder = holder  # the pid written in the lock file, as text


class RunsInJail(BatosError):
    """Generated code never runs in the kernel process; the caller must use the jail."""

    def __init__(self, method: object) -> None:
        super().__init__(f"{getattr(method, 'selector', method)!r} is generated code: it runs in the jail")
        self.method = method


class EmbedderUnavailable(BatosError):
    """The embedding model cannot be loaded: package missing, no model at the path, or a bad model."""


class LLMError(BatosError):
    """A language-model call failed; the cycle fails with this as its reason."""


class ModelError(LLMError):
    """A persona model cannot be imported, stored, verified or loaded."""


class NoModel(ModelError):
    """The persona has no model in the image."""

    def __init__(self, persona: str, message: str | None = None) -> None:
        super().__init__(
            message
            or f"persona {persona} has no model in the image; import one with:"
            f" python batos.py models import {persona} <directory or Hugging Face id>"
        )
        self.persona = persona


class ModelUnavailable(ModelError):
    """The persona's model failed verification or loading; ``reason`` says why. The kernel keeps running."""


class ModelTooLarge(ModelError):
    """The model does not fit the configured memory budget even when nothing else is resident."""


class DownloadFailed(ModelError):
    """A download from the Hugging Face hub failed (no network, unknown or gated id)."""


class JailError(BatosError):
    """Generated code did not complete in the jail."""


class JailTimeout(JailError):
    """Past its wall-clock or CPU-time limit."""


class JailMemory(JailError):
    """Past its memory limit."""


class JailCrash(JailError):
    """The worker died (a signal, a protocol violation)."""


class JailUnavailable(JailError):
    """The jail cannot run on this platform; the message says what is missing (see ``jail.unavailable_reason``)."""


class MethodRaised(JailError):
    """The jailed code raised an exception (reported by type name and message)."""

    def __init__(self, error_type: str, message: str, traceback: str = "") -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message  # the method's own message (str(self) has the type too)
        self.traceback = traceback


class RequestError(BatosError):
    """An error answered to a client as it is: the request itself was the problem, or its outcome."""


class BadRequest(RequestError):
    """Malformed request, or a field of the wrong type or value."""


class DataSlotCalled(BadRequest):
    """A data slot was sent arguments, as if it were a method."""


class UnknownCommand(RequestError):
    """No command has that name."""


class NotFound(RequestError):
    """No such target (root name or object id), cycle, document or file."""


class DoesNotUnderstand(RequestError):
    """No object in the receiver's delegation chain understands ``selector``.

    Carries everything needed to turn the failed send into a mission: the
    receiver (the object itself), the selector, and the arguments.
    """

    def __init__(
        self,
        receiver: Any,
        selector: str,
        args: tuple | list = (),
        kwargs: dict | None = None,
    ) -> None:
        super().__init__(f"{_describe(receiver)} does not understand {selector!r}", selector=selector, receiver=receiver)
        self.receiver = receiver
        self.selector = selector
        self.args_ = tuple(args)
        self.kwargs = dict(kwargs or {})


class MethodError(RequestError):
    """The method ran and raised (``error_type``, ``traceback`` in the details)."""


class TooLarge(RequestError):
    """A frame, a document or a value over its configured limit."""


class Busy(RequestError):
    """The request queue is full, or conflicting writes outlived their retries."""


class Timeout(RequestError):
    """The request's deadline passed, or the method ran past its limit."""


class ShuttingDown(RequestError):
    """The kernel is stopping; send it again once it is back."""


class CycleFailed(RequestError):
    """A cognitive cycle ended FAILED (``cycle``, ``state``, ``reasons`` in the details)."""


class BadEncoding(RequestError):
    """Ingest got binary data, or text that is not UTF-8."""


class NoJail(RequestError):
    """A generated method was sent, or a message nobody understands, to a kernel whose jail cannot run here."""


class SelfCheckFailed(RequestError):
    """``selfcheck`` found the image unfit for this code (see :mod:`bat_os.kernel.commands.selfcheck`)."""


class Protected(RequestError):
    """A system method (the kernel's own behaviour) may not be edited, removed or shadowed by a client."""


class CodeRefused(RequestError):
    """The guardian refused a method's source (``reasons`` in the details); nothing changed."""


class TestsFailed(RequestError):
    """A change to a method breaks cases it or its callers keep (``failures`` in the details); nothing changed."""


class BackupFailed(RequestError):
    """The backup command failed (its BackupError's message)."""


class PackRefused(RequestError):
    """``pack`` refused: the watchdog is upgrading the kernel (a rollback could not cut a packed image back),
    or another pack runs (``why`` in the details: ``upgrade`` or ``packing``). Nothing was done."""


class PackFailed(RequestError):
    """The pack failed (no space left, an unreadable record) or was stopped; the image is as it was."""


class Answered(RequestError):
    """A cycle's question that was answered, skipped or timed out already: the first word stands."""


class Internal(RequestError):
    """A bug, or a part the kernel lacks; logged with its traceback."""


#: Exception type -> wire code. The first entry the exception is an instance of wins, so each
#: type comes before its bases (``tests/test_errors.py`` checks that none is hidden by an earlier one).
CODES: tuple[tuple[type[BaseException], str], ...] = (
    # requests, answered as they are
    (BadRequest, "bad_request"),
    (UnknownCommand, "unknown_command"),
    (NotFound, "not_found"),
    (DoesNotUnderstand, "not_understood"),
    (MethodError, "method_error"),
    (TooLarge, "too_large"),
    (Busy, "busy"),
    (Timeout, "timeout"),
    (ShuttingDown, "shutting_down"),
    (CycleFailed, "cycle_failed"),
    (BadEncoding, "bad_encoding"),
    (NoJail, "jail_unavailable"),
    (BackupFailed, "backup_failed"),
    (PackRefused, "pack_refused"),
    (PackFailed, "pack_failed"),
    (SelfCheckFailed, "self_check_failed"),
    (Protected, "protected"),
    (CodeRefused, "code_refused"),
    (TestsFailed, "tests_failed"),
    (Answered, "answered"),
    (Internal, "internal"),
    # persona models (ask and translate answer them with the persona)
    (NoModel, "no_model"),
    (ModelUnavailable, "model_unavailable"),
    (ModelTooLarge, "model_too_large"),
    (DownloadFailed, "download_failed"),
    (ModelError, "model_error"),
    (LLMError, "llm_error"),
    # the jail (a send translates them with the selector in the message)
    (JailTimeout, "timeout"),
    (JailUnavailable, "jail_unavailable"),
    (MethodRaised, "method_error"),
    (JailError, "internal"),
    # a conflict that reached a reply without its retries (transact turns the others into Busy)
    (TransientError, "busy"),
    (BatosError, "internal"),
)

def code_of(exc: BaseException) -> str:
    """The wire code of ``exc``: its first match in :data:`CODES`; anything else is ``internal``."""
    for kind, code in CODES:
        if isinstance(exc, kind):
            return code
    return "internal"


def reply_of(exc: BaseException) -> tuple[str, str, dict[str, Any]]:
    """``(code, message, details)`` of the error reply to ``exc``.

    An exception that is not a :class:`BatosError` is a bug: it answers
    ``internal`` with its type and message and is logged with its traceback.
    """
    if isinstance(exc, BatosError):
        code = code_of(exc)
        if code == "internal":
            logger.error("internal error: %s", exc)
        return code, str(exc), dict(exc.details)
    if isinstance(exc, TransientError):
        return "busy", f"conflicting writes: {exc}", {}
    logger.error("internal error: %s: %s", type(exc).__name__, exc, exc_info=exc)
    return "internal", f"internal error: {type(exc).__name__}: {exc}", {}


def _describe(obj: Any) -> str:
    describe = getattr(type(obj), "describe_short", None)
    if describe is not None:
        try:
            return describe(obj)
        except Exception:  # noqa: BLE001 - describing must never fail
            pass
    return type(obj).__name__

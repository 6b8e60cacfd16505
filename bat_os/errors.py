"""The exception tree of BAT OS, in one place.

    BatosError
    ├── ConfigError              a setting has a bad value (names the setting)
    ├── ImageError               the image cannot be opened (corrupt, locked, unreadable)
    ├── BackupError              a backup or restore failed (repozo, the blob mirror, the backup directory)
    │   ├── BackupNotFound       no backup with that id, or none at all in the backup directory
    │   └── ImageInUse           restore refused: a process holds the image's lock (stop the kernel first)
    ├── RunsInJail               a generated method was about to run in the kernel process (it must not)
    ├── EmbedderUnavailable      the embedding model cannot be loaded (package missing, bad path or model)
    ├── LLMError                 a model call failed (no matching cassette line, backend down...)
    │   └── ModelError           a persona model cannot be imported, stored, verified or loaded
    │       ├── NoModel          the persona has no model in the image (says how to import one)
    │       ├── ModelUnavailable its stored files fail verification, or loading it failed
    │       ├── ModelTooLarge    it does not fit the memory budget even alone
    │       └── DownloadFailed   the hub could not be reached or refused (no network, unknown id)
    ├── JailError                generated code could not run to completion in the jail
    │   ├── JailTimeout          past its wall-clock or CPU-time limit
    │   ├── JailMemory           past its memory limit
    │   ├── JailCrash            the worker died (signal, protocol violation)
    │   ├── JailUnavailable      this platform cannot run the jail (Windows: no fork, SCM_RIGHTS, POSIX limits)
    │   └── MethodRaised         the code raised; ``error_type`` and ``message`` say what
    └── RequestError             answered to a client as {"status": "error", "error": {code, message}}
        ├── BadRequest           code "bad_request": malformed request or wrong field types
        ├── UnknownCommand       code "unknown_command"
        ├── NotFound             code "not_found": unknown target
        ├── DoesNotUnderstand    code "not_understood": no object in the delegation chain has the selector
        ├── MethodError          code "method_error": the method ran and raised
        ├── TooLarge             code "too_large": frame over the configured limit
        ├── Busy                 code "busy": the request queue is full
        ├── Timeout              code "timeout": the request's deadline passed
        ├── ShuttingDown         code "shutting_down": the kernel is stopping
        ├── CycleFailed          code "cycle_failed": a cognitive cycle ended FAILED (state, reasons, cycle)
        ├── BadEncoding          code "bad_encoding": ingest got binary data or text that is not UTF-8
        ├── NoJail               code "jail_unavailable": a generated method or a new one, where the jail cannot run
        ├── BackupFailed         code "backup_failed": the backup command failed (its BackupError's message)
        ├── SelfCheckFailed      code "self_check_failed": migrations missing or an installed method no longer compiles
        └── Internal             code "internal": a bug; logged with its traceback

Transient errors (worth retrying after an abort) are recognised by type in
:mod:`bat_os.image` (``ZODB.POSException.ConflictError`` is a
``transaction.interfaces.TransientError``); they never reach a client unless
the retries are exhausted, and then as ``busy``.
"""

from __future__ import annotations

from typing import Any


class BatosError(Exception):
    """Base of every error BAT OS raises on purpose."""


class ConfigError(BatosError):
    """A configuration value is invalid. ``setting`` names it."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"invalid setting {setting!r}: {message}")
        self.setting = setting


class ImageError(BatosError):
    """The living image cannot be opened safely. The file is never overwritten."""


class BackupError(BatosError):
    """A backup or a restore failed; the message says why (see :mod:`bat_os.backup`)."""


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

    code = "llm_error"


class ModelError(LLMError):
    """A persona model cannot be imported, stored, verified or loaded."""

    code = "model_error"


class NoModel(ModelError):
    """The persona has no model in the image."""

    code = "no_model"

    def __init__(self, persona: str, message: str | None = None) -> None:
        super().__init__(
            message
            or f"persona {persona} has no model in the image; import one with:"
            f" python batos.py models import {persona} <directory or Hugging Face id>"
        )
        self.persona = persona


class ModelUnavailable(ModelError):
    """The persona's model failed verification or loading; ``reason`` says why. The kernel keeps running."""

    code = "model_unavailable"


class ModelTooLarge(ModelError):
    """The model does not fit the configured memory budget even when nothing else is resident."""

    code = "model_too_large"


class DownloadFailed(ModelError):
    """A download from the Hugging Face hub failed (no network, unknown or gated id)."""

    code = "download_failed"


class JailError(BatosError):
    """Generated code did not complete in the jail."""

    code = "internal"


class JailTimeout(JailError):
    code = "timeout"


class JailMemory(JailError):
    code = "internal"


class JailCrash(JailError):
    code = "internal"


class JailUnavailable(JailError):
    """The jail cannot run on this platform; the message says what is missing (see ``jail.unavailable_reason``)."""

    code = "jail_unavailable"


class MethodRaised(JailError):
    """The jailed code raised an exception (reported by type name and message)."""

    code = "method_error"

    def __init__(self, error_type: str, message: str, traceback: str = "") -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message
        self.traceback = traceback


class RequestError(BatosError):
    """An error answered to a client. Subclasses fix the wire ``code``."""

    code = "internal"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(RequestError):
    code = "bad_request"


class UnknownCommand(RequestError):
    code = "unknown_command"


class NotFound(RequestError):
    code = "not_found"


class DoesNotUnderstand(RequestError):
    """No object in the receiver's delegation chain understands ``selector``.

    Carries everything needed to turn the failed send into a mission: the
    receiver (the object itself), the selector, and the arguments.
    """

    code = "not_understood"

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
    code = "method_error"


class TooLarge(RequestError):
    code = "too_large"


class Busy(RequestError):
    code = "busy"


class Timeout(RequestError):
    code = "timeout"


class ShuttingDown(RequestError):
    code = "shutting_down"


class CycleFailed(RequestError):
    code = "cycle_failed"


class BadEncoding(RequestError):
    code = "bad_encoding"


class NoJail(RequestError):
    """A generated method was sent, or a message nobody understands, to a kernel whose jail cannot run here."""

    code = "jail_unavailable"


class SelfCheckFailed(RequestError):
    """``selfcheck`` found the image unfit for this code (see :mod:`bat_os.selfcheck`)."""

    code = "self_check_failed"


class BackupFailed(RequestError):
    code = "backup_failed"


class Internal(RequestError):
    code = "internal"


def _describe(obj: Any) -> str:
    describe = getattr(type(obj), "describe_short", None)
    if describe is not None:
        try:
            return describe(obj)
        except Exception:  # noqa: BLE001 - describing must never fail
            pass
    return type(obj).__name__

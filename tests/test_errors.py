"""The one error table: exception type -> wire code, most specific first; every code documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from transaction.interfaces import TransientError
from ZODB.POSException import ConflictError

from bat_os import errors, protocol
from bat_os.errors import (
    CODES, BackupError, BadRequest, BatosError, CycleFailed, DataSlotCalled, DoesNotUnderstand, DownloadFailed,
    Internal, JailCrash, JailMemory, JailTimeout, JailUnavailable, LLMError, MethodRaised, ModelError, ModelTooLarge,
    ModelUnavailable, NoJail, NoModel, code_of, reply_of,
)

PROTOCOL_DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def _every_error_class() -> list[type]:
    found, stack = [], [BatosError]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__ == "bat_os.errors"]


def test_no_entry_is_hidden_by_an_earlier_base():
    """First match wins, so a subclass listed after one of its bases would never be reached."""
    for i, (kind, _code) in enumerate(CODES):
        for earlier, _ in CODES[:i]:
            assert not issubclass(kind, earlier), f"{kind.__name__} comes after its base {earlier.__name__}"


@pytest.mark.parametrize("exc, code", [
    (BadRequest("x"), "bad_request"),
    (DataSlotCalled("x"), "bad_request"),
    (NoModel("ROBIN"), "no_model"),
    (ModelUnavailable("x"), "model_unavailable"),
    (ModelTooLarge("x"), "model_too_large"),
    (DownloadFailed("x"), "download_failed"),
    (ModelError("x"), "model_error"),
    (LLMError("x"), "llm_error"),
    (JailTimeout("x"), "timeout"),
    (JailUnavailable("x"), "jail_unavailable"),
    (NoJail("x"), "jail_unavailable"),
    (MethodRaised("ValueError", "no"), "method_error"),
    (JailMemory("x"), "internal"),
    (JailCrash("x"), "internal"),
    (BackupError("x"), "internal"),
    (Internal("x"), "internal"),
    (ConflictError(), "busy"),
    (ValueError("a bug"), "internal"),
])
def test_codes_follow_the_type(exc, code):
    assert code_of(exc) == code
    if isinstance(exc, BatosError):
        assert exc.code == code


def test_a_message_never_decides_the_code():
    assert code_of(BadRequest("internal error: out of memory; data slot")) == "bad_request"
    assert code_of(LLMError("CUDA out of memory")) == "llm_error"


def test_reply_of_carries_message_and_details_and_codes_bugs_internal(caplog):
    assert reply_of(CycleFailed("cycle c1 failed", cycle="c1", state="VALIDATING", reasons=["r"])) == (
        "cycle_failed", "cycle c1 failed", {"cycle": "c1", "state": "VALIDATING", "reasons": ["r"]})
    exc = NoModel("ROBIN")
    exc.details["persona"] = "ROBIN"
    code, message, details = reply_of(exc)
    assert code == "no_model" and "python batos.py models import ROBIN" in message and details == {"persona": "ROBIN"}
    assert reply_of(DoesNotUnderstand(object(), "fly"))[2]["selector"] == "fly"
    with caplog.at_level("ERROR", logger="bat_os.errors"):
        code, message, details = reply_of(KeyError("boom"))
    assert (code, details) == ("internal", {}) and message == "internal error: KeyError: 'boom'"
    assert any(record.exc_info for record in caplog.records), "a bug is logged with its traceback"
    assert reply_of(ConflictError())[0] == "busy" and isinstance(ConflictError(), TransientError)


def test_every_code_the_kernel_can_send_is_in_the_protocol_and_its_docs():
    sendable = {code for _kind, code in CODES} | {"internal"}
    assert sendable <= set(protocol.ERROR_CODES)
    assert len(protocol.ERROR_CODES) == len(set(protocol.ERROR_CODES))
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", PROTOCOL_DOC.read_text(), re.M))
    assert set(protocol.ERROR_CODES) == documented, (
        f"missing from docs/protocol.md: {set(protocol.ERROR_CODES) - documented}; "
        f"documented but never sent: {documented - set(protocol.ERROR_CODES)}")


def test_every_error_class_has_a_code_and_a_docstring():
    for cls in _every_error_class():
        assert cls.__doc__, f"{cls.__name__} has no docstring"
        assert code_of(cls.__new__(cls)) in protocol.ERROR_CODES


def test_the_kernel_decides_codes_in_one_place():
    """No module but errors.py maps exceptions to codes or decides by the text of a message."""
    package = Path(errors.__file__).resolve().parent
    offenders = []
    for path in package.rglob("*.py"):
        if path.name == "errors.py" or "console" in path.parts:
            continue
        text = path.read_text()
        for pattern in (r"\bcode = \"[a-z_]+\"", r"\.code = ", r"\bif [^\n]* in (?:str\(exc\)|exc\.message)", r"== \"\w+Error\""):
            for match in re.finditer(pattern, text):
                offenders.append(f"{path.relative_to(package)}: {match.group(0)}")
    assert offenders == []

"""Version agreement, deadlines and error mapping."""

from __future__ import annotations

import pytest

from stui.protocol import (
    Busy,
    ErrorCode,
    ErrorReply,
    EvalError,
    EvalErrorKind,
    EvaluationFailed,
    NoSession,
    RemoteError,
    Unauthorized,
    VersionMismatch,
    check_compatible,
)
from stui.protocol.limits import MAX_FRAME, MAX_PRINT, PROTOCOL_VERSION


def test_constants() -> None:
    assert PROTOCOL_VERSION == "1.0"
    assert MAX_FRAME == 16 * 1024 * 1024
    assert MAX_PRINT == 100_000


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.42"])
def test_same_major_is_compatible(version: str) -> None:
    check_compatible(version)


@pytest.mark.parametrize("version", ["2.0", "0.9", "", "1", "x.y", "1.0.0", "v1.0"])
def test_other_majors_and_garbage_are_refused(version: str) -> None:
    with pytest.raises(VersionMismatch) as caught:
        check_compatible(version)
    assert caught.value.code == ErrorCode.VERSION_MISMATCH
    assert "1.0" in str(caught.value)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("unauthorized", Unauthorized),
        ("version_mismatch", VersionMismatch),
        ("no_session", NoSession),
        ("busy", Busy),
        ("internal", RemoteError),
        ("a_future_code", RemoteError),
    ],
)
def test_error_replies_map_to_exceptions(code: str, cls: type[RemoteError]) -> None:
    exc = RemoteError.from_reply(ErrorReply(id=7, code=code, message="why"))
    assert type(exc) is cls
    assert (exc.code, exc.message, exc.request_id) == (code, "why", 7)
    assert code in str(exc)
    assert "why" in str(exc)


def test_error_codes_compare_as_strings() -> None:
    match ErrorReply(id=1, code="busy", message="m"):
        case ErrorReply(code=ErrorCode.BUSY):
            pass
        case _:
            pytest.fail("StrEnum value pattern did not match")


def test_evaluation_failed_describes_the_error() -> None:
    error = EvalError(id=1, kind=EvalErrorKind.SYNTAX, message="Nothing more expected", position=4)
    exc = EvaluationFailed(error)
    assert exc.error is error
    assert str(exc) == "syntax error at 4: Nothing more expected"

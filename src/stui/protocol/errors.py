"""Error codes of the wire protocol and the exceptions that carry them.

Subclasses of RemoteError exist only for the codes callers branch on; every other code
is a plain RemoteError whose ``code`` says which.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from stui.errors import Refused, StuiError

if TYPE_CHECKING:
    from stui.protocol.messages import ErrorReply, EvalError


class ErrorCode(StrEnum):
    """The ``code`` of an ``error`` reply (docs/protocol.md, "error")."""

    BAD_REQUEST = "bad_request"
    UNSUPPORTED = "unsupported"
    UNAUTHORIZED = "unauthorized"
    VERSION_MISMATCH = "version_mismatch"
    TOO_LARGE = "too_large"
    ENCODING = "encoding"
    NO_SESSION = "no_session"
    BUSY = "busy"
    NOT_FOUND = "not_found"
    INTERNAL = "internal"


class ProtocolError(Refused):
    code = "protocol"

    """A frame that is not a valid protocol message, or an unexpected reply.

    ``request_id`` is the id the frame carried, when one could be read, so a waiting
    request can fail at once instead of running into its deadline.
    """

    def __init__(self, message: str, *, request_id: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id


class RemoteError(Refused):
    """The image answered ``error``: ``code`` is an ErrorCode value (or a newer one)."""

    code_value: ClassVar[str] = ""

    def __init__(self, code: str, message: str, *, request_id: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id

    @staticmethod
    def from_reply(reply: ErrorReply) -> RemoteError:
        """The most specific exception for an ``error`` reply."""
        cls = _BY_CODE.get(reply.code, RemoteError)
        return cls(reply.code, reply.message, request_id=reply.id)


class Unauthorized(RemoteError):
    """No hello yet, or a wrong token; the image closes the connection."""

    code_value = ErrorCode.UNAUTHORIZED


class VersionMismatch(RemoteError):
    """The protocol majors differ (said by the image, or found by the client)."""

    code_value = ErrorCode.VERSION_MISMATCH


class NoSession(RemoteError):
    """The session does not exist, or belongs to another client."""

    code_value = ErrorCode.NO_SESSION


class Busy(RemoteError):
    """The session is already evaluating."""

    code_value = ErrorCode.BUSY


class NotFound(RemoteError):
    """No such class, method, selector, global or handle in the image."""

    code_value = ErrorCode.NOT_FOUND


_BY_CODE: dict[str, type[RemoteError]] = {
    cls.code_value: cls for cls in (Unauthorized, VersionMismatch, NoSession, Busy, NotFound)
}


class EvaluationFailed(StuiError):
    """The code did not evaluate: a syntax error, a runtime error, or an interrupt."""

    def __init__(self, error: EvalError) -> None:
        where = f" at {error.position}" if error.position is not None else ""
        super().__init__(f"{error.kind} error{where}: {error.message}")
        self.error = error

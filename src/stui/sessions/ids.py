"""Shapes of the ids the sessions layer stores.

A session id may become part of a file name (exports, per-session logs), so it is held to
a strict lowercase alphabet. Image, client and image-side session ids come from outside
(an image, the protocol) and are only held to a safe printable alphabet and a length.
"""

from __future__ import annotations

import re
import uuid

from stui.sessions.errors import InvalidIdError, InvalidSessionId

SESSION_ID = re.compile(r"[a-z0-9-]{1,64}")
EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def new_session_id() -> str:
    """A fresh client-side session id (a UUID, which fits `SESSION_ID`)."""
    return str(uuid.uuid4())


def check_session_id(value: object) -> str:
    """Return `value` if it is a valid session id, else raise `InvalidSessionId`."""
    if isinstance(value, str) and SESSION_ID.fullmatch(value):
        return value
    raise InvalidSessionId(
        f"invalid session id {value!r}: expected 1 to 64 characters from a-z, 0-9 and '-'"
    )


def check_external_id(kind: str, value: object) -> str:
    """Return `value` if it is a valid image/client/image-session id, else raise."""
    if isinstance(value, str) and EXTERNAL_ID.fullmatch(value):
        return value
    raise InvalidIdError(
        f"invalid {kind} {value!r}: expected 1 to 128 characters from A-Z, a-z, 0-9 and "
        "'.', '_', ':', '-', starting with a letter or digit"
    )

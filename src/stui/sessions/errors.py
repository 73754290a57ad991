"""Errors of the client-side session layer.

Every failure a caller can act on has its own type, and every message says what was
wrong and with which file or id, so the CLI and TUI can show it as is.
"""

from __future__ import annotations

from pathlib import Path

from stui.errors import StuiError


class SessionsError(StuiError):
    """Base of everything the sessions layer raises on purpose."""


class StoreError(SessionsError):
    """The session store file cannot be used."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"session store {path}: {message}")


class NotSQLiteError(StoreError):
    """The file exists but is not an SQLite database (it is never overwritten)."""


class ForeignDatabaseError(StoreError):
    """An SQLite database that another program made (it is never migrated)."""


class NewerSchemaError(StoreError):
    """The store was written by a newer STUI whose schema this one does not know."""

    def __init__(self, path: Path, found: int, known: int) -> None:
        self.found = found
        self.known = known
        super().__init__(
            path,
            f"schema version {found} was written by a newer STUI; this one knows up to "
            f"version {known}. Upgrade STUI, or point STUI_HOME elsewhere.",
        )


class CorruptStoreError(StoreError):
    """SQLite reported damage while reading or writing the store."""


class StoreBusyError(StoreError):
    """Another process held the store locked for longer than the busy timeout."""


class InvalidArgument(SessionsError, ValueError):
    """A caller passed a value the sessions layer does not accept."""


class InvalidIdError(InvalidArgument):
    """An id that does not have the required shape."""


class InvalidSessionId(InvalidIdError):
    """A session id that could not safely become part of a file name."""


class InvalidStateError(InvalidArgument):
    """A session state that cannot be stored as JSON (e.g. a lone surrogate)."""


class SessionNotFound(SessionsError, LookupError):
    """No such session for this client (or it belongs to another image or client)."""


class SessionClosedError(SessionsError):
    """The session is closed; it can be listed but no longer used."""


class AmbiguousSession(SessionsError, LookupError):
    """A label or id prefix that names more than one session."""

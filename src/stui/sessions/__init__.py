"""Client-side sessions: what survives restarts of STUI and of the images.

`SessionStore` is the SQLite file (schema, migrations, transactions); `SessionManager`
holds the rules (statuses, transitions, cleanups) and is what the images layer and the
UI call. See docs/sessions.md.
"""

from stui.sessions.errors import (
    CorruptStoreError,
    ForeignDatabaseError,
    InvalidArgument,
    InvalidIdError,
    InvalidSessionId,
    InvalidStateError,
    NewerSchemaError,
    NotSQLiteError,
    SessionClosedError,
    SessionNotFound,
    SessionsError,
    StoreBusyError,
    StoreError,
)
from stui.sessions.manager import SessionManager
from stui.sessions.records import (
    CleanupRecord,
    ConnectionEvent,
    ImageRecord,
    Reconnection,
    Session,
    SessionCounts,
    SessionInfo,
)
from stui.sessions.state import HistoryEntry, OpenTool, Selection, SessionState, Transfer
from stui.sessions.store import SessionStore

__all__ = [
    "CleanupRecord",
    "ConnectionEvent",
    "CorruptStoreError",
    "ForeignDatabaseError",
    "HistoryEntry",
    "ImageRecord",
    "InvalidArgument",
    "InvalidIdError",
    "InvalidSessionId",
    "InvalidStateError",
    "NewerSchemaError",
    "NotSQLiteError",
    "OpenTool",
    "Reconnection",
    "Selection",
    "Session",
    "SessionClosedError",
    "SessionCounts",
    "SessionInfo",
    "SessionManager",
    "SessionNotFound",
    "SessionState",
    "SessionStore",
    "SessionsError",
    "StoreBusyError",
    "StoreError",
    "Transfer",
]

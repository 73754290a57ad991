"""Every message of docs/protocol.md as a tagged msgspec Struct.

The JSON field ``type`` selects the variant; code branches on it with ``match``.
Requests leave an optional field out of the frame when it is UNSET (so the image
applies its default); responses read an absent optional field as None. Unknown
fields are ignored in both directions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType, field

from stui.protocol.limits import MAX_FRAME, MAX_PRINT

# An instant in UTC: "2026-11-22T02:10:00Z", optionally with a fraction of a second.
# Checked when a frame is decoded (not when a Struct is built in Python).
Timestamp = Annotated[
    str,
    msgspec.Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$"),
]


class EvalMode(StrEnum):
    DO = "do"
    PRINT = "print"


class EvalErrorKind(StrEnum):
    SYNTAX = "syntax"
    RUNTIME = "runtime"
    INTERRUPTED = "interrupted"


class CleanupScope(StrEnum):
    ORPHANED = "orphaned"
    EXPIRED = "expired"
    OLDER_THAN = "older_than"


class Message(msgspec.Struct, tag_field="type", frozen=True, kw_only=True):
    """Base of every wire variant; ``type`` is its tag."""


# --------------------------------------------------------------------------- requests


class Hello(Message, tag="hello", kw_only=True):
    id: int = 0
    client_id: str
    protocol: str
    token: str


class Ping(Message, tag="ping", kw_only=True):
    id: int = 0


class Evaluate(Message, tag="evaluate", kw_only=True):
    id: int = 0
    code: str
    mode: EvalMode = EvalMode.PRINT
    session: str | UnsetType = UNSET
    max_print: int | UnsetType = UNSET


class Interrupt(Message, tag="interrupt", kw_only=True):
    id: int = 0
    session: str | UnsetType = UNSET


class SessionCreate(Message, tag="session.create", kw_only=True):
    id: int = 0
    label: str | UnsetType = UNSET


class SessionAttach(Message, tag="session.attach", kw_only=True):
    id: int = 0
    session: str


class SessionClose(Message, tag="session.close", kw_only=True):
    id: int = 0
    session: str


class SessionList(Message, tag="session.list", kw_only=True):
    id: int = 0
    include_orphaned: bool = False


class SessionStats(Message, tag="session.stats", kw_only=True):
    id: int = 0


class SessionCleanup(Message, tag="session.cleanup", kw_only=True):
    id: int = 0
    scope: CleanupScope
    hours: float | UnsetType = UNSET


Request = (
    Hello
    | Ping
    | Evaluate
    | Interrupt
    | SessionCreate
    | SessionAttach
    | SessionClose
    | SessionList
    | SessionStats
    | SessionCleanup
)

# --------------------------------------------------------------------------- payloads


class ImageInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Who the image is: ``image_id`` survives restarts, ``instance_id`` does not."""

    image_id: str
    instance_id: str
    name: str | None = None
    dialect: str | None = None
    version: str | None = None
    image_path: str | None = None
    pid: int | None = None
    started_at: Timestamp | None = None
    port: int | None = None


class ServerLimits(msgspec.Struct, frozen=True, kw_only=True):
    max_frame: int = MAX_FRAME
    max_print: int = MAX_PRINT


class SessionInfo(msgspec.Struct, frozen=True, kw_only=True):
    """An image-side session as the image reports it."""

    id: str
    client_id: str
    status: str
    created_at: Timestamp
    last_activity: Timestamp
    bindings: int
    label: str | None = None


# --------------------------------------------------------------------------- responses


class Welcome(Message, tag="welcome", kw_only=True):
    id: int
    protocol: str
    image: ImageInfo
    capabilities: list[str] = []
    limits: ServerLimits = ServerLimits()


class Pong(Message, tag="pong", kw_only=True):
    id: int
    uptime_ms: int
    busy: bool
    sessions: int
    unsaved: bool | None = None  # changes since the last save; None: not reported


class Result(Message, tag="result", kw_only=True):
    id: int
    value: str | None = None
    class_: str = field(name="class")
    truncated: bool
    elapsed_ms: int


class EvalError(Message, tag="eval_error", kw_only=True):
    id: int
    kind: EvalErrorKind
    message: str
    position: int | None = None
    error_class: str | None = None
    receiver: str | None = None
    stack: list[str] = []


class Interrupted(Message, tag="interrupted", kw_only=True):
    id: int
    was_running: bool


class SessionReply(Message, tag="session", kw_only=True):
    """Answer to ``session.create`` and ``session.attach``."""

    id: int
    session: SessionInfo


class Closed(Message, tag="closed", kw_only=True):
    id: int
    session: str


class SessionListReply(Message, tag="sessions", kw_only=True):
    id: int
    sessions: list[SessionInfo]


class SessionStatsReply(Message, tag="session_stats", kw_only=True):
    id: int
    total: int
    active: int
    orphaned: int
    context_size: int
    last_activity: Timestamp | None = None


class Cleaned(Message, tag="cleaned", kw_only=True):
    id: int
    cleaned: int
    remaining: int


class ErrorReply(Message, tag="error", kw_only=True):
    """``id`` is None when the image could not read the request's id."""

    id: int | None = None
    code: str
    message: str


Response = (
    Welcome
    | Pong
    | Result
    | EvalError
    | Interrupted
    | SessionReply
    | Closed
    | SessionListReply
    | SessionStatsReply
    | Cleaned
    | ErrorReply
)

# --------------------------------------------------------------------------- events


class Transcript(Message, tag="transcript", kw_only=True):
    text: str


Event = Transcript

Incoming = Response | Event


class Unknown(msgspec.Struct, frozen=True, kw_only=True):
    """A well-formed message of a type this client does not know (a newer peer)."""

    type: str
    id: int | None = None
    data: dict[str, Any] = {}


def type_tag(message: Message) -> str:
    """The wire ``type`` of a message."""
    return type(message).__struct_config__.tag  # type: ignore[return-value]

"""What the sessions layer hands back: plain, immutable records of stored rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, get_args

import msgspec

from stui.sessions.state import SessionState
from stui.status import ConnectionStatus

SessionStatus = Literal["active", "detached", "orphaned", "closed"]
SESSION_STATUSES: tuple[SessionStatus, ...] = get_args(SessionStatus)

CleanupKind = Literal["orphaned", "older_than"]


class SessionInfo(msgspec.Struct, frozen=True):
    """A session without its state: cheap to list by the thousand.

    `last_seen_at` is the last time the session was used (created, restored, reconnected,
    state saved); `updated_at` is the last change of the row for any reason.
    """

    id: str
    image_id: str
    client_id: str
    image_session_id: str | None
    label: str | None
    status: SessionStatus
    created_at: datetime
    updated_at: datetime
    last_seen_at: datetime
    state_bytes: int


class Session(SessionInfo, frozen=True):
    """A session together with its saved client-side state."""

    state: SessionState


class SessionCounts(msgspec.Struct, frozen=True):
    """Counts by status for one image (or all), the stored state size and last use."""

    image_id: str | None
    total: int
    active: int
    detached: int
    orphaned: int
    closed: int
    state_bytes: int
    last_activity: datetime | None


class CleanupRecord(msgspec.Struct, frozen=True):
    """One cleanup: when, for which image (None: all), why, and what it removed.

    `remaining` counts the client's sessions in the same image scope that are left and
    not closed.
    """

    id: int
    at: datetime
    image_id: str | None
    client_id: str
    scope: CleanupKind
    older_than: timedelta | None
    policy: bool
    cleaned: int
    remaining: int
    session_ids: list[str]


class ConnectionEvent(msgspec.Struct, frozen=True):
    """A change of an image's connection status, as the images layer reported it.

    `event` is a ConnectionStatus value, or "restarted" when the image came back as a
    new instance (its image-side sessions and workspace variables were lost).
    """

    id: int
    image_id: str
    at: datetime
    event: str
    reason: str | None
    instance_id: str | None


class ImageRecord(msgspec.Struct, frozen=True):
    """What is remembered about an image between runs of STUI."""

    image_id: str
    name: str | None
    address: str | None
    dialect: str | None
    instance_id: str | None
    last_seen_at: datetime | None
    status: ConnectionStatus
    metadata: dict[str, Any]


class Reconnection(msgspec.Struct, frozen=True):
    """The outcome of `handle_reconnection`.

    When `instance_changed` is true the image was restarted: its image-side sessions are
    gone, every returned session has `image_session_id` None, and the caller creates a
    new image-side session for each and binds it with `bind_image_session`. Otherwise the
    caller re-attaches to the recorded `image_session_id`.
    """

    image_id: str
    instance_id: str
    previous_instance_id: str | None
    instance_changed: bool
    sessions: list[Session]

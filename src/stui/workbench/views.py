"""ImageView: an immutable snapshot of one image, for the CLI and the TUI to render."""

from __future__ import annotations

import msgspec

from stui.images.registry import ImageEntry, StatusChange
from stui.status import ConnectionStatus


class Latency(msgspec.Struct, frozen=True):
    """Ping round trips in seconds (None before the first pong)."""

    last: float | None = None
    p50: float | None = None
    p99: float | None = None


class StatusChangeView(msgspec.Struct, frozen=True):
    at: float
    status: ConnectionStatus
    reason: str
    instance_id: str | None


class ImageView(msgspec.Struct, frozen=True):
    name: str
    status: ConnectionStatus
    source: str  # "local", "added" or "known" (remembered from an earlier run)
    address: str | None
    image_id: str | None
    instance_id: str | None
    dialect: str | None
    version: str | None
    image_path: str | None
    pid: int | None
    latency: Latency
    image_sessions: int | None
    busy: bool
    unsaved: bool | None
    duplicates: tuple[str, ...]
    last_error: str | None
    history: tuple[StatusChangeView, ...]


def view_of(entry: ImageEntry, duplicates: tuple[str, ...]) -> ImageView:
    ident = entry.identity
    record = entry.record
    lat = entry.latency
    return ImageView(
        name=entry.name,
        status=entry.status,
        source=entry.endpoint.source if entry.endpoint else "known",
        address=entry.endpoint.address if entry.endpoint else (record and record.address),
        image_id=entry.image_id,
        instance_id=ident.instance_id if ident else (record and record.instance_id),
        dialect=ident.dialect if ident else (record and record.dialect),
        version=ident.version if ident else (record and record.metadata.get("version")),
        image_path=ident.image_path if ident else (record and record.metadata.get("image_path")),
        pid=ident.pid if ident else None,
        latency=Latency(lat.last, lat.p50, lat.p99),
        image_sessions=entry.sessions,
        busy=entry.busy,
        unsaved=entry.unsaved,
        duplicates=duplicates,
        last_error=entry.last_error,
        history=tuple(_change(c) for c in entry.history),
    )


def _change(change: StatusChange) -> StatusChangeView:
    return StatusChangeView(change.at, change.status, change.reason, change.instance_id)

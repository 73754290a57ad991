"""What the workbench publishes to its subscribers (the TUI), as one tagged union."""

from __future__ import annotations

from typing import Literal

import msgspec

from stui.protocol import Event, Unknown
from stui.workbench.views import ImageView

NoticeLevel = Literal["information", "warning", "error"]


class ImageChanged(msgspec.Struct, frozen=True, tag="image_changed"):
    """An image's status, latency, identity or session count changed."""

    name: str
    view: ImageView


class SessionsChanged(msgspec.Struct, frozen=True, tag="sessions_changed"):
    """Sessions of an image (None: several) were created, closed, cleaned or re-bound."""

    image_id: str | None


class ImagePushed(msgspec.Struct, frozen=True, tag="image_pushed"):
    """Something the image pushed on its own, e.g. Transcript output."""

    name: str
    event: Event | Unknown


class Notice(msgspec.Struct, frozen=True, tag="notice"):
    """One message for a person, said once: an image went away, or restarted."""

    name: str
    text: str
    level: NoticeLevel = "information"


WorkbenchEvent = ImageChanged | SessionsChanged | ImagePushed | Notice

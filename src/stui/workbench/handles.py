"""SessionHandle: what the tools need to work in one session of one image."""

from __future__ import annotations

from dataclasses import dataclass

from stui.sessions.manager import SessionManager
from stui.transport import ImageClient


@dataclass(frozen=True)
class RestartNotice:
    """The image restarted since this session last ran: its workspace variables are gone."""

    image: str
    instance_id: str
    previous_instance_id: str | None
    lost_variables: tuple[str, ...]

    def describe(self) -> str:
        lost = ", ".join(self.lost_variables) or "none recorded"
        return (
            f"{self.image} restarted (new instance {self.instance_id[:8]}); "
            f"workspace variables lost: {lost}"
        )


@dataclass
class SessionHandle:
    """One client session bound to its image-side session on a live client.

    `restarted` is set once, on the first handle after the image restarted.
    """

    image: str
    image_id: str
    session_id: str
    image_session_id: str
    dialect: str | None
    client: ImageClient
    sessions: SessionManager
    restarted: RestartNotice | None = None

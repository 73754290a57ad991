"""Bringing an image's sessions back after a (re)connection.

Same instance: the image-side sessions still exist, so re-attach to them. New instance
(the image restarted): their bindings and handles are gone, so create new image-side
sessions and bind them to the client-side sessions, whose state (workspace, history,
open tools) lives on in the store.
"""

from __future__ import annotations

from stui.protocol.errors import NoSession
from stui.sessions.manager import SessionManager
from stui.sessions.records import Reconnection, Session
from stui.transport import ImageClient


async def restore_sessions(
    conn: ImageClient, manager: SessionManager, image_id: str, instance_id: str
) -> Reconnection:
    reconnection = manager.handle_reconnection(image_id, instance_id)
    for session in reconnection.sessions:
        await ensure_image_session(conn, manager, session, reconnection.instance_changed)
    return reconnection


async def ensure_image_session(
    conn: ImageClient, manager: SessionManager, session: Session, restarted: bool = False
) -> str:
    """Answer the image-side session id of a client session, attaching or creating it."""
    if session.image_session_id and not restarted:
        try:
            await conn.session_attach(session.image_session_id)
            return session.image_session_id
        except NoSession:
            pass  # the image expired or lost it: create a new one below
    info = await conn.session_create(label=session.label or session.id)
    manager.bind_image_session(session.id, info.id)
    return info.id

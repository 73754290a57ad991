"""Evaluate in a client session: the image-side session is found or made, and the
evaluation lands in the session's history, so it survives restarts on both sides."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from stui.images.sync import ensure_image_session
from stui.protocol.errors import EvaluationFailed, NoSession
from stui.protocol.messages import EvalError, EvalMode, Result
from stui.sessions.manager import SessionManager
from stui.sessions.state import HistoryEntry
from stui.transport import ImageClient

HISTORY_LIMIT = 1000


async def evaluate_in_session(
    conn: ImageClient,
    manager: SessionManager,
    session_id: str,
    code: str,
    mode: EvalMode = EvalMode.PRINT,
    timeout: float | None = None,
) -> Result | EvalError:
    """Evaluate code in a client session; answer the Result or the EvalError.

    An image-side session that has expired meanwhile is re-created once.
    """
    session = manager.get_session(session_id)
    image_session = await ensure_image_session(conn, manager, session)
    try:
        reply = await _evaluate(conn, code, mode, image_session, timeout)
    except NoSession:
        manager.bind_image_session(session_id, None)
        session = manager.get_session(session_id)
        image_session = await ensure_image_session(conn, manager, session)
        reply = await _evaluate(conn, code, mode, image_session, timeout)
    record(manager, session_id, code, mode, reply)
    return reply


async def _evaluate(
    conn: ImageClient, code: str, mode: EvalMode, session: str, timeout: float | None
) -> Result | EvalError:
    try:
        return await conn.evaluate(code, mode=mode, session=session, timeout=timeout)
    except EvaluationFailed as e:
        return e.error


def record(
    manager: SessionManager, session_id: str, code: str, mode: EvalMode, reply: Result | EvalError
) -> None:
    """Append the evaluation to the session's history (bounded) and save the state."""
    match reply:
        case Result(value=value):
            result = value
        case EvalError(kind=kind, message=message):
            result = f"{kind} error: {message}"
    state = manager.get_session(session_id).state
    entry = HistoryEntry(code=code, mode=mode.value, result=result, at=datetime.now(UTC))
    history = [*state.history, entry][-HISTORY_LIMIT:]
    manager.save_state(session_id, msgspec.structs.replace(state, history=history))

"""Evaluate in a session: the one evaluation pipeline of the CLI and the TUI.

The image-side session is found or made by the workbench's handle; one that expired
meanwhile is re-created once. A timeout or a cancellation interrupts the evaluation in
the image before giving up. Every outcome, refusals and lost links included, lands in
the session's history, so it survives restarts on both sides.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Final

import msgspec

from stui.dialects import dialect
from stui.images.sync import ensure_image_session
from stui.protocol import (
    EvalError,
    EvalMode,
    Evaluate,
    NoSession,
    ProtocolError,
    RemoteError,
    Result,
)
from stui.sessions.errors import SessionsError
from stui.sessions.manager import Evaluation, SessionManager
from stui.sessions.state import HistoryEntry
from stui.tools.outcomes import (
    Evaluated,
    Failed,
    Interrupted,
    Lost,
    Outcome,
    Refused,
    TimedOut,
    summary,
)
from stui.transport import ConnectionTimeout, TransportError
from stui.workbench import SessionHandle

HISTORY_LIMIT: Final = 1000
INTERRUPT_TIMEOUT: Final = 2.0
DEFAULT_TIMEOUT: Final = 60.0

# `name :=` or Squeak's `name _` at the start of a statement; declared temporaries
# (`| a b |`) are not workspace variables.
_ASSIGNMENT = re.compile(r"(?:^|[.\[(|]\s*)([a-z][A-Za-z0-9]*)\s*(?::=|_(?![A-Za-z0-9]))", re.M)
_TEMPS = re.compile(r"^\s*\|([^|]*)\|")


class HistoryBatch:
    """Evaluations of many sessions to record together, in one store transaction.

    A broadcast's rows land here and are written once by `flush`: a write per row
    would cost every row about a millisecond of SQLite, which is what bounded how
    much fifty concurrent evaluations gained over fifty in a row.
    """

    def __init__(self, sessions: SessionManager) -> None:
        self._sessions = sessions
        self._entries: list[Evaluation] = []

    def add(self, handle: SessionHandle, code: str, mode: EvalMode, outcome: Outcome) -> None:
        self._entries.append(_evaluation(handle, code, mode, outcome))

    def flush(self) -> dict[str, str]:
        """Write what was added and start afresh; answer, by session id, why the store
        refused an entry (a session closed meanwhile, say): the others are written."""
        entries, self._entries = self._entries, []
        if not entries:
            return {}
        try:
            self._sessions.record_evaluations(entries, HISTORY_LIMIT)
            return {}
        except SessionsError:
            pass  # one bad entry refuses the batch: write them one by one
        refused: dict[str, str] = {}
        for entry in entries:
            try:
                self._sessions.record_evaluations([entry], HISTORY_LIMIT)
            except SessionsError as e:
                refused[entry[0]] = str(e)
        return refused


async def evaluate(
    handle: SessionHandle,
    code: str,
    mode: EvalMode | str = EvalMode.PRINT,
    timeout: float | None = None,
    receiver: int | None = None,
    history: HistoryBatch | None = None,
) -> Outcome:
    """Evaluate code in the handle's session and record the outcome in its history (at
    once, or in `history` for its caller to flush); `receiver`, a handle of the
    session, is `self` in the code (an inspector's pane)."""
    mode = EvalMode(mode)
    keep = record if history is None else history.add
    outcome = _refusal(handle, code)
    if outcome is None:
        try:
            outcome = await _run(handle, code, mode, timeout or DEFAULT_TIMEOUT, receiver)
        except asyncio.CancelledError:
            await interrupt(handle)
            keep(handle, code, mode, Interrupted("cancelled by the user"))
            raise
    keep(handle, code, mode, outcome)
    return outcome


async def interrupt(handle: SessionHandle) -> bool:
    """Interrupt what runs in the handle's session; answer whether the image said so."""
    try:
        reply = await asyncio.wait_for(
            handle.client.interrupt(handle.image_session_id), INTERRUPT_TIMEOUT
        )
    except (TransportError, RemoteError, ProtocolError, TimeoutError):
        return False
    return reply.was_running


def record(handle: SessionHandle, code: str, mode: EvalMode, outcome: Outcome) -> None:
    """Append the evaluation to the session's history (bounded) and note new variables."""
    handle.sessions.record_evaluations([_evaluation(handle, code, mode, outcome)], HISTORY_LIMIT)


def _evaluation(handle: SessionHandle, code: str, mode: EvalMode, outcome: Outcome) -> Evaluation:
    entry = HistoryEntry(code=code, mode=mode.value, result=summary(outcome), at=_now())
    bound = assigned_variables(code) if isinstance(outcome, Evaluated) else set()
    return handle.session_id, entry, bound


def assigned_variables(code: str) -> set[str]:
    """Names the code assigns at statement level that it does not declare."""
    declared = _TEMPS.match(code)
    temps = set(declared.group(1).split()) if declared else set()
    return {name for name in _ASSIGNMENT.findall(code) if name not in temps} - {
        "self",
        "super",
        "thisContext",
    }


def _refusal(handle: SessionHandle, code: str) -> Refused | None:
    """Refuse up front what the image cannot hold, naming the character."""
    known = dialect(handle.dialect)
    bad = known.check_text(code) if known is not None else None
    return None if bad is None else Refused("encoding", bad.describe("code"))


async def _run(
    handle: SessionHandle, code: str, mode: EvalMode, timeout: float, receiver: int | None = None
) -> Outcome:
    request = Evaluate(code=code, mode=mode, session=handle.image_session_id)
    if receiver is not None:
        request = msgspec.structs.replace(request, receiver=receiver)
    try:
        try:
            reply = await handle.client.call(request, timeout)
        except NoSession:
            await renew_image_session(handle)
            request = msgspec.structs.replace(request, session=handle.image_session_id)
            reply = await handle.client.call(request, timeout)
    except ConnectionTimeout:
        return TimedOut(timeout, await interrupt(handle))
    except (RemoteError, TransportError, ProtocolError) as e:
        return failure(e)
    return outcome(reply)


async def renew_image_session(handle: SessionHandle) -> None:
    """The image no longer knows the handle's image-side session (it expired, or was
    closed): make a new one for the same STUI session, once."""
    handle.sessions.bind_image_session(handle.session_id, None)
    session = handle.sessions.get_session(handle.session_id)
    handle.image_session_id = await ensure_image_session(handle.client, handle.sessions, session)


def failure(error: RemoteError | TransportError | ProtocolError) -> Refused | Lost:
    """A request that got no answer: refused by the image, or lost on the way."""
    match error:
        case RemoteError(code=code, message=message):
            return Refused(code, message)
        case _:
            return Lost(str(error))


def outcome(reply: object) -> Outcome:
    match reply:
        case Result(value=value, class_=class_name, truncated=truncated, elapsed_ms=ms):
            return Evaluated(value, class_name, truncated, ms)
        case EvalError(kind="interrupted", message=message):
            return Interrupted(message)
        case EvalError() as e:
            return Failed(e.kind, e.message, e.position, e.error_class, e.receiver, tuple(e.stack))
        case _:
            return Lost(f"unexpected reply {reply!r}")


def _now() -> datetime:
    return datetime.now(UTC)

"""The client-side state of one session, as it is saved and restored.

This is what survives a restart of the client or of the image: the workspace text, the
evaluation history, the open tools and their selections. Image-side state (variable
bindings, object handles) is not here; it lives in the image and is re-created there.
The state is stored as JSON; decoding what was encoded gives back an equal value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from stui.sessions.errors import InvalidStateError

EntryMode = Literal["do", "print", "inspect", "debug"]
TransferKind = Literal["clone", "move"]


class HistoryEntry(msgspec.Struct, frozen=True):
    """One evaluation: the code, how it was run and what it answered (None if nothing)."""

    code: str
    mode: EntryMode
    result: str | None
    at: datetime


class OpenTool(msgspec.Struct, frozen=True):
    """A tool window to reopen: `kind` names the tool, `target` what it shows."""

    kind: str
    target: str


class Selection(msgspec.Struct, frozen=True):
    """A selected character range [start, end) in a buffer or tool, 0-based."""

    start: int
    end: int


class Transfer(msgspec.Struct, frozen=True):
    """A session's passage to another image, kept in the history of both ends.

    A clone leaves the source as it was and starts a new session (`to_session`) on the
    target with the client state; a move re-binds the same session (`from_session` ==
    `to_session`) to the target. Either way the image-side workspace variables stay
    where they were bound: `variables_left` names them, so it is said, never silent.
    """

    kind: TransferKind
    from_session: str
    from_image: str
    to_session: str
    to_image: str
    at: datetime
    variables_left: list[str] = msgspec.field(default_factory=list)


class SessionState(msgspec.Struct, frozen=True):
    """Workspace buffers by name, history (oldest first), open tools and selections.

    `variables` names the workspace variables this client bound in the image-side
    session, so that an image restart can say which were lost. `transfers` is where the
    session was cloned or moved from and to, oldest first.
    """

    buffers: dict[str, str] = msgspec.field(default_factory=dict)
    history: list[HistoryEntry] = msgspec.field(default_factory=list)
    tools: list[OpenTool] = msgspec.field(default_factory=list)
    selections: dict[str, Selection] = msgspec.field(default_factory=dict)
    variables: list[str] = msgspec.field(default_factory=list)
    transfers: list[Transfer] = msgspec.field(default_factory=list)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(SessionState)


def encode_state(state: SessionState) -> str:
    """JSON text of `state`; raises `InvalidStateError` for text that UTF-8 cannot hold."""
    if not isinstance(state, SessionState):
        raise InvalidStateError(f"expected a SessionState, got {type(state).__name__}")
    try:
        return _encoder.encode(state).decode("utf-8")
    except (UnicodeEncodeError, TypeError, OverflowError) as exc:
        raise InvalidStateError(f"session state cannot be stored: {exc}") from exc


def decode_state(text: str | bytes) -> SessionState:
    """The state back from its JSON text; raises `msgspec.ValidationError` if it is bad."""
    return _decoder.decode(text)

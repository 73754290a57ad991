"""The one request -> reply table: what each request expects back, and how long it waits.

A new operation costs one message pair in `stui.protocol.messages`, one row here and
one handler in each dialect's server. `ImageClient.call` reads this table to check the
image offers the request, to pick the deadline, and to check the reply's type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from stui.protocol import messages as m


@dataclass(frozen=True)
class Operation:
    """A request type's expected replies (an ``error`` reply is always possible)."""

    replies: tuple[type[m.Message], ...]
    deadline: float  # seconds, when the caller gives no timeout
    always_offered: bool = False  # needs no capability (the handshake and the heartbeat)


DEFAULT_DEADLINE: Final = 10.0

OPERATIONS: Final[dict[type[m.Message], Operation]] = {
    m.Hello: Operation((m.Welcome,), 5.0, always_offered=True),
    m.Ping: Operation((m.Pong,), 2.0, always_offered=True),
    # mode inspect answers an inspection (docs/protocol.md, "IDE operations")
    m.Evaluate: Operation((m.Result, m.EvalError, m.Inspection, m.Suspended), 60.0),
    m.Interrupt: Operation((m.Interrupted,), DEFAULT_DEADLINE),
    m.SessionCreate: Operation((m.SessionReply,), DEFAULT_DEADLINE),
    m.SessionAttach: Operation((m.SessionReply,), DEFAULT_DEADLINE),
    m.SessionClose: Operation((m.Closed,), DEFAULT_DEADLINE),
    m.SessionList: Operation((m.SessionListReply,), DEFAULT_DEADLINE),
    m.SessionStats: Operation((m.SessionStatsReply,), DEFAULT_DEADLINE),
    m.SessionCleanup: Operation((m.Cleaned,), DEFAULT_DEADLINE),
    # IDE operations (docs/protocol.md, "IDE operations"). Lookups answer in
    # milliseconds; searches and the change log walk much more; a save writes the image.
    m.Inspect: Operation((m.Inspection,), DEFAULT_DEADLINE),
    m.InspectPage: Operation((m.InspectionPage,), DEFAULT_DEADLINE),
    m.Release: Operation((m.Released,), 5.0),
    m.BrowseCategories: Operation((m.Categories,), 5.0),
    m.BrowseClasses: Operation((m.Classes,), 5.0),
    m.BrowseProtocols: Operation((m.Protocols,), 5.0),
    m.BrowseSelectors: Operation((m.Selectors,), 5.0),
    m.BrowseDefinition: Operation((m.Definition,), 5.0),
    m.BrowseHierarchy: Operation((m.Hierarchy,), 5.0),
    m.BrowseMethod: Operation((m.MethodSource,), 5.0),
    m.BrowseFindClass: Operation((m.Classes,), 5.0),
    m.Compile: Operation((m.Compiled, m.CompileError), DEFAULT_DEADLINE),
    m.ClassDefine: Operation((m.ClassDefined, m.CompileError), 30.0),
    m.MethodRemove: Operation((m.Removed,), DEFAULT_DEADLINE),
    m.ClassRemove: Operation((m.Removed,), 30.0),
    m.Save: Operation((m.Saved,), 60.0),
    m.ChangesList: Operation((m.Changes,), 30.0),
    m.ChangesReplay: Operation((m.Replayed,), 60.0),
    m.SearchSenders: Operation((m.MethodRefs,), 30.0),
    m.SearchImplementors: Operation((m.MethodRefs,), 30.0),
    m.SearchReferences: Operation((m.MethodRefs,), 30.0),
    m.Complete: Operation((m.Completions,), 5.0),
    m.TranscriptSubscribe: Operation((m.Subscribed,), 5.0),
    m.TranscriptUnsubscribe: Operation((m.Subscribed,), 5.0),
    # The debugger (docs/protocol.md, "The debugger"): a step, a proceed or a frame's
    # evaluation may run user code, so they wait as long as an evaluation.
    m.DebugFrame: Operation((m.Frame,), DEFAULT_DEADLINE),
    m.DebugStepInto: Operation((m.Suspended, m.Result, m.EvalError), 60.0),
    m.DebugStepOver: Operation((m.Suspended, m.Result, m.EvalError), 60.0),
    m.DebugStepThrough: Operation((m.Suspended, m.Result, m.EvalError), 60.0),
    m.DebugRestart: Operation((m.Suspended,), 60.0),
    m.DebugReturn: Operation((m.Suspended, m.Result, m.EvalError), 60.0),
    m.DebugProceed: Operation((m.Suspended, m.Result, m.EvalError), 60.0),
    m.DebugAbandon: Operation((m.Abandoned,), DEFAULT_DEADLINE),
    m.DebugEvaluate: Operation((m.Result, m.EvalError), 60.0),
    m.DebugCompile: Operation((m.Suspended, m.CompileError), 60.0),
    # Comparing images (docs/protocol.md, "Comparing images"): a whole image is hashed
    # in about half a second.
    m.CodeDigest: Operation((m.Digest,), 30.0),
}


def operation(request: m.Message) -> Operation:
    """The table row of a request; KeyError names a request type nobody registered."""
    try:
        return OPERATIONS[type(request)]
    except KeyError:
        raise KeyError(f"{type(request).__name__} has no row in transport.operations") from None


def deadline_for(request: m.Message) -> float:
    """Seconds a request may wait for its reply when the caller sets no timeout."""
    row = OPERATIONS.get(type(request))
    return DEFAULT_DEADLINE if row is None else row.deadline

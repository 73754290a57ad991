"""The debugger (docs/protocol.md, "The debugger"): the dialect-neutral API that the CLI's
`stui debug` and the app's debugger view call.

`debug` evaluates code so that an error or a halt suspends it instead of failing:
the outcome is then `Stopped`, which carries the debug handle, the error and the stack.
Every other call works on that handle: `frame` shows one frame; `step_into`,
`step_over`, `step_through`, `restart`, `return_value`, `compile` and `proceed` answer a
`DebugOutcome` (stopped again, or the evaluation's final outcome); `evaluate_in` is a
print-it in a frame; `abandon` terminates the suspended evaluation. Frames are numbered
from 1, the top of the stack.
"""

from __future__ import annotations

import asyncio
from typing import Final

import msgspec

from stui.errors import InvalidInput
from stui.protocol import NoSession, ProtocolError, RemoteError
from stui.protocol import messages as m
from stui.tools.evaluate import (
    _refusal,
    failure,
    interrupt,
    outcome,
    record,
    renew_image_session,
)
from stui.tools.outcomes import (
    Failed,
    Interrupted,
    Outcome,
    TimedOut,
)
from stui.tools.replies import expect
from stui.transport import ConnectionTimeout, TransportError
from stui.workbench import SessionHandle

DEFAULT_TIMEOUT: Final = 60.0


class Stopped(msgspec.Struct, frozen=True, tag="stopped"):
    """The evaluation is suspended in the debugger. `error` says why it stopped (None
    after a step that met no new error); `stack` is innermost first, down to the do-it."""

    debug: int
    stack: tuple[m.StackFrame, ...]
    error: m.DebugError | None = None


class Rejected(msgspec.Struct, frozen=True, tag="rejected"):
    """A method source that did not compile; nothing changed. `position` is 1-based."""

    message: str
    position: int | None = None


# The frames that raise an error rather than make it (Object>>error:, doesNotUnderstand:,
# Exception>>signal and the like): a debugger selects the frame below them, where the
# error was made, as Pharo's selects the signaler context.
_RAISING_CLASSES: Final = frozenset({"Object", "ProtoObject", "UndefinedObject"})
_RAISING_SELECTORS: Final = frozenset(
    {"error:", "doesNotUnderstand:", "halt", "halt:", "signal", "signal:", "signalIn:",
     "signal:with:", "primitiveFailed", "primitiveFailed:", "subscriptOutOfBounds:",
     "errorSubscriptBounds:", "errorNotIndexable", "errorImproperStore",
     "errorNonIntegerIndex", "shouldNotImplement", "subclassResponsibility",
     "zeroDivide", "notYetImplemented", "assert:", "assert:description:"}
)  # fmt: skip


def signaler(stopped: Stopped) -> int:
    """The frame to show first: after an error, the first below those that raised it."""
    if stopped.error is None:
        return 1
    for index, frame in enumerate(stopped.stack, 1):
        if not _raises(frame):
            return index
    return 1


def _raises(frame: m.StackFrame) -> bool:
    if frame.is_block or frame.selector not in _RAISING_SELECTORS:
        return False
    return frame.method_class in _RAISING_CLASSES or frame.method_class.endswith(
        ("Error", "Exception", "Halt", "Notification", "Warning", "MessageNotUnderstood")
    )


DebugOutcome = Stopped | Rejected | Outcome
"""What a debugger call came to: stopped again, the evaluation's end, or a failure."""


def offered(handle: SessionHandle) -> bool:
    """Whether the handle's image offers the debugger (every `debug.*` request in its
    welcome); without it an evaluation fails as usual instead of stopping."""
    client = handle.client
    return all(client.offers(request) for request in _PROBES)


_PROBES: Final = (
    m.DebugFrame(session="", debug=0),
    m.DebugStepInto(session="", debug=0),
    m.DebugStepOver(session="", debug=0),
    m.DebugStepThrough(session="", debug=0),
    m.DebugRestart(session="", debug=0),
    m.DebugReturn(session="", debug=0, code=""),
    m.DebugProceed(session="", debug=0),
    m.DebugAbandon(session="", debug=0),
    m.DebugEvaluate(session="", debug=0, code=""),
    m.DebugCompile(session="", debug=0, source=""),
)


async def debug(
    handle: SessionHandle,
    code: str,
    at_start: bool = False,
    timeout: float | None = None,
    mode: m.EvalMode | str = m.EvalMode.PRINT,
) -> DebugOutcome:
    """Evaluate code in the handle's session under the debugger; recorded in its history.
    With `at_start` (debug it) it stops before the first statement; otherwise `mode` is
    do or print (the app's do it and print it, which open the debugger on an error)."""
    refused = _refusal(handle, code)
    if refused is not None:
        return refused
    mode = m.EvalMode.DEBUG if at_start else m.EvalMode(mode)
    if mode not in (m.EvalMode.DO, m.EvalMode.PRINT, m.EvalMode.DEBUG):
        raise InvalidInput(f"the debugger evaluates in do, print or debug mode, not {mode.value}")
    request = m.Evaluate(code=code, mode=mode, session=handle.image_session_id, debug=True)
    try:
        outcome = await _call(handle, request, timeout, renew=True)
    except asyncio.CancelledError:
        await interrupt(handle)
        record(handle, code, mode, Interrupted("cancelled by the user"))
        raise
    summary = outcome
    if isinstance(outcome, Stopped):
        message = outcome.error.message if outcome.error else "stopped"
        summary = Failed("debug", f"suspended in the debugger: {message}")
    if not isinstance(summary, Rejected):
        record(handle, code, mode, summary)
    return outcome


async def frame(handle: SessionHandle, debug_id: int, index: int = 1) -> m.Frame:
    """Frame `index`: its source, pc range, receiver and variables. Raises RemoteError
    (`not_found` for a frame or a handle that is not there, `busy`)."""
    request = m.DebugFrame(session=handle.image_session_id, debug=debug_id, frame=index)
    return expect(await handle.client.call(request), m.Frame)


async def step_into(handle: SessionHandle, debug_id: int) -> DebugOutcome:
    """Do the next send, stopping in the method (or block) it enters."""
    return await _call(handle, m.DebugStepInto(session=handle.image_session_id, debug=debug_id))


async def step_over(
    handle: SessionHandle, debug_id: int, timeout: float | None = None
) -> DebugOutcome:
    """Do the next send to its end, stopping at the following one."""
    request = m.DebugStepOver(session=handle.image_session_id, debug=debug_id)
    return await _call(handle, request, timeout)


async def step_through(
    handle: SessionHandle, debug_id: int, timeout: float | None = None
) -> DebugOutcome:
    """As step_over, but stop inside a block of the top frame's method when it runs."""
    request = m.DebugStepThrough(session=handle.image_session_id, debug=debug_id)
    return await _call(handle, request, timeout)


async def restart(handle: SessionHandle, debug_id: int, index: int = 1) -> DebugOutcome:
    """Run frame `index` (a block's method) again from its start; the frames above go."""
    request = m.DebugRestart(session=handle.image_session_id, debug=debug_id, frame=index)
    return await _call(handle, request)


async def return_value(
    handle: SessionHandle, debug_id: int, code: str, index: int = 1, timeout: float | None = None
) -> DebugOutcome:
    """Make frame `index` answer the value of `code` (evaluated in that frame)."""
    request = m.DebugReturn(session=handle.image_session_id, debug=debug_id, frame=index, code=code)
    return await _call(handle, request, timeout)


async def proceed(
    handle: SessionHandle, debug_id: int, timeout: float | None = None
) -> DebugOutcome:
    """Let the evaluation run on: its result, or stopped again at the next error."""
    request = m.DebugProceed(session=handle.image_session_id, debug=debug_id)
    return await _call(handle, request, timeout)


async def abandon(handle: SessionHandle, debug_id: int) -> None:
    """Terminate the suspended evaluation. Raises RemoteError `not_found` when it is gone."""
    request = m.DebugAbandon(session=handle.image_session_id, debug=debug_id)
    expect(await handle.client.call(request), m.Abandoned)


async def evaluate_in(
    handle: SessionHandle, debug_id: int, code: str, index: int = 1, timeout: float | None = None
) -> DebugOutcome:
    """Print-it in frame `index`: self, its temporaries and arguments are bound, and
    assignments to them stay in the frame."""
    request = m.DebugEvaluate(
        session=handle.image_session_id, debug=debug_id, frame=index, code=code
    )
    return await _call(handle, request, timeout)


async def compile(
    handle: SessionHandle, debug_id: int, source: str, index: int = 1
) -> DebugOutcome:
    """Edit and continue: compile `source` as frame `index`'s method (same selector),
    drop the frames above it and restart it. `Rejected` when it does not compile."""
    request = m.DebugCompile(
        session=handle.image_session_id, debug=debug_id, frame=index, source=source
    )
    return await _call(handle, request)


async def _call(
    handle: SessionHandle, request: m.Message, timeout: float | None = None, renew: bool = False
) -> DebugOutcome:
    """One call; with `renew` (a new evaluation) an image-side session the image forgot
    is made again once, as evaluate does."""
    seconds = timeout or DEFAULT_TIMEOUT
    try:
        try:
            reply = await handle.client.call(request, seconds)
        except NoSession:
            if not renew or not isinstance(request, m.Evaluate):
                raise
            await renew_image_session(handle)
            request = msgspec.structs.replace(request, session=handle.image_session_id)
            reply = await handle.client.call(request, seconds)
    except ConnectionTimeout:
        # what runs on in the image (a long do-it, a proceed into a loop) would keep
        # the session busy for its next evaluation: stop it, as evaluate does
        return TimedOut(seconds, await interrupt(handle))
    except (RemoteError, TransportError, ProtocolError) as e:
        return failure(e)
    return _outcome(reply)


def _outcome(reply: object) -> DebugOutcome:
    match reply:
        case m.Suspended(debug=debug_id, error=error, stack=stack):
            return Stopped(debug_id, tuple(stack), error)
        case m.CompileError(message=message, position=position):
            return Rejected(message, position)
        case _:
            return outcome(reply)


def frame_name(frame: m.StackFrame | m.Frame) -> str:
    """A frame as Smalltalk prints it: `Foo(Object)>>bar`, `[] in Foo>>bar`."""
    holder = (
        frame.class_
        if frame.class_ == frame.method_class
        else (f"{frame.class_}({frame.method_class})")
    )
    name = f"{holder}>>{frame.selector}"
    return f"[] in {name}" if frame.is_block else name

"""Inspecting objects in a session's image-side handles (docs/protocol.md, "IDE
operations"): evaluate into a view, open a handle, page through elements, release."""

from __future__ import annotations

import asyncio

from stui.protocol import EvalError, EvaluationFailed
from stui.protocol import messages as m
from stui.tools.evaluate import DEFAULT_TIMEOUT, interrupt
from stui.tools.outcomes import TimedOut, timeout_message
from stui.tools.replies import expect
from stui.transport import ConnectionTimeout
from stui.workbench import SessionHandle


class InspectTimedOut(ConnectionTimeout):
    """Inspect it ran past its time; the outcome says whether the image stopped it."""

    def __init__(self, outcome: TimedOut) -> None:
        super().__init__(timeout_message(outcome))
        self.outcome = outcome


async def inspect_code(
    handle: SessionHandle, code: str, timeout: float | None = None, receiver: int | None = None
) -> m.ObjectView:
    """Evaluate code in the session and answer a view of its value (first page);
    `receiver` is a handle bound to `self`. EvaluationFailed carries the ``eval_error``."""
    request = m.Evaluate(code=code, mode=m.EvalMode.INSPECT, session=handle.image_session_id)
    if receiver is not None:
        request = m.Evaluate(
            code=code,
            mode=m.EvalMode.INSPECT,
            session=handle.image_session_id,
            receiver=receiver,
        )
    seconds = timeout or DEFAULT_TIMEOUT
    try:
        reply = await handle.client.call(request, seconds)
    except ConnectionTimeout:
        # stopped, or it runs on and the session answers busy to what comes next
        raise InspectTimedOut(TimedOut(seconds, await interrupt(handle))) from None
    except asyncio.CancelledError:
        await interrupt(handle)
        raise
    if isinstance(reply, EvalError):
        raise EvaluationFailed(reply)
    return expect(reply, m.Inspection).object


async def inspect_handle(
    handle: SessionHandle, object_handle: int, offset: int = 0, count: int = 100
) -> m.ObjectView:
    request = m.Inspect(
        session=handle.image_session_id, handle=object_handle, offset=offset, count=count
    )
    return expect(await handle.client.call(request), m.Inspection).object


async def page(
    handle: SessionHandle, object_handle: int, offset: int, count: int = 100
) -> m.InspectionPage:
    request = m.InspectPage(
        session=handle.image_session_id, handle=object_handle, offset=offset, count=count
    )
    return expect(await handle.client.call(request), m.InspectionPage)


async def release(handle: SessionHandle, handles: list[int] | None = None) -> m.Released:
    """Free the given handles, or all of the session's."""
    request = m.Release(session=handle.image_session_id)
    if handles is not None:
        request = m.Release(session=handle.image_session_id, handles=handles)
    return expect(await handle.client.call(request), m.Released)

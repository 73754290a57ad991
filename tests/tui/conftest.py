"""Helpers for driving the app with Pilot against real images in a private STUI_HOME."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from stui.tui.app import StuiApp
from stui.tui.config import TuiConfig
from stui.tui.widgets.editor import SmalltalkEditor

SIZE = (110, 32)


def quick_config(**changes: object) -> TuiConfig:
    """Fast pings so that status changes show within a test's patience."""
    values: dict[str, object] = {"ping_interval": 0.2, "orphan_after": 300.0}
    values.update(changes)
    return TuiConfig(**values)  # type: ignore[arg-type]


async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Wait, letting the app run, until predicate() is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or predicate}")
        await asyncio.sleep(0.05)


def editor(app: StuiApp, image: str | None = None) -> SmalltalkEditor:
    context = app.contexts[image or app.current or ""]
    assert context.workspace.editor is not None
    return context.workspace.editor


async def ready(app: StuiApp, image: str | None = None, timeout: float = 20.0) -> SmalltalkEditor:
    """Wait until the image's session is open and its editor has the focus (patient: a
    loaded machine may take seconds over it)."""
    name = image or app.current
    try:
        await until(
            lambda: (
                name in app.contexts
                and app.contexts[name].handle is not None
                and app.contexts[name].workspace.ready
            ),
            timeout,
        )
    except AssertionError:
        raise AssertionError(
            f"timed out after {timeout:g} s waiting for {why_not_ready(app, name)}"
        ) from None
    ed = editor(app, name)
    await until(lambda: app.focused is ed, timeout, "editor focus")
    return ed


def why_not_ready(app: StuiApp, name: str | None) -> str:
    """What a failed wait for a session saw: the image's status and the workspace's line."""
    context = app.contexts.get(name or "")
    if context is None:
        return f"{name}'s session: no context (images: {sorted(app.contexts)})"
    status = app.wb.image(context.name).status
    return (
        f"{name}'s session: status {status}, handle {context.handle is not None}, "
        f"workspace ready {context.workspace.ready}, says {context.workspace.waiting_line!r}"
    )


async def idle(app: StuiApp, image: str | None = None, timeout: float = 10.0) -> None:
    """Wait until the image's workspace has no evaluation running."""
    workspace = app.contexts[image or app.current or ""].workspace
    await asyncio.sleep(0.05)
    await until(lambda: workspace.started_at is None, timeout, "evaluation end")
    await asyncio.sleep(0.05)

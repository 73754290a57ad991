"""One image's working context: its session handle, its workspace, its saving.

This is the thin layer between the workspace widget and the workbench: it opens the
session (never blocking start-up on an image), evaluates through `stui.tools`, turns
outcomes into what the workspace shows, and saves the client-side state at most once a
second while it changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from stui import tools
from stui.errors import StuiError
from stui.sessions.state import Selection, SessionState
from stui.tools import Evaluated, Failed, Interrupted, Lost, Outcome, Refused, TimedOut
from stui.tui.widgets.workspace import BufferState, Shown, Workspace
from stui.workbench import SessionHandle, Workbench

if TYPE_CHECKING:
    from stui.tui.app import StuiApp

SAVE_DELAY = 0.5  # seconds: a crash loses at most this much typing (plus one write)
OPEN_STATUSES = ("active", "detached")


class ImageContext:
    """Everything the app keeps for one image; nothing in it is shared with another."""

    def __init__(self, app: StuiApp, wb: Workbench, name: str) -> None:
        self.app = app
        self.wb = wb
        self.name = name
        self.session_id: str | None = None
        self.handle: SessionHandle | None = None
        self.workspace = Workspace(self, image=name, id=f"ws-{abs(hash(name))}")
        self._save_timer: object | None = None
        self._loaded = False
        self._lock = asyncio.Lock()
        self.on_session: Callable[[ImageContext], None] | None = None

    # -- opening -------------------------------------------------------------------

    async def load_stored(self) -> None:
        """Show the stored workspace of the image's latest open session, if there is
        one, without waiting on the image."""
        async with self._lock:
            await self._load_stored()

    async def _load_stored(self) -> None:
        if self._loaded:
            return
        view = self.wb.image(self.name)
        state = SessionState()
        if view.image_id is not None:
            rows = self.wb.sessions.list_sessions(view.image_id, OPEN_STATUSES)
            if rows:
                self.session_id = rows[0].id
                state = self.wb.sessions.get_session(rows[0].id).state
        await self.workspace.load(buffers_of(state))
        self._loaded = True
        if not view.status.is_up:
            self.workspace.waiting(f"{self.name} is {view.status}; evaluation waits for it")

    async def open(self) -> SessionHandle | None:
        """A live handle on the session; None (and a line in the workspace) if the image
        is not up. Whatever was typed meanwhile is kept and saved into the session."""
        async with self._lock:
            if self.handle is not None:
                return self.handle
            await self._load_stored()
            try:
                handle = await self.wb.open_session(self.name, self.session_id)
            except (StuiError, TimeoutError, OSError) as e:
                self.workspace.waiting(f"{self.name}: {e}")
                return None
            known = self.session_id
            self.session_id = handle.session_id
            state = self.wb.sessions.get_session(handle.session_id).state
            pristine = not any(b.text for b in self.workspace.snapshot())
            if known != handle.session_id and (known is not None or (pristine and state.buffers)):
                await self.workspace.load(buffers_of(state))
            self.handle = handle
            self.workspace.waiting(None)
            if known is None and not pristine:
                self.flush()  # what was typed before the session was known
        if self.on_session is not None:
            self.on_session(self)
        return handle

    def image_went_down(self) -> None:
        """Its client is gone: the next evaluation opens the session again."""
        self.handle = None

    async def switch_session(self, session_id: str) -> None:
        """Open another session of this image (restore from the sessions panel)."""
        self.flush()
        async with self._lock:
            self.handle = None
            self.session_id = session_id
            state = self.wb.sessions.get_session(session_id).state
            await self.workspace.load(buffers_of(state))
            self._loaded = True
        await self.open()

    # -- the workspace's host ------------------------------------------------------

    async def evaluate(self, code: str, mode: str) -> Shown:
        handle = await self.open()
        if handle is None:
            view = self.wb.image(self.name)
            return Shown(error=f"{self.name} is {view.status}: cannot evaluate now")
        # Inspect it evaluates as print it until the inspector exists (tool panels).
        outcome = await tools.evaluate(handle, code, "print" if mode == "inspect" else mode)
        if isinstance(outcome, Lost):
            self.handle = None
        return shown(outcome)

    async def interrupt(self) -> None:
        if self.handle is not None:
            await tools.interrupt(self.handle)

    def history(self) -> list[str]:
        if self.session_id is None:
            return []
        return [entry.code for entry in self.wb.sessions.get_session(self.session_id).state.history]

    def inspect(self, result: Shown) -> None:
        self.app.show_inspected(self.name, result)

    def changed(self) -> None:
        """Save soon: one write per SAVE_DELAY however fast the typing."""
        if self._save_timer is None:
            self._save_timer = self.app.set_timer(SAVE_DELAY, self._save_now)

    def _save_now(self) -> None:
        self._save_timer = None
        self.flush()

    def flush(self) -> None:
        """Write the workspace into the session's stored state (history stays as is)."""
        if self.session_id is None or not self.workspace.ready or not self.workspace.is_attached:
            return  # never save a workspace that is being torn down: it looks empty
        buffers = self.workspace.snapshot()
        try:
            stored = self.wb.sessions.get_session(self.session_id)
            if stored.status == "closed":
                return
            state = msgspec.structs.replace(
                stored.state,
                buffers={b.name: b.text for b in buffers},
                selections={b.name: Selection(b.start, b.end) for b in buffers},
            )
            if state != stored.state:
                self.wb.sessions.save_state(self.session_id, state)
        except StuiError as e:
            self.app.notify(f"{self.name}: workspace not saved: {e}", severity="error")


def buffers_of(state: SessionState) -> list[BufferState]:
    result = []
    for name, text in state.buffers.items():
        sel = state.selections.get(name, Selection(len(text), len(text)))
        result.append(BufferState(name, text, sel.start, sel.end))
    return result


def shown(outcome: Outcome) -> Shown:
    """What the workspace shows for an outcome."""
    match outcome:
        case Evaluated(value=value, class_name=class_name, truncated=truncated):
            text = value if value is not None else ""
            return Shown(value=text + (" …" if truncated else ""), title=class_name)
        case Failed(
            kind=kind, message=message, position=position, error_class=error_class, stack=stack
        ):
            head = f"{kind} error: " + (f"{error_class}: " if error_class else "") + message
            lines = [head, *(f"  {frame}" for frame in stack[:8])]
            return Shown(error="\n".join(lines), position=position if kind == "syntax" else None)
        case TimedOut(seconds=seconds, interrupted=interrupted):
            tail = "; interrupted" if interrupted else "; the interrupt did not arrive"
            return Shown(error=f"timed out after {seconds:g} s{tail}")
        case Interrupted(message=message):
            return Shown(error=f"interrupted: {message}")
        case Refused(code=code, message=message):
            return Shown(error=f"refused ({code}): {message}")
        case Lost(reason=reason):
            return Shown(error=f"connection lost: {reason}")

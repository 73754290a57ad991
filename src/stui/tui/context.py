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
from stui.protocol import EvalMode, EvaluationFailed
from stui.protocol import messages as m
from stui.sessions.state import Selection, SessionState
from stui.tools import Evaluated, Failed, Interrupted, Lost, changes, search
from stui.tools import browse as tools_browse
from stui.tools import debug as dbg
from stui.tools import inspect as inspecting
from stui.tools import transcript as transcripts
from stui.tools.evaluate import record
from stui.tui.widgets.image_area import ImageArea, Tool
from stui.tui.widgets.workspace import BufferState, Shown, Workspace, shown
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
        self.area = ImageArea(self, self.workspace, id=f"area-{abs(hash(name))}")
        self._following: object | None = None  # the client the Transcript follows
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
        self.run_follow(handle)
        if self.on_session is not None:
            self.on_session(self)
        return handle

    def run_follow(self, handle: SessionHandle) -> None:
        """Ask the image (once per connection) to push its Transcript to this client."""
        if self._following is not handle.client:
            self._following = handle.client
            self.app.run_worker(self._follow(handle), group=f"follow-{self.name}")

    async def _follow(self, handle: SessionHandle) -> None:
        try:
            await transcripts.subscribe(handle.client)
        except StuiError as e:
            self._following = None
            self.app.notify(f"{self.name}: the Transcript cannot be followed: {e}")

    def image_went_down(self) -> None:
        """Its client is gone: the next evaluation opens the session again, and what
        was suspended in its debugger is gone too."""
        self.handle = None
        if self.area.debugger.suspensions:
            self.area.debugger.drop_all(f"{self.name} went away while in the debugger")

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
        if mode == "inspect":
            return await self._inspect(handle, code)
        if mode == "debug" or dbg.offered(handle):
            return await self._debug(handle, code, mode)
        outcome = await tools.evaluate(handle, code, mode, self.app.config.eval_timeout)
        if isinstance(outcome, Lost):
            self.handle = None
        return shown(outcome)

    async def _debug(self, handle: SessionHandle, code: str, mode: str) -> Shown:
        """Do it and print it under the debugger, where the image offers it: an error
        (or a halt, or debug it) suspends the evaluation and opens this image's debugger."""
        if not dbg.offered(handle):
            return Shown(error=f"{self.name}'s server offers no debugger: debug it cannot run")
        seconds = self.app.config.eval_timeout
        if mode == "debug":
            outcome = await dbg.debug(handle, code, at_start=True, timeout=seconds)
        else:
            outcome = await dbg.debug(handle, code, mode=mode, timeout=seconds)
        match outcome:
            case dbg.Stopped(error=error):
                later = await self.area.debugger.suspend(handle, outcome, code, mode)
                self.area.draw_bar()
                self.area.show("debugger")
                why = f"{error.class_}: {error.message}" if error else "debug it"
                return Shown(later=later, suspended=why)
            case dbg.Rejected(message=message, position=position):
                return Shown(error=f"syntax error: {message}", position=position)
            case Lost():
                self.handle = None
        return shown(outcome)

    async def _inspect(self, handle: SessionHandle, code: str) -> Shown:
        """Inspect it: the inspector shows the value; the history records it."""
        try:
            view = await inspecting.inspect_code(handle, code, self.app.config.eval_timeout)
        except EvaluationFailed as e:
            error = e.error
            failed = Failed(
                error.kind,
                error.message,
                error.position,
                error.error_class,
                error.receiver,
                tuple(error.stack),
            )
            outcome = Interrupted(error.message) if error.kind == "interrupted" else failed
            record(handle, code, EvalMode.INSPECT, outcome)
            return shown(outcome)
        except inspecting.InspectTimedOut as e:
            record(handle, code, EvalMode.INSPECT, e.outcome)
            return shown(e.outcome)
        except StuiError as e:
            return Shown(error=str(e))
        record(handle, code, EvalMode.INSPECT, Evaluated(view.print, view.class_, False, 0))
        self.area.inspector.show(view)
        return Shown(value=view.print, title=view.class_)

    async def interrupt(self) -> None:
        if self.handle is not None:
            await tools.interrupt(self.handle)

    def history(self) -> list[str]:
        if self.session_id is None:
            return []
        return [entry.code for entry in self.wb.sessions.get_session(self.session_id).state.history]

    def inspect(self, result: Shown) -> None:
        """The inspector already holds the object (see _inspect): bring it forward."""
        self.area.show("inspector")

    # -- the tools' host -----------------------------------------------------------

    def show_tool(self, tool: Tool) -> None:
        self.area.show(tool)

    async def inspect_handle(self, object_handle: int) -> None:
        """An object user code sent `inspect` to (an inspect_request event)."""
        handle = await self.open()
        if handle is None:
            return
        try:
            view = await inspecting.inspect_handle(handle, object_handle)
        except StuiError as e:
            self.app.notify(f"{self.name}: cannot inspect: {e}", severity="error")
            return
        self.area.inspector.show(view)
        self.area.show("inspector")

    async def browse(
        self,
        cls: str,
        side: m.Side = m.Side.INSTANCE,
        selector: str | None = None,
        highlight: str | None = None,
    ) -> None:
        """Open a class (and a method) in this image's browser."""
        self.area.show("browser", focus=False)
        if await self.area.browser.open_class(cls, side, selector, highlight):
            self.area.browser.focus_main() if selector is None else self.area.browser.editor.focus()

    async def search(self, kind: str, word: str) -> None:
        """Browse it, senders, implementors or references, from an editor's word."""
        handle = await self.open()
        if handle is None:
            self.app.notify(f"{self.name} is not up: cannot search now.")
            return
        client = handle.client
        selector = word
        try:
            if kind == "browse" and word[:1].isupper():
                await self.browse(word.rstrip(":"))
                return
            if kind == "browse" or kind == "implementors":
                refs = await search.implementors(client, selector)
                title = f"Implementors of {selector}"
            elif kind == "senders":
                refs = await search.senders(client, selector)
                title = f"Senders of {selector}"
            else:
                refs = await search.references(client, word.rstrip(":"))
                title = f"References to {word.rstrip(':')}"
        except StuiError as e:
            self.app.notify(f"{self.name}: {e}", severity="error")
            return
        shown_count = (
            f"{len(refs.refs)} of {refs.total}" if refs.total > len(refs.refs) else str(refs.total)
        )
        highlight = selector if kind == "senders" else None
        self.area.results.show(f"{title}  ({shown_count}; Enter opens)", list(refs.refs), highlight)
        self.area.show("results")

    async def completions(self, code: str) -> list[m.Completion]:
        """The image's candidates for the word ending `code`; none when it is away."""
        handle = await self.open()
        if handle is None:
            return []
        try:
            return await search.complete(handle.client, code, handle.image_session_id)
        except StuiError:
            return []

    async def find_class(self, pattern: str) -> None:
        handle = await self.open()
        if handle is None:
            self.app.notify(f"{self.name} is not up: cannot search now.")
            return
        try:
            found = await tools_browse.find_class(handle.client, pattern)
        except StuiError as e:
            self.app.notify(f"{self.name}: {e}", severity="error")
            return
        if len(found) == 1 or pattern in found:
            await self.browse(pattern if pattern in found else found[0])
            return
        self.area.results.show(f"Classes matching {pattern!r}: {len(found)}", list(found))
        self.area.show("results")

    async def save_image(self) -> None:
        handle = await self.open()
        if handle is None:
            self.app.notify(f"{self.name} is not up: cannot save it now.", severity="error")
            return
        self.app.notify(f"Saving {self.name}…")
        try:
            saved = await changes.save(handle.client)
        except StuiError as e:
            self.app.notify(f"{self.name}: not saved: {e}", severity="error")
            return
        self.app.notify(f"{self.name} saved ({saved.elapsed_ms} ms)")

    async def pending_changes(self) -> list[m.Change] | None:
        handle = await self.open()
        if handle is None:
            self.app.notify(f"{self.name} is not up.", severity="error")
            return None
        try:
            return changes.pending(await changes.list_changes(handle.client, with_source=False))
        except StuiError as e:
            self.app.notify(f"{self.name}: {e}", severity="error")
            return None

    async def replay_changes(self) -> None:
        handle = await self.open()
        if handle is None:
            return
        try:
            replayed = await changes.replay(handle.client)
        except StuiError as e:
            self.app.notify(f"{self.name}: {e}", severity="error")
            return
        failed = f", {len(replayed.failed)} failed" if replayed.failed else ""
        self.app.notify(f"{self.name}: {len(replayed.applied)} changes replayed{failed}")

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

"""The workspace of one image session: named buffers, evaluation, errors shown inline.

One Workspace exists per image, so switching images swaps whole widgets and nothing can
leak between them; text, cursors, selections and undo stay exactly as they were left. The
workspace does not talk to the image: its host (the app's per-image context) evaluates,
interrupts, lists the history and saves.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static, TabbedContent, TabPane
from textual.widgets.text_area import Selection as TextSelection

from stui.tools import Evaluated, Failed, Interrupted, Lost, Outcome, Refused, TimedOut
from stui.tools.outcomes import timeout_message
from stui.tui.styles import beside
from stui.tui.widgets.editor import SmalltalkEditor

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SPINNER_AFTER = 0.2  # seconds an evaluation runs before the spinner shows
FIRST_BUFFER = "Workspace 1"


@dataclass(frozen=True)
class Shown:
    """What an evaluation outcome looks like in the workspace.

    `value` is text to insert (print it) or show (inspect it); `error` is the inline error
    text; `position` is a 1-based offset into the evaluated code for a syntax error.
    `later` is set when the evaluation was suspended in the debugger: it resolves to what
    the evaluation finally came to (after proceed, or abandon), shown as `suspended` says.
    """

    value: str | None = None
    title: str = ""
    error: str | None = None
    position: int | None = None
    later: asyncio.Future[Shown] | None = None
    suspended: str = ""


class WorkspaceHost(Protocol):
    """What a workspace needs from its image context."""

    async def evaluate(self, code: str, mode: str) -> Shown: ...

    async def interrupt(self) -> None: ...

    def history(self) -> list[str]: ...

    def changed(self) -> None: ...

    def inspect(self, shown: Shown) -> None: ...


@dataclass(frozen=True)
class BufferState:
    """One buffer as saved: its text and the selection as character offsets."""

    name: str
    text: str
    start: int
    end: int


class Workspace(Vertical):
    DEFAULT_CSS = beside(__file__)

    class Evaluating(Message):
        """An evaluation started (started_at is a monotonic time) or ended (None)."""

        def __init__(self, workspace: Workspace, started_at: float | None, code: str = "") -> None:
            super().__init__()
            self.workspace = workspace
            self.started_at = started_at
            self.code = code

    class BroadcastWanted(Message):
        """Code to print in many images (the app asks which, and shows the rows)."""

        def __init__(self, workspace: Workspace, code: str) -> None:
            super().__init__()
            self.workspace = workspace
            self.code = code

    def __init__(self, host: WorkspaceHost, *, image: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.host = host
        self.image = image
        self.started_at: float | None = None
        self._buffers = 0
        self._history_index: int | None = None
        self._ready = False
        self._timer: Timer | None = None
        self._waiting = Static("", id="waiting")
        self.waiting_line = ""  # what the line above the editor says, "" when hidden
        self._tabs = TabbedContent(id="buffers")
        self._running_line = Static("", id="running")
        self._outcome = Static("", id="outcome")
        self._composed = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield self._waiting
        yield self._tabs
        yield self._running_line
        yield self._outcome

    def on_mount(self) -> None:
        # TabbedContent mounts its own parts a little later: wait one refresh before
        # adding panes.
        self.call_after_refresh(self._composed.set)

    # -- state ---------------------------------------------------------------------

    async def load(self, buffers: list[BufferState]) -> None:
        """Show these buffers (a fresh session gets one empty buffer), cursor in the first.

        The tabs are rebuilt whole, with their panes given at construction: adding panes
        to a TabbedContent that is still mounting its own parts is not safe.
        """
        await self._composed.wait()
        self._ready = False
        refocus = self.editor is not None and self.editor.has_focus
        panes = []
        for buffer in buffers or [BufferState(FIRST_BUFFER, "", 0, 0)]:
            self._buffers += 1
            panes.append(TabPane(buffer.name, _editor_for(buffer), id=f"buffer-{self._buffers}"))
        await self._tabs.remove()
        self._tabs = TabbedContent(id="buffers", initial=panes[0].id or "")
        for pane in panes:
            self._tabs.compose_add_child(pane)  # as `with TabbedContent(): yield pane` does
        await self.mount(self._tabs, before=self._running_line)
        self._ready = True
        self.waiting(None)
        self.call_after_refresh(self._refocus, refocus)

    def _refocus(self, had_focus: bool) -> None:
        shown = getattr(self.parent, "current", None) == self.id
        shown = shown and getattr(self.app, "current", self.image) == self.image
        if shown and (had_focus or self.app.focused is None):
            self.focus_editor()

    def snapshot(self) -> list[BufferState]:
        """The buffers in tab order, with their selections as offsets."""
        result = []
        for editor in self.query(SmalltalkEditor):
            doc = editor.document
            start = doc.get_index_from_location(editor.selection.start)
            end = doc.get_index_from_location(editor.selection.end)
            result.append(BufferState(editor.buffer, editor.text, start, end))
        return result

    @property
    def ready(self) -> bool:
        return self._ready

    def waiting(self, text: str | None) -> None:
        """A line above the editor, e.g. while the session is being opened."""
        self.waiting_line = text or ""
        line = self._waiting
        line.update(self.waiting_line)
        line.set_class(bool(text), "shown")

    @property
    def editor(self) -> SmalltalkEditor | None:
        active = self._tabs.active
        for editor in self.query(SmalltalkEditor):
            pane = editor.parent
            if pane is not None and pane.id == active:
                return editor
        return None

    def focus_editor(self) -> None:
        if self.editor is not None:
            self.editor.focus()

    async def _add_buffer(self, buffer: BufferState) -> SmalltalkEditor:
        self._buffers += 1
        editor = _editor_for(buffer)
        await self._tabs.add_pane(TabPane(buffer.name, editor, id=f"buffer-{self._buffers}"))
        return editor

    def _pane_ids(self) -> list[str]:
        return [pane.id or "" for pane in self.query(TabPane)]

    def on_text_area_changed(self, event: SmalltalkEditor.Changed) -> None:
        if self._ready:
            self.host.changed()

    def on_text_area_selection_changed(self, event: SmalltalkEditor.SelectionChanged) -> None:
        if self._ready:
            self.host.changed()

    # -- evaluation ----------------------------------------------------------------

    def on_smalltalk_editor_broadcast(self, event: SmalltalkEditor.Broadcast) -> None:
        event.stop()
        code = event.editor.target_code()
        if not code.strip():
            self.app.notify("Nothing to evaluate: select code or put the cursor on a line.")
            return
        self.post_message(self.BroadcastWanted(self, code))

    def on_smalltalk_editor_evaluate(self, event: SmalltalkEditor.Evaluate) -> None:
        event.stop()
        editor = event.editor
        if editor.running or self.started_at is not None:
            self.app.notify("An evaluation is running; Esc interrupts it.", severity="warning")
            return
        start, end = editor.target()
        code = editor.document.get_text_range(start, end)
        if not code.strip():
            self.app.notify("Nothing to evaluate: select code or put the cursor on a line.")
            return
        self.run_worker(self._evaluate(editor, code, event.mode, start, end), exclusive=False)

    async def _evaluate(self, editor, code: str, mode: str, start, end) -> None:  # type: ignore[no-untyped-def]
        self._show_outcome(None)
        self._set_running(editor, True, code)
        try:
            shown = await self.host.evaluate(code, mode)
        finally:
            self._set_running(editor, False, code)
        if shown.later is not None:
            self._show_outcome(f"Suspended in the debugger (Alt+Z): {shown.suspended}", info=True)
            self.run_worker(self._land(editor, shown.later, mode, end))
            return
        self._display(editor, shown, mode, start, end)

    async def _land(self, editor: SmalltalkEditor, later: asyncio.Future[Shown], mode, end) -> None:  # type: ignore[no-untyped-def]
        """The suspended evaluation ended: show its outcome as if it had never stopped,
        where the editor's text now ends if it shrank meanwhile."""
        final = await later
        doc = editor.document
        row = min(end[0], doc.line_count - 1)
        end = (row, min(end[1], len(doc.get_line(row))))
        self._show_outcome(None)
        self._display(editor, final, mode, end, end, focus=False)  # the debugger may still show

    def _display(
        self, editor: SmalltalkEditor, shown: Shown, mode: str, start, end, focus: bool = True
    ) -> None:  # type: ignore[no-untyped-def]
        if shown.error is not None:
            self._show_outcome(shown.error)
            if shown.position is not None:
                offset = editor.document.get_index_from_location(start) + max(0, shown.position - 1)
                location = editor.document.get_location_from_index(offset)
                editor.selection = TextSelection(location, location)
            if focus:
                editor.focus()
            return
        if mode in ("print", "debug") and shown.value is not None:
            editor.insert_result(shown.value, end)
        elif mode == "inspect":
            self.host.inspect(shown)
        self._history_index = None

    def _set_running(self, editor: SmalltalkEditor, running: bool, code: str) -> None:
        """The spinner and the status bar show an evaluation only once it has run for
        SPINNER_AFTER: a quick one would flash them and cost two layouts per print-it."""
        editor.running = running
        self.started_at = time.monotonic() if running else None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if running:
            self._timer = self.set_timer(SPINNER_AFTER, lambda: self._show_running(code))
        elif self._running_line.has_class("shown"):
            self._running_line.remove_class("shown")
            self.post_message(self.Evaluating(self, None, code))

    def _show_running(self, code: str) -> None:
        if self.started_at is None:
            return
        self._running_line.add_class("shown")
        self._tick()
        self._timer = self.set_interval(0.1, self._tick)
        self.post_message(self.Evaluating(self, self.started_at, code))

    def _tick(self) -> None:
        if self.started_at is None:
            return
        elapsed = time.monotonic() - self.started_at
        frame = SPINNER[int(elapsed * 10) % len(SPINNER)]
        self._running_line.update(f"{frame} evaluating  {elapsed:.1f} s   Esc or Ctrl+C interrupts")

    def _show_outcome(self, text: str | None, info: bool = False) -> None:
        panel = self._outcome
        panel.update(text or "")
        panel.set_class(bool(text), "shown")
        panel.set_class(info, "info")

    # -- commands ------------------------------------------------------------------

    async def on_smalltalk_editor_command(self, event: SmalltalkEditor.Command) -> None:
        event.stop()
        match event.command:
            case "interrupt":
                await self.host.interrupt()
            case "history_back":
                self._history(event.editor, -1)
            case "history_forward":
                self._history(event.editor, +1)
            case "new_buffer":
                await self.new_buffer()
            case "close_buffer":
                await self.close_buffer()
            case "next_buffer":
                self.cycle_buffer(+1)
            case "previous_buffer":
                self.cycle_buffer(-1)

    def _history(self, editor: SmalltalkEditor, step: int) -> None:
        """Replace the selection (or current line) with an older or newer command."""
        codes = self.host.history()
        if not codes:
            self.app.notify("No history yet in this session.")
            return
        index = len(codes) if self._history_index is None else self._history_index
        index = max(0, min(len(codes) - 1, index + step))
        self._history_index = index
        start, end = editor.target()
        result = editor.replace(codes[index], start, end)
        editor.selection = TextSelection(start, result.end_location)

    async def new_buffer(self, name: str | None = None, text: str = "") -> None:
        names = {e.buffer for e in self.query(SmalltalkEditor)}
        number = len(names) + 1
        while name is None or name in names:
            name = f"Workspace {number}"
            number += 1
        editor = await self._add_buffer(BufferState(name, text, 0, 0))
        self._tabs.active = f"buffer-{self._buffers}"
        editor.focus()
        self.host.changed()

    async def close_buffer(self) -> None:
        tabs = self._tabs
        if len(self._pane_ids()) <= 1:
            if self.editor is not None:
                self.editor.clear()
            return
        if tabs.active:
            await tabs.remove_pane(tabs.active)
        self.focus_editor()
        self.host.changed()

    def cycle_buffer(self, step: int) -> None:
        tabs = self._tabs
        ids = self._pane_ids()
        if tabs.active in ids:
            tabs.active = ids[(ids.index(tabs.active) + step) % len(ids)]
        self.focus_editor()


def _editor_for(buffer: BufferState) -> SmalltalkEditor:
    """An editor holding the buffer, its selection restored."""
    editor = SmalltalkEditor(buffer.text, buffer=buffer.name)
    doc = editor.document
    size = len(buffer.text)
    editor.selection = TextSelection(
        doc.get_location_from_index(min(buffer.start, size)),
        doc.get_location_from_index(min(buffer.end, size)),
    )
    return editor


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
        case TimedOut() as timed_out:
            return Shown(error=timeout_message(timed_out))
        case Interrupted(message=message):
            return Shown(error=f"interrupted: {message}")
        case Refused(code=code, message=message):
            return Shown(error=f"refused ({code}): {message}")
        case Lost(reason=reason):
            return Shown(error=f"connection lost: {reason}")

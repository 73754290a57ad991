"""The debugger view: a suspended evaluation's stack, the selected frame's source with
its pc range selected, the receiver and the variables (Enter inspects one), and a pane
that evaluates in the frame.

An evaluation of the workspace that meets an error (or a halt, or debug it) arrives here
as a `Suspension`; the workspace waits on its `landing` future, which this panel resolves
with what the evaluation finally came to (proceed's value is printed where print it would
have put it). Each image has its own panel, and one panel keeps every suspended
evaluation of its image: Alt+Q goes to the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.widgets.text_area import Selection as TextSelection

from stui.errors import StuiError
from stui.protocol import messages as m
from stui.tools import Evaluated, Refused, TimedOut
from stui.tools import debug as dbg
from stui.tools.evaluate import record
from stui.tui import keys
from stui.tui.screens.dialogs import Field, FormScreen
from stui.tui.styles import beside
from stui.tui.widgets.editor import SmalltalkEditor
from stui.tui.widgets.outcome_line import OutcomeLine
from stui.tui.widgets.workspace import Shown, shown

if TYPE_CHECKING:
    from stui.tui.context import ImageContext
    from stui.workbench import SessionHandle


@dataclass
class Suspension:
    """One suspended evaluation: where it runs, how it stands, who waits for its end."""

    handle: SessionHandle
    stopped: dbg.Stopped
    code: str
    mode: m.EvalMode
    landing: asyncio.Future[Shown]
    index: int = 1  # the selected frame, 1 the top
    frame: m.Frame | None = None
    refs: list[m.ValueRef] = field(default_factory=list)  # the variables list's values


NOTHING = "Nothing is suspended: an error in an evaluation stops here."

Step = Callable[["SessionHandle", int, int], Awaitable[dbg.DebugOutcome]]
"""A debugger call on (session handle, debug handle, selected frame)."""


SUSPENSION_GONE = frozenset({"not_found", "no_session"})  # refusals after which it is gone


class DebuggerPanel(Vertical):
    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar = keys.bindings("debugger")
    SELECT_RUNS: ClassVar = {"variables": "inspect_variable"}  # Enter on one (F1 help)

    def __init__(self, context: ImageContext, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.context = context
        self.suspensions: list[Suspension] = []
        self.current: Suspension | None = None
        self.busy = False
        self._title = Static(NOTHING, id="debug-title")
        self._stack = OptionList(id="stack")
        self._stack.border_title = "Stack"
        self._variables = OptionList(id="variables")
        self._variables.border_title = "Variables"
        self.source = SmalltalkEditor("", buffer="debugger", id="frame-source")
        self.pane = SmalltalkEditor("", buffer="debugger-pane", id="frame-pane")
        self._outcome = OutcomeLine("", id="debug-outcome")

    def compose(self) -> ComposeResult:
        yield self._title
        with Horizontal(id="debug-lists"):
            yield self._stack
            yield self._variables
        yield self.source
        yield Static(
            "Evaluate in the frame (Alt+K): Ctrl+P prints, Ctrl+D does",
            id="frame-pane-hint",
        )
        yield self.pane
        yield self._outcome

    def focus_main(self) -> None:
        self._stack.focus()

    # -- suspensions ---------------------------------------------------------------

    async def suspend(
        self, handle: SessionHandle, stopped: dbg.Stopped, code: str, mode: str = "print"
    ) -> asyncio.Future[Shown]:
        """Show a newly suspended evaluation; answer the future of its final outcome."""
        landing: asyncio.Future[Shown] = asyncio.get_running_loop().create_future()
        suspension = Suspension(handle, stopped, code, m.EvalMode(mode), landing)
        suspension.index = dbg.signaler(stopped)
        self.suspensions.append(suspension)
        await self._show(suspension)
        return landing

    async def _show(self, suspension: Suspension) -> None:
        self.current = suspension
        self._draw_title()
        self._stack.clear_options()
        self._stack.add_options(
            Option(dbg.frame_name(f), id=str(i)) for i, f in enumerate(suspension.stopped.stack, 1)
        )
        self._stack.highlighted = suspension.index - 1
        await self._load_frame(suspension, suspension.index)

    def _draw_title(self) -> None:
        suspension = self.current
        if suspension is None:
            self._title.update(NOTHING)
            return
        error = suspension.stopped.error
        why = f"{error.class_}: {error.message}" if error is not None else "stopped"
        count = len(self.suspensions)
        more = (
            f"   [{self.suspensions.index(suspension) + 1}/{count}, Alt+Q next]"
            if count > 1
            else ""
        )
        self._title.update(f"{why}   in  {_one_line(suspension.code)}{more}")

    def action_next_suspension(self) -> None:
        if len(self.suspensions) > 1 and self.current is not None and not self.busy:
            at = self.suspensions.index(self.current)
            self.run_worker(self._show(self.suspensions[(at + 1) % len(self.suspensions)]))

    # -- frames --------------------------------------------------------------------

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        suspension = self.current
        if event.option_list is not self._stack or suspension is None:
            return
        index = event.option_index + 1
        if index != suspension.index:  # the shown frame is loaded by whoever showed it
            self.run_worker(
                self._load_frame(suspension, index), group="debug-frame", exclusive=True
            )

    async def _load_frame(self, suspension: Suspension, index: int) -> None:
        suspension.index = index
        try:
            frame = await dbg.frame(suspension.handle, suspension.stopped.debug, index)
        except StuiError as e:
            self._outcome.show(f"Frame {index}: {e}", error=True)
            return
        if suspension is not self.current:
            return
        suspension.frame = frame
        self._draw_frame(suspension, frame)

    def _draw_frame(self, suspension: Suspension, frame: m.Frame) -> None:
        self.source.load_text(frame.source)
        if frame.pc_range:
            doc = self.source.document
            size = len(frame.source)
            first, last = frame.pc_range[0], frame.pc_range[-1]
            start = doc.get_location_from_index(min(max(0, first - 1), size))
            end = doc.get_location_from_index(min(max(0, last), size))
            self.source.selection = TextSelection(start, end)
            self.source.scroll_cursor_visible()
        refs = [frame.receiver, *(v.value for v in frame.variables)]
        names = ["self", *(v.name for v in frame.variables)]
        suspension.refs = refs
        self._variables.clear_options()
        self._variables.add_options(
            f"{name}: {ref.print}  ({ref.class_})" for name, ref in zip(names, refs, strict=True)
        )
        self._outcome.show("")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list is self._variables:
            self._inspect(event.option_index)

    def action_inspect_variable(self) -> None:
        index = self._variables.highlighted
        if index is not None:
            self._inspect(index)

    def _inspect(self, index: int) -> None:
        suspension = self.current
        if suspension is None or index >= len(suspension.refs):
            return
        ref = suspension.refs[index]
        if ref.handle is None:
            self._outcome.show(f"{ref.print} has no handle to inspect.", error=True)
            return
        self.run_worker(self.context.inspect_handle(ref.handle), group="debug-inspect")

    # -- stepping ------------------------------------------------------------------

    def _run(self, what: str, step: Step) -> None:
        """Run one debugger call on the shown suspension, in a worker, one at a time."""
        suspension = self.current
        if suspension is None:
            self.app.notify("Nothing is suspended in this image.")
            return
        if self.busy:
            self.app.notify("The debugger is busy with the last step.")
            return
        self.busy = True
        call = step(suspension.handle, suspension.stopped.debug, suspension.index)
        self.run_worker(self._after(suspension, call, what), group="debug-step")

    async def _after(
        self, suspension: Suspension, call: Awaitable[dbg.DebugOutcome], what: str
    ) -> None:
        try:
            outcome = await call
        finally:
            self.busy = False
        match outcome:
            case dbg.Stopped() as stopped:
                suspension.stopped = stopped
                suspension.frame = None
                suspension.index = dbg.signaler(stopped) if stopped.error else 1
                await self._show(suspension)
            case dbg.Rejected(message=message, position=position):
                self._rejected(message, position)
            case Refused(code=code, message=message) if code not in SUSPENSION_GONE:
                # the image said no to this step (a wrong selector, busy): it is still
                # suspended there, so the debugger stays, and so does the edit
                self._outcome.show(f"{what.capitalize()} refused: {message}", error=True)
            case TimedOut(seconds=seconds, interrupted=False):
                # a step runs in the debugger's own process, which no interrupt stops:
                # it stops again in the image when the step ends
                self._outcome.show(
                    f"{what.capitalize()} still runs in the image after {seconds:g} s: the "
                    "next step or proceed goes on from where it stops; Alt+Shift+A abandons",
                    error=True,
                )
            case _:
                # the session's history gets how it ended, after the line that said it stopped
                record(suspension.handle, suspension.code, suspension.mode, outcome)
                await self._finish(suspension, shown(outcome), what)

    async def _finish(self, suspension: Suspension, result: Shown, what: str) -> None:
        """The evaluation ended: its workspace gets the outcome, the next one shows."""
        if not suspension.landing.done():
            suspension.landing.set_result(result)
        if suspension in self.suspensions:
            self.suspensions.remove(suspension)
        self.context.area.draw_bar()
        if self.current is suspension:
            self.current = None
            if self.suspensions:
                await self._show(self.suspensions[-1])
            else:
                self._clear()
                if self.context.area.tool == "debugger":
                    self.context.area.show("workspace")
        self.app.notify(f"{self.context.name}: {what}: {result.error or result.value or 'done'}")

    def drop_all(self, reason: str) -> None:
        """The image went away, and its suspended evaluations with it: each workspace
        that waits is told so."""
        for suspension in self.suspensions:
            if not suspension.landing.done():
                suspension.landing.set_result(Shown(error=f"connection lost: {reason}"))
        self.suspensions.clear()
        self.current = None
        self.busy = False
        self._clear()
        self.context.area.draw_bar()

    def _clear(self) -> None:
        self._draw_title()
        self._stack.clear_options()
        self._variables.clear_options()
        self.source.load_text("")
        self._outcome.show("")

    @property
    def _seconds(self) -> float:
        """How long a step that runs the image's code may take: as long as a do-it."""
        return self.context.app.config.eval_timeout

    def action_step_into(self) -> None:
        self._run("step into", lambda handle, debug_id, _: dbg.step_into(handle, debug_id))

    def action_step_over(self) -> None:
        seconds = self._seconds
        self._run("step over", lambda handle, debug_id, _: dbg.step_over(handle, debug_id, seconds))

    def action_step_through(self) -> None:
        seconds = self._seconds
        self._run(
            "step through", lambda handle, debug_id, _: dbg.step_through(handle, debug_id, seconds)
        )

    def action_restart(self) -> None:
        self._run("restart", dbg.restart)

    def action_proceed(self) -> None:
        seconds = self._seconds
        self._run("proceed", lambda handle, debug_id, _: dbg.proceed(handle, debug_id, seconds))

    def action_accept(self) -> None:
        """Edit and continue: compile the frame's method as edited; the frame restarts."""
        source = self.source.text
        self._run(
            "accept", lambda handle, debug_id, index: dbg.compile(handle, debug_id, source, index)
        )

    def action_return_value(self) -> None:
        if self.current is None:
            self.app.notify("Nothing is suspended in this image.")
            return

        def entered(values: dict[str, str] | None) -> None:
            if values and values["code"].strip():
                code, seconds = values["code"], self._seconds
                self._run(
                    "return",
                    lambda h, debug_id, index: dbg.return_value(h, debug_id, code, index, seconds),
                )

        name = self.current.frame and dbg.frame_name(self.current.frame)
        self.app.push_screen(
            FormScreen(
                f"Return from {name or 'the frame'}",
                [Field("code", "Value (evaluated in the frame)", placeholder="nil")],
                ok="Return",
            ),
            entered,
        )

    def action_abandon(self) -> None:
        suspension = self.current
        if suspension is None:
            self.app.notify("Nothing is suspended in this image.")
            return
        self.run_worker(self._abandon(suspension), group="debug-step")

    async def _abandon(self, suspension: Suspension) -> None:
        try:
            await dbg.abandon(suspension.handle, suspension.stopped.debug)
        except StuiError as e:
            self.app.notify(f"{self.context.name}: {e}", severity="warning")
        error = suspension.stopped.error
        why = f": {error.class_}: {error.message}" if error is not None else ""
        await self._finish(suspension, Shown(error=f"abandoned in the debugger{why}"), "abandon")

    def action_focus_pane(self) -> None:
        self.pane.focus()

    # -- edits and the evaluation pane ---------------------------------------------

    def _rejected(self, message: str, position: int | None) -> None:
        """The method did not compile: keep the edit, the cursor at the error."""
        where = f" (at {position})" if position is not None else ""
        self._outcome.show(f"Not accepted{where}: {message}", error=True)
        if position is not None:
            index = min(max(0, position - 1), len(self.source.text))
            location = self.source.document.get_location_from_index(index)
            self.source.selection = TextSelection(location, location)
        self.source.focus()

    def on_smalltalk_editor_evaluate(self, event: SmalltalkEditor.Evaluate) -> None:
        event.stop()
        editor = event.editor
        suspension = self.current
        if suspension is None:
            self._outcome.show("Nothing is suspended: no frame to evaluate in.", error=True)
            return
        start, end = editor.target()
        code = editor.document.get_text_range(start, end)
        if event.mode == "inspect":
            self._outcome.show("A frame's values print (Ctrl+P); Enter on a variable inspects it.")
        elif code.strip():
            self.run_worker(self._evaluate(suspension, editor, code, event.mode, end))

    async def _evaluate(
        self,
        suspension: Suspension,
        editor: SmalltalkEditor,
        code: str,
        mode: str,
        end: tuple[int, int],
    ) -> None:
        handle, debug_id, index = suspension.handle, suspension.stopped.debug, suspension.index
        outcome = await dbg.evaluate_in(handle, debug_id, code, index, self._seconds)
        if not isinstance(outcome, Evaluated):
            self._outcome.show(shown(outcome).error or "not evaluated", error=True)  # type: ignore[arg-type]
            return
        self._outcome.show("")
        if mode != "do":
            editor.insert_result(outcome.value or "", end)
        if suspension is self.current:  # assignments stay in the frame: show them
            await self._load_frame(suspension, index)


def _one_line(code: str, limit: int = 60) -> str:
    line = " ".join(code.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"

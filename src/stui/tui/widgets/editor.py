"""A Smalltalk code editor: TextArea with Pygments highlighting and the evaluation keys.

The editor only asks; the workspace around it evaluates. It handles Ctrl+I itself so that
Tab, which most terminals send for Ctrl+I, keeps moving the focus.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from stui.tui import keys
from stui.tui.highlight import highlights
from stui.tui.styles import beside

EvalMode = str  # "do" | "print" | "inspect"


class SmalltalkEditor(TextArea):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = keys.bindings("workspace")

    class Evaluate(Message):
        """Evaluate the selection (or the current line) in `mode`."""

        def __init__(self, editor: SmalltalkEditor, mode: EvalMode) -> None:
            super().__init__()
            self.editor = editor
            self.mode = mode

    class Command(Message):
        """A workspace command (interrupt, history, buffers) asked from the editor."""

        def __init__(self, editor: SmalltalkEditor, command: str) -> None:
            super().__init__()
            self.editor = editor
            self.command = command

    def __init__(self, text: str = "", *, buffer: str, id: str | None = None) -> None:
        super().__init__(
            text,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            id=id,
        )
        self.buffer = buffer
        self.running = False

    def _build_highlight_map(self) -> None:
        """Highlight with the Smalltalk lexer instead of a tree-sitter query."""
        self._line_cache.clear()
        self._highlights.clear()
        self._highlights.update(highlights(self.text))

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        """Alt+letter carries a character, and Alt+digit arrives as one (see keys.py),
        but here both are always commands."""
        if key.startswith("alt+") or key in keys.ALT_DIGIT_KEYS:
            return False
        return super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        """Runs before TextArea's own key handler (Textual calls both, subclass first)."""
        if event.key == "ctrl+i":  # only terminals that tell it from Tab send this
            event.stop()
            event.prevent_default()
            self.post_message(self.Evaluate(self, "inspect"))
            return
        if event.key.startswith("alt+") or event.key in keys.ALT_DIGIT_KEYS:
            # A command key (Alt+D…), never text: TextArea's handler must not insert
            # its character, and the event goes on up to the bindings.
            event.prevent_default()

    def action_do_it(self) -> None:
        self.post_message(self.Evaluate(self, "do"))

    def action_print_it(self) -> None:
        self.post_message(self.Evaluate(self, "print"))

    def action_inspect_it(self) -> None:
        self.post_message(self.Evaluate(self, "inspect"))

    def action_interrupt(self) -> None:
        if self.running:
            self.post_message(self.Command(self, "interrupt"))

    def action_copy_or_interrupt(self) -> None:
        """Ctrl+C interrupts while evaluating, and copies as in any editor otherwise."""
        if self.running:
            self.post_message(self.Command(self, "interrupt"))
        else:
            self.action_copy()

    def action_history_back(self) -> None:
        self.post_message(self.Command(self, "history_back"))

    def action_history_forward(self) -> None:
        self.post_message(self.Command(self, "history_forward"))

    def action_new_buffer(self) -> None:
        self.post_message(self.Command(self, "new_buffer"))

    def action_close_buffer(self) -> None:
        self.post_message(self.Command(self, "close_buffer"))

    def action_next_buffer(self) -> None:
        self.post_message(self.Command(self, "next_buffer"))

    def action_previous_buffer(self) -> None:
        self.post_message(self.Command(self, "previous_buffer"))

    def on_mount(self) -> None:
        self.follow_theme()
        if not getattr(self.app, "live", True):
            self.cursor_blink = False  # pictures must not depend on the blink phase

    def follow_theme(self) -> None:
        """Syntax colours that suit the app's light or dark theme."""
        self.theme = "css" if self.app.current_theme.dark else "github_light"

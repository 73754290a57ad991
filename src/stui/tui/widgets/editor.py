"""A Smalltalk code editor: TextArea with Pygments highlighting and the evaluation keys.

The editor only asks; the workspace around it evaluates. It handles Ctrl+I itself so that
Tab, which most terminals send for Ctrl+I, keeps moving the focus.
"""

from __future__ import annotations

import re

from textual import events
from textual.message import Message
from textual.timer import Timer
from textual.widgets import TextArea
from textual.widgets.text_area import Location, Selection

from stui.tui import keys
from stui.tui.highlight import highlights
from stui.tui.styles import beside
from stui.tui.widgets.completion import CompletionPopup, prefix_of

COMPLETION_PAUSE = 0.15  # seconds of no typing before the popup is asked for
COMPLETION_MIN = 2  # characters typed before it is asked for unasked

EvalMode = str  # "do" | "print" | "inspect" | "debug"


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

    class Search(Message):
        """Browse it, senders, implementors or references of the word at the cursor."""

        def __init__(self, editor: SmalltalkEditor, kind: str, word: str) -> None:
            super().__init__()
            self.editor = editor
            self.kind = kind
            self.word = word

    class Broadcast(Message):
        """Print the selection (or the current line) in many images at once."""

        def __init__(self, editor: SmalltalkEditor) -> None:
            super().__init__()
            self.editor = editor

    class CompletionWanted(Message):
        """The word before the cursor wants candidates (`asked`: Ctrl+Space)."""

        def __init__(self, editor: SmalltalkEditor, code: str, asked: bool) -> None:
            super().__init__()
            self.editor = editor
            self.code = code
            self.asked = asked

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
        self.known_words: list[str] = []  # for completion, e.g. the browsed class's ivars
        self.popup: CompletionPopup | None = None  # set by the image area
        self._completion_timer: Timer | None = None

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
        if self._steer_popup(event.key):
            event.stop()
            event.prevent_default()
            return
        command = event.key.startswith("alt+") or event.key in keys.ALT_DIGIT_KEYS
        if (
            not command  # Alt+Shift+P carries the character P, but types nothing
            and event.is_printable
            and event.character
            and (event.character.isalnum() or event.character in "_:")
        ):
            self._ask_soon()
        elif self.popup is not None:
            self.popup.hide()
        if event.key == "ctrl+i":  # only terminals that tell it from Tab send this
            event.stop()
            event.prevent_default()
            self.post_message(self.Evaluate(self, "inspect"))
            return
        if command:
            # A command key (Alt+D…), never text: TextArea's handler must not insert
            # its character, and the event goes on up to the bindings.
            event.prevent_default()

    def _steer_popup(self, key: str) -> bool:
        """Up, Down, Tab, Enter and Esc belong to the popup while it shows."""
        popup = self.popup
        if popup is None or not popup.shown_for(self):
            return False
        match key:
            case "down":
                popup.move(+1)
            case "up":
                popup.move(-1)
            case "tab" | "enter":
                self.complete_with(popup.chosen())
            case "escape":
                popup.hide()
            case _:
                return False
        return True

    def complete_with(self, word: str | None) -> None:
        """Replace the word before the cursor with the chosen one."""
        if self.popup is not None:
            self.popup.hide()
        if not word:
            return
        row, column = self.cursor_location
        prefix = prefix_of(self.document.get_line(row)[:column])
        self.replace(word, (row, column - len(prefix)), (row, column))

    def _ask_soon(self) -> None:
        """Ask once typing pauses, so a burst of keys asks once."""
        if self._completion_timer is not None:
            self._completion_timer.stop()
        self._completion_timer = self.set_timer(COMPLETION_PAUSE, self.ask_completion)

    def ask_completion(self, asked: bool = False) -> None:
        self._completion_timer = None
        if not self.has_focus:
            return
        row, column = self.cursor_location
        code = self.document.get_text_range((0, 0), (row, column))
        if asked or len(prefix_of(code)) >= COMPLETION_MIN:
            self.post_message(self.CompletionWanted(self, code, asked))

    def action_complete(self) -> None:
        self.ask_completion(asked=True)

    def action_do_it(self) -> None:
        self.post_message(self.Evaluate(self, "do"))

    def action_print_it(self) -> None:
        self.post_message(self.Evaluate(self, "print"))

    def action_debug_it(self) -> None:
        self.post_message(self.Evaluate(self, "debug"))

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

    def action_broadcast_it(self) -> None:
        self.post_message(self.Broadcast(self))

    def action_browse_it(self) -> None:
        self._search("browse")

    def action_senders(self) -> None:
        self._search("senders")

    def action_implementors(self) -> None:
        self._search("implementors")

    def action_references(self) -> None:
        self._search("references")

    def _search(self, kind: str) -> None:
        word = self.word_at_cursor()
        if word:
            self.post_message(self.Search(self, kind, word))
        else:
            self.app.notify("Put the cursor on a selector or a class name first.")

    def target(self) -> tuple[Location, Location]:
        """What an evaluation key evaluates: the selection, or with none the whole
        current line, as Squeak and Pharo do."""
        selection = self.selection
        if selection.start != selection.end:
            start, end = sorted((selection.start, selection.end))
            return start, end
        row = selection.end[0]
        return (row, 0), (row, len(self.document.get_line(row)))

    def insert_result(self, value: str, at: Location) -> None:
        """Print it: the value goes after the code, selected, so Backspace removes it
        (as in Squeak and Pharo)."""
        result = self.insert(" " + value, at)
        self.selection = Selection(at, result.end_location)

    def target_code(self) -> str:
        start, end = self.target()
        return self.document.get_text_range(start, end)

    def word_at_cursor(self) -> str:
        """The selection, or the identifier (with a keyword's colon) at the cursor."""
        if self.selected_text.strip():
            return self.selected_text.strip()
        row, column = self.cursor_location
        return word_at(self.document.get_line(row), column)

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


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*:?")


def word_at(line: str, column: int) -> str:
    """The identifier or keyword that the column touches, or ''."""
    for found in _WORD.finditer(line):
        if found.start() <= column <= found.end():
            return found.group()
    return ""

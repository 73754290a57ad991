"""The Transcript panel: follows the image's Transcript live, with clear, filter, pause.

Output arrives as `transcript` events, often in floods. The panel never draws per event:
`feed` only appends to a pending list, and a timer folds what is pending into the bounded
line buffer and writes it to the log in one go, at most FLUSH_INTERVAL apart. So 100k
lines cost the UI a few draws of the last LIMIT lines, never 100k.
"""

from __future__ import annotations

from collections import deque
from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Log, Static

from stui.tui import keys
from stui.tui.styles import beside

LIMIT: Final = 5000  # lines kept; older ones fall off
FLUSH_INTERVAL: Final = 0.1  # seconds between draws while output arrives


class TranscriptPanel(Vertical):
    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar = keys.bindings("transcript")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: deque[str] = deque(maxlen=LIMIT)
        self.partial = ""  # the text after the last line end, still growing
        self.pending: list[str] = []
        self.paused = False
        self.pattern = ""
        self.dropped = 0  # characters the image dropped in a flood
        self.received = 0  # lines received in all
        self._log = Log(max_lines=LIMIT, id="transcript-log")
        self._status = Static("", id="transcript-status")
        self._filter = Input(placeholder="filter (Enter applies, empty shows all)", id="filter")

    def compose(self) -> ComposeResult:
        yield self._status
        yield self._filter
        yield self._log

    def on_mount(self) -> None:
        self.set_interval(FLUSH_INTERVAL, self.flush)
        self._show_status()

    # -- incoming ------------------------------------------------------------------

    def feed(self, text: str, dropped: int = 0) -> None:
        """Called for every event: only remembers, never draws."""
        self.pending.append(text)
        self.dropped += dropped

    def flush(self) -> None:
        """Fold pending output into lines; draw the new ones unless paused."""
        if not self.pending:
            return
        text = self.partial + "".join(self.pending)
        self.pending.clear()
        parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.partial = parts.pop()
        fresh = parts[-LIMIT:]
        self.received += len(parts)
        self.lines.extend(fresh)
        if not self.paused:
            shown = [line for line in fresh if self._keeps(line)]
            if shown:
                self._log.write_lines(shown)
        self._show_status()

    def _keeps(self, line: str) -> bool:
        return not self.pattern or self.pattern.lower() in line.lower()

    def visible(self) -> list[str]:
        """The lines the log shows (for tests and the filter)."""
        return list(self._log.lines)

    # -- actions -------------------------------------------------------------------

    def action_clear(self) -> None:
        self.lines.clear()
        self.partial = ""
        self.pending.clear()
        self._log.clear()
        self._show_status()

    def action_pause(self) -> None:
        self.paused = not self.paused
        if not self.paused:
            self._redraw()
        self._show_status()

    def action_filter(self) -> None:
        self._filter.add_class("shown")
        self._filter.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.set_filter(event.value)
        self._filter.remove_class("shown")
        self._log.focus()

    def set_filter(self, pattern: str) -> None:
        self.pattern = pattern.strip()
        self._redraw()
        self._show_status()

    def _redraw(self) -> None:
        self._log.clear()
        self._log.write_lines([line for line in self.lines if self._keeps(line)])

    def _show_status(self) -> None:
        parts = ["paused (Space resumes)" if self.paused else "following"]
        if self.pattern:
            parts.append(f"filter: {self.pattern!r}")
        parts.append(f"{len(self.lines)} lines kept of {self.received}")
        if self.dropped:
            parts.append(f"{self.dropped} characters dropped by the image")
        self._status.update("  ·  ".join(parts))

    def focus_main(self) -> None:
        self._log.focus()

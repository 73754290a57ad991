"""Broadcast results: one piece of code printed in many images, one row per image.

The rows sit side by side in one table (image, time, result or error), so the images'
answers read against each other. Each image evaluated in its own latest session, as
`stui eval --images` does (tools.broadcast), and each row is in that session's history.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from stui.tools.broadcast import BroadcastRow, Unreached
from stui.tools.outcomes import Evaluated, summary
from stui.tui.styles import beside


def result_text(row: BroadcastRow) -> Text:
    """The value, or the error in red (an unreached image says why)."""
    match row.outcome:
        case Evaluated(value=value):
            return Text(value)
        case Unreached(reason=reason):
            return Text(f"unreached: {reason}", style="red")
        case outcome:
            return Text(summary(outcome) or "error", style="red")


class BroadcastScreen(Screen[None]):
    """The rows of one broadcast; Esc goes back to the workspace."""

    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar = [Binding("escape,q", "close", "Back")]

    def __init__(self, code: str, rows: list[BroadcastRow]) -> None:
        super().__init__()
        self.code = code
        self.rows = rows

    def compose(self) -> ComposeResult:
        first = self.code.strip().splitlines()[0] if self.code.strip() else ""
        ok = sum(1 for r in self.rows if r.ok)
        yield Static(
            f"PRINT IT IN {len(self.rows)} IMAGES  {first[:60]}   {ok} answered, "
            f"{len(self.rows) - ok} failed",
            id="title",
        )
        yield DataTable(cursor_type="row", zebra_stripes=True, id="rows")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("image", "time", "result")
        for row in self.rows:
            table.add_row(
                row.image, f"{row.seconds * 1000:.0f} ms", result_text(row), key=row.image
            )
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)

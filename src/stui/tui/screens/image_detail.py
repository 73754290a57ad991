"""An image's details: identity, latency last/p50/p99, connection history with reasons."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from stui.tui.screens.dialogs import TextScreen
from stui.tui.widgets.images_sidebar import DOTS, latency_text
from stui.workbench import ImageView


def detail_table(view: ImageView, *, live: bool = True) -> Table:
    """The details as a table; `live=False` leaves out times and latencies (snapshots)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    dot, colour = DOTS.get(str(view.status), ("?", "white"))
    table.add_row("status", Text(f"{dot} {view.status}", style=colour))
    rows = [
        ("source", view.source),
        ("address", view.address),
        ("dialect", " ".join(p for p in (view.dialect, view.version) if p) or None),
        ("image_id", view.image_id),
        ("instance_id", view.instance_id),
        ("path", view.image_path),
        ("pid", None if view.pid is None else str(view.pid)),
        ("sessions", None if view.image_sessions is None else str(view.image_sessions)),
        ("unsaved", None if view.unsaved is None else ("yes" if view.unsaved else "no")),
        ("last error", view.last_error),
    ]
    for label, value in rows:
        table.add_row(label, value if value else Text("–", style="dim"))
    if view.duplicates:
        table.add_row(
            "warning",
            Text(f"same image_id as {', '.join(view.duplicates)}", style="bold yellow"),
        )
    if live:
        lat = view.latency
        table.add_row(
            "latency",
            f"last {latency_text(lat.last)}   p50 {latency_text(lat.p50)}   p99 {latency_text(lat.p99)}",
        )
    table.add_row("", "")
    table.add_row(Text("history", style="bold underline"), "")
    for change in reversed(view.history[-30:]):
        when = datetime.fromtimestamp(change.at)
        stamp = when.strftime("%H:%M:%S") if live else ""
        reason = change.reason + (
            f" (instance {change.instance_id[:8]})" if change.instance_id else ""
        )
        table.add_row(stamp, Text(f"{change.status}: {reason}"))
    return table


class ImageDetailScreen(TextScreen):
    """Details of one image, refreshed while it is open."""

    def __init__(self, view: ImageView, *, live: bool = True) -> None:
        super().__init__(f"Image {view.name}", detail_table(view, live=live))
        self.view = view
        self.live = live

    def show(self, view: ImageView) -> None:
        self.view = view
        self.query_one("#body", Static).update(detail_table(view, live=self.live))

"""The images sidebar: one row per known image, updated live from workbench events.

Each row shows a status dot, the name, dialect and version, the last ping latency, the
number of image-side sessions and a mark once the image reports unsaved changes. Images
that share an image_id (a copied file) are both shown, with a warning.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import ListItem, ListView, Static

from stui.tui import keys
from stui.tui.styles import beside

DOTS: dict[str, tuple[str, str]] = {
    "connecting": ("◌", "yellow"),
    "connected": ("●", "green"),
    "degraded": ("◐", "dark_orange"),
    "disconnected": ("○", "red"),
    "orphaned": ("✕", "grey50"),
    "removed": ("·", "grey30"),
}


def status_of(view: Any) -> str:
    return str(getattr(view.status, "value", view.status))


def latency_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    ms = seconds * 1000
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def last_latency(view: Any) -> float | None:
    latency = getattr(view, "latency", None)
    return None if latency is None else getattr(latency, "last", None)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def row_text(view: Any, index: int, *, live: bool = True) -> Text:
    """Two lines: dot, number, name, unsaved mark; then dialect, version, latency, sessions.

    `live=False` leaves out the latency, for pictures that must not change between runs.
    """
    status = status_of(view)
    dot, colour = DOTS.get(status, ("?", "white"))
    text = Text()
    text.append(f"{dot} ", style=colour)
    text.append(f"{index} " if index <= 9 else "  ", style="dim")
    text.append(view.name, style="bold")
    if getattr(view, "unsaved", None):
        text.append(" ✎", style="yellow")
    details = [status]
    if live and status in ("connected", "degraded"):
        details.append(latency_text(last_latency(view)))
    sessions = getattr(view, "image_sessions", None)
    if sessions is not None:
        details.append(f"{sessions} sess")
    text.append("\n    " + " · ".join(details), style="dim")
    dialect = " ".join(p for p in (view.dialect, view.version) if p) or "—"
    text.append("\n    " + _clip(dialect, 26), style="dim italic")
    duplicates = tuple(getattr(view, "duplicates", ()) or ())
    if duplicates:
        text.append(f"\n    ⚠ same image as {', '.join(duplicates)}", style="bold yellow")
    return text


class ImageRow(ListItem):
    def __init__(self, name: str) -> None:
        self.label = Static("")
        super().__init__(self.label)
        self.image_name = name

    def show(self, view: Any, index: int, live: bool) -> None:
        self.label.update(row_text(view, index, live=live))


class ImagesSidebar(Vertical):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = keys.bindings("images")

    class Chosen(Message):
        """The user chose an image (Enter or click)."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    class DetailWanted(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, *, live: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.live = live
        self._names: list[str] = []
        self.current: str | None = None
        self._lock = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Static("IMAGES", id="title")
        yield ListView(id="images")
        yield Static("No images yet: Alt+C creates one, Alt+A adds one.", id="empty")

    async def show(self, views: list[Any]) -> None:
        """Bring the rows in line with these views (sorted by name), keeping the cursor."""
        async with self._lock:
            await self._show(views)

    async def _show(self, views: list[Any]) -> None:
        listing = self.query_one(ListView)
        names = [v.name for v in views]
        if names != self._names:
            highlighted = self.highlighted
            await listing.clear()
            await listing.extend(ImageRow(name) for name in names)
            self._names = names
            if highlighted in names:
                listing.index = names.index(highlighted)
            elif self.current in names:
                listing.index = names.index(self.current)
        for index, (row, view) in enumerate(zip(listing.query(ImageRow), views, strict=False), 1):
            row.show(view, index, self.live)
            row.set_class(view.name == self.current, "current")
        self.query_one("#empty").display = not names

    def knows(self, name: str) -> bool:
        return name in self._names

    def update_one(self, view: Any) -> None:
        """Refresh one row in place (an ImageChanged event)."""
        for index, row in enumerate(self.query(ImageRow), 1):
            if row.image_name == view.name:
                row.show(view, index, self.live)

    def mark_current(self, name: str | None) -> None:
        self.current = name
        listing = self.query_one(ListView)
        for row in listing.query(ImageRow):
            row.set_class(row.image_name == name, "current")
        if name in self._names:
            listing.index = self._names.index(name)

    @property
    def highlighted(self) -> str | None:
        item = self.query_one(ListView).highlighted_child
        return item.image_name if isinstance(item, ImageRow) else None

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, ImageRow):
            self.post_message(self.Chosen(event.item.image_name))

    def action_select_image(self) -> None:
        if self.highlighted:
            self.post_message(self.Chosen(self.highlighted))

    def action_detail(self) -> None:
        if self.highlighted:
            self.post_message(self.DetailWanted(self.highlighted))

    def focus_list(self) -> None:
        self.query_one(ListView).focus()

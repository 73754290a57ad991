"""The images sidebar: one row per known image, updated live from workbench events.

Each row shows a status dot, the name, the status, the last ping latency, the number of
image-side sessions, a mark once the image reports unsaved changes, and the dialect and
version. Images that share an image_id (a copied file) are both shown, with a warning.

A fleet has a thousand images, each pinged every second, so the list is virtual: rows
have one height, only the visible ones are rendered, and a change to one image redraws
that row alone. A filter narrows the list by name, status and dialect, and the header
counts the images in each status.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Input, Static

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
ROW_HEIGHT = 3  # lines per image: name, status, dialect (or the duplicate warning)
HEADER_EVERY = 0.2  # seconds: the counts are redrawn at most this often


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
    """Three lines: dot, number, name and unsaved mark; status, latency and sessions; the
    dialect and version, or the warning that another image has the same image_id.

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
    duplicates = tuple(getattr(view, "duplicates", ()) or ())
    if duplicates:
        text.append(f"\n    ⚠ same image as {', '.join(duplicates)}", style="bold yellow")
    else:
        dialect = " ".join(p for p in (view.dialect, view.version) if p) or "—"
        text.append("\n    " + _clip(dialect, 26), style="dim italic")
    return text


def matches(view: Any, words: list[str]) -> bool:
    """Every word matches: `s:TEXT` the status, `d:TEXT` the dialect, else the name."""
    for word in words:
        field, _, wanted = word.rpartition(":")
        match field:
            case "s" | "status":
                seen = status_of(view)
            case "d" | "dialect":
                seen = str(view.dialect or "")
            case _:
                seen, wanted = view.name, word
        if wanted.lower() not in seen.lower():
            return False
    return True


class ImageList(ScrollView, can_focus=True):
    """The rows, drawn line by line: what is off screen costs nothing."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"image-list--cursor", "image-list--current"}
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "ends(0)", "First", show=False),
        Binding("end", "ends(1)", "Last", show=False),
    ]
    cursor: reactive[int] = reactive(0, always_update=True)

    class Clicked(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, live: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.live = live
        self.views: dict[str, Any] = {}
        self.position: dict[str, int] = {}  # name → 1-based place among all images
        self.shown: list[str] = []  # the names the filter lets through, in order
        self.current: str | None = None
        self._row_of: dict[str, int] = {}
        self._strips: dict[str, list[Strip]] = {}

    # -- contents ------------------------------------------------------------------

    def set_shown(self, names: list[str]) -> None:
        keep = self.highlighted
        self.shown = names
        self._row_of = {name: i for i, name in enumerate(names)}
        self._strips.clear()
        self.virtual_size = Size(self.size.width, len(names) * ROW_HEIGHT)
        if keep in self._row_of:
            self.cursor = self._row_of[keep]
        elif self.current in self._row_of:
            self.cursor = self._row_of[self.current]
        else:
            self.cursor = min(self.cursor, max(0, len(names) - 1))
        self.refresh()

    def redraw(self, name: str) -> None:
        """One image changed: forget its lines, and repaint them if they are on screen."""
        self._strips.pop(name, None)
        row = self._row_of.get(name)
        if row is not None:
            y = row * ROW_HEIGHT - self.scroll_offset.y
            if -ROW_HEIGHT < y < self.size.height:
                self.refresh(Region(0, y, self.size.width, ROW_HEIGHT))

    @property
    def highlighted(self) -> str | None:
        return self.shown[self.cursor] if 0 <= self.cursor < len(self.shown) else None

    # -- drawing -------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        row, line = divmod(y + self.scroll_offset.y, ROW_HEIGHT)
        width = self.size.width
        if row >= len(self.shown):
            return Strip.blank(width, self.rich_style)
        name = self.shown[row]
        strips = self._strips.get(name)
        if strips is None or (strips and strips[0].cell_length != width):
            strips = self._strips[name] = self._render_row(name, row, width)
        return strips[line]

    def _render_row(self, name: str, row: int, width: int) -> list[Strip]:
        view = self.views[name]
        text = row_text(view, self.position.get(name, 0), live=self.live)
        base = self.rich_style
        if row == self.cursor and self.has_focus:
            base += self.get_component_rich_style("image-list--cursor")
        elif name == self.current:
            base += self.get_component_rich_style("image-list--current")
        console = self.app.console
        options = console.options.update_width(max(1, width - 1)).update(no_wrap=True)
        lines = console.render_lines(text, options, style=base, pad=True)
        strips = [Strip([Segment(" ", base), *segments], width) for segments in lines]
        strips = [strip.crop_extend(0, width, base) for strip in strips[:ROW_HEIGHT]]
        while len(strips) < ROW_HEIGHT:
            strips.append(Strip.blank(width, base))
        return strips

    def _repaint_rows(self, *names: str | None) -> None:
        for name in names:
            if name is not None:
                self.redraw(name)

    # -- cursor --------------------------------------------------------------------

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self.shown) - 1)) if self.shown else 0

    def watch_cursor(self, old: int, new: int) -> None:
        names = self.shown
        self._repaint_rows(
            names[old] if 0 <= old < len(names) else None,
            names[new] if 0 <= new < len(names) else None,
        )
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        top = self.cursor * ROW_HEIGHT
        region = Region(0, top, max(1, self.size.width), ROW_HEIGHT)
        self.scroll_to_region(region, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self.cursor += step

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.size.height // ROW_HEIGHT)

    def action_ends(self, last: int) -> None:
        self.cursor = len(self.shown) - 1 if last else 0

    def on_focus(self) -> None:
        self._repaint_rows(self.highlighted)

    def on_blur(self) -> None:
        self._repaint_rows(self.highlighted)

    def on_resize(self) -> None:
        self._strips.clear()
        self.virtual_size = Size(self.size.width, len(self.shown) * ROW_HEIGHT)

    def on_click(self, event: events.Click) -> None:
        row = (event.y + self.scroll_offset.y) // ROW_HEIGHT
        if 0 <= row < len(self.shown):
            self.cursor = row
            self.post_message(self.Clicked(self.shown[row]))


class ImagesSidebar(Vertical):
    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar[list[Binding]] = keys.bindings("images")

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
        self._list = ImageList(live, id="images")
        self._filter = Input(placeholder="/ filter (name, s:, d:)", id="filter")
        self._words: list[str] = []
        self._counts: Counter[str] = Counter()
        self._status: dict[str, str] = {}
        self._header_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("IMAGES", id="title")
        yield self._filter
        yield self._list
        yield Static("No images yet: Alt+C creates one, Alt+A adds one.", id="empty")

    # -- what the app calls --------------------------------------------------------

    async def show(self, views: list[Any]) -> None:
        """Bring the rows in line with these views (sorted by name), keeping the cursor."""
        listing = self._list
        listing.views = {v.name: v for v in views}
        listing.position = {v.name: i for i, v in enumerate(views, 1)}
        self._status = {v.name: status_of(v) for v in views}
        self._counts = Counter(self._status.values())
        self._refilter()
        self._show_header()
        self.query_one("#empty").display = not views

    def knows(self, name: str) -> bool:
        return name in self._list.views

    def update_one(self, view: Any) -> None:
        """One image changed (an ImageChanged event): O(1) unless a status filter is on."""
        name, status = view.name, status_of(view)
        self._list.views[name] = view
        old = self._status.get(name)
        if old != status:
            self._counts[old or ""] -= 1
            self._counts[status] += 1
            self._status[name] = status
            self._header_soon()
            if any(":" in word for word in self._words):
                self._refilter()
                return
        self._list.redraw(name)

    def mark_current(self, name: str | None) -> None:
        listing = self._list
        before, listing.current = listing.current, name
        listing._repaint_rows(before, name)
        if name in listing._row_of:
            listing.cursor = listing._row_of[name]

    @property
    def current(self) -> str | None:
        return self._list.current

    @property
    def highlighted(self) -> str | None:
        return self._list.highlighted

    def row_plain(self, name: str) -> str:
        """The row's text as shown, for tests and screen readers."""
        view = self._list.views[name]
        return row_text(view, self._list.position.get(name, 0), live=self.live).plain

    def focus_list(self) -> None:
        self._list.focus()

    # -- filter and header ---------------------------------------------------------

    def _refilter(self) -> None:
        views = self._list.views
        names = sorted(views)
        if self._words:
            names = [n for n in names if matches(views[n], self._words)]
        self._list.set_shown(names)

    def _header_soon(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.set_timer(HEADER_EVERY, self._show_header)

    def _show_header(self) -> None:
        self._header_timer = None
        total = len(self._list.views)
        title = Text("IMAGES", style="bold")
        title.append(f" ({total})", style="dim")
        shown = len(self._list.shown)
        if shown != total:
            title.append(f" ({shown} shown)", style="dim")
        for status, (dot, colour) in DOTS.items():
            if self._counts.get(status):
                title.append(f"  {dot}", style=colour)
                title.append(f" {self._counts[status]}", style="dim")
        self.query_one("#title", Static).update(title)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._words = event.value.split()
        self._refilter()
        self._show_header()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._list.focus()

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self._filter.has_focus:
            event.stop()
            self._filter.value = ""
            self._list.focus()

    def action_filter(self) -> None:
        self._filter.focus()

    # -- choosing ------------------------------------------------------------------

    def on_image_list_clicked(self, event: ImageList.Clicked) -> None:
        event.stop()
        self.post_message(self.Chosen(event.name))

    def action_select_image(self) -> None:
        if self.highlighted:
            self.post_message(self.Chosen(self.highlighted))

    def action_detail(self) -> None:
        if self.highlighted:
            self.post_message(self.DetailWanted(self.highlighted))

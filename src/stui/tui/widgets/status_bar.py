"""The status bar: current image, its session, its state, and the evaluation running."""

from __future__ import annotations

import time

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from stui.tui.styles import beside
from stui.tui.widgets.images_sidebar import DOTS


class StatusBar(Static):
    DEFAULT_CSS = beside(__file__)

    image: reactive[str | None] = reactive(None)
    session: reactive[str | None] = reactive(None)
    state: reactive[str] = reactive("")
    evaluating: reactive[float | None] = reactive(None)  # monotonic start time

    def __init__(self, *, live: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.live = live  # False: no session id, so pictures are the same every run

    def on_mount(self) -> None:
        self.set_interval(0.2, self._tick)

    def _tick(self) -> None:
        if self.evaluating is not None:
            self.refresh_text()

    def watch_image(self) -> None:
        self.refresh_text()

    def watch_session(self) -> None:
        self.refresh_text()

    def watch_state(self) -> None:
        self.refresh_text()

    def watch_evaluating(self) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        text = Text()
        if self.image is None:
            text.append("no image selected", style="dim")
        else:
            dot, colour = DOTS.get(self.state, ("?", "white"))
            text.append(f"{dot} ", style=colour)
            text.append(self.image, style="bold")
            text.append(f"  {self.state}")
            if not self.session:
                text.append("   no session", style="dim")
            else:
                text.append(
                    f"   session {self.session[:8]}" if self.live else "   session", style="dim"
                )
        if self.evaluating is not None:
            text.append(
                f"   evaluating {time.monotonic() - self.evaluating:.1f} s", style="bold yellow"
            )
        self.update(text)

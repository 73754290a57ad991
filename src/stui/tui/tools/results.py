"""Search results: senders, implementors or references of a name, or the classes a
search found. Enter opens the entry in the class browser."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from stui.protocol import messages as m
from stui.tools.search import ref_name
from stui.tui import keys
from stui.tui.styles import beside

if TYPE_CHECKING:
    from stui.tui.context import ImageContext

Entry = m.MethodRef | str  # a method, or a class name


class ResultsPanel(Vertical):
    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar = keys.bindings("results")
    SELECT_RUNS: ClassVar = {"results-list": "open_ref"}  # Enter on an entry (F1 help)

    def __init__(self, context: ImageContext, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.context = context
        self.title = "No search yet: Alt+N senders, Alt+M implementors in an editor."
        self.entries: list[Entry] = []
        self.highlight: str | None = None  # the selector to mark in the opened method
        self._title = Static(self.title, id="results-title")
        self._list = OptionList(id="results-list")

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._list

    def focus_main(self) -> None:
        self._list.focus()

    def show(self, title: str, entries: list[Entry], highlight: str | None = None) -> None:
        self.title = title
        self.entries = entries
        self.highlight = highlight
        self._title.update(title)
        self._list.clear_options()
        self._list.add_options(
            [Option(ref_name(e) if isinstance(e, m.MethodRef) else e) for e in entries]
        )
        if entries:
            self._list.highlighted = 0

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        await self.action_open_ref()

    async def action_open_ref(self) -> None:
        index = self._list.highlighted
        if index is None or not 0 <= index < len(self.entries):
            return
        entry = self.entries[index]
        if isinstance(entry, str):
            await self.context.browse(entry)
        else:
            await self.context.browse(entry.class_, entry.side, entry.selector, self.highlight)

"""The completion popup: candidates for the word before the cursor, shown under it.

Typing never waits for it. The editor asks (after a short pause in typing, or at once on
Ctrl+Space); the image area asks the image in a worker, the newest question cancelling
an older one, and the popup shows only if the word is still being typed when the answer
comes. Candidates from the text itself (temporaries, arguments, the browsed class's
instance variables) come first, then the image's (globals, selectors, the session's
variables).
"""

from __future__ import annotations

import re
from typing import Final

from textual.widget import Widget
from textual.widgets import OptionList

from stui.protocol import messages as m
from stui.tui.styles import beside

SHOWN: Final = 12
_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*:?$")
_TEMPS = re.compile(r"\|([^|]*)\|")
_ARGS = re.compile(r"(?::\s*|^[A-Za-z_][A-Za-z0-9_]*:\s*|^\S+\s+)([a-z_][A-Za-z0-9_]*)", re.M)
_BLOCK_ARGS = re.compile(r":([a-z_][A-Za-z0-9_]*)")


def prefix_of(code: str) -> str:
    """The word the text before the cursor ends with ('' if none)."""
    found = _PREFIX.search(code)
    return found.group() if found else ""


def local_words(text: str, known: list[str]) -> list[str]:
    """Temporaries, block and method arguments in the text, and names the tool knows
    (a class's instance variables)."""
    words: list[str] = list(known)
    for temps in _TEMPS.findall(text):
        words += temps.split()
    words += _BLOCK_ARGS.findall(text)
    first = text.split("\n", 1)[0]
    words += re.findall(r":\s*([a-z_][A-Za-z0-9_]*)", first)  # keyword method arguments
    return list(dict.fromkeys(w for w in words if w.isidentifier()))


def candidates(prefix: str, local: list[str], image: list[m.Completion]) -> list[str]:
    """What the popup lists: local words first, then the image's, without repeats."""
    words = [w for w in local if w.startswith(prefix) and w != prefix]
    words += [c.text for c in image if c.text.startswith(prefix) and c.text != prefix]
    return list(dict.fromkeys(words))


class CompletionPopup(OptionList):
    """Never focused: the editor keeps the focus and steers it (Up, Down, Tab, Esc)."""

    DEFAULT_CSS = beside(__file__)
    can_focus = False

    def __init__(self) -> None:
        super().__init__(id="completion")
        self.items: list[str] = []
        self.prefix = ""
        self.owner: Widget | None = None  # the editor it was offered to

    def offer(self, prefix: str, items: list[str], at: tuple[int, int], owner: Widget) -> None:
        """Show the items under the word, for `owner` only: the area's editors share one
        popup, and another editor's keys must never pick from it."""
        self.prefix = prefix
        self.owner = owner
        self.items = items[:SHOWN]
        self.clear_options()
        if not self.items:
            self.hide()
            return
        self.add_options(self.items)
        self.highlighted = 0
        self.styles.offset = at
        self.add_class("shown")

    def hide(self) -> None:
        self.remove_class("shown")
        self.items = []
        self.owner = None

    @property
    def shown(self) -> bool:
        return self.has_class("shown") and bool(self.items)

    def shown_for(self, editor: Widget) -> bool:
        return self.shown and self.owner is editor

    def move(self, step: int) -> None:
        if self.items:
            self.highlighted = ((self.highlighted or 0) + step) % len(self.items)

    def chosen(self) -> str | None:
        index = self.highlighted
        return self.items[index] if self.items and index is not None else None

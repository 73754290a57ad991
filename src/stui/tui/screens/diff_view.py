"""The diff view: what differs from one image's code to another's, one entry per class or
method on the left, its unified diff on the right (tools.diff, as `stui diff` shows it).

It opens from the palette (or Alt+Shift+D): a dialog asks for the two images and the
scope (a class, Class>>selector, `category:Pattern`, or nothing for every class).
"""

from __future__ import annotations

from typing import ClassVar

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from stui.errors import InvalidInput
from stui.tools.code_scope import CodeScope, parse_scope, parse_target
from stui.tools.diff import (
    ClassAdded,
    ClassRemoved,
    CodeDiff,
    DefinitionChanged,
    Difference,
    MethodAdded,
    MethodRemoved,
    name_of,
    unified,
)
from stui.tui.styles import beside

CATEGORY_PREFIX = "category:"


def scope_of(text: str) -> CodeScope:
    """The dialog's scope: empty for every class, `category:Pattern`, or a class or
    method as `stui diff` takes it; InvalidInput with a one-line reason otherwise."""
    text = text.strip()
    if not text:
        return CodeScope()
    if text.startswith(CATEGORY_PREFIX):
        pattern = text.removeprefix(CATEGORY_PREFIX).strip()
        if not pattern:
            raise InvalidInput("category: needs a pattern, e.g. category:Kernel-*")
        return parse_scope(None, pattern, False)
    return parse_target(text)


def kind_word(difference: Difference) -> str:
    match difference:
        case ClassAdded():
            return "added class"
        case ClassRemoved():
            return "removed class"
        case DefinitionChanged():
            return "definition"
        case MethodAdded():
            return "added"
        case MethodRemoved():
            return "removed"
        case _:
            return "changed"


class DiffScreen(Screen[None]):
    """One comparison's differences; Esc goes back."""

    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar = [Binding("escape,q", "close", "Back")]

    def __init__(self, result: CodeDiff) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        r = self.result
        yield Static(
            f"DIFF {r.a} → {r.b}  {r.scope.describe()}: {len(r.differences)} difference(s), "
            f"{r.classes_compared} classes compared",
            id="title",
        )
        with Horizontal():
            yield OptionList(
                *(
                    Option(f"{kind_word(d):13} {name_of(d)}", id=str(n))
                    for n, d in enumerate(r.differences)
                ),
                id="differences",
            )
            with VerticalScroll(id="diff-pane"):
                yield Static(id="diff")
        yield Footer()

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        if self.result.differences:
            listing.highlighted = 0
            self.show(0)
        else:
            self.query_one("#diff", Static).update(Text("No differences.", style="dim"))
        listing.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show(event.option_index)

    def show(self, index: int) -> None:
        difference = self.result.differences[index]
        text = unified(difference, self.result.a, self.result.b)
        self.shown = text
        self.query_one("#diff", Static).update(Syntax(text, "diff", word_wrap=True))

    def action_close(self) -> None:
        self.dismiss(None)

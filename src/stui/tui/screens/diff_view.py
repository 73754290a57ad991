"""The diff view: what differs from one image's code to another's, one entry per class or
method on the left, its unified diff on the right (tools.diff, as `stui diff` shows it).

It opens from the palette (or Alt+Shift+F; in the browser, filled in with the selected
method or class): a dialog asks for the two images and the scope (a class,
Class>>selector, `category:Pattern`, or nothing for every class).
`c` copies the highlighted class or method from the first image into the second, after
showing the steps (tools.copy).
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
    MethodChanged,
    MethodRemoved,
    name_of,
    unified,
)
from stui.tui import keys
from stui.tui.styles import beside
from stui.tui.tools import copy_to_image
from stui.workbench import Workbench

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


def scope_of_difference(difference: Difference) -> CodeScope:
    """The class or method a difference is about, as a copy's scope."""
    match difference:
        case MethodAdded() | MethodRemoved() | MethodChanged():
            return CodeScope(
                class_name=difference.class_name,
                side=difference.side,
                selector=difference.selector,
            )
        case _:
            return CodeScope(class_name=difference.class_name)


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
    BINDINGS: ClassVar = [Binding("escape,q", "close", "Back"), *keys.bindings("diff")]

    def __init__(self, result: CodeDiff, wb: Workbench) -> None:
        super().__init__()
        self.result = result
        self.wb = wb

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

    def action_copy_difference(self) -> None:
        """Copy what the highlighted entry is about from the first image into the second
        (planned and shown first); the list is not recomputed (compare again to see)."""
        index = self.query_one(OptionList).highlighted
        if index is None or not self.result.differences:
            self.app.notify("Nothing to copy: there are no differences.")
            return
        scope = scope_of_difference(self.result.differences[index])
        self.run_worker(
            copy_to_image.plan(self, self.wb, self.result.a, self.result.b, scope), group="copy"
        )

    def action_close(self) -> None:
        self.dismiss(None)

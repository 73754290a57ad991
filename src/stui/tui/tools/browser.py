"""The class browser: categories → classes → protocols → methods, the instance or class
side, and one editor for the method or the class definition.

Ctrl+S accepts what the editor shows: a method compiles into the selected class and
protocol, a definition defines (or changes) the class. A syntax error leaves the edit as
it is, the cursor at the error. An edit not accepted is marked, and moving to another
method, class, protocol or category asks first.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, Final, Literal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.text_area import Selection as TextSelection

from stui.errors import StuiError
from stui.protocol import messages as m
from stui.tools import browse, edit
from stui.tools.code_scope import CodeScope
from stui.tui import keys
from stui.tui.screens.dialogs import ConfirmScreen, TextScreen
from stui.tui.styles import beside
from stui.tui.tools import copy_to_image
from stui.tui.widgets.editor import SmalltalkEditor

if TYPE_CHECKING:
    from stui.tui.context import ImageContext
    from stui.workbench import SessionHandle

ALL: Final = "-- all --"
NEW_METHOD: Final = 'messageSelectorAndArgumentNames\n\t"comment stating purpose of message"\n\n\t| temporaryVariableNames |\n\tstatements'
Shows = Literal["nothing", "definition", "method", "new_method", "new_class"]
Pane = Literal["categories", "classes", "protocols", "methods"]


def class_template(category: str) -> str:
    return (
        "Object subclass: #NameOfSubclass\n"
        "\tinstanceVariableNames: ''\n"
        "\tclassVariableNames: ''\n"
        "\tpoolDictionaries: ''\n"
        f"\tcategory: '{category}'"
    )


class BrowserPanel(Vertical):
    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar = keys.bindings("browser")

    class DiffWanted(Message):
        """Compare this scope (Class, Class>>selector, or '' for all) with another image."""

        def __init__(self, scope: str) -> None:
            super().__init__()
            self.scope = scope

    def __init__(self, context: ImageContext, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.context = context
        self.category: str | None = None
        self.cls: str | None = None
        self.side = m.Side.INSTANCE
        self.protocol: str | None = None
        self.selector: str | None = None
        self.shows: Shows = "nothing"
        self.accepted = ""  # the editor's text as loaded or last accepted
        self.loaded = False
        self._lists: dict[Pane, OptionList] = {
            pane: OptionList(id=pane) for pane in ("categories", "classes", "protocols", "methods")
        }
        self._items: dict[Pane, list[str]] = {pane: [] for pane in self._lists}
        self._status = Static("", id="browser-status")
        self.editor = SmalltalkEditor("", buffer="browser", id="code")
        self._error = Static("", id="browser-error")

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield from self._lists.values()
        yield self._status
        yield self.editor
        yield self._error

    def focus_main(self) -> None:
        target = "methods" if self.cls else "categories"
        self._lists[target].focus()

    @property
    def dirty(self) -> bool:
        return self.shows != "nothing" and self.editor.text != self.accepted

    # -- loading -------------------------------------------------------------------

    async def _session(self) -> SessionHandle | None:
        handle = await self.context.open()
        if handle is None:
            self._show_error(f"{self.context.name} is not up: nothing to browse now.")
        return handle

    async def load(self) -> None:
        """The categories, once, the first time the browser is shown."""
        if self.loaded:
            return
        handle = await self._session()
        if handle is None:
            return
        try:
            self._fill("categories", await browse.categories(handle.client))
        except StuiError as e:
            self._show_error(str(e))
            return
        self.loaded = True
        self._draw_status()

    def _fill(self, pane: Pane, items: list[str], chosen: str | None = None) -> None:
        self._items[pane] = items
        widget = self._lists[pane]
        widget.clear_options()
        widget.add_options(items)
        if chosen in items:
            widget.highlighted = items.index(chosen)

    async def open_class(
        self,
        cls: str,
        side: m.Side = m.Side.INSTANCE,
        selector: str | None = None,
        highlight: str | None = None,
    ) -> bool:
        """Show a class (and one of its methods), whatever the browser showed before."""
        handle = await self._session()
        if handle is None:
            return False
        await self.load()
        try:
            found = await browse.definition(handle.client, cls)
        except StuiError as e:
            self._show_error(str(e))
            return False
        self.side = side
        self.category = found.category
        self.cls = found.class_  # before the lists' highlight messages arrive
        if found.category and found.category not in self._items["categories"]:
            self._fill("categories", [*self._items["categories"], found.category])
        self._mark("categories", found.category)
        self._fill("classes", await browse.classes(handle.client, found.category or ""), cls)
        await self._show_class(handle, found.class_, found)
        if selector is not None:
            self.selector = selector
            self._mark("methods", selector)
            await self._show_method(handle, selector, highlight)
        return True

    def _mark(self, pane: Pane, item: str | None) -> None:
        if item in self._items[pane]:
            self._lists[pane].highlighted = self._items[pane].index(item)

    async def _show_class(
        self, handle: SessionHandle, cls: str, found: m.Definition | None = None
    ) -> None:
        self.cls, self.protocol, self.selector = cls, None, None
        client = handle.client
        found = found or await browse.definition(client, cls)
        self._fill("protocols", [ALL, *await browse.protocols(client, cls, self.side)])
        self._fill("methods", await browse.selectors(client, cls, self.side))
        self.editor.known_words = list(found.instance_variables)
        text = found.definition
        if self.side is m.Side.CLASS:
            text = found.class_definition or found.definition
        self._load_editor(text, "definition")

    async def _show_method(
        self, handle: SessionHandle, selector: str, highlight: str | None = None
    ) -> None:
        assert self.cls is not None
        source = await browse.method(handle.client, self.cls, selector, self.side)
        self.selector = selector
        self._load_editor(source.source, "method")
        if highlight:
            self._highlight(highlight)

    def _highlight(self, selector: str) -> None:
        """Select the selector's first keyword (or the unary selector) in the body."""
        text = self.editor.text
        head = text.find("\n")
        first = selector.split(":")[0] + (":" if ":" in selector else "")
        found = re.search(rf"(?<![A-Za-z0-9_]){re.escape(first)}", text[max(head, 0) :])
        if found is None:
            return
        doc = self.editor.document
        start = doc.get_location_from_index(max(head, 0) + found.start())
        end = doc.get_location_from_index(max(head, 0) + found.end())
        self.editor.selection = TextSelection(start, end)

    def _load_editor(self, text: str, shows: Shows) -> None:
        self.shows = shows
        self.accepted = text
        self.editor.load_text(text)
        self._show_error("")
        self._draw_status()

    def _draw_status(self) -> None:
        where = self.cls or "no class"
        if self.cls and self.side is m.Side.CLASS:
            where += " class"
        what = {
            "nothing": "",
            "definition": "definition",
            "method": f">>{self.selector}",
            "new_method": f"new method in {self.protocol}",
            "new_class": "new class",
        }[self.shows]
        side = "class side" if self.side is m.Side.CLASS else "instance side"
        mark = "  ● unsaved (Ctrl+S accepts)" if self.dirty else ""
        self._status.update(f"{where} {what}   [{side}, Alt+S toggles]{mark}")

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area is self.editor:
            self._draw_status()

    def _show_error(self, text: str) -> None:
        self._error.update(text)
        self._error.set_class(bool(text), "shown")

    # -- moving through the panes --------------------------------------------------

    async def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        pane: Pane = event.option_list.id  # type: ignore[assignment]
        items = self._items.get(pane, [])
        if event.option_index >= len(items):
            return
        item = items[event.option_index]
        current = {
            "categories": self.category,
            "classes": self.cls,
            "protocols": self.protocol or (ALL if self.cls else None),
            "methods": self.selector,
        }[pane]
        if item == current:
            return
        self.run_worker(
            self._leave_then(pane, lambda: self._go(pane, item)), group="browse", exclusive=True
        )

    async def _leave_then(self, pane: Pane, then: Callable[[], Awaitable[None]]) -> None:
        """Run `then` now, or after a yes when the editor holds an unsaved edit."""
        if not self.dirty:
            await then()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(then(), group="browser", exclusive=True)
            else:
                self._restore_marks()

        self.app.push_screen(
            ConfirmScreen("Unsaved edit", "Leave it? The edit will be lost.", "Leave"), answered
        )

    def _restore_marks(self) -> None:
        self._mark("categories", self.category)
        self._mark("classes", self.cls)
        self._mark("protocols", self.protocol or ALL)
        self._mark("methods", self.selector)

    async def _go(self, pane: Pane, item: str) -> None:
        handle = await self._session()
        if handle is None:
            return
        client = handle.client
        try:
            match pane:
                case "categories":
                    self.category, self.cls, self.protocol, self.selector = item, None, None, None
                    self._fill("classes", await browse.classes(client, item))
                    self._fill("protocols", [])
                    self._fill("methods", [])
                    self._load_editor("", "nothing")
                case "classes":
                    await self._show_class(handle, item)
                case "protocols":
                    await self._show_protocol(handle, item)
                case "methods":
                    await self._show_method(handle, item)
        except StuiError as e:
            self._show_error(str(e))

    async def _show_protocol(self, handle: SessionHandle, protocol: str) -> None:
        assert self.cls is not None
        self.protocol = None if protocol == ALL else protocol
        self.selector = None
        found = await browse.selectors(handle.client, self.cls, self.side, self.protocol)
        self._fill("methods", found)
        if self.protocol is not None:
            self._load_editor(NEW_METHOD, "new_method")

    # -- actions -------------------------------------------------------------------

    def action_accept(self) -> None:
        self.run_worker(self.accept(), group="accept")

    async def accept(self) -> None:
        handle = await self._session()
        if handle is None:
            return
        text = self.editor.text
        try:
            if self.shows in ("definition", "new_class"):
                await self._define(handle, text)
            elif self.shows in ("method", "new_method"):
                await self._compile(handle, text)
            else:
                self._show_error("Nothing to accept: choose a class or a protocol first.")
        except StuiError as e:
            self._show_error(str(e))

    async def _define(self, handle: SessionHandle, text: str) -> None:
        reply = await edit.define_class(handle.client, text)
        if isinstance(reply, m.CompileError):
            self._compile_error(reply)
            return
        self.app.notify(f"{reply.class_} {'defined' if reply.created else 'changed'}")
        self.accepted = text
        await self.open_class(reply.class_, self.side)

    async def _compile(self, handle: SessionHandle, text: str) -> None:
        assert self.cls is not None
        reply = await edit.compile_method(handle.client, self.cls, text, self.side, self.protocol)
        if isinstance(reply, m.CompileError):
            self._compile_error(reply)
            return
        self.accepted = text
        self.selector = reply.selector
        self.protocol = reply.protocol
        self.shows = "method"
        client = handle.client
        self._fill(
            "protocols", [ALL, *await browse.protocols(client, self.cls, self.side)], reply.protocol
        )
        self._fill(
            "methods",
            await browse.selectors(client, self.cls, self.side, self.protocol),
            reply.selector,
        )
        self._show_error("")
        self._draw_status()

    def _compile_error(self, error: m.CompileError) -> None:
        """Keep the edit; put the cursor where the compiler stopped."""
        where = f" (at {error.position})" if error.position is not None else ""
        self._show_error(f"Not accepted{where}: {error.message}")
        if error.position is not None:
            doc = self.editor.document
            index = min(max(0, error.position - 1), len(self.editor.text))
            location = doc.get_location_from_index(index)
            self.editor.selection = TextSelection(location, location)
        self.editor.focus()
        self._draw_status()

    def action_toggle_side(self) -> None:
        self.run_worker(self._toggle_side(), group="browser-action")

    async def _toggle_side(self) -> None:
        async def flip() -> None:
            self.side = m.Side.CLASS if self.side is m.Side.INSTANCE else m.Side.INSTANCE
            handle = await self._session()
            if handle is not None and self.cls is not None:
                await self._show_class(handle, self.cls)
            self._draw_status()

        await self._leave_then("classes", flip)

    def action_hierarchy(self) -> None:
        self.run_worker(self._hierarchy(), group="browser-action")

    async def _hierarchy(self) -> None:
        handle = await self._session()
        if handle is None or self.cls is None:
            self._show_error("Choose a class first.")
            return
        found = await browse.hierarchy(handle.client, self.cls)
        lines = [f"{'  ' * depth}{name}" for depth, name in enumerate(found.superclasses)]
        depth = len(found.superclasses)
        lines.append(f"{'  ' * depth}{found.class_}   ◀")
        lines += [f"{'  ' * (depth + 1)}{name}" for name in found.subclasses]
        self.app.push_screen(TextScreen(f"Hierarchy of {found.class_}", "\n".join(lines)))

    def action_new_class(self) -> None:
        self.run_worker(self._new_class(), group="browser-action")

    async def _new_class(self) -> None:
        async def template() -> None:
            self._load_editor(class_template(self.category or "Unclassified"), "new_class")
            self.accepted = ""  # a template is an edit until it is accepted
            self._draw_status()
            self.editor.focus()

        await self._leave_then("classes", template)

    def action_new_method(self) -> None:
        self.run_worker(self._new_method(), group="browser-action")

    async def _new_method(self) -> None:
        if self.cls is None:
            self._show_error("Choose a class first.")
            return

        async def template() -> None:
            self.selector = None
            self._load_editor(NEW_METHOD, "new_method")
            self.editor.focus()

        await self._leave_then("methods", template)

    def action_copy_to_image(self) -> None:
        """Copy the selected method, else the selected class, into another image."""
        if self.cls is None:
            self._show_error("Choose a class (or a method) to copy first.")
            return
        scope = CodeScope(class_name=self.cls, side=self.side, selector=self.selector)
        if self.selector is None:
            scope = CodeScope(class_name=self.cls)
        copy_to_image.ask(self, self.context.wb, self.context.name, scope)

    def action_diff_selection(self) -> None:
        """Compare the selected method, else class (else every class), with another
        image: the app's compare dialog, filled in."""
        scope = ""
        if self.cls is not None:
            side = " class" if self.side is m.Side.CLASS else ""
            scope = f"{self.cls}{side}>>{self.selector}" if self.selector else self.cls
        self.post_message(self.DiffWanted(scope))

    def action_remove(self) -> None:
        focused = self.app.focused
        if focused is self._lists["methods"] and self.cls and self.selector:
            what = f"the method {self.cls}{' class' if self.side is m.Side.CLASS else ''}>>{self.selector}"
        elif focused is self._lists["classes"] and self.cls:
            what = f"the class {self.cls}"
        else:
            self._show_error("Select a method (or a class) in its list to remove it.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._remove(focused is self._lists["methods"]), group="browser")

        self.app.push_screen(
            ConfirmScreen("Remove", f"Remove {what} from the image?", "Remove"), answered
        )

    async def _remove(self, method: bool) -> None:
        handle = await self._session()
        if handle is None or self.cls is None:
            return
        client = handle.client
        try:
            if method and self.selector:
                await edit.remove_method(client, self.cls, self.selector, self.side)
                self.app.notify(f"Removed {self.cls}>>{self.selector}")
                await self._show_protocol(handle, self.protocol or ALL)
                self._load_editor("", "nothing")
            else:
                await edit.remove_class(client, self.cls)
                self.app.notify(f"Removed {self.cls}")
                self.cls, self.selector = None, None
                self._fill("classes", await browse.classes(client, self.category or ""))
                self._fill("protocols", [])
                self._fill("methods", [])
                self._load_editor("", "nothing")
        except StuiError as e:
            self._show_error(str(e))

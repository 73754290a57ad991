"""The inspector: an object's fields as a tree, drilling down through the session's
handles, pages of large collections, an evaluation pane where `self` is the object, and
back and forward through the objects visited.

Space expands a field in place (its own fields load then); Enter makes it the inspected
object. A collection shows PAGE elements at a time; its last row loads the next page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Final

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from stui.errors import StuiError
from stui.protocol import messages as m
from stui.tools import Evaluated, evaluate
from stui.tools import inspect as inspecting
from stui.tui import keys
from stui.tui.styles import beside
from stui.tui.widgets.editor import SmalltalkEditor
from stui.tui.widgets.outcome_line import OutcomeLine
from stui.tui.widgets.workspace import shown

if TYPE_CHECKING:
    from stui.tui.context import ImageContext

PAGE: Final = 100


@dataclass(frozen=True)
class MoreRow:
    """The last row of a page: selecting it loads the next one."""

    handle: int
    offset: int


Row = m.ValueRef | MoreRow | None


class InspectorPanel(Vertical):
    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar = keys.bindings("inspector")
    SELECT_RUNS: ClassVar = {"fields": "dive"}  # Enter on a field (F1 help reads this)

    def __init__(self, context: ImageContext, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.context = context
        self.visited: list[m.ObjectView] = []
        self.position = -1  # index into visited of the object shown
        self._title = Static("Nothing inspected yet: Alt+I in the workspace.", id="inspected")
        self._tree: Tree[Row] = Tree("—", id="fields")
        self._tree.auto_expand = False
        self._pane = SmalltalkEditor("", buffer="inspector", id="inspector-pane")
        self._outcome = OutcomeLine("", id="inspector-outcome")

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._tree
        yield Static("self is the inspected object: Ctrl+P prints, Ctrl+D does", id="pane-hint")
        yield self._pane
        yield self._outcome

    @property
    def current(self) -> m.ObjectView | None:
        return self.visited[self.position] if 0 <= self.position < len(self.visited) else None

    def focus_main(self) -> None:
        self._tree.focus()

    # -- showing -------------------------------------------------------------------

    def show(self, view: m.ObjectView) -> None:
        """Inspect a new object: it becomes the newest in the visited list."""
        del self.visited[self.position + 1 :]
        self.visited.append(view)
        self.position = len(self.visited) - 1
        self._draw()

    def _draw(self) -> None:
        view = self.current
        if view is None:
            return
        self._title.update(
            f"{view.class_}: {view.print}"
            + ("…" if view.truncated else "")
            + f"   [{self.position + 1}/{len(self.visited)}]  Alt+Left back, Alt+Right forward"
        )
        tree = self._tree
        tree.clear()
        tree.root.set_label(f"self: {view.print}")
        tree.root.data = m.ValueRef(handle=view.handle, class_=view.class_, print=view.print)
        self._fill(tree.root, view)
        tree.root.expand()
        self._outcome.show("")

    def _fill(self, node: TreeNode[Row], view: m.ObjectView) -> None:
        for f in view.fields:
            self._add(node, f.name, f.value)
        self._add_elements(node, view.handle, view.elements, view.size)

    def _add_elements(
        self, node: TreeNode[Row], handle: int, elements: list[m.Element], size: int
    ) -> None:
        for element in elements:
            name = f"[{element.index}]"
            if element.key is not None:
                name = f"[{element.key.print}]"
            self._add(node, name, element.value)
        last = elements[-1].index if elements else 0
        if last < size:
            node.add_leaf(
                f"… {size - last} more of {size} (Enter loads {PAGE})", MoreRow(handle, last)
            )

    def _add(self, node: TreeNode[Row], name: str, value: m.ValueRef) -> None:
        label = f"{name}: {value.print}  ({value.class_})"
        if value.handle is None:
            node.add_leaf(label, value)
        else:
            node.add(label, value)

    # -- the tree ------------------------------------------------------------------

    async def on_tree_node_expanded(self, event: Tree.NodeExpanded[Row]) -> None:
        node = event.node
        if node is self._tree.root or node.children or not isinstance(node.data, m.ValueRef):
            return
        view = await self._call_view(node.data)
        if view is not None:
            self._fill(node, view)

    async def on_tree_node_selected(self, event: Tree.NodeSelected[Row]) -> None:
        event.stop()
        await self._select(event.node)

    async def action_dive(self) -> None:
        node = self._tree.cursor_node
        if node is not None:
            await self._select(node)

    async def _select(self, node: TreeNode[Row]) -> None:
        match node.data:
            case MoreRow(handle=handle, offset=offset):
                await self._next_page(node, handle, offset)
            case m.ValueRef(handle=int()) as value if node is not self._tree.root:
                view = await self._call_view(value)
                if view is not None:
                    self.show(view)
            case _:
                return  # the root, and values without a handle, open nothing

    async def _next_page(self, row: TreeNode[Row], handle: int, offset: int) -> None:
        session = await self.context.open()
        if session is None:
            return
        try:
            page = await inspecting.page(session, handle, offset, PAGE)
        except StuiError as e:
            self._outcome.show(str(e), error=True)
            return
        parent = row.parent
        row.remove()
        if parent is not None:
            self._add_elements(parent, handle, page.elements, page.size)

    async def _call_view(self, value: m.ValueRef) -> m.ObjectView | None:
        session = await self.context.open()
        if session is None or value.handle is None:
            return None
        try:
            return await inspecting.inspect_handle(session, value.handle, 0, PAGE)
        except StuiError as e:
            self._outcome.show(f"{e}", error=True)
            return None

    def action_back(self) -> None:
        if self.position > 0:
            self.position -= 1
            self._draw()

    def action_forward(self) -> None:
        if self.position < len(self.visited) - 1:
            self.position += 1
            self._draw()

    def action_focus_pane(self) -> None:
        self._pane.focus()

    # -- the evaluation pane -------------------------------------------------------

    def on_smalltalk_editor_evaluate(self, event: SmalltalkEditor.Evaluate) -> None:
        event.stop()
        editor = event.editor
        view = self.current
        if view is None:
            self._outcome.show("Nothing is inspected: self would be nil.", error=True)
            return
        start, end = editor.target()
        code = editor.document.get_text_range(start, end)
        if code.strip():
            self.run_worker(self._evaluate(editor, code, event.mode, view.handle, end))

    async def _evaluate(
        self, editor: SmalltalkEditor, code: str, mode: str, receiver: int, end: tuple[int, int]
    ) -> None:
        session = await self.context.open()
        if session is None:
            self._outcome.show(f"{self.context.name} is not up.", error=True)
            return
        if mode == "inspect":
            try:
                self.show(await inspecting.inspect_code(session, code, receiver=receiver))
            except StuiError as e:
                self._outcome.show(str(e), error=True)
            return
        outcome = await evaluate(session, code, mode, receiver=receiver)
        if not isinstance(outcome, Evaluated):
            self._outcome.show(shown(outcome).error or "", error=True)
            return
        self._outcome.show("")
        if mode == "print":
            editor.insert_result(outcome.value or "", end)

"""One image's working area: its workspace and its tool panels, one shown at a time.

The app's switcher holds one ImageArea per image, so every tool keeps its state per
image: switching images and back shows each tool exactly as it was left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, Static

from stui.tui.styles import beside
from stui.tui.tools.browser import BrowserPanel
from stui.tui.tools.debugger import DebuggerPanel
from stui.tui.tools.inspector import InspectorPanel
from stui.tui.tools.results import ResultsPanel
from stui.tui.tools.transcript import TranscriptPanel
from stui.tui.widgets.completion import CompletionPopup, candidates, local_words, prefix_of
from stui.tui.widgets.editor import SmalltalkEditor

if TYPE_CHECKING:
    from stui.tui.context import ImageContext
    from stui.tui.widgets.workspace import Workspace

Tool = Literal["workspace", "transcript", "browser", "inspector", "results", "debugger"]
TOOL_TITLES: Final[dict[Tool, tuple[str, str]]] = {
    "workspace": ("Workspace", "Alt+E"),
    "transcript": ("Transcript", "Alt+L"),
    "browser": ("Browser", "Alt+O"),
    "inspector": ("Inspector", "Alt+J"),
    "results": ("Results", "Alt+U"),
    "debugger": ("Debugger", "Alt+Z"),
}


class ImageArea(Vertical):
    DEFAULT_CSS = beside(__file__)

    def __init__(self, context: ImageContext, workspace: Workspace, *, id: str) -> None:
        super().__init__(id=id)
        self.context = context
        self.workspace = workspace
        self.transcript = TranscriptPanel(id="tool-transcript")
        self.browser = BrowserPanel(context, id="tool-browser")
        self.inspector = InspectorPanel(context, id="tool-inspector")
        self.results = ResultsPanel(context, id="tool-results")
        self.debugger = DebuggerPanel(context, id="tool-debugger")
        self.tool: Tool = "workspace"
        self.popup = CompletionPopup()
        self._bar = Static("", id="tool-bar")
        self._switcher = ContentSwitcher(id="tools", initial=workspace.id)

    def compose(self) -> ComposeResult:
        yield self._bar
        with self._switcher:
            yield self.workspace
            yield self.transcript
            yield self.browser
            yield self.inspector
            yield self.results
            yield self.debugger
        yield self.popup

    def on_mount(self) -> None:
        self.draw_bar()

    def panel(
        self, tool: Tool
    ) -> Workspace | TranscriptPanel | BrowserPanel | InspectorPanel | ResultsPanel | DebuggerPanel:
        return {
            "workspace": self.workspace,
            "transcript": self.transcript,
            "browser": self.browser,
            "inspector": self.inspector,
            "results": self.results,
            "debugger": self.debugger,
        }[tool]

    def show(self, tool: Tool, focus: bool = True) -> None:
        """Bring a tool to the front (the browser loads its categories the first time)."""
        self.tool = tool
        self.popup.hide()
        self._switcher.current = self.panel(tool).id
        self.draw_bar()
        if tool == "browser" and not self.browser.loaded:
            self.run_worker(self.browser.load(), group="browser-load")
        if focus:
            self.focus_tool()

    def focus_tool(self) -> None:
        panel = self.panel(self.tool)
        if panel is self.workspace:
            self.workspace.focus_editor()
        else:
            panel.focus_main()  # type: ignore[union-attr]

    def draw_bar(self) -> None:
        parts = []
        for tool, (title, key) in TOOL_TITLES.items():
            text = f" {title} {key} "
            if tool == "debugger" and self.debugger.suspensions:
                text = f" {title} ({len(self.debugger.suspensions)}) {key} "
            parts.append(f"[reverse]{text}[/]" if tool == self.tool else text)
        self._bar.update("│".join(parts))

    def on_smalltalk_editor_search(self, event: SmalltalkEditor.Search) -> None:
        event.stop()
        self.run_worker(self.context.search(event.kind, event.word), group="search")

    # -- completion ----------------------------------------------------------------

    def on_smalltalk_editor_completion_wanted(
        self, event: SmalltalkEditor.CompletionWanted
    ) -> None:
        event.stop()
        event.editor.popup = self.popup
        self.run_worker(self._complete(event.editor, event.code), group="complete", exclusive=True)

    async def _complete(self, editor: SmalltalkEditor, code: str) -> None:
        """Ask the image; show what it says only if the word is still being typed."""
        asked = prefix_of(code)
        image = await self.context.completions(code)
        row, column = editor.cursor_location
        prefix = prefix_of(editor.document.get_line(row)[:column])
        if not self._typing_in(editor) or not prefix.startswith(asked) or (asked and not prefix):
            return
        items = candidates(prefix, local_words(editor.text, editor.known_words), image)
        x, y = editor.cursor_screen_offset
        origin = self.content_region
        at = (max(0, x - origin.x - len(prefix)), y - origin.y + 1)
        self.popup.offer(prefix, items, at, editor)

    def _typing_in(self, editor: SmalltalkEditor) -> bool:
        """Whether the editor still has the focus and its tool still shows: a tool brought
        to the front takes the focus only once the current message is handled."""
        return editor.has_focus and self.panel(self.tool) in editor.ancestors

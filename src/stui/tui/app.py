"""The STUI app: an images sidebar and, per image, its own workspace.

The app owns one Workbench and listens to its events; every image gets an ImageContext
(session, workspace, saving) created the first time it is shown. Switching images swaps
the whole working area, so nothing leaks between images. Nothing here waits on an image:
sessions open and evaluations run in workers, and the workbench connects in the
background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import ContentSwitcher, Footer, Static

from stui.errors import InvalidInput, StuiError
from stui.protocol import messages as m
from stui.sessions.records import Session, SessionInfo
from stui.tools.broadcast import broadcast, image_names, reachable_images
from stui.tools.diff import diff
from stui.tui import keys
from stui.tui.config import THEMES, TuiConfig, load_config, save_theme
from stui.tui.context import ImageContext
from stui.tui.palette import StuiCommands
from stui.tui.screens.broadcast_view import BroadcastScreen
from stui.tui.screens.dialogs import ConfirmScreen, Field, FormScreen
from stui.tui.screens.diff_view import DiffScreen, scope_of
from stui.tui.screens.help import HelpScreen
from stui.tui.screens.image_detail import ImageDetailScreen
from stui.tui.screens.sessions import SessionsScreen
from stui.tui.styles import beside
from stui.tui.tools.browser import BrowserPanel
from stui.tui.tools.debugger import DebuggerPanel
from stui.tui.tools.inspector import InspectorPanel
from stui.tui.tools.results import ResultsPanel
from stui.tui.tools.transcript import TranscriptPanel
from stui.tui.widgets.editor import SmalltalkEditor
from stui.tui.widgets.image_area import Tool
from stui.tui.widgets.images_sidebar import ImagesSidebar
from stui.tui.widgets.status_bar import StatusBar
from stui.tui.widgets.workspace import Workspace
from stui.workbench import (
    HealthPolicy,
    ImageChanged,
    ImagePushed,
    ImageView,
    Notice,
    SessionsChanged,
    Workbench,
    WorkbenchConfig,
    WorkbenchEvent,
)

TOOL_SCOPES: tuple[tuple[type, keys.Scope], ...] = (
    (TranscriptPanel, "transcript"),
    (InspectorPanel, "inspector"),
    (BrowserPanel, "browser"),
    (ResultsPanel, "results"),
    (DebuggerPanel, "debugger"),
)


def workbench_config(config: TuiConfig) -> WorkbenchConfig:
    """The workbench settings that come from the TUI's config file."""
    cleanup = config.cleanup_max_age if config.cleanup_policy == "age" else None
    return WorkbenchConfig(
        health=HealthPolicy(
            interval=config.ping_interval,
            orphan_after=config.orphan_after,
            cleanup_orphaned_after=cleanup,
        ),
        watch=True,
    )


class StuiApp(App[None]):
    """`live=False` hides figures that change by themselves (latencies, ages, ids), so
    that screenshots are the same from run to run."""

    TITLE = "STUI"
    CSS = beside(__file__)
    BINDINGS: ClassVar = keys.bindings("app")
    COMMAND_PALETTE_BINDING = "f2"
    AUTO_FOCUS = None  # the focus goes to the selected image's workspace, once it exists
    COMMANDS: ClassVar = {StuiCommands}

    def __init__(
        self,
        config: TuiConfig | None = None,
        workbench: Workbench | None = None,
        *,
        live: bool = True,
    ) -> None:
        super().__init__()
        self.config = config or load_config()
        self.wb = workbench or Workbench(workbench_config(self.config))
        self._own_workbench = workbench is None
        self.live = live
        self.contexts: dict[str, ImageContext] = {}
        self._broadcast_images: list[str] = []  # the last broadcast's images, offered again
        self.notices: list[str] = []  # the workbench's notices, as shown, oldest first
        self.current: str | None = None
        self.keymap_, self._key_warnings = keys.keymap(self.config.keys)
        self._unsubscribe: Callable[[], None] | None = None
        self.theme = THEMES[self.config.theme]

    # -- layout and start-up -------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.sidebar = ImagesSidebar(live=self.live, id="sidebar")
        self.work = ContentSwitcher(id="work", initial="no-image")
        self.status_bar = StatusBar(live=self.live, id="status")
        with Horizontal(id="main"):
            yield self.sidebar
            with self.work:
                yield Static(
                    "No image selected. Choose one in the sidebar (Alt+G, then Enter), "
                    "or create one with Alt+C.",
                    id="no-image",
                )
        yield self.status_bar
        yield Footer(show_command_palette=False)

    async def on_mount(self) -> None:
        self.set_keymap(self.keymap_)
        for warning in (*self.config.warnings, *self._key_warnings):
            self.notify(warning, title="config", severity="warning", timeout=8)
        self._unsubscribe = self.wb.subscribe(self._on_event)
        await self.wb.start()
        views = self.wb.images()
        await self.sidebar.show(views)
        if views:
            await self.switch_to(views[0].name)
        else:
            self.sidebar.focus_list()

    async def on_unmount(self) -> None:
        # The workspaces are gone by now: they were saved as they changed, and on quit.
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._own_workbench:
            await self.wb.stop()

    def flush_all(self) -> None:
        for context in self.contexts.values():
            context.flush()

    # -- workbench events ----------------------------------------------------------

    def _on_event(self, event: WorkbenchEvent) -> None:
        """Called by the workbench on the loop, often (every ping): never blocks."""
        if not self.is_running or not self.sidebar.is_mounted:
            return
        match event:
            case ImageChanged(name=name, view=view):
                self._image_changed(name, view)
            case SessionsChanged():
                if isinstance(self.screen, SessionsScreen):
                    self.screen.refresh_rows()
            case Notice(text=text, level=level):
                self.notices.append(text)
                self.notify(text, severity=level, timeout=6)
            case ImagePushed(name=name, event=pushed):
                self._pushed(name, pushed)

    def _pushed(self, name: str, pushed: object) -> None:
        """Transcript output goes to the image's panel (which only queues it); an object
        user code inspects opens in the image's inspector, a class it browses in the
        image's browser."""
        context = self.contexts.get(name)
        if context is None:
            return
        match pushed:
            case m.Transcript(text=text, dropped=dropped):
                context.area.transcript.feed(text, dropped)
            case m.InspectRequest(handle=int() as handle):
                self.run_worker(context.inspect_handle(handle), group=f"inspect-{name}")
            case m.BrowseRequest(class_=cls, side=side):
                self.run_worker(context.browse(cls, side), group=f"browse-{name}")

    def _image_changed(self, name: str, view: ImageView) -> None:
        sidebar = self.sidebar
        if sidebar.knows(name):
            sidebar.update_one(view)
        else:
            self.run_worker(sidebar.show(self.wb.images()), group="sidebar")
        if isinstance(self.screen, ImageDetailScreen) and self.screen.view.name == name:
            self.screen.show(view)
        context = self.contexts.get(name)
        if context is not None and context.workspace.is_mounted:
            if view.status.is_up:
                if context.handle is None:
                    self.run_worker(context.open, group=f"open-{name}", exclusive=True)
            elif context.handle is not None or context.workspace.ready:
                context.image_went_down()
                context.workspace.waiting(f"{name} is {view.status}; evaluation waits for it")
        if name == self.current:
            self.status_bar.state = str(view.status)

    # -- image switching -----------------------------------------------------------

    def context(self, name: str) -> ImageContext:
        context = self.contexts.get(name)
        if context is None:
            context = ImageContext(self, self.wb, name)
            context.on_session = self._session_opened
            self.contexts[name] = context
        return context

    async def switch_to(self, name: str) -> None:
        """Show this image's working area, exactly as it was left; never waits on it."""
        try:
            view = self.wb.image(name)
        except StuiError as e:
            self.notify(str(e), severity="error")
            return
        if self.current and self.current in self.contexts:
            self.contexts[self.current].flush()
        context = self.context(name)
        switcher = self.work
        if not context.area.is_mounted:
            await switcher.mount(context.area)
            await context.load_stored()
            if view.status.is_up:
                self.run_worker(context.open, group=f"open-{name}", exclusive=True)
        switcher.current = context.area.id
        self.current = name
        self.sidebar.mark_current(name)
        status = self.status_bar
        status.image = name
        status.state = str(view.status)
        status.session = context.session_id
        status.evaluating = context.workspace.started_at
        context.area.focus_tool()

    def _session_opened(self, context: ImageContext) -> None:
        if context.name == self.current:
            self.status_bar.session = context.session_id

    async def on_images_sidebar_chosen(self, event: ImagesSidebar.Chosen) -> None:
        await self.switch_to(event.name)

    def on_images_sidebar_detail_wanted(self, event: ImagesSidebar.DetailWanted) -> None:
        self._show_detail(event.name)

    def on_browser_panel_diff_wanted(self, event: BrowserPanel.DiffWanted) -> None:
        self.ask_diff(event.scope)

    def on_workspace_broadcast_wanted(self, event: Workspace.BroadcastWanted) -> None:
        """Ask which images (the last choice, else every reachable one), then print the
        code in all of them at once and show one row per image."""
        default = self._broadcast_images or reachable_images(self.wb)
        if not default:
            self.notify("No image is running to evaluate in.", severity="warning")
            return
        code = event.code

        def chosen(values: dict[str, str] | None) -> None:
            if values:
                self.run_worker(self._broadcast(code, values["images"]), group="broadcast")

        first = code.strip().splitlines()[0]
        self.push_screen(
            FormScreen(
                "Print it in many images",
                [Field("images", "Images (comma-separated)", value=",".join(default))],
                ok="Print it",
                hint=f"Each image evaluates in its own latest session: {first[:50]}",
            ),
            chosen,
        )

    async def _broadcast(self, code: str, images: str) -> None:
        try:
            names = image_names(images.split(","))
            rows = await broadcast(self.wb, names, code, m.EvalMode.PRINT)
        except StuiError as e:
            self.notify(f"Print it in many images: {e}", severity="error")
            return
        self._broadcast_images = names
        self.push_screen(BroadcastScreen(code, rows))

    def on_workspace_evaluating(self, event: Workspace.Evaluating) -> None:
        if event.workspace.image == self.current:
            self.status_bar.evaluating = event.started_at

    async def action_switch_image(self, number: int) -> None:
        views = self.wb.images()
        if 1 <= number <= len(views):
            await self.switch_to(views[number - 1].name)
        else:
            self.notify(f"There is no image {number}.")

    # -- sessions (called by the sessions panel) -----------------------------------

    async def restore_session(self, info: SessionInfo) -> None:
        name = self.wb.image_name(info.image_id)
        try:
            self.wb.image(name)
        except StuiError:
            self.notify(
                f"Image {name} is not known here; its session cannot be opened.", severity="error"
            )
            return
        await self.switch_to(name)
        await self.contexts[name].switch_session(info.id)
        self.status_bar.session = info.id
        # The sessions panel is still closing: focus once the main screen is back.
        self.set_timer(0.1, self.contexts[name].workspace.focus_editor)

    async def clone_session(self, info: SessionInfo, target: str) -> Session:
        """A new session on `target` with this one's workspaces and history."""
        self._flush_session(info.id)
        return await self.wb.clone_session(info.id, target, label=f"clone of {info.id[:8]}")

    async def move_session(self, info: SessionInfo, target: str) -> Session:
        """Re-bind the session to `target`; the workspace that showed it lets it go (its
        variables stay behind in the source image)."""
        self._flush_session(info.id)
        moved = await self.wb.move_session(info.id, target)
        self.session_closed(info.id)
        return moved

    def _flush_session(self, session_id: str) -> None:
        """Save what is typed in the workspace showing this session, before it travels."""
        for context in self.contexts.values():
            if context.session_id == session_id:
                context.flush()

    def session_closed(self, session_id: str) -> None:
        for context in self.contexts.values():
            if context.session_id == session_id:
                context.session_id = None
                context.handle = None

    # -- actions -------------------------------------------------------------------

    def _focused_scope(self) -> keys.Scope:
        if isinstance(self.screen, SessionsScreen):
            return "sessions"
        if isinstance(self.screen, DiffScreen):
            return "diff"
        focused = self.focused
        node = focused
        while node is not None:
            for panel, scope in TOOL_SCOPES:
                if isinstance(node, panel):
                    return scope
            node = node.parent  # type: ignore[assignment]
        node = focused
        while node is not None:
            if isinstance(node, Workspace | SmalltalkEditor):
                return "workspace"
            if isinstance(node, ImagesSidebar):
                return "images"
            node = node.parent  # type: ignore[assignment]
        return "app"

    def action_help(self) -> None:
        self.push_screen(
            HelpScreen(self._focused_scope(), self.screen.active_bindings, self.keymap_)
        )

    def action_sessions(self) -> None:
        if isinstance(self.screen, SessionsScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(SessionsScreen(live=self.live))

    def action_image_detail(self) -> None:
        name = self.sidebar.highlighted if self._focused_scope() == "images" else None
        name = name or self.current
        if name is None:
            self.notify("No image selected.")
            return
        self._show_detail(name)

    def _show_detail(self, name: str) -> None:
        try:
            self.push_screen(ImageDetailScreen(self.wb.image(name), live=self.live))
        except StuiError as e:
            self.notify(str(e), severity="error")

    def _target(self) -> str | None:
        """The image an image action is for: the highlighted one in the sidebar when it
        has the focus, else the current one."""
        if self._focused_scope() == "images":
            return self.sidebar.highlighted or self.current
        return self.current

    async def action_reconnect(self) -> None:
        name = self._target()
        if name:
            await self.wb.reconnect(name)
            self.notify(f"Reconnecting {name}…")

    def action_start_image(self) -> None:
        name = self._target()
        if name:
            self.run_worker(self._local("start", name), group="local")

    def action_stop_image(self) -> None:
        name = self._target()
        if name:
            self.run_worker(self._local("stop", name), group="local")

    async def _local(self, what: str, name: str) -> None:
        """Start, stop or create a local image in a thread; the UI keeps running."""
        self.notify(f"{what.capitalize()}ing {name}…" if what != "stop" else f"Stopping {name}…")
        call = {
            "start": self.wb.local.start,
            "stop": self.wb.local.stop,
            "create": self.wb.local.create,
        }[what]
        try:
            await asyncio.to_thread(call, name)
            if what == "create":
                await asyncio.to_thread(self.wb.local.start, name)
        except StuiError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        self.notify(
            f"{name}: {'created and started' if what == 'create' else what + 'ed' if what == 'start' else 'stopped'}"
        )

    def action_create_image(self) -> None:
        def entered(values: dict[str, str] | None) -> None:
            if values and values["name"]:
                self.run_worker(self._local("create", values["name"]), group="local")

        self.push_screen(
            FormScreen(
                "Create a local image", [Field("name", "Name", placeholder="demo-4")], ok="Create"
            ),
            entered,
        )

    def action_add_image(self) -> None:
        def entered(values: dict[str, str] | None) -> None:
            if not values:
                return
            try:
                self.wb.add_image(values["name"], values["address"], values["token"])
            except StuiError as e:
                self.notify(str(e), severity="error", timeout=8)
                return
            self.run_worker(self.sidebar.show(self.wb.images()))
            self.notify(f"Added {values['name']}; connecting…")

        self.push_screen(
            FormScreen(
                "Add a remote image",
                [
                    Field("name", "Name", placeholder="lab"),
                    Field("address", "Address", placeholder="tcp://10.0.0.5:5555"),
                    Field("token", "Token", password=True),
                ],
                ok="Add",
            ),
            entered,
        )

    def action_remove_image(self) -> None:
        name = self._target()
        if name is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._remove(name))

        self.push_screen(
            ConfirmScreen(
                "Remove image",
                f"Remove {name} from the list? Its stored sessions stay; a local image keeps running.",
                "Remove",
            ),
            answered,
        )

    async def _remove(self, name: str) -> None:
        try:
            await self.wb.remove_image(name)
        except StuiError as e:
            self.notify(str(e), severity="error")
            return
        context = self.contexts.pop(name, None)
        if context is not None:
            context.flush()
            await context.area.remove()
        views = self.wb.images()
        await self.sidebar.show(views)
        if self.current == name:
            self.current = None
            if views:
                await self.switch_to(views[0].name)
            else:
                self.work.current = "no-image"
                self.status_bar.image = None

    def action_focus_images(self) -> None:
        self.sidebar.focus_list()

    def action_focus_workspace(self) -> None:
        self.action_show_tool("workspace")

    def action_show_transcript(self) -> None:
        self.action_show_tool("transcript")

    def action_show_browser(self) -> None:
        self.action_show_tool("browser")

    def action_show_inspector(self) -> None:
        self.action_show_tool("inspector")

    def action_show_results(self) -> None:
        self.action_show_tool("results")

    def action_show_debugger(self) -> None:
        self.action_show_tool("debugger")

    def action_show_tool(self, tool: Tool) -> None:
        context = self.contexts.get(self.current or "")
        if context is None:
            self.notify("No image selected.")
            return
        context.show_tool(tool)

    def action_find_class(self) -> None:
        context = self.contexts.get(self.current or "")
        if context is None:
            self.notify("No image selected.")
            return

        def entered(values: dict[str, str] | None) -> None:
            if values and values["pattern"].strip():
                self.run_worker(context.find_class(values["pattern"].strip()), group="find")

        self.push_screen(
            FormScreen(
                f"Find a class in {context.name}",
                [Field("pattern", "Name or pattern", placeholder="Point or *Stream")],
                ok="Find",
            ),
            entered,
        )

    def action_diff_images(self) -> None:
        """Ask for two images and a scope, then show what differs (tools.diff)."""
        self.ask_diff()

    def ask_diff(self, scope: str = "") -> None:
        """The compare dialog, from the current image, with `scope` filled in (the
        browser passes its class or method)."""
        names = tuple(v.name for v in self.wb.images())
        if len(names) < 2:
            self.notify("Comparing needs two images.", severity="warning")
            return
        first = self.current if self.current in names else names[0]
        second = next(n for n in names if n != first)

        def chosen(values: dict[str, str] | None) -> None:
            if values:
                self.run_worker(self._diff(values["a"], values["b"], values["scope"]), group="diff")

        self.push_screen(
            FormScreen(
                "Compare the code of two images",
                [
                    Field("a", "From image", value=first, choices=names),
                    Field("b", "To image", value=second, choices=names),
                    Field(
                        "scope",
                        "Class, Class>>selector or category:Pattern (empty: every class)",
                        value=scope,
                        placeholder="Point, Point>>x, category:Kernel-*",
                    ),
                ],
                ok="Compare",
            ),
            chosen,
        )

    async def _diff(self, a: str, b: str, scope_text: str) -> None:
        try:
            if a == b:
                raise InvalidInput("choose two different images")
            scope = scope_of(scope_text)
            self.notify(f"Comparing {a} with {b}…", timeout=2)
            result = await diff(self.wb, a, b, scope)
        except StuiError as e:
            self.notify(f"Compare: {e}", severity="error")
            return
        self.push_screen(DiffScreen(result, self.wb))

    def action_save_image(self) -> None:
        context = self.contexts.get(self._target() or "")
        if context is not None:
            self.run_worker(context.save_image(), group="save")

    def action_recover_changes(self) -> None:
        context = self.contexts.get(self._target() or "")
        if context is not None:
            self.run_worker(self._recover(context), group="recover")

    async def _recover(self, context: ImageContext) -> None:
        """List what a crash lost, and replay it after a yes."""
        pending = await context.pending_changes()
        if pending is None:
            return
        if not pending:
            self.notify(f"{context.name}: nothing to recover; the image holds every change.")
            return
        lines = [
            f"  {c.kind.value} {c.class_ or ''}{'>>' + c.selector if c.selector else ''}"
            for c in pending[:15]
        ]
        more = f"\n  … and {len(pending) - 15} more" if len(pending) > 15 else ""

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(context.replay_changes(), group="recover")

        self.push_screen(
            ConfirmScreen(
                "Recover lost changes",
                f"{len(pending)} changes are in the log but not in {context.name}:\n"
                + "\n".join(lines)
                + more
                + "\nReplay them?",
                "Replay",
            ),
            answered,
        )

    def action_toggle_theme(self) -> None:
        theme = "light" if self.current_theme.dark else "dark"
        self.theme = THEMES[theme]
        save_theme(theme)

    def watch_theme(self) -> None:
        for editor in self.query(SmalltalkEditor):
            editor.follow_theme()

    async def action_quit(self) -> None:
        self.flush_all()
        self.exit()

    async def run_in_editor(self, action: str) -> None:
        """A workspace action from the palette, on the current image's editor."""
        context = self.contexts.get(self.current or "")
        editor = context.workspace.editor if context else None
        if editor is None:
            self.notify("No workspace is open.")
            return
        editor.focus()
        await editor.run_action(action)

    async def run_in_tool(self, scope: keys.Scope, action: str) -> None:
        """A tool's action from the palette, on the current image's panel."""
        context = self.contexts.get(self.current or "")
        if context is None:
            self.notify("No image selected.")
            return
        tool: Tool = scope  # type: ignore[assignment]
        context.show_tool(tool)
        await context.area.panel(tool).run_action(action)

    async def run_in_images(self, action: str) -> None:
        """An images-sidebar action from the palette, on the highlighted image."""
        self.sidebar.focus_list()
        await self.sidebar.run_action(action)

    async def run_in_diff(self, action: str) -> None:
        """A diff-view action from the palette: it needs the diff view open."""
        if not isinstance(self.screen, DiffScreen):
            self.notify("Open the diff view first (Alt+Shift+F).")
            return
        await self.screen.run_action(action)

    async def run_in_sessions(self, action: str) -> None:
        """A sessions-panel action from the palette: opens the panel if needed."""
        if not isinstance(self.screen, SessionsScreen):
            self.push_screen(SessionsScreen(live=self.live))
            await asyncio.sleep(0)
        await self.screen.run_action(action)

"""The command palette: every action of every tool (the whole key table), and one entry
per image.

Workspace actions run on the current image's editor, a tool's on the current image's
panel (which it shows), the sidebar's on the highlighted image, the sessions panel's in
that panel (which it opens); image actions on the current image.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from stui.tui import keys

if TYPE_CHECKING:
    from stui.tui.app import StuiApp

TOOL_SCOPES = ("transcript", "inspector", "browser", "results", "debugger")
SKIPPED = {"command_palette", "copy_or_interrupt"}  # the palette itself; Ctrl+C's copy


class StuiCommands(Provider):
    @property
    def stui(self) -> StuiApp:
        return self.app  # type: ignore[return-value]

    def _commands(self) -> list[tuple[str, str, object]]:
        """(title, help, callback) for every command the palette offers."""
        app = self.stui
        commands: list[tuple[str, str, object]] = []
        for view in app.wb.images():
            commands.append(
                (
                    f"Switch to image {view.name}",
                    f"{view.status}",
                    partial(app.switch_to, view.name),
                )
            )
        for spec in keys.TABLE:
            if spec.id in SKIPPED or spec.action.startswith("switch_image"):
                continue
            shown = keys.display(app.keymap_.get(f"{spec.scope}.{spec.id}", spec.keys))
            title = spec.description
            if spec.scope == "workspace":
                commands.append(
                    (f"Workspace: {title}", shown, partial(app.run_in_editor, spec.action))
                )
            elif spec.scope == "app":
                commands.append((title, shown, partial(app.run_action, spec.action)))
            elif spec.scope in TOOL_SCOPES:
                tool = keys.SCOPE_TITLES[spec.scope]
                commands.append(
                    (f"{tool}: {title}", shown, partial(app.run_in_tool, spec.scope, spec.action))
                )
            elif spec.scope == "images":
                commands.append(
                    (f"Images: {title}", shown, partial(app.run_in_images, spec.action))
                )
            elif spec.scope == "diff":
                commands.append(
                    (f"Diff view: {title}", shown, partial(app.run_in_diff, spec.action))
                )
            elif spec.scope == "sessions":
                commands.append(
                    (f"Sessions: {title}", shown, partial(app.run_in_sessions, spec.action))
                )
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)  # type: ignore[arg-type]

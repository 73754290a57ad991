"""F1 help and the palette, on a real image: help lists the keys of the focused tool as
they are bound now (its own actions, its widgets' keys, then what works everywhere), and
the palette finds every action of every tool."""

from __future__ import annotations

import asyncio

from tests.tui.conftest import SIZE, quick_config, ready, until
from textual.command import CommandList, CommandPalette

from stui.tui.app import StuiApp
from stui.tui.screens.help import HelpScreen


async def help_for(app: StuiApp, pilot) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Press F1 and answer the help's sections: title -> {description: keys}."""
    await pilot.press("f1")
    await until(lambda: isinstance(app.screen, HelpScreen), what="the help")
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    sections = {s.title: {r.description: r.shown for r in s.rows} for s in screen.sections}
    await pilot.press("escape")
    return sections


async def test_help_in_the_workspace_lists_the_editors_keys(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        sections = await help_for(app, pilot)
        titles = list(sections)
        assert titles[0] == "Workspace" and titles[-1] == "Everywhere"
        assert sections["Workspace"]["Print it"] == "Ctrl+P  Alt+P"
        assert sections["Workspace"]["Senders of the selector under the cursor"] == "Alt+N"
        assert sections["Workspace"]["Next workspace buffer"] == "Alt+Right  Ctrl+PgDn"
        assert sections["Workspace: moving and editing"]["Undo"].startswith("Ctrl+Z")
        everywhere = sections["Everywhere"]
        assert everywhere["Save the image"] == "F6  Ctrl+Shift+S"
        assert everywhere["Quit"] == "Ctrl+Q  F10"
        assert everywhere["Switch to image 1..9"] == "Alt+1..9  Ctrl+1..9"
        assert "Switch to image 2" not in everywhere
        # F6 and F7 belong to save and recover here, not to the editor's select line/all
        assert "Select line" not in sections["Workspace: moving and editing"]
        assert not any("Instance or class side" in s for s in sections.values())


async def test_help_in_the_browser_and_its_method_editor(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press("alt+o")
        panel = app.contexts[app.current].area.browser
        await until(lambda: panel.loaded, what="the categories")
        sections = await help_for(app, pilot)
        assert next(iter(sections)) == "Class browser"
        assert sections["Class browser"]["Instance or class side"] == "Alt+S"
        assert "Print it" not in str(sections)  # the lists are not editors
        panel.editor.focus()
        await asyncio.sleep(0.05)
        sections = await help_for(app, pilot)
        assert sections["Class browser"]["Accept (compile the method or the definition)"] == (
            "Ctrl+S"
        )
        assert sections["Smalltalk editor (as in the workspace)"]["Print it"] == "Ctrl+P  Alt+P"


async def test_help_in_the_inspector(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "3 @ 4"
        ed.select_all()
        await pilot.press("alt+i")
        await until(lambda: app.contexts[app.current].area.tool == "inspector")
        sections = await help_for(app, pilot)
        assert next(iter(sections)) == "Inspector"
        inspector = sections["Inspector"]
        assert inspector["Inspect the selected field (drill down)"] == "Enter"
        assert inspector["Back to the previous object"] == "Alt+Left  Backspace"
        assert "Print it" not in str(sections) and "Accept" not in str(sections)


async def test_help_shows_the_keys_the_config_chose(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config(keys={"print_it": "f12", "save_image": "f11"}))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        sections = await help_for(app, pilot)
        assert sections["Workspace"]["Print it"] == "F12"
        assert sections["Everywhere"]["Save the image"] == "F11"


async def test_help_in_the_debugger_says_what_enter_does_in_each_list(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "nil stuiNoSuchMessage"
        ed.move_cursor((0, len(ed.text)))
        await pilot.press("ctrl+p")
        area = app.contexts[app.current].area
        panel = area.debugger
        await until(lambda: area.tool == "debugger" and panel.current is not None, what="debugger")
        panel._stack.focus()
        await asyncio.sleep(0.05)
        sections = await help_for(app, pilot)
        assert next(iter(sections)) == "Debugger"
        assert sections["Debugger"]["Step into the next send"] == "Alt+S"
        assert "Inspect the selected variable" not in sections["Debugger"]  # not the stack's
        panel._variables.focus()
        await asyncio.sleep(0.05)
        sections = await help_for(app, pilot)
        assert sections["Debugger"]["Inspect the selected variable"] == "Enter"


async def test_help_in_the_sessions_panel(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press("f3")
        await until(lambda: type(app.screen).__name__ == "SessionsScreen", what="the panel")
        await asyncio.sleep(0.2)
        sections = await help_for(app, pilot)
        assert next(iter(sections)) == "Sessions panel"
        assert sections["Sessions panel"]["Restore: open its workspaces"] == "Enter"
        assert sections["Sessions panel"]["Clean up orphaned sessions by age"] == "A"
        assert "Print it" not in str(sections)


async def palette(app: StuiApp, pilot, query: str, wanted: str) -> None:  # type: ignore[no-untyped-def]
    """Open the palette, type `query`, and wait until it offers `wanted`."""
    if not isinstance(app.screen, CommandPalette):
        await pilot.press("f2")
        await until(lambda: isinstance(app.screen, CommandPalette), what="the palette")
    screen = app.screen
    screen.query_one("CommandInput").value = query  # type: ignore[attr-defined]
    found = screen.query_one(CommandList)

    def titles() -> list[str]:
        prompts = (str(found.get_option_at_index(i).prompt) for i in range(found.option_count))
        return [p.split("\n")[0] for p in prompts]  # the title, without the keys under it

    await until(lambda: wanted in titles(), what=f"{wanted!r} for {query!r}")


async def test_the_palette_lists_every_action_of_every_tool(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await palette(app, pilot, "senders", "Workspace: Senders of the selector under the cursor")
        await palette(app, pilot, "save image", "Save the image")
        await palette(app, pilot, "inspect", "Workspace: Inspect it")
        await palette(app, pilot, "inspect", "Inspector: Inspect the selected field (drill down)")
        await palette(app, pilot, "class side", "Class browser: Instance or class side")
        await palette(app, pilot, "image details", "Images: Image details")
        await palette(app, pilot, "pause", "Transcript: Pause or resume following")
        await palette(app, pilot, "show the class browser", "Show the class browser")
        await asyncio.sleep(0.3)
        await pilot.press("enter")
        await until(lambda: app.contexts[app.current].area.tool == "browser", what="browser")

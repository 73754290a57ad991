"""Saving from the app, on a real image: F6 saves even from inside an editor (where the
editor's own F6 would select the line), the sidebar's unsaved mark follows the image, and
F7 offers to replay what a crash lost from the change log."""

from __future__ import annotations

import asyncio
import os
import signal

from tests.tui.conftest import SIZE, idle, quick_config, ready, until
from tests.tui.test_images import row_text

from stui import launcher
from stui.tui.app import StuiApp
from stui.tui.screens.dialogs import ConfirmScreen

UNSAVED = "✎"


def notices(app: StuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def run(app: StuiApp, pilot, code: str, key: str = "ctrl+d") -> str:  # type: ignore[no-untyped-def]
    """Type code into the workspace, evaluate it with `key`, and answer the text after."""
    ed = await ready(app)
    ed.text = code
    ed.move_cursor((0, len(code)))
    await pilot.press(key)
    await idle(app)
    return ed.text


async def test_f6_saves_from_the_workspace_and_the_unsaved_mark_goes(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await run(app, pilot, "Object compile: 'stuiTuiSaved ^ #saved' classified: 'stui-test'")
        await until(lambda: UNSAVED in row_text(app, "img-0"), what="the unsaved mark")
        ed = await ready(app)
        ed.move_cursor((0, 3))
        await pilot.press("f6")
        await until(lambda: any("img-0 saved" in n for n in notices(app)), timeout=30, what="saved")
        assert ed.selected_text == ""  # the editor's own F6 (select the line) did not run
        await until(lambda: UNSAVED not in row_text(app, "img-0"), what="the mark to go")


async def test_f7_offers_a_replay_after_a_crash(start_images) -> None:
    info = start_images(1)[0]
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await run(app, pilot, "Object compile: 'stuiTuiLost ^ #lost' classified: 'stui-test'")
        os.kill(info.pid, signal.SIGKILL)
        await until(lambda: not app.wb.image("img-0").status.is_up, timeout=15, what="down")
        await asyncio.to_thread(launcher.start_image, "img-0")
        await until(lambda: app.wb.image("img-0").status == "connected", timeout=20, what="up")
        await ready(app, timeout=20)
        await pilot.press("f7")
        await until(lambda: isinstance(app.screen, ConfirmScreen), timeout=15, what="the offer")
        assert "Object>>stuiTuiLost" in app.screen.body
        await pilot.press("y")
        await until(
            lambda: any("1 changes replayed" in n for n in notices(app)), timeout=15, what="replay"
        )
        assert "#lost" in await run(app, pilot, "nil stuiTuiLost", "ctrl+p")

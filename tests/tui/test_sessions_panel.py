"""The sessions panel against real images: grouping, restore, close, clone, and the
cleanup of orphaned sessions with confirmation and its history."""

from __future__ import annotations

import asyncio
import os
import signal

from tests.tui.conftest import SIZE, quick_config, ready, until
from textual.widgets import DataTable

from stui.tui.app import StuiApp
from stui.tui.screens.dialogs import ConfirmScreen, FormScreen, TextScreen
from stui.tui.screens.sessions import SessionsScreen


async def open_panel(app: StuiApp, pilot) -> SessionsScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await until(lambda: isinstance(app.screen, SessionsScreen), what="sessions panel")
    return app.screen  # type: ignore[return-value]


def cursor_to(panel: SessionsScreen, key: str) -> None:
    table = panel.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(key))


async def test_sessions_are_grouped_by_image_and_restore_opens_one(start_images) -> None:
    start_images(2)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app, "img-0")
        ed.text = "'first session'"
        first = app.contexts["img-0"].session_id
        app.contexts["img-0"].flush()
        second = await app.wb.create_session("img-0", label="spare")
        await app.switch_to("img-1")
        await ready(app, "img-1")
        panel = await open_panel(app, pilot)
        image_id = app.wb.image("img-0").image_id
        assert panel.group_of_row[first] == image_id
        assert panel.group_of_row[second.id] == image_id
        assert panel.rows[second.id].label == "spare"
        cursor_to(panel, second.id)
        await pilot.press("enter")
        await until(
            lambda: app.current == "img-0" and app.contexts["img-0"].session_id == second.id
        )
        await ready(app, "img-0")
        assert app.contexts["img-0"].workspace.snapshot()[0].text == ""  # the spare one


async def test_close_asks_first(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        spare = await app.wb.create_session("img-0", label="spare")
        panel = await open_panel(app, pilot)
        cursor_to(panel, spare.id)
        await pilot.press("c")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        assert app.wb.sessions.get_session(spare.id).status != "closed"
        await pilot.press("c")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: app.wb.sessions.get_session(spare.id).status == "closed")


async def test_clone_copies_the_workspace_to_another_image(start_images) -> None:
    start_images(2)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app, "img-0")
        ed.text = "'carried over'"
        context = app.contexts["img-0"]
        context.flush()
        panel = await open_panel(app, pilot)
        cursor_to(panel, context.session_id)
        await pilot.press("k")
        await until(lambda: isinstance(app.screen, FormScreen))
        await pilot.click("#ok")  # img-1, the only other image, is chosen
        target = app.wb.image("img-1").image_id
        await until(lambda: app.wb.sessions.list_sessions(target), what="the clone")
        clone = app.wb.sessions.get_session(app.wb.sessions.list_sessions(target)[0].id)
        assert list(clone.state.buffers.values()) == ["'carried over'"]
        assert [t.kind for t in clone.state.transfers] == ["clone"]


async def test_orphaned_sessions_are_cleaned_up_after_confirmation(start_images) -> None:
    infos = start_images(2)
    app = StuiApp(quick_config(orphan_after=1.0))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, "img-0")
        await app.switch_to("img-1")
        await ready(app, "img-1")
        image_id = app.wb.image("img-1").image_id
        os.kill(infos[1].pid, signal.SIGKILL)
        await until(lambda: app.wb.sessions.list_sessions(image_id, ["orphaned"]), what="orphaned")
        await app.switch_to("img-0")
        panel = await open_panel(app, pilot)
        cursor_to(panel, f"image:{image_id}")
        await pilot.press("o")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        assert "1 orphaned session" in app.screen.body
        await pilot.press("y")
        await until(
            lambda: not app.wb.sessions.list_sessions(image_id, ["orphaned"]), what="cleaned"
        )
        await asyncio.sleep(0.1)
        history = app.wb.sessions.cleanup_history()
        assert history and history[0].cleaned == 1 and history[0].image_id == image_id
        await pilot.press("h")
        await until(lambda: isinstance(app.screen, TextScreen))

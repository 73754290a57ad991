"""Cross-image work in the app against real images (issue 13): print it in many images,
one row per image; the diff view from the palette; copy to image from the browser."""

from __future__ import annotations

from tests.tui.conftest import SIZE, quick_config, ready, until
from textual.widgets import DataTable, Input

from stui import launcher
from stui.tui.app import StuiApp
from stui.tui.screens.broadcast_view import BroadcastScreen
from stui.tui.screens.dialogs import FormScreen


async def test_print_it_in_many_images_shows_one_row_per_image(start_images) -> None:
    names = [info.name for info in start_images(3)]
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app, names[0])
        launcher.stop_image(names[2])
        ed.text = "3 + 4"
        ed.move_cursor((0, 5))
        await pilot.press("alt+shift+p")
        await until(lambda: isinstance(app.screen, FormScreen), what="the images dialog")
        offered = app.screen.query_one(Input).value.split(",")
        assert offered[:2] == names[:2]
        app.screen.query_one(Input).value = ",".join(names)
        await pilot.click("#ok")
        await until(lambda: isinstance(app.screen, BroadcastScreen), what="the rows")
        screen = app.screen
        assert [r.image for r in screen.rows] == names
        assert [r.ok for r in screen.rows] == [True, True, False]
        table = screen.query_one(DataTable)
        assert table.row_count == 3
        assert [str(table.get_row(n)[2]) for n in names[:2]] == ["7", "7"]
        assert "unreached" in str(table.get_row(names[2])[2])
        assert ed.text == "3 + 4"  # the workspace is left as it was
        # each image's session recorded the evaluation
        for row in screen.rows[:2]:
            assert row.session_id is not None
            history = app.wb.sessions.get_session(row.session_id).state.history
            assert history[-1].code == "3 + 4" and history[-1].result == "7"
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, BroadcastScreen), what="back")
        await pilot.press("alt+shift+p")
        await until(lambda: isinstance(app.screen, FormScreen), what="the dialog again")
        assert app.screen.query_one(Input).value == ",".join(names)  # the last choice

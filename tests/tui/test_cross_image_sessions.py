"""The sessions panel's clone and move against real images (issue 13, part 4): the
dialog says which workspace variables stay behind, the history travels, and a moved
session opens on its new image."""

from __future__ import annotations

from tests.tui.conftest import SIZE, idle, quick_config, ready, until
from tests.tui.test_sessions_panel import cursor_to, open_panel

from stui.tui.app import StuiApp
from stui.tui.screens.dialogs import FormScreen
from stui.tui.screens.sessions import SessionsScreen


async def bind_x(app: StuiApp, pilot) -> str:  # type: ignore[no-untyped-def]
    """Print `x := 6 * 7` in img-0: a history entry and a workspace variable."""
    ed = await ready(app, "img-0")
    ed.text = "x := 6 * 7"
    ed.move_cursor((0, 10))
    await pilot.press("ctrl+p")
    await idle(app, "img-0")
    session_id = app.contexts["img-0"].session_id
    assert session_id is not None
    return session_id


async def test_clone_carries_the_history_and_says_the_variables_stay(start_images) -> None:
    start_images(2)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        source = await bind_x(app, pilot)
        panel = await open_panel(app, pilot)
        cursor_to(panel, source)
        await pilot.press("k")
        await until(lambda: isinstance(app.screen, FormScreen), what="the clone dialog")
        assert "stay in img-0 (x)" in app.screen.hint
        await pilot.click("#ok")
        target = app.wb.image("img-1").image_id
        await until(lambda: app.wb.sessions.list_sessions(target), what="the clone")
        clone = app.wb.sessions.get_session(app.wb.sessions.list_sessions(target)[0].id)
        assert [h.code for h in clone.state.history] == ["x := 6 * 7"]
        assert clone.state.variables == [] and clone.state.transfers[-1].variables_left == ["x"]
        assert app.wb.sessions.get_session(source).image_id == app.wb.image("img-0").image_id


async def test_move_rebinds_the_session_and_opens_it_on_the_other_image(start_images) -> None:
    start_images(2)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        moved = await bind_x(app, pilot)
        panel = await open_panel(app, pilot)
        cursor_to(panel, moved)
        await pilot.press("m")
        await until(lambda: isinstance(app.screen, FormScreen), what="the move dialog")
        assert "Re-binds the session" in app.screen.hint and "(x)" in app.screen.hint
        await pilot.click("#ok")
        await until(
            lambda: app.current == "img-1" and app.contexts["img-1"].session_id == moved,
            what="the moved session open on img-1",
        )
        assert not isinstance(app.screen, SessionsScreen)
        assert app.contexts["img-0"].session_id != moved
        session = app.wb.sessions.get_session(moved)
        assert session.image_id == app.wb.image("img-1").image_id
        assert session.state.transfers[-1].kind == "move"
        # the variable stayed in img-0: here it is unbound
        ed = await ready(app, "img-1")
        ed.text = "x"
        ed.move_cursor((0, 1))
        await pilot.press("ctrl+p")
        await idle(app, "img-1")
        assert ed.text == "x nil"
        history = app.wb.sessions.get_session(moved).state.history
        assert [h.code for h in history] == ["x := 6 * 7", "x"]

"""Image actions from the keyboard, on real images: stop and start a local image, add a
remote one by address and token (here: a second name for a running image, which is
also how two live rows with one image_id get their warning)."""

from __future__ import annotations

from tests.tui.conftest import SIZE, quick_config, ready, until
from tests.tui.test_images import row_text
from textual.widgets import Input

from stui.tui.app import StuiApp
from stui.tui.screens.dialogs import FormScreen


async def test_stop_and_start_a_local_image(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press("f9")
        await until(lambda: not app.wb.image("img-0").status.is_up, timeout=15, what="stopped")
        await pilot.press("f8")
        await until(lambda: app.wb.image("img-0").status == "connected", timeout=20, what="started")


async def test_add_a_remote_image_and_see_the_duplicate_warning(start_images) -> None:
    info = start_images(1)[0]
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press("alt+a")
        await until(lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        for field, value in (("name", "again"), ("address", info.address), ("token", info.token)):
            form.query_one(f"#field-{field}", Input).value = value
        await pilot.click("#ok")
        await until(lambda: app.sidebar.knows("again"), what="the added image")
        await until(lambda: "same image as" in row_text(app, "again"), timeout=15, what="warning")
        # the other image's row changes too, maybe a publishing tick later
        await until(lambda: "same image as again" in row_text(app, "img-0"), what="its twin")

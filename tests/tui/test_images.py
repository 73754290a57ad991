"""The images sidebar and per-image contexts against real images: live status, details,
switching without leaks, and one notice when an image dies."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import time

from rich.console import Console
from tests.tui.conftest import SIZE, editor, idle, quick_config, ready, until

from stui.tui.app import StuiApp
from stui.tui.screens.image_detail import ImageDetailScreen, detail_table


def row_text(app: StuiApp, name: str) -> str:
    return app.sidebar.row_plain(name)


async def test_the_sidebar_lists_every_image_with_its_status_and_dialect(start_images) -> None:
    start_images(2)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE):
        await until(lambda: " ms" in row_text(app, "img-0"), what="img-0 latency")
        text = row_text(app, "img-0")
        assert "img-0" in text and "squeak" in text and " ms" in text


async def test_switching_keeps_each_images_text_cursor_and_variables(start_images) -> None:
    start_images(2)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        first = await ready(app, "img-0")
        first.text = "x := 42"
        first.move_cursor((0, 7))
        await pilot.press("ctrl+d")
        await idle(app)
        await pilot.press("alt+2")
        await until(lambda: app.current == "img-1")
        second = await ready(app, "img-1")
        assert second is not first and second.text == ""  # nothing leaks
        second.text = "x"
        second.move_cursor((0, 1))
        await pilot.press("ctrl+p")
        await idle(app)
        assert second.text == "x nil"  # img-1 has no x
        await pilot.press("alt+1")
        await until(lambda: app.current == "img-0")
        again = editor(app, "img-0")
        assert again is first and again.text == "x := 42" and again.cursor_location == (0, 7)
        again.text = "x"
        again.move_cursor((0, 1))
        await pilot.press("ctrl+p")
        await idle(app)
        assert again.text == "x 42"


async def test_the_detail_view_shows_identity_and_history(start_images) -> None:
    info = start_images(1)[0]
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press("f4")
        await until(lambda: isinstance(app.screen, ImageDetailScreen))
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(detail_table(app.screen.view))
        body = console.export_text()
        assert info.image_id in body and str(info.pid) in body
        assert "connected" in body and "p99" in body


async def test_a_killed_image_turns_disconnected_with_one_notice(start_images) -> None:
    infos = start_images(2)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE):
        await ready(app)
        await until(lambda: "connected" in row_text(app, "img-1"), what="img-1 connected")
        os.kill(infos[1].pid, signal.SIGKILL)
        killed = time.monotonic()
        await until(
            lambda: "disconnected" in row_text(app, "img-1"), timeout=3, what="disconnected"
        )
        assert time.monotonic() - killed < 3
        await asyncio.sleep(1.5)  # more pings miss: still one notice
        assert len([n for n in app.notices if "img-1" in n]) == 1
        assert app.wb.image("img-0").status.is_up  # (degraded at most, on a loaded machine)


async def test_an_open_that_failed_while_the_image_is_up_is_tried_again(start_images) -> None:
    """A refused open (here a double that fails the first two, as a connection being
    replaced would) leaves the line saying why; the next news of the image (its pings)
    opens the session by itself."""
    start_images(1)
    app = StuiApp(quick_config())
    real_open = app.wb.open_session
    failures = ["the link was being replaced", "the link was being replaced"]

    async def failing_twice_open_session(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if failures:
            raise TimeoutError(failures.pop())
        return await real_open(*args, **kwargs)  # type: ignore[arg-type]

    app.wb.open_session = failing_twice_open_session  # type: ignore[method-assign]
    async with app.run_test(size=SIZE):
        await until(
            lambda: (
                "img-0" in app.contexts
                and "replaced" in app.contexts["img-0"].workspace.waiting_line
            ),
            what="the failure said",
        )
        await ready(app)
        assert failures == []
        assert app.contexts["img-0"].workspace.waiting_line == ""

"""SVG snapshots of the main screens, on real images. `live=False` leaves out what changes
by itself (latencies, ages, ids), so that the pictures are the same from run to run.

Update them with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import asyncio

from tests.tui.conftest import SIZE, idle, quick_config, ready, until

from stui.tui.app import StuiApp

CODE = '"Smalltalk, highlighted"\n| total |\ntotal := #(3 4 5) inject: 0 into: [:a :b | a + b].\ntotal printString'


def app_on_images(start_images) -> StuiApp:  # type: ignore[no-untyped-def]
    start_images(3)
    return StuiApp(quick_config(), live=False)


async def settle(app: StuiApp) -> None:
    await until(
        lambda: len(app.wb.images()) == 3 and all(v.status == "connected" for v in app.wb.images())
    )
    await asyncio.sleep(0.3)


def test_the_main_screen(start_images, snap_compare) -> None:
    app = app_on_images(start_images)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        ed = await ready(app)
        await settle(app)
        ed.text = CODE
        ed.select_all()  # the whole do-it, as a Smalltalker selects it before print it
        await pilot.press("ctrl+p")
        await idle(app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help(start_images, snap_compare) -> None:
    app = app_on_images(start_images)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(app)
        await settle(app)
        await pilot.press("f1")
        await asyncio.sleep(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_the_sessions_panel(start_images, snap_compare) -> None:
    app = app_on_images(start_images)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(app)
        await settle(app)
        for name in ("img-1", "img-2"):
            await app.switch_to(name)
            await ready(app, name)
        await app.switch_to("img-0")
        await pilot.press("f3")
        await asyncio.sleep(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

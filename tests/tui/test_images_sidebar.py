"""The images sidebar on its own, with a thousand images: rows are virtual, one change
redraws one row, the filter narrows by name, status and dialect, and the header counts.

The views are plain ImageView values, as the workbench publishes them: the sidebar
never talks to an image, so no image is needed to hold a thousand rows.
"""

from __future__ import annotations

import time

import msgspec
from textual.app import App, ComposeResult

from stui.status import ConnectionStatus
from stui.tui.widgets.images_sidebar import ImageList, ImagesSidebar
from stui.workbench import ImageView
from stui.workbench.views import Latency

N = 1000


def view(i: int, status: ConnectionStatus = ConnectionStatus.CONNECTED) -> ImageView:
    return ImageView(
        name=f"node-{i:04d}",
        status=status,
        source="added",
        address=f"tcp://10.0.{i // 250}.{i % 250}:5555",
        image_id=None,
        instance_id=None,
        dialect="cuis" if i % 2 else "squeak",
        version=None,
        image_path=None,
        pid=None,
        latency=Latency(0.0004, 0.0004, 0.0009),
        image_sessions=0,
        busy=False,
        unsaved=False,
        duplicates=(),
        last_error=None,
        history=(),
    )


class SidebarApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ImagesSidebar(id="sidebar")


async def fleet(app: SidebarApp) -> ImagesSidebar:
    sidebar = app.query_one(ImagesSidebar)
    await sidebar.show([view(i) for i in range(N)])
    return sidebar


async def test_a_thousand_rows_render_only_what_is_on_screen() -> None:
    app = SidebarApp()
    async with app.run_test(size=(60, 30)) as pilot:
        sidebar = await fleet(app)
        await pilot.pause()
        listing = app.query_one(ImageList)
        assert listing.virtual_size.height == N * 3
        assert len(listing._strips) <= listing.size.height // 3 + 1
        title = str(app.query_one("#title").render())
        assert f"({N})" in title and f"● {N}" in title
        sidebar.focus_list()
        await pilot.press("end")
        await pilot.pause()
        assert sidebar.highlighted == f"node-{N - 1:04d}"
        assert listing.scroll_offset.y > 0


async def test_one_status_change_redraws_one_row_and_updates_the_counts() -> None:
    app = SidebarApp()
    async with app.run_test(size=(60, 30)) as pilot:
        sidebar = await fleet(app)
        await pilot.pause()
        listing = app.query_one(ImageList)
        cached = dict(listing._strips)
        sidebar.update_one(view(1, ConnectionStatus.DISCONNECTED))
        assert "node-0001" not in listing._strips
        assert all(listing._strips[n] is cached[n] for n in listing._strips)
        await pilot.pause(0.3)
        title = str(app.query_one("#title").render())
        assert f"● {N - 1}" in title and "○ 1" in title
        assert "disconnected" in sidebar.row_plain("node-0001")


async def test_the_filter_narrows_by_name_status_and_dialect() -> None:
    app = SidebarApp()
    async with app.run_test(size=(60, 30)) as pilot:
        sidebar = await fleet(app)
        sidebar.update_one(view(7, ConnectionStatus.DEGRADED))
        sidebar.focus_list()
        await pilot.press("slash")
        for ch in "d:cuis s:deg":
            await pilot.press(ch if ch != " " else "space")
        await pilot.pause()
        assert app.query_one(ImageList).shown == ["node-0007"]
        sidebar.update_one(view(9, ConnectionStatus.DEGRADED))  # joins while filtered
        assert app.query_one(ImageList).shown == ["node-0007", "node-0009"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.query_one(ImageList).shown) == N
        assert app.focused is app.query_one(ImageList)


async def test_a_ping_of_every_image_stays_cheap() -> None:
    """Not a timing assertion: it checks that an update does no work per other row."""
    app = SidebarApp()
    async with app.run_test(size=(60, 30)) as pilot:
        sidebar = await fleet(app)
        await pilot.pause()
        listing = app.query_one(ImageList)
        rendered = listing._render_row
        calls = 0

        def counting(*args: object) -> object:
            nonlocal calls
            calls += 1
            return rendered(*args)  # type: ignore[arg-type]

        listing._render_row = counting  # type: ignore[method-assign]
        started = time.perf_counter()
        for i in range(N):
            pinged = msgspec.structs.replace(view(i), latency=Latency(0.0005, 0.0004, 0.0009))
            sidebar.update_one(pinged)
        assert time.perf_counter() - started < 60  # a sanity bound, not a measurement
        await pilot.pause()
        assert calls <= listing.size.height // 3 + 2

"""The Transcript panel against a real image: live output, filter, pause, clear, and a
flood of 100k lines that the panel folds into a bounded buffer."""

from __future__ import annotations

from tests.tui.conftest import SIZE, idle, quick_config, ready, until

from stui.tui.app import StuiApp
from stui.tui.tools.transcript import LIMIT


async def run(app: StuiApp, pilot, code: str) -> None:  # type: ignore[no-untyped-def]
    ed = await ready(app)
    ed.text = code
    ed.select_all()
    await pilot.press("ctrl+d")
    await idle(app, timeout=60)


async def test_output_appears_live_and_filter_pause_clear_work(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        area = app.contexts[app.current].area
        panel = area.transcript
        await until(lambda: app.contexts[app.current]._following is not None, what="follow")
        await run(app, pilot, "Transcript show: 'hello stui'; cr; show: 'second line'; cr")
        await until(lambda: "second line" in panel.visible(), what="the output")
        assert "hello stui" in panel.visible()

        await pilot.press("alt+l")
        assert area.tool == "transcript"
        await pilot.press("slash")
        for ch in "hello":
            await pilot.press(ch)
        await pilot.press("enter")
        assert panel.visible() == ["hello stui"]
        assert len(panel.lines) == 2  # the filter hides, it does not drop

        await pilot.press("space")  # pause
        assert panel.paused
        await pilot.press("alt+e")
        await run(app, pilot, "Transcript show: 'hello again'; cr")
        await until(lambda: "hello again" in panel.lines, what="output while paused")
        assert "hello again" not in panel.visible()
        await pilot.press("alt+l")
        await pilot.press("space")  # resume: what came meanwhile shows
        assert panel.visible() == ["hello stui", "hello again"]

        await pilot.press("ctrl+l")
        assert panel.visible() == [] and len(panel.lines) == 0


async def test_a_flood_of_100k_lines_keeps_a_bounded_buffer_and_the_ui_answers(
    start_images,
) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        panel = app.contexts[app.current].area.transcript
        await until(lambda: app.contexts[app.current]._following is not None, what="follow")
        ed.text = "1 to: 100000 do: [:i | Transcript show: 'line ', i printString; cr]"
        ed.select_all()
        await pilot.press("ctrl+d")
        await idle(app, timeout=120)
        await until(
            lambda: (panel.lines and panel.lines[-1] == "line 100000") or panel.dropped,
            timeout=60,
            what="the end of the flood",
        )
        assert len(panel.lines) <= LIMIT
        assert len(panel.visible()) <= LIMIT
        # The app still answers keys at once after the flood.
        await pilot.press("ctrl+n")
        assert len(app.contexts[app.current].workspace.snapshot()) == 2

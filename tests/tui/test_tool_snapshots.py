"""SVG snapshots of the tools on a real image: the class browser on a method, the
inspector on a collection, the Transcript with output, the senders of a selector and
the completion popup. `live=False` leaves out what
changes by itself (latencies, ages, ids, the cursor blink); each picture waits until its
tool shows what it asked for, so they are the same from run to run.

Update them with: pytest tests/tui/test_tool_snapshots.py --snapshot-update
The README's pictures of the browser and the inspector are copies of these.
"""

from __future__ import annotations

import asyncio

from tests.tui.conftest import SIZE, idle, quick_config, ready, until

from stui.protocol import messages as m
from stui.tui.app import StuiApp
from stui.tui.widgets.editor import SmalltalkEditor

# Wide enough that no entry of the browser's lists wraps: how a wrapped entry is laid out
# depended on whether the list's scrollbar had appeared yet.
WIDE = (160, 36)


async def settle(app: StuiApp) -> SmalltalkEditor:
    await until(lambda: all(v.status == "connected" for v in app.wb.images()), what="connected")
    return await ready(app)


def test_the_browser(start_images, snap_compare) -> None:
    start_images(1)
    app = StuiApp(quick_config(), live=False)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(app)
        context = app.contexts[app.current]
        # A method at the top of its list: the list does not scroll to it, and a scroll
        # that may or may not have ended would change the picture.
        await context.browse("Point", m.Side.INSTANCE, "+")
        panel = context.area.browser
        await until(lambda: panel.editor.text.startswith("+"), what="the method")
        panel.focus_main()
        await pilot.wait_for_scheduled_animations()
        await asyncio.sleep(0.3)

    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_the_inspector(start_images, snap_compare) -> None:
    start_images(1)
    app = StuiApp(quick_config(), live=False)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        ed = await settle(app)
        ed.text = "{3 @ 4. 'two'. #three. 4.5. Set new add: 1; yourself}"
        ed.select_all()
        await pilot.press("alt+i")
        panel = app.contexts[app.current].area.inspector
        await until(lambda: panel.current is not None and panel.current.size == 5)
        tree = panel._tree
        tree.move_cursor(tree.root.children[0])
        await pilot.press("space")
        await until(lambda: len(tree.root.children[0].children) == 2, what="fields of 3@4")
        await pilot.wait_for_scheduled_animations()
        await asyncio.sleep(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_the_transcript(start_images, snap_compare) -> None:
    start_images(1)
    app = StuiApp(quick_config(), live=False)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        ed = await settle(app)
        context = app.contexts[app.current]
        await until(lambda: context._following is not None, what="follow")
        ed.text = "1 to: 12 do: [:i | Transcript show: 'step ', i printString; cr]"
        ed.select_all()
        await pilot.press("ctrl+d")
        await idle(app)
        panel = context.area.transcript
        await until(lambda: panel.visible()[-1:] == ["step 12"], what="the output")
        await pilot.press("alt+l")
        await pilot.wait_for_scheduled_animations()
        await asyncio.sleep(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_the_senders_results(start_images, snap_compare) -> None:
    start_images(1)
    app = StuiApp(quick_config(), live=False)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        ed = await settle(app)
        ed.text = "(3 @ 4) dist: 0 @ 0"
        ed.move_cursor((0, 10))
        await pilot.press("alt+n")
        area = app.contexts[app.current].area
        await until(lambda: area.results.title.startswith("Senders of dist:"), what="senders")
        await pilot.wait_for_scheduled_animations()
        await asyncio.sleep(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_the_completion_popup(start_images, snap_compare) -> None:
    start_images(1)
    app = StuiApp(quick_config(), live=False)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        ed = await settle(app)
        ed.text = "| total |\ntotal := 3 @ 4.\nTranscript sh"
        ed.move_cursor((2, 13))
        await pilot.press("ctrl+@")  # what Ctrl+Space sends
        popup = app.contexts[app.current].area.popup
        await until(lambda: popup.shown, what="the popup")
        await pilot.wait_for_scheduled_animations()
        await asyncio.sleep(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

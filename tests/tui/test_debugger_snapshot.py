"""An SVG snapshot of the debugger view on a real image: an error in a method called from
the workspace, the frame that made it selected, its send selected in the source.

Update it with: pytest tests/tui/test_debugger_snapshot.py --snapshot-update; the
README's picture (docs/images/tui-debugger.svg) is a copy of it.
"""

from __future__ import annotations

import asyncio

import pytest
from tests.tui.conftest import SIZE, quick_config, ready, until
from tests.tui.test_debugger import prepare

from stui.tui.app import StuiApp

pytestmark = pytest.mark.timeout(180)


def test_the_debugger(start_images, snap_compare) -> None:
    [info] = start_images(1)
    prepare(info.name)
    app = StuiApp(quick_config(), live=False)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        ed = await ready(app)
        await until(lambda: app.wb.images()[0].status == "connected")
        ed.text = "(StuiDebugTui new twice: 21) + 1"
        await pilot.press("ctrl+p")
        panel = app.contexts[app.current].area.debugger
        await until(lambda: panel.current is not None and panel.current.frame is not None)
        await asyncio.sleep(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

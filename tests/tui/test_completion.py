"""Completion against a real image: the popup as you type and on Ctrl+Space, local words
first, Tab to accept, Esc to dismiss, and typing that never waits on a stopped image."""

from __future__ import annotations

import asyncio
import os
import signal

from tests.tui.conftest import SIZE, quick_config, ready, until
from textual import events

from stui.tui.app import StuiApp
from stui.tui.widgets.completion import local_words


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


async def test_the_popup_offers_image_and_local_words(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        popup = app.contexts[app.current].area.popup
        await type_text(pilot, "Transcript sh")
        await until(lambda: popup.shown, what="the popup")
        assert "show:" in popup.items
        await pilot.press("tab")
        assert ed.text == "Transcript show:" and not popup.shown

        ed.text = "| counter | coun"
        ed.move_cursor((0, len(ed.text)))
        await pilot.press("ctrl+@")  # what Ctrl+Space sends
        await until(lambda: popup.shown, what="the popup on Ctrl+Space")
        assert popup.items[0] == "counter"
        await pilot.press("escape")
        assert not popup.shown and ed.text == "| counter | coun"


async def test_typing_never_waits_on_a_stopped_image(start_images) -> None:
    info = start_images(1)[0]
    app = StuiApp(quick_config(ping_interval=5.0))
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        popup = app.contexts[app.current].area.popup
        os.kill(info.pid, signal.SIGSTOP)
        try:
            await type_text(pilot, "Transcript sh")
            assert ed.text == "Transcript sh"  # every key arrived with the image stopped
            await asyncio.sleep(0.5)
            assert not popup.shown
        finally:
            os.kill(info.pid, signal.SIGCONT)
        await until(lambda: popup.shown, what="the popup once the image answers")
        assert "show:" in popup.items


def test_local_words_are_temporaries_arguments_and_known_names() -> None:
    text = "at: index put: value\n\t| old |\n\t^ items do: [:each | each]"
    assert local_words(text, ["items"]) == ["items", "old", "each", "index", "value"]


async def test_a_popup_belongs_to_the_editor_that_asked(start_images) -> None:
    """A tool brought to the front (the debugger, on an error) takes the focus only once
    the message that brought it is handled: an answer that lands meanwhile must not show
    over that tool, and Enter in another editor is a new line, never a candidate offered
    to the workspace (which once turned `total: aCollection` into `total: report:`)."""
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        area = app.contexts[app.current].area
        popup = area.popup
        ed.text = "Transcript sh"
        ed.move_cursor((0, len(ed.text)))
        area.show("debugger", focus=False)  # as the debugger shows, before its focus
        await area._complete(ed, ed.text)
        assert not popup.shown

        source = area.debugger.source
        source.focus()
        await pilot.pause()
        source.text = "total: aCollection"
        source.move_cursor((0, len(source.text)))
        source.popup = popup  # set once the source editor has asked for completions
        popup.offer("sh", ["show:"], (0, 0), ed)
        await pilot.press("enter")
        assert source.text == "total: aCollection\n"


async def test_a_command_key_asks_for_no_completion(start_images) -> None:
    """Alt+Shift+P (proceed) arrives with the character P: it is a command, not typing."""
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        popup = app.contexts[app.current].area.popup
        ed.text = "Transcript sh"
        ed.move_cursor((0, len(ed.text)))
        ed.post_message(events.Key("alt+shift+p", "P"))  # as a terminal's ESC P arrives
        await pilot.pause()
        await asyncio.sleep(0.5)
        assert not popup.shown and ed.text == "Transcript sh"

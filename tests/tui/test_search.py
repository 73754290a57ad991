"""Senders, implementors and references from the word under the cursor, against a real
image; opening a result shows the method in the browser, the selector selected."""

from __future__ import annotations

from tests.tui.conftest import SIZE, quick_config, ready, until

from stui.protocol import messages as m
from stui.tui.app import StuiApp


async def test_senders_implementors_and_references_open_in_the_browser(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        area = app.contexts[app.current].area
        ed.text = "(3 @ 4) dist: 0 @ 0. Point"
        ed.move_cursor((0, 10))

        await pilot.press("alt+m")  # implementors
        await until(lambda: area.tool == "results", what="implementors")
        assert area.results.title.startswith("Implementors of dist:")
        assert m.MethodRef(class_="Point", selector="dist:") in [
            m.MethodRef(class_=r.class_, selector=r.selector) for r in area.results.entries
        ]

        await pilot.press("alt+e")
        await pilot.press("alt+n")  # senders
        await until(lambda: area.results.title.startswith("Senders of dist:"))
        assert area.results.entries and area.results.highlight == "dist:"
        first = area.results.entries[0]
        assert isinstance(first, m.MethodRef)
        await pilot.press("enter")
        browser = area.browser
        await until(
            lambda: browser.cls == first.class_ and browser.selector == first.selector,
            what="the sender in the browser",
        )
        assert area.tool == "browser"
        assert browser.editor.selected_text == "dist:"

        await pilot.press("alt+e")
        ed.move_cursor((0, 24))
        await pilot.press("alt+shift+n")  # references to Point
        await until(lambda: area.results.title.startswith("References to Point"))
        assert len(area.results.entries) > 5


async def test_find_class_browses_the_only_match_or_lists_several(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        area = app.contexts[app.current].area
        await pilot.press("ctrl+f")
        for ch in "OrderedCollection":
            await pilot.press(ch)
        await pilot.press("enter")
        await until(lambda: area.browser.cls == "OrderedCollection", what="the class")
        await pilot.press("ctrl+f")
        for ch in "*Stream":
            await pilot.press(ch)
        await pilot.press("enter")
        await until(lambda: area.tool == "results", what="several classes")
        assert "ReadStream" in area.results.entries

"""The class browser against a real image: define a class, add and fix a method, the
unsaved mark and the question before leaving, the class side, the hierarchy, removing
with confirmation, and browse it from the workspace."""

from __future__ import annotations

from tests.tui.conftest import SIZE, quick_config, ready, until

from stui.tui.app import StuiApp
from stui.tui.screens.dialogs import ConfirmScreen, TextScreen
from stui.tui.tools.browser import BrowserPanel

DEFINITION = """Object subclass: #DemoCounter
\tinstanceVariableNames: 'count'
\tclassVariableNames: ''
\tpoolDictionaries: ''
\tcategory: 'Demo-Counter'"""


async def browser(app: StuiApp, pilot) -> BrowserPanel:  # type: ignore[no-untyped-def]
    await ready(app)
    await pilot.press("alt+o")
    panel = app.contexts[app.current].area.browser
    await until(lambda: panel.loaded, what="the categories")
    return panel


async def accept(panel: BrowserPanel, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    panel.editor.focus()
    panel.editor.text = text
    await pilot.press("ctrl+s")


async def test_define_a_class_add_a_method_fix_an_error_and_remove(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        panel = await browser(app, pilot)
        assert "Kernel-Objects" in panel._items["categories"]

        await pilot.press("alt+k")  # new class
        await until(lambda: panel.shows == "new_class")
        assert "subclass: #NameOfSubclass" in panel.editor.text
        await accept(panel, pilot, DEFINITION)
        await until(lambda: panel.cls == "DemoCounter" and panel.shows == "definition")
        assert panel.category == "Demo-Counter"
        assert "DemoCounter" in panel._items["classes"]
        assert not panel.dirty

        await pilot.press("alt+y")  # new method
        await until(lambda: panel.shows == "new_method")
        await accept(panel, pilot, "double: x\n\t^ x * 2")
        await until(lambda: panel.selector == "double:", what="the compiled method")
        assert "double:" in panel._items["methods"]

        # a syntax error: shown at its position, the edit kept and marked unsaved
        broken = "half: x\n\t^ x / "
        await accept(panel, pilot, broken)
        await until(lambda: "Not accepted" in str(panel._error.content), what="the error")
        assert panel.editor.text == broken
        assert panel.dirty and "unsaved" in str(panel._status.content)
        assert panel.editor.cursor_location[0] == 1

        # leaving asks first; "no" keeps the edit where it was
        protocols = panel._lists["protocols"]
        protocols.focus()
        await pilot.press("up")  # from the method's protocol to "-- all --"
        await until(lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("n")
        await until(lambda: not isinstance(app.screen, ConfirmScreen))
        assert panel.editor.text == broken and panel.selector == "double:"
        assert protocols.highlighted == 1
        await accept(panel, pilot, "half: x\n\t^ x / 2")
        await until(lambda: panel.selector == "half:" and not panel.dirty)

        # the class side
        await pilot.press("alt+s")
        await until(lambda: panel.side.value == "class" and "class" in panel.editor.text)
        assert panel._items["methods"] == []
        await pilot.press("alt+s")
        await until(lambda: panel.side.value == "instance" and panel._items["methods"])

        await pilot.press("alt+h")
        await until(lambda: isinstance(app.screen, TextScreen), what="the hierarchy")
        assert "Object" in str(app.screen.body) and "DemoCounter" in str(app.screen.body)
        await pilot.press("escape")

        # remove a method, then the class, each after a yes
        methods = panel._lists["methods"]
        methods.focus()
        methods.highlighted = panel._items["methods"].index("double:")
        await until(lambda: panel.selector == "double:")
        await pilot.press("delete")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: "double:" not in panel._items["methods"], what="method removed")
        classes = panel._lists["classes"]
        classes.focus()
        await pilot.press("delete")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: "DemoCounter" not in panel._items["classes"], what="class removed")


async def test_browse_it_opens_the_class_under_the_cursor(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "3 @ 4 class == Point"
        ed.move_cursor((0, 17))
        await pilot.press("alt+shift+b")
        panel = app.contexts[app.current].area.browser
        await until(lambda: panel.cls == "Point" and panel.shows == "definition", what="Point")
        assert panel.category == "Graphics-Primitives"
        assert "x" in panel._items["methods"] and "Point" in panel._items["classes"]
        assert app.contexts[app.current].area.tool == "browser"


async def test_user_code_that_browses_a_class_opens_the_browser(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "Point browse"
        ed.select_all()
        await pilot.press("ctrl+d")
        panel = app.contexts[app.current].area.browser
        await until(lambda: panel.cls == "Point", what="Point in the browser")
        assert app.contexts[app.current].area.tool == "browser"

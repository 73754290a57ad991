"""The inspector against a real image: fields as a tree, drilling down, paging, the
evaluation pane with self bound, back and forward, and state kept per image."""

from __future__ import annotations

from tests.tui.conftest import SIZE, quick_config, ready, until

from stui.protocol import messages as m
from stui.tui.app import StuiApp
from stui.tui.tools.inspector import PAGE, MoreRow


def labels(node) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(child.label) for child in node.children]


async def inspect(app: StuiApp, pilot, code: str) -> None:  # type: ignore[no-untyped-def]
    ed = await ready(app)
    ed.text = code
    ed.select_all()
    await pilot.press("alt+i")
    area = app.contexts[app.current].area
    await until(lambda: area.tool == "inspector", what="the inspector")


async def test_drill_down_page_evaluate_and_go_back(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await inspect(app, pilot, "(1 to: 250) asArray collect: [:i | i @ (i * 2)]")
        panel = app.contexts[app.current].area.inspector
        tree = panel._tree
        assert panel.current is not None and panel.current.size == 250
        rows = labels(tree.root)
        assert rows[0].startswith("[1]: 1@2")
        assert rows[-1].startswith("… 150 more of 250")
        assert len(rows) == PAGE + 1

        # paging: the last row loads the next page in place
        tree.move_cursor(tree.root.children[-1])
        await pilot.press("enter")
        await until(lambda: len(tree.root.children) == 2 * PAGE + 1, what="second page")
        assert isinstance(tree.root.children[-1].data, MoreRow)
        assert str(tree.root.children[PAGE].label).startswith("[101]: 101@202")

        # drill down: Space expands in place, Enter inspects the element
        tree.move_cursor(tree.root.children[2])
        await pilot.press("space")
        await until(lambda: len(tree.root.children[2].children) == 2, what="fields of 3@6")
        assert labels(tree.root.children[2])[0].startswith("x: 3")
        await pilot.press("enter")
        await until(lambda: panel.current is not None and panel.current.class_ == "Point")
        assert panel.current.print == "3@6"
        assert [str(c.label).split(":")[0] for c in tree.root.children] == ["x", "y"]

        # the evaluation pane: self is the inspected point
        panel._pane.focus()
        panel._pane.text = "x + y"
        await pilot.press("ctrl+p")
        await until(lambda: panel._pane.text == "x + y 9", what="print it with self bound")

        # back and forward through the objects visited
        tree.focus()
        await pilot.press("alt+left")
        assert panel.current.class_ == "Array"
        await pilot.press("alt+right")
        assert panel.current.class_ == "Point"


async def test_each_image_keeps_its_inspector(start_images) -> None:
    start_images(2)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await inspect(app, pilot, "3 @ 4")
        first = app.current
        second = next(v.name for v in app.wb.images() if v.name != first)
        await app.switch_to(second)
        await inspect(app, pilot, "'text' -> 5")
        assert app.contexts[second].area.inspector.current.class_ == "Association"
        await app.switch_to(first)
        area = app.contexts[first].area
        assert area.tool == "inspector"
        assert area.inspector.current.print == "3@4"
        assert isinstance(area.inspector._tree.root.data, m.ValueRef)

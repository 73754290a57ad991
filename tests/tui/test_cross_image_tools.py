"""Cross-image work in the app against real images (issue 13): print it in many images,
one row per image; the diff view from the palette; copy to image from the diff view and
from the browser."""

from __future__ import annotations

from tests.tui.conftest import SIZE, quick_config, ready, until
from textual.widgets import DataTable, Input, OptionList

from stui import launcher
from stui.protocol import NotFound
from stui.protocol import messages as m
from stui.status import ConnectionStatus
from stui.tools import browse
from stui.tools.diff import name_of
from stui.tools.edit import compile_method, define_class
from stui.tui.app import StuiApp
from stui.tui.screens.broadcast_view import BroadcastScreen
from stui.tui.screens.dialogs import ConfirmScreen, FormScreen
from stui.tui.screens.diff_view import DiffScreen


async def test_print_it_in_many_images_shows_one_row_per_image(start_images) -> None:
    names = [info.name for info in start_images(3)]
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app, names[0])
        launcher.stop_image(names[2])
        ed.text = "3 + 4"
        ed.move_cursor((0, 5))
        await pilot.press("alt+shift+e")
        await until(lambda: isinstance(app.screen, FormScreen), what="the images dialog")
        await pilot.pause()
        offered = app.screen.query_one(Input).value.split(",")
        assert offered[:2] == names[:2]
        app.screen.query_one(Input).value = ",".join(names)
        await pilot.click("#ok")
        await until(lambda: isinstance(app.screen, BroadcastScreen), what="the rows")
        screen = app.screen
        assert [r.image for r in screen.rows] == names
        assert [r.ok for r in screen.rows] == [True, True, False]
        table = screen.query_one(DataTable)
        assert table.row_count == 3
        assert [str(table.get_row(n)[2]) for n in names[:2]] == ["7", "7"]
        assert "unreached" in str(table.get_row(names[2])[2])
        assert ed.text == "3 + 4"  # the workspace is left as it was
        # each image's session recorded the evaluation
        for row in screen.rows[:2]:
            assert row.session_id is not None
            history = app.wb.sessions.get_session(row.session_id).state.history
            assert history[-1].code == "3 + 4" and history[-1].result == "7"
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, BroadcastScreen), what="back")
        await pilot.press("alt+shift+e")
        await until(lambda: isinstance(app.screen, FormScreen), what="the dialog again")
        await pilot.pause()
        assert app.screen.query_one(Input).value == ",".join(names)  # the last choice


async def compile_in(app: StuiApp, image: str, source: str) -> None:
    await app.wb.wait_for(image, ConnectionStatus.CONNECTED)
    done = await compile_method(await app.wb.client(image), "Object", source, category="x")
    assert isinstance(done, m.Compiled), done


async def test_the_diff_view_opens_from_the_palette(start_images) -> None:
    a, b = (info.name for info in start_images(2))
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, a)
        await compile_in(app, a, "stuiCrossProbe\n\t^ 'as in a'")
        await compile_in(app, b, "stuiCrossProbe\n\t^ 'as in b'")
        await compile_in(app, b, "stuiCrossOnlyB\n\t^ 2")
        await pilot.press("f2")
        await pilot.press(*"Compare the code")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, FormScreen), what="the diff dialog")
        assert app.screen.title_text == "Compare the code of two images"
        await pilot.pause()
        app.screen.query_one("#field-scope", Input).value = "Object"
        await pilot.click("#ok")
        await until(lambda: isinstance(app.screen, DiffScreen), timeout=20, what="the diff")
        screen = app.screen
        assert (screen.result.a, screen.result.b) == (a, b)
        assert [name_of(d) for d in screen.result.differences] == [
            "Object>>stuiCrossOnlyB",
            "Object>>stuiCrossProbe",
        ]
        assert "+\t^ 2" in screen.shown  # the first one is shown
        listing = screen.query_one(OptionList)
        await pilot.press("down")
        await until(lambda: listing.highlighted == 1)
        assert f"--- {a}:Object>>stuiCrossProbe" in screen.shown
        assert "-\t^ 'as in a'" in screen.shown and "+\t^ 'as in b'" in screen.shown
        # copy it from the diff view: a's version into b, after the steps are shown
        await pilot.press("c")
        await until(lambda: isinstance(app.screen, ConfirmScreen), what="the plan")
        assert "Object>>stuiCrossProbe  (overwrites)" in app.screen.body
        await pilot.press("y")
        await until(lambda: any("Copied 1" in n for n in notices(app)), what="the copy")
        client = await app.wb.client(b)
        copied = await browse.method(client, "Object", "stuiCrossProbe")
        assert copied.source == "stuiCrossProbe\n\t^ 'as in a'"
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, DiffScreen), what="back")
        app.action_diff_images()
        await until(lambda: isinstance(app.screen, FormScreen), what="the dialog again")
        await pilot.pause()
        app.screen.query_one("#field-scope", Input).value = "Object>>x y"
        await pilot.click("#ok")
        await until(lambda: any("Compare:" in n for n in notices(app)), what="the refusal")


def notices(app: StuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


DEMO = (
    "Object subclass: #StuiCopyDemo instanceVariableNames: 'n' classVariableNames: '' "
    "poolDictionaries: '' category: 'Stui-CopyDemo'"
)


async def source_in(app: StuiApp, image: str, selector: str) -> str | None:
    client = await app.wb.client(image)
    try:
        return (await browse.method(client, "StuiCopyDemo", selector)).source
    except NotFound:
        return None


async def test_copy_to_image_from_the_browser_shows_the_steps_first(start_images) -> None:
    a, b = (info.name for info in start_images(2))
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, a)
        await app.wb.wait_for(b, ConnectionStatus.CONNECTED)
        source = await app.wb.client(a)
        assert isinstance(await define_class(source, DEMO), m.ClassDefined)
        await compile_method(source, "StuiCopyDemo", "double: x\n\t^ x * 2", category="demo")
        await pilot.press("alt+o")
        panel = app.contexts[a].area.browser
        await until(lambda: panel.loaded, what="the categories")
        assert await panel.open_class("StuiCopyDemo")
        panel.focus_main()

        await pilot.press("alt+shift+c")
        await until(lambda: isinstance(app.screen, FormScreen), what="the target dialog")
        await pilot.pause()
        await pilot.click("#ok")
        await until(lambda: isinstance(app.screen, ConfirmScreen), what="the plan")
        assert "StuiCopyDemo\n  StuiCopyDemo>>double:" in app.screen.body
        assert "overwrites" not in app.screen.body
        await pilot.press("y")
        await until(lambda: any("Copied 2" in n for n in notices(app)), what="the copy")
        assert await source_in(app, b, "double:") == "double: x\n\t^ x * 2"

        # b's method now differs: the plan says it overwrites, and a no changes nothing
        target = await app.wb.client(b)
        await compile_method(target, "StuiCopyDemo", "double: x\n\t^ x + x", category="demo")
        assert await panel.open_class("StuiCopyDemo", selector="double:")
        panel.focus_main()
        for answer, expected in (("n", "double: x\n\t^ x + x"), ("y", "double: x\n\t^ x * 2")):
            await pilot.press("alt+shift+c")
            await until(lambda: isinstance(app.screen, FormScreen), what="the target dialog")
            await pilot.pause()
            await pilot.click("#ok")
            await until(lambda: isinstance(app.screen, ConfirmScreen), what="the plan")
            assert app.screen.body.startswith("  StuiCopyDemo>>double:  (overwrites)")
            await pilot.press(answer)
            await until(lambda: not isinstance(app.screen, ConfirmScreen))
            if answer == "y":
                await until(lambda: any("Copied 1" in n for n in notices(app)), what="copied")
            assert await source_in(app, b, "double:") == expected

        # compare from the browser: the dialog comes filled in with the method, and b
        # now has the same code
        await pilot.press("alt+shift+f")
        await until(lambda: isinstance(app.screen, FormScreen), what="the compare dialog")
        await pilot.pause()
        assert app.screen.query_one("#field-scope", Input).value == "StuiCopyDemo>>double:"
        await pilot.click("#ok")
        await until(lambda: isinstance(app.screen, DiffScreen), timeout=20, what="the diff")
        assert app.screen.result.differences == []

"""The workspace against a real image: do it, print it, inspect it, errors, history,
interrupt, and the workspace coming back after a restart of the app."""

from __future__ import annotations

import asyncio

from tests.tui.conftest import SIZE, idle, quick_config, ready, until
from textual.widgets.text_area import Selection

from stui import launcher
from stui.tui.app import StuiApp


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    for ch in text:
        await pilot.press(ch if ch != "\n" else "enter")


async def the_image_answers(app: StuiApp, pilot, ed) -> None:  # type: ignore[no-untyped-def]
    """The session is free again: a print-it runs at once."""
    ed.text = "6 * 7"
    ed.move_cursor((0, 5))
    await pilot.press("ctrl+p")
    await idle(app)
    assert ed.text == "6 * 7 42"


async def test_print_it_inserts_the_result_selected_so_backspace_removes_it(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "3 + 4"
        ed.move_cursor((0, 5))
        await pilot.press("ctrl+p")
        await idle(app)
        assert ed.text == "3 + 4 7"
        assert ed.selected_text == " 7"
        await pilot.press("backspace")
        assert ed.text == "3 + 4"


async def test_do_it_binds_a_variable_that_print_it_then_reads(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "x := 42.\nx"
        ed.move_cursor((0, 2))
        await pilot.press("alt+d")  # the key that arrives in every terminal
        await idle(app)
        assert ed.text == "x := 42.\nx"  # do it inserts nothing
        ed.move_cursor((1, 1))
        await pilot.press("alt+p")
        await idle(app)
        assert ed.text == "x := 42.\nx 42"


async def test_a_selection_is_evaluated_rather_than_the_line(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "10 factorial printString size"
        ed.selection = Selection((0, 0), (0, 12))
        await pilot.press("ctrl+p")
        await idle(app)
        assert ed.text == "10 factorial 3628800 printString size"


async def test_ctrl_a_selects_the_whole_do_it(start_images) -> None:
    """As in Squeak and Pharo: Ctrl+A then print it evaluates every line."""
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "| a |\na := 6.\na * 7"
        await pilot.press("ctrl+a")
        assert ed.selected_text == ed.text
        await pilot.press("ctrl+p")
        await idle(app)
        assert ed.text.endswith("a * 7 42")


async def test_a_runtime_error_opens_the_debugger_and_abandon_shows_it(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "nil foo"
        await pilot.press("ctrl+p")
        await idle(app)
        context = app.contexts[app.current]
        await until(lambda: context.area.tool == "debugger", what="the debugger")
        outcome = str(context.workspace._outcome.content)
        assert "Suspended in the debugger" in outcome and "doesNotUnderstand" in outcome
        await pilot.press("alt+shift+a")
        await until(lambda: "abandoned" in str(context.workspace._outcome.content))
        assert context.area.tool == "workspace"
        assert ed.text == "nil foo"


async def test_a_syntax_error_puts_the_cursor_at_its_position(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "1 + 1.\n3 printString: "
        ed.move_cursor((1, 3))
        await pilot.press("ctrl+p")
        await idle(app)
        outcome = str(app.contexts[app.current].workspace._outcome.content)
        assert outcome.startswith("syntax error")
        row, column = ed.cursor_location
        assert row == 1 and column > 0  # inside the evaluated line, where the parser stopped


async def test_inspect_it_opens_the_inspector_on_the_value(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "3 @ 4"
        await pilot.press("alt+i")
        area = app.contexts[app.current].area
        await until(lambda: area.tool == "inspector", what="the inspector")
        view = area.inspector.current
        assert view is not None and view.class_ == "Point" and view.print == "3@4"
        await pilot.press("alt+e")
        assert app.focused is ed


async def test_history_brings_back_earlier_commands(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        for code in ("1 + 1", "2 + 2"):
            ed.text = code
            ed.move_cursor((0, len(code)))
            await pilot.press("ctrl+d")
            await idle(app)
        ed.text = ""
        await pilot.press("alt+up")
        assert ed.text == "2 + 2"
        await pilot.press("alt+up")
        assert ed.text == "1 + 1"
        await pilot.press("alt+down")
        assert ed.text == "2 + 2"


async def test_escape_interrupts_a_running_evaluation(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        workspace = app.contexts[app.current].workspace
        ed.text = "[true] whileTrue"
        await pilot.press("ctrl+d")
        await until(lambda: workspace.started_at is not None, what="evaluation start")
        await until(lambda: "evaluating" in str(workspace._running_line.content), what="spinner")
        # the workspace tells the app by a message: the status bar follows a moment later
        await until(lambda: app.status_bar.evaluating is not None, what="the status bar")
        await pilot.press("escape")
        await idle(app)
        assert "interrupted" in str(workspace._outcome.content)
        # the image is still there for the next evaluation
        await the_image_answers(app, pilot, ed)


async def test_an_evaluation_past_eval_timeout_is_interrupted(start_images) -> None:
    """Print it and inspect it that run past the config's eval_timeout are stopped in the
    image, so the next evaluation runs at once (it was answered busy)."""
    start_images(1)
    app = StuiApp(quick_config(eval_timeout=1.0))
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        workspace = app.contexts[app.current].workspace
        for key in ("ctrl+p", "alt+i"):
            ed.text = "(Delay forSeconds: 10) wait. 3"
            ed.move_cursor((0, len(ed.text)))
            await pilot.press(key)
            await until(lambda: workspace.started_at is not None, what="evaluation start")
            await idle(app)
            assert "timed out after 1 s; interrupted" in str(workspace._outcome.content)
            await the_image_answers(app, pilot, ed)


async def test_workspaces_text_and_selection_survive_a_restart_of_the_app(start_images) -> None:
    start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        await pilot.press(*"abc")
        await pilot.press("enter", *"12345", "shift+left", "shift+left")
        await pilot.press("ctrl+n")  # a second buffer
        await pilot.press(*"second")
        await asyncio.sleep(1.0)  # saved as it changes: at most a second is lost
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app)
        workspace = app.contexts[app.current].workspace
        buffers = {b.name: b for b in workspace.snapshot()}
        assert buffers["Workspace 1"].text == "abc\n12345"
        assert (buffers["Workspace 1"].start, buffers["Workspace 1"].end) == (9, 7)
        assert buffers["Workspace 2"].text == "second"


async def test_an_image_restart_gives_one_notice_naming_the_lost_variables(start_images) -> None:
    (info,) = start_images(1)
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        ed = await ready(app)
        ed.text = "x := 42"
        ed.move_cursor((0, 7))
        await pilot.press("alt+d")
        await idle(app)
        launcher.stop_image(info.name)
        launcher.start_image(info.name)

        def restart_notices() -> list[str]:
            return [str(n.message) for n in app._notifications if "restarted" in str(n.message)]

        await until(lambda: restart_notices(), 15, "the restart notice")
        ed.text = "3 + 4"
        ed.move_cursor((0, 5))
        await pilot.press("ctrl+p")
        await idle(app)
        assert ed.text == "3 + 4 7"
        (notice,) = restart_notices()
        assert "workspace variables lost: x" in notice

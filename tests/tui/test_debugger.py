"""The debugger view against real Squeak images (and the main flow on Cuis): an error in the workspace opens it,
walking frames, stepping, evaluating in a frame, inspecting a variable, edit and accept
(the frame restarts), proceed (the result lands in the workspace), abandon, debug it,
and one debugger per image."""

from __future__ import annotations

import os
import signal

import pytest
from click.testing import CliRunner
from tests.tui.conftest import SIZE, quick_config, ready, until

from stui.cli.main import cli
from stui.launcher.runtime import RuntimeInfo
from stui.tools import debug as dbg
from stui.tui.app import StuiApp
from stui.tui.screens.dialogs import FormScreen
from stui.tui.screens.help import HelpScreen
from stui.tui.tools.debugger import DebuggerPanel

pytestmark = pytest.mark.timeout(180)

DEFINE = (
    "Object subclass: #StuiDebugTui instanceVariableNames: 'items' classVariableNames: '' "
    "poolDictionaries: '' category: 'StuiTest'"
)
FOO = "foo: n\n\t| a b |\n\ta := n + 1.\n\tself halt.\n\tb := a * 2.\n\t^ b + 1"
TWICE = "twice: n\n\t^ n foo * 2"
TWICE_FIXED = "twice: n\n\t^ n * 2"


def prepare(name: str) -> None:
    """The test class and its methods, through the CLI (not what is under test)."""
    compiles = [("compile", "-i", name, "StuiDebugTui", source) for source in (FOO, TWICE)]
    for args in [("eval", "-i", name, DEFINE), *compiles]:
        done = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert done.exit_code == 0, done.output


@pytest.fixture
def one_image(start_images) -> RuntimeInfo:  # type: ignore[no-untyped-def]
    """Prepared outside the app's loop: the CLI runs its own."""
    [info] = start_images(1)
    prepare(info.name)
    return info


@pytest.fixture
def two_images(start_images) -> None:  # type: ignore[no-untyped-def]
    for info in start_images(2):
        prepare(info.name)


def names(panel: DebuggerPanel) -> list[str]:
    assert panel.current is not None
    return [dbg.frame_name(f) for f in panel.current.stopped.stack]


def frame_is(panel: DebuggerPanel, name: str) -> bool:
    current = panel.current
    return (
        current is not None
        and current.frame is not None
        and (dbg.frame_name(current.frame) == name)
    )


def variables(panel: DebuggerPanel) -> list[str]:
    return [
        str(panel._variables.get_option_at_index(i).prompt)
        for i in range(panel._variables.option_count)
    ]


async def suspended(app: StuiApp, pilot, code: str, key: str = "ctrl+p") -> DebuggerPanel:  # type: ignore[no-untyped-def]
    ed = await ready(app)
    ed.text = code
    ed.move_cursor((0, len(code)))
    await pilot.press(key)
    area = app.contexts[app.current].area
    panel = area.debugger
    await until(lambda: area.tool == "debugger" and panel.current is not None, what="debugger")
    await until(lambda: panel.current.frame is not None, what="the first frame")
    return panel


async def test_an_error_opens_it_accept_restarts_and_proceed_prints(one_image) -> None:
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        panel = await suspended(app, pilot, "StuiDebugTui new twice: 21")
        assert names(panel)[-2:] == ["StuiDebugTui>>twice:", "UndefinedObject>>DoIt"]
        assert any(name.endswith("doesNotUnderstand:") for name in names(panel))
        # the frame that made the error is the one selected, its send selected
        assert frame_is(panel, "StuiDebugTui>>twice:")
        assert panel.source.text == TWICE
        assert panel.source.selected_text == "foo"
        assert "n: 21  (SmallInteger)" in variables(panel)
        assert variables(panel)[0].startswith("self: a StuiDebugTui")
        outcome = str(app.contexts[app.current].workspace._outcome.content)
        assert "Suspended in the debugger" in outcome and "foo" in outcome

        # walk down to the do-it and back
        panel._stack.focus()
        await pilot.press("down")
        await until(lambda: frame_is(panel, "UndefinedObject>>DoIt"), what="the do-it frame")
        await pilot.press("up")
        await until(lambda: frame_is(panel, "StuiDebugTui>>twice:"), what="twice: again")

        # a syntax error is shown and the edit kept
        panel.source.focus()
        panel.source.text = "twice: n\n\t^ n * "
        await pilot.press("ctrl+s")
        await until(lambda: "Not accepted" in str(panel._outcome.content), what="the error")
        assert panel.source.text == "twice: n\n\t^ n * "

        # a method of another name is refused: the debugger and the edit stay
        panel.source.text = "thrice: n\n\t^ n * 3"
        await pilot.press("ctrl+s")
        await until(lambda: "Accept refused" in str(panel._outcome.content), what="the refusal")
        assert "must define twice:" in str(panel._outcome.content)
        assert panel.current is not None and panel.suspensions
        assert app.contexts[app.current].area.tool == "debugger"
        assert panel.source.text == "thrice: n\n\t^ n * 3"

        # fix and accept: the frame restarts, the frames above it are gone
        panel.source.text = TWICE_FIXED
        await pilot.press("ctrl+s")
        await until(lambda: names(panel)[0] == "StuiDebugTui>>twice:", what="the restart")
        assert names(panel) == ["StuiDebugTui>>twice:", "UndefinedObject>>DoIt"]

        await pilot.press("alt+shift+p")
        ed = app.contexts[app.current].workspace.editor
        await until(lambda: ed.text == "StuiDebugTui new twice: 21 42", what="the result")
        assert app.contexts[app.current].area.tool == "workspace"
        assert panel.current is None and not panel.suspensions
        history = app.wb.sessions.get_session(app.contexts[app.current].session_id).state.history
        assert [entry.result for entry in history[-2:]] == [
            "debug error: suspended in the debugger: doesNotUnderstand: #foo",
            "42",
        ]


async def test_a_halt_steps_evaluates_inspects_restarts_and_returns(one_image) -> None:
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        panel = await suspended(app, pilot, "(StuiDebugTui new foo: 3) + 100")
        assert frame_is(panel, "StuiDebugTui>>foo:")
        assert panel.current.stopped.error.kind == "halt"
        assert "a: 4  (SmallInteger)" in variables(panel)

        await pilot.press("alt+v")  # step over
        await until(lambda: "b: 8  (SmallInteger)" in variables(panel), what="b after a step")

        panel.pane.focus()
        panel.pane.text = "a + b"
        await pilot.press("ctrl+p")
        await until(lambda: panel.pane.text == "a + b 12", what="print it in the frame")
        panel.pane.text = "b := 20"
        await pilot.press("ctrl+d")
        await until(lambda: "b: 20  (SmallInteger)" in variables(panel), what="b assigned")

        # Enter on a variable inspects it
        panel._variables.focus()
        panel._variables.highlighted = 0
        await pilot.press("enter")
        area = app.contexts[app.current].area
        await until(lambda: area.tool == "inspector", what="the inspector")
        assert area.inspector.current is not None
        assert area.inspector.current.class_ == "StuiDebugTui"

        await pilot.press("alt+z")
        assert area.tool == "debugger"
        await pilot.press("f1")
        await until(lambda: isinstance(app.screen, HelpScreen), what="help")
        assert "Debugger" in str(app.screen.title_text)
        await pilot.press("escape")
        # restart the frame: it runs again from its start
        await pilot.press("alt+shift+r")
        await until(lambda: "a: nil  (UndefinedObject)" in variables(panel), what="the restart")
        await pilot.press("alt+h")  # step through: a := n + 1
        await until(lambda: "a: 4  (SmallInteger)" in variables(panel), what="step through")

        # return a value from the frame: the do-it goes on with it
        await pilot.press("alt+shift+t")
        await until(lambda: isinstance(app.screen, FormScreen), what="the value's form")
        await pilot.press("9", "9", "enter")
        await until(lambda: names(panel) == ["UndefinedObject>>DoIt"], what="the return")
        await pilot.press("alt+shift+p")
        ed = app.contexts[app.current].workspace.editor
        await until(lambda: ed.text == "(StuiDebugTui new foo: 3) + 100 199", what="the result")


async def test_debug_it_and_one_debugger_per_image(two_images) -> None:
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        first = app.current
        one = await suspended(app, pilot, "3 + 4", key="alt+shift+d")
        assert one.current.stopped.error is None
        assert names(one) == ["UndefinedObject>>DoIt"]
        second = next(v.name for v in app.wb.images() if v.name != first)
        await app.switch_to(second)
        two = await suspended(app, pilot, "StuiDebugTui new twice: 5")
        assert two is not one and frame_is(two, "StuiDebugTui>>twice:")
        await pilot.press("alt+shift+a")
        await until(lambda: two.current is None, what="abandon in the second image")

        await app.switch_to(first)
        area = app.contexts[first].area
        area.show("debugger")
        assert one.current is not None and names(one) == ["UndefinedObject>>DoIt"]

        # a second suspended evaluation in the same image: both kept, Alt+Q goes between
        area.show("workspace")
        ed = app.contexts[first].workspace.editor
        ed.text = "3 + 4\nnil bar"
        ed.move_cursor((1, 7))
        await pilot.press("ctrl+p")
        await until(lambda: len(one.suspensions) == 2 and one.current.frame is not None)
        assert "[2/2, Alt+Q next]" in str(one._title.content)
        assert "Debugger (2)" in str(area._bar.content)
        await pilot.press("alt+shift+a")
        await until(lambda: len(one.suspensions) == 1, what="the second abandoned")
        await until(lambda: one.current is not None and one.current.frame is not None)
        assert names(one) == ["UndefinedObject>>DoIt"]
        assert area.tool == "debugger"
        await pilot.press("alt+s")  # step into the first send: stays in the do-it
        await until(lambda: one.busy is False and one.current is not None)
        await pilot.press("alt+shift+p")
        ed = app.contexts[first].workspace.editor
        await until(lambda: ed.text.startswith("3 + 4 7\n"), what="debug it's result")


async def test_an_image_that_goes_away_drops_its_suspensions(one_image: RuntimeInfo) -> None:
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        panel = await suspended(app, pilot, "StuiDebugTui new twice: 2")
        os.kill(one_image.pid, signal.SIGKILL)
        workspace = app.contexts[app.current].workspace
        await until(lambda: "connection lost" in str(workspace._outcome.content), what="lost")
        assert panel.current is None and not panel.suspensions


@pytest.fixture
def one_cuis_image(start_cuis_images) -> RuntimeInfo:  # type: ignore[no-untyped-def]
    [info] = start_cuis_images(1)
    prepare(info.name)
    return info


async def test_a_cuis_error_opens_it_accept_restarts_and_proceed_prints(one_cuis_image) -> None:
    """The same view on a Cuis image, whose server now offers the debugger: the error's
    own frame is selected, a fixed method restarts it, proceed prints the result."""
    app = StuiApp(quick_config())
    async with app.run_test(size=SIZE) as pilot:
        panel = await suspended(app, pilot, "StuiDebugTui new twice: 21")
        assert "StuiDebugTui>>twice:" in names(panel)
        assert names(panel)[-1] == "UndefinedObject>>DoIt"
        assert frame_is(panel, "StuiDebugTui>>twice:")
        panel.source.focus()
        panel.source.text = TWICE_FIXED
        await pilot.press("ctrl+s")
        await until(lambda: names(panel)[0] == "StuiDebugTui>>twice:", what="the restart")
        await pilot.press("alt+shift+p")
        ed = app.contexts[app.current].workspace.editor
        await until(lambda: ed.text == "StuiDebugTui new twice: 21 42", what="the result")


async def test_a_step_that_outlives_eval_timeout_keeps_the_suspension(start_images) -> None:
    """A step runs in the debugger's own process, which an interrupt does not stop: past
    eval_timeout the debugger says it still runs and keeps the suspension, which the
    image still holds; abandon then ends it."""
    start_images(1)
    app = StuiApp(quick_config(eval_timeout=1.0))
    async with app.run_test(size=SIZE) as pilot:
        panel = await suspended(app, pilot, "self halt. (Delay forSeconds: 4) wait. 5")
        panel._stack.focus()
        for _ in range(4):  # step over, up to the send that waits
            await pilot.press("alt+v")
            await pilot.pause()
            await until(lambda: not panel.busy, what="the step")
            if "still runs" in str(panel._outcome.content):
                break
        assert "Step over still runs in the image after 1 s" in str(panel._outcome.content)
        assert panel.current is not None and app.contexts[app.current].area.tool == "debugger"
        await pilot.press("alt+shift+a")
        ed = app.contexts[app.current].workspace
        await until(lambda: panel.current is None, what="the abandon")
        await until(lambda: "abandoned" in str(ed._outcome.content), what="the workspace told")

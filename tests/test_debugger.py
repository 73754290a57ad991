"""The debugger on a real image of each dialect, through tools.debug (the API the app
calls) and through `stui debug` driven by a script on stdin, as a person would type it.
What a dialect legitimately prints differently is data (TEXT), not a branch."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from stui.cli.main import cli
from stui.errors import InvalidInput
from stui.launcher.runtime import RuntimeInfo
from stui.protocol import RemoteError
from stui.protocol import messages as m
from stui.tools import debug as dbg
from stui.tools.outcomes import Evaluated, Failed, TimedOut
from stui.workbench import Workbench, WorkbenchConfig

pytestmark = pytest.mark.timeout(180)

DEFINE = (
    "Object subclass: #StuiDebugCli instanceVariableNames: 'x' classVariableNames: '' "
    "poolDictionaries: '' category: 'StuiTest'"
)
FOO = "foo: n\n\t| a b |\n\ta := n + 1.\n\tself halt.\n\tb := a * 2.\n\t^ b + 1"
BAR = "bar\n\t^ x foo"
# Per dialect: the first line `stui debug` prints for a halt (its error class and message).
TEXT: dict[str, dict[str, str]] = {
    "squeak": {"halt_line": "Halt: Halt encountered."},
    "cuis": {"halt_line": "Halt: Halt"},
}
# The fixture that starts one image of the dialect (tests/conftest.py).
RUNNING = {"squeak": "running_image", "cuis": "running_cuis_image"}


def stui(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    done = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return done.exit_code, done.stdout, done.stderr


@pytest.fixture(params=sorted(RUNNING))
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def image(dialect: str, request: pytest.FixtureRequest) -> RuntimeInfo:
    """A running image of the dialect with the test class and its two methods."""
    running: RuntimeInfo = request.getfixturevalue(RUNNING[dialect])
    assert stui("eval", "-i", running.name, DEFINE)[0] == 0
    for source in (FOO, BAR):
        assert stui("compile", "-i", running.name, "StuiDebugCli", source)[0] == 0
    return running


async def test_the_tools_api_walks_a_halt(image: RuntimeInfo) -> None:
    async with Workbench(WorkbenchConfig(watch=False)) as wb:
        handle = await wb.open_session(image.name)
        stopped = await dbg.debug(handle, "(StuiDebugCli new foo: 3) + 100")
        assert isinstance(stopped, dbg.Stopped)
        assert stopped.error is not None and stopped.error.kind == "halt"
        assert [dbg.frame_name(f) for f in stopped.stack] == [
            "StuiDebugCli>>foo:",
            "UndefinedObject>>DoIt",
        ]
        frame = await dbg.frame(handle, stopped.debug)
        assert {v.name: v.value.print for v in frame.variables} == {"n": "3", "a": "4", "b": "nil"}
        printed = await dbg.evaluate_in(handle, stopped.debug, "a := a + 1")
        assert isinstance(printed, Evaluated) and printed.value == "5"  # kept in the frame
        nxt = await dbg.step_over(handle, stopped.debug)
        assert isinstance(nxt, dbg.Stopped) and nxt.error is None
        frame = await dbg.frame(handle, stopped.debug)
        assert {v.name: v.value.print for v in frame.variables}["b"] == "10"
        done = await dbg.proceed(handle, stopped.debug)
        assert isinstance(done, Evaluated) and done.value == "111"
        with pytest.raises(RemoteError):
            await dbg.frame(handle, stopped.debug)

        again = await dbg.debug(handle, "StuiDebugCli new bar")
        assert isinstance(again, dbg.Stopped)
        index = [f.selector for f in again.stack].index("bar") + 1
        rejected = await dbg.compile(handle, again.debug, "bar ^ ", index)
        assert isinstance(rejected, dbg.Rejected)
        await dbg.abandon(handle, again.debug)
        after = await dbg.debug(handle, "3 + 4")
        assert isinstance(after, Evaluated) and after.value == "7"
        failed = await dbg.debug(handle, "3 +")
        assert isinstance(failed, Failed) and failed.kind == "syntax"
        # what the app's do it uses: offered on Squeak, do mode answers the value too
        assert dbg.offered(handle)
        done_it = await dbg.debug(handle, "3 + 4", mode="do")
        assert isinstance(done_it, Evaluated)
        with pytest.raises(InvalidInput):
            await dbg.debug(handle, "3 + 4", mode="inspect")
        # an image-side session the image forgot is made again, as evaluate does
        forgotten = handle.image_session_id
        await handle.client.call(m.SessionClose(session=forgotten))
        renewed = await dbg.debug(handle, "3 + 5")
        assert isinstance(renewed, Evaluated) and renewed.value == "8"
        assert handle.image_session_id != forgotten

        at_start = await dbg.debug(handle, "| t | t := 6. t * 7", at_start=True)
        assert isinstance(at_start, dbg.Stopped) and at_start.error is None
        stepped = await dbg.step_over(handle, at_start.debug)
        assert isinstance(stepped, dbg.Stopped)
        frame = await dbg.frame(handle, at_start.debug)
        assert {v.name: v.value.print for v in frame.variables} == {"t": "6"}
        done = await dbg.proceed(handle, at_start.debug)
        assert isinstance(done, Evaluated) and done.value == "42"


async def test_what_runs_past_its_time_or_is_cancelled_is_interrupted(image: RuntimeInfo) -> None:
    """A do-it under the debugger, or a proceed, that outlives its call is stopped in the
    image: the session takes the next evaluation at once instead of answering busy."""
    slow = "(Delay forSeconds: 5) wait. 1"
    async with Workbench(WorkbenchConfig(watch=False)) as wb:
        handle = await wb.open_session(image.name)
        timed_out = await dbg.debug(handle, slow, timeout=0.5)
        assert timed_out == TimedOut(0.5, True)
        after = await dbg.debug(handle, "3 + 4")
        assert isinstance(after, Evaluated) and after.value == "7"

        stopped = await dbg.debug(handle, "self halt. " + slow)
        assert isinstance(stopped, dbg.Stopped)
        assert await dbg.proceed(handle, stopped.debug, timeout=0.5) == TimedOut(0.5, True)
        after = await dbg.debug(handle, "3 + 4")
        assert isinstance(after, Evaluated) and after.value == "7"

        running = asyncio.create_task(dbg.debug(handle, slow))
        await asyncio.sleep(0.5)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        after = await dbg.debug(handle, "3 + 4")
        assert isinstance(after, Evaluated) and after.value == "7"
        history = wb.sessions.get_session(handle.session_id).state.history
        assert "interrupted: cancelled by the user" in [entry.result for entry in history]


def test_stui_debug_where_print_step_next(image: RuntimeInfo, dialect: str) -> None:
    script = "where\nprint a\nlist\nnext\nprint b\nrestart\nprint b\nreturn 42\ncontinue\n"
    code, out, err = stui(
        "debug", "-i", image.name, "(StuiDebugCli new foo: 3) + 100", stdin=script
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == TEXT[dialect]["halt_line"]
    assert lines[1] == "> 1 StuiDebugCli>>foo:  [halt]"
    assert ">  1 StuiDebugCli>>foo:" in lines and "   2 UndefinedObject>>DoIt" in lines
    assert "  a = 4" in lines and "  b = nil" in lines  # list shows the variables
    assert lines[-1] == "142"  # foo: answered 42
    assert out.count("\n8\n") == 1  # print b after next
    assert "\nnil\n" in out  # print b after restart


def test_stui_debug_edit_and_continue_json(image: RuntimeInfo) -> None:
    script = "edit\nbar\n\t^ 41 + 1\n.\ncontinue\n"
    code, out, err = stui(
        "debug", "-i", image.name, "--json", "StuiDebugCli new bar + 1", stdin=script
    )
    assert code == 0, err
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["command"] for a in answers] == ["debug", "edit", "continue"]
    assert answers[0]["state"] == "stopped"
    assert answers[0]["error"]["class"] == "MessageNotUnderstood"
    # the first frame shown is where the error was made, below error: and doesNotUnderstand:
    assert answers[0]["stack"][answers[0]["frame"] - 1] == "StuiDebugCli>>bar"
    assert answers[1]["stack"] == ["StuiDebugCli>>bar", "UndefinedObject>>DoIt"]
    assert answers[2] == {"command": "continue", "ok": True, "state": "finished",
                          "value": "43", "class": "SmallInteger"}  # fmt: skip


def test_stui_debug_quits_and_end_of_input_abandons(image: RuntimeInfo) -> None:
    code, out, _ = stui(
        "debug", "-i", image.name, "--json", "StuiDebugCli new foo: 1", stdin="quit\n"
    )
    assert code == 1 and json.loads(out.splitlines()[-1])["state"] == "abandoned"
    code, out, _ = stui("debug", "-i", image.name, "StuiDebugCli new foo: 1", stdin="")
    assert code == 1 and out.splitlines()[-1] == "abandoned"
    count = (
        "| c found | Smalltalk garbageCollect. (Process allInstances select: [:p | "
        "c := p suspendedContext. found := false. [c notNil] whileTrue: ["
        "(c receiver isKindOf: StuiDebugCli) ifTrue: [found := true]. c := c sender]. found]) size"
    )
    assert stui("eval", "-i", image.name, count)[1] == "0\n"
    code, out, err = stui("debug", "-i", image.name, "3 + 4", stdin="")
    assert (code, out) == (0, "7\n")
    code, out, err = stui(
        "debug", "-i", image.name, "StuiDebugCli new foo: 1", stdin="bogus\nquit\n"
    )
    assert "unknown command 'bogus'" in err

"""`stui debug`: a line-mode debugger with pdb's habits, on tools.debug.

It evaluates CODE under the debugger; when an error or a halt suspends it, it reads
commands (from the terminal with a prompt, or from stdin when stdin is not a terminal, so
scripts can drive it). With ``--json`` every command answered prints one JSON object.
End of input abandons the suspended evaluation: nothing is left behind in the image.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
import msgspec

from stui.cli.eval_commands import IMAGE_OPTION, JSON_OPTION, caret, pick_image
from stui.cli.exits import EXIT_CONNECTION, EXIT_ERROR, EXIT_OK, EXIT_REMOTE
from stui.cli.output import emit_json, warn
from stui.cli.running import run
from stui.errors import StuiError
from stui.protocol import messages as m
from stui.tools import debug as dbg
from stui.tools.outcomes import Evaluated, Failed, Interrupted, Lost, Refused, TimedOut
from stui.workbench import SessionHandle, Workbench

PROMPT = "(stui-debug) "
HELP = (
    "where | up | down | list | print EXPR | step | next | through | restart | "
    "return EXPR | continue | quit | edit (the method's new source, then a line '.')"
)
ALIASES = {
    "w": "where", "bt": "where", "u": "up", "d": "down", "l": "list", "p": "print",
    "s": "step", "n": "next", "t": "through", "c": "continue", "cont": "continue",
    "q": "quit", "h": "help", "?": "help",
}  # fmt: skip


@dataclass
class DebugState:
    """Where the command loop stands: the suspended evaluation and the selected frame."""

    handle: SessionHandle
    stopped: dbg.Stopped | None
    index: int = 1
    exit_code: int | None = None  # set when the evaluation ended


@click.command("debug")
@click.argument("code")
@IMAGE_OPTION
@click.option("--session", "-s", metavar="ID", help="The session to debug in (as for eval).")
@click.option("--start", is_flag=True, help="Stop before the first statement (debug it).")
@JSON_OPTION
def debug_command(
    code: str, image: str | None, session: str | None, start: bool, as_json: bool
) -> None:
    """Evaluate CODE under the debugger (- reads it from stdin, up to a line '.').

    An error or a halt stops it; then type where, up, down, list, print EXPR, step, next,
    through, restart, return EXPR, continue, quit or edit. Commands come from stdin when
    it is not a terminal. End of input abandons the evaluation.
    """
    lines = _LineReader()
    source = lines.until_dot() if code == "-" else code
    if not source.strip():
        raise click.UsageError("no code to debug")

    async def body(wb: Workbench) -> int:
        name = image if image or session else pick_image(wb, None)
        handle = await wb.open_session(name, session)
        if handle.restarted is not None:
            warn(handle.restarted.describe())
        state = DebugState(handle, None)
        await _show(state, "debug", await dbg.debug(handle, source, start), as_json)
        while state.exit_code is None:
            line = await asyncio.to_thread(lines.next_command)
            if line is None:
                await _abandon(state, "quit", as_json)
                break
            if line.strip():
                await _command(state, line.strip(), lines, as_json)
        return state.exit_code if state.exit_code is not None else EXIT_ERROR

    sys.exit(run(body))


class _LineReader:
    """Lines from stdin, with a prompt when it is a terminal."""

    def __init__(self) -> None:
        self.interactive = sys.stdin.isatty()

    def next_command(self) -> str | None:
        if self.interactive:
            try:
                return input(PROMPT)
            except EOFError:
                return None
        line = sys.stdin.readline()
        return None if line == "" else line.rstrip("\n")

    def until_dot(self) -> str:
        """Lines up to one holding only '.', or to the end of input."""
        out: list[str] = []
        while (line := self.next_command()) is not None and line.strip() != ".":
            out.append(line)
        return "\n".join(out)


async def _command(state: DebugState, line: str, lines: _LineReader, as_json: bool) -> None:
    word, _, rest = line.partition(" ")
    word = ALIASES.get(word, word)
    rest = rest.strip()
    actions: dict[str, Callable[[], Any]] = {
        "where": lambda: _where(state, as_json),
        "up": lambda: _move(state, +1, as_json),
        "down": lambda: _move(state, -1, as_json),
        "list": lambda: _list(state, as_json),
        "print": lambda: _print(state, rest, as_json),
        "step": lambda: _step(state, "step", dbg.step_into, as_json),
        "next": lambda: _step(state, "next", dbg.step_over, as_json),
        "through": lambda: _step(state, "through", dbg.step_through, as_json),
        "restart": lambda: _restart(state, as_json),
        "return": lambda: _return(state, rest, as_json),
        "continue": lambda: _continue(state, as_json),
        "quit": lambda: _abandon(state, "quit", as_json),
        "edit": lambda: _edit(state, lines, as_json),
        "help": lambda: _say(as_json, {"command": "help", "ok": True, "help": HELP}, HELP),
    }
    action = actions.get(word)
    if action is None:
        message = f"unknown command {word!r}; commands: {HELP}"
        _say(as_json, {"command": word, "ok": False, "error": "usage", "message": message},
             message, err=True)  # fmt: skip
        return
    if state.stopped is None:
        _say(as_json, {"command": word, "ok": False, "error": "usage",
                       "message": "nothing is suspended"}, "nothing is suspended", err=True)  # fmt: skip
        return
    try:
        await action()
    except StuiError as e:
        _say(as_json, {"command": word, "ok": False, "error": "refused", "message": str(e)},
             str(e), err=True)  # fmt: skip


async def _where(state: DebugState, as_json: bool) -> None:
    assert state.stopped is not None
    stack = state.stopped.stack
    if as_json:
        frames = [{"index": i, "name": dbg.frame_name(f)} for i, f in enumerate(stack, 1)]
        emit_json({"command": "where", "ok": True, "frame": state.index, "stack": frames})
        return
    for i, f in enumerate(stack, 1):
        click.echo(f"{'>' if i == state.index else ' '} {i:2} {dbg.frame_name(f)}")


async def _move(state: DebugState, delta: int, as_json: bool) -> None:
    assert state.stopped is not None
    target = state.index + delta
    command = "up" if delta > 0 else "down"
    if not 1 <= target <= len(state.stopped.stack):
        message = "at the oldest frame" if delta > 0 else "at the newest frame"
        _say(as_json, {"command": command, "ok": False, "error": "usage", "message": message},
             message, err=True)  # fmt: skip
        return
    state.index = target
    await _location(state, command, as_json)


async def _location(state: DebugState, command: str, as_json: bool) -> None:
    """The selected frame's name and the source it stands at."""
    assert state.stopped is not None
    frame = await dbg.frame(state.handle, state.stopped.debug, state.index)
    snippet = _at_pc(frame)
    if as_json:
        emit_json({"command": command, "ok": True, "frame": state.index,
                   "name": dbg.frame_name(frame), "pc_range": frame.pc_range, "at": snippet})  # fmt: skip
    else:
        click.echo(f"> {state.index} {dbg.frame_name(frame)}  [{snippet}]")


def _at_pc(frame: m.Frame) -> str:
    if frame.pc_range is None:
        return ""
    start, end = frame.pc_range
    return frame.source[start - 1 : end]


async def _list(state: DebugState, as_json: bool) -> None:
    assert state.stopped is not None
    frame = await dbg.frame(state.handle, state.stopped.debug, state.index)
    if as_json:
        emit_json({"command": "list", "ok": True, "frame": state.index,
                   "name": dbg.frame_name(frame), "source": frame.source,
                   "pc_range": frame.pc_range,
                   "variables": {v.name: v.value.print for v in frame.variables}})  # fmt: skip
        return
    click.echo(dbg.frame_name(frame))
    for line in frame.source.splitlines() or [""]:
        click.echo(f"  {line}")
    if frame.pc_range is not None:
        for line in caret(frame.source, frame.pc_range[0]):
            click.echo(f"  {line}")
    for v in frame.variables:
        click.echo(f"  {v.name} = {v.value.print}")


async def _print(state: DebugState, expr: str, as_json: bool) -> None:
    assert state.stopped is not None
    if not expr:
        _say(as_json, {"command": "print", "ok": False, "error": "usage",
                       "message": "print needs an expression"}, "print needs an expression",
             err=True)  # fmt: skip
        return
    outcome = await dbg.evaluate_in(state.handle, state.stopped.debug, expr, state.index)
    match outcome:
        case Evaluated(value=value, class_name=cls):
            _say(as_json, {"command": "print", "ok": True, "value": value, "class": cls},
                 value or "")  # fmt: skip
        case _:
            _failure(as_json, "print", outcome)


async def _step(
    state: DebugState,
    command: str,
    step: Callable[[SessionHandle, int], Any],
    as_json: bool,
) -> None:
    assert state.stopped is not None
    await _show(state, command, await step(state.handle, state.stopped.debug), as_json)


async def _restart(state: DebugState, as_json: bool) -> None:
    assert state.stopped is not None
    outcome = await dbg.restart(state.handle, state.stopped.debug, state.index)
    await _show(state, "restart", outcome, as_json)


async def _return(state: DebugState, expr: str, as_json: bool) -> None:
    assert state.stopped is not None
    outcome = await dbg.return_value(state.handle, state.stopped.debug, expr or "nil", state.index)
    await _show(state, "return", outcome, as_json)


async def _continue(state: DebugState, as_json: bool) -> None:
    assert state.stopped is not None
    await _show(state, "continue", await dbg.proceed(state.handle, state.stopped.debug), as_json)


async def _abandon(state: DebugState, command: str, as_json: bool) -> None:
    if state.stopped is not None:
        try:
            await dbg.abandon(state.handle, state.stopped.debug)
        except StuiError as e:
            warn(str(e))
    state.stopped = None
    state.exit_code = EXIT_ERROR
    _say(as_json, {"command": command, "ok": True, "state": "abandoned"}, "abandoned")


async def _edit(state: DebugState, lines: _LineReader, as_json: bool) -> None:
    assert state.stopped is not None
    source = await asyncio.to_thread(lines.until_dot)
    outcome = await dbg.compile(state.handle, state.stopped.debug, source, state.index)
    await _show(state, "edit", outcome, as_json)


async def _show(state: DebugState, command: str, outcome: dbg.DebugOutcome, as_json: bool) -> None:
    """Report what a command came to, and move the loop on."""
    match outcome:
        case dbg.Stopped(error=error):
            state.stopped = outcome
            state.index = dbg.signaler(outcome)
            if error is not None and not as_json:
                click.echo(f"{error.class_}: {error.message}")
            frame = await dbg.frame(state.handle, outcome.debug, state.index)
            if as_json:
                emit_json({"command": command, "ok": True, "state": "stopped",
                           "debug": outcome.debug,
                           "error": None if error is None else msgspec_to_dict(error),
                           "stack": [dbg.frame_name(f) for f in outcome.stack],
                           "frame": state.index, "pc_range": frame.pc_range,
                           "at": _at_pc(frame)})  # fmt: skip
            else:
                click.echo(f"> {state.index} {dbg.frame_name(frame)}  [{_at_pc(frame)}]")
        case Evaluated(value=value, class_name=cls):
            state.stopped = None
            state.exit_code = EXIT_OK
            _say(as_json, {"command": command, "ok": True, "state": "finished", "value": value,
                           "class": cls}, value or "")  # fmt: skip
        case dbg.Rejected(message=message, position=position):
            _say(as_json, {"command": command, "ok": False, "error": "compile_error",
                           "message": message, "position": position},
                 f"compile error: {message}", err=True)  # fmt: skip
        case Refused(code=code, message=message) if state.stopped is not None:
            _say(as_json, {"command": command, "ok": False, "error": code, "message": message},
                 message, err=True)  # fmt: skip
        case _:
            _failure(as_json, command, outcome)
            if state.stopped is None or isinstance(outcome, (Lost, TimedOut, Interrupted)):
                state.stopped = None
                state.exit_code = _exit_code(outcome)


def _failure(as_json: bool, command: str, outcome: dbg.DebugOutcome) -> None:
    match outcome:
        case Failed(kind=kind, message=message, error_class=cls):
            text = f"{kind} error: {cls + ': ' if cls else ''}{message}"
            _say(as_json, {"command": command, "ok": False, "error": "eval_error", "kind": kind,
                           "message": message, "error_class": cls}, text, err=True)  # fmt: skip
        case Refused(code=code, message=message):
            _say(as_json, {"command": command, "ok": False, "error": code, "message": message},
                 message, err=True)  # fmt: skip
        case TimedOut(seconds=seconds):
            message = f"no answer in {seconds:g} s"
            _say(as_json, {"command": command, "ok": False, "error": "timeout",
                           "message": message}, message, err=True)  # fmt: skip
        case Interrupted(message=message):
            _say(as_json, {"command": command, "ok": False, "error": "interrupted",
                           "message": message}, message, err=True)  # fmt: skip
        case Lost(reason=reason):
            _say(as_json, {"command": command, "ok": False, "error": "connection",
                           "message": reason}, reason, err=True)  # fmt: skip
        case _:
            _say(as_json, {"command": command, "ok": False, "error": "unexpected",
                           "message": repr(outcome)}, repr(outcome), err=True)  # fmt: skip


def _exit_code(outcome: dbg.DebugOutcome) -> int:
    match outcome:
        case Refused():
            return EXIT_REMOTE
        case Lost() | TimedOut():
            return EXIT_CONNECTION
        case _:
            return EXIT_ERROR


def _say(as_json: bool, document: dict[str, Any], text: str, err: bool = False) -> None:
    if as_json:
        emit_json(document)
    elif err:
        warn(text)
    else:
        click.echo(text)


def msgspec_to_dict(value: Any) -> Any:
    """A protocol struct as plain JSON data (its wire field names)."""
    return msgspec.to_builtins(value)

"""`stui eval` and `stui ping`: one request to an image, for people and for scripts.

Exit codes: 0 ok, 1 the evaluation failed, 2 usage, 3 connection or timeout, 4 the image
refused the request or broke the protocol. ``--json`` prints exactly one JSON object on
stdout, whatever happens after the arguments were understood.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from stui import launcher
from stui.cli.context import open_manager
from stui.cli.exits import EXIT_CONNECTION, EXIT_ERROR, EXIT_OK, EXIT_REMOTE
from stui.identity import client_id
from stui.images.sync import ensure_image_session
from stui.launcher import InvalidImageName, LauncherError
from stui.protocol import (
    EvalError,
    EvalMode,
    EvaluationFailed,
    ProtocolError,
    RemoteError,
    Result,
)
from stui.sessions.errors import SessionsError
from stui.sessions.manager import SessionManager
from stui.tools.evaluate import record
from stui.transport import ConnectionTimeout, ImageClient, TransportError

EXIT_EVAL_ERROR = EXIT_ERROR
INTERRUPT_TIMEOUT = 2.0


@dataclass(frozen=True)
class Target:
    """Where to send a request: a named local image or an explicit address."""

    label: str
    address: str
    token: str


class Failure(Exception):
    """A failure that ends the command with an exit code and a one-line message."""

    def __init__(self, code: int, kind: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind
        self.message = message
        self.details = details


def _target_of_session(manager: SessionManager, session_id: str) -> Target:
    """The running local image that a client session belongs to."""
    try:
        image_id = manager.get_session(session_id).image_id
    except SessionsError as e:
        raise Failure(EXIT_REMOTE, "session", str(e)) from None
    for info in launcher.running_images():
        if info.image_id == image_id:
            return Target(info.name, info.address, info.token)
    raise Failure(
        EXIT_CONNECTION,
        "not_running",
        f"the image of session {session_id} ({image_id}) is not running here; "
        "give its address with --address and --token",
    )


def resolve_target(image: str | None, address: str | None, token: str | None) -> Target:
    """The image to talk to, from --image, --address/--token, or the only running one."""
    if image and address:
        raise click.UsageError("give either --image or --address, not both")
    if address:
        if not token:
            raise click.UsageError("--address needs --token")
        return Target(address, address, token)
    if token:
        raise click.UsageError("--token goes with --address")
    if image:
        try:
            info = launcher.read_runtime(image)
        except InvalidImageName as e:
            raise click.UsageError(str(e)) from None
        except LauncherError as e:
            raise Failure(EXIT_CONNECTION, "not_running", str(e)) from None
        return Target(info.name, info.address, info.token)
    running = launcher.running_images()
    if len(running) == 1:
        info = running[0]
        return Target(info.name, info.address, info.token)
    if not running:
        raise Failure(
            EXIT_CONNECTION, "not_running", "no image is running; start one: stui image start NAME"
        )
    names = ", ".join(info.name for info in running)
    raise click.UsageError(f"several images are running ({names}); choose one with --image")


def run(body: Callable[[], Awaitable[int]], as_json: bool) -> NoReturn:
    """Run the command body; map every known failure to its exit code."""
    try:
        code = asyncio.run(body())
    except Failure as f:
        _report_failure(f, as_json)
        code = f.code
    except KeyboardInterrupt:
        click.echo("stui: interrupted", err=True)
        code = 130
    sys.exit(code)


def _report_failure(f: Failure, as_json: bool) -> None:
    if as_json:
        _print_json({"ok": False, "error": f.kind, "message": f.message, **f.details})
    else:
        click.echo(f"stui: {f.message}", err=True)


def _print_json(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


def _failure_from(exc: Exception) -> Failure:
    match exc:
        case ConnectionTimeout():
            return Failure(EXIT_CONNECTION, "timeout", str(exc))
        case TransportError():
            return Failure(EXIT_CONNECTION, "connection", str(exc))
        case RemoteError():
            return Failure(EXIT_REMOTE, exc.code, str(exc))
        case ProtocolError():
            return Failure(EXIT_REMOTE, "protocol", str(exc))
        case _:
            raise exc


async def _connected(target: Target) -> ImageClient:
    connection = ImageClient(target.address, target.token, client_id())
    try:
        await connection.connect()
    except (TransportError, RemoteError, ProtocolError) as e:
        raise _failure_from(e) from None
    return connection


# --------------------------------------------------------------------------- eval


def _read_code(code: str) -> str:
    if code == "-":
        return sys.stdin.read()
    return code


@click.command("eval")
@click.argument("code")
@click.option("--image", "-i", metavar="NAME", help="A running local image (see stui image list).")
@click.option("--address", metavar="tcp://HOST:PORT", help="An image's address, with --token.")
@click.option("--token", metavar="T", help="The token of the image at --address.")
@click.option("--print/--do", "print_it", default=True, help="Print the result (default) or not.")
@click.option(
    "--session",
    metavar="ID",
    help="A session (see stui sessions list) whose variables to use, and whose history "
    "records this evaluation; an image-side id (s-…) is used as it is.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), metavar="S", help="Seconds to wait."
)
def eval_command(
    code: str,
    image: str | None,
    address: str | None,
    token: str | None,
    print_it: bool,
    session: str | None,
    as_json: bool,
    timeout: float | None,
) -> None:
    """Evaluate CODE (or - for stdin) in an image and print the result."""
    source = _read_code(code)
    if not source.strip():
        raise click.UsageError("no code to evaluate")
    mode = "print" if print_it else "do"

    client_session = session if session and not session.startswith("s-") else None

    async def body() -> int:
        manager = open_manager() if client_session else None
        if manager and not (image or address):
            target = _target_of_session(manager, client_session)
        else:
            target = resolve_target(image, address, token)
        connection = await _connected(target)
        try:
            image_session = session
            if manager:
                stored = manager.get_session(client_session)
                image_session = await ensure_image_session(connection, manager, stored)
            try:
                result = await _evaluate(connection, source, mode, image_session, timeout)
            except EvaluationFailed as e:
                if manager:
                    record(manager, client_session, source, EvalMode(mode), e.error)
                _report_eval_error(e.error, source, target, as_json)
                return EXIT_EVAL_ERROR
            if manager:
                record(manager, client_session, source, EvalMode(mode), result)
        except (SessionsError, RemoteError) as e:
            raise Failure(EXIT_REMOTE, "session", str(e)) from None
        finally:
            await connection.close()
        _report_result(result, mode, target, as_json)
        return EXIT_OK

    run(body, as_json)


async def _evaluate(
    connection: ImageClient, code: str, mode: str, session: str | None, timeout: float | None
) -> Result:
    """Evaluate; on a timeout or Ctrl-C, interrupt the evaluation before giving up."""
    try:
        return await connection.evaluate(code, mode=mode, session=session, timeout=timeout)
    except ConnectionTimeout as e:
        stopped = await _interrupt(connection, session)
        note = "; the evaluation was interrupted" if stopped else ""
        raise Failure(EXIT_CONNECTION, "timeout", f"{e}{note}") from None
    except asyncio.CancelledError:
        await _interrupt(connection, session)
        raise
    except RemoteError as e:
        if e.code == "encoding":
            raise Failure(EXIT_REMOTE, e.code, _unrepresentable(code, e)) from None
        raise _failure_from(e) from None
    except (TransportError, ProtocolError) as e:
        raise _failure_from(e) from None


def _unrepresentable(code: str, error: RemoteError) -> str:
    """Point at the character in the user's code, not at an offset in the frame."""
    for position, char in enumerate(code, start=1):
        if ord(char) > 0xFF:
            return (
                f"the image cannot hold {char!r} (U+{ord(char):04X}) at position {position} "
                f"of the code: it stores Latin-1 text only ({error.message})"
            )
    return str(error)


async def _interrupt(connection: ImageClient, session: str | None) -> bool:
    try:
        await asyncio.wait_for(connection.interrupt(session), INTERRUPT_TIMEOUT)
    except (TransportError, RemoteError, ProtocolError, TimeoutError):
        return False
    return True


def _report_result(result: Result, mode: str, target: Target, as_json: bool) -> None:
    if as_json:
        _print_json(
            {
                "ok": True,
                "image": target.label,
                "value": result.value,
                "class": result.class_,
                "truncated": result.truncated,
                "elapsed_ms": result.elapsed_ms,
            }
        )
    elif mode == "print" and result.value is not None:
        click.echo(result.value)
        if result.truncated:
            click.echo("stui: the print string was cut", err=True)


def _report_eval_error(error: EvalError, source: str, target: Target, as_json: bool) -> None:
    if as_json:
        _print_json(
            {
                "ok": False,
                "error": "eval_error",
                "image": target.label,
                "kind": error.kind,
                "message": error.message,
                "position": error.position,
                "error_class": error.error_class,
                "receiver": error.receiver,
                "stack": error.stack,
            }
        )
        return
    heading = f"{error.error_class}: {error.message}" if error.error_class else error.message
    click.echo(f"{error.kind} error: {heading}", err=True)
    if error.position is not None:
        for line in _caret(source, error.position):
            click.echo(f"  {line}", err=True)
    for frame in error.stack:
        click.echo(f"  {frame}", err=True)


def _caret(source: str, position: int) -> list[str]:
    """The source line holding a 1-based position, with a caret under it."""
    offset = max(0, min(position - 1, len(source)))
    start = source.rfind("\n", 0, offset) + 1
    end = source.find("\n", offset)
    line = source[start : end if end >= 0 else len(source)]
    return [line, " " * (offset - start) + "^"]


# --------------------------------------------------------------------------- ping


@click.command("ping")
@click.argument("name", required=False)
@click.option("--address", metavar="tcp://HOST:PORT", help="An image's address, with --token.")
@click.option("--token", metavar="T", help="The token of the image at --address.")
@click.option("--count", "-c", type=click.IntRange(1), default=4, show_default=True)
@click.option(
    "--interval", type=click.FloatRange(min=0), default=0.2, show_default=True, metavar="S"
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def ping(
    name: str | None,
    address: str | None,
    token: str | None,
    count: int,
    interval: float,
    as_json: bool,
) -> None:
    """Ping image NAME (or the only running one) and report round-trip times."""

    async def body() -> int:
        target = resolve_target(name, address, token)
        connection = await _connected(target)
        rtts: list[float] = []
        last = None
        try:
            for seq in range(1, count + 1):
                if seq > 1 and interval:
                    await asyncio.sleep(interval)
                try:
                    reply = await connection.ping()
                except ConnectionTimeout as e:
                    if not as_json:
                        click.echo(f"seq={seq} {e}", err=True)
                    continue
                except (TransportError, RemoteError, ProtocolError) as e:
                    raise _failure_from(e) from None
                rtts.append(reply.rtt)
                last = reply.pong
                if not as_json:
                    click.echo(
                        f"pong from {target.label}: seq={seq} time={reply.rtt * 1e3:.3f} ms "
                        f"busy={'yes' if last.busy else 'no'} sessions={last.sessions}"
                    )
        finally:
            await connection.close()
        summary = _ping_summary(target, count, rtts)
        if last is not None:
            summary.update(busy=last.busy, sessions=last.sessions, uptime_ms=last.uptime_ms)
        if as_json:
            _print_json({"ok": bool(rtts), **summary})
        else:
            _print_summary(summary)
        return EXIT_OK if rtts else EXIT_CONNECTION

    run(body, as_json)


def _ping_summary(target: Target, count: int, rtts: list[float]) -> dict[str, Any]:
    ms = [round(r * 1e3, 3) for r in rtts]
    summary: dict[str, Any] = {
        "image": target.label,
        "address": target.address,
        "sent": count,
        "received": len(ms),
        "rtt_ms": ms,
    }
    if ms:
        summary.update(p50_ms=round(statistics.median(ms), 3), min_ms=min(ms), max_ms=max(ms))
    return summary


def _print_summary(summary: dict[str, Any]) -> None:
    line = f"{summary['sent']} sent, {summary['received']} received"
    if summary["received"]:
        line += (
            f"; p50 {summary['p50_ms']:.3f} ms, min {summary['min_ms']:.3f} ms,"
            f" max {summary['max_ms']:.3f} ms"
        )
    click.echo(line)

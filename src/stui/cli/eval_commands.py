"""`stui eval`, `stui ping` and `stui interrupt`: one request to an image, for people and
for scripts. See `stui --help` for the exit codes; ``--json`` prints one JSON object."""

from __future__ import annotations

import asyncio
import statistics
import sys
from typing import Any

import click

from stui import tools
from stui.cli import broadcast_report
from stui.cli.exits import EXIT_CONNECTION, EXIT_ERROR, EXIT_OK, EXIT_REMOTE
from stui.cli.output import emit_json, warn
from stui.cli.running import run
from stui.errors import StuiError
from stui.tools import Evaluated, Failed, Interrupted, Lost, Outcome, Refused, TimedOut
from stui.workbench import ImageUnavailable, SessionHandle, Workbench

IMAGE_OPTION = click.option(
    "--image", "-i", metavar="NAME", help="The image (default: the only one running)."
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")


def pick_image(wb: Workbench, image: str | None) -> str:
    """--image, else the only image that can be reached."""
    if image:
        return image
    reachable = [v.name for v in wb.images() if v.source != "known"]
    if len(reachable) == 1:
        return reachable[0]
    if not reachable:
        raise ImageUnavailable("no image is running; start one: stui image start NAME")
    raise click.UsageError(
        f"several images are known ({', '.join(reachable)}); choose one with --image"
    )


def read_code(code: str) -> str:
    source = sys.stdin.buffer.read().decode("utf-8") if code == "-" else code
    if not source.strip():
        raise click.UsageError("no code to evaluate")
    return source


# --------------------------------------------------------------------------- eval


@click.command("eval")
@click.argument("code")
@IMAGE_OPTION
@click.option("--print/--do", "print_it", default=True, help="Print the result (default) or not.")
@click.option(
    "--session",
    "-s",
    metavar="ID",
    help="A session (id, label or unique id prefix) whose variables to use and whose "
    "history records this evaluation. Default: the image's latest session.",
)
@click.option(
    "--images",
    metavar="A,B,…",
    help="Evaluate in each of these images concurrently and print a table (docs/cross-image.md).",
)
@click.option("--all", "all_images", is_flag=True, help="Evaluate in every running image.")
@JSON_OPTION
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), metavar="S", help="Seconds to wait."
)
def eval_command(
    code: str,
    image: str | None,
    print_it: bool,
    session: str | None,
    images: str | None,
    all_images: bool,
    as_json: bool,
    timeout: float | None,
) -> None:
    """Evaluate CODE (or - for stdin) in an image and print the result.

    With --images or --all, evaluate it in several images at once: one row per image
    with its result or error and the time it took; exit 0 only if every image answered.

    A timeout, Ctrl-C, SIGTERM or SIGHUP interrupts the evaluation in the image.
    """
    source = read_code(code)
    if images is not None or all_images:
        if image or session:
            raise click.UsageError(
                "--images and --all cannot be combined with --image or --session"
            )
        if images is not None and all_images:
            raise click.UsageError("use --images or --all, not both")
        names = None if all_images else images.split(",")  # type: ignore[union-attr]
        sys.exit(broadcast_report.run_broadcast(names, source, print_it, as_json, timeout))

    async def body(wb: Workbench) -> tuple[SessionHandle, Outcome]:
        name = image if image or session else pick_image(wb, None)
        handle = await wb.open_session(name, session)
        if handle.restarted is not None:
            warn(handle.restarted.describe())
        return handle, await tools.evaluate(handle, source, "print" if print_it else "do", timeout)

    handle, outcome = run(body)
    sys.exit(_report(handle, outcome, source, print_it, as_json))


def _report(
    handle: SessionHandle, outcome: Outcome, source: str, print_it: bool, as_json: bool
) -> int:
    head: dict[str, Any] = {"image": handle.image, "session": handle.session_id}
    if handle.restarted is not None:
        head["restarted"] = {
            "instance_id": handle.restarted.instance_id,
            "lost_variables": list(handle.restarted.lost_variables),
        }
    match outcome:
        case Evaluated(value=value, class_name=cls, truncated=truncated, elapsed_ms=elapsed):
            if as_json:
                emit_json({"ok": True, **head, "value": value, "class": cls,
                           "truncated": truncated, "elapsed_ms": elapsed})  # fmt: skip
            elif print_it and value is not None:
                click.echo(value)
                if truncated:
                    warn("the print string was cut")
            return EXIT_OK
        case Failed() as failed:
            _report_failed(failed, source, head, as_json)
            return EXIT_ERROR
        case TimedOut(seconds=seconds, interrupted=stopped):
            note = "; the evaluation was interrupted" if stopped else ""
            return _error(
                as_json, head, EXIT_CONNECTION, "timeout", f"no answer in {seconds:g} s{note}"
            )
        case Interrupted(message=message):
            return _error(as_json, head, EXIT_ERROR, "interrupted", message)
        case Refused(code=code, message=message):
            return _error(as_json, head, EXIT_REMOTE, code, message)
        case Lost(reason=reason):
            return _error(as_json, head, EXIT_CONNECTION, "connection", reason)


def _error(as_json: bool, head: dict[str, Any], code: int, kind: str, message: str) -> int:
    if as_json:
        emit_json({"ok": False, **head, "error": kind, "message": message})
    else:
        warn(message)
    return code


def _report_failed(error: Failed, source: str, head: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json({"ok": False, **head, "error": "eval_error", "kind": str(error.kind),
                   "message": error.message, "position": error.position,
                   "error_class": error.error_class, "receiver": error.receiver,
                   "stack": list(error.stack)})  # fmt: skip
        return
    heading = f"{error.error_class}: {error.message}" if error.error_class else error.message
    click.echo(f"{error.kind} error: {heading}", err=True)
    if error.position is not None:
        for line in caret(source, error.position):
            click.echo(f"  {line}", err=True)
    for frame in error.stack:
        click.echo(f"  {frame}", err=True)


def caret(source: str, position: int) -> list[str]:
    """The source line holding a 1-based position, with a caret under it."""
    offset = max(0, min(position - 1, len(source)))
    start = source.rfind("\n", 0, offset) + 1
    end = source.find("\n", offset)
    line = source[start : end if end >= 0 else len(source)]
    return [line, " " * (offset - start) + "^"]


# --------------------------------------------------------------------------- ping


@click.command("ping")
@IMAGE_OPTION
@click.argument("name", required=False)
@click.option("--count", "-c", type=click.IntRange(1), default=4, show_default=True)
@click.option(
    "--interval", type=click.FloatRange(min=0), default=0.2, show_default=True, metavar="S"
)
@JSON_OPTION
def ping(image: str | None, name: str | None, count: int, interval: float, as_json: bool) -> None:
    """Ping an image (--image NAME, or NAME) and report round-trip times."""

    async def body(wb: Workbench) -> dict[str, Any]:

        target = pick_image(wb, image or name)
        client = await wb.client(target)
        rtts: list[float] = []
        last = None
        for seq in range(1, count + 1):
            if seq > 1 and interval:
                await asyncio.sleep(interval)
            try:
                reply = await client.ping()
            except StuiError as e:
                if not as_json:
                    warn(f"seq={seq} {e}")
                continue
            rtts.append(reply.rtt)
            last = reply.pong
            if not as_json:
                click.echo(
                    f"pong from {target}: seq={seq} time={reply.rtt * 1e3:.3f} ms "
                    f"busy={'yes' if last.busy else 'no'} sessions={last.sessions}"
                )
        summary = _ping_summary(target, client.address, count, rtts)
        if last is not None:
            summary.update(busy=last.busy, sessions=last.sessions, uptime_ms=last.uptime_ms)
        return summary

    summary = run(body)
    if as_json:
        emit_json({"ok": bool(summary["received"]), **summary})
    else:
        _print_summary(summary)
    sys.exit(EXIT_OK if summary["received"] else EXIT_CONNECTION)


def _ping_summary(name: str, address: str, count: int, rtts: list[float]) -> dict[str, Any]:
    ms = [round(r * 1e3, 3) for r in rtts]
    summary: dict[str, Any] = {
        "image": name, "address": address, "sent": count, "received": len(ms), "rtt_ms": ms,
    }  # fmt: skip
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


# --------------------------------------------------------------------------- interrupt


@click.command("interrupt")
@IMAGE_OPTION
@click.option("--session", "-s", metavar="ID", help="The session whose evaluation to stop.")
@JSON_OPTION
def interrupt(image: str | None, session: str | None, as_json: bool) -> None:
    """Stop the evaluation running in a session (e.g. one left by a killed stui)."""

    async def body(wb: Workbench) -> tuple[str, bool]:
        name = image if image or session else pick_image(wb, None)
        handle = await wb.open_session(name, session)
        return handle.image, await tools.interrupt(handle)

    name, was_running = run(body)
    if as_json:
        emit_json({"ok": True, "image": name, "was_running": was_running})
    else:
        click.echo(
            "interrupted" if was_running else f"nothing was running in that session of {name}"
        )

"""`stui eval --images a,b,c` and `--all`: one evaluation in many images, reported as a
table (one row per image) or as one JSON array (docs/cross-image.md)."""

from __future__ import annotations

from typing import Any

import click

from stui.cli.exits import EXIT_ERROR, EXIT_OK
from stui.cli.output import emit_json
from stui.cli.running import run
from stui.errors import InvalidInput
from stui.tools import Evaluated, Failed, Interrupted, Lost, Refused, TimedOut
from stui.tools.broadcast import BroadcastRow, Unreached, broadcast, reachable_images
from stui.workbench import Workbench

MAX_CELL = 60


def run_broadcast(
    names: list[str] | None, code: str, print_it: bool, as_json: bool, timeout: float | None
) -> int:
    """Evaluate in the named images (None: every running one); print; the exit code."""

    async def body(wb: Workbench) -> list[BroadcastRow]:
        targets = reachable_images(wb) if names is None else names
        if not targets:
            raise InvalidInput("no image is running; start one: stui image start NAME")
        return await broadcast(wb, targets, code, "print" if print_it else "do", timeout)

    rows = run(body)
    if as_json:
        emit_json([row_document(r) for r in rows])
    else:
        print_table(rows)
    return EXIT_OK if all(r.ok for r in rows) else EXIT_ERROR


def row_document(row: BroadcastRow) -> dict[str, Any]:
    """One image's row as JSON: `ok`, then the value or the error, as `stui eval --json`."""
    head: dict[str, Any] = {"image": row.image, "session": row.session_id,
                            "elapsed_ms": round(row.seconds * 1000, 3)}  # fmt: skip
    match row.outcome:
        case Evaluated(value=value, class_name=cls, truncated=truncated):
            return {"ok": True, **head, "value": value, "class": cls, "truncated": truncated}
        case Failed() as f:
            return {"ok": False, **head, "error": "eval_error", "kind": f.kind,
                    "message": f.message, "error_class": f.error_class}  # fmt: skip
        case _:
            kind, message = error_of(row)
            return {"ok": False, **head, "error": kind, "message": message}


def error_of(row: BroadcastRow) -> tuple[str, str]:
    """A short kind and a message for a row that did not evaluate."""
    match row.outcome:
        case Evaluated(value=value):
            return "", value or ""
        case Failed(kind=kind, message=message, error_class=cls):
            return "eval_error", f"{kind} error: {cls + ': ' if cls else ''}{message}"
        case TimedOut(seconds=seconds, interrupted=stopped):
            note = "; the evaluation was interrupted" if stopped else ""
            return "timeout", f"no answer in {seconds:g} s{note}"
        case Interrupted(message=message):
            return "interrupted", message
        case Refused(code=code, message=message):
            return code, message
        case Lost(reason=reason):
            return "connection", reason
        case Unreached(reason=reason):
            return "unreachable", reason


def print_table(rows: list[BroadcastRow]) -> None:
    """IMAGE, TIME and RESULT columns; errors read `error: …` in the result column."""
    cells = [(r.image, f"{r.seconds * 1000:.1f} ms", _result(r)) for r in rows]
    width = max(len("IMAGE"), *(len(c[0]) for c in cells))
    timing = max(len("TIME"), *(len(c[1]) for c in cells))
    click.echo(f"{'IMAGE':{width}}  {'TIME':>{timing}}  RESULT")
    for name, took, result in cells:
        click.echo(f"{name:{width}}  {took:>{timing}}  {result}")


def _result(row: BroadcastRow) -> str:
    if isinstance(row.outcome, Evaluated):
        return _cell(row.outcome.value if row.outcome.value is not None else "")
    return "error: " + _cell(error_of(row)[1], limit=None)


def _cell(text: str, limit: int | None = MAX_CELL) -> str:
    """The first line, cut to `limit` characters; a cut is marked."""
    first, *more = text.splitlines() or [""]
    short = first if limit is None else first[:limit]
    return short + ("…" if more or short != first else "")

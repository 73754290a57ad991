"""`stui inspect CODE`: evaluate in a session and show the value's fields and one page
of its elements (``--json`` prints one JSON object)."""

from __future__ import annotations

import sys
from typing import Any

import click
import msgspec

from stui.cli.eval_commands import IMAGE_OPTION, JSON_OPTION, pick_image, read_code
from stui.cli.exits import EXIT_ERROR, EXIT_OK
from stui.cli.output import emit_json, warn
from stui.cli.running import run
from stui.protocol import EvaluationFailed
from stui.protocol import messages as m
from stui.tools import inspect as inspecting
from stui.workbench import Workbench


@click.command("inspect")
@click.argument("code")
@IMAGE_OPTION
@click.option("--session", "-s", metavar="ID", help="The session to evaluate in (default: latest).")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True,
              help="Skip this many elements.")  # fmt: skip
@click.option("--count", type=click.IntRange(0, 1000), default=20, show_default=True,
              help="Elements to show.")  # fmt: skip
@JSON_OPTION
def inspect(
    code: str, image: str | None, session: str | None, offset: int, count: int, as_json: bool
) -> None:
    """Evaluate CODE (or - for stdin) and inspect its value: class, fields, elements."""
    source = read_code(code)

    async def body(wb: Workbench) -> tuple[str, m.ObjectView | EvaluationFailed]:
        name = image if image or session else pick_image(wb, None)
        handle = await wb.open_session(name, session)
        try:
            view = await inspecting.inspect_code(handle, source)
        except EvaluationFailed as failed:
            return handle.image, failed
        if offset or count != len(view.elements):
            view = await inspecting.inspect_handle(handle, view.handle, offset, count)
        return handle.image, view

    name, found = run(body)
    match found:
        case EvaluationFailed(error=error):
            if as_json:
                emit_json({"ok": False, "image": name, "error": "eval_error",
                           "kind": str(error.kind), "message": error.message,
                           "position": error.position, "stack": list(error.stack)})  # fmt: skip
            else:
                warn(f"{error.kind} error: {error.message}")
            sys.exit(EXIT_ERROR)
        case m.ObjectView() as view:
            if as_json:
                emit_json({"ok": True, "image": name, "object": msgspec.to_builtins(view)})
            else:
                _print_view(view)
    sys.exit(EXIT_OK)


def _value(ref: m.ValueRef | None) -> str:
    if ref is None:
        return ""
    mark = f" [{ref.handle}]" if ref.handle is not None else ""
    return f"{ref.print}{mark}"


def _print_view(view: m.ObjectView) -> None:
    lines: list[Any] = [f"a {view.class_} [{view.handle}]: {view.print}"]
    if view.truncated:
        lines[0] += " …"
    for f in view.fields:
        lines.append(f"  {f.name}: {_value(f.value)}")
    if view.kind is not m.InspectKind.OBJECT:
        last = view.offset + len(view.elements)
        lines.append(f"  {view.kind} of {view.size}, showing {view.offset + 1}-{last}:")
        for e in view.elements:
            key = f"{_value(e.key)} -> " if e.key is not None else ""
            lines.append(f"    {e.index}: {key}{_value(e.value)}")
    click.echo("\n".join(lines))

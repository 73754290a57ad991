"""`stui compile CLASS -`: install a method from stdin (``--json`` prints one object)."""

from __future__ import annotations

import sys

import click

from stui.cli.browse_commands import CLASS_SIDE_OPTION, side_of
from stui.cli.eval_commands import IMAGE_OPTION, JSON_OPTION, caret, pick_image, read_code
from stui.cli.exits import EXIT_ERROR, EXIT_OK
from stui.cli.output import emit_json
from stui.cli.running import run
from stui.protocol import messages as m
from stui.tools import edit
from stui.workbench import Workbench


@click.command("compile")
@click.argument("cls", metavar="CLASS")
@click.argument("source", default="-")
@IMAGE_OPTION
@CLASS_SIDE_OPTION
@click.option("--category", metavar="C", help="The method's protocol (default: kept, or new).")
@JSON_OPTION
def compile_command(
    cls: str, source: str, image: str | None, class_side: bool, category: str | None, as_json: bool
) -> None:
    """Compile a method of CLASS from SOURCE (- for stdin, the default).

    A syntax error changes nothing; it is shown with its position and exits 1.
    """
    text = read_code(source)

    async def body(wb: Workbench) -> tuple[str, m.Compiled | m.CompileError]:
        name = pick_image(wb, image)
        client = await wb.client(name)
        return name, await edit.compile_method(client, cls, text, side_of(class_side), category)

    name, reply = run(body)
    match reply:
        case m.Compiled() as done:
            where = f"{done.class_}{' class' if done.side is m.Side.CLASS else ''}>>{done.selector}"
            if as_json:
                emit_json({"ok": True, "image": name, "class": done.class_,
                           "side": str(done.side), "selector": done.selector,
                           "protocol": done.protocol, "created": done.created})  # fmt: skip
            else:
                click.echo(
                    f"{'compiled' if done.created else 'recompiled'} {where} in {done.protocol!r}"
                )
            sys.exit(EXIT_OK)
        case m.CompileError(message=message, position=position):
            if as_json:
                emit_json({"ok": False, "image": name, "error": "compile_error",
                           "message": message, "position": position})  # fmt: skip
            else:
                click.echo(f"syntax error: {message}", err=True)
                if position is not None:
                    for line in caret(text, position):
                        click.echo(f"  {line}", err=True)
            sys.exit(EXIT_ERROR)

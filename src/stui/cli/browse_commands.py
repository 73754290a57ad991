"""`stui browse`, `stui senders`, `stui implementors` and `stui references`: reading code
in an image, for people and for scripts (``--json`` prints one JSON object)."""

from __future__ import annotations

import sys
from typing import Any

import click
import msgspec

from stui.cli.eval_commands import IMAGE_OPTION, JSON_OPTION, pick_image
from stui.cli.exits import EXIT_OK
from stui.cli.output import emit_json
from stui.cli.running import run
from stui.protocol import messages as m
from stui.tools import browse as browsing
from stui.tools import search
from stui.workbench import Workbench

CLASS_SIDE_OPTION = click.option(
    "--class-side", "-c", is_flag=True, help="The class side (the metaclass's methods)."
)
MAX_OPTION = click.option(
    "--max", "limit", type=click.IntRange(1, 100_000), default=1000, show_default=True,
    help="At most this many results.",
)  # fmt: skip


def side_of(class_side: bool) -> m.Side:
    return m.Side.CLASS if class_side else m.Side.INSTANCE


def plain(value: Any) -> Any:
    """A protocol struct as JSON-ready builtins (wire names, e.g. "class")."""
    return msgspec.to_builtins(value)


@click.command("browse")
@click.argument("cls", metavar="CLASS")
@click.argument("selector", required=False)
@IMAGE_OPTION
@CLASS_SIDE_OPTION
@JSON_OPTION
def browse(
    cls: str, selector: str | None, image: str | None, class_side: bool, as_json: bool
) -> None:
    """Show CLASS (its definition and protocols with selectors), or the source of
    CLASS>>SELECTOR."""

    async def body(wb: Workbench) -> tuple[str, Any]:
        name = pick_image(wb, image)
        client = await wb.client(name)
        if selector is not None:
            return name, await browsing.method(client, cls, selector, side_of(class_side))
        return name, await browsing.class_summary(client, cls)

    name, found = run(body)
    match found:
        case m.MethodSource() as source:
            if as_json:
                doc = plain(source)
                doc.pop("type", None)
                doc.pop("id", None)
                emit_json({"ok": True, "image": name, **doc})
            else:
                click.echo(source.source)
                note = f"{source.class_}{' class' if source.side is m.Side.CLASS else ''}>>"
                note += f"{source.selector} in {source.protocol!r}"
                note += f", {source.stamp}" if source.stamp else ""
                note += " (decompiled: the image holds no source)" if source.decompiled else ""
                click.echo(f'"{note}"', err=True)
        case browsing.ClassSummary() as summary:
            if as_json:
                emit_json({"ok": True, "image": name,
                           "definition": _definition(summary.definition),
                           "protocols": summary.instance_protocols,
                           "class_protocols": summary.class_protocols})  # fmt: skip
            else:
                _print_summary(summary, class_side)
    sys.exit(EXIT_OK)


def _definition(d: m.Definition) -> dict[str, Any]:
    doc = plain(d)
    doc.pop("type", None)
    doc.pop("id", None)
    return doc


def _print_summary(summary: browsing.ClassSummary, class_side: bool) -> None:
    click.echo(summary.definition.definition)
    sides = [("class side", summary.class_protocols)] if class_side else [
        ("instance side", summary.instance_protocols), ("class side", summary.class_protocols)
    ]  # fmt: skip
    for title, protocols in sides:
        if not protocols:
            continue
        click.echo(f"\n{title}:")
        for protocol, selectors in protocols.items():
            click.echo(f"  {protocol}")
            for sel in selectors:
                click.echo(f"    {sel}")


def _search_command(name: str, what: str, argument: str, finder: Any) -> click.Command:
    @click.command(name, help=f"List the methods that {what} (method references).")
    @click.argument("target", metavar=argument)
    @IMAGE_OPTION
    @MAX_OPTION
    @JSON_OPTION
    def command(target: str, image: str | None, limit: int, as_json: bool) -> None:
        async def body(wb: Workbench) -> tuple[str, m.MethodRefs]:
            image_name = pick_image(wb, image)
            return image_name, await finder(await wb.client(image_name), target, limit)

        image_name, found = run(body)
        if as_json:
            emit_json({"ok": True, "image": image_name, "total": found.total,
                       "refs": [plain(r) for r in found.refs]})  # fmt: skip
        else:
            for ref in found.refs:
                click.echo(search.ref_name(ref))
            if found.total > len(found.refs):
                click.echo(f"stui: {found.total - len(found.refs)} more (see --max)", err=True)
        sys.exit(EXIT_OK)

    return command


senders = _search_command("senders", "send selector SEL", "SEL", search.senders)
implementors = _search_command("implementors", "implement selector SEL", "SEL", search.implementors)
references = _search_command(
    "references", "refer to the global NAME (a class or another global)", "NAME", search.references
)

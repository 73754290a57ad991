"""`stui diff` and `stui copy`: comparing and copying code between two images
(docs/cross-image.md). The work is in `stui.tools.diff` and `stui.tools.copy`."""

from __future__ import annotations

from typing import Any

import click

from stui.cli.eval_commands import JSON_OPTION
from stui.cli.output import emit_json
from stui.cli.running import run
from stui.errors import InvalidInput
from stui.tools.code_scope import CodeScope, parse_scope
from stui.tools.diff import (
    CodeDiff,
    Difference,
    MethodAdded,
    MethodChanged,
    MethodRemoved,
    diff,
    name_of,
    texts,
    unified,
)
from stui.workbench import Workbench

TARGET = click.argument("target", required=False, metavar="[CLASS[>>SELECTOR]]")
CATEGORY_OPTION = click.option(
    "--category", metavar="PATTERN", help="The classes of the categories matching PATTERN (* #)."
)

_KIND_WORDS = {
    "class_added": "added class",
    "class_removed": "removed class",
    "definition_changed": "changed definition",
    "method_added": "added",
    "method_removed": "removed",
    "method_changed": "changed",
}


def scope_of(target: str | None, category: str | None, every: bool) -> CodeScope:
    try:
        return parse_scope(target, category, every)
    except InvalidInput as e:
        raise click.UsageError(str(e)) from None


def kind_of(difference: Difference) -> str:
    return str(type(difference).__struct_config__.tag)


@click.command("diff")
@click.argument("a")
@click.argument("b")
@TARGET
@CATEGORY_OPTION
@click.option("--all", "every", is_flag=True, help="Every class (but the STUI server's own).")
@click.option("--names-only", is_flag=True, help="One line per difference, no sources.")
@JSON_OPTION
def diff_command(
    a: str,
    b: str,
    target: str | None,
    category: str | None,
    every: bool,
    names_only: bool,
    as_json: bool,
) -> None:
    """What differs in code from image A to image B: classes and methods added, removed
    or changed, and class definitions, with unified diffs of the sources.

    Name CLASS, CLASS>>SELECTOR ('CLASS class>>SELECTOR' for the class side),
    --category PATTERN or --all. Each image hashes its code itself; only the sources
    that differ travel.
    """
    scope = scope_of(target, category, every)

    async def body(wb: Workbench) -> CodeDiff:
        return await diff(wb, a, b, scope)

    result = run(body)
    if as_json:
        emit_json(diff_document(result))
        return
    if not result.differences:
        click.echo(f"no differences in {scope.describe()} ({result.classes_compared} classes)")
        return
    for difference in result.differences:
        click.echo(f"{_KIND_WORDS[kind_of(difference)]:18} {name_of(difference)}")
        if not names_only:
            click.echo(unified(difference, a, b), nl=False)


def diff_document(result: CodeDiff) -> dict[str, Any]:
    return {
        "ok": True,
        "a": result.a,
        "b": result.b,
        "scope": result.scope.describe(),
        "classes_compared": result.classes_compared,
        "sources_fetched": result.sources_fetched,
        "differences": [_difference(d) for d in result.differences],
    }


def _difference(difference: Difference) -> dict[str, Any]:
    before, after = texts(difference)
    row: dict[str, Any] = {"kind": kind_of(difference), "name": name_of(difference),
                           "class": difference.class_name}  # fmt: skip
    match difference:
        case MethodAdded() | MethodRemoved() | MethodChanged():
            row.update(side=difference.side.value, selector=difference.selector)
    row.update(before=before or None, after=after or None)
    return row

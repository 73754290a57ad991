"""`stui diff` and `stui copy`: comparing and copying code between two images
(docs/cross-image.md). The work is in `stui.tools.diff` and `stui.tools.copy`."""

from __future__ import annotations

import sys
from typing import Any

import click
import msgspec

from stui.cli.eval_commands import JSON_OPTION
from stui.cli.exits import EXIT_ERROR, EXIT_OK
from stui.cli.output import emit_json, warn
from stui.cli.running import run
from stui.errors import InvalidInput
from stui.tools.code_scope import CodeScope, parse_scope
from stui.tools.copy import CompileMethod, CopyReport, CopyStep, copy, step_name
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
_STEP_WORDS = {
    "define_class": "define class",
    "define_class_side": "define class side",
    "compile_method": "compile",
}


def scope_of(
    target: str | None, category: str | None, every: bool, every_allowed: bool = True
) -> CodeScope:
    try:
        return parse_scope(target, category, every, every_allowed)
    except InvalidInput as e:
        raise click.UsageError(str(e)) from None


def kind_of(item: Difference | CopyStep) -> str:
    return str(type(item).__struct_config__.tag)


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


# --------------------------------------------------------------------------- copy


@click.command("copy")
@click.argument("a")
@click.argument("b")
@TARGET
@CATEGORY_OPTION
@click.option("--force", is_flag=True, help="Overwrite methods and definitions that differ in B.")
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@JSON_OPTION
def copy_command(
    a: str,
    b: str,
    target: str | None,
    category: str | None,
    force: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Copy code from image A into image B: CLASS, CLASS>>SELECTOR ('CLASS
    class>>SELECTOR' for the class side) or --category PATTERN.

    Class definitions come first, then methods, each in its protocol in A. What B
    lacks is created; what differs in B is overwritten only with --force; what only B
    has stays. Each change lands in B's change log like any compile.
    """
    scope = scope_of(target, category, False, every_allowed=False)

    async def body(wb: Workbench) -> CopyReport:
        return await copy(wb, a, b, scope, force=force, dry_run=dry_run)

    report = run(body)
    if as_json:
        emit_json(copy_document(report))
    else:
        _print_copy(report)
    sys.exit(EXIT_OK if report.failure is None else EXIT_ERROR)


def copy_document(report: CopyReport) -> dict[str, Any]:
    return {
        "ok": report.failure is None,
        "a": report.a,
        "b": report.b,
        "scope": report.scope.describe(),
        "dry_run": report.dry_run,
        "applied": report.applied,
        "failure": report.failure,
        "steps": [{"name": step_name(s), **msgspec.to_builtins(s)} for s in report.steps],
    }


def _print_copy(report: CopyReport) -> None:
    if not report.steps:
        click.echo(f"nothing to copy: {report.b} has the same code for {report.scope.describe()}")
        return
    verb = "would copy" if report.dry_run else "copied"
    done = len(report.steps) if report.dry_run else report.applied
    click.echo(f"{verb} {done} of {len(report.steps)} change(s) from {report.a} to {report.b}:")
    for step in report.steps:
        note = f" (overwrites {report.b}'s)" if step.replaces else " (new)"
        if isinstance(step, CompileMethod) and step.decompiled:
            note += f" (decompiled: {report.a} holds no source)"
        click.echo(f"  {_STEP_WORDS[kind_of(step)]:18} {step_name(step)}{note}")
    if report.dry_run and report.conflicts:
        click.echo(f"without --force the copy is refused: {report.b} has different code")
    if report.failure is not None:
        warn(f"stopped: {report.failure}")

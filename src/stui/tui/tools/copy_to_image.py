"""Copy to image…: a class or method into another image (tools.copy), from the browser
(which asks for the image) and from the diff view (into its second image).

A dialog asks for the target; the copy is planned first (a dry run) and shown, naming
every step and which of them overwrite code that differs in the target; only a yes
runs exactly those steps (a yes to overwriting is the app's `--force`). Each step
lands in the target's change log like any compile.
"""

from __future__ import annotations

from textual.widget import Widget

from stui.errors import StuiError
from stui.tools.code_scope import CodeScope
from stui.tools.copy import CopyImpossible, CopyReport, apply, copy, step_name
from stui.tui.screens.dialogs import ConfirmScreen, Field, FormScreen
from stui.workbench import Workbench

MAX_SHOWN = 15


def ask(host: Widget, wb: Workbench, source: str, scope: CodeScope) -> None:
    """Ask for the target image, then plan the copy of `scope` from `source` into it."""
    targets = tuple(v.name for v in wb.images() if v.name != source)
    if not targets:
        host.app.notify("There is no other image to copy to.")
        return

    def chosen(values: dict[str, str] | None) -> None:
        if values:
            host.run_worker(plan(host, wb, source, values["image"], scope), group="copy")

    host.app.push_screen(
        FormScreen(
            f"Copy {scope.describe()} from {source}",
            [Field("image", "To image", choices=targets)],
            ok="Plan the copy",
            hint="Nothing changes before you have seen every step.",
        ),
        chosen,
    )


def plan_text(report: CopyReport) -> str:
    """The steps, in order, those that overwrite marked."""
    lines = [
        f"  {step_name(step)}" + ("  (overwrites)" if step.replaces else "")
        for step in report.steps[:MAX_SHOWN]
    ]
    if len(report.steps) > MAX_SHOWN:
        lines.append(f"  … and {len(report.steps) - MAX_SHOWN} more")
    if report.conflicts:
        lines += ["", f"{len(report.conflicts)} step(s) overwrite code that differs in {report.b}."]
    return "\n".join(lines)


async def plan(host: Widget, wb: Workbench, source: str, target: str, scope: CodeScope) -> None:
    """Plan the copy, show its steps, and run them after a yes."""
    try:
        report = await copy(wb, source, target, scope, dry_run=True)
    except (CopyImpossible, StuiError) as e:
        host.app.notify(f"Copy: {e}", severity="error")
        return
    if not report.steps:
        host.app.notify(f"Nothing to copy: {target} has the same code.")
        return

    def answered(yes: bool | None) -> None:
        if yes:
            host.run_worker(_apply(host, wb, report), group="copy")

    verb = "Copy and overwrite" if report.conflicts else "Copy"
    host.app.push_screen(
        ConfirmScreen(f"Copy into {target}: {len(report.steps)} step(s)", plan_text(report), verb),
        answered,
    )


async def _apply(host: Widget, wb: Workbench, report: CopyReport) -> None:
    """Run exactly the steps that were shown and confirmed."""
    try:
        await apply(await wb.client(report.b), report)
    except StuiError as e:
        host.app.notify(f"Copy: {e}", severity="error")
        return
    if report.failure is not None:
        host.app.notify(
            f"Copy stopped after {report.applied} step(s): {report.failure}", severity="error"
        )
        return
    host.app.notify(f"Copied {report.applied} change(s) into {report.b}.")

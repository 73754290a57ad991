"""`stui image save NAME` and `stui changes NAME [--replay]`: keeping the work done in an
image, and recovering what a crash lost (``--json`` prints one JSON object)."""

from __future__ import annotations

import sys

import click
import msgspec

from stui.cli.eval_commands import JSON_OPTION
from stui.cli.exits import EXIT_ERROR, EXIT_OK
from stui.cli.output import emit_json
from stui.cli.running import run
from stui.protocol import messages as m
from stui.tools import changes as changelog
from stui.workbench import Workbench


@click.command("save")
@click.argument("name")
@JSON_OPTION
def save(name: str, as_json: bool) -> None:
    """Save image NAME (a snapshot; it keeps running)."""

    async def body(wb: Workbench) -> m.Saved:
        return await changelog.save(await wb.client(name))

    saved = run(body)
    if as_json:
        emit_json({"ok": True, "image": name, "image_path": saved.image_path,
                   "elapsed_ms": saved.elapsed_ms})  # fmt: skip
    else:
        click.echo(f"saved {name} ({saved.elapsed_ms} ms)")
    sys.exit(EXIT_OK)


@click.command("changes")
@click.argument("name")
@click.option("--replay", is_flag=True, help="Apply the changes the image does not hold.")
@JSON_OPTION
def changes(name: str, replay: bool, as_json: bool) -> None:
    """List the changes of image NAME since it was last saved: after a crash, what was
    lost. With --replay, apply those the image does not hold (never one twice)."""

    async def body(wb: Workbench) -> tuple[m.Changes, m.Replayed | None]:
        client = await wb.client(name)
        listed = await changelog.list_changes(client, with_source=False)
        return listed, (await changelog.replay(client) if replay else None)

    listed, replayed = run(body)
    if as_json:
        doc: dict[str, object] = {"ok": replayed is None or not replayed.failed, "image": name,
                                  "unsaved": listed.unsaved,
                                  "changes": [msgspec.to_builtins(c) for c in listed.changes]}  # fmt: skip
        if replayed is not None:
            doc["replayed"] = {"applied": replayed.applied, "skipped": replayed.skipped,
                               "failed": [msgspec.to_builtins(f) for f in replayed.failed]}  # fmt: skip
        emit_json(doc)
    else:
        _print(listed, replayed)
    sys.exit(EXIT_ERROR if replayed is not None and replayed.failed else EXIT_OK)


def _describe(change: m.Change) -> str:
    side = " class" if change.side is m.Side.CLASS else ""
    match change.kind:
        case m.ChangeKind.METHOD:
            what = f"method {change.class_}{side}>>{change.selector}"
        case m.ChangeKind.REMOVE_METHOD:
            what = f"remove {change.class_}{side}>>{change.selector}"
        case m.ChangeKind.CLASS_DEFINITION:
            what = f"define class {change.class_}"
        case m.ChangeKind.REMOVE_CLASS:
            what = f"remove class {change.class_}"
        case _:
            what = "do-it (not replayed)"
    state = "in the image" if change.applied else "superseded" if change.superseded else "lost"
    stamp = f"  {change.stamp}" if change.stamp else ""
    return f"{change.index:4}  {what}  [{state}]{stamp}"


def _print(listed: m.Changes, replayed: m.Replayed | None) -> None:
    if not listed.changes:
        click.echo("no changes since the last save")
    for change in listed.changes:
        click.echo(_describe(change))
    if replayed is not None:
        click.echo(f"replayed {len(replayed.applied)}, skipped {replayed.skipped}")
        for failure in replayed.failed:
            click.echo(f"stui: change {failure.index} failed: {failure.message}", err=True)

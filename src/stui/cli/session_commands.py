"""`stui sessions …`: the client's sessions per image, their history, stats and cleanups.

Listings only read the store; changes happen in explicit commands (create, close,
clone, move, cleanup) or in the health monitor.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from stui.cli.eval_commands import IMAGE_OPTION, JSON_OPTION
from stui.cli.output import emit_json
from stui.cli.running import open_workbench, run
from stui.errors import StuiError
from stui.sessions.records import Session, SessionInfo
from stui.sessions.state import Transfer
from stui.workbench import Workbench


def _image_id(wb: Workbench, image: str | None) -> str | None:
    """The image_id for --image, from what this and earlier runs know (no connection)."""
    if image is None:
        return None
    for record in wb.sessions.list_images():
        if record.name == image:
            return record.image_id
    return run(lambda live: live.image_id(image))


@click.group()
def sessions() -> None:
    """List, show, create, close and clean up sessions."""


@sessions.command(name="list")
@IMAGE_OPTION
@click.option("--orphaned", is_flag=True, help="Only orphaned sessions.")
@click.option("--all", "show_all", is_flag=True, help="Include closed sessions.")
@JSON_OPTION
def list_(image: str | None, orphaned: bool, show_all: bool, as_json: bool) -> None:
    """List sessions, grouped by image."""
    wb = open_workbench()
    statuses = ["orphaned"] if orphaned else None
    if statuses is None and not show_all:
        statuses = ["active", "detached", "orphaned"]
    rows: list[SessionInfo] = wb.sessions.list_sessions(_image_id(wb, image), statuses)
    if as_json:
        emit_json([{**_row(r), "image": wb.image_name(r.image_id)} for r in rows])
        return
    if not rows:
        click.echo("no sessions")
        return
    for image_id in sorted({r.image_id for r in rows}, key=wb.image_name):
        click.echo(f"{wb.image_name(image_id)} ({image_id})")
        for r in (r for r in rows if r.image_id == image_id):
            label = f" {r.label}" if r.label else ""
            click.echo(
                f"  {r.id[:12]}  {r.status:9} last used {r.last_seen_at:%Y-%m-%d %H:%M}"
                f"  {r.state_bytes:>7} B{label}"
            )


def _row(info: SessionInfo) -> dict[str, Any]:
    return {
        "id": info.id, "image_id": info.image_id, "label": info.label, "status": info.status,
        "image_session_id": info.image_session_id, "created_at": info.created_at,
        "last_seen_at": info.last_seen_at, "state_bytes": info.state_bytes,
    }  # fmt: skip


@sessions.command()
@click.argument("ref")
@JSON_OPTION
def show(ref: str, as_json: bool) -> None:
    """A session's state and history (REF: id, label or unique id prefix)."""
    wb = open_workbench()
    session = wb.sessions.get_session(wb.sessions.find_session(ref).id)
    state = session.state
    if as_json:
        emit_json({**_row(session), "image": wb.image_name(session.image_id),
                   "buffers": state.buffers, "variables": state.variables,
                   "history": state.history,
                   "transfers": [_transfer_row(wb, t) for t in state.transfers]})  # fmt: skip
        return
    click.echo(f"session {session.id}" + (f" ({session.label})" if session.label else ""))
    click.echo(f"  image     {wb.image_name(session.image_id)} ({session.image_id})")
    click.echo(f"  status    {session.status}")
    click.echo(f"  created   {session.created_at:%Y-%m-%d %H:%M:%S}")
    click.echo(f"  last used {session.last_seen_at:%Y-%m-%d %H:%M:%S}")
    click.echo(f"  variables {', '.join(state.variables) or '-'}")
    for transfer in state.transfers:
        click.echo(f"  {_transfer_line(wb, session.id, transfer)}")
    click.echo(f"  history   {len(state.history)} evaluation(s)")
    for entry in state.history[-10:]:
        first = entry.code.strip().splitlines()[0] if entry.code.strip() else ""
        click.echo(f"    {entry.at:%H:%M:%S} {entry.mode:5} {first[:50]:50} → {entry.result}")


@sessions.command()
@IMAGE_OPTION
@click.option("--label", help="A name for the session.")
@JSON_OPTION
def create(image: str | None, label: str | None, as_json: bool) -> None:
    """Create a session for an image (local, added or known)."""
    if image is None:
        raise click.UsageError("name the image with --image")
    session = run(lambda wb: wb.create_session(image, label))
    if as_json:
        emit_json({"ok": True, **_row(session), "image": image})
    else:
        click.echo(session.id)


@sessions.command()
@click.argument("ref")
@JSON_OPTION
def close(ref: str, as_json: bool) -> None:
    """Close a session for good (it stays listed with --all)."""
    info = open_workbench().close_session(ref)
    if as_json:
        emit_json({"ok": True, **_row(info)})
    else:
        click.echo(f"closed {info.id}")


TO_OPTION = click.option("--to", "to_image", required=True, help="The image to go to.")


@sessions.command()
@click.argument("ref")
@TO_OPTION
@click.option("--label", help="A name for the new session.")
@JSON_OPTION
def clone(ref: str, to_image: str, label: str | None, as_json: bool) -> None:
    """Copy a session's workspaces and history into a new session on another image."""
    session = run(lambda wb: wb.clone_session(ref, to_image, label))
    _report_transfer(open_workbench(), session, as_json)


@sessions.command()
@click.argument("ref")
@TO_OPTION
@JSON_OPTION
def move(ref: str, to_image: str, as_json: bool) -> None:
    """Re-bind a session to another image; its workspace variables do not travel."""
    session = run(lambda wb: wb.move_session(ref, to_image))
    _report_transfer(open_workbench(), session, as_json)


def _report_transfer(wb: Workbench, session: Session, as_json: bool) -> None:
    """Say what travelled and, always, which workspace variables did not."""
    transfer = session.state.transfers[-1]
    if as_json:
        emit_json({"ok": True, **_transfer_row(wb, transfer), "session": _row(session)})
        return
    source = wb.image_name(transfer.from_image)
    target = wb.image_name(transfer.to_image)
    if transfer.kind == "move":
        click.echo(f"moved session {session.id} from {source} to {target}")
    else:
        click.echo(
            f"cloned session {transfer.from_session} of {source} into new session "
            f"{session.id} of {target}"
        )
    state = session.state
    click.echo(f"carried {len(state.buffers)} workspace(s), {len(state.history)} evaluation(s)")
    left = transfer.variables_left
    if left:
        click.echo(f"workspace variables do not travel: {', '.join(left)} stayed in {source}")
    else:
        click.echo("workspace variables do not travel (none were bound)")


def _transfer_row(wb: Workbench, transfer: Transfer) -> dict[str, Any]:
    return {
        "kind": transfer.kind, "from_session": transfer.from_session,
        "from_image": wb.image_name(transfer.from_image), "to_session": transfer.to_session,
        "to_image": wb.image_name(transfer.to_image), "at": transfer.at,
        "variables_left": transfer.variables_left,
    }  # fmt: skip


def _transfer_line(wb: Workbench, session_id: str, transfer: Transfer) -> str:
    """One line of `sessions show`: this session's end of a clone or move."""
    source = wb.image_name(transfer.from_image)
    target = wb.image_name(transfer.to_image)
    when = f"{transfer.at:%Y-%m-%d %H:%M:%S}"
    left = ", ".join(transfer.variables_left) or "none"
    if transfer.kind == "move":
        return f"moved     {when} from {source} to {target}; variables left: {left}"
    if transfer.to_session == session_id:
        return f"cloned    {when} from {transfer.from_session[:12]} of {source}"
    return f"cloned    {when} to {transfer.to_session[:12]} of {target}"


@sessions.command()
@IMAGE_OPTION
@JSON_OPTION
def stats(image: str | None, as_json: bool) -> None:
    """Counts by status, stored size and last use."""
    wb = open_workbench()
    result = wb.sessions.session_stats(_image_id(wb, image))
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"{result.total} session(s): {result.active} active, {result.detached} detached, "
        f"{result.orphaned} orphaned, {result.closed} closed; {result.state_bytes} B stored"
    )
    if result.last_activity:
        click.echo(f"last activity {result.last_activity:%Y-%m-%d %H:%M:%S}")


@sessions.command()
@IMAGE_OPTION
@click.option(
    "--orphaned", "scope", flag_value="orphaned", default=True, help="Orphaned sessions (default)."
)
@click.option(
    "--expired", "scope", flag_value="expired", help="Ask the images to drop expired sessions now."
)
@click.option(
    "--older-than",
    "hours",
    type=click.FloatRange(min=0),
    help="Orphaned sessions unused for more than HOURS.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@JSON_OPTION
def cleanup(image: str | None, scope: str, hours: float | None, yes: bool, as_json: bool) -> None:
    """Delete orphaned sessions (after confirmation); every cleanup is recorded."""
    if scope == "expired":
        _cleanup_expired(image, as_json)
        return
    wb = open_workbench()
    image_id = _image_id(wb, image)
    candidates = wb.sessions.list_sessions(image_id, ["orphaned"])
    if hours is not None:
        cutoff = datetime.now(UTC) - timedelta(hours=hours)
        candidates = [c for c in candidates if c.last_seen_at < cutoff]
    if not candidates:
        emit_json({"ok": True, "cleaned": 0}) if as_json else click.echo("nothing to clean up")
        return
    if not yes:
        if as_json:
            raise click.UsageError("--json needs --yes: there is no one to confirm")
        click.echo(f"{len(candidates)} orphaned session(s) will be deleted:")
        for c in candidates[:20]:
            name = wb.image_name(c.image_id)
            click.echo(f"  {c.id[:12]} ({name}, last used {c.last_seen_at:%Y-%m-%d %H:%M})")
        click.confirm("Delete them?", abort=True)
    older = timedelta(hours=hours) if hours is not None else None
    record = wb.cleanup_orphaned(image_id, older_than=older)
    if as_json:
        emit_json({"ok": True, **_cleanup_row(wb, record)})
    else:
        click.echo(f"cleaned {record.cleaned} session(s); {record.remaining} remain")


def _cleanup_row(wb: Workbench, record: Any) -> dict[str, Any]:
    return {
        "at": record.at, "image": wb.image_name(record.image_id) if record.image_id else None,
        "scope": record.scope, "policy": record.policy, "cleaned": record.cleaned,
        "remaining": record.remaining, "session_ids": record.session_ids,
    }  # fmt: skip


@sessions.command()
@IMAGE_OPTION
@JSON_OPTION
def history(image: str | None, as_json: bool) -> None:
    """Recorded cleanups, newest first."""
    wb = open_workbench()
    records = wb.sessions.cleanup_history(_image_id(wb, image))
    if as_json:
        emit_json([_cleanup_row(wb, r) for r in records])
        return
    if not records:
        click.echo("no cleanups recorded")
        return
    for r in records:
        where = wb.image_name(r.image_id) if r.image_id else "all images"
        how = "policy" if r.policy else "explicit"
        click.echo(
            f"{r.at:%Y-%m-%d %H:%M:%S}  {where:18} {r.scope:10} {how:8} "
            f"cleaned {r.cleaned}, remaining {r.remaining}"
        )


def _cleanup_expired(image: str | None, as_json: bool) -> None:
    """Image-side cleanup: every reachable image drops sessions past its own ttl."""

    async def clean(wb: Workbench, name: str) -> dict[str, object]:
        try:
            done = await (await wb.client(name)).session_cleanup("expired")
        except StuiError as e:
            return {"image": name, "error": str(e)}
        return {"image": name, "cleaned": done.cleaned, "remaining": done.remaining}

    async def clean_all(wb: Workbench) -> list[dict[str, object]]:
        names = [image] if image else [v.name for v in wb.images() if v.source != "known"]
        return list(await asyncio.gather(*(clean(wb, n) for n in names)))

    rows = run(clean_all)
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        if "error" in row:
            click.echo(f"{row['image']}: {row['error']}")
        else:
            click.echo(
                f"{row['image']}: cleaned {row['cleaned']} expired, {row['remaining']} remain"
            )

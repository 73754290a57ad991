"""`stui sessions …`: the client's sessions per image, their stats and cleanups."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import click
import msgspec

from stui.cli.context import fail_cleanly, image_id_for, image_names, open_manager
from stui.images.endpoints import Endpoint, RegistryError
from stui.images.registry import ImageRegistry
from stui.protocol.errors import RemoteError
from stui.sessions.manager import SessionManager
from stui.sessions.records import SessionInfo
from stui.transport import ImageClient
from stui.transport.errors import TransportError


def _image_filter(manager: SessionManager, image: str | None) -> str | None:
    return image_id_for(manager, image) if image else None


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


@click.group()
def sessions() -> None:
    """List, inspect and clean up sessions."""


@sessions.command(name="list")
@click.option("--image", help="Only this image's sessions.")
@click.option("--orphaned", is_flag=True, help="Only orphaned sessions.")
@click.option("--all", "show_all", is_flag=True, help="Include closed sessions.")
@click.option("--json", "as_json", is_flag=True)
@fail_cleanly
def list_(image: str | None, orphaned: bool, show_all: bool, as_json: bool) -> None:
    """List sessions, grouped by image."""
    manager = open_manager()
    statuses = ["orphaned"] if orphaned else None
    if statuses is None and not show_all:
        statuses = ["active", "detached", "orphaned"]
    rows: list[SessionInfo] = manager.list_sessions(_image_filter(manager, image), statuses)
    if as_json:
        for row in rows:
            click.echo(_json(row))
        return
    if not rows:
        click.echo("no sessions")
        return
    names = image_names(manager)
    for image_id in sorted({r.image_id for r in rows}, key=lambda i: names.get(i, i)):
        click.echo(f"{names.get(image_id, image_id)} ({image_id})")
        for r in (r for r in rows if r.image_id == image_id):
            label = f" {r.label}" if r.label else ""
            click.echo(
                f"  {r.id}  {r.status:9} last used {r.last_seen_at:%Y-%m-%d %H:%M:%S}"
                f"  {r.state_bytes} B{label}"
            )


@sessions.command()
@click.option("--image", required=True, help="The image to create a session for.")
@click.option("--label", help="A name for the session.")
@click.option("--json", "as_json", is_flag=True)
@fail_cleanly
def create(image: str, label: str | None, as_json: bool) -> None:
    """Create a client session for an image (its image side is made on first use)."""
    manager = open_manager()
    session = manager.create_session(image_id_for(manager, image), label)
    info = {name: getattr(session, name) for name in SessionInfo.__struct_fields__}
    click.echo(_json(info) if as_json else session.id)


@sessions.command()
@click.option("--image", help="Only this image.")
@click.option("--json", "as_json", is_flag=True)
@fail_cleanly
def stats(image: str | None, as_json: bool) -> None:
    """Counts by status, stored state size and last activity."""
    manager = open_manager()
    result = manager.session_stats(_image_filter(manager, image))
    if as_json:
        click.echo(_json(result))
        return
    click.echo(
        f"total {result.total}: active {result.active}, detached {result.detached}, "
        f"orphaned {result.orphaned}, closed {result.closed}; state {result.state_bytes} B; "
        f"last activity {result.last_activity or '-'}"
    )


@sessions.command()
@click.option("--image", help="Only this image's sessions.")
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
@click.option("--json", "as_json", is_flag=True)
@fail_cleanly
def cleanup(image: str | None, scope: str, hours: float | None, yes: bool, as_json: bool) -> None:
    """Delete orphaned sessions (after confirmation); every cleanup is recorded."""
    manager = open_manager()
    if scope == "expired":
        _cleanup_expired(manager, image, as_json)
        return
    image_id = _image_filter(manager, image)
    candidates = manager.list_sessions(image_id, ["orphaned"])
    if hours is not None:
        cutoff = datetime.now(UTC) - timedelta(hours=hours)
        candidates = [c for c in candidates if c.last_seen_at < cutoff]
    if not candidates:
        click.echo(_json({"cleaned": 0}) if as_json else "nothing to clean up")
        return
    if not yes:
        click.echo(f"{len(candidates)} orphaned session(s) will be deleted:")
        for c in candidates[:20]:
            click.echo(f"  {c.id} (image {c.image_id}, last used {c.last_seen_at:%Y-%m-%d %H:%M})")
        click.confirm("Delete them?", abort=True)
    older = timedelta(hours=hours) if hours is not None else None
    record = manager.cleanup_orphaned(image_id, older_than=older)
    if as_json:
        click.echo(_json(record))
    else:
        click.echo(f"cleaned {record.cleaned} session(s); {record.remaining} remain")


@sessions.command()
@click.option("--image", help="Only cleanups of this image.")
@click.option("--json", "as_json", is_flag=True)
@fail_cleanly
def history(image: str | None, as_json: bool) -> None:
    """Recorded cleanups, newest first."""
    manager = open_manager()
    records = manager.cleanup_history(_image_filter(manager, image))
    if as_json:
        for r in records:
            click.echo(_json(r))
        return
    if not records:
        click.echo("no cleanups recorded")
        return
    names = image_names(manager)
    for r in records:
        where = names.get(r.image_id, r.image_id) if r.image_id else "all images"
        how = "policy" if r.policy else "explicit"
        click.echo(
            f"{r.at:%Y-%m-%d %H:%M:%S}  {where:18} {r.scope:10} {how:8} "
            f"cleaned {r.cleaned}, remaining {r.remaining}"
        )


def _cleanup_expired(manager: SessionManager, image: str | None, as_json: bool) -> None:
    """Image-side cleanup: every reachable image drops sessions past its own ttl."""
    endpoints = [e for e in ImageRegistry(manager).discover() if image in (None, e.name)]
    if image and not endpoints:
        raise RegistryError(f"image {image!r} is not running or not known")

    async def clean(endpoint: Endpoint) -> dict[str, object]:
        conn = ImageClient(endpoint.address, endpoint.token, manager.client_id)
        try:
            await conn.connect()
            done = await conn.session_cleanup("expired")
            return {"image": endpoint.name, "cleaned": done.cleaned, "remaining": done.remaining}
        except (TransportError, RemoteError) as e:
            return {"image": endpoint.name, "error": str(e)}
        finally:
            await conn.close()

    async def clean_all() -> list[dict[str, object]]:
        return list(await asyncio.gather(*(clean(e) for e in endpoints)))

    for row in asyncio.run(clean_all()):
        if as_json:
            click.echo(json.dumps(row))
        elif "error" in row:
            click.echo(f"{row['image']}: {row['error']}")
        else:
            click.echo(
                f"{row['image']}: cleaned {row['cleaned']} expired, {row['remaining']} remain"
            )

"""`stui images …`: the images STUI knows, with status, latency and sessions."""

from __future__ import annotations

import asyncio
import json

import click
import msgspec

from stui import launcher
from stui.cli.context import fail_cleanly, image_id_for, open_manager, probe
from stui.images.endpoints import EndpointBook
from stui.images.health import HealthPolicy
from stui.images.registry import ImageEntry, ImageRegistry


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.2f}"


def _row(entry: ImageEntry, client_sessions: int) -> dict[str, object]:
    ident = entry.identity
    return {
        "name": entry.name,
        "status": entry.status.value,
        "address": entry.endpoint.address if entry.endpoint else None,
        "image_id": entry.image_id,
        "instance_id": ident.instance_id if ident else None,
        "dialect": ident.dialect if ident else None,
        "latency_ms": {
            "last": entry.latency.last and entry.latency.last * 1000,
            "p50": entry.latency.p50 and entry.latency.p50 * 1000,
            "p99": entry.latency.p99 and entry.latency.p99 * 1000,
        },
        "image_sessions": entry.sessions,
        "client_sessions": client_sessions,
        "busy": entry.busy,
        "duplicates": list(entry.duplicates),
        "last_error": entry.last_error,
    }


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image.")
@click.option(
    "--wait", default=3.0, show_default=True, help="Seconds to probe the images, at most."
)
@click.option(
    "--orphan-after",
    default=300.0,
    show_default=True,
    help="Seconds away after which an image's sessions are orphaned.",
)
@click.pass_context
@fail_cleanly
def images(ctx: click.Context, as_json: bool, wait: float, orphan_after: float) -> None:
    """List known images: status, latency and sessions."""
    if ctx.invoked_subcommand is not None:
        return
    manager = open_manager()
    policy = HealthPolicy(interval=0.2, orphan_after=orphan_after)
    entries = asyncio.run(probe(manager, wait, policy))
    rows = []
    for entry in entries:
        count = manager.session_stats(entry.image_id).total if entry.image_id else 0
        rows.append(_row(entry, count))
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    if not rows:
        click.echo(
            "no images known; start one (stui image start NAME) or add one (stui images add)"
        )
        return
    click.echo(
        f"{'NAME':18} {'STATUS':13} {'LAST ms':>8} {'P50 ms':>8} {'P99 ms':>8} {'SESSIONS':>9}  ADDRESS"
    )
    for row, entry in zip(rows, entries, strict=True):
        lat = entry.latency
        image_side = "-" if entry.sessions is None else str(entry.sessions)
        sessions = f"{row['client_sessions']}/{image_side}"
        click.echo(
            f"{entry.name:18} {entry.status.value:13} {_ms(lat.last):>8} {_ms(lat.p50):>8} "
            f"{_ms(lat.p99):>8} {sessions:>9}  {row['address'] or '-'}"
        )
        if entry.duplicates:
            click.echo(
                f"  warning: {entry.name} reports the same image_id as {', '.join(entry.duplicates)}"
                " (a copied image file?)"
            )
        if entry.last_error and not entry.status.is_up:
            click.echo(f"  {entry.last_error}")
    click.echo("(SESSIONS: this client's stored sessions / sessions held in the image)")


@images.command()
@click.argument("name")
@click.option("--address", required=True, help="tcp://HOST:PORT of the image's STUI server.")
@click.option("--token", required=True, help="The image's token.")
@click.option("--json", "as_json", is_flag=True)
@fail_cleanly
def add(name: str, address: str, token: str, as_json: bool) -> None:
    """Register an image that STUI did not start, by address and token."""
    ImageRegistry(open_manager(), EndpointBook()).add(name, address, token)
    click.echo(
        json.dumps({"added": name, "address": address}) if as_json else f"added {name} at {address}"
    )


@images.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@fail_cleanly
def remove(name: str, as_json: bool) -> None:
    """Forget an image: it is no longer listed or watched (its stored sessions stay).

    A running local image is found again from its runtime file: stop it first.
    """
    manager = open_manager()
    added = EndpointBook().remove(name)
    known = [r for r in manager.list_images() if r.name == name and r.status != "removed"]
    for record in known:
        manager.update_connection_status(record.image_id, "removed", "removed by the user")
    if not added and not known:
        raise click.ClickException(f"no image named {name!r} is known")
    if any(info.name == name for info in launcher.running_images()):
        click.echo(
            f"note: {name} is a running local image and will be found again; "
            f"stop it with: stui image stop {name}",
            err=True,
        )
    click.echo(json.dumps({"removed": name}) if as_json else f"removed {name}")


@images.command()
@click.argument("name")
@click.option("--limit", default=20, show_default=True, help="How many events, newest first.")
@click.option("--json", "as_json", is_flag=True)
@fail_cleanly
def history(name: str, limit: int, as_json: bool) -> None:
    """An image's connection history: when it connected, went away, and why."""
    manager = open_manager()
    events = manager.connection_history(image_id_for(manager, name), limit)
    for event in events:
        if as_json:
            click.echo(msgspec.json.encode(event).decode())
        else:
            why = f"  {event.reason}" if event.reason else ""
            click.echo(f"{event.at:%Y-%m-%d %H:%M:%S}  {event.event:13}{why}")
    if not events and not as_json:
        click.echo(f"no connection events recorded for {name}")

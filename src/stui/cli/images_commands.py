"""`stui images …`: every image STUI knows, with status, latency and sessions.

The listing reaches each image for a moment and writes nothing: state changes happen
in the health monitor (the TUI) or in explicit commands.
"""

from __future__ import annotations

import click

from stui.cli.eval_commands import JSON_OPTION
from stui.cli.output import emit_json, ms, warn
from stui.cli.running import open_workbench, run
from stui.workbench import ImageView, Workbench


def _row(view: ImageView, client_sessions: int) -> dict[str, object]:
    lat = view.latency
    return {
        "name": view.name, "status": view.status.value, "source": view.source,
        "address": view.address, "image_id": view.image_id, "instance_id": view.instance_id,
        "dialect": view.dialect, "version": view.version,
        "latency_ms": {k: v and v * 1000 for k, v in (("last", lat.last), ("p50", lat.p50), ("p99", lat.p99))},
        "image_sessions": view.image_sessions, "client_sessions": client_sessions,
        "busy": view.busy, "unsaved": view.unsaved, "duplicates": list(view.duplicates),
        "last_error": view.last_error,
    }  # fmt: skip


@click.group(invoke_without_command=True)
@JSON_OPTION
@click.option(
    "--wait", default=3.0, show_default=True, help="Seconds to reach each image, at most."
)
@click.pass_context
def images(ctx: click.Context, as_json: bool, wait: float) -> None:
    """List known images: status, dialect, latency and sessions."""
    if ctx.invoked_subcommand is not None:
        return

    async def body(wb: Workbench) -> list[dict[str, object]]:
        views = await wb.probe(wait)
        return [
            _row(v, wb.sessions.session_stats(v.image_id).total if v.image_id else 0) for v in views
        ]

    rows = run(body)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo(
            "no images known; start one (stui image start NAME) or add one (stui images add)"
        )
        return
    click.echo(
        f"{'NAME':16} {'STATUS':13} {'DIALECT':8} {'LAST ms':>8} {'P50 ms':>8} {'P99 ms':>8} "
        f"{'SESSIONS':>9}  ADDRESS"
    )
    for row in rows:
        lat = row["latency_ms"]
        assert isinstance(lat, dict)
        image_side = "-" if row["image_sessions"] is None else str(row["image_sessions"])
        sessions = f"{row['client_sessions']}/{image_side}"
        click.echo(
            f"{row['name']:16} {row['status']:13} {row['dialect'] or '-':8} "
            f"{_ms(lat['last']):>8} {_ms(lat['p50']):>8} {_ms(lat['p99']):>8} {sessions:>9}  "
            f"{row['address'] or '-'}"
        )
        if row["duplicates"]:
            click.echo(
                f"  warning: {row['name']} reports the same image_id as "
                f"{', '.join(row['duplicates'])} (a copied image file?)"  # type: ignore[arg-type]
            )
        if row["last_error"] and row["status"] not in ("connected", "degraded"):
            click.echo(f"  {row['last_error']}")
    click.echo("(SESSIONS: this client's stored sessions / sessions held in the image)")


def _ms(value: object) -> str:
    return ms(value / 1000 if isinstance(value, float | int) else None)


@images.command()
@click.argument("name")
@click.option("--address", required=True, help="tcp://HOST:PORT of the image's STUI server.")
@click.option("--token", required=True, help="The image's token.")
@JSON_OPTION
def add(name: str, address: str, token: str, as_json: bool) -> None:
    """Register an image that STUI did not start, by address and token."""
    view = open_workbench().add_image(name, address, token)
    if as_json:
        emit_json({"ok": True, "added": view.name, "address": view.address})
    else:
        click.echo(f"added {view.name} at {view.address}")


@images.command()
@click.argument("name")
@JSON_OPTION
def remove(name: str, as_json: bool) -> None:
    """Forget an image: it is no longer listed or watched (its stored sessions stay).

    A running local image is found again from its runtime file: stop it first.
    """
    view = run(lambda wb: wb.remove_image(name))
    if view.source == "local":
        warn(
            f"{name} is a running local image and will be found again; stop it with: stui image stop {name}"
        )
    if as_json:
        emit_json({"ok": True, "removed": name})
    else:
        click.echo(f"removed {name}")


@images.command()
@click.argument("name")
@click.option("--limit", default=20, show_default=True, help="How many events, newest first.")
@JSON_OPTION
def history(name: str, limit: int, as_json: bool) -> None:
    """An image's connection history: when it connected, restarted, went away, and why."""
    image_id = run(lambda wb: wb.image_id(name))
    events = open_workbench().sessions.connection_history(image_id, limit)
    if as_json:
        emit_json(events)
        return
    for event in events:
        why = f"  {event.reason}" if event.reason else ""
        click.echo(f"{event.at:%Y-%m-%d %H:%M:%S}  {event.event:13}{why}")
    if not events:
        click.echo(f"no connection events recorded for {name}")

"""`stui image …`: prepare templates and manage local headless images."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import click

from stui.cli.output import emit_json, warn
from stui.cli.running import run
from stui.errors import StuiError
from stui.tools import changes as changelog
from stui.workbench import DIALECT_NAMES, DialectSource, LocalImages, Workbench

LOCAL = LocalImages()


def _progress() -> Callable[[str], None]:
    started = time.monotonic()

    def report(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:5.1f}s] {message}", err=True)

    return report


@click.group()
def image() -> None:
    """Prepare, create, start, stop and list local images."""


@image.command()
@click.option("--template", "dialect", default="squeak", show_default=True)
@click.option("--force", is_flag=True, help="Rebuild even if a prepared template exists.")
def prepare(dialect: str, force: bool) -> None:
    """Turn the dialect's stock image into a scriptable STUI template (cached)."""
    path = LOCAL.prepare(dialect, _progress(), force=force)
    click.echo(str(path))


@image.command()
@click.argument("name")
@click.option("--dialect", default="squeak", show_default=True, help="squeak or cuis.")
@click.option("--from", "image_from", help="Your own image (or a zip of it) to make the template from.")  # fmt: skip
@click.option("--vm", help="The VM that runs it (Cuis: a 32-bit Spur VM).")
@click.option("--packages", help="Directory of packages to install (Cuis: Network-Kernel.pck.st).")  # fmt: skip
def create(
    name: str, dialect: str, image_from: str | None, vm: str | None, packages: str | None
) -> None:
    """Create a private image NAME from a template."""
    if image_from in DIALECT_NAMES and dialect == "squeak":  # the old spelling: --from DIALECT
        dialect, image_from = image_from, None
    source = None
    if image_from or vm or packages:
        absolute = [str(Path(p).resolve()) if p else None for p in (vm, image_from, packages)]
        source = DialectSource(*absolute)
    meta = LOCAL.create(name, dialect, _progress(), source)
    click.echo(f"created image {meta.name} ({meta.dialect}, image id {meta.image_id})")


@image.command()
@click.argument("name")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to listen on (default: a free one)."
)
@click.option("--session-ttl", type=click.IntRange(1), default=86400, show_default=True,
              help="Seconds after which the image drops sessions of an absent client.")  # fmt: skip
def start(name: str, port: int | None, session_ttl: int) -> None:
    """Start image NAME headless in the background."""
    info = LOCAL.start(name, port=port, session_ttl=session_ttl)
    click.echo(f"started {info.name}: pid {info.pid}, {info.address}")


@image.command()
@click.argument("name")
@click.option("--no-save", is_flag=True, help="Do not save unsaved changes first.")
def stop(name: str, no_save: bool) -> None:
    """Stop image NAME (gracefully, then by force), saving it first when it has unsaved
    changes."""
    if not no_save:
        _save_before_stop(name)
    info = LOCAL.stop(name)
    click.echo(f"stopped {info.name} (pid {info.pid})")


def _save_before_stop(name: str) -> None:
    """Save when the image says it has unsaved changes; an image that cannot be asked
    is stopped anyway, with a warning."""

    async def body(wb: Workbench) -> bool:
        return await changelog.save_if_unsaved(await wb.client(name)) is not None

    try:
        if run(body):
            click.echo(f"saved {name} before stopping")
    except StuiError as e:
        warn(f"could not save {name} before stopping ({e}); stopping without saving")


@image.command(name="delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(name: str, yes: bool) -> None:
    """Delete a stopped image NAME and its files."""
    LOCAL.check_name(name)
    if not any(row.meta.name == name for row in LOCAL.list()):
        raise click.ClickException(f"no image named {name!r}; see: stui image list")
    if not yes:
        click.confirm(f"Delete image {name} and all its files?", abort=True)
    LOCAL.delete(name)
    click.echo(f"deleted {name}")


def _uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@image.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
def list_(as_json: bool) -> None:
    """List created images: running or not, pid, port, uptime."""
    rows = LOCAL.list()
    if as_json:
        emit_json([{
            "name": row.meta.name, "dialect": row.meta.dialect, "image_id": row.meta.image_id,
            "running": row.running, "pid": row.runtime.pid if row.runtime else None,
            "port": row.runtime.port if row.runtime else None,
            "address": row.runtime.address if row.runtime else None,
            "uptime_s": row.uptime, "path": str(row.path),
        } for row in rows])  # fmt: skip
        return
    if not rows:
        click.echo("no images; create one with: stui image create NAME")
        return
    click.echo(f"{'NAME':20} {'STATUS':8} {'PID':>8} {'PORT':>6} {'UPTIME':>8}  DIALECT")
    for row in rows:
        rt = row.runtime
        click.echo(
            f"{row.meta.name:20} {'running' if rt else 'stopped':8} {rt.pid if rt else '-':>8} "
            f"{rt.port if rt else '-':>6} {_uptime(row.uptime):>8}  {row.meta.dialect}"
        )

"""`stui transcript`: print what an image writes to its Transcript. With ``--json``, one
JSON object per event (JSON lines), since the stream has no end."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import click

from stui.cli.eval_commands import IMAGE_OPTION, JSON_OPTION, pick_image
from stui.cli.exits import EXIT_OK
from stui.cli.output import emit_json
from stui.cli.running import run
from stui.tools import transcript
from stui.workbench import Workbench


@click.command("transcript")
@IMAGE_OPTION
@click.option("--follow", "-f", is_flag=True, help="Keep printing until interrupted.")
@click.option("--wait", type=click.FloatRange(min=0), default=1.0, show_default=True, metavar="S",
              help="Without --follow: print what arrives in this many seconds.")  # fmt: skip
@JSON_OPTION
def transcript_command(image: str | None, follow: bool, wait: float, as_json: bool) -> None:
    """Print the image's Transcript output as it is written."""

    async def body(wb: Workbench) -> None:
        name = pick_image(wb, image)
        client = await wb.client(name)

        async def pump() -> None:
            async for event in transcript.follow(client):
                if as_json:
                    emit_json({"image": name, "text": event.text, "dropped": event.dropped})
                else:
                    click.echo(event.text, nl=False)
                    if event.dropped:
                        click.echo(f"\n[{event.dropped} characters dropped]", err=True)
                sys.stdout.flush()

        if follow:
            await pump()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pump(), wait)

    run(body)
    sys.exit(EXIT_OK)

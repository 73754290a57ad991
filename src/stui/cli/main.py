"""The ``stui`` command: one click group, one module per command family."""

from __future__ import annotations

import click

from stui.cli import eval_commands, image_commands, images_commands, session_commands


@click.group(invoke_without_command=True)
@click.version_option(package_name="stui")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """STUI: a terminal IDE for live Smalltalk images. With no command, opens the app."""
    if ctx.invoked_subcommand is None:
        from stui.tui.app import StuiApp  # the app loads Textual: only when it is wanted

        StuiApp().run()


cli.add_command(image_commands.image)
cli.add_command(eval_commands.eval_command)
cli.add_command(eval_commands.ping)
cli.add_command(images_commands.images)
cli.add_command(session_commands.sessions)


def main() -> None:
    cli()

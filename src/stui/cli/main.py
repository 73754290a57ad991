"""The ``stui`` command: one click group, one module per command family."""

from __future__ import annotations

import click

from stui.cli import image_commands


@click.group()
@click.version_option(package_name="stui")
def cli() -> None:
    """STUI: a terminal IDE for live Smalltalk images."""


cli.add_command(image_commands.image)


def main() -> None:
    cli()

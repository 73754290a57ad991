"""Printing for people and for scripts: with --json, exactly one JSON document."""

from __future__ import annotations

from typing import Any

import click
import msgspec


def emit_json(document: Any) -> None:
    """One JSON document (an object or an array) on stdout."""
    click.echo(msgspec.json.encode(document).decode())


def warn(message: str) -> None:
    click.echo(f"stui: {message}", err=True)


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.2f}"

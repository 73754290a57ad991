"""Timestamps as the store keeps them.

They are ISO 8601 UTC text with a fixed width (microseconds, `Z`), so that the text order
is the time order and SQL can compare and index them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_text(moment: datetime) -> str:
    """Fixed-width UTC text; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"  # drop "+00:00"


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


def maybe_from_text(text: str | None) -> datetime | None:
    return None if text is None else from_text(text)

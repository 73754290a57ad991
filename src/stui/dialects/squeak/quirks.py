"""What the Squeak 2.8 image can hold: its strings are Latin-1, one byte a character."""

from __future__ import annotations

from stui.dialects.contract import Unrepresentable


def check_text(text: str) -> Unrepresentable | None:
    """The first character above U+00FF, which the server would refuse with `encoding`."""
    for index, char in enumerate(text):
        if ord(char) > 0xFF:
            return Unrepresentable(index, char, "Latin-1")
    return None

"""Image names end up in directory and file names, so they are validated first."""

from __future__ import annotations

import re

from stui.launcher.errors import InvalidImageName

MAX_NAME_LENGTH = 64
# Whole-string match (fullmatch): `$` would also match before a final newline.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def validate_name(name: str) -> str:
    """Answer name if it is a safe image name, else raise InvalidImageName."""
    if not name:
        raise InvalidImageName("an image name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidImageName(f"image name is {len(name)} characters; at most {MAX_NAME_LENGTH}")
    if "/" in name or "\\" in name or ".." in name or not _NAME.fullmatch(name):
        raise InvalidImageName(
            f"invalid image name {name!r}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, with no path separators and no '..'"
        )
    return name

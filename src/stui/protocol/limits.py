"""Protocol version and size limits (docs/protocol.md, "Limits")."""

from __future__ import annotations

import re

from stui.protocol.errors import ErrorCode, VersionMismatch

PROTOCOL_VERSION = "1.0"
MAX_FRAME = 16 * 1024 * 1024
MAX_PRINT = 100_000
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit accepts other scripts' digits


def parse_version(version: str) -> tuple[int, int]:
    """Split "MAJOR.MINOR" into integers; ValueError if it is not of that shape."""
    major, sep, minor = version.partition(".")
    if not sep or not _DIGITS.fullmatch(major) or not _DIGITS.fullmatch(minor):
        raise ValueError(f"not a MAJOR.MINOR protocol version: {version!r}")
    return int(major), int(minor)


def check_compatible(server_version: str) -> None:
    """Raise VersionMismatch unless the server speaks our protocol major."""
    ours, _ = parse_version(PROTOCOL_VERSION)
    try:
        theirs, _ = parse_version(server_version)
    except ValueError:
        raise VersionMismatch(
            ErrorCode.VERSION_MISMATCH,
            f"the image announced protocol {server_version!r}, which is not a version; "
            f"this client speaks {PROTOCOL_VERSION}",
        ) from None
    if theirs != ours:
        raise VersionMismatch(
            ErrorCode.VERSION_MISMATCH,
            f"the image speaks protocol {server_version}, this client speaks "
            f"{PROTOCOL_VERSION}: update the side with the older major version",
        )

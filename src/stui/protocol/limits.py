"""Protocol version, size limits and client-side deadlines (docs/protocol.md, "Limits")."""

from __future__ import annotations

from stui.protocol.errors import ErrorCode, VersionMismatch

PROTOCOL_VERSION = "1.0"
MAX_FRAME = 16 * 1024 * 1024
MAX_PRINT = 100_000

DEFAULT_DEADLINE = 10.0
DEADLINES: dict[str, float] = {
    "hello": 5.0,
    "ping": 2.0,
    "evaluate": 60.0,
    # IDE operations (docs/protocol.md, "IDE operations"). Lookups answer in
    # milliseconds; searches walk every method; a save writes the whole image.
    "inspect": 10.0,
    "inspect.page": 10.0,
    "release": 5.0,
    "browse.categories": 5.0,
    "browse.classes": 5.0,
    "browse.protocols": 5.0,
    "browse.selectors": 5.0,
    "browse.definition": 5.0,
    "browse.hierarchy": 5.0,
    "browse.method": 5.0,
    "browse.find_class": 5.0,
    "compile": 10.0,
    "class.define": 30.0,
    "method.remove": 10.0,
    "class.remove": 30.0,
    "save": 60.0,
    "changes.list": 30.0,
    "changes.replay": 60.0,
    "search.senders": 30.0,
    "search.implementors": 30.0,
    "search.references": 30.0,
    "complete": 5.0,
    "transcript.subscribe": 5.0,
    "transcript.unsubscribe": 5.0,
}


def deadline_for(request_type: str) -> float:
    """Seconds a request of this wire type may wait for its response."""
    return DEADLINES.get(request_type, DEFAULT_DEADLINE)


def parse_version(version: str) -> tuple[int, int]:
    """Split "MAJOR.MINOR" into integers; ValueError if it is not of that shape."""
    major, sep, minor = version.partition(".")
    if not sep or not major.isdigit() or not minor.isdigit():
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

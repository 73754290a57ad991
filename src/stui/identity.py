"""The stable client id of this STUI installation.

Images use it to own sessions and to know when a client was last seen, so it must not
change between runs: it lives in ``config_dir()/client_id``, created on first use.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from pathlib import Path

from stui import paths

FILE_NAME = "client_id"
_PATTERN = re.compile(r"c-[0-9a-f]{32}")


def client_id() -> str:
    """This installation's id, ``c-`` and 32 hex digits; created once, atomically.

    Two processes starting at once agree: the first file to be linked into place wins
    and the other reads it. A file that does not hold a valid id is replaced.
    """
    path = paths.config_dir() / FILE_NAME
    existing = _read(path)
    if existing is not None:
        return existing
    candidate = new_client_id()
    if _create(path, candidate):
        return candidate
    existing = _read(path)
    if existing is not None:
        return existing
    _replace(path, candidate)  # the file is there but unusable
    return candidate


def new_client_id() -> str:
    return "c-" + secrets.token_hex(16)


def is_client_id(value: str) -> bool:
    return _PATTERN.fullmatch(value) is not None


def _read(path: Path) -> str | None:
    try:
        value = path.read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return value if is_client_id(value) else None


def _write_temp(path: Path, value: str) -> str:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(value + "\n")
        f.flush()
        os.fsync(f.fileno())
    return tmp


def _create(path: Path, value: str) -> bool:
    """Put the file in place unless one exists; True if this call created it."""
    tmp = _write_temp(path, value)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _replace(path: Path, value: str) -> None:
    tmp = _write_temp(path, value)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise

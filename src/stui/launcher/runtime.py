"""Runtime files: one JSON file per running local image, mode 0600.

They are how the CLI and the TUI discover running images (address, token, pid).
A file whose process is gone, or whose pid now belongs to another program, is stale.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import msgspec
import psutil

from stui import paths
from stui.launcher.errors import ImageNotRunning
from stui.launcher.names import validate_name


class RuntimeInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What a client needs to reach a running image."""

    name: str
    dialect: str
    address: str
    port: int
    pid: int
    token: str
    image_path: str
    image_id: str
    started_at: float
    log_path: str


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(RuntimeInfo)


def runtime_path(name: str) -> Path:
    return paths.runtime_dir() / f"{validate_name(name)}.json"


def write_private(path: Path, data: bytes) -> None:
    """Write a 0600 file atomically: readers never see half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_runtime(info: RuntimeInfo) -> Path:
    path = runtime_path(info.name)
    write_private(path, _encoder.encode(info))
    return path


def remove_runtime(name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        runtime_path(name).unlink()


def is_vm_alive(pid: int, image_path: str) -> bool:
    """True if pid is a live (non-zombie) process running this image."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return image_path in proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def load_runtime(name: str) -> RuntimeInfo | None:
    """The runtime info of a running image; None if absent, unreadable or stale.

    Stale and corrupt files are removed, so they never mislead a later reader.
    """
    path = runtime_path(name)
    try:
        info = _decoder.decode(path.read_bytes())
    except FileNotFoundError:
        return None
    except (msgspec.DecodeError, msgspec.ValidationError, OSError):
        remove_runtime(name)
        return None
    if not is_vm_alive(info.pid, info.image_path):
        remove_runtime(name)
        return None
    return info


def read_runtime(name: str) -> RuntimeInfo:
    """The runtime info of a running image, or ImageNotRunning with a hint."""
    info = load_runtime(name)
    if info is None:
        raise ImageNotRunning(
            f"image {name!r} is not running; start it with: stui image start {name}"
        )
    return info


def running_images() -> list[RuntimeInfo]:
    """Every running local image, cleaning stale runtime files on the way."""
    found = []
    for path in sorted(paths.runtime_dir().glob("*.json")):
        with contextlib.suppress(Exception):
            info = load_runtime(path.stem)
            if info is not None:
                found.append(info)
    return found

"""Local images: create from a template, start and stop headless VMs, list them.

On disk (see docs/images.md)::

    <data>/images/NAME/NAME.image, NAME.changes   the private image
    <data>/images/NAME/image.json                 dialect, image_id, created_at
    <data>/images/NAME/vm.log                     the VM's stdout and stderr
    <runtime>/NAME.json                           runtime file of a running image (0600)
    <runtime>/NAME.token                          the token, read by the image at start (0600)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import msgspec

from stui import paths
from stui.dialects import launcher_class
from stui.dialects.contract import (
    DialectLauncher,
    DialectSource,
    Progress,
    ServerOptions,
    no_progress,
)
from stui.launcher.errors import (
    ImageAlreadyRunning,
    ImageExists,
    ImageNotFound,
    ImageNotRunning,
    LauncherError,
    PortInUse,
    StartFailed,
)
from stui.launcher.names import validate_name
from stui.launcher.runtime import (
    RuntimeInfo,
    is_vm_alive,
    load_runtime,
    remove_runtime,
    runtime_path,
    write_private,
    write_runtime,
)

DEFAULT_BIND = "127.0.0.1"
DEFAULT_SESSION_TTL = 86400
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


class ImageMeta(msgspec.Struct, frozen=True):
    name: str
    dialect: str
    image_id: str
    created_at: float
    source: DialectSource | None = None  # the VM and image the user named, if any


@dataclass(frozen=True)
class LocalImage:
    """One row of `stui image list`."""

    meta: ImageMeta
    path: Path
    runtime: RuntimeInfo | None

    @property
    def running(self) -> bool:
        return self.runtime is not None

    @property
    def uptime(self) -> float | None:
        return time.time() - self.runtime.started_at if self.runtime else None


def launcher_for(dialect: str, source: DialectSource | None = None) -> DialectLauncher:
    return launcher_class(dialect, source)


def images_dir() -> Path:
    path = paths.data_dir() / "images"
    path.mkdir(parents=True, exist_ok=True)
    return path


def image_dir(name: str) -> Path:
    return images_dir() / validate_name(name)


def read_meta(name: str) -> ImageMeta:
    path = image_dir(name) / "image.json"
    try:
        return msgspec.json.decode(path.read_bytes(), type=ImageMeta)
    except FileNotFoundError:
        raise ImageNotFound(
            f"no image named {name!r}; create it with: stui image create {name}"
        ) from None
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise LauncherError(f"the metadata of image {name!r} ({path}) is corrupt: {e}") from e


def create_image(
    name: str,
    template: str = "squeak",
    progress: Progress = no_progress,
    source: DialectSource | None = None,
) -> ImageMeta:
    """Copy the template into a private directory and give the copy its own image_id.

    source names the user's own VM, image and packages; it is kept in the metadata so
    that start uses the same VM."""
    directory = image_dir(name)
    launcher = launcher_for(template, source)
    if directory.exists():
        raise ImageExists(f"an image named {name!r} already exists in {directory}")
    prepared = launcher.prepared_template() or launcher.prepare_template(progress)
    staging = images_dir() / f".{name}.creating.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        image = launcher.copy_image(prepared, staging, name)
        meta = ImageMeta(name, launcher.dialect, str(uuid.uuid4()), time.time(), source)
        progress(f"stamping image id {meta.image_id}")
        launcher.stamp_identity(image, meta.image_id)
        (staging / "image.json").write_bytes(msgspec.json.encode(meta))
        try:
            staging.rename(directory)
        except OSError as e:
            raise ImageExists(f"an image named {name!r} already exists in {directory}") from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return meta


def _free_port(bind: str) -> int:
    with socket.socket() as s:
        s.bind((bind, 0))
        return s.getsockname()[1]


def _check_port(bind: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((bind, port))
        except OSError as e:
            raise PortInUse(
                f"port {port} on {bind} is in use ({e.strerror}); pick another or omit --port"
            ) from e


def start_image(
    name: str,
    port: int | None = None,
    bind: str = DEFAULT_BIND,
    session_ttl: int = DEFAULT_SESSION_TTL,
    raw_port: int | None = None,
) -> RuntimeInfo:
    """Start the VM headless in the background; answer once its server listens."""
    meta = read_meta(name)
    running = load_runtime(name)
    if running is not None:
        raise ImageAlreadyRunning(
            f"image {name!r} is already running (pid {running.pid}, {running.address})"
        )
    if port is None:
        port = _free_port(bind)
    else:
        _check_port(bind, port)
    launcher = launcher_for(meta.dialect, meta.source)
    image = image_dir(name) / f"{name}.image"
    token = secrets.token_hex(16)
    token_file = paths.runtime_dir() / f"{name}.token"
    write_private(token_file, token.encode())
    log_path = image_dir(name) / "vm.log"
    options = ServerOptions(name, port, bind, token_file, session_ttl, raw_port)
    with log_path.open("ab") as log:
        offset = log.tell()
        proc = subprocess.Popen(
            launcher.server_command(image, options),
            cwd=image.parent, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_ready(proc, log_path, offset, port)
    except BaseException:
        _kill(proc.pid)
        proc.wait()
        raise
    finally:
        token_file.unlink(missing_ok=True)
    info = RuntimeInfo(
        name=name, dialect=meta.dialect, address=f"tcp://{bind}:{port}", port=port, pid=proc.pid,
        token=token, image_path=str(image), image_id=meta.image_id, started_at=time.time(),
        log_path=str(log_path),
    )  # fmt: skip
    write_runtime(info)
    return info


def _wait_ready(proc: subprocess.Popen, log_path: Path, offset: int, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        with log_path.open("rb") as f:
            f.seek(offset)
            text = f.read().decode("latin-1")
        for line in text.splitlines():
            if line.startswith("STUI READY"):
                return
            if line.startswith("STUI ERROR"):
                message = line.removeprefix("STUI ERROR").strip()
                if "port" in message.lower() or "listen" in message.lower():
                    raise PortInUse(f"the image could not listen on port {port}: {message}")
                raise StartFailed(f"the image's server did not start: {message}")
        if proc.poll() is not None:
            tail = text.strip()[-400:] or "(no output)"
            raise StartFailed(
                f"the VM exited with code {proc.returncode} before its server listened: {tail}"
            )
        time.sleep(0.02)
    raise StartFailed(
        f"the image's server did not listen within {START_TIMEOUT:.0f} s; see {log_path}"
    )


def _kill(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def stop_image(name: str, timeout: float = STOP_TIMEOUT) -> RuntimeInfo:
    """SIGTERM, then SIGKILL after timeout. Answers the runtime info of the stopped image."""
    read_meta(name)
    info = load_runtime(name)
    if info is None:
        raise ImageNotRunning(f"image {name!r} is not running")
    _kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while is_vm_alive(info.pid, info.image_path) and time.monotonic() < deadline:
        _reap(info.pid)
        time.sleep(0.02)
    if is_vm_alive(info.pid, info.image_path):
        _kill(info.pid)
        while is_vm_alive(info.pid, info.image_path):
            _reap(info.pid)
            time.sleep(0.02)
    _reap(info.pid)
    remove_runtime(name)
    return info


def _reap(pid: int) -> None:
    """Collect our own child's exit status, so a stopped VM does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def list_images() -> list[LocalImage]:
    """Every created image, running or not. Stale runtime files are cleaned up."""
    rows = []
    for directory in sorted(images_dir().iterdir()):
        if directory.name.startswith(".") or not (directory / "image.json").exists():
            continue
        try:
            meta = read_meta(directory.name)
        except LauncherError:
            continue
        rows.append(LocalImage(meta, directory / f"{meta.name}.image", load_runtime(meta.name)))
    for orphan in paths.runtime_dir().glob("*.json"):
        if not (images_dir() / orphan.stem).exists():
            load_runtime(orphan.stem)  # removes it if stale
    return rows


def delete_image(name: str) -> None:
    """Remove a stopped image and its directory."""
    read_meta(name)
    if load_runtime(name) is not None:
        raise ImageAlreadyRunning(
            f"image {name!r} is running; stop it first: stui image stop {name}"
        )
    shutil.rmtree(image_dir(name))
    runtime_path(name).unlink(missing_ok=True)

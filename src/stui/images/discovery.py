"""LocalDiscovery: running local images, read from their runtime files incrementally.

Discovery runs every couple of seconds. Rescanning meant, per image and per round, a
file read and decode plus three process look-ups (status, command line), which grew
with the fleet. Here a round costs one `stat` of the runtime directory when nothing
was started or stopped: runtime files are written by an atomic rename (`write_private`),
so every new, replaced or removed file changes the directory's modification time. Only
then is the directory listed, and only a file whose own stamp (mtime, size, inode)
changed is read again and its process checked in full (command line included). A file
already known costs one cheap liveness check of its process (`is_running`, which also
catches a reused pid, and not a zombie); a dead one's file is removed, as before.

A stamp is trusted only once it is RACY old: a file system keeps times in coarse ticks
(a few ms on ext4, a second on older ones), so a change in the same tick as the last
look would leave the stamp as it was. Until the directory (or a file) is older than
that, each round looks again.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec
import psutil

from stui import paths
from stui.images.endpoints import Endpoint
from stui.launcher.runtime import RuntimeInfo, is_vm_alive, remove_runtime

Stamp = tuple[int, int, int]  # (mtime_ns, size, inode)
UNTRUSTED: Stamp = (-1, -1, -1)  # matches no file: read it again next time
RACY_NS = 2_000_000_000  # a stamp younger than this may hide a change in the same tick

_decoder = msgspec.json.Decoder(RuntimeInfo)


@dataclass
class _Known:
    stamp: Stamp
    endpoint: Endpoint
    process: psutil.Process


def _stamp(st: os.stat_result) -> Stamp:
    """The file's stamp, or UNTRUSTED while it is too young to be trusted."""
    if time.time_ns() - st.st_mtime_ns < RACY_NS:
        return UNTRUSTED
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


class LocalDiscovery:
    """The running local images; each call reads only what changed since the last.

    Thread-safe: the health monitor calls it from a worker thread while a command may
    resolve a name on the event loop.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self._fixed = directory
        self._directory: Path | None = None
        self._dir_stamp: Stamp | None = None
        self._known: dict[str, _Known] = {}  # by file name
        self._lock = threading.Lock()
        self.full_reads = 0  # files read and checked in full: what a test can count

    def endpoints(self) -> list[Endpoint]:
        with self._lock:
            directory = self._fixed or paths.runtime_dir()
            if directory != self._directory:  # STUI_HOME moved: start over
                self._directory, self._dir_stamp, self._known = directory, None, {}
            try:
                stamp = _stamp(directory.stat())
            except FileNotFoundError:
                self._dir_stamp, self._known = None, {}
                return []
            if stamp == UNTRUSTED or stamp != self._dir_stamp:
                self._dir_stamp = stamp
                self._rescan(directory)
            self._drop_dead()
            return [k.endpoint for _, k in sorted(self._known.items())]

    def _rescan(self, directory: Path) -> None:
        """List the directory: read new and changed files, forget removed ones."""
        seen: dict[str, _Known] = {}
        try:
            listing = list(os.scandir(directory))
        except FileNotFoundError:  # removed since its stat: no image runs
            listing = []
        for dirent in listing:
            name = dirent.name
            if name.startswith(".") or not name.endswith(".json"):
                continue  # a runtime file being written, or something else
            with contextlib.suppress(Exception):  # one bad file never hides the others
                stamp = _stamp(dirent.stat())
                known = self._known.get(name)
                if known is None or stamp == UNTRUSTED or known.stamp != stamp:
                    known = self._read(Path(dirent.path), stamp)
                if known is not None:
                    seen[name] = known
        self._known = seen

    def _read(self, path: Path, stamp: Stamp) -> _Known | None:
        """One runtime file in full; a corrupt or stale one is removed."""
        self.full_reads += 1
        try:
            info = _decoder.decode(path.read_bytes())
        except FileNotFoundError:
            return None
        except (msgspec.DecodeError, msgspec.ValidationError, OSError):
            remove_runtime(path.stem)
            return None
        if not is_vm_alive(info.pid, info.image_path):
            remove_runtime(path.stem)
            return None
        try:
            process = psutil.Process(info.pid)
        except psutil.Error:
            remove_runtime(path.stem)
            return None
        endpoint = Endpoint(info.name, info.address, info.token, "local")
        return _Known(stamp, endpoint, process)

    def _drop_dead(self) -> None:
        """A known image whose process is gone: its runtime file is stale."""
        for name, known in list(self._known.items()):
            if not _alive(known.process):
                del self._known[name]
                with contextlib.suppress(Exception):
                    remove_runtime(name.removesuffix(".json"))

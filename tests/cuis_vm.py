"""The Cuis VM and stock image for tests: built once from ../shared/cuis, cached by hash.

The product never reads ../shared; only the test set-up does. A VM that cannot be built
is a test failure with the build's own output, never a silent skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "cuis"
BUILD_SCRIPT = SHARED / "vm" / "build.sh"
TARBALL = SHARED / "vm" / "opensmalltalk-vm-src.tar.xz"
IMAGE_ZIP = SHARED / "Cuis5.0-3121-32.zip"
SOURCES_ZIP = SHARED / "CuisV5.sources.zip"
PACKAGES = SHARED / "packages"
BUILD_TIMEOUT = 900


class CuisVmUnavailable(Exception):
    """The Cuis VM could not be built; the message says why."""


@dataclass(frozen=True)
class CuisKit:
    """What a test needs to create Cuis images: the VM, the stock image zip, packages."""

    vm: Path
    image_zip: Path
    sources_zip: Path
    packages: Path


def _inputs_hash() -> str:
    h = hashlib.sha256()
    for path in (BUILD_SCRIPT, TARBALL):
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def build_vm() -> Path:
    """Build (or reuse) the VM; answer its launcher. Raises CuisVmUnavailable."""
    missing = [p for p in (BUILD_SCRIPT, TARBALL, IMAGE_ZIP, SOURCES_ZIP) if not p.is_file()]
    if missing:
        names = ", ".join(str(p) for p in missing)
        raise CuisVmUnavailable(f"the Cuis test kit is missing beside the repository: {names}")
    cache = Path(platformdirs.user_cache_dir("stui-tests"))
    cache.mkdir(parents=True, exist_ok=True)
    prefix = cache / f"cuis-vm-{_inputs_hash()}"
    vm = prefix / "bin" / "squeak"
    with (cache / ".cuis-vm.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if vm.is_file() and (prefix / "lib" / "squeak" / "BUILD-INFO").is_file():
            return vm
        try:
            done = subprocess.run(
                ["bash", str(BUILD_SCRIPT), str(prefix)],
                capture_output=True, text=True, timeout=BUILD_TIMEOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired as e:
            raise CuisVmUnavailable(f"building the Cuis VM took over {BUILD_TIMEOUT} s") from e
        if done.returncode != 0 or not vm.is_file():
            tail = (done.stderr or done.stdout).strip()[-2000:]
            raise CuisVmUnavailable(
                f"building the Cuis VM with {BUILD_SCRIPT} failed (exit {done.returncode}):\n{tail}"
            )
    return vm


def kit() -> CuisKit:
    return CuisKit(build_vm(), IMAGE_ZIP, SOURCES_ZIP, PACKAGES)


if __name__ == "__main__":
    print(build_vm())

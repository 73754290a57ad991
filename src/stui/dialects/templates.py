"""What every dialect's template cache shares: input digests, one preparer at a time,
a sanity check on image files, and the removal of templates nobody has used for a week.

A template is keyed by a digest of everything that went into it, so a change of VM, image
or server sources prepares a new one, and another checkout of STUI keeps its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from stui import paths

STALE_AFTER = 7 * 86400  # seconds
_SMALLEST_IMAGE = 1_000_000  # bytes: anything smaller is a truncated copy


def digest(*parts: bytes) -> str:
    """A short key for a template's inputs, order-sensitive."""
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def looks_like_image(path: Path, magics: Collection[bytes]) -> bool:
    """True if path starts with one of the dialect's image headers and is image-sized:
    guards against corrupt or half-written copies."""
    try:
        with path.open("rb") as f:
            head = f.read(4)
        return head in magics and path.stat().st_size > _SMALLEST_IMAGE
    except OSError:
        return False


@contextlib.contextmanager
def preparation_lock(dialect: str) -> Iterator[None]:
    """One preparation of a dialect's template at a time, across processes."""
    with (paths.template_dir() / f".prepare-{dialect}.lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def remove_stale(pattern: str, keep: Callable[[Path], bool]) -> None:
    """Drop the template files or directories matching pattern that keep() spares not and
    that were unused for a week: another version of STUI may still use a recent one."""
    week_ago = time.time() - STALE_AFTER
    for old in paths.template_dir().glob(pattern):
        if keep(old):
            continue
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < week_ago:
                if old.is_dir():
                    shutil.rmtree(old)
                else:
                    old.unlink()

"""Smalltalk dialects, one package each: launcher, image-side server, quirks.

The rest of STUI asks this module for a dialect by name; see docs/dialects.md for how
a new one joins.
"""

from __future__ import annotations

from stui.dialects.contract import Dialect, DialectLauncher, DialectSource, Unrepresentable
from stui.dialects.cuis import DIALECT as CUIS
from stui.dialects.errors import LauncherError
from stui.dialects.squeak import DIALECT as SQUEAK

DIALECTS: dict[str, Dialect] = {SQUEAK.name: SQUEAK, CUIS.name: CUIS}


def dialect(name: str | None) -> Dialect | None:
    """The dialect of that name, or None for an unknown (e.g. remote, newer) one."""
    return DIALECTS.get(name or "")


def launcher_class(name: str, source: DialectSource | None = None) -> DialectLauncher:
    """A launcher for local images of that dialect, from the VM and image the user named."""
    found = DIALECTS.get(name)
    if found is None:
        known = ", ".join(sorted(DIALECTS))
        raise LauncherError(f"unknown dialect {name!r}; known dialects: {known}")
    return found.launcher(source)


__all__ = [
    "DIALECTS",
    "Dialect",
    "DialectLauncher",
    "DialectSource",
    "Unrepresentable",
    "dialect",
    "launcher_class",
]

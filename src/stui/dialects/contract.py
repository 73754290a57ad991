"""What a dialect package provides: its launcher, and the quirks of its strings.

A new dialect (Cuis, Pharo) adds a package `stui/dialects/<name>/` whose `DIALECT` is a
`Dialect`, and lists it in `stui.dialects.DIALECTS`; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import msgspec

TextCheck = Callable[[str], "Unrepresentable | None"]

Progress = Callable[[str], None]


def no_progress(message: str) -> None:
    """The default progress sink: silent."""


@dataclass(frozen=True)
class ServerOptions:
    """How the image-side server is started; the dialect turns it into VM arguments."""

    name: str
    port: int
    bind: str
    token_file: Path
    session_ttl: int
    raw_port: int | None = None


class DialectSource(msgspec.Struct, frozen=True, omit_defaults=True):
    """What the user named at `stui image create`: their own VM, image and packages.

    Stored in the image's metadata, so that starting it later uses the same VM. A field
    left out means the dialect's default (Squeak: Debian's packages)."""

    vm: str | None = None
    image: str | None = None
    packages: str | None = None


class DialectLauncher(Protocol):
    dialect: str

    def check_dependencies(self) -> None:
        """Raise MissingDependency naming what to install."""

    def prepare_template(self, progress: Progress = no_progress, force: bool = False) -> Path:
        """Answer the prepared template image, preparing it first if needed."""

    def prepared_template(self) -> Path | None:
        """The current prepared template, or None if it must be prepared."""

    def copy_image(self, template: Path, directory: Path, name: str) -> Path:
        """Copy the template (and its companion files) as NAME into directory."""

    def stamp_identity(self, image: Path, image_id: str) -> None:
        """Store image_id inside the image, persistently."""

    def server_command(self, image: Path, options: ServerOptions) -> list[str]:
        """The argv that starts the VM headless with the STUI server listening."""

    def evaluate_once(self, image: Path, expression: str, timeout: float = 30) -> str:
        """Start the image, evaluate one expression, quit; answer its print string."""


@dataclass(frozen=True)
class Unrepresentable:
    """The first character of a text that the image cannot hold (0-based index)."""

    index: int
    char: str
    charset: str

    def describe(self, what: str) -> str:
        return (
            f"the image cannot hold {self.char!r} (U+{ord(self.char):04X}) at position "
            f"{self.index + 1} of the {what}: it stores {self.charset} text only"
        )


@dataclass(frozen=True)
class Dialect:
    """One Smalltalk dialect: how to launch its images and what its strings can hold."""

    name: str
    launcher: Callable[[DialectSource | None], DialectLauncher]
    check_text: TextCheck

"""Local images, as the CLI and the TUI see them: the launcher behind one small door.

These calls block (a VM starts in about a second, a template takes longer): the TUI runs
them in a thread.
"""

from __future__ import annotations

from pathlib import Path

from stui import launcher
from stui.dialects import DIALECTS, DialectSource
from stui.dialects.contract import Progress, no_progress
from stui.launcher.images import ImageMeta, LocalImage
from stui.launcher.runtime import RuntimeInfo

DIALECT_NAMES = frozenset(DIALECTS)


class LocalImages:
    """Prepare templates; create, start, stop, list and delete local images."""

    def prepare(
        self, dialect: str = "squeak", progress: Progress = no_progress, force: bool = False
    ) -> Path:
        return launcher.launcher_for(dialect).prepare_template(progress, force=force)

    def create(
        self,
        name: str,
        dialect: str = "squeak",
        progress: Progress = no_progress,
        source: DialectSource | None = None,
    ) -> ImageMeta:
        return launcher.create_image(name, dialect, progress, source)

    def start(
        self, name: str, port: int | None = None, session_ttl: int | None = None
    ) -> RuntimeInfo:
        if session_ttl is None:
            return launcher.start_image(name, port=port)
        return launcher.start_image(name, port=port, session_ttl=session_ttl)

    def stop(self, name: str) -> RuntimeInfo:
        return launcher.stop_image(name)

    def delete(self, name: str) -> None:
        launcher.delete_image(name)

    def list(self) -> list[LocalImage]:
        return launcher.list_images()

    def check_name(self, name: str) -> str:
        """The name if it is usable for a local image; InvalidImageName otherwise."""
        return launcher.validate_name(name)

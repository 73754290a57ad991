"""Errors of the workbench: names it cannot resolve, images it cannot reach."""

from __future__ import annotations

from stui.errors import StuiError, Unreachable
from stui.launcher.errors import InvalidImageName

__all__ = [
    "ImageUnavailable",
    "InvalidImageName",
    "SessionOfAnotherImage",
    "UnknownImage",
    "WorkbenchError",
]


class WorkbenchError(StuiError):
    """Base of the workbench's own refusals."""


class UnknownImage(WorkbenchError, Unreachable):
    """No local, added or remembered image has that name."""


class ImageUnavailable(WorkbenchError, Unreachable):
    """The image is known but cannot be reached now."""


class SessionOfAnotherImage(WorkbenchError):
    """A session used with an image it does not belong to; sessions never move silently."""

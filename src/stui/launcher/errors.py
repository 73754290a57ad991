"""Errors of the local-image launcher, each with a message a user can act on."""

from __future__ import annotations

from stui.dialects.errors import LauncherError, MissingDependency, TemplateError
from stui.errors import InvalidInput

__all__ = [
    "ImageAlreadyRunning",
    "ImageExists",
    "ImageNotFound",
    "ImageNotRunning",
    "InvalidImageName",
    "LauncherError",
    "MissingDependency",
    "PortInUse",
    "StartFailed",
    "TemplateError",
]


class InvalidImageName(LauncherError, InvalidInput):
    """An image name that could escape its directory or is otherwise unusable."""


class ImageExists(LauncherError):
    """Creating an image whose name is taken."""


class ImageNotFound(LauncherError):
    """No created image has that name."""


class ImageAlreadyRunning(LauncherError):
    """Starting (or deleting) an image whose VM runs."""


class ImageNotRunning(LauncherError):
    """Stopping or reaching an image whose VM does not run."""


class PortInUse(LauncherError):
    """The port asked for (or the one the image tried) is taken."""


class StartFailed(LauncherError):
    """The VM did not come up with a listening STUI server."""

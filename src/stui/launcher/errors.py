"""Errors of the local-image launcher, each with a message a user can act on."""

from __future__ import annotations


class LauncherError(Exception):
    """Base of every launcher failure."""


class MissingDependency(LauncherError):
    """A system package or file the launcher needs is not installed."""


class TemplateError(LauncherError):
    """A template could not be prepared, or the prepared one is unusable."""


class InvalidImageName(LauncherError):
    """An image name that could escape its directory or is otherwise unusable."""


class ImageExists(LauncherError):
    pass


class ImageNotFound(LauncherError):
    pass


class ImageAlreadyRunning(LauncherError):
    pass


class ImageNotRunning(LauncherError):
    pass


class PortInUse(LauncherError):
    pass


class StartFailed(LauncherError):
    """The VM did not come up with a listening STUI server."""

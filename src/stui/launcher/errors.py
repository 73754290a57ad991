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

"""Errors a dialect's launcher raises while preparing or starting its images."""

from __future__ import annotations

from stui.errors import StuiError


class LauncherError(StuiError):
    """Base of every failure to prepare, create, start or stop a local image."""


class MissingDependency(LauncherError):
    """A system package or file the launcher needs is not installed."""


class TemplateError(LauncherError):
    """A template could not be prepared, or the prepared one is unusable."""

"""The root of every error STUI raises on purpose, and the three kinds a caller acts on.

Each layer derives its own errors from these, so a caller (the CLI's one error mapper,
the TUI's notifier) can tell a known failure, whose message is meant for a user, from a
bug, and tell what kind of failure it is without knowing every layer's classes. This
module imports nothing, so every layer may use it.
"""

from __future__ import annotations


class StuiError(Exception):
    """A failure with a message a user can act on."""


class InvalidInput(StuiError):
    """What the user gave cannot be used (a name, an address): fix the input."""


class Unreachable(StuiError):
    """The image cannot be reached, is gone, or did not answer in time."""


class Refused(StuiError):
    """The image answered, but refused the request or broke the protocol."""

    code: str = "refused"  # a stable word for scripts; the protocol's error code if any

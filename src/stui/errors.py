"""The root of every error STUI raises on purpose.

Each layer derives its own errors from `StuiError`, so a caller (the CLI's one error
mapper, the TUI's notifier) can tell a known failure, whose message is meant for a
user, from a bug. This module imports nothing, so every layer may use it.
"""

from __future__ import annotations


class StuiError(Exception):
    """A failure with a message a user can act on."""

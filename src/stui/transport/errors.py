"""Failures of the link to an image, as opposed to errors the image reports."""

from __future__ import annotations

from stui.errors import InvalidInput, Refused, Unreachable


class TransportError(Unreachable):
    """Base of every failure to talk to an image."""


class ConnectionTimeout(TransportError, TimeoutError):
    """A request's deadline passed without a reply; a late reply is dropped."""


class ConnectionClosed(TransportError):
    """The connection was closed (or never opened) while a request needed it."""


class ConnectionLost(ConnectionClosed):
    """The image went away while requests were in flight; they may or may not have run."""


class ImageUnreachable(TransportError):
    """No image answered at an address: nothing listens there, or hello went unanswered."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(
            f"cannot reach an image at {address}: {reason}. Is it running? See `stui image list`."
        )
        self.address = address
        self.reason = reason


class InvalidAddress(TransportError, InvalidInput):
    """An address that is not of the form tcp://HOST:PORT."""


class NotOffered(Refused):
    """The image did not offer this request in its ``welcome`` capabilities: not sent."""

    code = "unsupported"

"""The link to images: one asyncio ZeroMQ DEALER per image, correlated requests, events."""

from stui.transport.connection import ImageConnection, PingResult, State
from stui.transport.errors import (
    ConnectionClosed,
    ConnectionLost,
    ConnectionTimeout,
    ImageUnreachable,
    TransportError,
)

__all__ = [
    "ConnectionClosed",
    "ConnectionLost",
    "ConnectionTimeout",
    "ImageConnection",
    "ImageUnreachable",
    "PingResult",
    "State",
    "TransportError",
]

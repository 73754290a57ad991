"""The link to images: a channel per image (socket, ids, deadlines, events) and the
typed client built on it from one request -> reply table."""

from stui.transport.channel import Channel, State
from stui.transport.client import ImageClient, PingResult
from stui.transport.errors import (
    ConnectionClosed,
    ConnectionLost,
    ConnectionTimeout,
    ImageUnreachable,
    InvalidAddress,
    NotOffered,
    TransportError,
)
from stui.transport.operations import OPERATIONS, Operation, deadline_for

__all__ = [
    "OPERATIONS",
    "Channel",
    "ConnectionClosed",
    "ConnectionLost",
    "ConnectionTimeout",
    "ImageClient",
    "ImageUnreachable",
    "InvalidAddress",
    "NotOffered",
    "Operation",
    "PingResult",
    "State",
    "TransportError",
    "deadline_for",
]

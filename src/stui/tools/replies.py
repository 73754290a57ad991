"""Checking that a reply is the one an operation expects, for the typed tool functions."""

from __future__ import annotations

from typing import TypeVar

from stui.protocol import ProtocolError, type_tag
from stui.protocol.messages import Message

M = TypeVar("M", bound=Message)


def expect(reply: Message, kind: type[M]) -> M:
    """The reply as `kind`; ProtocolError names what came instead (the table should have
    refused it already, so this guards against a table that drifted)."""
    if not isinstance(reply, kind):
        raise ProtocolError(f"expected {kind.__name__}, the image answered {type_tag(reply)!r}")
    return reply

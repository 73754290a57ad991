"""Frames to messages and back: one JSON object per frame.

The encoder and decoders are built once; decoding a known message is one msgspec call.
Only a frame that fails that call takes the slow path, which works out whether it is an
unknown (newer) type or a malformed message, and which request id it carried.
"""

from __future__ import annotations

from typing import Any, get_args

import msgspec

from stui.protocol.errors import ProtocolError
from stui.protocol.limits import MAX_FRAME
from stui.protocol.messages import Incoming, Message, Request, Unknown

_encoder = msgspec.json.Encoder()
_incoming_decoder = msgspec.json.Decoder(Incoming)
_request_decoder = msgspec.json.Decoder(Request)
_raw_decoder = msgspec.json.Decoder(dict[str, Any])


def _tags(union: Any) -> frozenset[str]:
    return frozenset(cls.__struct_config__.tag for cls in get_args(union))


INCOMING_TYPES = _tags(Incoming)
REQUEST_TYPES = _tags(Request)


def encode(message: Message) -> bytes:
    """One frame for a message; ProtocolError if it exceeds MAX_FRAME."""
    frame = _encoder.encode(message)
    if len(frame) > MAX_FRAME:
        raise ProtocolError(
            f"a {type(message).__struct_config__.tag} message of {len(frame)} bytes "
            f"exceeds the {MAX_FRAME}-byte frame limit"
        )
    return frame


def decode(frame: bytes) -> Incoming | Unknown:
    """A frame from an image: a response, an event, or Unknown for a newer type."""
    _check_size(frame)
    try:
        return _incoming_decoder.decode(frame)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return _diagnose(frame, exc, INCOMING_TYPES)


def decode_request(frame: bytes) -> Request | Unknown:
    """A frame from a client (for servers and test peers written in Python)."""
    _check_size(frame)
    try:
        return _request_decoder.decode(frame)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return _diagnose(frame, exc, REQUEST_TYPES)


def _check_size(frame: bytes) -> None:
    if len(frame) > MAX_FRAME:
        raise ProtocolError(f"a frame of {len(frame)} bytes exceeds the {MAX_FRAME}-byte limit")


def _diagnose(frame: bytes, exc: Exception, known: frozenset[str]) -> Unknown:
    """Unknown for a well-formed message of an unknown type; ProtocolError otherwise."""
    if not isinstance(exc, msgspec.ValidationError):
        raise ProtocolError(f"frame is not JSON ({exc}): {_preview(frame)}") from None
    try:
        raw = _raw_decoder.decode(frame)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise ProtocolError(f"frame is not a JSON object: {_preview(frame)}") from None
    kind = raw.get("type")
    rid = raw.get("id")
    request_id = rid if type(rid) is int else None
    if not isinstance(kind, str):
        raise ProtocolError(
            f"message has no string field 'type': {_preview(frame)}", request_id=request_id
        ) from None
    if kind not in known:
        return Unknown(type=kind, id=request_id, data=raw)
    raise ProtocolError(f"malformed {kind!r} message: {exc}", request_id=request_id) from None


def _preview(frame: bytes, limit: int = 120) -> str:
    text = repr(frame[:limit])
    return text + "…" if len(frame) > limit else text

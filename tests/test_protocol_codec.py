"""Malformed, oversized and unknown frames: a clear ProtocolError or an Unknown, never more."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stui.protocol import (
    MAX_FRAME,
    Evaluate,
    Incoming,
    ProtocolError,
    Request,
    Unknown,
    decode,
    decode_request,
    encode,
)
from stui.protocol.codec import INCOMING_TYPES, REQUEST_TYPES


def test_unknown_type_is_an_unknown_variant() -> None:
    message = decode(b'{"type":"inspected","id":7,"handle":3}')
    assert message == Unknown(
        type="inspected", id=7, data={"type": "inspected", "id": 7, "handle": 3}
    )
    event = decode(b'{"type":"session_changed","session":"s-1"}')
    assert isinstance(event, Unknown)
    assert event.id is None


def test_request_tags_are_unknown_to_a_client() -> None:
    """A client never receives requests: such a frame is of an unknown type to it."""
    assert isinstance(decode(b'{"type":"ping","id":1}'), Unknown)
    assert isinstance(decode_request(b'{"type":"pong","id":1}'), Unknown)


@pytest.mark.parametrize(
    ("frame", "needle"),
    [
        (b"", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b'{"type": "pong", "id": 1', "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"pong"', "not a JSON object"),
        (b"{}", "no string field 'type'"),
        (b'{"type": 3, "id": 1}', "no string field 'type'"),
        (b'{"type": "pong", "id": 1}', "malformed 'pong' message"),
        (b'{"type": "pong", "id": "1", "uptime_ms": 1, "busy": true, "sessions": 1}', "$.id"),
        (b'{"type": "eval_error", "id": 1, "kind": "boom", "message": ""}', "$.kind"),
    ],
)
def test_malformed_frames_raise_protocol_error(frame: bytes, needle: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(frame)
    assert needle in str(caught.value)


def test_protocol_error_carries_the_request_id_when_readable() -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(b'{"type":"result","id":41,"value":3}')
    assert caught.value.request_id == 41
    with pytest.raises(ProtocolError) as caught:
        decode(b'{"type":"result","id":"41"}')
    assert caught.value.request_id is None
    with pytest.raises(ProtocolError) as caught:
        decode(b'{"type":"result","id":true}')
    assert caught.value.request_id is None


def test_oversized_frames_are_refused_both_ways() -> None:
    with pytest.raises(ProtocolError, match="exceeds"):
        decode(b" " * (MAX_FRAME + 1))
    with pytest.raises(ProtocolError, match="evaluate message of"):
        encode(Evaluate(id=1, code="x" * MAX_FRAME))


def test_tag_sets() -> None:
    assert "evaluate" in REQUEST_TYPES
    assert "session.cleanup" in REQUEST_TYPES
    assert "transcript" in INCOMING_TYPES
    assert not REQUEST_TYPES & INCOMING_TYPES


def _check_outcome(result: object, union: object) -> None:
    assert isinstance(result, (Unknown, *union.__args__))  # type: ignore[attr-defined]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=256))
def test_random_bytes_never_raise_anything_but_protocol_error(frame: bytes) -> None:
    for fn, union in ((decode, Incoming), (decode_request, Request)):
        with contextlib.suppress(ProtocolError):
            _check_outcome(fn(frame), union)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_field_names = st.sampled_from(
    ["id", "type", "value", "class", "kind", "message", "session", "sessions", "code", "text",
     "uptime_ms", "busy", "image", "protocol", "stack", "position", "cleaned", "remaining"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(sorted(INCOMING_TYPES | REQUEST_TYPES | {"nope"})),
    st.dictionaries(_field_names | st.text(max_size=5), _json, max_size=8),
)
def test_random_objects_with_known_tags_never_raise_anything_but_protocol_error(
    tag: str, fields: dict[str, object]
) -> None:
    frame = json.dumps({**fields, "type": tag}).encode()
    for fn, union in ((decode, Incoming), (decode_request, Request)):
        try:
            _check_outcome(fn(frame), union)
        except ProtocolError as exc:
            assert str(exc)

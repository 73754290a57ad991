"""Every variant of docs/protocol.md survives a round trip through the codec."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from stui.protocol import (
    Cleaned,
    CleanupScope,
    Closed,
    ErrorReply,
    EvalError,
    EvalErrorKind,
    EvalMode,
    Evaluate,
    Hello,
    ImageInfo,
    ImageSession,
    Incoming,
    Interrupt,
    Interrupted,
    Ping,
    Pong,
    ProtocolError,
    Request,
    Result,
    ServerLimits,
    SessionAttach,
    SessionCleanup,
    SessionClose,
    SessionCreate,
    SessionList,
    SessionListReply,
    SessionReply,
    SessionStats,
    SessionStatsReply,
    Transcript,
    Welcome,
    decode,
    decode_request,
    encode,
    type_tag,
)
from test_cross_messages import CROSS_INCOMING, CROSS_REQUESTS
from test_debugger_messages import DEBUG_INCOMING, DEBUG_REQUESTS
from test_ide_messages import IDE_INCOMING, IDE_REQUESTS

SESSION = ImageSession(
    id="s-" + "a" * 32,
    label="ws",
    client_id="c-" + "b" * 32,
    created_at="2026-11-22T02:10:00Z",
    last_activity="2026-11-22T02:11:00Z",
    status="active",
    bindings=2,
)

REQUESTS = [
    Hello(id=1, client_id="c-" + "b" * 32, protocol="1.0", token="t0k"),
    Ping(id=2),
    Evaluate(id=3, code="3 + 4"),
    Evaluate(id=3, code="x := 1", mode=EvalMode.DO, session="s-1", max_print=10),
    Interrupt(id=4),
    Interrupt(id=4, session="s-1"),
    SessionCreate(id=5),
    SessionCreate(id=5, label="ws"),
    SessionAttach(id=6, session="s-1"),
    SessionClose(id=7, session="s-1"),
    SessionList(id=8),
    SessionList(id=8, include_orphaned=True),
    SessionStats(id=9),
    SessionCleanup(id=10, scope=CleanupScope.ORPHANED),
    SessionCleanup(id=10, scope=CleanupScope.OLDER_THAN, hours=24),
    *IDE_REQUESTS,
    *DEBUG_REQUESTS,
    *CROSS_REQUESTS,
]

INCOMING = [
    Welcome(
        id=1,
        protocol="1.0",
        image=ImageInfo(
            image_id="u1",
            instance_id="u2",
            name="demo-1",
            dialect="squeak",
            version="Squeak2.8",
            image_path="/x/demo-1.image",
            pid=1234,
            started_at="2026-11-22T02:10:00Z",
            port=40123,
        ),
        capabilities=["evaluate", "interrupt", "sessions"],
        limits=ServerLimits(max_frame=16777216, max_print=100000),
    ),
    Pong(id=2, uptime_ms=5123, busy=False, sessions=3),
    Result(id=3, value="7", class_="SmallInteger", truncated=False, elapsed_ms=0),
    Result(id=3, value=None, class_="UndefinedObject", truncated=False, elapsed_ms=1),
    EvalError(
        id=3,
        kind=EvalErrorKind.SYNTAX,
        message="Nothing more expected",
        position=4,
        error_class="SyntaxError",
    ),
    EvalError(
        id=3,
        kind=EvalErrorKind.RUNTIME,
        message="doesNotUnderstand: #foo",
        error_class="MessageNotUnderstood",
        receiver="nil",
        stack=["UndefinedObject(Object)>>doesNotUnderstand:", "UndefinedObject>>DoIt"],
    ),
    Interrupted(id=4, was_running=True),
    SessionReply(id=5, session=SESSION),
    Closed(id=6, session="s-1"),
    SessionListReply(id=7, sessions=[SESSION, SESSION]),
    SessionStatsReply(
        id=8, total=3, active=2, orphaned=1, context_size=5, last_activity="2026-11-22T02:10:00Z"
    ),
    Cleaned(id=9, cleaned=1, remaining=2),
    ErrorReply(id=3, code="busy", message="session s-1 is evaluating"),
    ErrorReply(id=None, code="bad_request", message="not JSON"),
    Transcript(text="hello\n"),
    *IDE_INCOMING,
    *DEBUG_INCOMING,
    *CROSS_INCOMING,
]


def test_every_variant_has_a_sample() -> None:
    assert {type(m) for m in REQUESTS} == set(get_args(Request))
    assert {type(m) for m in INCOMING} == set(get_args(Incoming))


@pytest.mark.parametrize("message", REQUESTS, ids=lambda m: type_tag(m))
def test_request_round_trip(message: object) -> None:
    frame = encode(message)
    assert json.loads(frame)["type"] == type_tag(message)
    assert decode_request(frame) == message


@pytest.mark.parametrize("message", INCOMING, ids=lambda m: type_tag(m))
def test_incoming_round_trip(message: object) -> None:
    assert decode(encode(message)) == message


def test_spec_examples_decode() -> None:
    """The JSON examples of docs/protocol.md, verbatim."""
    welcome = decode(
        b'{"type": "welcome", "id": 1, "protocol": "1.0",'
        b' "image": {"image_id": "uuid", "instance_id": "uuid", "name": "demo-1",'
        b' "dialect": "squeak", "version": "Squeak2.8", "image_path": "/d/demo-1.image",'
        b' "pid": 1234, "started_at": "2026-11-22T02:10:00Z", "port": 40123},'
        b' "capabilities": ["evaluate", "interrupt", "sessions"],'
        b' "limits": {"max_frame": 16777216, "max_print": 100000}}'
    )
    assert isinstance(welcome, Welcome)
    assert welcome.image.port == 40123
    result = decode(
        b'{"type": "result", "id": 3, "value": "7", "class": "SmallInteger",'
        b' "truncated": false, "elapsed_ms": 0}'
    )
    assert result == Result(id=3, value="7", class_="SmallInteger", truncated=False, elapsed_ms=0)
    stats = decode(
        b'{"type": "session_stats", "id": 8, "total": 3, "active": 2, "orphaned": 1,'
        b' "context_size": 5, "last_activity": "2026-11-22T02:10:00Z"}'
    )
    assert isinstance(stats, SessionStatsReply)
    assert stats.context_size == 5


def test_optional_request_fields_are_left_out() -> None:
    """An UNSET optional field is absent from the frame, so the image uses its default."""
    assert json.loads(encode(Evaluate(id=3, code="1"))) == {
        "type": "evaluate",
        "id": 3,
        "code": "1",
        "mode": "print",
    }
    assert json.loads(encode(Interrupt(id=4))) == {"type": "interrupt", "id": 4}
    assert json.loads(encode(SessionCreate(id=5))) == {"type": "session.create", "id": 5}


def test_absent_optional_response_fields_default() -> None:
    error = decode(b'{"type":"eval_error","id":3,"kind":"runtime","message":"m"}')
    assert error == EvalError(id=3, kind=EvalErrorKind.RUNTIME, message="m")
    assert error.stack == []
    welcome = decode(
        b'{"type":"welcome","id":1,"protocol":"1.0","image":{"image_id":"a","instance_id":"b"}}'
    )
    assert isinstance(welcome, Welcome)
    assert welcome.capabilities == []
    assert welcome.limits == ServerLimits()
    assert welcome.image.pid is None


def test_unknown_fields_are_ignored() -> None:
    frame = b'{"type":"pong","id":2,"uptime_ms":1,"busy":true,"sessions":0,"load":[1,2],"x":{}}'
    assert decode(frame) == Pong(id=2, uptime_ms=1, busy=True, sessions=0)
    frame = b'{"type":"ping","id":2,"future_flag":true}'
    assert decode_request(frame) == Ping(id=2)


def test_result_class_field_is_named_class_on_the_wire() -> None:
    frame = encode(Result(id=1, value="a", class_="String", truncated=True, elapsed_ms=3))
    assert json.loads(frame)["class"] == "String"


def test_non_ascii_text_round_trips() -> None:
    message = Transcript(text="größe → ∑ \n\u00ff")
    assert decode(encode(message)) == message
    assert decode(b'{"type":"transcript","text":"gr\\u00f6\\u00dfe"}') == Transcript(text="größe")


WELCOME = {
    "type": "welcome",
    "id": 1,
    "protocol": "1.0",
    "image": {"image_id": "a", "instance_id": "b", "started_at": "2026-11-22T02:10:00Z"},
}
RESULT = {
    "type": "result",
    "id": 3,
    "value": "7",
    "class": "X",
    "truncated": False,
    "elapsed_ms": 0,
}


def without(message: dict, *path: str) -> dict:
    """A deep copy of message without the field at path."""
    copy = json.loads(json.dumps(message))
    inner = copy
    for key in path[:-1]:
        inner = inner[key]
    del inner[path[-1]]
    return copy


def changed(message: dict, **fields: object) -> dict:
    return {**message, **fields}


@pytest.mark.parametrize(
    "message",
    [
        without(WELCOME, "protocol"),
        without(WELCOME, "image", "image_id"),
        without(WELCOME, "image", "instance_id"),
        changed(RESULT, elapsed_ms=1.0),
        changed(RESULT, **{"class": None}),
        without(RESULT, "truncated"),
        {"type": "pong", "id": 2, "uptime_ms": 1, "busy": 0, "sessions": 0},
    ],
    ids=["no-protocol", "no-image_id", "no-instance_id", "float", "null-class", "no-truncated",
         "int-as-bool"],
)  # fmt: skip
def test_the_documented_required_fields_and_types_are_enforced(message: dict) -> None:
    """docs/protocol.md, "Messages": what a server must send, as the client checks it."""
    with pytest.raises(ProtocolError) as caught:
        decode(json.dumps(message).encode())
    assert caught.value.request_id == message["id"]


@pytest.mark.parametrize(
    "stamp", ["yesterday", "2026-11-22", "2026-11-22 02:10:00Z", "2026-11-22T02:10:00+01:00", ""]
)
def test_timestamps_must_be_utc_iso_8601(stamp: str) -> None:
    with pytest.raises(ProtocolError):
        decode(json.dumps({**WELCOME, "image": {**WELCOME["image"], "started_at": stamp}}).encode())
    session = {**json.loads(encode(SESSION)), "created_at": stamp}
    with pytest.raises(ProtocolError):
        decode(json.dumps({"type": "session", "id": 5, "session": session}).encode())


@pytest.mark.parametrize("stamp", ["2026-11-22T02:10:00Z", "2026-11-22T02:10:00.123456Z"])
def test_timestamps_may_carry_a_fraction_of_a_second(stamp: str) -> None:
    welcome = decode(
        json.dumps({**WELCOME, "image": {**WELCOME["image"], "started_at": stamp}}).encode()
    )
    assert isinstance(welcome, Welcome) and welcome.image.started_at == stamp

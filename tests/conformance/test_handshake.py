"""ZMTP handshake and the protocol's hello, against a real image of each dialect."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable
from typing import get_args

import pytest

from conformance.expected import Expectations
from conformance.wire import (
    GREETING,
    Peer,
    closed_within,
    raw_connect,
    read_until_closed,
    ready_command,
)
from stui.launcher.runtime import RuntimeInfo
from stui.protocol import codec
from stui.protocol.messages import CoreRequest


def test_the_greeting_and_ready_follow_zmtp_3(running_image: RuntimeInfo) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(GREETING + ready_command(b"DEALER"))
        data = b""
        while len(data) < 64 + 30:
            data += sock.recv(4096)
        assert data[0] == 0xFF and data[9] == 0x7F
        assert data[10:12] == b"\x03\x00"
        assert data[12:32] == b"NULL" + b"\x00" * 16
        assert data[32] == 0  # as-server
        ready = data[64:]
        assert ready[0] == 0x04
        assert b"READY" in ready and b"Socket-Type" in ready and b"ROUTER" in ready


def test_ping_command_is_answered_with_pong(running_image: RuntimeInfo) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(GREETING + ready_command(b"DEALER"))
        ping = b"\x04PING" + b"\x00\x0a" + b"ctx-123"
        sock.sendall(b"\x04" + bytes([len(ping)]) + ping)
        data = b""
        deadline = time.monotonic() + 5
        while b"PONG" not in data and time.monotonic() < deadline:
            data += sock.recv(4096)
        pong = data[data.index(b"\x04PONG") - 2 :]
        assert pong[:2] == bytes([4, len(b"\x04PONGctx-123")])
        assert pong[2:].startswith(b"\x04PONGctx-123")


@pytest.mark.parametrize("socket_type", [b"PUB", b"REP", b"PAIR"])
def test_an_incompatible_socket_type_is_disconnected(
    running_image: RuntimeInfo, socket_type: bytes
) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(GREETING + ready_command(socket_type))
        data = read_until_closed(sock)
        assert data.startswith(b"\xff")


def test_a_bad_signature_is_disconnected(running_image: RuntimeInfo) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\x00" * 64)
        read_until_closed(sock)


def test_the_first_request_must_be_hello(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_image)
    reply = peer.request("ping")
    assert reply["type"] == "error" and reply["code"] == "unauthorized"
    assert peer.hello(running_image.token)["type"] == "welcome"


CORE_TYPES = {cls.__struct_config__.tag for cls in get_args(CoreRequest)}


def test_welcome_tells_who_the_image_is(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer], dialect: str
) -> None:
    welcome = connect(running_image).hello(running_image.token)
    image = welcome["image"]
    assert welcome["protocol"] == "1.0"
    assert image["image_id"] == running_image.image_id
    assert image["pid"] == running_image.pid
    assert image["port"] == running_image.port
    assert image["name"] == running_image.name
    assert image["dialect"] == dialect
    assert image["image_path"] == running_image.image_path
    assert uuid.UUID(image["instance_id"])
    assert image["started_at"].endswith("Z") and "T" in image["started_at"]
    # every core request, and only request types of the protocol (IDE operations optional)
    capabilities = welcome["capabilities"]
    assert capabilities == sorted(capabilities)
    assert CORE_TYPES <= set(capabilities) <= codec.REQUEST_TYPES
    assert welcome["limits"] == {"max_frame": 16777216, "max_print": 100000}


def test_a_wrong_token_is_refused_and_disconnected(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_image)
    reply = peer.hello("not-the-token")
    assert reply["code"] == "unauthorized"
    assert peer.closed_by_image()


def test_a_missing_token_is_refused(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_image)
    reply = peer.request("hello", client_id="c-x", protocol="1.0")
    assert reply["code"] == "unauthorized"


def test_another_protocol_major_is_refused(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_image)
    reply = peer.request("hello", client_id="c-x", protocol="2.0", token=running_image.token)
    assert reply["code"] == "version_mismatch"
    assert peer.closed_by_image()


def test_silent_and_half_greeting_peers_are_dropped(
    running_image: RuntimeInfo, client: Peer, expect: Expectations
) -> None:
    set_seconds = expect.handshake_seconds
    assert client.request("evaluate", code=set_seconds.format(seconds=1))["type"] == "result"
    port = running_image.port
    with (
        socket.create_connection(("127.0.0.1", port)) as silent,
        socket.create_connection(("127.0.0.1", port)) as half,
    ):
        half.sendall(b"\xff" + b"\0" * 8 + b"\x7f\x03")  # a greeting cut short
        assert closed_within(silent, 10)
        assert closed_within(half, 10)
    assert client.request("ping")["busy"] is False
    client.request("evaluate", code=set_seconds.format(seconds=10))


def test_the_order_of_checks_before_hello(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    """Envelope first (bad_request, id null), then hello first (unauthorized), whatever
    the type; none of these closes the connection, and neither does a hello missing
    client_id or protocol."""
    peer = connect(running_image)
    peer.send_raw(b"not json")
    reply = peer.recv()
    assert (reply["type"], reply["code"], reply["id"]) == ("error", "bad_request", None)
    peer.send_json({"type": "ping"})
    reply = peer.recv()
    assert (reply["code"], reply["id"]) == ("bad_request", None)
    assert peer.request("no.such.type")["code"] == "unauthorized"
    assert peer.request("evaluate", code="1")["code"] == "unauthorized"
    assert peer.request("hello", protocol="1.0", token=running_image.token)["code"] == (
        "bad_request"
    )
    assert peer.request("hello", client_id="c-x", token=running_image.token)["code"] == (
        "bad_request"
    )
    assert (
        peer.request("hello", client_id="", protocol="1.0", token=running_image.token)["code"]
        == "bad_request"
    )
    assert not peer.closed_by_image(0.3)
    assert peer.hello(running_image.token)["type"] == "welcome"
    assert peer.request("no.such.type")["code"] == "unsupported"


def test_a_hello_of_another_major_is_refused_before_its_other_fields(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_image)
    assert peer.request("hello", protocol="2.0")["code"] == "version_mismatch"
    assert peer.closed_by_image()


def test_a_second_hello_keeps_the_connections_client(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_image)
    peer.hello(running_image.token, client_id="c-first")
    session = peer.request("session.create")["session"]["id"]
    assert peer.hello(running_image.token, client_id="c-first")["type"] == "welcome"
    other = peer.request("hello", client_id="c-second", protocol="1.0", token=running_image.token)
    assert other["code"] == "bad_request", other
    assert peer.request("evaluate", code="3 + 4", session=session)["value"] == "7"
    assert (
        peer.request("hello", client_id="c-first", protocol="1.0", token="wrong")["code"]
        == "unauthorized"
    )
    assert peer.closed_by_image()


def test_capabilities_are_exactly_the_request_types_answered(
    running_image: RuntimeInfo, client: Peer, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    capabilities = connect(running_image).hello(running_image.token)["capabilities"]
    assert {"hello", "ping"} <= set(capabilities)
    assert len(set(capabilities)) == len(capabilities)
    for kind in sorted(set(capabilities) | codec.REQUEST_TYPES):
        if kind == "hello":
            continue
        reply = client.request(kind)
        offered = kind in capabilities
        assert (reply.get("code") == "unsupported") is not offered, (kind, reply)
